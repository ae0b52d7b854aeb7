"""Run event streams: every event gets a unique, monotonic id and is kept in a bounded log.

A reader can join from the start, from now, or after a `Last-Event-ID`, and misses nothing
that is still in the log. The in-process broker is the embedded default; a Redis broker
implements the same protocol to fan events out across server processes.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from interop.core.models import StreamEvent

# The last record of a run's channel, carrying how the run ended; never sent to clients.
OUTCOME_EVENT = "__outcome__"

_EVENT_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")

# Where a reader starts: the first event still kept, only new events, or after an event id.
FROM_START = "start"
FROM_NOW = "now"


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
    """Where run events are published and read back. Channels are run ids or thread ids."""

    def open(self, channel: str) -> None:
        """Start a channel (idempotent). Events published before `open` are still kept."""

    async def publish(self, channel: str, event: str, data: bytes) -> str:
        """Append an event; returns its id."""

    async def close(self, channel: str) -> None:
        """Mark the channel finished: readers drain what is kept, then end."""

    def subscribe(
        self, channel: str, start: str = FROM_START, *, idle_timeout: float | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Yield events after `start` (FROM_START, FROM_NOW or an event id) until the channel
        closes. A channel that does not exist yet is waited for."""

    def is_closed(self, channel: str) -> bool: ...

    def has_channel(self, channel: str) -> bool:
        """True while the channel exists (opened and not yet expired)."""


@dataclass(slots=True)
class _Channel:
    events: deque[tuple[tuple[int, int], StreamEvent]]
    clock: EventClock = field(default_factory=EventClock)
    closed: bool = False
    touched: float = field(default_factory=time.monotonic)
    waiters: set[asyncio.Event] = field(default_factory=set)

    def wake(self) -> None:
        for waiter in self.waiters:
            waiter.set()


# How many of the oldest channels an over-capacity trim looks at between full scans.
_TRIM_SCAN = 256


class InProcessBroker:
    """The embedded broker: bounded per-channel logs in memory, for one server process.

    `max_events` bounds each channel's log; a channel with no reader is kept `retention` seconds
    after its last event, so a reader that reconnects after the end can still replay it.
    """

    def __init__(
        self, *, max_events: int = 10_000, retention: float = 120.0, max_channels: int = 20_000
    ) -> None:
        self._channels: dict[str, _Channel] = {}
        self._max_events = max_events
        self._retention = retention
        self._max_channels = max_channels
        self._expired_at = 0.0

    def _channel(self, name: str) -> _Channel:
        channel = self._channels.get(name)
        if channel is None:
            channel = _Channel(events=deque(maxlen=self._max_events))
            self._channels[name] = channel
            self._expire()
        return channel

    def _expire(self) -> None:
        """Drop channels idle past retention (a full scan at most once a second), and the
        oldest finished ones while there are more than `max_channels` (a bounded scan from the
        oldest, so that creating a channel never costs a walk over all of them)."""
        current = time.monotonic()
        over = len(self._channels) - self._max_channels
        full = current - self._expired_at >= 1.0
        if not full and over <= 0:
            return
        if full:
            self._expired_at = current
        cutoff = current - self._retention
        stale = []
        for scanned, (key, ch) in enumerate(self._channels.items()):  # oldest first
            if not full and (over <= 0 or scanned >= _TRIM_SCAN):
                break
            if ch.waiters:
                continue
            if ch.touched < cutoff or (over > 0 and ch.closed):
                stale.append(key)
                over -= 1
        for key in stale:
            del self._channels[key]

    def open(self, channel: str) -> None:
        ch = self._channel(channel)
        if ch.closed:
            # A thread channel is reused by the thread's next run.
            ch.closed = False

    async def publish(self, channel: str, event: str, data: bytes) -> str:
        ch = self._channel(channel)
        key = ch.clock.next()
        item = StreamEvent(id=f"{key[0]}-{key[1]}", event=event, data=data)
        ch.events.append((key, item))
        ch.touched = time.monotonic()
        ch.wake()
        return item.id

    async def close(self, channel: str) -> None:
        ch = self._channel(channel)
        ch.closed = True
        ch.touched = time.monotonic()
        ch.wake()

    def has_channel(self, channel: str) -> bool:
        return channel in self._channels

    def is_closed(self, channel: str) -> bool:
        ch = self._channels.get(channel)
        return ch is not None and ch.closed

    async def subscribe(
        self, channel: str, start: str = FROM_START, *, idle_timeout: float | None = None
    ) -> AsyncIterator[StreamEvent]:
        ch = self._channel(channel)
        if start == FROM_START:
            after: tuple[int, int] = (-1, -1)
        elif start == FROM_NOW:
            after = ch.events[-1][0] if ch.events else (-1, -1)
        else:
            after = parse_event_id(start) or (-1, -1)
        waiter = asyncio.Event()
        ch.waiters.add(waiter)
        try:
            while True:
                waiter.clear()
                # Ids only grow, so what is new sits at the right end: scan back to `after`.
                pending: list[StreamEvent] = []
                for key, item in reversed(ch.events):
                    if key <= after:
                        break
                    pending.append(item)
                if pending:
                    pending.reverse()
                    after = parse_event_id(pending[-1].id) or after
                    for item in pending:
                        yield item
                    continue
                if ch.closed:
                    return
                # Each wait is bounded: the caller decides what an idle stream means.
                await asyncio.wait_for(waiter.wait(), timeout=idle_timeout)
        finally:
            ch.waiters.discard(waiter)
