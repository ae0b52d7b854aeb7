"""interop.heap: what is alive at settle time is frozen; the young threshold is raised."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Iterator

import pytest

from interop import heap


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_gc")
def test_settle_freezes_what_lives_and_raises_the_young_threshold() -> None:
    gc.unfreeze()
    keep = [[i] for i in range(1000)]  # tracked containers alive at settle time
    heap.settle("a test")
    assert gc.get_freeze_count() >= len(keep)
    assert gc.get_threshold()[0] == 10_000


async def test_trim_when_idle_trims_only_after_activity_stops() -> None:
    calls: list[str] = []
    counts = iter([0, 1, 2, 2, 2])  # activity at start, in two passes, then none

    async def run() -> None:
        await heap.trim_when_idle(lambda: next(counts), lambda: calls.append("trim"), every=0)

    task = asyncio.ensure_future(run())
    with contextlib.suppress(RuntimeError):  # the counts end: StopIteration in a coroutine
        await asyncio.wait_for(task, 5)
    assert calls == ["trim", "trim"]
