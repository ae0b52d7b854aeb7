"""The broker contract (`interop.core.events.EventBroker`), run over every broker.

Redis: `INTEROP_TEST_REDIS_URL` (e.g. redis://127.0.0.1:6379/5) names the server; unset, the
local default is tried and the Redis cases are skipped (with the reason) when it does not answer;
set but unreachable, they fail. Each test uses its own key prefix and deletes its keys.
Two broker instances on one Redis stand for two server processes.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

import pytest
import redis.asyncio as aioredis
from tests.redis_env import delete_keys, key_prefix, redis_url

from interop.brokers.memory import InProcessBroker
from interop.brokers.redis import RedisBroker
from interop.core.events import FROM_NOW, FROM_START, EventBroker, parse_event_id
from interop.core.models import StreamEvent

WITHIN = 10.0


class MakeBroker(Protocol):
    def __call__(
        self, *, max_events: int = ..., retention: float = ...
    ) -> Awaitable[EventBroker]: ...


@pytest.fixture(params=["memory", "redis"])
async def make(request: pytest.FixtureRequest) -> AsyncIterator[MakeBroker]:
    """`await make(**options)`: a broker; every call of one test shares one event space (one
    process for memory: the same instance; Redis: a new instance with the test's prefix)."""
    made: list[EventBroker] = []
    if request.param == "memory":
        shared: dict[str, InProcessBroker] = {}

        async def memory(*, max_events: int = 10_000, retention: float = 120.0) -> EventBroker:
            if "one" not in shared:
                shared["one"] = InProcessBroker(max_events=max_events, retention=retention)
            return shared["one"]

        yield memory
        return

    url = redis_url()
    prefix = key_prefix()

    async def redis(*, max_events: int = 10_000, retention: float = 120.0) -> EventBroker:
        client = aioredis.Redis.from_url(url)
        broker = RedisBroker(client, prefix=prefix, max_events=max_events, retention=retention)
        made.append(broker)
        return broker

    try:
        yield redis
    finally:
        for broker in made:
            await broker.aclose()
        delete_keys(url, prefix)


async def _collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    async with asyncio.timeout(WITHIN):
        return [event async for event in stream]


async def _publish_all(broker: EventBroker, channel: str, names: list[str]) -> list[str]:
    return [await broker.publish(channel, name, name.encode()) for name in names]


def _ids(events: list[StreamEvent]) -> list[str]:
    return [event.id for event in events]


async def _eventually(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(WITHIN):
        # expiry has no event to wait on: poll the condition
        while not await check():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


class _Reader:
    """A reader in a task, collecting what it reads."""

    def __init__(self, stream: AsyncIterator[StreamEvent]) -> None:
        self.seen: list[StreamEvent] = []
        self.task = asyncio.create_task(self._run(stream))

    async def _run(self, stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
        async for event in stream:
            self.seen.append(event)
        return self.seen

    async def attached(self, broker: EventBroker, channel: str) -> None:
        """Publish `ping` events until the reader has read one: from then on it is reading."""
        async with asyncio.timeout(WITHIN):
            while not self.seen:
                await broker.publish(channel, "ping", b"")
                await asyncio.sleep(0.01)

    async def result(self) -> list[StreamEvent]:
        return await asyncio.wait_for(self.task, WITHIN)


def _without_pings(events: list[StreamEvent]) -> list[StreamEvent]:
    return [event for event in events if event.event != "ping"]


def _increasing(ids: list[str]) -> bool:
    parsed = [parse_event_id(i) for i in ids]
    return all(p is not None for p in parsed) and all(
        a < b  # type: ignore[operator]
        for a, b in itertools.pairwise(parsed)
    )


# -- publish and subscribe ---------------------------------------------------------------------


async def test_from_start_replays_everything_then_ends_on_close(make: MakeBroker) -> None:
    broker = await make()
    await broker.open("run")
    ids = await _publish_all(broker, "run", ["a", "b", "c"])
    await broker.close("run")
    got = await _collect(broker.subscribe("run", FROM_START))
    assert _ids(got) == ids
    assert [(e.event, e.data) for e in got] == [("a", b"a"), ("b", b"b"), ("c", b"c")]
    assert _increasing(ids)


async def test_after_an_id_yields_exactly_the_later_events(make: MakeBroker) -> None:
    broker = await make()
    ids = await _publish_all(broker, "run", ["a", "b", "c", "d", "e"])
    await broker.close("run")
    assert _ids(await _collect(broker.subscribe("run", ids[1]))) == ids[2:]
    assert await _collect(broker.subscribe("run", ids[-1])) == []


async def test_a_start_that_is_not_an_id_reads_from_the_start(make: MakeBroker) -> None:
    broker = await make()
    ids = await _publish_all(broker, "run", ["a", "b"])
    await broker.close("run")
    assert _ids(await _collect(broker.subscribe("run", "not-an-id"))) == ids


async def test_an_id_past_every_event_yields_nothing_and_ends_on_close(make: MakeBroker) -> None:
    broker = await make()
    ids = await _publish_all(broker, "run", ["a"])
    await broker.close("run")
    past = "99999999999999999999-99999999999999999999"  # past 64-bit parts too
    assert await _collect(broker.subscribe("run", past)) == []
    # a sequence part past 64 bits still orders by the millisecond part
    assert _ids(await _collect(broker.subscribe("run", "1-99999999999999999999"))) == ids


async def test_a_live_reader_gets_later_events_then_ends_on_close(make: MakeBroker) -> None:
    broker = await make()
    early = await _publish_all(broker, "run", ["a", "b"])
    reader = _Reader(broker.subscribe("run", early[0]))
    await reader.attached(broker, "run")
    later = await _publish_all(broker, "run", ["c", "d"])
    await broker.close("run")
    got = await reader.result()
    assert _ids(got)[0] == early[1]
    assert _ids(_without_pings(got)) == [early[1], *later]
    assert _increasing(_ids(got))


async def test_from_now_skips_what_was_published_before(make: MakeBroker) -> None:
    broker = await make()
    await _publish_all(broker, "run", ["old1", "old2"])
    reader = _Reader(broker.subscribe("run", FROM_NOW))
    await reader.attached(broker, "run")
    new = await _publish_all(broker, "run", ["new1", "new2"])
    await broker.close("run")
    assert _ids(_without_pings(await reader.result())) == new


async def test_from_now_on_a_closed_channel_ends_at_once(make: MakeBroker) -> None:
    broker = await make()
    await _publish_all(broker, "run", ["a"])
    await broker.close("run")
    assert await _collect(broker.subscribe("run", FROM_NOW)) == []


async def test_a_channel_that_does_not_exist_yet_is_waited_for(make: MakeBroker) -> None:
    broker, other = await make(), await make()
    assert not await broker.exists("later")
    reader = _Reader(broker.subscribe("later", FROM_START))
    ids = await _publish_all(other, "later", ["a"])
    await other.close("later")
    assert _ids(await reader.result()) == ids


async def test_close_ends_every_live_reader(make: MakeBroker) -> None:
    broker = await make()
    await broker.open("run")
    readers = [_Reader(broker.subscribe("run")) for _ in range(4)]
    ids = await _publish_all(broker, "run", ["a", "b", "c"])
    await broker.close("run")
    for reader in readers:
        assert _ids(await reader.result()) == ids


async def test_concurrent_readers_each_see_every_event_once_in_order(make: MakeBroker) -> None:
    broker = await make()
    early = await _publish_all(broker, "run", ["pre0", "pre1"])
    readers = [_Reader(broker.subscribe("run")) for _ in range(6)]
    published = list(early)
    for i in range(150):
        published.append(await broker.publish("run", "e", str(i).encode()))
        if i % 7 == 0:
            await asyncio.sleep(0)  # let readers catch up part-way, at different points
    await broker.close("run")
    for reader in readers:
        assert _ids(await reader.result()) == published


async def test_idle_timeout_bounds_a_wait(make: MakeBroker) -> None:
    broker = await make()
    await broker.open("quiet")
    with pytest.raises(TimeoutError):
        await _collect(broker.subscribe("quiet", FROM_START, idle_timeout=0.05))
    # 0: what is kept now, then TimeoutError
    ids = await _publish_all(broker, "quiet", ["a"])
    seen: list[str] = []
    with pytest.raises(TimeoutError):
        async for event in broker.subscribe("quiet", FROM_START, idle_timeout=0):
            seen.append(event.id)
    assert seen == ids


async def test_a_reopened_channel_serves_the_next_run(make: MakeBroker) -> None:
    broker = await make()
    await broker.open("thread")
    first = await _publish_all(broker, "thread", ["run1"])
    await broker.close("thread")
    await broker.open("thread")
    reader = _Reader(broker.subscribe("thread", first[0]))
    second = await _publish_all(broker, "thread", ["run2"])
    await broker.close("thread")
    assert _ids(await reader.result()) == second


async def test_exists_and_mirror(make: MakeBroker) -> None:
    broker = await make()
    assert not await broker.exists("run")
    await broker.publish("run", "a", b"1", mirror="thread")
    assert await broker.exists("run")
    assert not await broker.exists("thread")  # a mirror is written only once it exists
    await broker.open("thread")
    assert await broker.exists("thread")
    run_id = await broker.publish("run", "b", b"2", mirror="thread")
    await broker.close("run")
    await broker.close("thread")
    thread = await _collect(broker.subscribe("thread"))
    assert [(e.event, e.data) for e in thread] == [("b", b"2")]
    assert [e.event for e in await _collect(broker.subscribe("run"))] == ["a", "b"]
    assert _ids(await _collect(broker.subscribe("run", run_id))) == []


# -- across processes ----------------------------------------------------------------------------


async def test_reconnecting_to_another_instance_gets_every_later_event_once(
    make: MakeBroker,
) -> None:
    one, two = await make(), await make()
    ids = await _publish_all(one, "run", ["a", "b", "c", "d", "e"])
    seen: list[str] = []
    async for event in two.subscribe("run"):
        seen.append(event.id)
        if len(seen) == 2:
            break  # the client drops
    ids += await _publish_all(one, "run", ["f", "g", "h"])
    await one.close("run")
    resumed = _ids(await _collect(one.subscribe("run", seen[-1])))
    assert seen + resumed == ids


async def test_ids_stay_increasing_when_instances_publish_to_one_channel(
    make: MakeBroker,
) -> None:
    one, two = await make(), await make()
    reader = _Reader(one.subscribe("thread"))

    async def burst(broker: EventBroker, name: str) -> list[str]:
        out = []
        for i in range(100):
            out.append(await broker.publish("thread", name, str(i).encode()))
        return out

    first, second = await asyncio.gather(burst(one, "one"), burst(two, "two"))
    await two.close("thread")
    got = await reader.result()
    assert _increasing(_ids(got))
    assert sorted(_ids(got)) == sorted(first + second)
    assert [e.data for e in got if e.event == "one"] == [str(i).encode() for i in range(100)]


# -- bounds -------------------------------------------------------------------------------------


async def test_a_channel_keeps_a_bounded_number_of_the_newest_events(make: MakeBroker) -> None:
    broker = await make(max_events=20)
    ids = await _publish_all(broker, "run", [f"e{i}" for i in range(1000)])
    await broker.close("run")
    kept = _ids(await _collect(broker.subscribe("run")))
    # at least the newest `max_events`; Redis trims whole stream nodes (MAXLEN ~)
    assert 20 <= len(kept) <= 300
    assert kept == ids[-len(kept) :]
    # a reader whose last id fell out of the log gets everything still kept
    assert _ids(await _collect(broker.subscribe("run", ids[0]))) == kept


async def test_a_channel_expires_after_its_retention(make: MakeBroker) -> None:
    broker = await make(retention=0.2)
    await _publish_all(broker, "run", ["a"])
    await broker.close("run")
    assert await broker.exists("run")

    async def gone() -> bool:
        return not await broker.exists("run")

    await _eventually(gone)
    with pytest.raises(TimeoutError):
        await _collect(broker.subscribe("run", FROM_START, idle_timeout=0))


# -- signals ------------------------------------------------------------------------------------


async def _next(signals: AsyncIterator[bytes]) -> bytes:
    return await asyncio.wait_for(anext(signals), WITHIN)


async def test_a_signal_reaches_every_listener_in_every_instance(make: MakeBroker) -> None:
    one, two = await make(), await make()
    async with (
        one.listen("cancel") as a,
        one.listen("cancel") as b,
        two.listen("cancel") as c,
        two.listen("other") as elsewhere,
    ):
        await two.signal("cancel", b"run-1")
        await one.signal("cancel", b"run-2")
        for signals in (a, b, c):
            assert [await _next(signals), await _next(signals)] in (
                [b"run-1", b"run-2"],
                [b"run-2", b"run-1"],  # two senders: order is kept per sender only
            )
        await one.signal("other", b"x")
        assert await _next(elsewhere) == b"x"


async def test_signals_are_not_kept_for_later_listeners(make: MakeBroker) -> None:
    one, two = await make(), await make()
    await one.signal("wake", b"early")
    async with two.listen("wake") as signals:
        await one.signal("wake", b"late")
        assert await _next(signals) == b"late"
    async with two.listen("wake") as again:
        await one.signal("wake", b"again")
        assert await _next(again) == b"again"


async def test_signals_keep_their_order_from_one_sender(make: MakeBroker) -> None:
    one, two = await make(), await make()
    async with two.listen("list") as signals:
        for i in range(50):
            await one.signal("list", str(i).encode())
        assert [await _next(signals) for _ in range(50)] == [str(i).encode() for i in range(50)]
