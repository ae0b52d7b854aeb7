"""What only the SQLite backend shows: one transaction per write, per-item group commit
(the storage contract over every backend is test_contract.py)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import get_args

import pytest

from interop.core.ids import now
from interop.core.storage import AssistantSortKey, Storage, ThreadSortKey
from interop.storage import open_storage
from interop.storage.ordering import order_by
from interop.storage.sqlite.schema import SCHEMA

from .records import _new_thread, _run, _thread, finish_success


async def test_run_finish_is_one_transaction(storage: Storage) -> None:
    """If the thread update fails, the run's status must not change either."""
    t = await _new_thread(storage)
    run = _run(t.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    # Make the thread half of `finish` fail: hide the threads table from a second connection.
    other = sqlite3.connect(storage.path)  # type: ignore[attr-defined]
    try:
        other.execute("ALTER TABLE threads RENAME TO threads_hidden")
        other.commit()
        with pytest.raises(sqlite3.Error):
            await finish_success(storage, run, {"v": 1})
        other.execute("ALTER TABLE threads_hidden RENAME TO threads")
        other.commit()
    finally:
        other.close()
    got = await storage.runs.get(run.run_id)
    thread = await storage.threads.get(t.thread_id)
    assert got is not None and got.status == "pending"
    assert thread is not None and thread.status == "busy"


async def test_one_bad_adoption_does_not_fail_the_others(storage: Storage) -> None:
    existing = await _new_thread(storage)
    taken = _run(existing.thread_id, status="success")
    await storage.runs.create(taken, reject_if_inflight=False)
    good = _thread()
    good_run = _run(good.thread_id, status="success")
    clash = _thread()
    clash_run = _run(clash.thread_id, status="success", run_id=taken.run_id)  # duplicate id
    results = await asyncio.gather(
        storage.adopt(good, good_run, []),
        storage.adopt(clash, clash_run, []),
        return_exceptions=True,
    )
    assert results[0] is None
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert await storage.threads.get(good.thread_id) is not None
    assert await storage.runs.get(good_run.run_id) is not None
    assert await storage.threads.get(clash.thread_id) is None


async def test_searches_and_sorts_use_indexes(storage: Storage) -> None:
    """Every sort the API offers reads its order from an index: no full scan, no sort step
    (SQLite's plan says SCAN <table> without an index, or USE TEMP B-TREE, otherwise)."""
    ordered = [
        *(
            f"SELECT * FROM threads ORDER BY {order_by(column, 'thread_id', order)} LIMIT 10"
            for column in get_args(ThreadSortKey)
            for order in ("asc", "desc")
        ),
        "SELECT * FROM threads WHERE status = 'idle'"
        " ORDER BY created_at DESC, thread_id DESC LIMIT 10",
        *(
            f"SELECT * FROM assistants ORDER BY {order_by(column, 'assistant_id', order)} LIMIT 10"
            for column in get_args(AssistantSortKey)
            for order in ("asc", "desc")
        ),
        "SELECT * FROM runs WHERE thread_id = 'x' ORDER BY created_at DESC, run_id DESC LIMIT 10",
        "SELECT * FROM runs ORDER BY created_at DESC, run_id DESC LIMIT 10",
        "SELECT * FROM runs WHERE status = 'pending' ORDER BY created_at, run_id",
    ]
    conn = sqlite3.connect(storage.path)  # type: ignore[attr-defined]
    try:
        for query in ordered:
            plan = " | ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {query}"))
            assert "TEMP B-TREE" not in plan, f"{query}: {plan}"
            assert "USING" in plan or "INDEX" in plan, f"{query}: {plan}"
    finally:
        conn.close()


async def test_a_database_from_before_run_claims_gains_their_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.executescript(SCHEMA)  # the tables as first created: no lease columns
    old.commit()
    old.close()
    storage = await open_storage(f"sqlite:///{path}")
    try:
        t = await _new_thread(storage)
        await storage.runs.create(_run(t.thread_id), reject_if_inflight=False)
        at = now()
        assert len(await storage.runs.claim("w", at=at, until=at, limit=1)) == 1
    finally:
        await storage.close()
