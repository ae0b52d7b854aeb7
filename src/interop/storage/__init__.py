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
    """The file path of a `sqlite:///path` URL (`:memory:` kept as is)."""
    path = url.removeprefix("sqlite://")
    if path.startswith("/"):
        path = path[1:] if path[1:] == ":memory:" else path
    if path.startswith("//"):
        path = path[1:]
    return path or ":memory:"
