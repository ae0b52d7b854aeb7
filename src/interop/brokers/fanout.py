"""Signal listeners of one process: a bounded queue per listener, grouped by topic."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

log = logging.getLogger("interop.brokers")

# Signals a listener may have pending before further ones to it are dropped (a listener that
# stops reading must not grow memory without bound).
SIGNAL_BACKLOG = 1000


class Fanout:
    """Listeners by topic; `deliver` hands a payload to every listener of a topic."""

    def __init__(self) -> None:
        self._topics: dict[str, set[asyncio.Queue[bytes]]] = {}

    def add(self, topic: str) -> tuple[asyncio.Queue[bytes], bool]:
        """A new listener's queue, and whether it is the topic's first listener."""
        queue: asyncio.Queue[bytes] = asyncio.Queue(SIGNAL_BACKLOG)
        listeners = self._topics.setdefault(topic, set())
        listeners.add(queue)
        return queue, len(listeners) == 1

    def remove(self, topic: str, queue: asyncio.Queue[bytes]) -> bool:
        """Drop a listener; True when it was the topic's last."""
        listeners = self._topics.get(topic)
        if listeners is None:
            return False
        listeners.discard(queue)
        if listeners:
            return False
        del self._topics[topic]
        return True

    def deliver(self, topic: str, payload: bytes) -> None:
        for queue in self._topics.get(topic, ()):
            try:
                queue.put_nowait(payload)
            except asyncio.QueueFull:
                log.warning(
                    "dropping a signal on %r: a listener is %d behind", topic, SIGNAL_BACKLOG
                )


async def drain(queue: asyncio.Queue[bytes]) -> AsyncIterator[bytes]:
    """The payloads put on `queue`, as they come."""
    while True:
        yield await queue.get()
