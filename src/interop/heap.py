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

import gc
import logging

log = logging.getLogger("interop")

_YOUNG_THRESHOLD = 10_000


def settle(what: str) -> None:
    """Collect, then freeze everything alive now; `what` names the moment, for the log."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    log.debug("heap settled after %s: %d objects frozen", what, gc.get_freeze_count())
