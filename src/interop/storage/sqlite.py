"""SQLite storage: assistants, threads and runs in our tables; checkpoints through LangGraph's
SqliteSaver, on one connection owned by one database thread.

Every storage operation is one function run on that thread (one hop from the event loop,
whatever the number of statements), so the loop never blocks on disk and SQLite never sees two
writers from this process. LangGraph ships an async saver (AsyncSqliteSaver over aiosqlite), but
it costs a thread hop per statement, cursor close and commit (about 30 per run); the adapter
below runs the maintained sync SqliteSaver's methods on our database thread instead.
WAL mode with synchronous=NORMAL: durable against process crashes.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

import orjson
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.sqlite import SqliteSaver

from interop.core.models import Assistant, Run, RunStatus, Thread, ThreadStatus
from interop.core.storage import AssistantSortKey, SortOrder, ThreadSortKey

_SCHEMA = """
CREATE TABLE IF NOT EXISTS assistants (
    assistant_id TEXT PRIMARY KEY,
    graph_id TEXT NOT NULL,
    config TEXT NOT NULL,
    context TEXT NOT NULL,
    metadata TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS assistant_versions (
    assistant_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    graph_id TEXT NOT NULL,
    config TEXT NOT NULL,
    context TEXT NOT NULL,
    metadata TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (assistant_id, version)
);
CREATE TABLE IF NOT EXISTS threads (
    thread_id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    state_updated_at TEXT,
    metadata TEXT NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    "values" TEXT,
    interrupts TEXT NOT NULL,
    error TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL,
    assistant_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    status TEXT NOT NULL,
    metadata TEXT NOT NULL,
    kwargs TEXT NOT NULL,
    multitask_strategy TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    temporary INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_thread ON runs (thread_id, created_at);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status);
"""


def _column(key: str) -> str:
    """A sort key as an SQL column: the keys are the protocol's literals, all plain columns."""
    if not key.isidentifier():
        raise ValueError(f"not a sort key: {key!r}")
    return key


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def _load(text: str | bytes | None) -> Any:
    return None if text is None else orjson.loads(text)


def _ts(value: datetime) -> str:
    return value.isoformat()


def _dt(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _contains(document: Any, expected: Any) -> bool:
    """JSON containment (as Postgres `@>`): every key of an expected object is in the document
    with a contained value; an expected array's items each appear in the document's array."""
    if isinstance(expected, dict):
        return isinstance(document, dict) and all(
            key in document and _contains(document[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return isinstance(document, list) and all(
            any(_contains(item, want) for item in document) for want in expected
        )
    if isinstance(expected, bool) or isinstance(document, bool):
        return type(document) is type(expected) and document == expected
    return bool(document == expected)


def _sql_json_contains(document: str | bytes | None, expected: str) -> int:
    if document is None:
        return 0
    return int(_contains(orjson.loads(document), orjson.loads(expected)))


def _json_filters(column: str, filters: dict[str, Any] | None) -> tuple[list[str], list[Any]]:
    """SQL conditions that hold when `column` contains `filters` (JSON containment)."""
    if not filters:
        return [], []
    return [f"json_contains({column}, ?)"], [_json(filters)]


T = TypeVar("T")


class DbThread:
    """The one thread that owns the SQLite connection; `run` executes a function there."""

    def __init__(self, path: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="interop-sqlite")
        self._path = path
        self.conn: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self._path, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.create_function("json_contains", 2, _sql_json_contains, deterministic=True)
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA busy_timeout=5000",
        ):
            conn.execute(pragma).close()
        conn.executescript(_SCHEMA)
        conn.commit()
        return conn

    async def start(self) -> sqlite3.Connection:
        self.conn = await self.run(self._open)
        return self.conn

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def close(self) -> None:
        if self.conn is not None:
            await self.run(self.conn.close)
            self.conn = None
        self._executor.shutdown(wait=True)


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


Statement = tuple[str, Sequence[Any]]


class _Tables:
    """Shared plumbing: statements run on the database thread, one hop per call."""

    def __init__(self, db: DbThread) -> None:
        self._db = db

    @property
    def _conn(self) -> sqlite3.Connection:
        assert self._db.conn is not None
        return self._db.conn

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        cursor = self._conn.execute(sql, params)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return await self._db.run(self._fetch, sql, params)

    async def _row(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self._rows(sql, params)
        return rows[0] if rows else None

    def _transaction(self, statements: Sequence[Statement]) -> list[int]:
        conn = self._conn
        counts: list[int] = []
        try:
            for sql, params in statements:
                cursor = conn.execute(sql, params)
                counts.append(cursor.rowcount)
                cursor.close()
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return counts

    async def _write(self, statements: Sequence[Statement]) -> list[int]:
        """Run `statements` in one transaction; returns each statement's rowcount."""
        return await self._db.run(self._transaction, statements)


_ASSISTANT_COLS = (
    "assistant_id, graph_id, config, context, metadata, name, description, version,"
    " created_at, updated_at"
)


def _assistant(row: sqlite3.Row) -> Assistant:
    return Assistant(
        assistant_id=row["assistant_id"],
        graph_id=row["graph_id"],
        config=_load(row["config"]),
        context=_load(row["context"]),
        metadata=_load(row["metadata"]),
        name=row["name"],
        description=row["description"],
        version=row["version"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


class SqliteAssistants(_Tables):
    async def create(self, assistant: Assistant) -> bool:
        a = assistant
        values = (
            a.assistant_id,
            a.graph_id,
            _json(a.config),
            _json(a.context),
            _json(a.metadata),
            a.name,
            a.description,
        )
        counts = await self._write(
            [
                (
                    f"INSERT OR IGNORE INTO assistants ({_ASSISTANT_COLS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, a.version, _ts(a.created_at), _ts(a.updated_at)),
                ),
                (
                    "INSERT OR IGNORE INTO assistant_versions (assistant_id, graph_id, config,"
                    " context, metadata, name, description, version, created_at)"
                    " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() > 0",
                    (*values, a.version, _ts(a.created_at)),
                ),
            ]
        )
        return counts[0] > 0

    async def get(self, assistant_id: str) -> Assistant | None:
        row = await self._row(
            f"SELECT {_ASSISTANT_COLS} FROM assistants WHERE assistant_id = ?", (assistant_id,)
        )
        return _assistant(row) if row else None

    async def add_version(self, assistant: Assistant) -> Assistant | None:
        return await self._db.run(self._add_version, assistant)

    def _add_version(self, a: Assistant) -> Assistant | None:
        # One function on the database thread: nothing else writes between the read of the
        # highest version and the insert.
        top = self._fetch(
            "SELECT MAX(version) FROM assistant_versions WHERE assistant_id = ?", (a.assistant_id,)
        )
        if top[0][0] is None:
            return None
        stored = replace(a, version=int(top[0][0]) + 1)
        values = (
            stored.graph_id,
            _json(stored.config),
            _json(stored.context),
            _json(stored.metadata),
            stored.name,
            stored.description,
        )
        counts = self._transaction(
            [
                (
                    "UPDATE assistants SET graph_id = ?, config = ?, context = ?, metadata = ?,"
                    " name = ?, description = ?, version = ?, updated_at = ?"
                    " WHERE assistant_id = ?",
                    (*values, stored.version, _ts(stored.updated_at), stored.assistant_id),
                ),
                (
                    "INSERT INTO assistant_versions (assistant_id, version, graph_id, config,"
                    " context, metadata, name, description, created_at)"
                    " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() > 0",
                    (stored.assistant_id, stored.version, *values, _ts(stored.updated_at)),
                ),
            ]
        )
        return stored if counts[0] > 0 else None

    async def delete(self, assistant_id: str) -> bool:
        counts = await self._write(
            [
                ("DELETE FROM assistants WHERE assistant_id = ?", (assistant_id,)),
                ("DELETE FROM assistant_versions WHERE assistant_id = ?", (assistant_id,)),
            ]
        )
        return counts[0] > 0

    @staticmethod
    def _where(
        graph_id: str | None, name: str | None, metadata: dict[str, Any] | None
    ) -> tuple[str, list[Any]]:
        clauses, params = _json_filters("metadata", metadata)
        if graph_id is not None:
            clauses.append("graph_id = ?")
            params.append(graph_id)
        if name is not None:
            clauses.append("name LIKE ?")
            params.append(f"%{name}%")
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    async def search(
        self,
        *,
        graph_id: str | None,
        name: str | None,
        metadata: dict[str, Any] | None,
        limit: int,
        offset: int,
        sort_by: AssistantSortKey,
        sort_order: SortOrder,
    ) -> list[Assistant]:
        where, params = self._where(graph_id, name, metadata)
        order = "ASC" if sort_order == "asc" else "DESC"
        rows = await self._rows(
            f"SELECT {_ASSISTANT_COLS} FROM assistants{where}"
            f" ORDER BY {_column(sort_by)} {order}, assistant_id {order} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_assistant(r) for r in rows]

    async def count(
        self, *, graph_id: str | None, name: str | None, metadata: dict[str, Any] | None
    ) -> int:
        where, params = self._where(graph_id, name, metadata)
        row = await self._row(f"SELECT COUNT(*) FROM assistants{where}", params)
        return int(row[0]) if row else 0

    async def versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[Assistant]:
        clauses, params = _json_filters("metadata", metadata)
        extra = "".join(f" AND {c}" for c in clauses)
        rows = await self._rows(
            "SELECT assistant_id, graph_id, config, context, metadata, name, description,"
            " version, created_at, created_at AS updated_at FROM assistant_versions"
            f" WHERE assistant_id = ?{extra} ORDER BY version DESC LIMIT ? OFFSET ?",
            (assistant_id, *params, limit, offset),
        )
        return [_assistant(r) for r in rows]

    async def set_latest(
        self, assistant_id: str, version: int, *, at: datetime
    ) -> Assistant | None:
        return await self._db.run(self._set_latest, assistant_id, version, at)

    def _set_latest(self, assistant_id: str, version: int, at: datetime) -> Assistant | None:
        counts = self._transaction(
            [
                (
                    "UPDATE assistants SET (graph_id, config, context, metadata, name,"
                    " description, version, updated_at) = (SELECT graph_id, config, context,"
                    " metadata, name, description, version, ? FROM assistant_versions"
                    " WHERE assistant_id = ? AND version = ?)"
                    " WHERE assistant_id = ? AND EXISTS (SELECT 1 FROM assistant_versions"
                    " WHERE assistant_id = ? AND version = ?)",
                    (_ts(at), assistant_id, version, assistant_id, assistant_id, version),
                )
            ]
        )
        if not counts[0]:
            return None
        rows = self._fetch(
            f"SELECT {_ASSISTANT_COLS} FROM assistants WHERE assistant_id = ?", (assistant_id,)
        )
        return _assistant(rows[0]) if rows else None


_THREAD_COLS = (
    'thread_id, created_at, updated_at, state_updated_at, metadata, config, status, "values",'
    " interrupts, error"
)


def _thread(row: sqlite3.Row) -> Thread:
    return Thread(
        thread_id=row["thread_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        state_updated_at=_dt(row["state_updated_at"]),
        metadata=_load(row["metadata"]),
        config=_load(row["config"]),
        status=row["status"],
        values=_load(row["values"]),
        interrupts=_load(row["interrupts"]),
        error=_load(row["error"]),
    )


def _thread_insert(t: Thread) -> Statement:
    return (
        f"INSERT OR IGNORE INTO threads ({_THREAD_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            t.thread_id,
            _ts(t.created_at),
            _ts(t.updated_at),
            _ts(t.state_updated_at) if t.state_updated_at else None,
            _json(t.metadata),
            _json(t.config),
            t.status,
            None if t.values is None else _json(t.values),
            _json(t.interrupts),
            None if t.error is None else _json(t.error),
        ),
    )


class SqliteThreads(_Tables):
    async def create(self, thread: Thread) -> bool:
        counts = await self._write([_thread_insert(thread)])
        return counts[0] > 0

    async def get(self, thread_id: str) -> Thread | None:
        row = await self._row(
            f"SELECT {_THREAD_COLS} FROM threads WHERE thread_id = ?", (thread_id,)
        )
        return _thread(row) if row else None

    async def metadata(self, thread_id: str) -> dict[str, Any] | None:
        row = await self._row("SELECT metadata FROM threads WHERE thread_id = ?", (thread_id,))
        return _load(row["metadata"]) if row else None

    async def set_metadata(self, thread_id: str, metadata: dict[str, Any], *, at: datetime) -> bool:
        counts = await self._write(
            [
                (
                    "UPDATE threads SET metadata = ?, updated_at = ? WHERE thread_id = ?",
                    (_json(metadata), _ts(at), thread_id),
                )
            ]
        )
        return counts[0] > 0

    async def set_state(
        self,
        thread_id: str,
        *,
        status: ThreadStatus,
        values: dict[str, Any] | None,
        interrupts: dict[str, Any],
        at: datetime,
    ) -> None:
        stamp = _ts(at)
        await self._write(
            [
                (
                    'UPDATE threads SET status = ?, "values" = ?, interrupts = ?, error = NULL,'
                    " updated_at = ?, state_updated_at = ? WHERE thread_id = ?",
                    (
                        status,
                        None if values is None else _json(values),
                        _json(interrupts),
                        stamp,
                        stamp,
                        thread_id,
                    ),
                )
            ]
        )

    async def set_status(self, thread_id: str, status: ThreadStatus, *, at: datetime) -> None:
        await self._write(
            [
                (
                    "UPDATE threads SET status = ?, updated_at = ? WHERE thread_id = ?",
                    (status, _ts(at), thread_id),
                )
            ]
        )

    async def delete(self, thread_id: str) -> bool:
        counts = await self._write(
            [
                ("DELETE FROM threads WHERE thread_id = ?", (thread_id,)),
                ("DELETE FROM runs WHERE thread_id = ?", (thread_id,)),
            ]
        )
        return counts[0] > 0

    @staticmethod
    def _where(
        ids: Sequence[str] | None,
        metadata: dict[str, Any] | None,
        values: dict[str, Any] | None,
        status: ThreadStatus | None,
    ) -> tuple[str, list[Any]]:
        clauses, params = _json_filters("metadata", metadata)
        more, more_params = _json_filters('"values"', values)
        clauses += more
        params += more_params
        if ids:
            clauses.append(f"thread_id IN ({','.join('?' * len(ids))})")
            params.extend(ids)
        if status is not None:
            clauses.append("status = ?")
            params.append(status)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    async def search(
        self,
        *,
        ids: Sequence[str] | None,
        metadata: dict[str, Any] | None,
        values: dict[str, Any] | None,
        status: ThreadStatus | None,
        limit: int,
        offset: int,
        sort_by: ThreadSortKey,
        sort_order: SortOrder,
    ) -> list[Thread]:
        where, params = self._where(ids, metadata, values, status)
        order = "ASC" if sort_order == "asc" else "DESC"
        rows = await self._rows(
            f"SELECT {_THREAD_COLS} FROM threads{where}"
            f" ORDER BY {_column(sort_by)} {order}, thread_id {order} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_thread(r) for r in rows]

    async def count(
        self,
        *,
        metadata: dict[str, Any] | None,
        values: dict[str, Any] | None,
        status: ThreadStatus | None,
        ids: Sequence[str] | None = None,
    ) -> int:
        where, params = self._where(ids, metadata, values, status)
        row = await self._row(f"SELECT COUNT(*) FROM threads{where}", params)
        return int(row[0]) if row else 0


_RUN_COLS = (
    "run_id, thread_id, assistant_id, created_at, updated_at, status, metadata, kwargs,"
    " multitask_strategy, attempt, temporary"
)


def _run(row: sqlite3.Row) -> Run:
    return Run(
        run_id=row["run_id"],
        thread_id=row["thread_id"],
        assistant_id=row["assistant_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        status=row["status"],
        metadata=_load(row["metadata"]),
        kwargs=_load(row["kwargs"]),
        multitask_strategy=row["multitask_strategy"],
        attempt=row["attempt"],
        temporary=bool(row["temporary"]),
    )


def _run_insert(r: Run) -> Statement:
    return (
        f"INSERT INTO runs ({_RUN_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            r.run_id,
            r.thread_id,
            r.assistant_id,
            _ts(r.created_at),
            _ts(r.updated_at),
            r.status,
            _json(r.metadata),
            _json(r.kwargs),
            r.multitask_strategy,
            r.attempt,
            int(r.temporary),
        ),
    )


class SqliteRuns(_Tables):
    async def create(self, run: Run, *, reject_if_inflight: bool) -> bool:
        r = run
        insert = _run_insert(r)
        busy = (
            "UPDATE threads SET status = 'busy', updated_at = ? WHERE thread_id = ?",
            (_ts(r.created_at), r.thread_id),
        )
        return await self._db.run(self._create, r.thread_id, [insert, busy], reject_if_inflight)

    def _create(self, thread_id: str, statements: list[Statement], reject: bool) -> bool:
        # One function on the database thread, the one writer: the check and the insert are
        # atomic for this process; another process's write waits on SQLite's database lock.
        if reject and self._fetch(
            "SELECT 1 FROM runs WHERE thread_id = ? AND status IN ('pending', 'running') LIMIT 1",
            (thread_id,),
        ):
            return False
        self._transaction(statements)
        return True

    async def get(self, run_id: str, thread_id: str | None = None) -> Run | None:
        if thread_id is None:
            row = await self._row(f"SELECT {_RUN_COLS} FROM runs WHERE run_id = ?", (run_id,))
        else:
            row = await self._row(
                f"SELECT {_RUN_COLS} FROM runs WHERE run_id = ? AND thread_id = ?",
                (run_id, thread_id),
            )
        return _run(row) if row else None

    async def for_thread(
        self, thread_id: str, *, limit: int, offset: int, status: RunStatus | None
    ) -> list[Run]:
        extra = " AND status = ?" if status else ""
        params: tuple[Any, ...] = (thread_id, status) if status else (thread_id,)
        rows = await self._rows(
            f"SELECT {_RUN_COLS} FROM runs WHERE thread_id = ?{extra}"
            " ORDER BY created_at DESC, run_id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_run(r) for r in rows]

    @staticmethod
    def _where(
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
    ) -> tuple[str, list[Any]]:
        clauses, params = _json_filters("metadata", metadata)
        if thread_id is not None:
            clauses.append("thread_id = ?")
            params.append(thread_id)
        if statuses:
            clauses.append(f"status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    async def search(
        self,
        *,
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
        limit: int,
        offset: int,
    ) -> list[Run]:
        where, params = self._where(thread_id, statuses, metadata)
        rows = await self._rows(
            f"SELECT {_RUN_COLS} FROM runs{where}"
            " ORDER BY created_at DESC, run_id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_run(r) for r in rows]

    async def count(
        self,
        *,
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
    ) -> int:
        where, params = self._where(thread_id, statuses, metadata)
        row = await self._row(f"SELECT COUNT(*) FROM runs{where}", params)
        return int(row[0]) if row else 0

    async def inflight(self, thread_id: str) -> list[Run]:
        rows = await self._rows(
            f"SELECT {_RUN_COLS} FROM runs WHERE thread_id = ?"
            " AND status IN ('pending', 'running') ORDER BY created_at, run_id",
            (thread_id,),
        )
        return [_run(r) for r in rows]

    async def set_status(
        self, run_id: str, status: RunStatus, *, at: datetime, attempt: int | None = None
    ) -> None:
        statement: Statement
        if attempt is None:
            statement = (
                "UPDATE runs SET status = ?, updated_at = ? WHERE run_id = ?",
                (status, _ts(at), run_id),
            )
        else:
            statement = (
                "UPDATE runs SET status = ?, attempt = ?, updated_at = ? WHERE run_id = ?",
                (status, attempt, _ts(at), run_id),
            )
        await self._write([statement])

    async def finish(
        self,
        run_id: str,
        status: RunStatus,
        *,
        thread_id: str,
        thread_status: ThreadStatus,
        values: dict[str, Any] | None,
        interrupts: dict[str, Any],
        error: dict[str, Any] | None,
        update_values: bool,
        at: datetime,
    ) -> None:
        stamp = _ts(at)
        statements: list[tuple[str, Sequence[Any]]] = [
            ("UPDATE runs SET status = ?, updated_at = ? WHERE run_id = ?", (status, stamp, run_id))
        ]
        if update_values:
            statements.append(
                (
                    'UPDATE threads SET status = ?, "values" = ?, interrupts = ?, error = ?,'
                    " updated_at = ?, state_updated_at = ? WHERE thread_id = ?",
                    (
                        thread_status,
                        None if values is None else _json(values),
                        _json(interrupts),
                        None if error is None else _json(error),
                        stamp,
                        stamp,
                        thread_id,
                    ),
                )
            )
        else:
            statements.append(
                (
                    "UPDATE threads SET status = ?, error = ?, updated_at = ? WHERE thread_id = ?",
                    (thread_status, None if error is None else _json(error), stamp, thread_id),
                )
            )
        await self._write(statements)

    async def delete(self, run_id: str) -> bool:
        counts = await self._write([("DELETE FROM runs WHERE run_id = ?", (run_id,))])
        return counts[0] > 0

    async def with_status(self, *statuses: RunStatus) -> list[Run]:
        marks = ",".join("?" * len(statuses))
        rows = await self._rows(
            f"SELECT {_RUN_COLS} FROM runs WHERE status IN ({marks}) ORDER BY created_at, run_id",
            statuses,
        )
        return [_run(r) for r in rows]


@dataclass(slots=True)
class _Adoption:
    thread: Thread
    run: Run
    checkpoints: list[CheckpointTuple]
    done: asyncio.Future[None]


def _settle(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


class SqliteStorage:
    """The core's Storage protocol on one SQLite database file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._db: DbThread | None = None
        self._adoptions: list[_Adoption] = []
        self._adopter: asyncio.Task[None] | None = None

    async def setup(self) -> None:
        if self._db is not None:
            return
        db = DbThread(self.path)
        conn = await db.start()
        sync = InteropSqliteSaver(conn)
        await db.run(sync.setup)
        self._db = db
        self.assistants = SqliteAssistants(db)
        self.threads = SqliteThreads(db)
        self.runs = SqliteRuns(db)
        self.checkpoints = SqliteCheckpoints(ThreadedSaver(sync, db))
        self._sync = sync

    async def adopt(self, thread: Thread, run: Run, checkpoints: Sequence[CheckpointTuple]) -> None:
        """Write a thread that lived in memory until its first run ended: its checkpoints, its
        row and the run's, in one transaction.

        Adoptions that arrive while one is being written are written together, in one
        transaction and one hop to the database thread (group commit): each returns once its
        own is committed, so a caller never answers before the thread is stored."""
        done = asyncio.get_running_loop().create_future()
        self._adoptions.append(_Adoption(thread, run, list(checkpoints), done))
        if self._adopter is None or self._adopter.done():
            self._adopter = asyncio.create_task(self._adopt_pending(), name="interop-adopt")
        await done

    async def _adopt_pending(self) -> None:
        assert self._db is not None
        while self._adoptions:
            batch, self._adoptions = self._adoptions, []
            try:
                await self._db.run(self._adopt, batch)
            except Exception:  # noqa: BLE001 - one bad item must not fail the others
                for item in batch:
                    try:
                        await self._db.run(self._adopt, [item])
                    except Exception as exc:  # noqa: BLE001 - handed to its caller
                        _settle(item.done, exc)
                    else:
                        _settle(item.done, None)
            else:
                for item in batch:
                    _settle(item.done, None)

    def _adopt(self, batch: list[_Adoption]) -> None:
        statements: list[Statement] = []
        try:
            for item in batch:
                self._sync.import_checkpoints(item.checkpoints)
                statements += [_thread_insert(item.thread), _run_insert(item.run)]
        except BaseException:
            self.runs._conn.rollback()
            raise
        self.runs._transaction(statements)

    async def close(self) -> None:
        if self._adopter is not None:
            # Adoptions already handed over are written before the database closes.
            await asyncio.gather(self._adopter, return_exceptions=True)
        if self._db is not None:
            await self._db.close()
            self._db = None


__all__ = ["SqliteStorage"]
