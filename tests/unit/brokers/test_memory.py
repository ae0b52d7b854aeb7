"""interop.brokers.memory: what only the in-process broker does (channel count bound, expiry
sweeps); the shared behaviour is in test_contract."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from interop.brokers import memory
from interop.brokers.memory import InProcessBroker
from interop.core.models import StreamEvent


def _readers(broker: InProcessBroker, channel: str) -> int:
    """How many readers wait on `channel` (white-box: lets a test act once a reader is
    attached, instead of sleeping)."""
    ch = broker._channels.get(channel)
    return 0 if ch is None else len(ch.waiters)


async def _collect(stream: AsyncIterator[StreamEvent]) -> list[StreamEvent]:
    return [event async for event in stream]


async def test_max_channels_never_drops_a_channel_with_a_reader(
    until: Callable[..., object],
) -> None:
    broker = InProcessBroker(max_channels=1)
    await broker.open("watched")
    reader = asyncio.create_task(_collect(broker.subscribe("watched")))
    await until(lambda: _readers(broker, "watched") == 1)
    for i in range(20):
        await broker.publish(f"other{i}", "e", b"x")
        await broker.close(f"other{i}")
    assert await broker.exists("watched")
    event_id = await broker.publish("watched", "a", b"")
    await broker.close("watched")
    assert [e.id for e in await asyncio.wait_for(reader, 5)] == [event_id]


async def test_max_channels_drops_the_oldest_finished_channels() -> None:
    broker = InProcessBroker(max_channels=2)
    for name in ("c1", "c2", "c3"):
        await broker.publish(name, "e", b"x")
        await broker.close(name)
    await broker.open("c4")
    assert not await broker.exists("c1")
    assert await broker.exists("c4")


async def test_retention_expires_idle_channels_but_not_ones_with_readers(
    monkeypatch: pytest.MonkeyPatch, until: Callable[..., object]
) -> None:
    offset = [0.0]
    real = time.monotonic
    monkeypatch.setattr(memory.time, "monotonic", lambda: real() + offset[0])
    broker = InProcessBroker(retention=10.0)
    await broker.open("watched")
    reader = asyncio.create_task(_collect(broker.subscribe("watched")))
    await until(lambda: _readers(broker, "watched") == 1)
    await broker.publish("finished", "e", b"x")
    await broker.close("finished")
    assert await broker.exists("finished")

    offset[0] = 1000.0  # far past retention
    await broker.open("trigger")  # creating a channel runs the expiry sweep
    assert "finished" not in broker._channels  # swept, not only hidden
    assert await broker.exists("watched")
    event_id = await broker.publish("watched", "a", b"")
    await broker.close("watched")
    assert [e.id for e in await asyncio.wait_for(reader, 5)] == [event_id]


async def test_a_stopped_listener_drops_signals_past_its_backlog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("interop.brokers.fanout.SIGNAL_BACKLOG", 3)
    broker = InProcessBroker()
    async with broker.listen("t") as signals:
        for i in range(10):
            await broker.signal("t", str(i).encode())
        got = [await asyncio.wait_for(anext(signals), 5) for _ in range(3)]
        assert got == [b"0", b"1", b"2"]
        await broker.signal("t", b"next")
        assert await asyncio.wait_for(anext(signals), 5) == b"next"


async def test_sweep_drops_channels_past_retention_without_new_channels() -> None:
    broker = InProcessBroker(retention=0.05)
    await broker.publish("ended", "values", b"{}")
    await broker.close("ended")
    await broker.publish("kept", "values", b"{}")
    broker._channels["kept"].touched = time.monotonic() + 60  # white-box: still fresh
    broker._channels["ended"].touched -= 1.0  # white-box: past retention, no clock sleep
    broker.sweep()
    assert set(broker._channels) == {"kept"}
