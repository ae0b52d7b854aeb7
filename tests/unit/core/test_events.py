"""interop.core.events: event ids (the brokers' behaviour: tests/unit/brokers)."""

from __future__ import annotations

import itertools
import re

import pytest

from interop.brokers.memory import InProcessBroker
from interop.core import events
from interop.core.events import EventClock, parse_event_id

ID_FORM = re.compile(r"^\d+-\d+$")


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
