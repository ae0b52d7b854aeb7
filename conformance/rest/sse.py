"""A small, strict Server-Sent Events reader that keeps the raw bytes for framing checks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Record:
    """One SSE record (the lines up to a blank line)."""

    event: str | None = None
    data: Any = None
    data_text: str | None = None
    id: str | None = None
    comments: list[str] = field(default_factory=list)
    field_order: list[str] = field(default_factory=list)

    @property
    def is_comment_only(self) -> bool:
        return self.event is None and self.data_text is None and bool(self.comments)


def parse_record(block: str) -> Record:
    record = Record()
    data_lines: list[str] = []
    for line in block.split("\n"):
        if line.startswith(":"):
            record.comments.append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        record.field_order.append(name)
        if name == "event":
            record.event = value
        elif name == "data":
            data_lines.append(value)
        elif name == "id":
            record.id = value
    if data_lines:
        record.data_text = "\n".join(data_lines)
        try:
            record.data = json.loads(record.data_text)
        except ValueError:
            record.data = record.data_text
    return record


class Reader:
    """Accumulates chunks; `feed` returns the records completed by each chunk."""

    def __init__(self) -> None:
        self.raw = ""
        self._pending = ""

    def feed(self, chunk: str) -> list[Record]:
        self.raw += chunk
        self._pending += chunk
        if self._pending.endswith("\r"):
            return []  # the matching "\n" may be in the next chunk
        text = self._pending.replace("\r\n", "\n")
        *blocks, rest = text.split("\n\n")
        self._pending = rest
        return [parse_record(block) for block in blocks if block]


@dataclass
class Stream:
    raw: str
    records: list[Record]
    closed: bool  # True when the server ended the body; False when we stopped reading

    @property
    def events(self) -> list[Record]:
        """Records that carry an event (comments and heartbeats left out)."""
        return [r for r in self.records if not r.is_comment_only]

    def named(self, name: str) -> list[Record]:
        return [r for r in self.records if r.event == name]

    @property
    def names(self) -> list[str | None]:
        return [r.event for r in self.events]


async def read(
    response: httpx.Response,
    *,
    within: float = 30.0,
    stop: Callable[[Record], bool] | None = None,
) -> Stream:
    """Read an SSE response until the server closes it, `stop(record)` is true, or `within` seconds pass.

    Running out of time without `stop` is a failure: a run stream must end on its own.
    """
    reader = Reader()
    records: list[Record] = []
    closed = False

    async def consume() -> None:
        nonlocal closed
        async for chunk in response.aiter_text():
            for record in reader.feed(chunk):
                records.append(record)
                if stop is not None and stop(record):
                    return
        closed = True

    try:
        await asyncio.wait_for(consume(), within)
    except TimeoutError:
        if stop is None:
            raise AssertionError(
                f"SSE stream did not end within {within}s; got {len(records)} records"
            ) from None
    return Stream(raw=reader.raw, records=records, closed=closed)


async def stream_request(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    json_body: Any = None,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    within: float = 30.0,
    stop: Callable[[Record], bool] | None = None,
) -> tuple[httpx.Response, Stream]:
    """Send a request and read its SSE body; the response is returned closed."""
    request = http.build_request(method, url, json=json_body, headers=headers, params=params)
    response = await http.send(request, stream=True)
    try:
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith(
            "text/event-stream"
        ):
            await response.aread()
            return response, Stream(raw=response.text, records=[], closed=True)
        stream = await read(response, within=within, stop=stop)
    finally:
        await response.aclose()
    return response, stream
