"""PostgreSQL storage: the scale-out backend. Many `interop serve` processes may share one
database; the schema migrates itself at startup (migrations.py), checkpoints go through
LangGraph's AsyncPostgresSaver (checkpoints.py), every store shares one connection pool."""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from langgraph.checkpoint.base import CheckpointTuple

from interop.core.errors import register_outage
from interop.core.models import Run, Thread
from interop.storage.errors import StorageUnavailable
from interop.storage.postgres import runs, threads
from interop.storage.postgres.assistants import PostgresAssistants
from interop.storage.postgres.checkpoints import PostgresCheckpoints, import_checkpoints
from interop.storage.postgres.migrations import migrate
from interop.storage.postgres.pool import (
    Pool,
    check_url,
    connect,
    describe,
    one_line,
    open_pool,
)
from interop.storage.postgres.runs import PostgresRuns
from interop.storage.postgres.threads import PostgresThreads

# A lost connection, a server that refuses them, a pool that cannot hand one out in time
# (psycopg_pool.PoolTimeout is an OperationalError): a request answered 503, not 500.
register_outage(psycopg.OperationalError)


class PostgresStorage:
    """The core's Storage protocol on one PostgreSQL database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pool: Pool | None = None

    async def setup(self) -> None:
        """Check the URL, migrate the schema, open the pool. Raises StorageUnavailable."""
        if self._pool is not None:
            return
        check_url(self.url)
        conn = await connect(self.url)
        try:
            await migrate(conn)
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
        self.checkpoints = PostgresCheckpoints(pool)

    async def adopt(self, thread: Thread, run: Run, checkpoints: Sequence[CheckpointTuple]) -> None:
        """Write a thread that lived in memory until its first run ended: its checkpoints, its
        row and the run's, in one transaction."""
        assert self._pool is not None
        async with self._pool.connection() as conn, conn.transaction():
            await import_checkpoints(conn, self.checkpoints.saver, checkpoints)
            await conn.execute(threads.INSERT, threads.insert_params(thread))
            await conn.execute(runs.INSERT, runs.insert_params(run))

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


__all__ = ["PostgresStorage"]
