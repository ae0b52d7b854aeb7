"""`create_app(settings)`: wires storage, broker, services and the front doors into one ASGI app."""

from __future__ import annotations

import contextlib
import hmac
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import swagger_ui
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from interop import heap
from interop.a2a import routes as a2a
from interop.core.assistants import AssistantService
from interop.core.events import InProcessBroker
from interop.core.graphs import BUNDLED_CONFIG, GraphEntry, load_graphs, read_config
from interop.core.runs import RunService
from interop.core.threads import ThreadService
from interop.mcp import http as mcp_http
from interop.mcp.lazy import LazyMcpDoor
from interop.rest.errors import EXCEPTION_HANDLERS, error_response
from interop.rest.openapi import build_openapi, docs_endpoint, openapi_endpoint
from interop.rest.routes import router
from interop.settings import Settings
from interop.storage import open_storage
from interop.transport_security import HostOriginGuard

log = logging.getLogger("interop")

_OPEN_PATHS = frozenset({"/ok"})


class BearerAuth:
    """Requires `Authorization: Bearer <token>` on every HTTP route except /ok and the A2A agent
    cards (401 otherwise)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.expected = token.encode() if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.expected is None
            or scope["type"] != "http"
            or scope["path"] in _OPEN_PATHS
            or a2a.is_open_path(scope["path"])
            or scope["path"] in mcp_http.OPEN_PATHS
        ):
            await self.app(scope, receive, send)
            return
        scheme, _, supplied = dict(scope["headers"]).get(b"authorization", b"").partition(b" ")
        # RFC 9110 §11.1: the auth scheme is case-insensitive.
        if scheme.lower() == b"bearer" and hmac.compare_digest(supplied.strip(), self.expected):
            await self.app(scope, receive, send)
            return
        if mcp_http.is_mcp_path(scope["path"]):
            await mcp_http.unauthorized(scope, scope["app"].state.settings)(scope, receive, send)
            return
        response = error_response(401, "Missing or invalid bearer token.")
        await response(scope, receive, send)


def load_agents(settings: Settings) -> dict[str, GraphEntry]:
    """The graphs of the config file the settings name (or find), else the bundled examples."""
    path = settings.resolve_config()
    config = read_config(path if path is not None else BUNDLED_CONFIG)
    if path is None:
        log.info("no interop.json or langgraph.json here: serving the bundled example agents")
    else:
        log.info("loading graphs from %s", path)
    return load_graphs(config)


def create_app(settings: Settings, graphs: dict[str, GraphEntry] | None = None) -> Starlette:
    """The interop ASGI app. Storage opens and workers start in the lifespan."""
    agents = graphs if graphs is not None else load_agents(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        storage = await open_storage(settings.database)
        broker = InProcessBroker()
        assistants = AssistantService(storage, agents)
        threads = ThreadService(storage, assistants)
        runs = RunService(
            storage,
            broker,
            assistants,
            threads,
            workers=settings.workers_per_process,
            run_timeout=settings.run_timeout,
        )
        threads.runs = runs
        await assistants.ensure_system_assistants()
        app.state.storage = storage
        app.state.assistants = assistants
        app.state.threads = threads
        app.state.runs = runs
        app.state.a2a = a2a.start(settings, agents, assistants, threads, runs)
        mcp_door = LazyMcpDoor(app, settings, assistants, threads, runs)
        app.state.mcp = (
            mcp_door  # replaced by the door itself once the first /mcp request starts it
        )
        await runs.start()
        heap.settle("startup")
        log.info("serving graphs: %s", ", ".join(sorted(agents)))
        for line in getattr(app.state, "banner", []):
            log.info("%s", line)
        try:
            yield
        finally:
            await mcp_door.close()
            await runs.stop()
            await app.state.a2a.close()
            await storage.close()

    routes = [
        *router.routes(),
        *a2a.routes(),
        *mcp_http.routes(),
        Route("/openapi.json", openapi_endpoint, methods=["GET"]),
        Route("/docs", docs_endpoint, methods=["GET"]),
        Mount(
            "/docs/static",
            app=StaticFiles(directory=str(Path(swagger_ui.__file__).parent / "static")),
        ),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(HostOriginGuard, settings=settings),
            Middleware(BearerAuth, token=settings.auth_token),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.graphs = agents
    app.state.openapi = build_openapi(router.specs, agents)
    return app
