"""interop.storage: database URLs and open_storage."""

from __future__ import annotations

from pathlib import Path

import pytest

from interop.settings import DEFAULT_DATABASE
from interop.storage import open_storage, sqlite_path


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////abs/dir/db.sqlite", "/abs/dir/db.sqlite"),
        ("sqlite:///:memory:", ":memory:"),
        # sqlite:///path is relative to the working directory (SQLAlchemy's convention, and the
        # issue's default "./.interop/interop.sqlite"); four slashes make it absolute.
        ("sqlite:///rel/db.sqlite", "rel/db.sqlite"),
        ("sqlite:///.interop/interop.sqlite", ".interop/interop.sqlite"),
    ],
)
def test_sqlite_path(url: str, path: str) -> None:
    assert sqlite_path(url) == path


def test_default_database_is_under_the_working_directory() -> None:
    assert not Path(sqlite_path(DEFAULT_DATABASE)).is_absolute()


async def test_open_storage_creates_the_file_and_parent_directories(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "dir" / "db.sqlite"
    storage = await open_storage(f"sqlite:///{target}")
    try:
        assert target.is_file()
    finally:
        await storage.close()


async def test_open_storage_in_memory() -> None:
    storage = await open_storage("sqlite:///:memory:")
    try:
        assert await storage.threads.get("nothing") is None
    finally:
        await storage.close()


@pytest.mark.parametrize("url", ["mysql://h/db", "interop.sqlite", "", "://x"])
async def test_open_storage_rejects_other_urls(url: str) -> None:
    with pytest.raises(ValueError):
        await open_storage(url)
