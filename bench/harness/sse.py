"""One sequential client: time to first Server-Sent Event, and plain request round trips.

Timing starts just before the request is written and stops when the first *complete* SSE
event (terminated by a blank line) has been read, and again when the first event that
satisfies a predicate has; comment-only blocks (heartbeats) are not events. The client is a
raw keep-alive socket (`http1.Connection`), so its own overhead is a few tens of microseconds.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .http1 import Connection, Origin, ProtocolError, Request
from .stats import Summary, summarize

_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")
_LINE = re.compile(r"\r\n|\n|\r")


@dataclass(frozen=True)
class SseEvent:
    """A dispatched event: its `event:` name ("message" when absent) and joined `data:` lines."""

    name: str
    data: str


def parse_event(block: bytes) -> SseEvent | None:
    """Parse one event block (without its terminating blank line); None if it has no data."""
    name = "message"
    data: list[str] = []
    for line in _LINE.split(block.decode("utf-8", errors="replace")):
        if not line or line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if key == "event":
            name = value
        elif key == "data":
            data.append(value)
    return SseEvent(name, "\n".join(data)) if data else None


class EventSplitter:
    """Feed body bytes, get back the events they complete."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[SseEvent]:
        self._buf += data
        events: list[SseEvent] = []
        while match := _EVENT_END.search(self._buf):
            block, self._buf = self._buf[: match.start()], self._buf[match.end() :]
            event = parse_event(block)
            if event is not None:
                events.append(event)
        return events


@dataclass
class StreamTimings:
    """Per-request milliseconds: first event, first matching event, whole response."""

    first_event_ms: list[float] = field(default_factory=list)
    first_match_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    first_event_names: set[str] = field(default_factory=set)

    def summary(self) -> dict[str, Summary | None]:
        return {
            "first_event": summarize(self.first_event_ms),
            "first_match": summarize(self.first_match_ms),
            "total": summarize(self.total_ms),
        }


def measure_stream(
    base_url: str,
    request: Request,
    *,
    count: int,
    max_seconds: float,
    match: Callable[[SseEvent], bool],
    timeout: float = 30.0,
) -> StreamTimings:
    """Send `request` up to `count` times in sequence (stopping after `max_seconds`).

    Each response is read to its end before the next request. A failed request (status
    >= 400, a broken or stalled stream, no matching event) is recorded in `errors`.
    """
    timings = StreamTimings()
    deadline = time.monotonic() + max_seconds
    with Connection(Origin.parse(base_url), timeout) as conn:
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            _one_stream(conn, request, match, timings)
    return timings


def _one_stream(
    conn: Connection, request: Request, match: Callable[[SseEvent], bool], into: StreamTimings
) -> None:
    splitter = EventSplitter()
    marks: dict[str, float] = {}

    def on_body(piece: bytes) -> None:
        arrived = time.perf_counter()
        for event in splitter.feed(piece):
            if "first" not in marks:
                marks["first"] = arrived
                into.first_event_names.add(event.name)
            if "match" not in marks and match(event):
                marks["match"] = arrived

    started = time.perf_counter()
    try:
        parser = conn.exchange(request, on_body)
    except (OSError, ProtocolError) as exc:
        into.errors.append(repr(exc))
        return
    ended = time.perf_counter()
    if parser.status >= 400 or "match" not in marks:
        into.errors.append(f"HTTP {parser.status}, events seen: {sorted(marks)}")
        return
    into.first_event_ms.append((marks["first"] - started) * 1000)
    into.first_match_ms.append((marks["match"] - started) * 1000)
    into.total_ms.append((ended - started) * 1000)


def measure_round_trips(
    base_url: str, request: Request, *, count: int, max_seconds: float, timeout: float = 10.0
) -> tuple[Summary | None, int]:
    """Sequential complete request/response times in ms, and how many failed."""
    samples: list[float] = []
    failures = 0
    deadline = time.monotonic() + max_seconds
    with Connection(Origin.parse(base_url), timeout) as conn:
        for _ in range(count):
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                status, _ = conn.fetch(request)
            except (OSError, ProtocolError):
                failures += 1
                continue
            if status >= 400:
                failures += 1
                continue
            samples.append((time.perf_counter() - started) * 1000)
    return summarize(samples), failures
