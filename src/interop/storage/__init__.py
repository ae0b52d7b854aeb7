"""Storage implementations of the core's protocols (`interop.core.storage`)."""

from __future__ import annotations

import sqlite3

from interop.core.storage import Storage
from interop.storage.errors import StorageUnavailable

SUPPORTED = "sqlite:///path or postgresql://user@host:port/database"


async def open_storage(url: str) -> Storage:
    """Open the storage named by a database URL: `sqlite:///path`, `sqlite:///:memory:`, or
    `postgresql://user:password@host:port/database` (also `postgres://`).

    Raises StorageUnavailable (one line naming what failed) for a URL of an unsupported kind,
    a malformed URL, a database that cannot be reached or set up."""
    storage: Storage
    if url.startswith("sqlite://"):
        from interop.storage.sqlite import SqliteStorage

        storage = SqliteStorage(sqlite_path(url))
    elif url.startswith(("postgresql://", "postgres://")):
        from interop.storage.postgres import PostgresStorage

        storage = PostgresStorage(url)
    else:
        scheme = url.split("://", 1)[0] if "://" in url else url
        raise StorageUnavailable(f"unsupported database URL {scheme!r}: expected {SUPPORTED}")
    try:
        await storage.setup()
    except (sqlite3.Error, OSError) as exc:
        raise StorageUnavailable(f"cannot open the SQLite database {url}: {exc}") from exc
    return storage


async def check_storage(url: str) -> None:
    """Open and close the storage named by `url` (its schema migrated): StorageUnavailable
    when that fails, so a server can refuse to start with one line saying why."""
    storage = await open_storage(url)
    await storage.close()


def sqlite_path(url: str) -> str:
    """The file path of a SQLite URL: `sqlite:///relative/path`, `sqlite:////absolute/path`
    (three slashes then the path, as SQLAlchemy spells it), or `sqlite:///:memory:`."""
    path = url.removeprefix("sqlite://")
    if path.startswith("/"):
        path = path[1:]
    return path or ":memory:"
