"""The ceiling: a bare Starlette app whose one endpoint echoes its JSON body.

Nothing a real server does (validation, storage, run execution) happens here, so its
requests/s on this machine bound what any Python ASGI server can reach on the same stack.
Run with uvicorn exactly as the server under test is (see `ceiling.py`).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def echo(request: Request) -> Response:
    return JSONResponse(await request.json())


async def ok(request: Request) -> Response:
    return JSONResponse({"ok": True})


app = Starlette(routes=[Route("/echo", echo, methods=["POST"]), Route("/ok", ok)])
