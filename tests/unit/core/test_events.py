"""interop.core.events: event ids, and the in-process broker's replay and fan-out contract."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import AsyncIterator, Callable

import pytest

from interop.core import events
from interop.core.events import FROM_NOW, FROM_START, EventClock, InProcessBroker, parse_event_id
from interop.core.models import StreamEvent

ID_FORM = re.compile(r"^\d+-\d+$")


def _readers(broker: InProcessBroker, channel: str) -> int:
    """How many readers wait on `channel` (white-box: lets a test start publishing only once a
    reader is attached, instead of sleeping)."""
    ch = broker._channels.get(channel)
    return 0 if ch is None else len(ch.waiters)


async def _collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


async def _publish_all(broker: InProcessBroker, channel: str, names: list[str]) -> list[str]:
    return [await broker.publish(channel, name, name.encode()) for name in names]


# -- EventClock / parse_event_id ----------------------------------------------------------------


def test_clock_ids_strictly_increase_within_one_millisecond(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events.time, "time", lambda: 1_700_000_000.123)
    clock = EventClock()
    ids = [clock.next() for _ in range(1000)]
    assert all(a < b for a, b in itertools.pairwise(ids))
    assert len(set(ids)) == len(ids)


def test_clock_ids_strictly_increase_when_time_goes_backwards(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readings = iter([1000.000, 1000.005, 999.000, 998.500, 1000.005, 1000.004, 1001.0])
    monkeypatch.setattr(events.time, "time", lambda: next(readings))
    clock = EventClock()
    ids = [clock.next() for _ in range(7)]
    assert all(a < b for a, b in itertools.pairwise(ids))
    # once the wall clock is ahead again, ids follow it
    assert ids[-1] == (1_001_000, 0)


def test_clock_follows_wall_clock_milliseconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events.time, "time", lambda: 1234.5678)
    assert EventClock().next() == (1_234_567, 0)


async def test_published_ids_have_ms_seq_form_and_parse_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(events.time, "time", lambda: 42.0)
    broker = InProcessBroker()
    ids = await _publish_all(broker, "c", ["a", "b", "c"])
    assert ids == ["42000-0", "42000-1", "42000-2"]
    for event_id in ids:
        assert ID_FORM.match(event_id)
    assert [parse_event_id(i) for i in ids] == [(42000, 0), (42000, 1), (42000, 2)]


async def test_published_ids_are_unique_and_increasing_at_real_speed() -> None:
    broker = InProcessBroker()
    ids = await _publish_all(broker, "c", [f"e{i}" for i in range(2000)])
    parsed = [parse_event_id(i) for i in ids]
    assert all(p is not None for p in parsed)
    assert all(a < b for a, b in itertools.pairwise(parsed))  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0-0", (0, 0)),
        ("1700000000000-17", (1_700_000_000_000, 17)),
    ],
)
def test_parse_event_id_accepts_ms_seq(text: str, expected: tuple[int, int]) -> None:
    assert parse_event_id(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "-1", "12", "12-", "-12", "a-1", "1-b", "1-2-3", " 1-2", "1.5-2", "²-1", "1-²"],
)
def test_parse_event_id_rejects_other_forms(text: str) -> None:
    # A Last-Event-ID header is client input: anything not `<ms>-<seq>` must give None,
    # never an exception.
    assert parse_event_id(text) is None


def test_parse_event_id_orders_like_publication() -> None:
    assert parse_event_id("5-10") > parse_event_id("5-9")  # type: ignore[operator]
    assert parse_event_id("6-0") > parse_event_id("5-99")  # type: ignore[operator]


# -- InProcessBroker: replay -------------------------------------------------------------------


async def test_subscribe_from_start_replays_everything_then_ends_on_close() -> None:
    broker = InProcessBroker()
    broker.open("run")
    ids = await _publish_all(broker, "run", ["a", "b", "c"])
    await broker.close("run")
    got = await asyncio.wait_for(_collect(broker.subscribe("run", FROM_START)), 5)
    assert [e.id for e in got] == ids
    assert [e.event for e in got] == ["a", "b", "c"]
    assert [e.data for e in got] == [b"a", b"b", b"c"]


async def test_subscribe_after_an_id_replays_exactly_the_later_events() -> None:
    broker = InProcessBroker()
    ids = await _publish_all(broker, "run", ["a", "b", "c", "d", "e"])
    await broker.close("run")
    got = await asyncio.wait_for(_collect(broker.subscribe("run", ids[1])), 5)
    assert [e.id for e in got] == ids[2:]
    last = await asyncio.wait_for(_collect(broker.subscribe("run", ids[-1])), 5)
    assert last == []


async def test_subscribe_after_an_id_then_live_events(until: Callable[..., object]) -> None:
    broker = InProcessBroker()
    ids = await _publish_all(broker, "run", ["a", "b"])
    reader = asyncio.create_task(_collect(broker.subscribe("run", ids[0])))
    await until(lambda: _readers(broker, "run") == 1)
    later = await _publish_all(broker, "run", ["c", "d"])
    await broker.close("run")
    got = await asyncio.wait_for(reader, 5)
    assert [e.id for e in got] == [ids[1], *later]


async def test_subscribe_from_now_gets_only_new_events(until: Callable[..., object]) -> None:
    broker = InProcessBroker()
    await _publish_all(broker, "run", ["old1", "old2"])
    reader = asyncio.create_task(_collect(broker.subscribe("run", FROM_NOW)))
    await until(lambda: _readers(broker, "run") == 1)
    new = await _publish_all(broker, "run", ["new1", "new2"])
    await broker.close("run")
    got = await asyncio.wait_for(reader, 5)
    assert [e.id for e in got] == new


async def test_subscribe_from_now_on_empty_channel_gets_everything_published(
    until: Callable[..., object],
) -> None:
    broker = InProcessBroker()
    broker.open("run")
    reader = asyncio.create_task(_collect(broker.subscribe("run", FROM_NOW)))
    await until(lambda: _readers(broker, "run") == 1)
    ids = await _publish_all(broker, "run", ["a", "b"])
    await broker.close("run")
    assert [e.id for e in await asyncio.wait_for(reader, 5)] == ids


async def test_subscriber_before_channel_exists_waits_for_it(until: Callable[..., object]) -> None:
    broker = InProcessBroker()
    reader = asyncio.create_task(_collect(broker.subscribe("later", FROM_START)))
    await until(lambda: _readers(broker, "later") == 1)
    ids = await _publish_all(broker, "later", ["a"])
    await broker.close("later")
    assert [e.id for e in await asyncio.wait_for(reader, 5)] == ids


async def test_late_subscriber_after_close_gets_kept_events_then_ends() -> None:
    broker = InProcessBroker()
    broker.open("run")
    ids = await _publish_all(broker, "run", ["a", "b"])
    await broker.close("run")
    assert broker.is_closed("run")
    first = await asyncio.wait_for(_collect(broker.subscribe("run")), 5)
    second = await asyncio.wait_for(_collect(broker.subscribe("run")), 5)
    assert [e.id for e in first] == ids
    assert [e.id for e in second] == ids


async def test_bounded_log_keeps_the_newest_events() -> None:
    broker = InProcessBroker(max_events=3)
    ids = await _publish_all(broker, "run", ["a", "b", "c", "d", "e"])
    await broker.close("run")
    got = await asyncio.wait_for(_collect(broker.subscribe("run", FROM_START)), 5)
    assert [e.id for e in got] == ids[-3:]
    # a reader whose last id fell out of the log gets everything still kept
    stale = await asyncio.wait_for(_collect(broker.subscribe("run", ids[0])), 5)
    assert [e.id for e in stale] == ids[-3:]


async def test_idle_timeout_bounds_a_wait() -> None:
    broker = InProcessBroker()
    broker.open("quiet")
    with pytest.raises(TimeoutError):
        await _collect(broker.subscribe("quiet", FROM_START, idle_timeout=0.01))


async def test_reopened_channel_serves_the_next_run(until: Callable[..., object]) -> None:
    broker = InProcessBroker()
    broker.open("thread")
    first = await _publish_all(broker, "thread", ["run1"])
    await broker.close("thread")
    broker.open("thread")
    assert not broker.is_closed("thread")
    reader = asyncio.create_task(_collect(broker.subscribe("thread", first[0])))
    await until(lambda: _readers(broker, "thread") == 1)
    second = await _publish_all(broker, "thread", ["run2"])
    await broker.close("thread")
    assert [e.id for e in await asyncio.wait_for(reader, 5)] == second


async def test_concurrent_readers_each_see_every_event_once_in_order(
    until: Callable[..., object],
) -> None:
    broker = InProcessBroker()
    broker.open("run")
    early = await _publish_all(broker, "run", ["pre0", "pre1"])
    readers = [asyncio.create_task(_collect(broker.subscribe("run"))) for _ in range(8)]
    await until(lambda: _readers(broker, "run") == len(readers))
    published = list(early)
    for i in range(200):
        published.append(await broker.publish("run", "e", str(i).encode()))
        if i % 7 == 0:
            await asyncio.sleep(0)  # let readers catch up part-way, at different points
    await broker.close("run")
    results = await asyncio.wait_for(asyncio.gather(*readers), 5)
    for got in results:
        assert [e.id for e in got] == published


async def test_slow_and_fast_readers_both_get_everything(until: Callable[..., object]) -> None:
    broker = InProcessBroker()
    broker.open("run")
    gate = asyncio.Event()

    async def slow() -> list[str]:
        seen: list[str] = []
        async for event in broker.subscribe("run"):
            seen.append(event.id)
            if len(seen) == 1:
                await gate.wait()
        return seen

    slow_task = asyncio.create_task(slow())
    fast_task = asyncio.create_task(_collect(broker.subscribe("run")))
    await until(lambda: _readers(broker, "run") == 2)
    published = await _publish_all(broker, "run", [f"e{i}" for i in range(50)])
    await broker.close("run")
    fast = await asyncio.wait_for(fast_task, 5)
    gate.set()
    assert [e.id for e in fast] == published
    assert await asyncio.wait_for(slow_task, 5) == published


# -- InProcessBroker: channel expiry -----------------------------------------------------------


async def test_max_channels_never_drops_a_channel_with_a_reader(
    until: Callable[..., object],
) -> None:
    broker = InProcessBroker(max_channels=1)
    broker.open("watched")
    reader = asyncio.create_task(_collect(broker.subscribe("watched")))
    await until(lambda: _readers(broker, "watched") == 1)
    for i in range(20):
        await broker.publish(f"other{i}", "e", b"x")
        await broker.close(f"other{i}")
    assert broker.has_channel("watched")
    ids = await _publish_all(broker, "watched", ["a"])
    await broker.close("watched")
    assert [e.id for e in await asyncio.wait_for(reader, 5)] == ids


async def test_max_channels_drops_the_oldest_finished_channels() -> None:
    broker = InProcessBroker(max_channels=2)
    for name in ("c1", "c2", "c3"):
        await broker.publish(name, "e", b"x")
        await broker.close(name)
    broker.open("c4")
    assert not broker.has_channel("c1")
    assert broker.has_channel("c4")


async def test_retention_expires_idle_channels_but_not_ones_with_readers(
    monkeypatch: pytest.MonkeyPatch, until: Callable[..., object]
) -> None:
    offset = [0.0]
    real = time.monotonic
    monkeypatch.setattr(events.time, "monotonic", lambda: real() + offset[0])
    broker = InProcessBroker(retention=10.0)
    broker.open("watched")
    reader = asyncio.create_task(_collect(broker.subscribe("watched")))
    await until(lambda: _readers(broker, "watched") == 1)
    await broker.publish("finished", "e", b"x")
    await broker.close("finished")
    assert broker.has_channel("finished")

    offset[0] = 1000.0  # far past retention
    broker.open("trigger")  # creating a channel runs the expiry sweep

    assert not broker.has_channel("finished")
    assert broker.has_channel("watched")
    ids = await _publish_all(broker, "watched", ["a"])
    await broker.close("watched")
    assert [e.id for e in await asyncio.wait_for(reader, 5)] == ids
