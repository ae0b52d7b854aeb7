"""interop.auth: the `auth` config section, the user's Auth object as authenticator and policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langgraph_sdk import Auth

from interop.auth import config as auth_config
from interop.auth.loader import AuthenticationFailed, CustomAuth, load
from interop.core.authz import Principal
from interop.core.errors import Forbidden, NotFound, Unauthorized
from interop.core.graphs import ConfigError


def _custom(auth: Auth) -> CustomAuth:
    return CustomAuth(auth, auth_config.AuthConfig(path="x.py:auth", base=Path.cwd()))


def _scope(headers: dict[str, str], path: str = "/threads", query: bytes = b"") -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "path": path,
        "query_string": query,
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }


ALICE = Principal(identity="alice", permissions=("p",), user={"identity": "alice"})


def test_parse_checks_the_section(tmp_path: Path) -> None:
    path = tmp_path / "langgraph.json"
    assert auth_config.parse(None, path) is None
    parsed = auth_config.parse({"path": "./auth.py:auth", "openapi": {"security": []}}, path)
    assert parsed is not None and parsed.base == tmp_path and parsed.openapi == {"security": []}
    for bad in ([], {"path": "auth.py"}, {"nope": 1}, {"openapi": []}, {"disable_studio_auth": 1}):
        with pytest.raises(ConfigError):
            auth_config.parse(bad, path)


def test_load_names_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text(
        "from langgraph_sdk import Auth\n"
        "auth = Auth()\nnot_auth = 1\n"
        "odd = Auth()\n"
        "@odd.authenticate\n"
        "async def who(body): return 'x'\n"
    )
    config = auth_config.AuthConfig(path="./a.py:auth", base=tmp_path)
    assert isinstance(load(config), CustomAuth)
    with pytest.raises(ConfigError):
        load(auth_config.AuthConfig(path="./a.py:not_auth", base=tmp_path))
    with pytest.raises(ConfigError):
        load(auth_config.AuthConfig(path="./missing.py:auth", base=tmp_path))
    with pytest.raises(ConfigError):  # `body` is not something interop hands over
        load(auth_config.AuthConfig(path="./a.py:odd", base=tmp_path))


async def test_authenticate_gets_what_it_asks_for_by_name() -> None:
    auth = Auth()
    seen: dict[str, Any] = {}

    @auth.authenticate
    async def who(
        authorization: str | None,
        path: str,
        method: str,
        headers: dict[bytes, bytes],
        query_params: dict[str, str],
    ) -> dict[str, Any]:
        seen.update(path=path, method=method, query=query_params, header=headers.get(b"x-a"))
        if authorization != "Bearer ok":
            raise Auth.exceptions.HTTPException(status_code=401, headers={"x-why": "token"})
        return {"identity": "alice", "permissions": ["read"], "org": "o"}

    custom = _custom(auth)
    principal = await custom.authenticate(
        _scope({"Authorization": "Bearer ok", "X-A": "1"}, query=b"q=2")
    )
    assert (principal.identity, principal.permissions) == ("alice", ("read",))
    assert principal.user.identity == "alice" and principal.user["org"] == "o"
    assert seen == {"path": "/threads", "method": "POST", "query": {"q": "2"}, "header": b"1"}
    with pytest.raises(AuthenticationFailed) as refused:
        await custom.authenticate(_scope({}))
    assert refused.value.status == 401 and refused.value.headers == {"x-why": "token"}


@pytest.mark.parametrize(
    ("result", "identity"), [("bob", "bob"), ({"identity": "carol", "display_name": "C"}, "carol")]
)
async def test_authenticate_accepts_a_string_or_a_dict(result: Any, identity: str) -> None:
    auth = Auth()

    @auth.authenticate
    async def who() -> Any:
        return result

    assert (await _custom(auth).authenticate(_scope({}))).identity == identity


async def test_the_most_specific_handler_answers() -> None:
    auth = Auth()
    calls: list[str] = []

    @auth.on
    async def everything(ctx: Auth.types.AuthContext, value: Any) -> Any:
        calls.append(f"global {ctx.resource}.{ctx.action}")
        return {"owner": ctx.user["identity"]}

    @auth.on.threads
    async def threads(ctx: Auth.types.AuthContext, value: Any) -> Any:
        calls.append(f"threads {ctx.action}")
        return None

    @auth.on.threads.delete
    async def delete(ctx: Auth.types.AuthContext, value: Any) -> Any:
        calls.append("threads.delete")
        return "p" in ctx.permissions and False

    @auth.on.assistants.read
    async def refuse(ctx: Auth.types.AuthContext, value: Any) -> Any:
        raise Auth.exceptions.HTTPException(status_code=404)

    custom = _custom(auth)
    assert await custom.authorize(ALICE, "threads", "read", {}) is None
    assert await custom.authorize(ALICE, "crons", "create", {}) == {"owner": "alice"}
    with pytest.raises(Forbidden):
        await custom.authorize(ALICE, "threads", "delete", {})
    with pytest.raises(NotFound):
        await custom.authorize(ALICE, "assistants", "read", {})
    assert calls == ["threads read", "global crons.create", "threads.delete"]


async def test_handler_errors_map_to_core_errors() -> None:
    auth = Auth()

    @auth.on
    async def by_status(ctx: Auth.types.AuthContext, value: Any) -> Any:
        raise Auth.exceptions.HTTPException(status_code=value["status"])

    custom = _custom(auth)
    with pytest.raises(Unauthorized):
        await custom.authorize(ALICE, "threads", "read", {"status": 401})
    with pytest.raises(Forbidden):
        await custom.authorize(ALICE, "threads", "read", {"status": 403})


async def test_a_bad_filter_operator_refuses() -> None:
    auth = Auth()

    @auth.on
    async def odd(ctx: Auth.types.AuthContext, value: Any) -> Any:
        return {"owner": {"$ne": "x"}}

    with pytest.raises(Forbidden):
        await _custom(auth).authorize(ALICE, "threads", "read", {})
