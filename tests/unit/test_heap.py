"""interop.heap: what is alive at settle time is frozen; the young threshold is raised."""

from __future__ import annotations

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
