"""What only the PostgreSQL backend shows: migrations under concurrent startups, atomicity
across processes, transactions (the contract over every backend is test_contract.py)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import get_args

import psycopg
import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import empty_checkpoint
from psycopg.rows import dict_row
from tests.databases import admin_url, empty_tables, fresh_database

from interop.core.ids import now
from interop.core.storage import (
    CHECKPOINT_FENCE,
    AssistantSortKey,
    LeaseLost,
    Storage,
    ThreadSortKey,
)
from interop.storage import open_storage
from interop.storage.errors import StorageUnavailable
from interop.storage.ordering import order_by
from interop.storage.postgres.migrations import MIGRATIONS, migrate
from interop.storage.postgres.pool import connect
from interop.storage.postgres.threads import thread_order

from .records import _new_thread, _run, _thread, finish_success


@pytest.fixture
async def storage(postgres_url: str) -> AsyncIterator[Storage]:
    empty_tables(postgres_url)
    opened = await open_storage(postgres_url)
    try:
        yield opened
    finally:
        await opened.close()


def _versions(url: str, table: str, column: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(f"SELECT {column} FROM {table} ORDER BY 1")]


async def test_ten_concurrent_setups_on_a_fresh_database_migrate_once() -> None:
    with fresh_database(admin_url(), "interop_migrate") as url:
        conns = [await connect(url) for _ in range(10)]
        try:
            applied = await asyncio.gather(*(migrate(conn) for conn in conns))
        finally:
            for conn in conns:
                await conn.close()
        # exactly one process applied each version; the others found nothing to do
        assert sorted(applied, key=len) == [[]] * 9 + [list(range(1, len(MIGRATIONS) + 1))]
        assert _versions(url, "interop_migrations", "version") == list(
            range(1, len(MIGRATIONS) + 1)
        )
        checkpoint_versions = _versions(url, "checkpoint_migrations", "v")
        assert checkpoint_versions == list(range(len(checkpoint_versions)))
        # and whole storages open at once on the migrated database, all usable
        storages = await asyncio.gather(*(open_storage(url) for _ in range(10)))
        try:
            thread = _thread()
            assert await storages[0].threads.create(thread)
            assert await storages[9].threads.get(thread.thread_id) is not None
        finally:
            await asyncio.gather(*(s.close() for s in storages))


async def test_concurrent_storages_on_a_fresh_database_all_open() -> None:
    with fresh_database(admin_url(), "interop_open") as url:
        storages = await asyncio.gather(*(open_storage(url) for _ in range(10)))
        await asyncio.gather(*(s.close() for s in storages))
        assert _versions(url, "interop_migrations", "version") == list(
            range(1, len(MIGRATIONS) + 1)
        )


async def test_reject_if_inflight_is_atomic_across_processes(postgres_url: str) -> None:
    """Two storages (two pools, as two processes have) race to start a run on one thread:
    exactly one passes the multitask check."""
    empty_tables(postgres_url)
    first, second = await open_storage(postgres_url), await open_storage(postgres_url)
    try:
        for _ in range(5):
            t = await _new_thread(first)
            created = await asyncio.gather(
                *(
                    (first if i % 2 else second).runs.create(
                        _run(t.thread_id), reject_if_inflight=True
                    )
                    for i in range(6)
                )
            )
            assert sum(created) == 1
            assert len(await second.runs.inflight(t.thread_id)) == 1
    finally:
        await first.close()
        await second.close()


async def test_run_finish_is_one_transaction(storage: Storage, postgres_url: str) -> None:
    """If the thread update fails, the run's status must not change either."""
    t = await _new_thread(storage)
    run = _run(t.thread_id)
    await storage.runs.create(run, reject_if_inflight=False)
    with psycopg.connect(postgres_url, autocommit=True) as other:
        other.execute('ALTER TABLE threads RENAME COLUMN "values" TO hidden')
        try:
            with pytest.raises(psycopg.errors.UndefinedColumn):
                await finish_success(storage, run, {"v": 1})
        finally:
            other.execute('ALTER TABLE threads RENAME COLUMN hidden TO "values"')
    got = await storage.runs.get(run.run_id)
    thread = await storage.threads.get(t.thread_id)
    assert got is not None and got.status == "pending"
    assert thread is not None and thread.status == "busy"


async def test_one_bad_adoption_does_not_fail_the_others(storage: Storage) -> None:
    existing = await _new_thread(storage)
    taken = _run(existing.thread_id, status="success")
    await storage.runs.create(taken, reject_if_inflight=False)
    good, clash = _thread(), _thread()
    good_run = _run(good.thread_id, status="success")
    clash_run = _run(clash.thread_id, status="success", run_id=taken.run_id)  # duplicate id
    results = await asyncio.gather(
        storage.adopt(good, good_run, []),
        storage.adopt(clash, clash_run, []),
        return_exceptions=True,
    )
    assert results[0] is None
    assert isinstance(results[1], psycopg.errors.UniqueViolation)
    assert await storage.runs.get(good_run.run_id) is not None
    assert await storage.threads.get(clash.thread_id) is None


async def test_searches_and_sorts_use_indexes(storage: Storage, postgres_url: str) -> None:
    """Every filter and sort the API offers is served by an index (checked on the plans, with
    sequential scans ruled out so the tiny test tables do not hide a missing index)."""
    filtered = [
        "SELECT * FROM threads WHERE metadata @> '{\"a\": 1}'",
        'SELECT * FROM threads WHERE "values" @> \'{"a": 1}\'',
        "SELECT * FROM threads WHERE status = 'idle'",
        "SELECT * FROM runs WHERE metadata @> '{\"a\": 1}'",
        "SELECT * FROM runs WHERE thread_id = 'x'",
        "SELECT * FROM runs WHERE status = ANY(ARRAY['pending', 'running'])",
        "SELECT * FROM assistants WHERE metadata @> '{\"a\": 1}'",
        "SELECT * FROM assistants WHERE graph_id = 'g'",
    ]
    ordered = [
        *(
            f"SELECT * FROM threads ORDER BY {thread_order(column, order)} LIMIT 10"
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
    with psycopg.connect(postgres_url, row_factory=dict_row) as conn:
        conn.execute("SET enable_seqscan = off")
        for query in filtered + ordered:
            plan = "\n".join(
                row["QUERY PLAN"] for row in conn.execute(f"EXPLAIN {query}").fetchall()
            )
            assert "Seq Scan" not in plan, f"{query}\n{plan}"
            if query in ordered:  # the order read from an index, not sorted afterwards
                assert "Sort" not in plan, f"{query}\n{plan}"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres:secret@127.0.0.1:notaport/db",
        "postgresql://postgres:secret@127.0.0.1:1/db",
        "postgres://postgres:secret@127.0.0.1:5432/interop_no_such_database",
    ],
)
async def test_unusable_urls_raise_storage_unavailable(url: str) -> None:
    admin_url()  # skips without a server, as the rest of this file
    with pytest.raises(StorageUnavailable) as caught:
        await open_storage(url)
    message = str(caught.value)
    assert "\n" not in message and "secret" not in message


async def test_claims_from_many_processes_take_each_run_once(postgres_url: str) -> None:
    """Six storages (six pools, as six processes have) claim at once: every thread's oldest
    run is claimed exactly once, and no thread's second run while its first holds the lease."""
    empty_tables(postgres_url)
    storages = await asyncio.gather(*(open_storage(postgres_url) for _ in range(6)))
    try:
        threads = [await _new_thread(storages[0]) for _ in range(24)]
        firsts = [_run(t.thread_id, offset=i) for i, t in enumerate(threads)]
        seconds = [_run(t.thread_id, offset=100 + i) for i, t in enumerate(threads[:8])]
        for run in firsts + seconds:
            assert await storages[0].runs.create(run, reject_if_inflight=False)
        at = now()

        async def claimer(storage: Storage, name: str) -> list[str]:
            taken: list[str] = []
            while batch := await storage.runs.claim(
                name, at=at, until=at + timedelta(minutes=5), limit=3
            ):
                taken += [r.run_id for r in batch]
            return taken

        taken = await asyncio.gather(*(claimer(s, f"w{i}") for i, s in enumerate(storages)))
        claimed = [run_id for batch in taken for run_id in batch]
        assert sorted(claimed) == sorted(r.run_id for r in firsts)
    finally:
        await asyncio.gather(*(s.close() for s in storages))


@pytest.mark.slow  # ten interpreters importing interop: 15-45 s on a 2-core machine
def test_ten_processes_starting_at_once_on_a_fresh_database_all_start() -> None:
    """Ten real processes open (and so migrate) one fresh database at the same moment."""
    script = (
        "import asyncio, sys; from interop.storage import check_storage;"
        " asyncio.run(check_storage(sys.argv[1]))"
    )
    with fresh_database(admin_url(), "interop_processes") as url:
        processes = [
            subprocess.Popen([sys.executable, "-c", script, url], stderr=subprocess.PIPE, text=True)
            for _ in range(10)
        ]
        results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in processes]
        assert all(code == 0 for code, _ in results), results
        assert _versions(url, "interop_migrations", "version") == list(
            range(1, len(MIGRATIONS) + 1)
        )


async def test_checkpoint_writes_of_a_run_taken_over_are_refused(storage: Storage) -> None:
    thread = await _new_thread(storage)
    run = _run(thread.thread_id)
    assert await storage.runs.create(run, reject_if_inflight=False)
    at = now()
    [held] = await storage.runs.claim("w1", at=at, until=at, limit=1)  # its lease ends at once
    later = at + timedelta(seconds=1)
    [taken] = await storage.runs.claim("w2", at=later, until=later + timedelta(seconds=30), limit=1)
    assert (held.attempt, taken.attempt) == (1, 2)
    saver = storage.checkpoints.saver

    async def write(attempt: int, checkpoint_id: str) -> None:
        checkpoint = empty_checkpoint()
        checkpoint["id"] = checkpoint_id
        config: RunnableConfig = {
            "configurable": {"thread_id": thread.thread_id, "checkpoint_ns": ""}
        }
        token = CHECKPOINT_FENCE.set((run.run_id, attempt))
        try:
            stored = await saver.aput(config, checkpoint, {"source": "loop", "step": 0}, {})
            await saver.aput_writes(stored, [("x", 1)], "task")
        finally:
            CHECKPOINT_FENCE.reset(token)

    with pytest.raises(LeaseLost):
        await write(1, "1f0c0000-0000-6000-8000-000000000001")  # the process that lost it
    await write(2, "1f0c0000-0000-6000-8000-000000000002")  # the one holding it now
    thread_config: RunnableConfig = {
        "configurable": {"thread_id": thread.thread_id, "checkpoint_ns": ""}
    }
    stored = [
        item.config["configurable"]["checkpoint_id"] async for item in saver.alist(thread_config)
    ]
    assert stored == ["1f0c0000-0000-6000-8000-000000000002"]
    await finish_success(storage, taken, {"v": 1})
    with pytest.raises(LeaseLost):  # ended: no attempt holds it
        await write(2, "1f0c0000-0000-6000-8000-000000000003")
