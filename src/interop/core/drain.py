"""Draining on SIGTERM/SIGINT (the core part; the HTTP guard is interop/drain.py): stop taking work, end every open stream with a final event and
answer every waiter, then let uvicorn close connections and run the lifespan's shutdown.

uvicorn closes connections (and, for streams, sse-starlette cancels them mid-response) as soon
as its `should_exit` is set, and runs the lifespan's shutdown only afterwards: too late to say
goodbye. So the server's signal handler (cli.py) calls `Drain.begin()` first and sets
`should_exit` only once the open streams and waiters have answered, or `bound` seconds passed.
Runs in flight are left to the lifespan's shutdown, which cancels them with the reason
`shutdown`; the next start recovers them (core/scheduler.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar

from interop.core.errors import Unavailable

T = TypeVar("T")

SHUTDOWN_MESSAGE = "The server is shutting down; retry the request."
RETRY_AFTER_SECONDS = 5


class Drain:
    """The process's draining flag, and a count of the streams and waiters still open."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None
        self.open = 0
        self._idle: asyncio.Event | None = None

    def _flag(self) -> asyncio.Event:
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    @property
    def draining(self) -> bool:
        return self._event is not None and self._event.is_set()

    def begin(self) -> None:
        """Start draining (on the event loop's thread)."""
        self._flag().set()

    async def settled(self, bound: float) -> None:
        """Return once no stream or waiter is open, or after `bound` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + bound
        while self.open > 0 and loop.time() < deadline:
            if self._idle is None:
                self._idle = asyncio.Event()
            try:
                await asyncio.wait_for(self._idle.wait(), deadline - loop.time())
            except TimeoutError:
                return
            self._idle = None

    def _leave(self) -> None:
        self.open -= 1
        if self.open == 0 and self._idle is not None:
            self._idle.set()

    async def answer(self, awaitable: Awaitable[T]) -> T:
        """`awaitable`'s result, or Unavailable once draining starts."""
        task = asyncio.ensure_future(awaitable)
        if self.draining:
            task.cancel()
            raise Unavailable(SHUTDOWN_MESSAGE)
        self.open += 1
        stop = asyncio.ensure_future(self._flag().wait())
        try:
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                return task.result()
            task.cancel()
            raise Unavailable(SHUTDOWN_MESSAGE)
        finally:
            stop.cancel()
            if not task.done():
                task.cancel()
            self._leave()

    async def until(self, events: AsyncIterator[T]) -> AsyncIterator[T]:
        """`events` until they end or draining starts; then raises Unavailable (the caller's
        stream layer turns that into its final event). Closes `events`."""
        self.open += 1
        stop = asyncio.ensure_future(self._flag().wait())
        step: asyncio.Future[T] | None = None
        try:
            while True:
                step = asyncio.ensure_future(anext(events))
                await asyncio.wait({step, stop}, return_when=asyncio.FIRST_COMPLETED)
                if not step.done():
                    raise Unavailable(SHUTDOWN_MESSAGE)
                try:
                    item = step.result()
                except StopAsyncIteration:
                    return
                yield item
        finally:
            stop.cancel()
            self._leave()
            # The step still reading (a drain, or the reader cancelled us) ends before `events`
            # is closed: a generator cannot be closed while it runs.
            if step is not None and not step.done():
                step.cancel()
                await asyncio.gather(step, return_exceptions=True)
            await events.aclose()  # type: ignore[attr-defined]
