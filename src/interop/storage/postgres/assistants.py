"""Assistants and their versions in PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from psycopg.rows import DictRow

from interop.core.models import Assistant
from interop.core.storage import AssistantSortKey, SortOrder
from interop.storage.ordering import order_by
from interop.storage.postgres.pool import Tables, jsonb, where

_COLS = (
    "assistant_id, graph_id, config, context, metadata, name, description, version,"
    " created_at, updated_at"
)


def _assistant(row: DictRow) -> Assistant:
    return Assistant(
        assistant_id=row["assistant_id"],
        graph_id=row["graph_id"],
        config=row["config"],
        context=row["context"],
        metadata=row["metadata"],
        name=row["name"],
        description=row["description"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _filters(
    graph_id: str | None, name: str | None, metadata: dict[str, Any] | None
) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if metadata:
        clauses.append("metadata @> %s")
        params.append(jsonb(metadata))
    if graph_id is not None:
        clauses.append("graph_id = %s")
        params.append(graph_id)
    if name is not None:
        # case-insensitive substring, as SQLite's LIKE
        clauses.append("name ILIKE %s")
        params.append(f"%{name}%")
    return clauses, params


class PostgresAssistants(Tables):
    async def create(self, assistant: Assistant) -> bool:
        a = assistant
        values = (
            a.assistant_id,
            a.graph_id,
            jsonb(a.config),
            jsonb(a.context),
            jsonb(a.metadata),
            a.name,
            a.description,
        )
        async with self._pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                f"INSERT INTO assistants ({_COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, 1, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (*values, a.created_at, a.updated_at),
            )
            if cursor.rowcount == 0:
                return False
            await conn.execute(
                "INSERT INTO assistant_versions (assistant_id, graph_id, config, context,"
                " metadata, name, description, version, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, 1, %s)",
                (*values, a.created_at),
            )
        return True

    async def get(self, assistant_id: str) -> Assistant | None:
        row = await self._row(
            f"SELECT {_COLS} FROM assistants WHERE assistant_id = %s", (assistant_id,)
        )
        return _assistant(row) if row else None

    async def add_version(self, assistant: Assistant) -> Assistant | None:
        a = assistant
        async with self._pool.connection() as conn, conn.transaction():
            # The row lock orders concurrent writers: each numbers its version past the last.
            cursor = await conn.execute(
                "SELECT version FROM assistants WHERE assistant_id = %s FOR UPDATE",
                (a.assistant_id,),
            )
            if await cursor.fetchone() is None:
                return None
            cursor = await conn.execute(
                "SELECT max(version) AS top FROM assistant_versions WHERE assistant_id = %s",
                (a.assistant_id,),
            )
            top = await cursor.fetchone()
            stored = replace(a, version=int(top["top"] if top else 0) + 1)
            values = (
                stored.graph_id,
                jsonb(stored.config),
                jsonb(stored.context),
                jsonb(stored.metadata),
                stored.name,
                stored.description,
            )
            await conn.execute(
                "INSERT INTO assistant_versions (assistant_id, version, graph_id, config,"
                " context, metadata, name, description, created_at)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (stored.assistant_id, stored.version, *values, stored.updated_at),
            )
            await conn.execute(
                "UPDATE assistants SET graph_id = %s, config = %s, context = %s, metadata = %s,"
                " name = %s, description = %s, version = %s, updated_at = %s"
                " WHERE assistant_id = %s",
                (*values, stored.version, stored.updated_at, stored.assistant_id),
            )
        return stored

    async def delete(self, assistant_id: str) -> bool:
        async with self._pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                "DELETE FROM assistants WHERE assistant_id = %s", (assistant_id,)
            )
            await conn.execute(
                "DELETE FROM assistant_versions WHERE assistant_id = %s", (assistant_id,)
            )
            await conn.execute("DELETE FROM crons WHERE assistant_id = %s", (assistant_id,))
            return cursor.rowcount > 0

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
        clauses, params = _filters(graph_id, name, metadata)
        rows = await self._rows(
            f"SELECT {_COLS} FROM assistants{where(clauses)}"
            f" ORDER BY {order_by(sort_by, 'assistant_id', sort_order)} LIMIT %s OFFSET %s",
            (*params, limit, offset),
        )
        return [_assistant(r) for r in rows]

    async def count(
        self, *, graph_id: str | None, name: str | None, metadata: dict[str, Any] | None
    ) -> int:
        clauses, params = _filters(graph_id, name, metadata)
        row = await self._row(f"SELECT count(*) AS n FROM assistants{where(clauses)}", params)
        return int(row["n"]) if row else 0

    async def versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[Assistant]:
        clauses, params = _filters(None, None, metadata)
        rows = await self._rows(
            "SELECT assistant_id, graph_id, config, context, metadata, name, description,"
            " version, created_at, created_at AS updated_at FROM assistant_versions"
            f"{where(['assistant_id = %s', *clauses])} ORDER BY version DESC LIMIT %s OFFSET %s",
            (assistant_id, *params, limit, offset),
        )
        return [_assistant(r) for r in rows]

    async def set_latest(
        self, assistant_id: str, version: int, *, at: datetime
    ) -> Assistant | None:
        row = await self._row(
            "UPDATE assistants a SET graph_id = v.graph_id, config = v.config,"
            " context = v.context, metadata = v.metadata, name = v.name,"
            " description = v.description, version = v.version, updated_at = %s"
            " FROM assistant_versions v WHERE a.assistant_id = %s"
            " AND v.assistant_id = a.assistant_id AND v.version = %s"
            f" RETURNING {', '.join('a.' + c.strip() for c in _COLS.split(','))}",
            (at, assistant_id, version),
        )
        return _assistant(row) if row else None
