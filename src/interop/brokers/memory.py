"""The in-process broker: bounded per-channel logs and signal queues in memory, for one server
process (the embedded default)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from interop.brokers.fanout import Fanout, drain
from interop.core.events import (
    FROM_NOW,
    FROM_START,
    MAX_EVENTS,
    RETENTION,
    EventClock,
    parse_event_id,
)
from interop.core.models import StreamEvent

# How many of the oldest channels an over-capacity trim looks at between full scans.
_TRIM_SCAN = 256


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


class InProcessBroker:
    """`max_events` bounds each channel's log; a channel with no reader is kept `retention`
    seconds after its last event, so a reader that reconnects after the end can still replay
    it. Past `max_channels`, the oldest finished channels are dropped first."""

    def __init__(
        self,
        *,
        max_events: int = MAX_EVENTS,
        retention: float = RETENTION,
        max_channels: int = 20_000,
    ) -> None:
        self._channels: dict[str, _Channel] = {}
        self._max_events = max_events
        self._retention = retention
        self._max_channels = max_channels
        self._expired_at = 0.0
        self._signals = Fanout()

    def _live(self, name: str, current: float) -> _Channel | None:
        """The channel, unless it outlived its retention unread (then it is dropped)."""
        channel = self._channels.get(name)
        if (
            channel is not None
            and not channel.waiters
            and current - channel.touched >= self._retention
        ):
            del self._channels[name]
            return None
        return channel

    def _channel(self, name: str, current: float) -> _Channel:
        channel = self._live(name, current)
        if channel is None:
            channel = _Channel(events=deque(maxlen=self._max_events), touched=current)
            self._channels[name] = channel
            self._expire(current)
        return channel

    def _expire(self, current: float) -> None:
        """Drop channels idle past retention (a full scan at most once a second), and the
        oldest finished ones while there are more than `max_channels` (a bounded scan from the
        oldest, so that creating a channel never costs a walk over all of them)."""
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

    def sweep(self) -> None:
        """Drop the channels past their retention now (an idle server creates none, and so
        would otherwise keep them until its next run)."""
        self._expired_at = 0.0
        self._expire(time.monotonic())

    async def open(self, channel: str) -> None:
        current = time.monotonic()
        ch = self._channel(channel, current)
        ch.closed = False
        ch.touched = current

    def _append(self, ch: _Channel, event: str, data: bytes, current: float) -> str:
        key = ch.clock.next()
        item = StreamEvent(id=f"{key[0]}-{key[1]}", event=event, data=data)
        ch.events.append((key, item))
        ch.closed = False
        ch.touched = current
        ch.wake()
        return item.id

    async def publish(
        self, channel: str, event: str, data: bytes, *, mirror: str | None = None
    ) -> str:
        current = time.monotonic()
        event_id = self._append(self._channel(channel, current), event, data, current)
        if mirror is not None:
            other = self._live(mirror, current)
            if other is not None:
                self._append(other, event, data, current)
        return event_id

    async def close(self, channel: str) -> None:
        current = time.monotonic()
        ch = self._channel(channel, current)
        ch.closed = True
        ch.touched = current
        ch.wake()

    async def exists(self, channel: str) -> bool:
        return self._live(channel, time.monotonic()) is not None

    async def subscribe(
        self, channel: str, start: str = FROM_START, *, idle_timeout: float | None = None
    ) -> AsyncIterator[StreamEvent]:
        ch = self._channel(channel, time.monotonic())
        if start == FROM_NOW:
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
            ch.touched = time.monotonic()

    async def signal(self, topic: str, payload: bytes = b"") -> None:
        self._signals.deliver(topic, payload)

    @contextlib.asynccontextmanager
    async def listen(self, topic: str) -> AsyncIterator[AsyncIterator[bytes]]:
        queue, _ = self._signals.add(topic)
        try:
            yield drain(queue)
        finally:
            self._signals.remove(topic, queue)

    async def aclose(self) -> None:
        self._channels.clear()
