"""The adapters' records (A2A push configs, MCP tasks and sessions) in PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.rows import DictRow

from interop.core.storage import AdapterRecord
from interop.storage.postgres.pool import Tables, jsonb

MIGRATION = """
CREATE TABLE adapter_records (
    kind text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    scope text COLLATE "C" NOT NULL,
    data jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    PRIMARY KEY (kind, key)
);
CREATE INDEX adapter_records_scope ON adapter_records (kind, scope, created_at, key);
CREATE INDEX adapter_records_expires_at ON adapter_records (expires_at)
    WHERE expires_at IS NOT NULL;
"""

_COLS = "kind, key, scope, data, created_at, expires_at"
_LIVE = "(expires_at IS NULL OR expires_at > %s)"


def _record(row: DictRow) -> AdapterRecord:
    return AdapterRecord(
        kind=row["kind"],
        key=row["key"],
        scope=row["scope"],
        data=row["data"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
    )


class PostgresAdapters(Tables):
    async def put(self, record: AdapterRecord) -> None:
        await self._execute(
            f"INSERT INTO adapter_records ({_COLS}) VALUES (%s, %s, %s, %s, %s, %s)"
            " ON CONFLICT (kind, key) DO UPDATE SET scope = EXCLUDED.scope,"
            " data = EXCLUDED.data, created_at = EXCLUDED.created_at,"
            " expires_at = EXCLUDED.expires_at",
            (
                record.kind,
                record.key,
                record.scope,
                jsonb(record.data),
                record.created_at,
                record.expires_at,
            ),
        )

    async def get(self, kind: str, key: str, *, at: datetime) -> AdapterRecord | None:
        row = await self._row(
            f"SELECT {_COLS} FROM adapter_records WHERE kind = %s AND key = %s AND {_LIVE}",
            (kind, key, at),
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
        count = await self._execute(
            "UPDATE adapter_records SET data = %s, expires_at = %s"
            f" WHERE kind = %s AND key = %s AND {_LIVE}",
            (jsonb(data), expires_at, kind, key, at),
        )
        return count > 0

    async def list(self, kind: str, scope: str, *, at: datetime, limit: int) -> list[AdapterRecord]:
        rows = await self._rows(
            f"SELECT {_COLS} FROM adapter_records WHERE kind = %s AND scope = %s AND {_LIVE}"
            " ORDER BY created_at, key LIMIT %s",
            (kind, scope, at, limit),
        )
        return [_record(row) for row in rows]

    async def delete(self, kind: str, key: str) -> bool:
        count = await self._execute(
            "DELETE FROM adapter_records WHERE kind = %s AND key = %s", (kind, key)
        )
        return count > 0

    async def purge(self, *, at: datetime) -> int:
        return await self._execute("DELETE FROM adapter_records WHERE expires_at <= %s", (at,))
