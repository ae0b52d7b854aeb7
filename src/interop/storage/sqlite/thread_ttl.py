"""Thread TTL on SQLite: each thread's expiry and strategy, and the sweep's claim (one
process owns a SQLite file, and its statements run one at a time on the database thread)."""

from __future__ import annotations

from datetime import datetime

from interop.core.storage import ThreadTtlStrategy
from interop.storage.sqlite.connection import Tables, to_text

# The columns are added to `threads` by schema.ADDED_COLUMNS.
_SET = "UPDATE threads SET ttl_expires_at = ?, ttl_strategy = ? WHERE thread_id = ?"
_CLAIM = """
UPDATE threads SET ttl_expires_at = NULL
WHERE thread_id IN (
    SELECT thread_id FROM threads
    WHERE ttl_expires_at IS NOT NULL AND ttl_expires_at <= ? AND status <> 'busy'
    ORDER BY ttl_expires_at
    LIMIT ?
)
RETURNING thread_id, ttl_strategy
"""


class SqliteThreadTtl(Tables):
    async def set(
        self, thread_id: str, expires_at: datetime | None, strategy: ThreadTtlStrategy | None
    ) -> bool:
        stamp = to_text(expires_at) if expires_at is not None else None
        (count,) = await self._write([(_SET, (stamp, strategy, thread_id))])
        return count > 0

    async def claim_expired(
        self, *, at: datetime, limit: int
    ) -> list[tuple[str, ThreadTtlStrategy]]:
        return await self._db.run(self._claim, at, limit)

    def _claim(self, at: datetime, limit: int) -> list[tuple[str, ThreadTtlStrategy]]:
        conn = self._conn
        try:
            rows = conn.execute(_CLAIM, (to_text(at), limit)).fetchall()
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return [(row[0], row[1] or "delete") for row in rows]
