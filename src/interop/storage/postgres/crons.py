"""Crons in PostgreSQL, and the migration that creates their table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.rows import DictRow

from interop.core.models import Cron
from interop.core.storage import CronSortKey, SortOrder
from interop.storage.ordering import order_by
from interop.storage.postgres.pool import Tables, jsonb, where

MIGRATION = """
CREATE TABLE crons (
    cron_id text COLLATE "C" PRIMARY KEY,
    assistant_id text COLLATE "C" NOT NULL,
    thread_id text COLLATE "C",
    user_id text,
    schedule text NOT NULL,
    timezone text,
    end_time timestamptz,
    next_run_date timestamptz,
    on_run_completed text,
    payload jsonb NOT NULL,
    metadata jsonb NOT NULL,
    enabled boolean NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX crons_due ON crons (next_run_date) WHERE enabled;
CREATE INDEX crons_created_at ON crons (created_at, cron_id);
CREATE INDEX crons_metadata ON crons USING gin (metadata jsonb_path_ops);
"""

_COLS = (
    "cron_id, assistant_id, thread_id, user_id, schedule, timezone, end_time, next_run_date,"
    " on_run_completed, payload, metadata, enabled, created_at, updated_at"
)
# Nullable sort keys sort as in SQLite: NULL is the smallest.
_NULLABLE = frozenset({"thread_id", "next_run_date", "end_time"})


def _record(row: DictRow) -> Cron:
    return Cron(
        cron_id=row["cron_id"],
        assistant_id=row["assistant_id"],
        thread_id=row["thread_id"],
        user_id=row["user_id"],
        schedule=row["schedule"],
        timezone=row["timezone"],
        end_time=row["end_time"],
        next_run_date=row["next_run_date"],
        on_run_completed=row["on_run_completed"],
        payload=row["payload"],
        metadata=row["metadata"],
        enabled=row["enabled"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _params(c: Cron) -> tuple[Any, ...]:
    return (
        c.assistant_id,
        c.thread_id,
        c.user_id,
        c.schedule,
        c.timezone,
        c.end_time,
        c.next_run_date,
        c.on_run_completed,
        jsonb(c.payload),
        jsonb(c.metadata),
        c.enabled,
        c.created_at,
        c.updated_at,
    )


def _filters(
    assistant_id: str | None,
    thread_id: str | None,
    enabled: bool | None,
    metadata: dict[str, Any] | None,
) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if metadata:
        clauses.append("metadata @> %s")
        params.append(jsonb(metadata))
    for column, value in (("assistant_id", assistant_id), ("thread_id", thread_id)):
        if value is not None:
            clauses.append(f"{column} = %s")
            params.append(value)
    if enabled is not None:
        clauses.append("enabled = %s")
        params.append(enabled)
    return clauses, params


class PostgresCrons(Tables):
    async def create(self, cron: Cron) -> None:
        await self._execute(
            f"INSERT INTO crons ({_COLS}) VALUES"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (cron.cron_id, *_params(cron)),
        )

    async def get(self, cron_id: str) -> Cron | None:
        row = await self._row(f"SELECT {_COLS} FROM crons WHERE cron_id = %s", (cron_id,))
        return _record(row) if row else None

    async def replace(self, cron: Cron) -> bool:
        count = await self._execute(
            "UPDATE crons SET assistant_id = %s, thread_id = %s, user_id = %s, schedule = %s,"
            " timezone = %s, end_time = %s, next_run_date = %s, on_run_completed = %s,"
            " payload = %s, metadata = %s, enabled = %s, created_at = %s, updated_at = %s"
            " WHERE cron_id = %s",
            (*_params(cron), cron.cron_id),
        )
        return count > 0

    async def delete(self, cron_id: str) -> bool:
        return await self._execute("DELETE FROM crons WHERE cron_id = %s", (cron_id,)) > 0

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
        clauses, params = _filters(assistant_id, thread_id, enabled, metadata)
        order = order_by(sort_by, "cron_id", sort_order, nulls_smallest=sort_by in _NULLABLE)
        rows = await self._rows(
            f"SELECT {_COLS} FROM crons{where(clauses)} ORDER BY {order} LIMIT %s OFFSET %s",
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
        clauses, params = _filters(assistant_id, thread_id, enabled, metadata)
        row = await self._row(f"SELECT count(*) AS n FROM crons{where(clauses)}", params)
        return int(row["n"]) if row else 0

    async def due(self, at: datetime, *, limit: int) -> list[Cron]:
        rows = await self._rows(
            f"SELECT {_COLS} FROM crons WHERE enabled AND next_run_date <= %s"
            " ORDER BY next_run_date, cron_id LIMIT %s",
            (at, limit),
        )
        return [_record(r) for r in rows]

    async def advance(self, cron_id: str, slot: datetime, next_run_date: datetime | None) -> bool:
        # One UPDATE with the expected value in its WHERE: a compare-and-set; of concurrent
        # callers, the first takes the row lock and the others re-check and match nothing.
        count = await self._execute(
            "UPDATE crons SET next_run_date = %s"
            " WHERE cron_id = %s AND next_run_date = %s AND enabled",
            (next_run_date, cron_id, slot),
        )
        return count > 0
