"""Threads in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.rows import DictRow

from interop.core.models import Thread, ThreadStatus
from interop.core.storage import SortOrder, ThreadSortKey
from interop.storage.ordering import order_by
from interop.storage.postgres.pool import Tables, jsonb, where

COLS = (
    'thread_id, created_at, updated_at, state_updated_at, metadata, config, status, "values",'
    " interrupts, error"
)


def thread_from(row: DictRow) -> Thread:
    return Thread(
        thread_id=row["thread_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        state_updated_at=row["state_updated_at"],
        metadata=row["metadata"],
        config=row["config"],
        status=row["status"],
        values=row["values"],
        interrupts=row["interrupts"],
        error=row["error"],
    )


INSERT = (
    f"INSERT INTO threads ({COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT DO NOTHING"
)


def insert_params(t: Thread) -> tuple[Any, ...]:
    return (
        t.thread_id,
        t.created_at,
        t.updated_at,
        t.state_updated_at,
        jsonb(t.metadata),
        jsonb(t.config),
        t.status,
        None if t.values is None else jsonb(t.values),
        jsonb(t.interrupts),
        None if t.error is None else jsonb(t.error),
    )


def _filters(
    ids: Sequence[str] | None,
    metadata: dict[str, Any] | None,
    values: dict[str, Any] | None,
    status: ThreadStatus | None,
) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if metadata:
        clauses.append("metadata @> %s")
        params.append(jsonb(metadata))
    if values:
        clauses.append('"values" @> %s')
        params.append(jsonb(values))
    if ids:
        clauses.append("thread_id = ANY(%s)")
        params.append(list(ids))
    if status is not None:
        clauses.append("status = %s")
        params.append(status)
    return clauses, params


def thread_order(sort_by: ThreadSortKey, sort_order: SortOrder) -> str:
    # A thread never run has no state_updated_at: it sorts as in SQLite, as the smallest. (Only
    # that column is nullable; spelling NULLS on the others would keep their indexes unused.)
    nullable = sort_by == "state_updated_at"
    return order_by(sort_by, "thread_id", sort_order, nulls_smallest=nullable)


class PostgresThreads(Tables):
    async def create(self, thread: Thread) -> bool:
        return await self._execute(INSERT, insert_params(thread)) > 0

    async def get(self, thread_id: str) -> Thread | None:
        row = await self._row(f"SELECT {COLS} FROM threads WHERE thread_id = %s", (thread_id,))
        return thread_from(row) if row else None

    async def metadata(self, thread_id: str) -> dict[str, Any] | None:
        row = await self._row("SELECT metadata FROM threads WHERE thread_id = %s", (thread_id,))
        return row["metadata"] if row else None

    async def set_metadata(self, thread_id: str, metadata: dict[str, Any], *, at: datetime) -> bool:
        return (
            await self._execute(
                "UPDATE threads SET metadata = %s, updated_at = %s WHERE thread_id = %s",
                (jsonb(metadata), at, thread_id),
            )
            > 0
        )

    async def set_state(
        self,
        thread_id: str,
        *,
        status: ThreadStatus,
        values: dict[str, Any] | None,
        interrupts: dict[str, Any],
        at: datetime,
    ) -> None:
        await self._execute(
            'UPDATE threads SET status = %s, "values" = %s, interrupts = %s, error = NULL,'
            " updated_at = %s, state_updated_at = %s WHERE thread_id = %s",
            (
                status,
                None if values is None else jsonb(values),
                jsonb(interrupts),
                at,
                at,
                thread_id,
            ),
        )

    async def set_status(self, thread_id: str, status: ThreadStatus, *, at: datetime) -> None:
        await self._execute(
            "UPDATE threads SET status = %s, updated_at = %s WHERE thread_id = %s",
            (status, at, thread_id),
        )

    async def delete(self, thread_id: str) -> bool:
        async with self._pool.connection() as conn, conn.transaction():
            cursor = await conn.execute("DELETE FROM threads WHERE thread_id = %s", (thread_id,))
            await conn.execute("DELETE FROM runs WHERE thread_id = %s", (thread_id,))
            await conn.execute("DELETE FROM crons WHERE thread_id = %s", (thread_id,))
            return cursor.rowcount > 0

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
        clauses, params = _filters(ids, metadata, values, status)
        rows = await self._rows(
            f"SELECT {COLS} FROM threads{where(clauses)}"
            f" ORDER BY {thread_order(sort_by, sort_order)} LIMIT %s OFFSET %s",
            (*params, limit, offset),
        )
        return [thread_from(r) for r in rows]

    async def count(
        self,
        *,
        metadata: dict[str, Any] | None,
        values: dict[str, Any] | None,
        status: ThreadStatus | None,
        ids: Sequence[str] | None = None,
    ) -> int:
        clauses, params = _filters(ids, metadata, values, status)
        row = await self._row(f"SELECT count(*) AS n FROM threads{where(clauses)}", params)
        return int(row["n"]) if row else 0
