"""A `langgraph_sdk.Auth` object as interop runs it: its `@auth.authenticate` handler turns a
request into a `Principal`, its `@auth.on...` handlers answer the core's `Policy`.

The contract is the LangGraph Agent Server's custom auth:
- `authenticate` asks for any of request, scope, path, method, path_params, query_params,
  headers (bytes to bytes, lower-case names), authorization (the header, or None) by parameter
  name; it returns a user id, a dict with `identity` (and `permissions`, `display_name`), or an
  object with those attributes. `Auth.exceptions.HTTPException` refuses with its status.
- handlers are looked up most specific first: (resource, action), (resource, *), (*, action),
  then the global `@auth.on`. A handler returns None/True (allowed), False (403) or a filter
  dict; it may change `value` (stamp metadata on create).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langgraph_sdk import Auth
from langgraph_sdk.auth.exceptions import HTTPException
from langgraph_sdk.auth.types import AuthContext
from starlette.requests import Request
from starlette.routing import Match
from starlette.types import Scope

from interop.auth.config import AuthConfig
from interop.core.authz import Filters, Principal
from interop.core.errors import (
    Conflict,
    Forbidden,
    InteropError,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from interop.core.graphs import ConfigError, import_location

log = logging.getLogger("interop.auth")

_AUTH_PARAMS = frozenset(
    {
        "request",
        "scope",
        "path",
        "method",
        "path_params",
        "query_params",
        "headers",
        "authorization",
    }
)
_ERRORS: dict[int, type[InteropError]] = {
    401: Unauthorized,
    404: NotFound,
    409: Conflict,
    400: InvalidInput,
    422: InvalidInput,
}
_OPERATORS = frozenset({"$eq", "$contains"})


class AuthenticationFailed(Exception):
    """The authenticate handler refused the request: answer `status` with `detail`."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})


@dataclass(slots=True)
class User:
    """The user the handlers see as `ctx.user`: attributes, and item access as for a dict."""

    identity: str
    permissions: tuple[str, ...]
    display_name: str
    is_authenticated: bool
    fields: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    def __contains__(self, key: object) -> bool:
        return key in self.fields

    def __iter__(self) -> Any:
        return iter(self.fields)


Handler = Callable[..., Awaitable[Any]]


class CustomAuth:
    """The user's `Auth` object, run as interop's authentication step and policy."""

    def __init__(self, auth: Auth, config: AuthConfig) -> None:
        self.auth = auth
        self.config = config
        self._authenticate: Handler | None = auth._authenticate_handler
        self._wants: frozenset[str] = frozenset()
        if self._authenticate is not None:
            self._wants = _parameters(self._authenticate)
        self._handlers: dict[tuple[str, str], Handler | None] = {}

    # -- authentication -----------------------------------------------------------------------

    async def authenticate(self, scope: Scope) -> Principal:
        """The caller of the request `scope`. Raises AuthenticationFailed."""
        if self._authenticate is None:
            return Principal(identity="", user=_user({"identity": "", "is_authenticated": False}))
        try:
            result = await self._authenticate(**self._arguments(scope))
        except HTTPException as exc:
            raise AuthenticationFailed(exc.status_code, exc.detail, exc.headers) from None
        if result is None:
            raise AuthenticationFailed(401, "Unauthorized", None)
        return _principal(result)

    def _arguments(self, scope: Scope) -> dict[str, Any]:
        headers = {name.lower(): value for name, value in scope["headers"]}
        request = Request(scope)
        available: dict[str, Callable[[], Any]] = {
            "request": lambda: request,
            "scope": lambda: scope,
            "path": lambda: scope["path"],
            "method": lambda: scope["method"],
            "path_params": lambda: _path_params(scope),
            "query_params": lambda: dict(request.query_params),
            "headers": lambda: headers,
            "authorization": lambda: (
                headers[b"authorization"].decode("latin-1") if b"authorization" in headers else None
            ),
        }
        return {name: available[name]() for name in self._wants}

    # -- authorization (the core's Policy) ----------------------------------------------------

    async def authorize(
        self, principal: Principal, resource: str, action: str, value: dict[str, Any]
    ) -> Filters | None:
        handler = self._handler(resource, action)
        if handler is None:
            return None
        ctx = AuthContext(
            permissions=list(principal.permissions),
            user=principal.user,
            resource=resource,  # type: ignore[arg-type]
            action=action,  # type: ignore[arg-type]
        )
        try:
            result = await handler(ctx=ctx, value=value)
        except HTTPException as exc:
            raise _ERRORS.get(exc.status_code, Forbidden)(exc.detail) from None
        if result is None or result is True:
            return None
        if result is False:
            raise Forbidden(f"Not allowed to {action} {resource}.")
        if isinstance(result, dict):
            return _checked_filters(result, handler)
        log.error(
            "auth handler %r returned %r: expected None, a bool or a filter dict", handler, result
        )
        raise Forbidden(f"Not allowed to {action} {resource}.")

    def _handler(self, resource: str, action: str) -> Handler | None:
        key = (resource, action)
        if key not in self._handlers:
            found: Handler | None = None
            for candidate in (key, (resource, "*"), ("*", action)):
                handlers = self.auth._handlers.get(candidate)
                if handlers:
                    found = handlers[-1]
                    break
            if found is None and self.auth._global_handlers:
                found = self.auth._global_handlers[-1]
            self._handlers[key] = found
        return self._handlers[key]


def load(config: AuthConfig) -> CustomAuth | None:
    """The `Auth` object `config.path` names (None when it names none). Raises ConfigError."""
    if config.path is None:
        return None
    location, _, attr = config.path.rpartition(":")
    module = import_location("auth.path", location, config.base)
    auth = getattr(module, attr, None)
    if not isinstance(auth, Auth):
        raise ConfigError(
            f"auth.path: {config.path} is a {type(auth).__name__}, not a langgraph_sdk.Auth"
        )
    if auth._authenticate_handler is None:
        log.warning(
            "auth.path: %s has no @auth.authenticate: every caller is anonymous", config.path
        )
    else:
        unknown = _parameters(auth._authenticate_handler, strict=False) - _AUTH_PARAMS
        if unknown:
            raise ConfigError(
                f"auth.path: the authenticate handler asks for {', '.join(sorted(unknown))};"
                f" it may ask for {', '.join(sorted(_AUTH_PARAMS))}"
            )
    return CustomAuth(auth, config)


def _parameters(fn: Callable[..., Any], *, strict: bool = True) -> frozenset[str]:
    """The names `fn` takes: with `strict`, those interop can give (the rest keep defaults);
    else the required ones."""
    params = inspect.signature(fn).parameters.values()
    if strict:
        return frozenset(p.name for p in params if p.name in _AUTH_PARAMS)
    return frozenset(p.name for p in params if p.default is inspect.Parameter.empty)


def _path_params(scope: Scope) -> dict[str, Any]:
    """The path parameters of the route the request will reach (authentication runs before
    routing)."""
    app = scope.get("app")
    router = getattr(app, "router", None)
    for route in getattr(router, "routes", []):
        match, child = route.matches(scope)
        if match == Match.FULL:
            return dict(child.get("path_params", {}))
    return {}


def _user(fields: dict[str, Any]) -> User:
    permissions = tuple(str(p) for p in fields.get("permissions") or ())
    identity = str(fields["identity"])
    return User(
        identity=identity,
        permissions=permissions,
        display_name=str(fields.get("display_name") or identity),
        is_authenticated=bool(fields.get("is_authenticated", True)),
        fields={**fields, "permissions": list(permissions)},
    )


def _principal(result: Any) -> Principal:
    """The caller an authenticate handler's answer describes."""
    if isinstance(result, str):
        user: Any = _user({"identity": result})
    elif isinstance(result, Mapping):
        if not isinstance(result.get("identity"), str):
            log.error("the authenticate handler returned a dict without a string 'identity'")
            raise AuthenticationFailed(500, "Authentication handler error.", None)
        user = _user(dict(result))
    elif isinstance(getattr(result, "identity", None), str):
        user = result
    else:
        log.error("the authenticate handler returned %r: expected a str, dict or user", result)
        raise AuthenticationFailed(500, "Authentication handler error.", None)
    permissions: Sequence[str] = getattr(user, "permissions", ()) or ()
    fields = user.fields if isinstance(user, User) else {}
    return Principal(
        identity=user.identity,
        permissions=tuple(str(p) for p in permissions),
        user=user,
        display_name=str(getattr(user, "display_name", "") or user.identity),
        fields={k: v for k, v in fields.items() if _is_json(v)},
    )


def _is_json(value: Any) -> bool:
    """Whether `value` is plain JSON (what a run's stored config can hold)."""
    if value is None or isinstance(value, str | int | float | bool):
        return True
    if isinstance(value, list | tuple):
        return all(_is_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    return False


def _checked_filters(filters: dict[str, Any], handler: Handler) -> Filters:
    for key, condition in filters.items():
        operators = (
            {k for k in condition if k.startswith("$")} if isinstance(condition, dict) else set()
        )
        if operators and not (len(condition) == 1 and operators <= _OPERATORS):
            log.error("auth handler %r: filter %r: operators are $eq and $contains", handler, key)
            raise Forbidden("Not allowed.")
    return filters
