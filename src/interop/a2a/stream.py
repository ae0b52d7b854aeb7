"""Run events → A2A stream events, as they arrive.

Messages: each AI message becomes one artifact (its id is the message id). Chunks are held back
by one so that the last chunk of a message can carry `lastChunk: true`: the first chunk sent
creates the artifact (`append: false`), the following ones append to it.

Custom events (what a node writes with LangGraph's stream writer, e.g. `countdown`'s
`{"remaining": k}`): each becomes a `working` status update whose message has one data part
holding the event (a value that is not an object as `{"value": ...}`, since 0.3 data parts are
objects). They are throttled (`throttle`): at most one per `PROGRESS_INTERVAL` per stream; one
that comes sooner waits, replaced by any newer one, and is sent when the interval is over or
before the next event of another kind, so a client always gets the latest progress and the
order of events is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from interop.a2a.model import (
    Artifact,
    ArtifactUpdate,
    Message,
    Part,
    StatusUpdate,
    TaskStatus,
)
from interop.a2a.translate import content_parts, is_ai, timestamp

T = TypeVar("T")

# At most 4 progress updates a second per stream: enough for a progress bar, and a graph that
# writes in a tight loop cannot flood a client (or a slow link) with status updates.
PROGRESS_INTERVAL = 0.25


class ArtifactChunker:
    def __init__(self, task_id: str, context_id: str) -> None:
        self.task_id = task_id
        self.context_id = context_id
        self.sent: set[str] = set()
        self._held: tuple[str, list[Part], bool] | None = None

    def _update(
        self, artifact_id: str, parts: list[Part], append: bool, last: bool
    ) -> ArtifactUpdate:
        return ArtifactUpdate(
            task_id=self.task_id,
            context_id=self.context_id,
            artifact=Artifact(artifact_id=artifact_id, parts=parts),
            append=append,
            last_chunk=last,
        )

    def feed(self, message: Any) -> list[ArtifactUpdate]:
        """Updates ready to send after `message` (a serialized LangChain message or chunk)."""
        if not is_ai(message):
            return []
        parts = content_parts(message.get("content"))
        if not parts:
            return []
        artifact_id = str(message.get("id") or f"{self.task_id}-response")
        out: list[ArtifactUpdate] = []
        if self._held is not None and self._held[0] != artifact_id:
            out.extend(self.finish())
        if message.get("type") != "AIMessageChunk":
            if artifact_id not in self.sent:
                self.sent.add(artifact_id)
                out.append(self._update(artifact_id, parts, False, True))
            return out
        if self._held is not None:
            held_id, held_parts, held_append = self._held
            out.append(self._update(held_id, held_parts, held_append, False))
        self._held = (artifact_id, parts, artifact_id in self.sent)
        self.sent.add(artifact_id)
        return out

    def finish(self) -> list[ArtifactUpdate]:
        """The held chunk, marked last."""
        if self._held is None:
            return []
        held_id, held_parts, held_append = self._held
        self._held = None
        return [self._update(held_id, held_parts, held_append, True)]


def progress_update(task_id: str, context_id: str, value: Any) -> StatusUpdate:
    """A custom run event as a `working` status update carrying it in a data part."""
    data = value if isinstance(value, dict) else {"value": value}
    message = Message(
        message_id=str(uuid.uuid4()),
        role="agent",
        parts=[Part(data=data, is_data=True)],
        context_id=context_id,
        task_id=task_id,
    )
    status = TaskStatus(state="working", message=message, timestamp=timestamp(datetime.now(UTC)))
    return StatusUpdate(task_id, context_id, status)


async def throttle(
    source: AsyncIterator[T],
    is_progress: Callable[[T], bool],
    interval: float = PROGRESS_INTERVAL,
) -> AsyncIterator[T]:
    """`source`, with its progress items at most one per `interval` (the latest wins; see the
    module docstring). Other items pass at once, after any progress item held before them.
    Closing it closes `source`."""
    held: T | None = None
    has_held = False
    last = -interval
    # Only while an item is held does the next one get read in a task of its own, raced with
    # the end of the interval; otherwise it is awaited directly (no task per token).
    upcoming: asyncio.Future[T] | None = None
    try:
        while True:
            if has_held:
                wait = last + interval - time.monotonic()
                if wait > 0:
                    if upcoming is None:
                        upcoming = asyncio.ensure_future(anext(source))
                    await asyncio.wait({upcoming}, timeout=wait)
                if upcoming is None or not upcoming.done():
                    has_held, last = False, time.monotonic()
                    yield held  # type: ignore[misc]
                    continue
            try:
                if upcoming is not None:
                    item = await upcoming
                    upcoming = None
                else:
                    item = await anext(source)
            except StopAsyncIteration:
                break
            if is_progress(item):
                if not has_held and time.monotonic() - last >= interval:
                    last = time.monotonic()
                    yield item
                else:
                    held, has_held = item, True
                continue
            if has_held:
                has_held, last = False, time.monotonic()
                yield held  # type: ignore[misc]
            yield item
        if has_held:
            yield held  # type: ignore[misc]
    finally:
        if upcoming is not None and not upcoming.done():
            upcoming.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await upcoming
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            await aclose()
