"""Assistants and their versions (the current record is a copy of one version)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime
from typing import Any

from interop.core.models import Assistant
from interop.core.storage import AssistantSortKey, SortOrder
from interop.storage.ordering import order_by
from interop.storage.sqlite.connection import (
    Tables,
    from_json,
    json_filters,
    to_json,
    to_text,
)

_ASSISTANT_COLS = (
    "assistant_id, graph_id, config, context, metadata, name, description, version,"
    " created_at, updated_at"
)


def assistant_record(row: sqlite3.Row) -> Assistant:
    return Assistant(
        assistant_id=row["assistant_id"],
        graph_id=row["graph_id"],
        config=from_json(row["config"]),
        context=from_json(row["context"]),
        metadata=from_json(row["metadata"]),
        name=row["name"],
        description=row["description"],
        version=row["version"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
    )


class SqliteAssistants(Tables):
    async def create(self, assistant: Assistant) -> bool:
        a = assistant
        values = (
            a.assistant_id,
            a.graph_id,
            to_json(a.config),
            to_json(a.context),
            to_json(a.metadata),
            a.name,
            a.description,
        )
        counts = await self._write(
            [
                (
                    f"INSERT OR IGNORE INTO assistants ({_ASSISTANT_COLS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, a.version, to_text(a.created_at), to_text(a.updated_at)),
                ),
                (
                    "INSERT OR IGNORE INTO assistant_versions (assistant_id, graph_id, config,"
                    " context, metadata, name, description, version, created_at)"
                    " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() > 0",
                    (*values, a.version, to_text(a.created_at)),
                ),
            ]
        )
        return counts[0] > 0

    async def get(self, assistant_id: str) -> Assistant | None:
        row = await self._row(
            f"SELECT {_ASSISTANT_COLS} FROM assistants WHERE assistant_id = ?", (assistant_id,)
        )
        return assistant_record(row) if row else None

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
            to_json(stored.config),
            to_json(stored.context),
            to_json(stored.metadata),
            stored.name,
            stored.description,
        )
        counts = self._transaction(
            [
                (
                    "UPDATE assistants SET graph_id = ?, config = ?, context = ?, metadata = ?,"
                    " name = ?, description = ?, version = ?, updated_at = ?"
                    " WHERE assistant_id = ?",
                    (*values, stored.version, to_text(stored.updated_at), stored.assistant_id),
                ),
                (
                    "INSERT INTO assistant_versions (assistant_id, version, graph_id, config,"
                    " context, metadata, name, description, created_at)"
                    " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE changes() > 0",
                    (stored.assistant_id, stored.version, *values, to_text(stored.updated_at)),
                ),
            ]
        )
        return stored if counts[0] > 0 else None

    async def delete(self, assistant_id: str) -> bool:
        counts = await self._write(
            [
                ("DELETE FROM assistants WHERE assistant_id = ?", (assistant_id,)),
                ("DELETE FROM assistant_versions WHERE assistant_id = ?", (assistant_id,)),
                ("DELETE FROM crons WHERE assistant_id = ?", (assistant_id,)),
            ]
        )
        return counts[0] > 0

    @staticmethod
    def _where(
        graph_id: str | None, name: str | None, metadata: dict[str, Any] | None
    ) -> tuple[str, list[Any]]:
        clauses, params = json_filters("metadata", metadata)
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
        rows = await self._rows(
            f"SELECT {_ASSISTANT_COLS} FROM assistants{where}"
            f" ORDER BY {order_by(sort_by, 'assistant_id', sort_order)} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [assistant_record(r) for r in rows]

    async def count(
        self, *, graph_id: str | None, name: str | None, metadata: dict[str, Any] | None
    ) -> int:
        where, params = self._where(graph_id, name, metadata)
        row = await self._row(f"SELECT COUNT(*) FROM assistants{where}", params)
        return int(row[0]) if row else 0

    async def versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[Assistant]:
        clauses, params = json_filters("metadata", metadata)
        extra = "".join(f" AND {c}" for c in clauses)
        rows = await self._rows(
            "SELECT assistant_id, graph_id, config, context, metadata, name, description,"
            " version, created_at, created_at AS updated_at FROM assistant_versions"
            f" WHERE assistant_id = ?{extra} ORDER BY version DESC LIMIT ? OFFSET ?",
            (assistant_id, *params, limit, offset),
        )
        return [assistant_record(r) for r in rows]

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
                    (to_text(at), assistant_id, version, assistant_id, assistant_id, version),
                )
            ]
        )
        if not counts[0]:
            return None
        rows = self._fetch(
            f"SELECT {_ASSISTANT_COLS} FROM assistants WHERE assistant_id = ?", (assistant_id,)
        )
        return assistant_record(rows[0]) if rows else None
