"""Asyncio helpers the core and the backends share."""

from __future__ import annotations

import asyncio


def honour_cancel() -> None:
    """Raise CancelledError when the current task was asked to stop but the request was lost.

    Python 3.11's `asyncio.wait_for` (which redis-py uses on every command) drops a cancel that
    lands as its inner await completes: the task's `cancelling()` count says it was asked, but no
    CancelledError ever comes, and the task would go on (a run to its end, a stream reader
    blocking on its next read). Checked after such awaits, so a cancel always takes effect."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
