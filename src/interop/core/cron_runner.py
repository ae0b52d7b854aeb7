"""The loop that fires due crons, in every server process.

Each tick reads the crons due now and claims each one's slot (CronService.claim: a
compare-and-set on `next_run_date` in the database), then creates the run of every slot it
won. Processes sharing a database race for the same slots; each slot has one winner.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime

from interop.core.crons import CronService
from interop.core.errors import InteropError
from interop.core.ids import now

log = logging.getLogger("interop.crons")

BATCH = 100  # crons read per query; a tick reads again while it gets full batches


class CronRunner:
    def __init__(
        self,
        crons: CronService,
        *,
        interval: float = 1.0,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.crons = crons
        self.interval = interval
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    async def tick(self) -> int:
        """Fire every slot due at the clock's time that this runner wins; how many it fired."""
        at = self.clock()
        fired = 0
        while True:
            due = await self.crons.storage.crons.due(at, limit=BATCH)
            for cron in due:
                if await self.crons.claim(cron, at) != "fire":
                    continue
                fired += 1
                try:
                    await self.crons.fire(cron)
                except InteropError as exc:
                    # Its thread or assistant is gone, or the thread rejects the run: this slot
                    # is skipped, the next one tries again.
                    log.warning("cron %s: cannot create its run: %s", cron.cron_id, exc.message)
            if len(due) < BATCH:
                return fired

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="interop-crons")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self.tick()
            except Exception:
                log.exception("cron tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
