"""Checkpoints through LangGraph's SqliteSaver, run on our database thread.

LangGraph ships an async saver (AsyncSqliteSaver over aiosqlite), but it costs a thread hop per
statement, cursor close and commit (about 30 per run); the adapter below runs the maintained
sync SqliteSaver's methods on our database thread instead, one hop per operation.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.sqlite import SqliteSaver

from interop.storage.sqlite.connection import DbThread


class InteropSqliteSaver(SqliteSaver):
    """SqliteSaver plus the thread operations LangGraph's base saver leaves unimplemented for
    SQLite (delete_for_runs, copy_thread, prune). Runs on the database thread only."""

    # While True, `put`/`put_writes` leave the commit to the caller (`import_checkpoints`).
    _deferred_commit = False

    @contextmanager
    def cursor(self, transaction: bool = True) -> Iterator[sqlite3.Cursor]:
        with super().cursor(transaction=transaction and not self._deferred_commit) as cur:
            yield cur

    def delete_for_runs(self, run_ids: Sequence[str], thread_id: str | None = None) -> None:
        """Delete the checkpoints (and their writes) the runs made, on `thread_id` only when
        given: a copied thread keeps the run ids in its checkpoints' metadata."""
        ids = list(run_ids)
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        scope = " AND thread_id = ?" if thread_id is not None else ""
        params = [*ids, thread_id] if thread_id is not None else ids
        with self.cursor() as cur:
            cur.execute(
                "DELETE FROM writes WHERE (thread_id, checkpoint_ns, checkpoint_id) IN ("
                " SELECT thread_id, checkpoint_ns, checkpoint_id FROM checkpoints"
                f" WHERE json_extract(CAST(metadata AS TEXT), '$.run_id') IN ({marks}){scope})",
                params,
            )
            cur.execute(
                "DELETE FROM checkpoints WHERE"
                f" json_extract(CAST(metadata AS TEXT), '$.run_id') IN ({marks}){scope}",
                params,
            )

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        with self.cursor() as cur:
            cur.execute(
                "INSERT OR REPLACE INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id,"
                " parent_checkpoint_id, type, checkpoint, metadata)"
                " SELECT ?, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,"
                " CAST(json_set(CAST(metadata AS TEXT), '$.thread_id', ?) AS BLOB)"
                " FROM checkpoints WHERE thread_id = ?",
                (target_thread_id, target_thread_id, source_thread_id),
            )
            cur.execute(
                "INSERT OR REPLACE INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id,"
                " task_path, idx, channel, type, value)"
                " SELECT ?, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type,"
                " value FROM writes WHERE thread_id = ?",
                (target_thread_id, source_thread_id),
            )

    def import_checkpoints(self, checkpoints: Sequence[CheckpointTuple]) -> None:
        """Store checkpoints (and their pending writes) read from another saver, in the
        caller's transaction (nothing is committed here)."""
        self._deferred_commit = True
        try:
            self._import(checkpoints)
        finally:
            self._deferred_commit = False

    def _import(self, checkpoints: Sequence[CheckpointTuple]) -> None:
        for item in checkpoints:
            configurable = item.config["configurable"]
            parent = item.parent_config or {
                "configurable": {
                    "thread_id": configurable["thread_id"],
                    "checkpoint_ns": configurable.get("checkpoint_ns", ""),
                }
            }
            stored = self.put(
                parent, item.checkpoint, item.metadata, item.checkpoint["channel_versions"]
            )
            by_task: dict[str, list[tuple[str, Any]]] = {}
            for task_id, channel, value in item.pending_writes or ():
                by_task.setdefault(task_id, []).append((channel, value))
            for task_id, writes in by_task.items():
                self.put_writes(stored, writes, task_id)

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        for thread_id in thread_ids:
            if strategy == "delete":
                self.delete_thread(thread_id)
                continue
            with self.cursor() as cur:
                # Keep the newest checkpoint of each namespace (checkpoint ids sort by time).
                cur.execute(
                    "DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id NOT IN ("
                    " SELECT MAX(checkpoint_id) FROM checkpoints WHERE thread_id = ?"
                    " GROUP BY checkpoint_ns)",
                    (thread_id, thread_id),
                )
                cur.execute(
                    "DELETE FROM writes WHERE thread_id = ? AND (checkpoint_ns, checkpoint_id)"
                    " NOT IN (SELECT checkpoint_ns, checkpoint_id FROM checkpoints"
                    " WHERE thread_id = ?)",
                    (thread_id, thread_id),
                )

    def run_has_progress(self, thread_id: str, run_id: str) -> bool:
        """A task of the run finished: its writes are recorded against one of the run's `loop`
        checkpoints, or the run moved on to a second `loop` checkpoint. (The `input` checkpoint
        carries the input's own writes; a task cancelled by a stopping server leaves only an
        `__error__` write; step numbers continue across runs, so they say nothing.)"""
        run_loop = (
            "thread_id = ? AND json_extract(CAST(metadata AS TEXT), '$.run_id') = ?"
            " AND json_extract(CAST(metadata AS TEXT), '$.source') = 'loop'"
        )
        with self.cursor(transaction=False) as cur:
            cur.execute(
                f"SELECT (SELECT COUNT(*) FROM checkpoints WHERE {run_loop}) >= 2"
                " OR EXISTS (SELECT 1 FROM writes w WHERE w.thread_id = ?"
                " AND w.channel != '__error__' AND"
                " (w.checkpoint_ns, w.checkpoint_id) IN (SELECT checkpoint_ns, checkpoint_id"
                f" FROM checkpoints WHERE {run_loop}))",
                (thread_id, run_id, thread_id, thread_id, run_id),
            )
            row = cur.fetchone()
        return bool(row and row[0])


class ThreadedSaver(BaseCheckpointSaver[str]):
    """The async saver interface LangGraph calls, served by InteropSqliteSaver on the database
    thread: one hop per operation."""

    def __init__(self, sync: InteropSqliteSaver, db: DbThread) -> None:
        super().__init__(serde=sync.serde)
        self.sync = sync
        self.db = db

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self.db.run(self.sync.get_tuple, config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        def collect() -> list[CheckpointTuple]:
            return list(self.sync.list(config, filter=filter, before=before, limit=limit))

        for item in await self.db.run(collect):
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return await self.db.run(self.sync.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self.db.run(self.sync.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await self.db.run(self.sync.delete_thread, thread_id)

    async def adelete_for_runs(self, run_ids: Iterable[str]) -> None:
        await self.db.run(self.sync.delete_for_runs, list(run_ids))

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await self.db.run(self.sync.copy_thread, source_thread_id, target_thread_id)

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        await self.db.run(self.sync.prune, list(thread_ids), strategy=strategy)

    def get_next_version(self, current: str | None, channel: None) -> str:
        return self.sync.get_next_version(current, channel)


class SqliteCheckpoints:
    """The core's Checkpointer protocol over the threaded saver."""

    def __init__(self, saver: ThreadedSaver) -> None:
        self.saver = saver

    async def delete_for_runs(self, thread_id: str, run_ids: Sequence[str]) -> None:
        await self.saver.db.run(self.saver.sync.delete_for_runs, list(run_ids), thread_id)

    async def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        await self.saver.acopy_thread(source_thread_id, target_thread_id)

    async def prune(
        self, thread_ids: Sequence[str], strategy: Literal["delete", "keep_latest"]
    ) -> None:
        await self.saver.aprune(thread_ids, strategy=strategy)

    async def delete_thread(self, thread_id: str) -> None:
        await self.saver.adelete_thread(thread_id)

    async def run_has_progress(self, thread_id: str, run_id: str) -> bool:
        return await self.saver.db.run(self.saver.sync.run_has_progress, thread_id, run_id)
