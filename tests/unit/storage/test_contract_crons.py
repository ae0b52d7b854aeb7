"""The CronStore contract over every backend of test_contract.BACKENDS."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from interop.core.ids import new_id, now
from interop.core.models import Cron
from interop.core.storage import Storage
from interop.storage import open_storage

from .records import _assistant, _thread
from .test_contract import db_url  # noqa: F401 - the fixture that runs each test per backend

SLOT = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)


def _cron(
    *,
    thread_id: str | None = None,
    assistant_id: str = "a1",
    next_run_date: datetime | None = SLOT,
    enabled: bool = True,
    metadata: dict[str, Any] | None = None,
    offset: float = 0.0,
) -> Cron:
    stamp = now() + timedelta(seconds=offset)
    return Cron(
        cron_id=new_id(),
        assistant_id=assistant_id,
        thread_id=thread_id,
        user_id=None,
        schedule="0 9 * * *",
        timezone="Europe/Paris",
        end_time=None,
        next_run_date=next_run_date,
        on_run_completed=None if thread_id else "keep",
        payload={"assistant_id": assistant_id, "input": {"x": [1, "two"]}},
        metadata=metadata if metadata is not None else {},
        enabled=enabled,
        created_at=stamp,
        updated_at=stamp,
    )


async def test_cron_create_get_replace_delete(storage: Storage) -> None:
    cron = _cron(metadata={"team": "ops"})
    await storage.crons.create(cron)
    assert await storage.crons.get(cron.cron_id) == cron
    changed = Cron(**{**_fields(cron), "enabled": False, "end_time": SLOT, "schedule": "* * * * *"})
    assert await storage.crons.replace(changed)
    assert await storage.crons.get(cron.cron_id) == changed
    assert await storage.crons.delete(cron.cron_id)
    assert await storage.crons.get(cron.cron_id) is None
    assert not await storage.crons.delete(cron.cron_id)
    assert not await storage.crons.replace(changed)


def _fields(cron: Cron) -> dict[str, Any]:
    return {name: getattr(cron, name) for name in Cron.__slots__}


async def test_cron_search_filters_sort_count(storage: Storage) -> None:
    t1 = new_id()
    first = _cron(thread_id=t1, metadata={"k": 1, "x": "y"}, offset=0, next_run_date=None)
    second = _cron(assistant_id="a2", metadata={"k": 1}, offset=1)
    third = _cron(enabled=False, offset=2, next_run_date=SLOT - timedelta(days=1))
    for c in (first, second, third):
        await storage.crons.create(c)

    async def ids(**filters: Any) -> list[str]:
        query: dict[str, Any] = {
            "assistant_id": None,
            "thread_id": None,
            "enabled": None,
            "metadata": None,
            "limit": 10,
            "offset": 0,
            "sort_by": "created_at",
            "sort_order": "desc",
        }
        query.update(filters)
        return [c.cron_id for c in await storage.crons.search(**query)]

    assert await ids() == [third.cron_id, second.cron_id, first.cron_id]
    assert await ids(sort_order="asc", limit=2) == [first.cron_id, second.cron_id]
    assert await ids(offset=2) == [first.cron_id]
    assert await ids(thread_id=t1) == [first.cron_id]
    assert await ids(assistant_id="a2") == [second.cron_id]
    assert await ids(enabled=False) == [third.cron_id]
    assert await ids(metadata={"k": 1}) == [second.cron_id, first.cron_id]
    # A cron with no next slot sorts as the smallest.
    assert await ids(sort_by="next_run_date", sort_order="asc") == [
        first.cron_id,
        third.cron_id,
        second.cron_id,
    ]
    count = storage.crons.count
    assert await count(assistant_id=None, thread_id=None, enabled=None, metadata=None) == 3
    assert await count(assistant_id="a1", thread_id=None, enabled=True, metadata=None) == 1
    assert await count(assistant_id=None, thread_id=None, enabled=None, metadata={"x": "y"}) == 1


async def test_cron_due_lists_enabled_crons_up_to_now(storage: Storage) -> None:
    early = _cron(next_run_date=SLOT - timedelta(minutes=5))
    on_time = _cron(next_run_date=SLOT)
    later = _cron(next_run_date=SLOT + timedelta(microseconds=1))
    disabled = _cron(next_run_date=SLOT - timedelta(hours=1), enabled=False)
    finished = _cron(next_run_date=None)
    for c in (later, on_time, early, disabled, finished):
        await storage.crons.create(c)
    due = await storage.crons.due(SLOT, limit=10)
    assert [c.cron_id for c in due] == [early.cron_id, on_time.cron_id]
    assert [c.cron_id for c in await storage.crons.due(SLOT, limit=1)] == [early.cron_id]


async def test_cron_advance_is_a_compare_and_set(storage: Storage) -> None:
    cron = _cron()
    await storage.crons.create(cron)
    following = SLOT + timedelta(days=1)
    assert not await storage.crons.advance(cron.cron_id, SLOT - timedelta(days=1), following)
    assert await storage.crons.advance(cron.cron_id, SLOT, following)
    assert not await storage.crons.advance(cron.cron_id, SLOT, following)  # taken already
    got = await storage.crons.get(cron.cron_id)
    assert got is not None and got.next_run_date == following
    assert got.updated_at == cron.updated_at
    assert await storage.crons.advance(cron.cron_id, following, None)  # the end
    got = await storage.crons.get(cron.cron_id)
    assert got is not None and got.next_run_date is None
    assert await storage.crons.due(following + timedelta(days=365), limit=10) == []
    disabled = _cron(enabled=False)
    await storage.crons.create(disabled)
    assert not await storage.crons.advance(disabled.cron_id, SLOT, following)
    assert not await storage.crons.advance(new_id(), SLOT, following)


async def test_cron_slot_has_one_winner_among_concurrent_claimers(
    storage: Storage,
    db_url: str,  # noqa: F811 - the fixture
) -> None:
    """Many claimers of the same slot at once, through separate connection pools where the
    backend has them (another process's view of the database): one of them wins."""
    cron = _cron()
    await storage.crons.create(cron)
    others = [await open_storage(db_url) for _ in range(2)] if "postgres" in db_url else []
    try:
        stores = [storage, *others]
        claims = [
            stores[i % len(stores)].crons.advance(cron.cron_id, SLOT, SLOT + timedelta(hours=1))
            for i in range(12)
        ]
        results = await asyncio.gather(*claims)
        assert results.count(True) == 1
    finally:
        for other in others:
            await other.close()


async def test_deleting_a_thread_or_an_assistant_deletes_their_crons(storage: Storage) -> None:
    thread = _thread()
    await storage.threads.create(thread)
    assistant = _assistant()
    await storage.assistants.create(assistant)
    on_thread = _cron(thread_id=thread.thread_id)
    of_assistant = _cron(assistant_id=assistant.assistant_id)
    other = _cron()
    for c in (on_thread, of_assistant, other):
        await storage.crons.create(c)
    assert await storage.threads.delete(thread.thread_id)
    assert await storage.crons.get(on_thread.cron_id) is None
    assert await storage.assistants.delete(assistant.assistant_id)
    assert await storage.crons.get(of_assistant.cron_id) is None
    assert await storage.crons.get(other.cron_id) == other
