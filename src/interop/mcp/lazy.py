"""The MCP door, started on the first /mcp request.

The `mcp` SDK is about 19 MB of modules once imported (its package also loads its client); a
server whose clients never speak MCP should not carry it. This holder is what `app.state.mcp`
starts as: the first request imports the door, runs the SDK session manager in a task of its
own for the rest of the app's life, and from then on `app.state.mcp` is the door itself.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.types import Receive, Scope, Send

from interop import heap
from interop.core.assistants import AssistantService
from interop.core.records import RecordService
from interop.core.runs import RunService
from interop.core.threads import ThreadService
from interop.settings import Settings

log = logging.getLogger("interop.mcp")

_STOP_TIMEOUT = 10.0  # seconds the SDK session manager gets to wind down


class LazyMcpDoor:
    """Starts the MCP door once, on demand; `close` stops it (a no-op if it never started)."""

    def __init__(
        self,
        app: Any,
        settings: Settings,
        assistants: AssistantService,
        threads: ThreadService,
        runs: RunService,
        records: RecordService,
    ) -> None:
        self._app = app
        self._args = (settings, assistants, threads, runs, records)
        self._door: Any = None
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        door = self._door if self._door is not None else await self._start()
        await door.handle(scope, receive, send)

    async def _start(self) -> Any:
        async with self._lock:
            if self._door is not None:
                return self._door
            from interop.mcp.app import open_mcp

            ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

            async def serve() -> None:
                try:
                    async with open_mcp(self._app, *self._args) as door:
                        ready.set_result(door)
                        await self._stop.wait()
                except BaseException as exc:
                    if not ready.done():
                        ready.set_exception(exc)
                    raise

            self._task = asyncio.create_task(serve(), name="interop-mcp")
            self._door = await ready
            heap.settle("the MCP door started")
            log.info("MCP door started")
            return self._door

    async def close(self) -> None:
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, _STOP_TIMEOUT)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("MCP door did not stop within %.0f s", _STOP_TIMEOUT)
