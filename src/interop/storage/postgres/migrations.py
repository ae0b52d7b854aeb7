"""Versioned schema migrations, applied at startup by whichever process gets there first.

`MIGRATIONS[i]` is version i + 1; `interop_migrations` records the versions applied. A process
applies what is missing while it holds a session-level advisory lock, so any number of processes
may start at once on a fresh database: one migrates, the others wait for the lock and then find
nothing left to do. The checkpoint tables are LangGraph's: its AsyncPostgresSaver migrates them
(with its own version table) under the same lock, since its setup is not safe to run twice at once.

The lock is taken with `pg_try_advisory_lock` in a polling loop rather than a blocking
`pg_advisory_lock`: a waiting `pg_advisory_lock` is an open transaction, and the saver's
`CREATE INDEX CONCURRENTLY` waits for every open transaction to end; the two would wait for
each other.
"""

from __future__ import annotations

import asyncio
import time

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from interop.storage.errors import StorageUnavailable
from interop.storage.postgres import adapters, crons, thread_ttl
from interop.storage.postgres.pool import Connection

# Any fixed 64-bit number, the same in every process: "interop\0" read as an integer.
LOCK_KEY = int.from_bytes(b"interop\0", "big") >> 1
LOCK_TIMEOUT = 120.0  # seconds a process waits for another's migrations
LOCK_POLL = 0.05

# Text columns that are sorted on compare bytewise (COLLATE "C"), as SQLite does.
_V1 = """
CREATE TABLE assistants (
    assistant_id text COLLATE "C" PRIMARY KEY,
    graph_id text COLLATE "C" NOT NULL,
    config jsonb NOT NULL,
    context jsonb NOT NULL,
    metadata jsonb NOT NULL,
    name text COLLATE "C" NOT NULL,
    description text,
    version integer NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX assistants_metadata ON assistants USING gin (metadata jsonb_path_ops);
CREATE INDEX assistants_graph_id ON assistants (graph_id, assistant_id);
CREATE INDEX assistants_name ON assistants (name, assistant_id);
CREATE INDEX assistants_created_at ON assistants (created_at, assistant_id);
CREATE INDEX assistants_updated_at ON assistants (updated_at, assistant_id);

CREATE TABLE assistant_versions (
    assistant_id text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    graph_id text COLLATE "C" NOT NULL,
    config jsonb NOT NULL,
    context jsonb NOT NULL,
    metadata jsonb NOT NULL,
    name text COLLATE "C" NOT NULL,
    description text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (assistant_id, version)
);

CREATE TABLE threads (
    thread_id text COLLATE "C" PRIMARY KEY,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    state_updated_at timestamptz,
    metadata jsonb NOT NULL,
    config jsonb NOT NULL,
    status text COLLATE "C" NOT NULL,
    "values" jsonb,
    interrupts jsonb NOT NULL,
    error jsonb
);
CREATE INDEX threads_metadata ON threads USING gin (metadata jsonb_path_ops);
CREATE INDEX threads_values ON threads USING gin ("values" jsonb_path_ops);
-- a status filter with the default sort; a sort by status
CREATE INDEX threads_status ON threads (status, created_at, thread_id);
CREATE INDEX threads_status_id ON threads (status, thread_id);
CREATE INDEX threads_created_at ON threads (created_at, thread_id);
CREATE INDEX threads_updated_at ON threads (updated_at, thread_id);
-- NULLS FIRST: a thread never run sorts as SQLite sorts it (first ascending, last descending).
CREATE INDEX threads_state_updated_at ON threads (state_updated_at NULLS FIRST, thread_id);

CREATE TABLE runs (
    run_id text COLLATE "C" PRIMARY KEY,
    thread_id text COLLATE "C" NOT NULL,
    assistant_id text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    status text COLLATE "C" NOT NULL,
    metadata jsonb NOT NULL,
    kwargs jsonb NOT NULL,
    multitask_strategy text NOT NULL,
    attempt integer NOT NULL,
    temporary boolean NOT NULL
);
CREATE INDEX runs_thread ON runs (thread_id, created_at, run_id);
CREATE INDEX runs_status ON runs (status, created_at, run_id);
CREATE INDEX runs_created_at ON runs (created_at, run_id);
CREATE INDEX runs_metadata ON runs USING gin (metadata jsonb_path_ops);
"""

# Run claims: who holds a running run's lease, and until when.
_V2 = """
ALTER TABLE runs ADD COLUMN lease_owner text;
ALTER TABLE runs ADD COLUMN lease_expires_at timestamptz;
"""

# 5: the adapters' records: A2A push configs, MCP tasks and sessions (adapters.py).
MIGRATIONS: list[str] = [_V1, _V2, crons.MIGRATION, thread_ttl.MIGRATION, adapters.MIGRATION]


async def migrate(conn: Connection) -> list[int]:
    """Bring the database's schema up to date; returns the versions this call applied.

    Raises StorageUnavailable when another process holds the lock for LOCK_TIMEOUT."""
    await _lock(conn)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS interop_migrations ("
            " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        cursor = await conn.execute("SELECT version FROM interop_migrations")
        done = {row["version"] for row in await cursor.fetchall()}
        applied: list[int] = []
        for version, sql in enumerate(MIGRATIONS, start=1):
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO interop_migrations (version) VALUES (%s)", (version,)
                )
            applied.append(version)
        await AsyncPostgresSaver(conn).setup()
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


async def _lock(conn: Connection) -> None:
    deadline = time.monotonic() + LOCK_TIMEOUT
    while True:
        cursor = await conn.execute("SELECT pg_try_advisory_lock(%s) AS got", (LOCK_KEY,))
        row = await cursor.fetchone()
        if row is not None and row["got"]:
            return
        if time.monotonic() > deadline:
            raise StorageUnavailable(
                f"another process held the schema migration lock for {LOCK_TIMEOUT:.0f}s"
            )
        await asyncio.sleep(LOCK_POLL)
