"""`create_app(settings)`: wires storage, broker, services and the front doors into one ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import swagger_ui
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from interop import heap, http_config
from interop.a2a import routes as a2a
from interop.brokers import describe, open_broker
from interop.brokers.memory import InProcessBroker
from interop.core.assistants import AssistantService
from interop.core.drain import Drain
from interop.core.events import ASSISTANTS_CHANGED, ORIGIN, EventBroker
from interop.core.graphs import BUNDLED_CONFIG, GraphEntry, load_graphs, read_config
from interop.core.ports import RunPorts
from interop.core.runs import RunService
from interop.core.scheduler import Scheduler
from interop.core.threads import ThreadService
from interop.drain import DrainGuard
from interop.mcp import http as mcp_http
from interop.mcp.lazy import LazyMcpDoor
from interop.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from interop.rest.errors import EXCEPTION_HANDLERS, error_response
from interop.rest.openapi import build_openapi, docs_endpoint, openapi_endpoint
from interop.rest.routes import router
from interop.settings import Settings
from interop.storage import open_storage
from interop.toolkit import routes as toolkit
from interop.transport_security import HostOriginGuard

log = logging.getLogger("interop")

_OPEN_PATHS = frozenset({"/ok"})


class BearerAuth:
    """Requires `Authorization: Bearer <token>` on every HTTP route except /ok and the A2A agent
    cards (401 otherwise)."""

    def __init__(
        self, app: ASGIApp, token: str | None, open_routes: list[BaseRoute] | None = None
    ) -> None:
        self.app = app
        self.expected = token.encode() if token else None
        # The routes of the user's `http.app` are the user's to protect (as in the reference).
        self.open_routes = open_routes or []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.expected is None
            or scope["type"] != "http"
            or scope["path"] in _OPEN_PATHS
            or a2a.is_open_path(scope["path"])
            or scope["path"] in mcp_http.OPEN_PATHS
            or scope["path"] in toolkit.OPEN_PATHS
            or any(route.matches(scope)[0] != Match.NONE for route in self.open_routes)
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
    http_config.parse(config.raw.get("http"), path)  # a bad `http` section stops here
    return load_graphs(config)


def _signaller(broker: EventBroker, topic: str) -> Callable[[], None]:
    """A listener that sends `topic` (payload: this process) through the broker."""
    sending: set[asyncio.Task[None]] = set()

    def sent(task: asyncio.Task[None]) -> None:
        sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("cannot send the %r signal: %s", topic, task.exception())

    def send() -> None:
        task = asyncio.get_running_loop().create_task(broker.signal(topic, ORIGIN))
        sending.add(task)
        task.add_done_callback(sent)

    return send


def create_app(settings: Settings, graphs: dict[str, GraphEntry] | None = None) -> Starlette:
    """The interop ASGI app. Storage opens and workers start in the lifespan."""
    agents = graphs if graphs is not None else load_agents(settings)
    http = http_config.load(settings.resolve_config())
    user_app = http_config.load_user_app(http)
    metrics = Metrics()
    drain = Drain()  # begun by the server's signal handler (cli.py)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        storage = await open_storage(settings.database)
        broker = await open_broker(settings.redis)
        log.info("event broker: %s", describe(settings.redis))
        assistants = AssistantService(storage, agents)
        # Other processes' caches of the assistant list (MCP tools) follow this one's changes.
        assistants.add_listener(_signaller(broker, ASSISTANTS_CHANGED))
        scheduler = Scheduler(
            RunPorts(storage, broker, assistants.graph, run_timeout=settings.run_timeout),
            workers=settings.workers_per_process,
        )
        threads = ThreadService(storage, assistants, scheduler)
        runs = RunService(scheduler, assistants, threads)
        runs.drain = drain
        runs.add_listener(metrics.on_run)
        metrics.watch_queue(runs.load)
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
        sweep = broker.sweep if isinstance(broker, InProcessBroker) else lambda: None
        trimmer = asyncio.get_running_loop().create_task(
            heap.trim_when_idle(lambda: metrics.handled, sweep)
        )
        log.info("serving graphs: %s", ", ".join(sorted(agents)))
        for line in getattr(app.state, "banner", []):
            log.info("%s", line)
        try:
            yield
        finally:
            trimmer.cancel()
            await mcp_door.close()
            await runs.stop()
            await app.state.a2a.close()
            await broker.aclose()
            await storage.close()

    api = [
        *router.routes(),
        *toolkit.routes(),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/openapi.json", openapi_endpoint, methods=["GET"]),
        Route("/docs", docs_endpoint, methods=["GET"]),
        Mount(
            "/docs/static",
            app=StaticFiles(directory=str(Path(swagger_ui.__file__).parent / "static")),
        ),
    ]
    routes = http_config.assemble(
        http, api=api, a2a=a2a.routes(), mcp=mcp_http.routes(), user_app=user_app
    )
    user_routes = list(user_app.routes) if user_app is not None else []
    app = Starlette(
        routes=routes,
        exception_handlers={
            **(user_app.exception_handlers if user_app is not None else {}),
            **EXCEPTION_HANDLERS,
        },
        middleware=[
            Middleware(DrainGuard, drain=drain),
            Middleware(MetricsMiddleware, metrics=metrics),
            *http_config.middleware(http, user_app),
            Middleware(HostOriginGuard, settings=settings, cors=http.cors),
            Middleware(BearerAuth, token=settings.auth_token, open_routes=user_routes),
        ],
        lifespan=http_config.lifespan_with_user_app(lifespan, user_app),
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.drain = drain
    app.state.header_filter = http.headers
    app.state.toolkit = toolkit.load_config(settings.resolve_config())
    app.state.graphs = agents
    app.state.openapi = build_openapi(router.specs, agents)
    return app
