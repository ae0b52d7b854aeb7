"""Host and Origin checks on every door (REST, A2A, MCP): DNS rebinding and cross-site requests.

A web page the user visits can send requests to a server on the user's loopback interface: with
its own origin (refused by the Origin allow-list) or, after rebinding its domain name to
127.0.0.1, with its own name in `Host` (refused by the Host allow-list). The allow-lists are
`allowed_hosts` / `allowed_origins` from the settings, else loopback on any port, plus the host
of `--public-url`. The checks run for a server bound to loopback, and for any server once the
lists are configured. A request without `Origin` is not from a browser page and passes that
check. `/mcp` applies the same lists once more through the MCP SDK's own transport security.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from interop.settings import LOOPBACK_HOSTS, Settings

HOST_REFUSED = 421  # the status the MCP SDK answers a foreign Host with
ORIGIN_REFUSED = 403


def is_json_type(content_type: str | None) -> bool:
    """True for `application/json` and `application/*+json` (parameters ignored). Every door
    requires it on a JSON body: a browser page sends other types cross-site with no preflight."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def allow_lists(settings: Settings) -> tuple[list[str], list[str]]:
    """(hosts, origins): the configured ones, else loopback (any port), plus the public URL's
    host. A trailing `:*` matches any port."""
    hosts = list(settings.allowed_hosts)
    origins = list(settings.allowed_origins)
    if not hosts:
        hosts = [h for base in LOOPBACK_HOSTS for h in (base, f"{base}:*")]
    if not origins:
        origins = [f"{scheme}://{h}:*" for scheme in ("http", "https") for h in LOOPBACK_HOSTS]
        origins += [f"{scheme}://{h}" for scheme in ("http", "https") for h in LOOPBACK_HOSTS]
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        if parts.netloc:
            hosts.append(parts.netloc)
            if parts.hostname and parts.hostname != parts.netloc:
                hosts.append(parts.hostname)
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return hosts, origins


def matches(value: str, patterns: list[str]) -> bool:
    """`value` equals a pattern, or a `prefix:*` pattern with a numeric port."""
    lowered = value.lower()
    for pattern in patterns:
        pattern = pattern.lower()
        if pattern == "*" or pattern == lowered:
            return True
        if pattern.endswith(":*"):
            head, _, port = lowered.rpartition(":")
            if head == pattern[:-2] and port.isdigit():
                return True
    return False


class HostOriginGuard:
    """ASGI middleware refusing a foreign `Host` (421) or `Origin` (403) with a JSON error:
    `{"detail": ...}`, or a JSON-RPC error on the JSON-RPC doors (/a2a, /mcp)."""

    def __init__(
        self, app: ASGIApp, settings: Settings, cors: dict[str, Any] | None = None
    ) -> None:
        self.app = app
        hosts, origins = allow_lists(settings)
        loopback = settings.is_loopback()
        self.hosts = hosts if loopback or settings.allowed_hosts else None
        self.origins = origins if loopback or settings.allowed_origins else None
        # Origins the project's `http.cors` lets in are origins the user trusts: a page there
        # may call this server (`*` included, as the user asked).
        if self.origins is not None and cors is not None:
            self.origins = [*self.origins, *cors.get("allow_origins", [])]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self.refusal(scope)
            if refusal is not None:
                status, message = refusal
                await _refuse(scope, send, status, message)
                return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = dict(scope["headers"])
        if self.hosts is not None:
            host = headers.get(b"host", b"").decode("latin-1")
            if not matches(host, self.hosts):
                return HOST_REFUSED, "Host header not allowed."
        origin = headers.get(b"origin")
        if (
            self.origins is not None
            and origin is not None
            and not matches(origin.decode("latin-1"), self.origins)
        ):
            return ORIGIN_REFUSED, "Origin not allowed."
        return None


async def _refuse(scope: Scope, send: Send, status: int, message: str) -> None:
    path: str = scope["path"]
    if path.startswith(("/a2a/", "/mcp")):
        body: dict[str, object] = {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32600, "message": message},
        }
    else:
        body = {"detail": message}
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
