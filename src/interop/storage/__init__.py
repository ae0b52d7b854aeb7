"""Storage implementations of the core's protocols (`interop.core.storage`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from interop.core.storage import Storage
from interop.core.store import StoreSettings
from interop.storage.errors import StorageUnavailable


async def open_storage(url: str, store: StoreSettings | None = None) -> Storage:
    """Open (and set up) the storage named by a database URL; its scheme picks the backend:
    `sqlite:///path`, `sqlite:///:memory:`, `postgresql://user:password@host:port/database`
    (also `postgres://`).

    Raises StorageUnavailable (a ValueError; one line naming what failed, never a password)
    for a URL of any other kind, a malformed URL, or a database that cannot be reached or set
    up. `store`: the long-term store's index and TTL (the config file's `store` key)."""
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    opener = _OPENERS.get(scheme)
    if opener is None:
        raise StorageUnavailable(
            f"unsupported database URL scheme {scheme!r}: the scheme must be one of"
            f" {', '.join(sorted(_OPENERS))} (e.g. sqlite:///path,"
            " postgresql://user@host:5432/database)"
        )
    storage = opener(url, store)
    try:
        await storage.setup()
    except (sqlite3.Error, OSError) as exc:
        raise StorageUnavailable(f"cannot open the SQLite database {url}: {exc}") from exc
    return storage


async def check_storage(url: str, store: StoreSettings | None = None) -> None:
    """Open and close the storage named by `url` (its schema migrated, the long-term store
    `store` describes set up): StorageUnavailable when that fails, so a server can refuse to
    start with one line saying why."""
    storage = await open_storage(url, store)
    await storage.close()


def _sqlite(url: str, store: StoreSettings | None) -> Storage:
    # Imported here: a process loads only the backend its URL names.
    from interop.storage.sqlite import SqliteStorage

    return SqliteStorage(sqlite_path(url), store)


def _postgres(url: str, store: StoreSettings | None) -> Storage:
    from interop.storage.postgres import PostgresStorage

    return PostgresStorage(url, store)


_OPENERS: dict[str, Callable[[str, StoreSettings | None], Storage]] = {
    "sqlite": _sqlite,
    "postgresql": _postgres,
    "postgres": _postgres,
}


def sqlite_path(url: str) -> str:
    """The file path of a SQLite URL: `sqlite:///relative/path`, `sqlite:////absolute/path`
    (three slashes then the path, as SQLAlchemy spells it), or `sqlite:///:memory:`."""
    path = url.removeprefix("sqlite://")
    if path.startswith("/"):
        path = path[1:]
    return path or ":memory:"


def claim_database(url: str) -> None:
    """Take the database's one-server lock for the life of this process, before anything opens
    it (a SQLite file admits one server; other kinds need no lock). Raises DatabaseInUse
    (`interop.storage.sqlite.lock`) when another process holds it, StorageUnavailable when
    the lock file cannot be made."""
    if url.partition("://")[0].lower() == "sqlite" and sqlite_path(url) != ":memory:":
        from interop.storage.sqlite import lock

        try:
            lock.acquire(sqlite_path(url))
        except OSError as exc:
            raise StorageUnavailable(f"cannot open the SQLite database {url}: {exc}") from exc
