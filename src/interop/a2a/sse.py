"""A2A event streams as Server-Sent Events, for both bindings (JSON-RPC and HTTP+JSON)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import orjson
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.responses import Response

from interop.a2a.model import Event


def event_stream(
    events: AsyncIterator[Event],
    frame: Callable[[Event], object],
    fail: Callable[[Exception], bytes],
    *,
    heartbeat: float,
) -> Response:
    """`events` as SSE, each `data:` the JSON of `frame(event)`. An error in the middle of the
    stream becomes one last frame, `fail(exc)` (already an SSE frame), and ends it. A client that
    goes away closes `events` (the task goes on)."""

    async def body() -> AsyncIterator[bytes]:
        try:
            async for event in events:
                yield b"data: " + orjson.dumps(frame(event)) + b"\n\n"
        except Exception as exc:  # noqa: BLE001 - the boundary of a stream: an error frame
            yield fail(exc)
        finally:
            await events.aclose()  # type: ignore[attr-defined]

    return EventSourceResponse(
        body(),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        ping=heartbeat,
        ping_message_factory=lambda: ServerSentEvent(comment="heartbeat"),
    )
