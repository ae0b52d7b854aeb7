"""While the server drains (core/drain.py), new HTTP requests get 503 with Retry-After."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interop.core.drain import RETRY_AFTER_SECONDS, SHUTDOWN_MESSAGE, Drain
from interop.rest.errors import error_response


class DrainGuard:
    """While draining, new HTTP requests get 503 with Retry-After (except /ok). A response that
    a shutdown cut short (sse-starlette cancels the streams it serves, the MCP SDK's among them,
    once uvicorn stops) gets its end here: the client sees a complete body, not a truncated
    chunk, and can resume with Last-Event-ID."""

    def __init__(self, app: ASGIApp, drain: Drain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.drain.draining and scope["path"] != "/ok":
            response = error_response(
                503,
                SHUTDOWN_MESSAGE,
                {"Retry-After": str(RETRY_AFTER_SECONDS), "Connection": "close"},
            )
            await response(scope, receive, send)
            return
        state = {"started": False, "ended": False}

        async def tracked(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                state["ended"] = True
            await send(message)

        await self.app(scope, receive, tracked)
        if state["started"] and not state["ended"] and self.drain.draining:
            await send({"type": "http.response.body", "body": b"", "more_body": False})
