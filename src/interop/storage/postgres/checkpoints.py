"""Checkpoints through LangGraph's AsyncPostgresSaver, plus the thread-level operations of the
core's Checkpointer protocol over the saver's tables (checkpoints, checkpoint_blobs,
checkpoint_writes), which the saver itself does not offer (prune and delete_thread it does)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any, Literal

from langgraph.checkpoint.base import CheckpointTuple
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import AsyncCursor
from psycopg.rows import DictRow, dict_row

from interop.core.storage import CHECKPOINT_FENCE, LeaseLost
from interop.storage.postgres.pool import Connection, Pool


class _NoLock:
    """Stands in for the saver's per-instance lock: see PooledSaver."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


_FENCE = "SELECT 1 FROM runs WHERE run_id = %s AND attempt = %s AND status = 'running' FOR SHARE"


class PooledSaver(AsyncPostgresSaver):
    """AsyncPostgresSaver on a connection pool, without its instance-wide lock.

    The saver holds one asyncio lock around every statement so that a single shared connection
    is never used by two coroutines at once. On a pool each statement borrows its own
    connection, so the lock would only serialize every checkpoint read and write of the
    process (all runs of all threads) for nothing."""

    def __init__(self, pool: Pool) -> None:
        super().__init__(pool)
        self.lock = _NoLock()  # type: ignore[assignment]
        self._pool = pool

    @contextlib.asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[AsyncCursor[DictRow]]:
        """The saver's cursor; for the writes of a run held under a lease (`CHECKPOINT_FENCE`),
        one in a transaction that first checks, under a share lock on the run's row, that the
        lease is still this attempt's: a process whose run was taken over writes nothing more.
        (The saver writes through `_cursor(pipeline=True)`; reads are not fenced.)"""
        fence = CHECKPOINT_FENCE.get()
        if not pipeline or fence is None:
            async with super()._cursor(pipeline=pipeline) as cur:
                yield cur
            return
        async with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor(binary=True, row_factory=dict_row) as cur,
        ):
            await cur.execute(_FENCE, fence)
            if await cur.fetchone() is None:
                raise LeaseLost(f"run {fence[0]}: attempt {fence[1]} no longer holds its lease")
            yield cur


async def import_checkpoints(
    conn: Connection, saver: AsyncPostgresSaver, checkpoints: Sequence[CheckpointTuple]
) -> None:
    """Store checkpoints (and their pending writes) read from another saver, on `conn` (in the
    caller's transaction)."""
    writer = AsyncPostgresSaver(conn, serde=saver.serde)
    for item in checkpoints:
        configurable = item.config["configurable"]
        parent = item.parent_config or {
            "configurable": {
                "thread_id": configurable["thread_id"],
                "checkpoint_ns": configurable.get("checkpoint_ns", ""),
            }
        }
        stored = await writer.aput(
            parent, item.checkpoint, item.metadata, item.checkpoint["channel_versions"]
        )
        by_task: dict[str, list[tuple[str, Any]]] = {}
        for task_id, channel, value in item.pending_writes or ():
            by_task.setdefault(task_id, []).append((channel, value))
        for task_id, writes in by_task.items():
            await writer.aput_writes(stored, writes, task_id)


# Blobs are shared by the checkpoints of a thread (keyed by channel and version): after
# checkpoints go, the blobs no remaining checkpoint refers to go too.
_DELETE_ORPHAN_BLOBS = (
    "DELETE FROM checkpoint_blobs b WHERE b.thread_id = %s AND NOT EXISTS ("
    " SELECT 1 FROM checkpoints c WHERE c.thread_id = b.thread_id"
    " AND c.checkpoint_ns = b.checkpoint_ns"
    " AND c.checkpoint -> 'channel_versions' ->> b.channel = b.version)"
)


class PostgresCheckpoints:
    """The core's Checkpointer protocol over PooledSaver."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool
        self.saver = PooledSaver(pool)

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncCursor[DictRow]]:
        async with self._pool.connection() as conn, conn.transaction():
            yield conn.cursor()

    async def delete_for_runs(self, thread_id: str, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their writes) the runs made on `thread_id`: a copied
        thread keeps the run ids in its checkpoints' metadata."""
        ids = list(run_ids)
        if not ids:
            return
        async with self._transaction() as cur:
            await cur.execute(
                "DELETE FROM checkpoint_writes w USING checkpoints c"
                " WHERE c.thread_id = %s AND c.metadata ->> 'run_id' = ANY(%s)"
                " AND w.thread_id = c.thread_id AND w.checkpoint_ns = c.checkpoint_ns"
                " AND w.checkpoint_id = c.checkpoint_id",
                (thread_id, ids),
            )
            await cur.execute(
                "DELETE FROM checkpoints WHERE thread_id = %s AND metadata ->> 'run_id' = ANY(%s)",
                (thread_id, ids),
            )
            await cur.execute(_DELETE_ORPHAN_BLOBS, (thread_id,))

    async def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        source, target = source_thread_id, target_thread_id
        async with self._transaction() as cur:
            await cur.execute(
                "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id,"
                " parent_checkpoint_id, type, checkpoint, metadata)"
                " SELECT %s, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,"
                " metadata || jsonb_build_object('thread_id', %s::text)"
                " FROM checkpoints WHERE thread_id = %s ON CONFLICT DO NOTHING",
                (target, target, source),
            )
            await cur.execute(
                "INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type,"
                " blob) SELECT %s, checkpoint_ns, channel, version, type, blob"
                " FROM checkpoint_blobs WHERE thread_id = %s ON CONFLICT DO NOTHING",
                (target, source),
            )
            await cur.execute(
                "INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id,"
                " task_path, idx, channel, type, blob)"
                " SELECT %s, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type,"
                " blob FROM checkpoint_writes WHERE thread_id = %s ON CONFLICT DO NOTHING",
                (target, source),
            )

    async def prune(
        self, thread_ids: Sequence[str], strategy: Literal["delete", "keep_latest"]
    ) -> None:
        await self.saver.aprune(list(thread_ids), strategy=strategy)

    async def delete_thread(self, thread_id: str) -> None:
        await self.saver.adelete_thread(thread_id)

    async def run_has_progress(self, thread_id: str, run_id: str) -> bool:
        """A task of the run finished: its writes are recorded against one of the run's `loop`
        checkpoints, or the run moved on to a second `loop` checkpoint (see the SQLite
        storage for why nothing else counts)."""
        run_loop = (
            "c.thread_id = %s AND c.metadata ->> 'run_id' = %s AND c.metadata ->> 'source' = 'loop'"
        )
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                f"SELECT (SELECT count(*) FROM checkpoints c WHERE {run_loop}) >= 2"
                " OR EXISTS (SELECT 1 FROM checkpoints c JOIN checkpoint_writes w"
                " ON w.thread_id = c.thread_id AND w.checkpoint_ns = c.checkpoint_ns"
                f" AND w.checkpoint_id = c.checkpoint_id WHERE {run_loop}"
                " AND w.channel <> '__error__') AS progress",
                (thread_id, run_id, thread_id, run_id),
            )
            row = await cursor.fetchone()
        return bool(row and row["progress"])
