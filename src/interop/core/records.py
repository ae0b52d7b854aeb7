"""The protocol doors' own records (A2A push configs, MCP tasks and sessions), kept in storage
so that every process sharing the database sees the same ones and they survive a restart.

`RecordService` stamps the clock onto the storage calls and purges expired records now and
then; what a record holds is each door's business (a JSON object under a kind of its own).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

from interop.core.ids import now
from interop.core.storage import AdapterRecord, Storage

log = logging.getLogger("interop.records")

PURGE_EVERY = 60.0  # seconds between purges of expired records (piggybacked on writes)


class RecordService:
    def __init__(self, storage: Storage) -> None:
        self._store = storage.adapters
        self._purged = time.monotonic()

    async def put(
        self,
        kind: str,
        key: str,
        data: dict[str, Any],
        *,
        scope: str = "",
        ttl: float | None = None,
        created_at: datetime | None = None,
    ) -> AdapterRecord:
        """Store (or replace) a record; `ttl` in seconds from now, None for no expiry."""
        at = now()
        record = AdapterRecord(
            kind=kind,
            key=key,
            scope=scope,
            data=data,
            created_at=created_at or at,
            expires_at=_expiry(at, ttl),
        )
        await self._store.put(record)
        await self._purge_now_and_then()
        return record

    async def update(
        self, kind: str, key: str, data: dict[str, Any], *, ttl: float | None = None
    ) -> bool:
        """Replace a live record's data and expiry (`ttl` from now); False when it no longer
        exists (deleted or expired meanwhile): unlike `put`, never brings a record back."""
        at = now()
        return await self._store.update(kind, key, data, _expiry(at, ttl), at=at)

    async def get(self, kind: str, key: str) -> AdapterRecord | None:
        return await self._store.get(kind, key, at=now())

    async def list(self, kind: str, scope: str, *, limit: int = 1000) -> list[AdapterRecord]:
        """The scope's live records, oldest first."""
        return await self._store.list(kind, scope, at=now(), limit=limit)

    async def delete(self, kind: str, key: str) -> bool:
        return await self._store.delete(kind, key)

    async def _purge_now_and_then(self) -> None:
        if time.monotonic() - self._purged < PURGE_EVERY:
            return
        self._purged = time.monotonic()
        count = await self._store.purge(at=now())
        if count:
            log.debug("purged %d expired adapter records", count)


def _expiry(at: datetime, ttl: float | None) -> datetime | None:
    """When a record written at `at` with `ttl` seconds to live expires (None: never)."""
    return None if ttl is None else at + timedelta(seconds=ttl)
