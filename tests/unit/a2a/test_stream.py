"""Custom run events → throttled working updates; the card merge; contextId → thread id."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

from interop.a2a import card as cards
from interop.a2a.stream import progress_update, throttle
from interop.a2a.translate import context_of, thread_of


async def items(*timed: tuple[float, str]) -> AsyncIterator[str]:
    """Each item after its delay (seconds after the previous one)."""
    for delay, item in timed:
        if delay:
            await asyncio.sleep(delay)
        yield item


def progress(item: str) -> bool:
    return item.startswith("p")


async def collect(source: AsyncIterator[str], interval: float) -> list[str]:
    async with asyncio.timeout(5):
        return [item async for item in throttle(source, progress, interval)]


async def test_progress_faster_than_the_interval_keeps_the_latest() -> None:
    source = items((0, "p1"), (0, "p2"), (0, "p3"), (0, "m1"), (0, "p4"), (0, "p5"))
    # p1 goes at once; p2 is replaced by p3, sent before m1 (order kept); p4 by p5 at the end.
    assert await collect(source, 10.0) == ["p1", "p3", "m1", "p5"]


async def test_a_held_progress_item_goes_out_when_the_interval_ends() -> None:
    source = items((0, "p1"), (0, "p2"), (0.3, "m1"))
    sent: list[tuple[str, float]] = []
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with asyncio.timeout(5):
        async for item in throttle(source, progress, 0.05):
            sent.append((item, loop.time() - start))
    assert [item for item, _ in sent] == ["p1", "p2", "m1"]
    # p2 did not wait for m1 (0.3 s later): it left once the 0.05 s interval was over.
    assert sent[1][1] < 0.25


async def test_slow_progress_passes_untouched() -> None:
    source = items((0, "p1"), (0.06, "p2"), (0.06, "p3"))
    assert await collect(source, 0.05) == ["p1", "p2", "p3"]


async def test_closing_the_throttle_closes_its_source() -> None:
    closed = asyncio.Event()

    async def endless() -> AsyncIterator[str]:
        try:
            while True:
                yield "p"
                await asyncio.sleep(0.01)
        finally:
            closed.set()

    stream = throttle(endless(), progress, 0.05)
    assert await anext(stream) == "p"
    await stream.aclose()  # type: ignore[attr-defined]
    async with asyncio.timeout(5):
        await closed.wait()


def test_progress_update_is_a_working_status_with_a_data_part() -> None:
    update = progress_update("t1", "c1", {"remaining": 3})
    assert update.status.state == "working" and not update.final
    message = update.status.message
    assert message is not None and message.role == "agent" and message.task_id == "t1"
    assert [p.data for p in message.parts] == [{"remaining": 3}]
    assert message.parts[0].is_data and update.status.timestamp
    assert progress_update("t1", "c1", 7).status.message.parts[0].data == {"value": 7}  # type: ignore[union-attr]


def test_thread_of_keeps_thread_ids_and_maps_the_rest() -> None:
    thread = str(uuid.uuid4())
    assert thread_of(thread) == thread
    mapped = thread_of("my-context-1")
    assert str(uuid.UUID(mapped)) == mapped and mapped == thread_of("my-context-1")
    assert thread_of(thread.upper()) != thread.upper()
    assert context_of(mapped, {"a2a_context_id": "my-context-1"}) == "my-context-1"
    assert context_of(thread, {}) == thread


def test_merge_adds_what_is_missing_and_keeps_what_is_there() -> None:
    base = {"a": 1, "caps": {"x": True}, "list": [{"k": 1}], "schemes": {"b": {"new": 1}}}
    extra = {"a": 2, "url": "u", "caps": {"y": False}, "list": [{"k": 2, "j": 3}]}
    merged = cards.merge(base, {**extra, "schemes": {"b": {"type": "http"}}})
    assert merged == {
        "a": 1,
        "url": "u",
        "caps": {"x": True, "y": False},
        "list": [{"k": 1, "j": 3}],
        "schemes": {"b": {"new": 1, "type": "http"}},
    }


async def test_an_error_of_the_source_comes_through_after_the_held_item_is_read() -> None:
    async def failing() -> AsyncIterator[str]:
        yield "p1"
        yield "p2"
        raise LookupError("broken stream")

    seen: list[str] = []
    try:
        async with asyncio.timeout(5):
            async for item in throttle(failing(), progress, 10.0):
                seen.append(item)
    except LookupError:
        pass
    else:
        raise AssertionError("the source's error was swallowed")
    assert seen == ["p1"]
