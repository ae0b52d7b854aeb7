"""Run event streams and signals: the broker protocol, event ids and where a reader starts.

Every event gets a unique id, strictly increasing per channel, and is kept in a bounded log, so
a reader can join from the start, from now, or after a `Last-Event-ID`, and misses nothing that
is still kept. Signals (cancel, wake-ups, list changes) are fire-and-forget notices to every
current listener of a topic, in every process sharing the broker.

Implementations live in `interop.brokers`: the in-process broker (the embedded default) and the
Redis broker (Streams for events, pub/sub for signals) that spans server processes.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from interop.core.models import StreamEvent

# The last record of a run's channel, carrying how the run ended; never sent to clients.
OUTCOME_EVENT = "__outcome__"

_EVENT_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")

# Where a reader starts: the first event still kept, only new events, or after an event id.
FROM_START = "start"
FROM_NOW = "now"

# Signal topics. ASSISTANTS_CHANGED: an assistant was created, updated or deleted (payload:
# the sender's ORIGIN, so that a process can skip what it sent itself).
ASSISTANTS_CHANGED = "assistants-changed"
# This server process, in signal payloads.
ORIGIN = uuid.uuid4().hex.encode()

# How long a channel is kept after its last event when nobody reads it (seconds).
RETENTION = 120.0
# How many events a channel keeps at least (older ones are dropped).
MAX_EVENTS = 10_000


def parse_event_id(event_id: str) -> tuple[int, int] | None:
    """`<ms>-<seq>` as a comparable tuple, or None when it is not of that form."""
    if _EVENT_ID.fullmatch(event_id) is None:
        return None
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq)


class EventClock:
    """Issues `<ms>-<seq>` ids that strictly increase, even within one millisecond or when the
    wall clock steps back."""

    __slots__ = ("_ms", "_seq")

    def __init__(self) -> None:
        self._ms = 0
        self._seq = 0

    def next(self) -> tuple[int, int]:
        ms = int(time.time() * 1000)
        if ms > self._ms:
            self._ms, self._seq = ms, 0
        else:
            self._seq += 1
        return self._ms, self._seq


class EventBroker(Protocol):
    """Where run events are published and read back, and signals sent. Channels are run ids,
    thread ids or MCP sessions; topics name a kind of signal.

    A channel is kept while someone reads it and `retention` seconds after its last event; it
    keeps at least its newest `max_events` events. A channel is closed by `close` and opened
    again by `open` or `publish` (a thread's channel serves the thread's next run)."""

    async def open(self, channel: str) -> None:
        """Start a channel, or open it again after `close` (idempotent). Events published before
        `open` are kept too."""

    async def publish(
        self, channel: str, event: str, data: bytes, *, mirror: str | None = None
    ) -> str:
        """Append an event; returns its id. When `mirror` names a channel that exists (a thread
        channel a reader opened), the event is appended there too, under that channel's own id."""

    async def close(self, channel: str) -> None:
        """Mark the channel finished: readers drain what is kept, then end."""

    async def exists(self, channel: str) -> bool:
        """True while the channel exists (opened or published to, and not yet expired)."""

    def subscribe(
        self, channel: str, start: str = FROM_START, *, idle_timeout: float | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Yield events after `start` (FROM_START, FROM_NOW or an event id; another string
        counts as FROM_START) until the channel is closed, each exactly once and in id order.
        A channel that does not exist yet is waited for. Raises TimeoutError when no event
        comes for `idle_timeout` seconds (0: yield what is kept now, then raise)."""

    async def signal(self, topic: str, payload: bytes = b"") -> None:
        """Send `payload` to every current listener of `topic`, in every process. Signals are
        notices, not records: a listener that is not listening when one is sent misses it."""

    def listen(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]:
        """`async with broker.listen(topic) as signals: async for payload in signals: ...`.
        Every signal sent after entering is delivered (in order per sender) until exit."""

    async def aclose(self) -> None:
        """Release connections; the broker is not used afterwards."""
