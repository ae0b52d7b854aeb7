"""The session event store: one broker channel per session, replay per stream, bounded."""

from __future__ import annotations

from typing import Any

from mcp.server.streamable_http import EventMessage
from mcp_types import JSONRPCNotification, JSONRPCResponse

from interop.brokers.memory import InProcessBroker
from interop.mcp import events
from interop.mcp.events import SessionEvents


def _note(n: int) -> JSONRPCNotification:
    return JSONRPCNotification(jsonrpc="2.0", method="notifications/progress", params={"n": n})


def _response(ident: int) -> JSONRPCResponse:
    return JSONRPCResponse(jsonrpc="2.0", id=ident, result={})


async def _replay(store: SessionEvents, after: str) -> tuple[Any, list[Any]]:
    seen: list[EventMessage] = []

    async def collect(message: EventMessage) -> None:
        seen.append(message)

    stream = await store.replay_events_after(after, collect)
    return stream, [m.message for m in seen]


async def test_streams_share_one_channel_and_replay_only_their_own() -> None:
    broker = InProcessBroker()
    store = SessionEvents(broker, "s1")
    first = await store.store_event("1", None)  # the priming event
    await store.store_event("2", _note(20))
    await store.store_event("1", _note(10))
    await store.store_event("2", _response(2))
    await store.store_event("1", _response(1))
    assert [name for name in broker._channels if name.startswith("mcp:")] == ["mcp:s1"]
    stream, replayed = await _replay(store, first)
    assert replayed == [_note(10), _response(1)]
    assert stream is None  # the response was replayed: the resumed stream ends with it


async def test_replay_goes_on_with_a_stream_not_yet_answered() -> None:
    store = SessionEvents(InProcessBroker(), "s")
    first = await store.store_event("7", None)
    await store.store_event("7", _note(1))
    assert await _replay(store, first) == ("7", [_note(1)])


async def test_sessions_do_not_see_each_other() -> None:
    broker = InProcessBroker()
    one, two = SessionEvents(broker, "a"), SessionEvents(broker, "b")
    first = await one.store_event("1", None)
    await two.store_event("1", _response(1))
    assert await _replay(one, first) == ("1", [])
    # The same request id in another session is another stream: the cursor names nothing there.
    assert not await two.can_replay(first)
    assert await _replay(two, first) == (None, [])


async def test_unknown_or_malformed_ids_replay_nothing() -> None:
    store = SessionEvents(InProcessBroker(), "s")
    known = await store.store_event("1", _response(1))
    assert await store.can_replay(known)
    key = known.partition(".")[0]
    for cursor in ("nope.1-0", "garbage", f"{key}.x-1", key):
        assert not await store.can_replay(cursor)
        assert await _replay(store, cursor) == (None, [])


async def test_expired_events_cannot_be_replayed() -> None:
    broker = InProcessBroker(retention=60.0)
    store = SessionEvents(broker, "s")
    cursor = await store.store_event("1", None)
    assert await store.can_replay(cursor)
    broker._channels["mcp:s"].touched -= 120.0  # idle for longer than the retention
    assert not await store.can_replay(cursor)
    assert await _replay(store, cursor) == (None, [])


async def test_remembered_streams_are_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(events, "_MAX_STREAMS", 2)
    # A forgotten stream is followed as another process's would be: not for long here.
    monkeypatch.setattr(events, "FOLLOW_IDLE", 0.2)
    store = SessionEvents(InProcessBroker(), "s")
    oldest = await store.store_event("1", None)
    await store.store_event("2", None)
    latest = await store.store_event("3", None)
    assert await _replay(store, oldest) == (None, [])
    assert (await _replay(store, latest))[0] == "3"


async def test_another_process_resumes_a_stream_and_follows_it_to_its_response() -> None:
    broker = InProcessBroker()
    serving = SessionEvents(broker, "s1")  # the process serving the request
    other = SessionEvents(broker, "s1")  # another process, which never stored an event for it
    primed = await serving.store_event("7", None)
    await serving.store_event("7", _note(1))
    seen: list[Any] = []

    async def collect(message: EventMessage) -> None:
        seen.append(message.message)
        if len(seen) == 1:  # published after the replay began: followed live
            await serving.store_event("7", _note(2))
            await serving.store_event("7", _response(7))

    assert await other.can_replay(primed)
    stream = await other.replay_events_after(primed, collect)
    assert stream is None  # the response ended the stream: nothing for the SDK to tail
    assert seen == [_note(1), _note(2), _response(7)]
    # Another session's view finds no such stream.
    assert not await SessionEvents(broker, "s2").can_replay(primed)
