"""Server-sent events for run streams, framed as the reference server frames them.

Records are `event:`/`data:`/`id:` lines ending CRLF; the first record is `metadata`; a
`: heartbeat` comment goes out while the stream is idle; the stream closes after the run's
last event. Framing is written here (pre-encoded bytes, one copy of the JSON) and sent through
sse-starlette, which owns the heartbeat, disconnect detection and shutdown handling.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request

from interop.core import serde
from interop.core.errors import Unavailable
from interop.core.events import FROM_START, parse_event_id
from interop.core.models import StreamEvent
from interop.rest.errors import RequestError

log = logging.getLogger("interop.rest")


def encode(event: StreamEvent, *, with_id: bool = True) -> bytes:
    """One SSE record; `data` is compact JSON and so has no raw newline."""
    head = b"event: " + event.event.encode() + b"\r\ndata: " + event.data + b"\r\n"
    if with_id:
        head += b"id: " + event.id.encode() + b"\r\n"
    return head + b"\r\n"


async def for_at_most(
    events: AsyncIterator[StreamEvent], seconds: float | None
) -> AsyncIterator[StreamEvent]:
    """`events` until they end or `seconds` have passed (None: no bound); closes `events`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds if seconds is not None else float("inf")
    try:
        while (remaining := deadline - loop.time()) > 0:
            try:
                event = await asyncio.wait_for(anext(events), min(remaining, _FOREVER))
            except (TimeoutError, StopAsyncIteration):
                return
            yield event
    finally:
        await events.aclose()  # type: ignore[attr-defined]


_FOREVER = 365 * 24 * 3600.0


def shutdown_error(exc: Unavailable) -> dict[str, str]:
    """The error a draining server ends streams and waits with (as a run cancelled by the
    shutdown says it, core/executor.py)."""
    return {"error": "ServerShutdown", "message": exc.message}


def _heartbeat() -> ServerSentEvent:
    return ServerSentEvent(comment="heartbeat")


def sse_response(
    events: AsyncIterator[StreamEvent],
    *,
    heartbeat: float,
    headers: Mapping[str, str] | None = None,
    on_disconnect: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> EventSourceResponse:
    """Stream `events`. When the client leaves before the end, `on_disconnect` runs (in its own
    task, so that it completes even though the stream is being torn down)."""

    async def body() -> AsyncIterator[bytes]:
        finished = False
        try:
            try:
                async for event in events:
                    yield encode(event)
            except Unavailable as exc:  # the server drains: the documented last event
                # No id: a client resuming with Last-Event-ID picks up after the last real event.
                error = serde.dumps(shutdown_error(exc))
                yield encode(StreamEvent("", "error", error), with_id=False)
            finished = True
        finally:
            if not finished and on_disconnect is not None:
                task: asyncio.Task[None] = asyncio.get_running_loop().create_task(on_disconnect())
                _background.add(task)
                task.add_done_callback(_background.discard)

    return EventSourceResponse(
        body(),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no", **(headers or {})},
        ping=heartbeat,
        ping_message_factory=_heartbeat,
    )


_background: set[asyncio.Task[None]] = set()


def last_event_id(request: Request) -> str | None:
    """The Last-Event-ID header: an event id, or FROM_START for `-1`/`0` (replay everything)."""
    value = request.headers.get("last-event-id")
    if value is None:
        return None
    if value.strip() in ("-", "-1", "0", "0-0"):
        return FROM_START
    if parse_event_id(value.strip()) is None:
        raise RequestError(422, "Last-Event-ID must be an event id of the form '<ms>-<seq>'.")
    return value
