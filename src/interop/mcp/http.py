"""The /mcp endpoint as ASGI, its transport security settings and its auth metadata.

`/mcp` and `/mcp/` are the same endpoint (no redirect). The SDK validates `Host` (421) and
`Origin` (403) against allow-lists: loopback by default, extended with the `--public-url` host.
With a bearer token configured, a 401 on /mcp carries `WWW-Authenticate` naming the OAuth
protected-resource metadata (RFC 9728), served at `/.well-known/oauth-protected-resource`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from interop.mcp.screen import screen
from interop.settings import Settings
from interop.transport_security import allow_lists

if TYPE_CHECKING:  # the SDK is imported when the door starts (see interop.mcp.lazy)
    from mcp.server.transport_security import TransportSecuritySettings

MCP_PATH = "/mcp"
METADATA_PATH = "/.well-known/oauth-protected-resource"
OPEN_PATHS = frozenset({METADATA_PATH, METADATA_PATH + MCP_PATH})


def security_settings(settings: Settings) -> TransportSecuritySettings:
    """The SDK's Host and Origin checks, on the allow-lists of every door."""
    from mcp.server.transport_security import TransportSecuritySettings

    hosts, origins = allow_lists(settings)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def base_url(settings: Settings, scope: Scope) -> str:
    return settings.base_url()


class Endpoint:
    """The ASGI app of /mcp: hands the request to the door the lifespan started."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # RFC 9110 §5.5: a field value excludes surrounding whitespace; the SDK compares the
        # MCP routing headers byte for byte, so they are trimmed here.
        scope = dict(scope)
        scope["headers"] = [
            (name, value.strip(b" \t") if name.startswith(b"mcp-") else value)
            for name, value in scope["headers"]
        ]
        settings: Settings = scope["app"].state.settings
        screened = await screen(scope, receive, send, settings.max_body_bytes)
        if screened is not None:
            await scope["app"].state.mcp.handle(scope, screened, send)


async def protected_resource(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    base = base_url(settings, request.scope)
    body: dict[str, Any] = {
        "resource": base + MCP_PATH,
        "bearer_methods_supported": ["header"],
        "resource_name": "interop MCP endpoint",
    }
    if settings.mcp_authorization_servers:
        body["authorization_servers"] = list(settings.mcp_authorization_servers)
    return Response(orjson.dumps(body), media_type="application/json")


def unauthorized(scope: Scope, settings: Settings) -> Response:
    """The 401 for /mcp: a JSON-RPC error without id, and where to find the metadata."""
    metadata = base_url(settings, scope) + METADATA_PATH
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": "Unauthorized"}}
    return Response(
        orjson.dumps(body),
        status_code=401,
        media_type="application/json",
        headers={"WWW-Authenticate": f'Bearer resource_metadata="{metadata}"'},
    )


def is_mcp_path(path: str) -> bool:
    return path in (MCP_PATH, MCP_PATH + "/")


def routes() -> list[Route]:
    return [
        Route(MCP_PATH, Endpoint()),
        Route(MCP_PATH + "/", Endpoint()),
        Route(METADATA_PATH, protected_resource, methods=["GET"]),
        Route(METADATA_PATH + MCP_PATH, protected_resource, methods=["GET"]),
    ]
