"""The run queue shared by every server process on one database and broker.

Durable runs are not queued in memory: storage is the queue. A process claims runs
(`RunStore.claim`: one winner per run; a thread's runs one at a time in order; `after_seconds`
as a not-before time) under a lease it renews while the run executes. The claim's attempt is
the fencing token: the run's storage writes carry it, and once the lease is lost (expired and
claimed by another process) they are refused and the run is stopped here without writing.

Wake-ups: a new run, or an ended one (its thread may hold the next), sends the RUNS_WAKE
signal, so idle processes claim at once; a slow poll is the safety net (and takes over the
runs of a killed process once their lease expires). A cancel for a run executing elsewhere
is the RUN_CANCEL signal, acted on by the process holding the run; a pending run is ended in
storage directly, under the fence ("pending", attempt) so that a claim racing it wins or loses
whole. Temporary (stateless) runs live in memory only and stay on the local queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from interop.core import serde
from interop.core.executor import execute
from interop.core.ids import now
from interop.core.models import CancelAction, Run, RunOutcome
from interop.core.outcomes import finish_run
from interop.core.ports import RunPorts
from interop.core.scheduler import Scheduler
from interop.core.storage import RunFence

log = logging.getLogger("interop.runs")

# Signal topics: a run may be claimable (payload unused); cancel a run (payload: JSON
# {"run_id", "action"}).
RUNS_WAKE = "runs-wake"
RUN_CANCEL = "run-cancel"
# How long a cancel signal for a run this process has not (yet) claimed is remembered: it may
# arrive while the claim that gives the run to this process is still on its way.
_EARLY_CANCEL_SECONDS = 30.0


class SharedScheduler(Scheduler):
    """A Scheduler whose durable runs are claimed from storage, under leases."""

    def __init__(
        self,
        ports: RunPorts,
        *,
        workers: int = 100,
        max_waiting: int | None = None,
        lease: float = 20.0,
        poll: float = 5.0,
    ) -> None:
        super().__init__(ports, workers=workers, max_waiting=max_waiting)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = lease
        self.poll = poll
        self._wake = asyncio.Event()
        self._held: dict[str, Run] = {}  # claimed durable runs, until their end
        self._early_cancels: dict[str, tuple[CancelAction, float]] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._run_tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        await super().start()
        ready = [asyncio.Event(), asyncio.Event()]
        self._loops = [
            asyncio.create_task(self._listen(RUNS_WAKE, self._on_wake, ready[0])),
            asyncio.create_task(self._listen(RUN_CANCEL, self._on_cancel, ready[1])),
        ]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.gather(*(event.wait() for event in ready))
        self._loops.append(asyncio.create_task(self._claim_loop(), name="interop-claims"))
        log.info("shared run queue: owner %s, lease %.1f s", self.owner, self.lease)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming; stop the runs held here and expire their leases at once, so that
        another process takes them over now (re-run or marked `error`, as after a crash)."""
        self.stopping = True
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        held = list(self._held.values())
        await super().stop(grace)
        if self._run_tasks:
            await asyncio.wait(list(self._run_tasks), timeout=grace)
        for run in held:
            with contextlib.suppress(Exception):
                await self.ports.storage.runs.renew(run.run_id, run.attempt, until=now())
        if held:
            await self._signal(RUNS_WAKE, b"")

    async def _recover(self) -> None:
        """Nothing to do at start: a dead process's runs are claimed when their lease expires."""

    # -- queueing -----------------------------------------------------------------------------

    def submit(self, run: Run) -> None:
        if run.temporary:
            super().submit(run)
            return
        self._wake.set()
        self._spawn(self._signal(RUNS_WAKE, b""))
        delay = float(run.kwargs.get("after_seconds") or 0)
        delay -= (now() - run.created_at).total_seconds()
        if delay > 0:
            timer = asyncio.get_running_loop().call_later(delay, self._wake.set)
            self._timers.add(timer)

    def _advance(self, run: Run) -> None:
        super()._advance(run)
        self._wake.set()  # a local run ended: its slot may take a claim

    def tracked(self, run_id: str) -> Run | None:
        return self._held.get(run_id) or super().tracked(run_id)

    def fence(self, run: Run) -> RunFence | None:
        held = self._held.get(run.run_id)
        return ("running", held.attempt) if held is not None else None

    async def thread_has_queued_after(self, run: Run) -> bool:
        if run.temporary:
            return await super().thread_has_queued_after(run)
        return any(
            other.run_id != run.run_id and other.run_id not in self._cancel_reasons
            for other in await self.ports.storage.runs.inflight(run.thread_id)
        )

    def load(self) -> tuple[int, int]:
        """(waiting, running) of this process: its local (temporary) runs waiting, and every
        run it executes (claimed runs count from their claim)."""
        local = self._local_running()
        return len(self._inflight) - local, local + len(self._held)

    def _local_running(self) -> int:
        return sum(1 for run_id in self._tasks if run_id not in self._held)

    # -- claims -------------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        storage = self.ports.storage
        while not self.stopping:
            self._wake.clear()
            # `--workers-per-process` bounds the runs executed here, stateless ones included.
            free = self.workers - len(self._held) - self._local_running()
            claimed: list[Run] = []
            if free > 0:
                at = now()
                try:
                    claimed = await storage.runs.claim(
                        self.owner, at=at, until=at + timedelta(seconds=self.lease), limit=free
                    )
                except Exception:  # storage unreachable for a moment: the poll retries
                    log.exception("claiming runs failed")
            for run in claimed:
                self._held[run.run_id] = run
                self._spawn(self._hold(run))
            if claimed:
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll):
                    await self._wake.wait()

    async def _hold(self, run: Run) -> None:
        """Execute a claimed run under its lease, then free its slot and wake the claimers."""
        heartbeat = asyncio.create_task(self._heartbeat(run))
        try:
            await self._execute_claimed(run)
        finally:
            heartbeat.cancel()
            self._held.pop(run.run_id, None)
            self._cancel_reasons.pop(run.run_id, None)
            self._wake.set()
            if not self.stopping:
                await self._signal(RUNS_WAKE, b"")

    async def _execute_claimed(self, run: Run) -> None:
        storage = self.ports.storage
        # A run's first execution is attempt 1; a later attempt takes over a run whose process
        # stopped or died while it ran (or a run recovered by a restart).
        if run.attempt > 1:
            if await storage.checkpoints.run_has_progress(run.thread_id, run.run_id):
                log.warning("run %s: its process stopped after it made progress", run.run_id)
                error = {
                    "error": "ServerStopped",
                    "message": "The server stopped while the run was running.",
                }
                outcome = RunOutcome(status="error", error=error)
                await finish_run(self.ports, self, run, outcome, graph=None, config=None)
                return
            log.info("run %s: taken over (attempt %d)", run.run_id, run.attempt)
            await storage.checkpoints.delete_for_runs(run.thread_id, [run.run_id])
            await self.announce(run)
        early = self._early_cancels.pop(run.run_id, None)
        if early is not None:
            self._cancel_reasons[run.run_id] = early[0]
        action = self._cancel_reasons.get(run.run_id)
        if action is not None and action not in ("shutdown", "lost"):
            await self.end_cancelled(run, action)
            return
        if self.stopping:
            return
        task = asyncio.create_task(execute(self.ports, self, run), name=f"interop-run-{run.run_id}")
        self._tasks[run.run_id] = task
        try:
            await asyncio.wait({task})
            await self.end_unstarted(run, task)
        finally:
            self._tasks.pop(run.run_id, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("run %s: executor failed", run.run_id, exc_info=task.exception())

    async def _heartbeat(self, run: Run) -> None:
        """Renew the lease every third of it; when it is lost, stop the run (writing nothing)."""
        storage = self.ports.storage
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                if await storage.runs.renew(
                    run.run_id, run.attempt, until=now() + timedelta(seconds=self.lease)
                ):
                    continue
                stored = await storage.runs.get(run.run_id)
            except Exception:  # a failed renewal is retried; the lease has slack for two
                log.exception("run %s: renewing its lease failed", run.run_id)
                continue
            if stored is not None and stored.attempt != run.attempt:
                log.warning("run %s: lease lost to attempt %d", run.run_id, stored.attempt)
                self._cancel_reasons[run.run_id] = "lost"
                task = self._tasks.get(run.run_id)
                if task is not None:
                    task.cancel()
            return  # lost, or ended (by this process: nothing to renew)

    # -- cancel -------------------------------------------------------------------------------

    async def cancel(self, run: Run, action: CancelAction) -> None:
        if run.temporary or run.run_id in self._tasks or super().tracked(run.run_id):
            await super().cancel(run, action)
            return
        if run.run_id in self._held:  # claimed here, not started yet: `_hold` ends it
            self._cancel_reasons[run.run_id] = action
            return
        stored = await self.ports.storage.runs.get(run.run_id)
        if stored is None or stored.done:
            return
        if stored.status == "pending":
            ended = await finish_run(
                self.ports,
                self,
                stored,
                RunOutcome(status="interrupted"),
                graph=None,
                config=None,
                rollback=action == "rollback",
                expect=("pending", stored.attempt),
            )
            if ended:
                run.status = stored.status
                return
        # Running in another process (or claimed since it was read): its holder cancels it.
        await self._signal(RUN_CANCEL, serde.dumps({"run_id": run.run_id, "action": action}))

    def _on_cancel(self, payload: bytes) -> None:
        data = serde.loads(payload)
        run_id, action = data["run_id"], data["action"]
        if self._cancel_task(run_id, action):
            return
        if run_id in self._held:
            self._cancel_reasons[run_id] = action
        else:
            clock = time.monotonic()
            self._early_cancels = {
                k: v for k, v in self._early_cancels.items() if clock - v[1] < _EARLY_CANCEL_SECONDS
            }
            self._early_cancels[run_id] = (action, clock)

    def _on_wake(self, payload: bytes) -> None:
        self._wake.set()

    # -- signals ------------------------------------------------------------------------------

    async def _listen(
        self, topic: str, handle: Callable[[bytes], None], ready: asyncio.Event
    ) -> None:
        while not self.stopping:
            try:
                async with self.ports.broker.listen(topic) as signals:
                    ready.set()
                    async for payload in signals:
                        try:
                            handle(payload)
                        except Exception:  # a malformed signal is dropped (logged)
                            log.exception("signal %s: bad payload", topic)
            except Exception:  # broker gone for a moment: listen again
                log.exception("listening to %s failed", topic)
                await asyncio.sleep(1.0)

    async def _signal(self, topic: str, payload: bytes) -> None:
        try:
            await self.ports.broker.signal(topic, payload)
        except Exception:  # a lost wake-up is covered by the poll
            log.exception("sending signal %s failed", topic)

    def _spawn(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            await work

        task = asyncio.get_running_loop().create_task(run())
        self._run_tasks.add(task)
        task.add_done_callback(self._run_tasks.discard)
