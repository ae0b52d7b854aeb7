"""Fixtures shared by the unit tests: a real SQLite database in a temporary directory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from interop.core.storage import Storage
from interop.storage import open_storage


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'interop.sqlite'}"


@pytest.fixture
async def storage(db_url: str) -> AsyncIterator[Storage]:
    opened = await open_storage(db_url)
    try:
        yield opened
    finally:
        await opened.close()


async def _until(predicate: Callable[[], object], within: float = 5.0) -> None:
    """Poll `predicate()` until it is truthy; fail (TimeoutError) after `within` seconds."""
    async with asyncio.timeout(within):
        # the conditions polled here (internal reader sets) have no event to wait on
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.002)


@pytest.fixture
def until() -> Callable[..., object]:
    """`await until(lambda: condition)`: a bounded wait on a condition, never a fixed sleep."""
    return _until
