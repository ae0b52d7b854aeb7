"""Runs in PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.rows import DictRow

from interop.core.models import Run, RunStatus, ThreadStatus
from interop.core.storage import RunFence
from interop.storage.postgres.pool import Connection, Tables, jsonb, where

COLS = (
    "run_id, thread_id, assistant_id, created_at, updated_at, status, metadata, kwargs,"
    " multitask_strategy, attempt, temporary"
)
INSERT = f"INSERT INTO runs ({COLS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
_INFLIGHT = "status IN ('pending', 'running')"
# A run a claimer may take: pending, or running under a lease that expired (a run set running
# without a lease, by this process's own scheduler, is never taken).
_CLAIMABLE = "(status = 'pending' OR (status = 'running' AND lease_expires_at < %(at)s))"


# The claim's per-thread candidate (its oldest pending or running run) is due: its not-before
# time, created_at + kwargs.after_seconds, has come.
_DUE = (
    "(kwargs->>'after_seconds' IS NULL OR created_at"
    " + make_interval(secs => (kwargs->>'after_seconds')::float8) <= %(at)s)"
)


def _fenced(sql: str, params: list[Any], expect: RunFence | None) -> tuple[str, list[Any]]:
    """`sql` (an UPDATE of one run ending in its WHERE clause) applied only while the run's
    stored (status, attempt) is `expect`."""
    if expect is None:
        return sql, params
    return sql + " AND status = %s AND attempt = %s", [*params, *expect]


def run_from(row: DictRow) -> Run:
    return Run(
        run_id=row["run_id"],
        thread_id=row["thread_id"],
        assistant_id=row["assistant_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        status=row["status"],
        metadata=row["metadata"],
        kwargs=row["kwargs"],
        multitask_strategy=row["multitask_strategy"],
        attempt=row["attempt"],
        temporary=row["temporary"],
    )


def insert_params(r: Run) -> tuple[Any, ...]:
    return (
        r.run_id,
        r.thread_id,
        r.assistant_id,
        r.created_at,
        r.updated_at,
        r.status,
        jsonb(r.metadata),
        jsonb(r.kwargs),
        r.multitask_strategy,
        r.attempt,
        r.temporary,
    )


# Insert the run unless the multitask check refuses it; mark its thread busy when inserted.
_CREATE = (
    "WITH inserted AS ("
    f" INSERT INTO runs ({COLS}) SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s"
    f" WHERE NOT (%s AND EXISTS (SELECT 1 FROM runs WHERE thread_id = %s AND {_INFLIGHT}))"
    " RETURNING thread_id),"
    " busy AS (UPDATE threads SET status = 'busy', updated_at = %s"
    " WHERE thread_id IN (SELECT thread_id FROM inserted))"
    " SELECT count(*) AS inserted FROM inserted"
)


def _create_params(run: Run, reject_if_inflight: bool) -> tuple[Any, ...]:
    return (reject_if_inflight, run.thread_id, run.created_at)


def _filters(
    thread_id: str | None, statuses: Sequence[RunStatus] | None, metadata: dict[str, Any] | None
) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if metadata:
        clauses.append("metadata @> %s")
        params.append(jsonb(metadata))
    if thread_id is not None:
        clauses.append("thread_id = %s")
        params.append(thread_id)
    if statuses:
        clauses.append("status = ANY(%s)")
        params.append(list(statuses))
    return clauses, params


# A finished run's thread status: `busy` while another of its runs is pending or running.
# Parameters: the thread id, the finished run's id, the status otherwise.
_SETTLED = (
    "CASE WHEN EXISTS (SELECT 1 FROM runs WHERE thread_id = %s AND run_id <> %s"
    " AND status IN ('pending', 'running')) THEN 'busy' ELSE %s END"
)


class PostgresRuns(Tables):
    async def create(self, run: Run, *, reject_if_inflight: bool) -> bool:
        """Insert the run and mark its thread busy in one transaction that first locks the
        thread's row: a second process creating a run on the same thread waits for this one
        to commit, then sees its run in the multitask check. The check, the insert and the
        thread's status are one statement run after the lock is held (so with a snapshot
        that sees every run committed before), and the whole transaction is pipelined: one
        round trip to the server."""
        async with self._pool.connection() as conn, conn.pipeline():
            async with conn.transaction():
                await self._lock_thread(conn, run.thread_id)
                cursor = await conn.execute(
                    _CREATE, (*insert_params(run), *_create_params(run, reject_if_inflight))
                )
            row = await cursor.fetchone()
        return bool(row and row["inserted"])

    @staticmethod
    async def _lock_thread(conn: Connection, thread_id: str) -> None:
        await conn.execute("SELECT 1 FROM threads WHERE thread_id = %s FOR UPDATE", (thread_id,))

    async def get(self, run_id: str, thread_id: str | None = None) -> Run | None:
        if thread_id is None:
            row = await self._row(f"SELECT {COLS} FROM runs WHERE run_id = %s", (run_id,))
        else:
            row = await self._row(
                f"SELECT {COLS} FROM runs WHERE run_id = %s AND thread_id = %s",
                (run_id, thread_id),
            )
        return run_from(row) if row else None

    async def for_thread(
        self, thread_id: str, *, limit: int, offset: int, status: RunStatus | None
    ) -> list[Run]:
        return await self.search(
            thread_id=thread_id,
            statuses=[status] if status else None,
            metadata=None,
            limit=limit,
            offset=offset,
        )

    async def search(
        self,
        *,
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
        limit: int,
        offset: int,
    ) -> list[Run]:
        clauses, params = _filters(thread_id, statuses, metadata)
        rows = await self._rows(
            f"SELECT {COLS} FROM runs{where(clauses)}"
            " ORDER BY created_at DESC, run_id DESC LIMIT %s OFFSET %s",
            (*params, limit, offset),
        )
        return [run_from(r) for r in rows]

    async def count(
        self,
        *,
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
    ) -> int:
        clauses, params = _filters(thread_id, statuses, metadata)
        row = await self._row(f"SELECT count(*) AS n FROM runs{where(clauses)}", params)
        return int(row["n"]) if row else 0

    async def inflight(self, thread_id: str) -> list[Run]:
        rows = await self._rows(
            f"SELECT {COLS} FROM runs WHERE thread_id = %s AND {_INFLIGHT}"
            " ORDER BY created_at, run_id",
            (thread_id,),
        )
        return [run_from(r) for r in rows]

    async def set_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        at: datetime,
        attempt: int | None = None,
        expect: RunFence | None = None,
    ) -> bool:
        sets, params = "status = %s, updated_at = %s", list[Any]([status, at])
        if attempt is not None:
            sets, params = sets + ", attempt = %s", [*params, attempt]
        sql, params = _fenced(
            f"UPDATE runs SET {sets} WHERE run_id = %s", [*params, run_id], expect
        )
        return await self._execute(sql, params) > 0

    async def finish(
        self,
        run_id: str,
        status: RunStatus,
        *,
        thread_id: str,
        thread_status: ThreadStatus,
        values: dict[str, Any] | None,
        interrupts: dict[str, Any],
        error: dict[str, Any] | None,
        update_values: bool,
        at: datetime,
        expect: RunFence | None = None,
    ) -> bool:
        stamp = at
        error_json = None if error is None else jsonb(error)
        async with self._pool.connection() as conn, conn.transaction():
            # The thread first, as `create` and `claim` do: two transactions never wait on each
            # other in opposite orders.
            # Locked first whatever the fence: concurrent finishes of one thread's runs go one
            # after the other, each seeing the runs the ones before it ended (`_SETTLED`).
            await self._lock_thread(conn, thread_id)
            if expect is not None:
                sql, params = _fenced(
                    "UPDATE runs SET status = %s, updated_at = %s WHERE run_id = %s",
                    [status, stamp, run_id],
                    expect,
                )
                cursor = await conn.execute(sql, params)
                if cursor.rowcount == 0:
                    return False  # fenced off: nothing written
            if update_values:
                await conn.execute(
                    f'UPDATE threads SET status = {_SETTLED}, "values" = %s, interrupts = %s,'
                    " error = %s, updated_at = %s, state_updated_at = %s WHERE thread_id = %s",
                    (
                        thread_id,
                        run_id,
                        thread_status,
                        None if values is None else jsonb(values),
                        jsonb(interrupts),
                        error_json,
                        stamp,
                        stamp,
                        thread_id,
                    ),
                )
            else:
                await conn.execute(
                    f"UPDATE threads SET status = {_SETTLED}, error = %s, updated_at = %s"
                    " WHERE thread_id = %s",
                    (thread_id, run_id, thread_status, error_json, stamp, thread_id),
                )
            if expect is None:
                await conn.execute(
                    "UPDATE runs SET status = %s, updated_at = %s WHERE run_id = %s",
                    (status, stamp, run_id),
                )
        return True

    async def delete(self, run_id: str) -> bool:
        return await self._execute("DELETE FROM runs WHERE run_id = %s", (run_id,)) > 0

    async def with_status(self, *statuses: RunStatus) -> list[Run]:
        rows = await self._rows(
            f"SELECT {COLS} FROM runs WHERE status = ANY(%s) ORDER BY created_at, run_id",
            (list(statuses),),
        )
        return [run_from(r) for r in rows]

    # -- run claims ---------------------------------------------------------------------------

    async def claim(self, owner: str, *, at: datetime, until: datetime, limit: int) -> list[Run]:
        """See the protocol. The threads of the oldest claimable runs are locked FOR UPDATE
        SKIP LOCKED: claimers working at once take different threads, and a thread's row lock
        (also taken by `create`) makes its check for a live running run and the claim one step."""
        claimed: list[Run] = []
        async with self._pool.connection() as conn, conn.transaction():
            cursor = await conn.execute(
                # Threads whose oldest in-flight run is claimable and due, oldest first.
                "SELECT t.thread_id FROM threads t JOIN ("
                " SELECT * FROM (SELECT DISTINCT ON (thread_id) thread_id, created_at, status,"
                f" lease_expires_at, kwargs FROM runs WHERE {_INFLIGHT}"
                " ORDER BY thread_id, created_at, run_id) head"
                f" WHERE {_CLAIMABLE} AND {_DUE}) c ON c.thread_id = t.thread_id"
                " ORDER BY c.created_at, t.thread_id LIMIT %(limit)s FOR UPDATE OF t SKIP LOCKED",
                {"at": at, "limit": limit},
            )
            threads = [row["thread_id"] for row in await cursor.fetchall()]
            for thread_id in threads:
                cursor = await conn.execute(
                    f"UPDATE runs SET status = 'running',"
                    " attempt = CASE WHEN status = 'running' THEN attempt + 1 ELSE attempt END,"
                    ""
                    " lease_owner = %(owner)s, lease_expires_at = %(until)s, updated_at = %(at)s"
                    " WHERE run_id = (SELECT run_id FROM runs WHERE thread_id = %(thread)s"
                    f" AND {_INFLIGHT} ORDER BY created_at, run_id LIMIT 1)"
                    f" AND {_CLAIMABLE} AND {_DUE}"
                    " AND NOT EXISTS (SELECT 1 FROM runs WHERE thread_id = %(thread)s"
                    " AND status = 'running'"
                    " AND (lease_expires_at IS NULL OR lease_expires_at >= %(at)s))"
                    f" RETURNING {COLS}",
                    {"owner": owner, "until": until, "at": at, "thread": thread_id},
                )
                row = await cursor.fetchone()
                if row is not None:
                    claimed.append(run_from(row))
        return claimed

    async def orphans(self, at: datetime) -> list[Run]:
        rows = await self._rows(
            f"SELECT {COLS} FROM runs WHERE status = 'running'"
            " AND (lease_expires_at IS NULL OR lease_expires_at < %s) ORDER BY created_at, run_id",
            (at,),
        )
        return [run_from(r) for r in rows]

    async def renew(self, run_id: str, attempt: int, *, until: datetime) -> bool:
        return (
            await self._execute(
                "UPDATE runs SET lease_expires_at = %s WHERE run_id = %s AND attempt = %s"
                " AND status = 'running'",
                (until, run_id, attempt),
            )
            > 0
        )

    async def release(self, run_id: str, attempt: int, *, at: datetime) -> bool:
        return (
            await self._execute(
                "UPDATE runs SET status = 'pending', attempt = attempt + 1, lease_owner = NULL,"
                " lease_expires_at = NULL,"
                " updated_at = %s WHERE run_id = %s AND attempt = %s AND status = 'running'",
                (at, run_id, attempt),
            )
            > 0
        )
