"""CronService and CronRunner: schedules, slot claims, missed slots, end times, firing through
RunService; two runners on one PostgreSQL database fire each slot once."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from tests.databases import admin_url, fresh_database

from interop.brokers.memory import InProcessBroker
from interop.core.assistants import AssistantService
from interop.core.cron_runner import CronRunner
from interop.core.crons import CronService, check_schedule, next_slot
from interop.core.errors import InvalidInput, NotFound
from interop.core.graphs import BUNDLED_CONFIG, load_graphs, read_config
from interop.core.ids import new_id, now
from interop.core.models import Cron, Run
from interop.core.ports import RunPorts
from interop.core.runs import RunService
from interop.core.scheduler import Scheduler
from interop.core.storage import Storage
from interop.core.threads import ThreadService
from interop.storage import open_storage

HELLO = {"messages": [{"role": "user", "content": "hello"}]}


def test_next_slot_in_a_timezone_across_daylight_saving() -> None:
    # 09:00 in New York: 14:00 UTC in winter (EST), 13:00 UTC in summer (EDT).
    winter = datetime(2026, 1, 10, 0, 0, tzinfo=UTC)
    assert next_slot("0 9 * * *", "America/New_York", winter) == datetime(
        2026, 1, 10, 14, 0, tzinfo=UTC
    )
    summer = datetime(2026, 7, 10, 0, 0, tzinfo=UTC)
    assert next_slot("0 9 * * *", "America/New_York", summer) == datetime(
        2026, 7, 10, 13, 0, tzinfo=UTC
    )
    assert next_slot("0 9 * * *", None, winter) == datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def test_next_slot_is_strictly_after_and_stops_at_the_end() -> None:
    at = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert next_slot("0 * * * *", None, at) == at + timedelta(hours=1)
    assert next_slot("* * * * * */10", None, at) == at + timedelta(seconds=10)  # seconds field
    assert next_slot("0 * * * *", None, at, at + timedelta(minutes=59)) is None
    assert next_slot("0 * * * *", None, at, at + timedelta(hours=1)) == at + timedelta(hours=1)


@pytest.mark.parametrize(
    ("schedule", "timezone"),
    [("nope", None), ("61 * * * *", None), ("* * *", None), ("", None), ("0 9 * * *", "Nowhere")],
)
def test_bad_schedules_and_timezones_are_invalid_input(schedule: str, timezone: str | None) -> None:
    with pytest.raises(InvalidInput):
        check_schedule(schedule, timezone)


# -- the service on real runs ------------------------------------------------------------------


@dataclasses.dataclass
class Wired:
    crons: CronService
    runs: RunService
    threads: ThreadService


@pytest.fixture
async def wired(storage: Storage) -> AsyncIterator[Wired]:
    assistants = AssistantService(storage, load_graphs(read_config(BUNDLED_CONFIG)))
    scheduler = Scheduler(
        RunPorts(storage, InProcessBroker(), assistants.graph, run_timeout=60.0), workers=2
    )
    threads = ThreadService(storage, assistants, scheduler)
    runs = RunService(scheduler, assistants, threads)
    await assistants.ensure_system_assistants()
    await runs.start()
    try:
        yield Wired(CronService(storage, assistants, runs), runs, threads)
    finally:
        await runs.stop(grace=2.0)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def test_missed_slots_fire_once_then_the_next_future_slot(wired: Wired) -> None:
    thread = await wired.threads.create()
    cron = await wired.crons.create(
        thread_id=thread.thread_id,
        schedule="* * * * *",
        payload={"assistant_id": "echo", "input": HELLO},
        metadata={"from": "cron"},
    )
    assert cron.next_run_date is not None and cron.next_run_date > now()
    # The server was down for ten slots.
    clock = Clock(cron.next_run_date + timedelta(minutes=10, seconds=30))
    runner = CronRunner(wired.crons, clock=clock)
    assert await runner.tick() == 1
    assert await runner.tick() == 0  # nothing due until the next future slot
    stored = await wired.crons.get(cron.cron_id)
    assert stored.next_run_date == cron.next_run_date + timedelta(minutes=11)
    [run] = await wired.runs.list(thread.thread_id, limit=10, offset=0, status=None)
    assert run.metadata["cron_id"] == cron.cron_id
    assert run.metadata["from"] == "cron"
    assert (await wired.runs.wait(run)).status == "success"
    clock.at = stored.next_run_date
    assert await runner.tick() == 1


async def test_end_time_stops_the_cron(wired: Wired, storage: Storage) -> None:
    cron = await wired.crons.create(
        thread_id=None, schedule="* * * * *", payload={"assistant_id": "echo", "input": HELLO}
    )
    assert cron.next_run_date is not None
    last = cron.next_run_date
    await storage.crons.replace(dataclasses.replace(cron, end_time=last + timedelta(seconds=30)))
    runner = CronRunner(wired.crons, clock=Clock(last))
    assert await runner.tick() == 1  # the last slot before the end
    stored = await wired.crons.get(cron.cron_id)
    assert stored.next_run_date is None
    runner.clock = Clock(last + timedelta(hours=1))
    assert await runner.tick() == 0
    # Moving the end time on gives the cron its next slot again.
    later = await wired.crons.update(cron.cron_id, end_time=None)
    assert later.next_run_date is not None and later.next_run_date > now()


async def test_stateless_cron_runs_delete_or_keep_their_thread(
    wired: Wired, storage: Storage
) -> None:
    outcomes: dict[str, Run] = {}
    for policy in ("delete", "keep"):
        cron = await wired.crons.create(
            thread_id=None,
            schedule="* * * * *",
            payload={"assistant_id": "echo", "input": HELLO},
            on_run_completed=policy,  # type: ignore[arg-type]
        )
        assert cron.on_run_completed == policy
        assert cron.next_run_date is not None
        assert await wired.crons.claim(cron, cron.next_run_date) == "fire"
        run = await wired.crons.fire(cron)
        assert (await wired.runs.wait(run)).status == "success"
        outcomes[policy] = run

    async with asyncio.timeout(5.0):  # the temporary thread goes once its run has ended
        # no event tells when the deletion is written: poll the database
        while await storage.threads.get(outcomes["delete"].thread_id) is not None:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    kept = await storage.threads.get(outcomes["keep"].thread_id)
    assert kept is not None and kept.values is not None


async def test_a_failing_slot_is_skipped(wired: Wired, storage: Storage) -> None:
    thread = await wired.threads.create()
    cron = await wired.crons.create(
        thread_id=thread.thread_id, schedule="* * * * *", payload={"assistant_id": "echo"}
    )
    # A payload RunService refuses (stored by hand: the API never lets one in).
    broken = dataclasses.replace(cron, payload={**cron.payload, "stream_mode": ["nope"]})
    await storage.crons.replace(broken)
    assert cron.next_run_date is not None
    runner = CronRunner(wired.crons, clock=Clock(cron.next_run_date))
    assert await runner.tick() == 1  # claimed; its run could not be created (logged)
    stored = await wired.crons.get(cron.cron_id)
    assert stored.next_run_date == cron.next_run_date + timedelta(minutes=1)
    assert await wired.runs.list(thread.thread_id, limit=10, offset=0, status=None) == []


async def test_deleting_a_thread_deletes_its_crons(wired: Wired) -> None:
    thread = await wired.threads.create()
    cron = await wired.crons.create(
        thread_id=thread.thread_id, schedule="* * * * *", payload={"assistant_id": "echo"}
    )
    await wired.threads.delete(thread.thread_id)
    with pytest.raises(NotFound):
        await wired.crons.get(cron.cron_id)


async def test_service_errors(wired: Wired) -> None:
    with pytest.raises(NotFound):
        await wired.crons.create(
            thread_id=new_id(), schedule="* * * * *", payload={"assistant_id": "echo"}
        )
    with pytest.raises(InvalidInput):
        await wired.crons.create(thread_id=None, schedule="x", payload={"assistant_id": "echo"})
    with pytest.raises(InvalidInput):
        await wired.crons.create(
            thread_id=None, schedule="* * * * *", payload={"assistant_id": "echo", "bogus": 1}
        )
    with pytest.raises(NotFound):
        await wired.crons.get(new_id())
    with pytest.raises(NotFound):
        await wired.crons.update(new_id(), enabled=False)
    with pytest.raises(NotFound):
        await wired.crons.delete(new_id())


# -- two runners, one PostgreSQL database ------------------------------------------------------


class Recording(CronService):
    """A CronService whose firing records the slot instead of creating a run (the claim, the
    part under test, is the real one)."""

    def __init__(self, storage: Storage, fired: list[datetime]) -> None:
        self.storage = storage
        self.fired = fired

    async def fire(self, cron: Cron) -> Run:
        assert cron.next_run_date is not None
        self.fired.append(cron.next_run_date)
        return None  # type: ignore[return-value]


async def test_two_runners_on_one_postgres_database_fire_each_slot_once() -> None:
    with fresh_database(admin_url(), "interop_cron_test") as url:
        stores = [await open_storage(url), await open_storage(url)]
        try:
            start = datetime(2030, 1, 1, tzinfo=UTC)
            cron = Cron(
                cron_id=new_id(),
                assistant_id=new_id(),
                thread_id=None,
                user_id=None,
                schedule="* * * * * *",
                timezone=None,
                end_time=None,
                next_run_date=start,
                on_run_completed="delete",
                payload={},
                metadata={},
                enabled=True,
                created_at=start,
                updated_at=start,
            )
            await stores[0].crons.create(cron)
            fired: list[datetime] = []
            clocks = [Clock(start), Clock(start)]
            runners = [
                CronRunner(Recording(s, fired), clock=c)
                for s, c in zip(stores, clocks, strict=True)
            ]
            for step in range(30):
                clocks[0].at = start + timedelta(seconds=step)
                clocks[1].at = start + timedelta(seconds=step, milliseconds=500 * (step % 2))
                await asyncio.gather(*(r.tick() for r in runners))
            assert sorted(fired) == [start + timedelta(seconds=i) for i in range(30)]
        finally:
            for s in stores:
                await s.close()
