"""The run queue of this process: per-thread order, the worker pool, crash recovery.

Runs of one thread execute one at a time in creation order (a per-thread FIFO); runs of
different threads execute concurrently on N workers. `after_seconds` delays a run's turn. The
executor (`interop.core.executor`) runs the graph; `interop.core.outcomes` records its end.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from interop.core import serde
from interop.core.executor import execute
from interop.core.ids import now
from interop.core.models import CancelAction, Run, RunOutcome
from interop.core.outcomes import finish_run, wait_outcome
from interop.core.ports import RunPorts
from interop.core.storage import RunFence

log = logging.getLogger("interop.runs")


class Scheduler:
    """Queues, starts and cancels this process's runs (a RunQueue and ThreadRunCanceller)."""

    def __init__(self, ports: RunPorts, *, workers: int = 10) -> None:
        self.ports = ports
        self.workers = max(1, workers)
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._queues: dict[str, deque[str]] = {}
        self._inflight: dict[str, Run] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._cancel_reasons: dict[str, str] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self.stopping = False

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Recover runs a previous process left behind, then start the workers."""
        await self._recover()
        self._workers = [
            asyncio.create_task(self._worker(i), name=f"interop-worker-{i}")
            for i in range(self.workers)
        ]
        log.info("run queue started with %d workers", self.workers)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking runs; cancel running ones (they are recovered on the next start)."""
        self.stopping = True
        for timer in self._timers:
            timer.cancel()
        for run_id, task in list(self._tasks.items()):
            self._cancel_reasons[run_id] = "shutdown"
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks.values()), timeout=grace)
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self._workers = []

    async def _recover(self) -> None:
        """Runs left `running` by a dead process (unleased, or leased and expired): re-queue when no task had finished (nothing
        outside the graph can have happened twice), else mark `error`. Pending runs are queued."""
        storage = self.ports.storage
        # Not a run another process holds under a live lease (several processes may serve).
        for run in await storage.runs.orphans(now()):
            if await storage.checkpoints.run_has_progress(run.thread_id, run.run_id):
                log.warning(
                    "run %s was interrupted by a server stop after making progress; "
                    "marking it error",
                    run.run_id,
                )
                await self._finish_orphan(run)
                continue
            log.info(
                "re-queueing run %s (attempt %d) left running by a server stop",
                run.run_id,
                run.attempt + 1,
            )
            await storage.checkpoints.delete_for_runs(run.thread_id, [run.run_id])
            run.attempt += 1
            run.status = "pending"
            await storage.runs.set_status(run.run_id, "pending", at=now(), attempt=run.attempt)
        for run in await storage.runs.with_status("pending"):
            await self.announce(run)
            self.submit(run)

    async def _finish_orphan(self, run: Run) -> None:
        error = {
            "error": "ServerStopped",
            "message": "The server stopped while the run was running.",
        }
        await finish_run(
            self.ports, self, run, RunOutcome(status="error", error=error), graph=None, config=None
        )

    # -- queueing -----------------------------------------------------------------------------

    async def announce(self, run: Run) -> None:
        """Open the run's event channel and publish its `metadata` event (to the run's and,
        when someone follows it, the thread's channel)."""
        broker = self.ports.broker
        await broker.open(run.run_id)
        data = serde.dumps({"run_id": run.run_id, "attempt": run.attempt})
        await broker.publish(run.run_id, "metadata", data, mirror=run.thread_id)

    def submit(self, run: Run) -> None:
        """Queue `run` behind its thread's earlier runs."""
        self._inflight[run.run_id] = run
        queue = self._queues.setdefault(run.thread_id, deque())
        queue.append(run.run_id)
        if len(queue) == 1:
            self._dispatch(run)

    def tracked(self, run_id: str) -> Run | None:
        """The live record of a run queued or running in this process."""
        return self._inflight.get(run_id)

    def _dispatch(self, run: Run) -> None:
        delay = 0.0
        if run.kwargs.get("after_seconds"):
            elapsed = (now() - run.created_at).total_seconds()
            delay = float(run.kwargs["after_seconds"]) - elapsed
        if delay > 0:
            loop = asyncio.get_running_loop()
            timer: asyncio.TimerHandle | None = None

            def fire() -> None:
                if timer is not None:
                    self._timers.discard(timer)
                self._ready.put_nowait(run.run_id)

            timer = loop.call_later(delay, fire)
            self._timers.add(timer)
        else:
            self._ready.put_nowait(run.run_id)

    def _advance(self, run: Run) -> None:
        """Take `run` off its thread's queue; dispatch the next one when `run` was the head."""
        queue = self._queues.get(run.thread_id)
        if not queue:
            return
        was_head = queue[0] == run.run_id
        try:
            queue.remove(run.run_id)
        except ValueError:
            return
        if not queue:
            del self._queues[run.thread_id]
        elif was_head:
            self._dispatch(self._inflight[queue[0]])

    def fence(self, run: Run) -> RunFence | None:
        return None

    async def thread_has_queued_after(self, run: Run) -> bool:
        """Another run of the thread will still start or go on: one queued here that is
        neither ending (a pending run cancelled leaves `_inflight` first) nor being cancelled.
        Those count for nothing: when two runs of a thread are cancelled together, each one's
        end must not leave the thread `busy` on account of the other."""
        return any(
            rid != run.run_id and rid in self._inflight and rid not in self._cancel_reasons
            for rid in self._queues.get(run.thread_id, ())
        )

    async def _worker(self, index: int) -> None:
        while True:
            run_id = await self._ready.get()
            run = self._inflight.get(run_id)
            if run is None or run.status != "pending":
                continue  # cancelled while it waited
            task = asyncio.create_task(execute(self.ports, self, run), name=f"interop-run-{run_id}")
            self._tasks[run_id] = task
            try:
                await asyncio.wait({task})
                await self.end_unstarted(run, task)
            finally:
                self._tasks.pop(run_id, None)
                self._cancel_reasons.pop(run_id, None)
                self._inflight.pop(run_id, None)
                self._advance(run)
            if not task.cancelled() and task.exception() is not None:
                log.error("run %s: executor failed", run_id, exc_info=task.exception())

    async def end_unstarted(self, run: Run, task: asyncio.Task[None]) -> None:
        """Record the end of a run whose task was cancelled (interrupt or rollback) before its
        first step: its coroutine never ran, so nothing else records it."""
        action = self._cancel_reasons.get(run.run_id)
        if not task.cancelled() or action not in ("interrupt", "rollback"):
            return  # the executor records every other end (or leaves it to recovery)
        log.info("run %s: cancelled before it started", run.run_id)
        await self.end_cancelled(run, action)

    async def end_cancelled(self, run: Run, action: str) -> None:
        """Record `run`'s end as cancelled by `action` (`rollback` deletes it), for a run that
        executed nothing."""
        await finish_run(
            self.ports,
            self,
            run,
            RunOutcome(status="interrupted"),
            graph=None,
            config=None,
            rollback=action == "rollback",
        )

    def load(self) -> tuple[int, int]:
        """(waiting, running): the runs of this process's queue (for metrics)."""
        return len(self._inflight) - len(self._tasks), len(self._tasks)

    def cancel_reason(self, run_id: str) -> str | None:
        return self._cancel_reasons.get(run_id)

    # -- cancel -------------------------------------------------------------------------------

    async def cancel(self, run: Run, action: CancelAction) -> None:
        """Cancel a run: a running one through its task (it records its own end), a pending
        one here, without running anything."""
        task = self._tasks.get(run.run_id)
        if task is not None:
            if run.run_id not in self._cancel_reasons:  # a second cancel would cut the first's
                self._cancel_reasons[run.run_id] = action  # recording of the run's end short
                task.cancel()
            return
        if run.status == "pending":
            tracked = self._inflight.pop(run.run_id, None)
            run.status = "interrupted"
            outcome = RunOutcome(status="interrupted")
            await finish_run(
                self.ports,
                self,
                run,
                outcome,
                graph=None,
                config=None,
                rollback=action == "rollback",
            )
            if tracked is not None:
                self._advance(run)

    async def cancel_thread_runs(self, thread_id: str) -> None:
        for run in await self.ports.storage.runs.inflight(thread_id):
            run = self._inflight.get(run.run_id, run)
            await self.cancel(run, "interrupt")
            await wait_outcome(self.ports, run)
