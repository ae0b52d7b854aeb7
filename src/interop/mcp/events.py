"""Resumable SSE for the 2025 eras: the SDK's EventStore kept in the core's event broker.

Each session gets its own view (`SessionEvents`): all its streams share one broker channel
named after the session (one channel per request would leave the broker a channel per call to
scan and expire), each event is tagged with its stream's key, and an event id names that
stream, so a `Last-Event-ID` replays only that stream, whatever request ids other sessions use.
Stream keys are keyed by the session too: a cursor from another session names no stream here.
The broker bounds and expires what it keeps.

Any process resumes any stream of the session. The process serving the request replays what
the broker keeps (and what is stored for `SETTLE` seconds after) and hands the stream back to
the SDK, which tails it live. Another process
finds the stream by its priming event (which carries the stream id) and follows the broker
channel (what the serving process publishes meanwhile) until the stream's response, or until
nothing comes for `FOLLOW_IDLE` seconds (the stream then ends; the client resumes it again).

A cursor this session cannot resume (unknown, malformed, another session's, or expired with the
broker channel) is refused with 400 (`answers.Transport`), as the TypeScript SDK does: the SDK's
transport would answer 200 with an empty stream, and the official client, seeing a stream end
without a response, reconnects with the same cursor again and again. A replay that delivers the
stream's response ends the resumed stream (nothing more can follow on it).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict

from mcp.server.streamable_http import (
    EventCallback,
    EventId,
    EventMessage,
    EventStore,
    StreamId,
)
from mcp_types import JSONRPCError, JSONRPCMessage, JSONRPCResponse
from pydantic import TypeAdapter, ValidationError

from interop.core.events import FROM_START, EventBroker, parse_event_id

_MESSAGE = TypeAdapter(JSONRPCMessage)
_PRIMING = "prime"
_EVENT = "message"
# Streams a session remembers for replay (a request's stream is replayable while it is among
# the session's most recent ones and the broker still keeps its events).
_MAX_STREAMS = 10_000
# Seconds a resumed stream waits for the next event before it ends (the client resumes again).
FOLLOW_IDLE = 25.0
# Seconds without a new event after which a resumed stream of this process is handed back to
# the SDK to tail live. The SDK registers the stream for live messages only once the replay
# has returned: a message stored in between reaches no one live (the SDK's own comment calls
# this its "replay→live-tail ordering window"). Events still on their way when the client
# resumes (progress a run sent a moment before) are stored within this time, and replayed here.
SETTLE = 0.3


class SessionEvents(EventStore):
    """One session's event store over the broker."""

    def __init__(self, broker: EventBroker, session_id: str) -> None:
        self._broker = broker
        self._session = session_id
        self._channel = f"mcp:{session_id}"
        self._salt = hashlib.blake2s(session_id.encode()).digest()
        self._streams: OrderedDict[str, StreamId] = OrderedDict()

    def _key(self, stream_id: StreamId) -> str:
        key = hashlib.blake2s(stream_id.encode(), digest_size=8, key=self._salt).hexdigest()
        self._streams[key] = stream_id
        self._streams.move_to_end(key)
        while len(self._streams) > _MAX_STREAMS:
            self._streams.popitem(last=False)
        return key

    async def _stream_of(self, key: str) -> StreamId | None:
        """The stream `key` names: known here, or found by its priming event in the channel
        (the stream of a request another process served)."""
        known = self._streams.get(key)
        if known is not None:
            return known
        wanted = f"{_PRIMING}:{key}"
        try:
            async for item in self._broker.subscribe(self._channel, FROM_START, idle_timeout=0):
                if item.event == wanted and item.data:
                    return item.data.decode()
        except TimeoutError:
            pass
        return None

    async def can_replay(self, last_event_id: EventId) -> bool:
        """True when `last_event_id` names one of this session's streams and the broker still
        keeps the session's events."""
        key, _, after = last_event_id.partition(".")
        return (
            parse_event_id(after) is not None
            and await self._broker.exists(self._channel)
            and await self._stream_of(key) is not None
        )

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        key = self._key(stream_id)
        if message is None:
            event, data = f"{_PRIMING}:{key}", stream_id.encode()
        else:
            event = f"{_EVENT}:{key}"
            data = message.model_dump_json(by_alias=True, exclude_unset=True).encode()
        event_id = await self._broker.publish(self._channel, event, data)
        return f"{key}.{event_id}"

    async def replay_events_after(
        self, last_event_id: EventId, send_callback: EventCallback
    ) -> StreamId | None:
        """Send the stream's events after `last_event_id`; the stream for the SDK to tail live
        (a stream of this process's), or None when there is nothing to go on with (an unknown
        cursor, the response sent, or a stream of another process's: followed here until its
        response or `FOLLOW_IDLE` seconds without events)."""
        if not await self.can_replay(last_event_id):
            return None
        key, _, after = last_event_id.partition(".")
        local = self._streams.get(key)
        wanted = f"{_EVENT}:{key}"
        answered = False
        try:
            async for item in self._broker.subscribe(
                self._channel, after, idle_timeout=SETTLE if local is not None else FOLLOW_IDLE
            ):
                if item.event != wanted:
                    continue
                try:
                    message = _MESSAGE.validate_json(item.data)
                except ValidationError:
                    continue
                await send_callback(EventMessage(message, f"{key}.{item.id}"))
                if isinstance(message, JSONRPCResponse | JSONRPCError):
                    answered = True
                    break  # nothing follows a response on its stream
        except TimeoutError:
            pass
        return None if answered else local
