"""Keeping the objects a server holds for its whole life out of the garbage collector's scans.

Python's cyclic collector walks every tracked object on each full collection. Once interop has
imported LangChain, LangGraph, pydantic and the protocol SDKs and built its graphs, several
hundred thousand such objects live until the process ends, and under load a full collection ran
every few hundred requests and walked them all: measured, a quarter to a third of an MCP
`tools/list` or `tools/call` (a loaded echo call: 290 -> 375 req/s with the collector kept off
them). `settle()` collects once and then freezes what is left (`gc.freeze`): those objects move to
a permanent generation that later collections skip. Objects created afterwards are collected as
usual, but less often: a young-generation collection every 10,000 net allocations instead of 700
(the default suits short scripts; a server allocates thousands of short-lived objects per request,
and each young collection that promotes survivors brings the next full one closer).
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import os
import sys
from collections.abc import Callable

log = logging.getLogger("interop")

_YOUNG_THRESHOLD = 10_000
TRIM_EVERY = 30.0
_TRIM_AFTER = 150.0  # the broker's retention (120 s) and its sweep


def settle(what: str) -> None:
    """Collect, then freeze everything alive now; `what` names the moment, for the log."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    log.debug("heap settled after %s: %d objects frozen", what, gc.get_freeze_count())


# glibc's malloc keeps freed memory in per-thread arenas (up to 8 per core) and rarely returns it
# to the system: after a burst of load the resident set stayed at its peak although the objects
# were gone. Two arenas serve an asyncio server (one loop thread plus a few storage threads)
# with less fragmentation, and `malloc_trim` hands the free pages back once a burst is over.
# ctypes is the only way to reach these two glibc calls; elsewhere they are skipped.
_M_ARENA_MAX = -8
_ARENAS = 2


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim, libc.mallopt  # noqa: B018 - glibc only
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _libc() if sys.platform.startswith("linux") else None


def limit_arenas() -> None:
    """At most `_ARENAS` malloc arenas (unless MALLOC_ARENA_MAX says otherwise); call early."""
    if _LIBC is not None and "MALLOC_ARENA_MAX" not in os.environ:
        _LIBC.mallopt(_M_ARENA_MAX, _ARENAS)


def trim(before: Callable[[], None] = lambda: None) -> None:
    """`before()` (dropping caches), collect garbage, then give free heap pages back."""
    before()
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


async def trim_when_idle(
    activity: Callable[[], int], before: Callable[[], None], every: float = TRIM_EVERY
) -> None:
    """Every `every` seconds with no new `activity` (a count that grows with each request),
    trim; for `_TRIM_AFTER` seconds after the last activity only, since the event broker frees
    finished runs' events that long after they end (core/events.py RETENTION). `before` runs
    first (the in-process broker's sweep)."""
    loop = asyncio.get_running_loop()
    seen, last_active = activity(), loop.time()
    while True:
        await asyncio.sleep(every)
        now, count = loop.time(), activity()
        if count != seen:
            seen, last_active = count, now
        elif now - last_active <= _TRIM_AFTER + every:
            trim(before)
