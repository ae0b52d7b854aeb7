"""One server per SQLite file: an exclusive OS lock on a lock file beside the database.

SQLite's own locking keeps two processes from corrupting the file, not from disturbing each
other's runs: a second server's crash recovery would take the first one's running runs for
orphans. So the first holder of `<database>.lock` (fcntl.flock, released by the OS when the
process ends, however it ends) is the only process that may open the database; a second
process fails fast. Within one process the lock is shared (counted), so a process may open
the same database more than once.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path


class DatabaseInUse(Exception):
    """Another process holds the database's lock."""

    def __init__(self, database: str) -> None:
        super().__init__(f"database {database} is in use by another interop process")
        self.database = database


_lock = threading.Lock()
_held: dict[str, tuple[int, int]] = {}  # lock file -> (descriptor, holders in this process)


def lock_path(database: str) -> str:
    return os.path.realpath(database) + ".lock"


def acquire(database: str) -> str:
    """Take (or share, within this process) the lock of the SQLite file `database`; returns
    the handle to `release`. Raises DatabaseInUse when another process holds it."""
    path = lock_path(database)
    with _lock:
        if path in _held:
            fd, count = _held[path]
            _held[path] = (fd, count + 1)
            return path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DatabaseInUse(database) from None
        except BaseException:
            os.close(fd)
            raise
        _held[path] = (fd, 1)
        return path


def release(handle: str) -> None:
    """Give back one hold on the lock; the last one unlocks it."""
    with _lock:
        fd, count = _held[handle]
        if count > 1:
            _held[handle] = (fd, count - 1)
            return
        del _held[handle]
        os.close(fd)  # closing the last descriptor releases the flock
