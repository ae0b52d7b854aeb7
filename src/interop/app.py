"""`create_app(settings)`: wires storage, broker, services and the front doors into one ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import swagger_ui
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from interop import auth as custom_auth
from interop import heap, http_config
from interop.a2a import routes as a2a
from interop.brokers import describe, open_broker
from interop.brokers.memory import InProcessBroker
from interop.core import store as store_config
from interop.core import thread_ttl
from interop.core import webhooks as webhook_config
from interop.core.assistants import AssistantService
from interop.core.cron_runner import CronRunner
from interop.core.crons import CronService
from interop.core.drain import Drain
from interop.core.events import ASSISTANTS_CHANGED, ORIGIN, EventBroker
from interop.core.graphs import BUNDLED_CONFIG, GraphEntry, load_graphs, read_config
from interop.core.ports import RunPorts
from interop.core.records import RecordService
from interop.core.runs import RunService
from interop.core.scheduler import Scheduler
from interop.core.shared_queue import SharedScheduler
from interop.core.threads import ThreadService
from interop.drain import DrainGuard
from interop.mcp import http as mcp_http
from interop.mcp.lazy import LazyMcpDoor
from interop.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from interop.rest import wire
from interop.rest.errors import EXCEPTION_HANDLERS
from interop.rest.openapi import build_openapi, docs_endpoint, openapi_endpoint
from interop.rest.routes import router
from interop.settings import Settings
from interop.storage import open_storage
from interop.toolkit import routes as toolkit
from interop.transport_security import HostOriginGuard

log = logging.getLogger("interop")


def load_agents(settings: Settings) -> dict[str, GraphEntry]:
    """The graphs of the config file the settings name (or find), else the bundled examples."""
    path = settings.resolve_config()
    config = read_config(path if path is not None else BUNDLED_CONFIG)
    if path is None:
        log.info("no interop.json or langgraph.json here: serving the bundled example agents")
    else:
        log.info("loading graphs from %s", path)
    http_config.parse(config.raw.get("http"), path)  # a bad `http` section stops here
    store_config.parse(config.raw.get("store"), path)  # and a bad `store` section
    webhook_config.parse(config.raw.get("webhooks"), path)  # and a bad `webhooks` section
    thread_ttl.parse(config.raw.get("checkpointer"), path)  # and a bad `checkpointer.ttl`
    return load_graphs(config)


def load_auth(settings: Settings) -> custom_auth.CustomAuth | None:
    """The config's custom `Auth` handler (None without one). Raises ConfigError."""
    path = settings.resolve_config()
    if path is None:
        return None
    config = custom_auth.parse(read_config(path).raw.get("auth"), path)
    return custom_auth.load(config) if config is not None else None


def authentication(
    settings: Settings, auth: custom_auth.CustomAuth | None, user_routes: list[BaseRoute]
) -> Middleware:
    """The custom handler when the config names one (it takes over from `--auth-token`, which
    is then ignored with a warning), else the bearer token (a no-op without one)."""
    if auth is None:
        return Middleware(
            custom_auth.BearerAuth, token=settings.auth_token, open_routes=user_routes
        )
    if settings.auth_token:
        log.warning(
            "the config's custom auth handler authenticates requests: --auth-token is ignored"
        )
    return Middleware(custom_auth.Authenticate, auth=auth, open_routes=user_routes)


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
    auth = load_auth(settings)
    user_app = http_config.load_user_app(http)
    metrics = Metrics()
    store = store_config.load(settings.resolve_config())
    webhook_policy = webhook_config.load(settings.resolve_config())
    ttl_config = thread_ttl.load(settings.resolve_config())
    drain = Drain()  # begun by the server's signal handler (cli.py)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        storage = await open_storage(settings.database, store)
        broker = await open_broker(settings.redis)
        log.info("event broker: %s", describe(settings.redis))
        assistants = AssistantService(storage, agents)
        # Other processes' caches of the assistant list (MCP tools) follow this one's changes.
        assistants.add_listener(_signaller(broker, ASSISTANTS_CHANGED))
        # Stateless runs stay in this process: their events too, even when Redis is shared.
        local = None if isinstance(broker, InProcessBroker) else InProcessBroker()
        ports = RunPorts(
            storage,
            broker,
            assistants.graph,
            run_timeout=settings.run_timeout,
            local_broker=local,
        )
        scheduler = (
            SharedScheduler(
                ports,
                workers=settings.workers_per_process,
                max_waiting=settings.max_queued_runs,
                lease=settings.run_lease_seconds,
                poll=min(5.0, settings.run_lease_seconds / 2),
            )
            if settings.shared_queue
            else Scheduler(
                ports,
                workers=settings.workers_per_process,
                max_waiting=settings.max_queued_runs,
            )
        )
        threads = ThreadService(storage, assistants, scheduler)
        runs = RunService(scheduler, assistants, threads)
        runs.drain = drain
        runs.add_listener(metrics.on_run)
        webhooks = webhook_config.Webhooks(webhook_policy, describe=wire.run)
        runs.check_webhook = webhooks.check
        runs.add_listener(webhooks.on_run)
        metrics.watch_queue(runs.load)
        await assistants.ensure_system_assistants()
        app.state.storage = storage
        app.state.assistants = assistants
        app.state.threads = threads
        app.state.runs = runs
        app.state.crons = CronService(storage, assistants, runs)
        cron_runner = CronRunner(app.state.crons, interval=settings.cron_interval)
        records = RecordService(storage)
        app.state.a2a = a2a.start(
            settings,
            agents,
            assistants,
            threads,
            runs,
            records,
            auth.config.openapi if auth is not None else None,
        )
        mcp_door = LazyMcpDoor(app, settings, assistants, threads, runs, records)
        app.state.mcp = (
            mcp_door  # replaced by the door itself once the first /mcp request starts it
        )
        await runs.start()
        cron_runner.start()
        ttl = thread_ttl.ThreadTtl(ttl_config, storage, threads.delete)
        threads.ttl = ttl
        ttl.start()
        heap.settle("startup")
        in_memory = local if local is not None else broker
        sweep = in_memory.sweep if isinstance(in_memory, InProcessBroker) else lambda: None
        trimmer = asyncio.get_running_loop().create_task(
            heap.trim_when_idle(lambda: metrics.handled, sweep)
        )
        log.info("serving graphs: %s", ", ".join(sorted(agents)))
        for line in getattr(app.state, "banner", []):
            log.info("%s", line)
        try:
            yield
        finally:
            await cron_runner.stop()
            trimmer.cancel()
            await mcp_door.close()
            await ttl.stop()
            await runs.stop()
            await app.state.a2a.close()
            await webhooks.close()
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
            Middleware(http_config.RunHeaders, selected=http.headers),
            authentication(settings, auth, user_routes),
        ],
        lifespan=http_config.lifespan_with_user_app(lifespan, user_app),
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.drain = drain
    app.state.toolkit = toolkit.load_config(settings.resolve_config())
    app.state.graphs = agents
    app.state.openapi = custom_auth.document(
        build_openapi(router.specs, agents, webhook=webhook_policy.schema()),
        auth.config if auth is not None else None,
    )
    return app
