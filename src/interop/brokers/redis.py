"""The Redis broker: run events in Redis Streams, signals over pub/sub, shared by every server
process pointed at the same Redis.

Events. A channel is the stream `<prefix>ch:<channel>`. Redis assigns every entry id (`XADD *`):
ids are Redis's `<ms>-<seq>`, strictly increasing per stream whichever process appends, and
the entry id IS the event id a client sees (and sends back as `Last-Event-ID`). Each append
trims the stream (`MAXLEN ~ max_events`: at least the newest `max_events` are kept, older ones
go a stream node at a time) and sets its expiry to `retention`; a reader refreshes the expiry
while it waits, so a channel lives while it is read and `retention` seconds after its last
event or reader, read or not: memory stays bounded by what was published in a window.
`open` and `close` append marker entries (`m`: `open` / `close`) that readers skip; a channel
is closed while its newest entry is a close marker. A reader reads with `XRANGE` after its last
id and blocks with `XREAD BLOCK` from that id, so a reader that reconnects to any process after
an id gets every later event exactly once, and no append between two reads is missed.

Signals. `<prefix>sig:<topic>` pub/sub channels carry signals only. One pub/sub connection per
broker serves all of its listeners: the first listener of a topic subscribes (and waits for
Redis to confirm, so that every signal sent afterwards reaches it), the last one unsubscribes.

Hand-written because no maintained library gives SSE-style replayable channels over Streams;
redis-py (the maintained client) does the protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeout

from interop.brokers.fanout import Fanout, drain
from interop.core.errors import register_outage
from interop.core.events import FROM_NOW, FROM_START, MAX_EVENTS, RETENTION, parse_event_id
from interop.core.models import StreamEvent
from interop.core.tasks import honour_cancel

# Redis unreachable (or too slow to answer): a request answered 503, not 500.
register_outage(RedisConnectionError, RedisTimeout)

log = logging.getLogger("interop.brokers")

# Entries read per call.
_BATCH = 512
# The longest single XREAD BLOCK: a waiting reader wakes this often to refresh its channel's
# expiry (and to notice a close it could not see, e.g. after the stream expired).
_MAX_BLOCK = 10.0
# The largest stream id part Redis accepts (64-bit unsigned).
_ID_MAX = 2**64 - 1
# How long a listener waits for Redis to confirm its subscription.
_SUBSCRIBE_TIMEOUT = 10.0

# KEYS: channel[, mirror]. ARGV: maxlen, ttl ms, event, data.
_PUBLISH = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[3], 'd', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if #KEYS > 1 and redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[3], 'd', ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return id
"""

_CLOSED = """
local function closed(tail)
  local f = tail[1] and tail[1][2]
  return f ~= nil and f[1] == 'm' and f[2] == 'close'
end
"""

# KEYS: channel. ARGV: maxlen, ttl ms. Appends an open marker unless the channel is open.
_OPEN = (
    _CLOSED
    + """
local tail = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #tail == 0 or closed(tail) then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'm', 'open')
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
)

# KEYS: channel. ARGV: maxlen, ttl ms.
_CLOSE = """
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'm', 'close')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

# KEYS: channel. ARGV: after ('now' or an id), count, ttl ms.
# Returns {after, closed, entries}: entries after `after`; closed is 1 when there are none and
# the channel's newest entry is a close marker (the reader is done).
_READ = (
    _CLOSED
    + """
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local after = ARGV[1]
local entries = {}
if after ~= 'now' then
  entries = redis.call('XRANGE', KEYS[1], '(' .. after, '+', 'COUNT', ARGV[2])
end
if #entries > 0 then
  return {after, 0, entries}
end
local tail = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if after == 'now' then
  after = tail[1] and tail[1][1] or '0-0'
end
return {after, closed(tail) and 1 or 0, entries}
"""
)

_Entry = tuple[bytes, dict[bytes, bytes]]


def _start_id(start: str) -> str:
    """The Redis id a reader starts after: 'now', or an id (from the start: 0-0)."""
    if start == FROM_NOW:
        return "now"
    parsed = parse_event_id(start)
    if parsed is None:
        return "0-0"
    # Past Redis's id range (64-bit parts): clamp each part, which orders the same events after.
    ms, seq = parsed
    return f"{min(ms, _ID_MAX)}-{min(seq, _ID_MAX - 1)}"


def _script_entries(raw: Sequence[Any]) -> list[_Entry]:
    """Entries as a Lua script returns them ([id, [field, value, ...]]) in XREAD's shape."""
    return [(entry[0], dict(zip(entry[1][::2], entry[1][1::2], strict=True))) for entry in raw]


class RedisBroker:
    """An `EventBroker` over one Redis database. Keys start with `prefix`."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "interop:",
        max_events: int = MAX_EVENTS,
        retention: float = RETENTION,
    ) -> None:
        self._client = client
        self._prefix = prefix
        self._max_events = max_events
        self._ttl_ms = max(1, int(retention * 1000))
        self._block = max(0.001, min(_MAX_BLOCK, retention / 3))
        self._publish = client.register_script(_PUBLISH)
        self._open = client.register_script(_OPEN)
        self._close = client.register_script(_CLOSE)
        self._read = client.register_script(_READ)
        self._pubsub = client.pubsub()
        self._signals = Fanout()
        self._confirmed: dict[str, asyncio.Event] = {}
        self._subscribe_lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None

    def _key(self, channel: str) -> str:
        return f"{self._prefix}ch:{channel}"

    # -- events -----------------------------------------------------------------------------

    async def open(self, channel: str) -> None:
        await self._open(keys=[self._key(channel)], args=[self._max_events, self._ttl_ms])

    async def publish(
        self, channel: str, event: str, data: bytes, *, mirror: str | None = None
    ) -> str:
        keys = [self._key(channel)] if mirror is None else [self._key(channel), self._key(mirror)]
        event_id = await self._publish(
            keys=keys, args=[self._max_events, self._ttl_ms, event, data]
        )
        return event_id.decode() if isinstance(event_id, bytes) else str(event_id)

    async def close(self, channel: str) -> None:
        await self._close(keys=[self._key(channel)], args=[self._max_events, self._ttl_ms])

    async def exists(self, channel: str) -> bool:
        return bool(await self._client.exists(self._key(channel)))

    async def subscribe(
        self, channel: str, start: str = FROM_START, *, idle_timeout: float | None = None
    ) -> AsyncIterator[StreamEvent]:
        key = self._key(channel)
        after = _start_id(start)
        loop = asyncio.get_running_loop()
        waiting_since: float | None = None
        check = True  # read with the script: refreshes the expiry, tells a close apart
        while True:
            entries: list[_Entry] = []
            if check:
                found, closed, raw = await self._read(
                    keys=[key], args=[after, _BATCH, self._ttl_ms]
                )
                honour_cancel()
                after = found.decode() if isinstance(found, bytes) else str(found)
                entries = _script_entries(raw)
                if not entries and closed:
                    return
            if not entries:
                current = loop.time()
                waiting_since = current if waiting_since is None else waiting_since
                left = None if idle_timeout is None else waiting_since + idle_timeout - current
                if left is not None and left <= 0:
                    raise TimeoutError
                block = self._block if left is None else min(self._block, left)
                reply: Any = await self._client.xread(
                    {key: after}, count=_BATCH, block=max(1, int(block * 1000))
                )
                honour_cancel()
                entries = reply[0][1] if reply else []
                if not entries:
                    check = True
                    continue
            waiting_since = None
            closing = False
            for entry_id, fields in entries:
                after = entry_id.decode()
                marker = fields.get(b"m")
                if marker is not None:
                    closing = marker == b"close"
                    continue
                closing = False
                yield StreamEvent(id=after, event=fields[b"e"].decode(), data=fields[b"d"])
            # A batch ending on a close marker may be the end; a full one may have more.
            check = closing or len(entries) >= _BATCH

    # -- signals ----------------------------------------------------------------------------

    def _topic(self, topic: str) -> str:
        return f"{self._prefix}sig:{topic}"

    async def signal(self, topic: str, payload: bytes = b"") -> None:
        await self._client.publish(self._topic(topic), payload)

    @contextlib.asynccontextmanager
    async def listen(self, topic: str) -> AsyncIterator[AsyncIterator[bytes]]:
        name = self._topic(topic)
        async with self._subscribe_lock:
            queue, first = self._signals.add(name)
            if first:
                self._confirmed[name] = asyncio.Event()
                await self._pubsub.subscribe(name)
                self._start_reader()
            confirmed = self._confirmed[name]
        try:
            async with asyncio.timeout(_SUBSCRIBE_TIMEOUT):
                await confirmed.wait()
            yield drain(queue)
        finally:
            async with self._subscribe_lock:
                if self._signals.remove(name, queue):
                    del self._confirmed[name]
                    with contextlib.suppress(RedisError):
                        await self._pubsub.unsubscribe(name)

    def _start_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.get_running_loop().create_task(
                self._read_signals(), name="interop-redis-signals"
            )

    async def _read_signals(self) -> None:
        """Hand each pub/sub message to the topic's listeners; mark subscriptions confirmed."""
        while True:
            try:
                message = await self._pubsub.get_message(timeout=_MAX_BLOCK)
            except (RedisError, OSError) as exc:
                # redis-py reconnects and subscribes again on the next read.
                log.warning("redis signal connection failed (%s); retrying", exc)
                await asyncio.sleep(1.0)
                continue
            if message is None:
                continue
            name = message["channel"]
            name = name.decode() if isinstance(name, bytes) else str(name)
            if message["type"] == "subscribe":
                confirmed = self._confirmed.get(name)
                if confirmed is not None:
                    confirmed.set()
            elif message["type"] == "message":
                self._signals.deliver(name, message["data"])

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._client.aclose()
