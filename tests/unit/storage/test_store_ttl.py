"""The long-term store and thread TTL over every backend (SQLite and PostgreSQL, as the
storage contract tests run them)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from interop.core.ids import new_id, now
from interop.core.storage import Storage
from interop.storage import open_storage

from .records import _new_thread
from .test_contract import db_url  # noqa: F401 - the fixture that opens each backend in turn


async def test_the_store_is_langgraphs_store_on_this_backend(storage: Storage) -> None:
    ns = ("users", new_id())
    await storage.store.aput(ns, "a", {"text": "one"})
    await storage.store.aput((*ns, "deep"), "b", {"text": "two"})
    item = await storage.store.aget(ns, "a")
    assert item is not None and item.value == {"text": "one"}
    found = await storage.store.asearch(ns, limit=10)
    assert sorted(i.key for i in found) == ["a", "b"]
    assert await storage.store.alist_namespaces(prefix=ns) == [ns, (*ns, "deep")]
    await storage.store.adelete(ns, "a")
    assert await storage.store.aget(ns, "a") is None


async def test_the_store_outlives_the_process(db_url: str) -> None:  # noqa: F811
    ns = ("kept", new_id())
    first = await open_storage(db_url)
    try:
        await first.store.aput(ns, "k", {"v": 1})
    finally:
        await first.close()
    second = await open_storage(db_url)
    try:
        item = await second.store.aget(ns, "k")
        assert item is not None and item.value == {"v": 1}
    finally:
        await second.close()


async def test_claim_expired_hands_out_expired_idle_threads_once(storage: Storage) -> None:
    at = now()
    expired = await _new_thread(storage)
    later = await _new_thread(storage)
    busy = await _new_thread(storage)
    pruned = await _new_thread(storage)
    assert await storage.thread_ttl.set(expired.thread_id, at - timedelta(seconds=1), "delete")
    assert await storage.thread_ttl.set(later.thread_id, at + timedelta(minutes=5), "delete")
    assert await storage.thread_ttl.set(busy.thread_id, at - timedelta(seconds=1), "delete")
    assert await storage.thread_ttl.set(pruned.thread_id, at - timedelta(seconds=2), "keep_latest")
    await storage.threads.set_status(busy.thread_id, "busy", at=at)
    assert not await storage.thread_ttl.set(new_id(), at, "delete")

    claimed = await storage.thread_ttl.claim_expired(at=at, limit=10)
    assert sorted(claimed) == sorted(
        [(pruned.thread_id, "keep_latest"), (expired.thread_id, "delete")]
    )
    assert await storage.thread_ttl.claim_expired(at=at, limit=10) == []
    # The busy thread is claimed once idle; the later one once its time comes.
    await storage.threads.set_status(busy.thread_id, "idle", at=at)
    assert await storage.thread_ttl.claim_expired(at=at, limit=10) == [(busy.thread_id, "delete")]
    soon = at + timedelta(minutes=6)
    assert await storage.thread_ttl.claim_expired(at=soon, limit=10) == [
        (later.thread_id, "delete")
    ]
    # Clearing an expiry takes the thread out of the sweep.
    assert await storage.thread_ttl.set(expired.thread_id, None, None)
    assert await storage.thread_ttl.claim_expired(at=soon, limit=10) == []


async def test_concurrent_sweeps_claim_each_thread_once(db_url: str) -> None:  # noqa: F811
    storages = [await open_storage(db_url) for _ in range(4)]
    try:
        at = now()
        ids = []
        for _ in range(30):
            thread = await _new_thread(storages[0])
            await storages[0].thread_ttl.set(thread.thread_id, at - timedelta(seconds=1), "delete")
            ids.append(thread.thread_id)
        batches = await asyncio.gather(
            *(s.thread_ttl.claim_expired(at=at, limit=7) for s in storages for _ in range(3))
        )
        claimed = [thread_id for batch in batches for thread_id, _ in batch]
        leftover = await storages[0].thread_ttl.claim_expired(at=at, limit=100)
        claimed += [thread_id for thread_id, _ in leftover]
        assert sorted(claimed) == sorted(ids)  # every one, none twice
    finally:
        for s in storages:
            await s.close()
