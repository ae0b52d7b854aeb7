"""The drain: waits and streams end with Unavailable once it begins; `settled` follows them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from interop.core.drain import Drain
from interop.core.errors import Unavailable


async def _forever() -> AsyncIterator[int]:
    yield 1
    await asyncio.Event().wait()
    yield 2


async def test_a_wait_is_answered_when_the_drain_begins() -> None:
    drain = Drain()
    never: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    waiting = asyncio.ensure_future(drain.answer(never))
    await asyncio.sleep(0)
    assert drain.open == 1
    drain.begin()
    with pytest.raises(Unavailable):
        await asyncio.wait_for(waiting, 5)
    assert drain.open == 0
    assert never.cancelled()


async def test_a_finished_wait_returns_its_result() -> None:
    drain = Drain()

    async def value() -> int:
        return 7

    assert await drain.answer(value()) == 7
    drain.begin()
    with pytest.raises(Unavailable):
        await drain.answer(value())


async def test_a_stream_ends_with_unavailable_after_its_events() -> None:
    drain = Drain()
    seen: list[int] = []

    async def read() -> None:
        async for item in drain.until(_forever()):
            seen.append(item)
            drain.begin()

    with pytest.raises(Unavailable):
        await asyncio.wait_for(read(), 5)
    assert seen == [1]
    assert drain.open == 0


async def test_settled_returns_when_the_last_stream_ends_or_at_the_bound() -> None:
    drain = Drain()
    stream = drain.until(_forever())
    assert await anext(stream) == 1
    loop = asyncio.get_running_loop()
    started = loop.time()
    await drain.settled(0.2)  # the stream is still open: the bound
    assert loop.time() - started >= 0.2
    settling = asyncio.ensure_future(drain.settled(30))
    drain.begin()
    with pytest.raises(Unavailable):
        await anext(stream)
    await asyncio.wait_for(settling, 5)
    assert drain.open == 0


async def test_a_reader_that_gives_up_waiting_closes_the_stream() -> None:
    drain = Drain()
    stream = drain.until(_forever())
    assert await anext(stream) == 1
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(stream), 0.05)
    await stream.aclose()  # type: ignore[attr-defined]
    assert drain.open == 0
