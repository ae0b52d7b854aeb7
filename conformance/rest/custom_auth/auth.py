"""The custom auth the conformance suite's auth checks expect (test_custom_auth.py).

Two users by bearer token. Every record a user creates is stamped `owner: <identity>` and only
its owner sees it. Assistants also carry `readers` (the creator is always one): a reader may
read and run an assistant, only its owner update it. Deleting a thread or an assistant needs
the `delete` permission (403 otherwise).
"""

from __future__ import annotations

from typing import Any

from langgraph_sdk import Auth

auth = Auth()

USERS: dict[str, dict[str, Any]] = {
    "token-alice": {"identity": "alice", "permissions": ["delete"]},
    "token-bob": {"identity": "bob", "permissions": []},
}


@auth.authenticate
async def authenticate(authorization: str | None) -> Auth.types.MinimalUserDict:
    scheme, _, token = (authorization or "").partition(" ")
    user = USERS.get(token) if scheme.lower() == "bearer" else None
    if user is None:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Unknown or missing token.")
    return {"identity": user["identity"], "permissions": user["permissions"]}


def _stamped(value: dict[str, Any], **fields: Any) -> dict[str, Any]:
    metadata = value.get("metadata")
    if metadata is None:
        metadata = value["metadata"] = {}
    metadata.update(fields)
    return metadata


@auth.on
async def owner_only(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType | None:
    """Threads, runs, crons: stamp the owner on writes, filter everything by it. The store:
    each user's items live under their identity (its first namespace label)."""
    if ctx.resource == "store":
        value["namespace"] = (ctx.user.identity, *value.get("namespace", ()))
        return None
    filters = {"owner": ctx.user.identity}
    if isinstance(value, dict):
        _stamped(value, **filters)
    return filters


@auth.on.threads.delete
async def delete_thread(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType:
    if "delete" not in ctx.permissions:
        raise Auth.exceptions.HTTPException(status_code=403, detail="Deleting needs permission.")
    return {"owner": ctx.user.identity}


@auth.on.assistants.create
async def create_assistant(ctx: Auth.types.AuthContext, value: Any) -> None:
    metadata = _stamped(value, owner=ctx.user.identity)
    readers = [r for r in metadata.get("readers") or [] if isinstance(r, str)]
    metadata["readers"] = (
        [*readers, ctx.user.identity] if ctx.user.identity not in readers else readers
    )


@auth.on.assistants.read
@auth.on.assistants.search
async def read_assistant(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType:
    return {"readers": {"$contains": ctx.user.identity}}


@auth.on.assistants.update
async def update_assistant(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType:
    return {"owner": {"$eq": ctx.user.identity}}


@auth.on.assistants.delete
async def delete_assistant(ctx: Auth.types.AuthContext, value: Any) -> Auth.types.FilterType | bool:
    if "delete" not in ctx.permissions:
        return False
    return {"owner": ctx.user.identity}
