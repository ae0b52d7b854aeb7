"""Authorization the services apply: who is asking, and the policy deciding what they may do.

A front door authenticates a request and sets its `Caller` (a `Principal` and the `Policy` of
the server) for the duration of the request with `acting_as`. The services call `authorize`
before they act on a resource; with no caller set (no custom auth configured, background work,
startup) everything is allowed.

A policy answers per resource and action, given the `value` of the request (a mutable dict: a
policy may stamp metadata on it before a create). Its answer:

- None: allowed, no restriction;
- a filter dict: allowed on records whose metadata match it (`{"k": v}`, `{"k": {"$eq": v}}`,
  `{"k": {"$contains": item}}`); a record outside the filter is reported as not found;
- it raises `Forbidden` / `Unauthorized` (or another core error) to refuse.

Resources and actions are those of the LangGraph Agent Server's custom auth: threads
(create, read, update, delete, search, create_run), assistants (create, read, update, delete,
search), crons (the same without create_run), store (put, get, search, list_namespaces,
delete).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

from interop.core.errors import Forbidden

Filters = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. `user` is what the authentication step produced (the policy
    gets it back as is)."""

    identity: str
    permissions: tuple[str, ...] = ()
    user: Any = None
    display_name: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # the user as JSON (run configs)


class Policy(Protocol):
    async def authorize(
        self, principal: Principal, resource: str, action: str, value: dict[str, Any]
    ) -> Filters | None:
        """None (allowed), a metadata filter (allowed on matching records), or a core error."""


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    policy: Policy = field(compare=False)


# Where a door keeps the caller in the ASGI scope, for code that serves the request on another
# task than the one that received it (MCP sessions): it sets it again with `acting_as`.
SCOPE_KEY = "interop.caller"

_caller: ContextVar[Caller | None] = ContextVar("interop_caller", default=None)


def current() -> Caller | None:
    """The caller of the request being served (None outside any authenticated request)."""
    return _caller.get()


def identity() -> str | None:
    """The current caller's identity (None without one): what a door's in-memory records of a
    caller's work (MCP tasks) are stamped with and looked up by."""
    caller = _caller.get()
    return caller.principal.identity if caller is not None else None


@contextlib.contextmanager
def acting_as(caller: Caller | None) -> Iterator[None]:
    """Serve the enclosed code (and the tasks it starts) for `caller`."""
    token = _caller.set(caller)
    try:
        yield
    finally:
        _caller.reset(token)


async def authorize(resource: str, action: str, value: dict[str, Any]) -> Filters | None:
    """The current caller's policy answer for `action` on `resource` (None without a caller).
    Raises what the policy raises."""
    caller = _caller.get()
    if caller is None:
        return None
    return await caller.policy.authorize(caller.principal, resource, action, value)


async def search_filter(resource: str, value: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """The metadata filter of a search of `resource` the caller's policy allows, and whether
    anything can match it (see `narrow`). `value` holds the search's arguments; its `metadata`
    is what the search asked for, which the policy may change."""
    value["metadata"] = dict(value.get("metadata") or {})
    filters = await authorize(resource, "search", value)
    return narrow(value["metadata"] or None, filters)


async def authorize_store(action: str, value: dict[str, Any]) -> dict[str, Any]:
    """The hook of the store routes: ask the caller's policy about `action` (put, get, search,
    list_namespaces, delete) with the request's `value` (`namespace` as a tuple, plus `key`,
    `value`, `filter`, `query`, `limit`, `offset`, `prefix`, `suffix`, `max_depth` as the
    action has them) and return `value` as the policy left it: a policy scopes the store by
    rewriting `namespace`. Items of the store carry no metadata, so a policy answering with a
    filter is refused (Forbidden) rather than ignored. Raises what the policy raises."""
    if isinstance(value.get("namespace"), list):
        value["namespace"] = tuple(value["namespace"])
    if await authorize("store", action, value):
        raise Forbidden("The store cannot apply an authorization filter.")
    return value


def run_configurable() -> dict[str, Any]:
    """What a run's `configurable` carries about the caller who created it (empty without
    one): `langgraph_auth_user` (a JSON record), `langgraph_auth_user_id`,
    `langgraph_auth_permissions`, as the reference server passes them to graphs."""
    caller = _caller.get()
    if caller is None:
        return {}
    principal = caller.principal
    user = {
        **principal.fields,
        "identity": principal.identity,
        "permissions": list(principal.permissions),
        "display_name": principal.display_name or principal.identity,
    }
    return {
        "langgraph_auth_user": user,
        "langgraph_auth_user_id": principal.identity,
        "langgraph_auth_permissions": list(principal.permissions),
    }


def matches(filters: Mapping[str, Any] | None, metadata: Mapping[str, Any]) -> bool:
    """Whether `metadata` satisfies every condition of `filters` (None: always)."""
    if not filters:
        return True
    for key, condition in filters.items():
        if key not in metadata:
            return False
        actual = metadata[key]
        op, expected = _operator(condition)
        if op == "$eq" and actual != expected:
            return False
        if op == "$contains":
            wanted = expected if isinstance(expected, list) else [expected]
            if not isinstance(actual, list) or any(item not in actual for item in wanted):
                return False
    return True


def narrow(
    metadata: Mapping[str, Any] | None, filters: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, bool]:
    """A metadata containment filter (storage's `metadata` search argument) that also enforces
    `filters`, and whether anything can match both (False: the search is empty)."""
    if not filters:
        return (dict(metadata) if metadata is not None else None), True
    merged: dict[str, Any] = dict(metadata or {})
    for key, condition in filters.items():
        op, expected = _operator(condition)
        if op == "$eq":
            if key in merged and merged[key] != expected:
                return merged, False
            merged[key] = expected
            continue
        wanted = expected if isinstance(expected, list) else [expected]
        present = merged.get(key, [])
        if not isinstance(present, list):
            return merged, False
        merged[key] = [*present, *(item for item in wanted if item not in present)]
    return merged, True


def _operator(condition: Any) -> tuple[str, Any]:
    if isinstance(condition, Mapping) and len(condition) == 1:
        (op, expected), *_ = condition.items()
        if op in ("$eq", "$contains"):
            return op, expected
    return "$eq", condition
