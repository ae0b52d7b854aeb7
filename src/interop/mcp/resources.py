"""Threads as MCP resources: each thread's current state at `interop://threads/{thread_id}/state`."""

from __future__ import annotations

import re
from typing import Any

THREAD_URI = "interop://threads/{thread_id}/state"
THREAD_TEMPLATE: dict[str, Any] = {
    "uriTemplate": THREAD_URI,
    "name": "thread-state",
    "title": "Thread state",
    "description": "The current state of a thread (values, next nodes, interrupts) as JSON.",
    "mimeType": "application/json",
}
_THREAD = re.compile(r"interop://threads/(?P<thread_id>[^/]+)/state")


def thread_uri(thread_id: str) -> str:
    return THREAD_URI.format(thread_id=thread_id)


def thread_id_of(uri: str) -> str | None:
    """The thread id of a thread state URI, or None for any other URI."""
    match = _THREAD.fullmatch(uri)
    return match["thread_id"] if match else None
