"""Storage implementations of the core's protocols (`interop.core.storage`)."""

from __future__ import annotations

from collections.abc import Callable

from interop.core.storage import Storage


async def open_storage(url: str) -> Storage:
    """Open (and set up) the storage named by a database URL; its scheme picks the backend:
    `sqlite:///path`, `sqlite:///:memory:`.

    Raises ValueError naming the supported schemes for a URL of any other kind."""
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    opener = _OPENERS.get(scheme)
    if opener is None:
        raise ValueError(
            f"unsupported database URL {url!r}: the scheme must be one of"
            f" {', '.join(sorted(_OPENERS))} (e.g. sqlite:///path)"
        )
    storage = opener(url)
    await storage.setup()
    return storage


def _sqlite(url: str) -> Storage:
    # Imported here: a process loads only the backend its URL names.
    from interop.storage.sqlite import SqliteStorage

    return SqliteStorage(sqlite_path(url))


_OPENERS: dict[str, Callable[[str], Storage]] = {"sqlite": _sqlite}


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
    (`interop.storage.sqlite.lock`) when another process holds it."""
    if url.partition("://")[0].lower() == "sqlite" and sqlite_path(url) != ":memory:":
        from interop.storage.sqlite import lock

        lock.acquire(sqlite_path(url))
