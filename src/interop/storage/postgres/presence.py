"""Which kind of server a PostgreSQL database is served by, held for a process's life.

Run events go through the broker. A server without `--redis` keeps them in its own memory, so
a second process on the same database would split them: a reader at one process would never see
a run executing at the other. A server without a broker therefore holds an exclusive session
advisory lock on the database; servers with Redis hold the same lock shared. Either kind
refuses to start when the other holds it. The lock goes with the connection that holds it: a
process that exits (or is killed) releases it at once.
"""

from __future__ import annotations

import time

import psycopg

from interop.storage.errors import StorageUnavailable
from interop.storage.postgres.pool import describe, one_line

# Another key than the migrations' lock (which is held only while migrating).
LOCK_KEY = int.from_bytes(b"interopB", "big") >> 1
WAIT = 3.0  # seconds


class BrokerSplit(Exception):
    """The database is served by processes this one cannot share events with."""


def hold(url: str, *, shared: bool) -> psycopg.Connection[tuple[object, ...]]:
    """Take the database's broker lock: `shared` for a server with Redis, exclusive for one
    without a broker. Returns the connection holding it (keep it open; closing it releases the
    lock). Raises BrokerSplit when the other kind holds it, StorageUnavailable when the
    database cannot be reached."""
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise StorageUnavailable(f"cannot reach {describe(url)}: {one_line(exc)}") from exc
    function = "pg_try_advisory_lock_shared" if shared else "pg_try_advisory_lock"
    # A server that was just killed holds the lock until Postgres sees its connection close:
    # try for a few seconds before refusing.
    deadline = time.monotonic() + WAIT
    while True:
        row = conn.execute(f"SELECT {function}(%s)", (LOCK_KEY,)).fetchone()
        if row is not None and row[0]:
            return conn
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    conn.close()
    if shared:
        raise BrokerSplit(
            f"database {describe(url)} is served by an interop server without --redis (its run"
            " events stay in its own process): restart it with --redis before adding processes"
        )
    raise BrokerSplit(
        f"database {describe(url)} is served by other interop processes: a server without"
        " --redis must be the only one on its database; start every process with the same --redis"
    )
