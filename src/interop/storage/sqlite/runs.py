"""Runs: creation with the multitask check, status changes, finishing with the thread."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from interop.core.models import Run, RunStatus, ThreadStatus
from interop.core.storage import RunFence
from interop.storage.sqlite.connection import (
    Statement,
    Tables,
    from_json,
    json_filters,
    to_json,
    to_text,
)

_RUN_COLS = (
    "run_id, thread_id, assistant_id, created_at, updated_at, status, metadata, kwargs,"
    " multitask_strategy, attempt, temporary"
)


def _fenced(sql: str, params: list[Any], expect: RunFence | None) -> Statement:
    """`sql` (an UPDATE of one run ending in its WHERE clause) applied only while the run's
    stored (status, attempt) is `expect`."""
    if expect is None:
        return sql, params
    return sql + " AND status = ? AND attempt = ?", [*params, *expect]


def run_record(row: sqlite3.Row) -> Run:
    return Run(
        run_id=row["run_id"],
        thread_id=row["thread_id"],
        assistant_id=row["assistant_id"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        status=row["status"],
        metadata=from_json(row["metadata"]),
        kwargs=from_json(row["kwargs"]),
        multitask_strategy=row["multitask_strategy"],
        attempt=row["attempt"],
        temporary=bool(row["temporary"]),
    )


def run_insert(r: Run) -> Statement:
    return (
        f"INSERT INTO runs ({_RUN_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            r.run_id,
            r.thread_id,
            r.assistant_id,
            to_text(r.created_at),
            to_text(r.updated_at),
            r.status,
            to_json(r.metadata),
            to_json(r.kwargs),
            r.multitask_strategy,
            r.attempt,
            int(r.temporary),
        ),
    )


# A finished run's thread status: `busy` while another of its runs is pending or running.
# Parameters: the thread id, the finished run's id, the status otherwise.
_SETTLED = (
    "CASE WHEN EXISTS (SELECT 1 FROM runs WHERE thread_id = ? AND run_id <> ?"
    " AND status IN ('pending', 'running')) THEN 'busy' ELSE ? END"
)


class SqliteRuns(Tables):
    async def create(self, run: Run, *, reject_if_inflight: bool) -> bool:
        r = run
        insert = run_insert(r)
        busy = (
            "UPDATE threads SET status = 'busy', updated_at = ? WHERE thread_id = ?",
            (to_text(r.created_at), r.thread_id),
        )
        return await self._db.run(self._create, r.thread_id, [insert, busy], reject_if_inflight)

    def _create(self, thread_id: str, statements: list[Statement], reject: bool) -> bool:
        # One function on the database thread, the one writer: the check and the insert are
        # atomic for this process; another process's write waits on SQLite's database lock.
        if reject and self._fetch(
            "SELECT 1 FROM runs WHERE thread_id = ? AND status IN ('pending', 'running') LIMIT 1",
            (thread_id,),
        ):
            return False
        self._transaction(statements)
        return True

    async def get(self, run_id: str, thread_id: str | None = None) -> Run | None:
        if thread_id is None:
            row = await self._row(f"SELECT {_RUN_COLS} FROM runs WHERE run_id = ?", (run_id,))
        else:
            row = await self._row(
                f"SELECT {_RUN_COLS} FROM runs WHERE run_id = ? AND thread_id = ?",
                (run_id, thread_id),
            )
        return run_record(row) if row else None

    async def for_thread(
        self, thread_id: str, *, limit: int, offset: int, status: RunStatus | None
    ) -> list[Run]:
        extra = " AND status = ?" if status else ""
        params: tuple[Any, ...] = (thread_id, status) if status else (thread_id,)
        rows = await self._rows(
            f"SELECT {_RUN_COLS} FROM runs WHERE thread_id = ?{extra}"
            " ORDER BY created_at DESC, run_id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [run_record(r) for r in rows]

    @staticmethod
    def _where(
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
    ) -> tuple[str, list[Any]]:
        clauses, params = json_filters("metadata", metadata)
        if thread_id is not None:
            clauses.append("thread_id = ?")
            params.append(thread_id)
        if statuses:
            clauses.append(f"status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    async def search(
        self,
        *,
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
        limit: int,
        offset: int,
    ) -> list[Run]:
        where, params = self._where(thread_id, statuses, metadata)
        rows = await self._rows(
            f"SELECT {_RUN_COLS} FROM runs{where}"
            " ORDER BY created_at DESC, run_id DESC LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [run_record(r) for r in rows]

    async def count(
        self,
        *,
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
    ) -> int:
        where, params = self._where(thread_id, statuses, metadata)
        row = await self._row(f"SELECT COUNT(*) FROM runs{where}", params)
        return int(row[0]) if row else 0

    async def inflight(self, thread_id: str) -> list[Run]:
        rows = await self._rows(
            f"SELECT {_RUN_COLS} FROM runs WHERE thread_id = ?"
            " AND status IN ('pending', 'running') ORDER BY created_at, run_id",
            (thread_id,),
        )
        return [run_record(r) for r in rows]

    async def set_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        at: datetime,
        attempt: int | None = None,
        expect: RunFence | None = None,
    ) -> bool:
        sets, params = "status = ?, updated_at = ?", list[Any]([status, to_text(at)])
        if attempt is not None:
            sets, params = sets + ", attempt = ?", [*params, attempt]
        statement = _fenced(f"UPDATE runs SET {sets} WHERE run_id = ?", [*params, run_id], expect)
        return (await self._write([statement]))[0] > 0

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
        stamp = to_text(at)
        statements: list[tuple[str, Sequence[Any]]] = [
            _fenced(
                "UPDATE runs SET status = ?, updated_at = ? WHERE run_id = ?",
                [status, stamp, run_id],
                expect,
            )
        ]
        settled = (_SETTLED, (thread_id, run_id, thread_status))
        if update_values:
            statements.append(
                (
                    f'UPDATE threads SET status = {settled[0]}, "values" = ?, interrupts = ?,'
                    " error = ?, updated_at = ?, state_updated_at = ? WHERE thread_id = ?",
                    (
                        *settled[1],
                        None if values is None else to_json(values),
                        to_json(interrupts),
                        None if error is None else to_json(error),
                        stamp,
                        stamp,
                        thread_id,
                    ),
                )
            )
        else:
            statements.append(
                (
                    f"UPDATE threads SET status = {settled[0]}, error = ?, updated_at = ?"
                    " WHERE thread_id = ?",
                    (*settled[1], None if error is None else to_json(error), stamp, thread_id),
                )
            )
        return await self._db.run(self._guarded, statements)

    def _guarded(self, statements: list[Statement]) -> bool:
        """The statements in one transaction, none of them when the first changes no row (a
        fenced run update refused)."""
        conn = self._conn
        try:
            for index, (sql, params) in enumerate(statements):
                cursor = conn.execute(sql, params)
                changed = cursor.rowcount
                cursor.close()
                if index == 0 and changed == 0:
                    conn.rollback()
                    return False
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return True

    async def delete(self, run_id: str) -> bool:
        counts = await self._write([("DELETE FROM runs WHERE run_id = ?", (run_id,))])
        return counts[0] > 0

    async def with_status(self, *statuses: RunStatus) -> list[Run]:
        marks = ",".join("?" * len(statuses))
        rows = await self._rows(
            f"SELECT {_RUN_COLS} FROM runs WHERE status IN ({marks}) ORDER BY created_at, run_id",
            statuses,
        )
        return [run_record(r) for r in rows]

    # -- run claims ---------------------------------------------------------------------------

    async def claim(self, owner: str, *, at: datetime, until: datetime, limit: int) -> list[Run]:
        """See the protocol: one function on the database thread, the one writer, so the
        choice and the claim are one step (and one SQLite file has one server)."""
        return await self._db.run(self._claim, owner, to_text(at), to_text(until), limit)

    def _claim(self, owner: str, at: str, until: str, limit: int) -> list[Run]:
        # The in-flight runs are few: chosen here rather than in one intricate query.
        inflight = self._fetch(
            "SELECT run_id, thread_id, status, lease_expires_at, created_at,"
            " json_extract(kwargs, '$.after_seconds') AS after_seconds FROM runs"
            " WHERE status IN ('pending', 'running') ORDER BY created_at, run_id",
            (),
        )
        moment = datetime.fromisoformat(at)
        live = {
            row["thread_id"]
            for row in inflight
            if row["status"] == "running"
            and (row["lease_expires_at"] is None or row["lease_expires_at"] >= at)
        }
        ids: list[str] = []
        for row in inflight:
            if len(ids) == limit:
                break
            if row["thread_id"] in live:
                continue  # its running run holds a live lease, or one was just claimed
            live.add(row["thread_id"])  # the thread's oldest run: its later ones wait for it
            if (
                row["after_seconds"]
                and datetime.fromisoformat(row["created_at"])
                + timedelta(seconds=float(row["after_seconds"]))
                > moment
            ):
                continue  # not before created_at + after_seconds
            ids.append(row["run_id"])
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        self._transaction(
            [
                (
                    "UPDATE runs SET status = 'running',"
                    " attempt = CASE WHEN status = 'running' THEN attempt + 1 ELSE attempt END,"
                    " lease_owner = ?,"
                    f" lease_expires_at = ?, updated_at = ? WHERE run_id IN ({marks})",
                    (owner, until, at, *ids),
                )
            ]
        )
        rows = self._fetch(
            f"SELECT {_RUN_COLS} FROM runs WHERE run_id IN ({marks}) ORDER BY created_at, run_id",
            ids,
        )
        return [run_record(r) for r in rows]

    async def orphans(self, at: datetime) -> list[Run]:
        rows = await self._rows(
            f"SELECT {_RUN_COLS}, lease_expires_at FROM runs WHERE status = 'running'"
            " ORDER BY created_at, run_id",
            (),
        )
        return [
            run_record(r)
            for r in rows
            if r["lease_expires_at"] is None or datetime.fromisoformat(r["lease_expires_at"]) < at
        ]

    async def renew(self, run_id: str, attempt: int, *, until: datetime) -> bool:
        counts = await self._write(
            [
                (
                    "UPDATE runs SET lease_expires_at = ? WHERE run_id = ? AND attempt = ?"
                    " AND status = 'running'",
                    (to_text(until), run_id, attempt),
                )
            ]
        )
        return counts[0] > 0

    async def release(self, run_id: str, attempt: int, *, at: datetime) -> bool:
        counts = await self._write(
            [
                (
                    "UPDATE runs SET status = 'pending', attempt = attempt + 1, lease_owner = NULL,"
                    " lease_expires_at = NULL, updated_at = ? WHERE run_id = ? AND attempt = ?"
                    " AND status = 'running'",
                    (to_text(at), run_id, attempt),
                )
            ]
        )
        return counts[0] > 0
