"""Thread TTL on PostgreSQL: each thread's expiry and strategy, and the sweep's claim."""

from __future__ import annotations

from datetime import datetime

from interop.core.storage import ThreadTtlStrategy
from interop.storage.postgres.pool import Tables

# Migration: when a thread expires and what then happens to it.
MIGRATION = """
ALTER TABLE threads ADD COLUMN ttl_expires_at timestamptz;
ALTER TABLE threads ADD COLUMN ttl_strategy text;
CREATE INDEX threads_ttl_expires_at ON threads (ttl_expires_at) WHERE ttl_expires_at IS NOT NULL;
"""

_SET = "UPDATE threads SET ttl_expires_at = %s, ttl_strategy = %s WHERE thread_id = %s"
# SKIP LOCKED: processes sweeping at once each claim other threads; a claimed thread's expiry
# is cleared in the same statement, so no thread is handed to two sweepers.
_CLAIM = """
UPDATE threads SET ttl_expires_at = NULL
WHERE thread_id IN (
    SELECT thread_id FROM threads
    WHERE ttl_expires_at <= %s AND status <> 'busy'
    ORDER BY ttl_expires_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
)
RETURNING thread_id, ttl_strategy
"""


class PostgresThreadTtl(Tables):
    async def set(
        self, thread_id: str, expires_at: datetime | None, strategy: ThreadTtlStrategy | None
    ) -> bool:
        return await self._execute(_SET, (expires_at, strategy, thread_id)) > 0

    async def claim_expired(
        self, *, at: datetime, limit: int
    ) -> list[tuple[str, ThreadTtlStrategy]]:
        rows = await self._rows(_CLAIM, (at, limit))
        return [(row["thread_id"], row["ttl_strategy"] or "delete") for row in rows]
