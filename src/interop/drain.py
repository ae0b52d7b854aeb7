"""While the server drains (core/drain.py), new HTTP requests get 503 with Retry-After."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from interop.core.drain import RETRY_AFTER_SECONDS, SHUTDOWN_MESSAGE, Drain
from interop.rest.errors import error_response


class DrainGuard:
    """While draining, new HTTP requests get 503 with Retry-After (except /ok)."""

    def __init__(self, app: ASGIApp, drain: Drain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.drain.draining or scope["path"] == "/ok":
            await self.app(scope, receive, send)
            return
        response = error_response(
            503, SHUTDOWN_MESSAGE, {"Retry-After": str(RETRY_AFTER_SECONDS), "Connection": "close"}
        )
        await response(scope, receive, send)
