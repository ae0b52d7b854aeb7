"""The adapters' records (A2A push configs, MCP tasks and sessions) in SQLite."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from interop.core.storage import AdapterRecord
from interop.storage.sqlite.connection import Tables, from_json, to_json

_COLS = "kind, key, scope, data, created_at, expires_at"
_LIVE = "(expires_at IS NULL OR expires_at > ?)"


def _text(value: datetime) -> str:
    # Fixed width, so that text order is time order (every stamp here is UTC).
    return value.isoformat(timespec="microseconds")


def _record(row: sqlite3.Row) -> AdapterRecord:
    expires = row["expires_at"]
    return AdapterRecord(
        kind=row["kind"],
        key=row["key"],
        scope=row["scope"],
        data=from_json(row["data"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        expires_at=None if expires is None else datetime.fromisoformat(expires),
    )


class SqliteAdapters(Tables):
    async def put(self, record: AdapterRecord) -> None:
        await self._write(
            [
                (
                    f"INSERT OR REPLACE INTO adapter_records ({_COLS}) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        record.kind,
                        record.key,
                        record.scope,
                        to_json(record.data),
                        _text(record.created_at),
                        None if record.expires_at is None else _text(record.expires_at),
                    ),
                )
            ]
        )

    async def get(self, kind: str, key: str, *, at: datetime) -> AdapterRecord | None:
        row = await self._row(
            f"SELECT {_COLS} FROM adapter_records WHERE kind = ? AND key = ? AND {_LIVE}",
            (kind, key, _text(at)),
        )
        return None if row is None else _record(row)

    async def update(
        self,
        kind: str,
        key: str,
        data: dict[str, Any],
        expires_at: datetime | None,
        *,
        at: datetime,
    ) -> bool:
        (count,) = await self._write(
            [
                (
                    "UPDATE adapter_records SET data = ?, expires_at = ?"
                    f" WHERE kind = ? AND key = ? AND {_LIVE}",
                    (
                        to_json(data),
                        None if expires_at is None else _text(expires_at),
                        kind,
                        key,
                        _text(at),
                    ),
                )
            ]
        )
        return count > 0

    async def list(self, kind: str, scope: str, *, at: datetime, limit: int) -> list[AdapterRecord]:
        rows = await self._rows(
            f"SELECT {_COLS} FROM adapter_records WHERE kind = ? AND scope = ? AND {_LIVE}"
            " ORDER BY created_at, key LIMIT ?",
            (kind, scope, _text(at), limit),
        )
        return [_record(row) for row in rows]

    async def delete(self, kind: str, key: str) -> bool:
        (count,) = await self._write(
            [("DELETE FROM adapter_records WHERE kind = ? AND key = ?", (kind, key))]
        )
        return count > 0

    async def purge(self, *, at: datetime) -> int:
        (count,) = await self._write(
            [("DELETE FROM adapter_records WHERE expires_at <= ?", (_text(at),))]
        )
        return count
