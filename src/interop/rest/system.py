"""REST: health and server information."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from interop import __version__
from interop.rest.routing import (
    Router,
    json_ok,
)

router = Router()
route = router.route


@route("GET", "/ok", summary="Health check", tag="System")
async def ok(request: Request) -> Response:
    return json_ok({"ok": True})


@route("GET", "/info", summary="Server version and feature flags", tag="System")
async def info(request: Request) -> Response:
    return json_ok(
        {
            "version": __version__,
            "server": "interop",
            "flags": {
                "assistants": True,
                "crons": False,
                "store": False,
                "langsmith": False,
                "a2a": True,
                "mcp": True,
            },
            "host": {"kind": "self-hosted"},
        }
    )
