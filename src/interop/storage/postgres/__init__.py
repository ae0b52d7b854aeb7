"""PostgreSQL storage: the scale-out backend. Many `interop serve` processes may share one
database; the schema migrates itself at startup (migrations.py), checkpoints go through
LangGraph's AsyncPostgresSaver (checkpoints.py), every store shares one connection pool."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from langgraph.checkpoint.base import CheckpointTuple
from langgraph.store.postgres.aio import AsyncPostgresStore

from interop.core.errors import register_outage
from interop.core.models import Run, Thread
from interop.core.store import StoreSettings
from interop.storage.errors import StorageUnavailable
from interop.storage.postgres import runs, threads
from interop.storage.postgres.adapters import PostgresAdapters
from interop.storage.postgres.assistants import PostgresAssistants
from interop.storage.postgres.checkpoints import PostgresCheckpoints, import_checkpoints
from interop.storage.postgres.crons import PostgresCrons
from interop.storage.postgres.migrations import LOCK_KEY, migrate
from interop.storage.postgres.migrations import _lock as lock_migrations
from interop.storage.postgres.pool import (
    Connection,
    Pool,
    check_url,
    connect,
    describe,
    one_line,
    open_pool,
)
from interop.storage.postgres.runs import PostgresRuns
from interop.storage.postgres.thread_ttl import PostgresThreadTtl
from interop.storage.postgres.threads import PostgresThreads

# A lost connection, a server that refuses them, a pool that cannot hand one out in time
# (psycopg_pool.PoolTimeout is an OperationalError): a request answered 503, not 500.
register_outage(psycopg.OperationalError)


class PostgresStorage:
    """The core's Storage protocol on one PostgreSQL database."""

    def __init__(self, url: str, store: StoreSettings | None = None) -> None:
        self.url = url
        self.store_settings = store or StoreSettings()
        self._pool: Pool | None = None

    async def setup(self) -> None:
        """Check the URL, migrate the schema, open the pool. Raises StorageUnavailable."""
        if self._pool is not None:
            return
        check_url(self.url)
        conn = await connect(self.url)
        try:
            await migrate(conn)
            await _setup_store(conn, self.store_settings)
        except psycopg.Error as exc:
            raise StorageUnavailable(
                f"cannot set up the schema of {describe(self.url)}: {one_line(exc)}"
            ) from exc
        finally:
            await conn.close()
        pool = await open_pool(self.url)
        self._pool = pool
        self.assistants = PostgresAssistants(pool)
        self.threads = PostgresThreads(pool)
        self.runs = PostgresRuns(pool)
        self.thread_ttl = PostgresThreadTtl(pool)
        self.checkpoints = PostgresCheckpoints(pool)
        self.adapters = PostgresAdapters(pool)
        self.crons = PostgresCrons(pool)
        settings = self.store_settings
        self.store = AsyncPostgresStore(pool, index=settings.index, ttl=settings.ttl)  # type: ignore[arg-type]
        if settings.sweep_minutes is not None:
            # Each process sweeps; the sweep is one DELETE of expired rows, safe when several
            # run it at once.
            await self.store.start_ttl_sweeper(settings.sweep_minutes)  # type: ignore[arg-type]

    async def adopt(self, thread: Thread, run: Run, checkpoints: Sequence[CheckpointTuple]) -> None:
        """Write a thread that lived in memory until its first run ended: its checkpoints, its
        row and the run's, in one transaction."""
        assert self._pool is not None
        async with self._pool.connection() as conn, conn.transaction():
            await import_checkpoints(conn, self.checkpoints.saver, checkpoints)
            await conn.execute(threads.INSERT, threads.insert_params(thread))
            await conn.execute(runs.INSERT, runs.insert_params(run))

    async def close(self) -> None:
        if getattr(self, "store", None) is not None:
            await self.store.stop_ttl_sweeper(timeout=5)
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def _setup_store(conn: Connection, settings: StoreSettings) -> None:
    """Create or migrate LangGraph's store tables (and its vector index when `store.index` is
    set, which needs the pgvector extension), one process at a time (the migrations' lock)."""
    if settings.index is not None:
        cursor = await conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if await cursor.fetchone() is None:
            raise StorageUnavailable(
                "store.index needs the pgvector extension, which this PostgreSQL server lacks"
            )
    await lock_migrations(conn)
    try:
        await AsyncPostgresStore(conn, index=settings.index, ttl=settings.ttl).setup()  # type: ignore[arg-type]
    finally:
        await conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


__all__ = ["PostgresStorage"]
