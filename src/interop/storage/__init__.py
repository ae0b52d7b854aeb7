"""Storage implementations of the core's protocols (`interop.core.storage`)."""

from __future__ import annotations

from interop.core.storage import Storage


async def open_storage(url: str) -> Storage:
    """Open the storage named by a database URL (`sqlite:///path`, `sqlite:///:memory:`).

    Raises ValueError for a URL of an unsupported kind."""
    if url.startswith("sqlite://"):
        from interop.storage.sqlite import SqliteStorage

        storage = SqliteStorage(sqlite_path(url))
        await storage.setup()
        return storage
    raise ValueError(f"unsupported database URL {url!r}: expected sqlite:///path")


def sqlite_path(url: str) -> str:
    """The file path of a SQLite URL: `sqlite:///relative/path`, `sqlite:////absolute/path`
    (three slashes then the path, as SQLAlchemy spells it), or `sqlite:///:memory:`."""
    path = url.removeprefix("sqlite://")
    if path.startswith("/"):
        path = path[1:]
    return path or ":memory:"
