"""Threads: metadata, status and the latest values and interrupts."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from interop.core.models import Thread, ThreadStatus
from interop.core.storage import SortOrder, ThreadSortKey
from interop.storage.ordering import order_by
from interop.storage.sqlite.connection import (
    Statement,
    Tables,
    from_json,
    json_filters,
    to_datetime,
    to_json,
    to_text,
)

_THREAD_COLS = (
    'thread_id, created_at, updated_at, state_updated_at, metadata, config, status, "values",'
    " interrupts, error"
)


def thread_record(row: sqlite3.Row) -> Thread:
    return Thread(
        thread_id=row["thread_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        state_updated_at=to_datetime(row["state_updated_at"]),
        metadata=from_json(row["metadata"]),
        config=from_json(row["config"]),
        status=row["status"],
        values=from_json(row["values"]),
        interrupts=from_json(row["interrupts"]),
        error=from_json(row["error"]),
    )


def thread_insert(t: Thread) -> Statement:
    return (
        f"INSERT OR IGNORE INTO threads ({_THREAD_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            t.thread_id,
            to_text(t.created_at),
            to_text(t.updated_at),
            to_text(t.state_updated_at) if t.state_updated_at else None,
            to_json(t.metadata),
            to_json(t.config),
            t.status,
            None if t.values is None else to_json(t.values),
            to_json(t.interrupts),
            None if t.error is None else to_json(t.error),
        ),
    )


class SqliteThreads(Tables):
    async def create(self, thread: Thread) -> bool:
        counts = await self._write([thread_insert(thread)])
        return counts[0] > 0

    async def get(self, thread_id: str) -> Thread | None:
        row = await self._row(
            f"SELECT {_THREAD_COLS} FROM threads WHERE thread_id = ?", (thread_id,)
        )
        return thread_record(row) if row else None

    async def metadata(self, thread_id: str) -> dict[str, Any] | None:
        row = await self._row("SELECT metadata FROM threads WHERE thread_id = ?", (thread_id,))
        return from_json(row["metadata"]) if row else None

    async def set_metadata(self, thread_id: str, metadata: dict[str, Any], *, at: datetime) -> bool:
        counts = await self._write(
            [
                (
                    "UPDATE threads SET metadata = ?, updated_at = ? WHERE thread_id = ?",
                    (to_json(metadata), to_text(at), thread_id),
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
        stamp = to_text(at)
        await self._write(
            [
                (
                    'UPDATE threads SET status = ?, "values" = ?, interrupts = ?, error = NULL,'
                    " updated_at = ?, state_updated_at = ? WHERE thread_id = ?",
                    (
                        status,
                        None if values is None else to_json(values),
                        to_json(interrupts),
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
                    (status, to_text(at), thread_id),
                )
            ]
        )

    async def delete(self, thread_id: str) -> bool:
        counts = await self._write(
            [
                ("DELETE FROM threads WHERE thread_id = ?", (thread_id,)),
                ("DELETE FROM runs WHERE thread_id = ?", (thread_id,)),
                ("DELETE FROM crons WHERE thread_id = ?", (thread_id,)),
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
        clauses, params = json_filters("metadata", metadata)
        more, more_params = json_filters('"values"', values)
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
        rows = await self._rows(
            f"SELECT {_THREAD_COLS} FROM threads{where}"
            f" ORDER BY {order_by(sort_by, 'thread_id', sort_order)} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [thread_record(r) for r in rows]

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
