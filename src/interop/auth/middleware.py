"""The authentication step of every HTTP request: a bearer token (`--auth-token`) or the
config's custom `Auth` handler. Open paths (/ok, agent cards, OAuth metadata, the toolkit's
public files, the user's own `http.app` routes) are served without it."""

from __future__ import annotations

import hmac

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from interop.a2a import routes as a2a
from interop.auth.loader import AuthenticationFailed, CustomAuth
from interop.core import authz
from interop.mcp import http as mcp_http
from interop.rest.errors import error_response
from interop.toolkit import routes as toolkit

_OPEN_PATHS = frozenset({"/ok"})


def is_open(scope: Scope, open_routes: list[BaseRoute]) -> bool:
    """Whether the request needs no credentials."""
    return (
        scope["type"] != "http"
        or scope["path"] in _OPEN_PATHS
        or a2a.is_open_path(scope["path"])
        or scope["path"] in mcp_http.OPEN_PATHS
        or scope["path"] in toolkit.OPEN_PATHS
        # The routes of the user's `http.app` are the user's to protect (as in the reference).
        or any(route.matches(scope)[0] != Match.NONE for route in open_routes)
    )


async def _refuse(
    scope: Scope, receive: Receive, send: Send, failure: AuthenticationFailed
) -> None:
    if failure.status == 401 and mcp_http.is_mcp_path(scope["path"]):
        response = mcp_http.unauthorized(scope, scope["app"].state.settings)
    else:
        response = error_response(failure.status, failure.detail)
    response.headers.update(failure.headers)
    await response(scope, receive, send)


class BearerAuth:
    """Requires `Authorization: Bearer <token>` on every route but the open ones (401)."""

    def __init__(
        self, app: ASGIApp, token: str | None, open_routes: list[BaseRoute] | None = None
    ) -> None:
        self.app = app
        self.expected = token.encode() if token else None
        self.open_routes = open_routes or []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.expected is None or is_open(scope, self.open_routes):
            await self.app(scope, receive, send)
            return
        scheme, _, supplied = dict(scope["headers"]).get(b"authorization", b"").partition(b" ")
        # RFC 9110 §11.1: the auth scheme is case-insensitive.
        if scheme.lower() == b"bearer" and hmac.compare_digest(supplied.strip(), self.expected):
            await self.app(scope, receive, send)
            return
        failure = AuthenticationFailed(401, "Missing or invalid bearer token.", None)
        await _refuse(scope, receive, send, failure)


class Authenticate:
    """Runs the custom `authenticate` handler on every route but the open ones and serves the
    request as its caller (`authz.acting_as`); refuses with the handler's status."""

    def __init__(
        self, app: ASGIApp, auth: CustomAuth, open_routes: list[BaseRoute] | None = None
    ) -> None:
        self.app = app
        self.auth = auth
        self.open_routes = open_routes or []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_open(scope, self.open_routes):
            await self.app(scope, receive, send)
            return
        try:
            principal = await self.auth.authenticate(scope)
        except AuthenticationFailed as failure:
            await _refuse(scope, receive, send, failure)
            return
        caller = authz.Caller(principal, self.auth)
        scope[authz.SCOPE_KEY] = caller
        with authz.acting_as(caller):
            await self.app(scope, receive, send)
