"""Crons in SQLite."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from interop.core.models import Cron
from interop.core.storage import CronSortKey, SortOrder
from interop.storage.ordering import order_by
from interop.storage.sqlite.connection import (
    Tables,
    from_json,
    json_filters,
    to_datetime,
    to_json,
    to_text,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS crons (
    cron_id TEXT PRIMARY KEY,
    assistant_id TEXT NOT NULL,
    thread_id TEXT,
    user_id TEXT,
    schedule TEXT NOT NULL,
    timezone TEXT,
    end_time TEXT,
    next_run_date TEXT,
    on_run_completed TEXT,
    payload TEXT NOT NULL,
    metadata TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crons_due ON crons (enabled, next_run_date);
CREATE INDEX IF NOT EXISTS crons_created_at ON crons (created_at, cron_id);
"""

_COLS = (
    "cron_id, assistant_id, thread_id, user_id, schedule, timezone, end_time, next_run_date,"
    " on_run_completed, payload, metadata, enabled, created_at, updated_at"
)


def _record(row: sqlite3.Row) -> Cron:
    return Cron(
        cron_id=row["cron_id"],
        assistant_id=row["assistant_id"],
        thread_id=row["thread_id"],
        user_id=row["user_id"],
        schedule=row["schedule"],
        timezone=row["timezone"],
        end_time=to_datetime(row["end_time"]),
        next_run_date=to_datetime(row["next_run_date"]),
        on_run_completed=row["on_run_completed"],
        payload=from_json(row["payload"]),
        metadata=from_json(row["metadata"]),
        enabled=bool(row["enabled"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


def _opt(value: datetime | None) -> str | None:
    return to_text(value) if value is not None else None


def _params(c: Cron) -> tuple[Any, ...]:
    return (
        c.assistant_id,
        c.thread_id,
        c.user_id,
        c.schedule,
        c.timezone,
        _opt(c.end_time),
        _opt(c.next_run_date),
        c.on_run_completed,
        to_json(c.payload),
        to_json(c.metadata),
        int(c.enabled),
        to_text(c.created_at),
        to_text(c.updated_at),
    )


def _where(
    assistant_id: str | None,
    thread_id: str | None,
    enabled: bool | None,
    metadata: dict[str, Any] | None,
) -> tuple[str, list[Any]]:
    clauses, params = json_filters("metadata", metadata)
    for column, value in (("assistant_id", assistant_id), ("thread_id", thread_id)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if enabled is not None:
        clauses.append("enabled = ?")
        params.append(int(enabled))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class SqliteCrons(Tables):
    async def create(self, cron: Cron) -> None:
        await self._write(
            [
                (
                    f"INSERT INTO crons ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (cron.cron_id, *_params(cron)),
                )
            ]
        )

    async def get(self, cron_id: str) -> Cron | None:
        row = await self._row(f"SELECT {_COLS} FROM crons WHERE cron_id = ?", (cron_id,))
        return _record(row) if row else None

    async def replace(self, cron: Cron) -> bool:
        counts = await self._write(
            [
                (
                    "UPDATE crons SET assistant_id = ?, thread_id = ?, user_id = ?, schedule = ?,"
                    " timezone = ?, end_time = ?, next_run_date = ?, on_run_completed = ?,"
                    " payload = ?, metadata = ?, enabled = ?, created_at = ?, updated_at = ?"
                    " WHERE cron_id = ?",
                    (*_params(cron), cron.cron_id),
                )
            ]
        )
        return counts[0] > 0

    async def delete(self, cron_id: str) -> bool:
        counts = await self._write([("DELETE FROM crons WHERE cron_id = ?", (cron_id,))])
        return counts[0] > 0

    async def search(
        self,
        *,
        assistant_id: str | None,
        thread_id: str | None,
        enabled: bool | None,
        metadata: dict[str, Any] | None,
        limit: int,
        offset: int,
        sort_by: CronSortKey,
        sort_order: SortOrder,
    ) -> list[Cron]:
        where, params = _where(assistant_id, thread_id, enabled, metadata)
        rows = await self._rows(
            f"SELECT {_COLS} FROM crons{where}"
            f" ORDER BY {order_by(sort_by, 'cron_id', sort_order)} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [_record(r) for r in rows]

    async def count(
        self,
        *,
        assistant_id: str | None,
        thread_id: str | None,
        enabled: bool | None,
        metadata: dict[str, Any] | None,
    ) -> int:
        where, params = _where(assistant_id, thread_id, enabled, metadata)
        row = await self._row(f"SELECT COUNT(*) FROM crons{where}", params)
        return int(row[0]) if row else 0

    async def due(self, at: datetime, *, limit: int) -> list[Cron]:
        rows = await self._rows(
            f"SELECT {_COLS} FROM crons WHERE enabled = 1 AND next_run_date <= ?"
            " ORDER BY next_run_date, cron_id LIMIT ?",
            (to_text(at), limit),
        )
        return [_record(r) for r in rows]

    async def advance(self, cron_id: str, slot: datetime, next_run_date: datetime | None) -> bool:
        counts = await self._write(
            [
                (
                    "UPDATE crons SET next_run_date = ?"
                    " WHERE cron_id = ? AND next_run_date = ? AND enabled = 1",
                    (_opt(next_run_date), cron_id, to_text(slot)),
                )
            ]
        )
        return counts[0] > 0
