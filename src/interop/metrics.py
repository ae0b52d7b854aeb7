"""`GET /metrics`: Prometheus text exposition through `prometheus_client`.

What is measured, per process:
- `interop_http_requests_total{door, code}`: requests by front door (rest, a2a, mcp, meta,
  other) and status class (2xx, 4xx, ...);
- `interop_active_streams{door}`: event-stream responses open now;
- `interop_runs_total{status}`: runs ended, by final status;
- `interop_run_duration_seconds{status}`: from a run's start (its creation, for a run that never
  started) to its end;
- `interop_run_queue_depth` and `interop_runs_running`: runs waiting and running in this process.

The hot path pays a dict lookup and an increment per request (label children are cached) and
one per run event; queue figures are read at scrape time only.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from interop.core.ids import now
from interop.core.models import Run, RunOutcome

_REST = frozenset({"assistants", "threads", "runs", "store"})
_META = frozenset({"", "ok", "info", "metrics", "docs", "openapi.json"})
_DURATION_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)


def door_of(path: str) -> str:
    """The front door a request path belongs to."""
    head = path[1:].split("/", 1)[0]
    if head in _REST:
        return "rest"
    if head == "a2a" or path.startswith("/.well-known/agent"):
        return "a2a"
    if head == "mcp" or path.startswith("/.well-known/oauth-protected-resource"):
        return "mcp"
    if head in _META:
        return "meta"
    return head if head == "toolkit" else "other"


class Metrics:
    """One process's metrics, in their own registry (several apps may live in one process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.handled = 0
        self.requests = Counter(
            "interop_http_requests",
            "HTTP requests by front door and status class.",
            ["door", "code"],
            registry=self.registry,
        )
        self.streams = Gauge(
            "interop_active_streams",
            "Event-stream (SSE) responses open now, by front door.",
            ["door"],
            registry=self.registry,
        )
        self.runs = Counter(
            "interop_runs", "Runs ended, by final status.", ["status"], registry=self.registry
        )
        self.duration = Histogram(
            "interop_run_duration_seconds",
            "Run duration from start to end, by final status.",
            ["status"],
            buckets=_DURATION_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "interop_run_queue_depth", "Runs waiting in this process.", registry=self.registry
        )
        self.running = Gauge(
            "interop_runs_running", "Runs executing in this process.", registry=self.registry
        )
        self._request_children: dict[tuple[str, int], Counter] = {}
        self._status_children: dict[str, tuple[Counter, Histogram]] = {}
        self._started: dict[str, float] = {}

    def watch_queue(self, load: Callable[[], tuple[int, int]]) -> None:
        """Read (waiting, running) from `load` at every scrape."""
        self.queue_depth.set_function(lambda: float(load()[0]))
        self.running.set_function(lambda: float(load()[1]))

    def count_request(self, door: str, status: int) -> None:
        self.handled += 1  # read by heap.trim_when_idle
        key = (door, status // 100)
        child = self._request_children.get(key)
        if child is None:
            child = self.requests.labels(door, f"{key[1]}xx")
            self._request_children[key] = child
        child.inc()

    async def on_run(self, run: Run, outcome: RunOutcome | None) -> None:
        """A RunService listener: a run started (outcome None) or ended."""
        if outcome is None:
            self._started[run.run_id] = time.monotonic()
            return
        started = self._started.pop(run.run_id, None)
        if started is not None:
            elapsed = time.monotonic() - started
        else:
            elapsed = max(0.0, (now() - run.created_at).total_seconds())
        children = self._status_children.get(outcome.status)
        if children is None:
            children = (self.runs.labels(outcome.status), self.duration.labels(outcome.status))
            self._status_children[outcome.status] = children
        children[0].inc()
        children[1].observe(elapsed)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


async def metrics_endpoint(request: Request) -> Response:
    metrics: Metrics = request.app.state.metrics
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts requests per door and status class, and the event streams open per door."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        door = door_of(scope["path"])
        status = 500
        streaming = False
        streams = self.metrics.streams

        async def counted(message: Message) -> None:
            nonlocal status, streaming
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name == b"content-type" and value.startswith(b"text/event-stream"):
                        streaming = True
                        streams.labels(door).inc()
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            if streaming:
                streams.labels(door).dec()
            self.metrics.count_request(door, status)
