"""Workloads of the LangGraph Agent Server REST API on the `echo` example agent.

They only use the public REST surface, so they run against interop and the reference
server alike. Each `check_*` sends one request first, so that a misconfigured server fails
loudly instead of being measured answering errors quickly.
"""

from __future__ import annotations

import json
from typing import Any

from harness.http1 import Connection, Origin, Request, json_request
from harness.sse import SseEvent

ASSISTANT = "echo"
USER_TEXT = "hi"
RUN_INPUT: dict[str, Any] = {"messages": [{"role": "user", "content": USER_TEXT}]}


class WorkloadError(Exception):
    """The server under test does not behave as the workload needs."""


def _body(**extra: Any) -> bytes:
    return json.dumps({"assistant_id": ASSISTANT, "input": RUN_INPUT, **extra}).encode()


def stateless_wait() -> Request:
    """POST /runs/wait: a stateless run, answered with its final values."""
    return json_request("POST", "/runs/wait", _body())


def threaded_waits(thread_ids: list[str]) -> tuple[Request, ...]:
    """POST /threads/{id}/runs/wait, one request per thread, to be sent round-robin."""
    body = _body()
    return tuple(json_request("POST", f"/threads/{tid}/runs/wait", body) for tid in thread_ids)


def stateless_stream() -> Request:
    """POST /runs/stream with stream_mode ["values"]."""
    return json_request("POST", "/runs/stream", _body(stream_mode=["values"]))


def is_values_event(event: SseEvent) -> bool:
    return event.name == "values"


def create_threads(base_url: str, count: int, timeout: float = 10.0) -> list[str]:
    """Create `count` threads with POST /threads; WorkloadError on any failure."""
    ids: list[str] = []
    with Connection(Origin.parse(base_url), timeout) as conn:
        for _ in range(count):
            status, body = conn.fetch(json_request("POST", "/threads", b"{}"))
            if status != 200:
                raise WorkloadError(f"POST /threads answered {status}: {body[:200]!r}")
            ids.append(str(json.loads(body)["thread_id"]))
    return ids


def check_echo_reply(base_url: str, request: Request, timeout: float = 30.0) -> None:
    """Send `request` once; its final values must end with an AI message echoing the input."""
    with Connection(Origin.parse(base_url), timeout) as conn:
        status, body = conn.fetch(request)
    if status != 200:
        raise WorkloadError(f"{request.method} {request.path} answered {status}: {body[:300]!r}")
    messages = json.loads(body).get("messages") or []
    last = messages[-1] if messages else {}
    if last.get("type") != "ai" or last.get("content") != USER_TEXT:
        raise WorkloadError(f"{request.path}: unexpected final values {body[:300]!r}")
