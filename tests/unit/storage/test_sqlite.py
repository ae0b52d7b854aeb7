"""What only the SQLite backend shows: one transaction per write, per-item group commit
(the storage contract over every backend is test_contract.py)."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from interop.core.storage import Storage

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
