"""The run queue of this process: per-thread order, fair dispatch, a bound, crash recovery.

Runs of one thread execute one at a time in creation order (a per-thread FIFO); runs of
different threads execute concurrently, at most `workers` at a time. `after_seconds` delays a
run's turn. A run whose turn has come waits in its assistant's ready queue; the ready queues
are served round-robin, and no assistant holds more than its share of the workers (all but
`RESERVE` of them), so that short runs of one agent never wait behind a crowd of long runs of
another. Past `max_waiting` runs waiting, new runs are refused (`admit`: Unavailable, which
each door answers as its 503 with Retry-After).
The executor (`interop.core.executor`) runs the graph; `interop.core.outcomes` records its end.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from interop.core import serde
from interop.core.errors import Unavailable
from interop.core.executor import execute
from interop.core.ids import now
from interop.core.models import CancelAction, Run, RunOutcome
from interop.core.outcomes import finish_run, wait_outcome
from interop.core.ports import RunPorts
from interop.core.storage import RunFence

log = logging.getLogger("interop.runs")

# The part of the workers kept from any one assistant (rounded down: a process of 1 to 3
# workers keeps none). Runs are not preempted: were one agent's long runs to take every worker,
# any other agent's run would wait for one of them to end, however short it is.
RESERVE = 0.25
# Waiting runs a process keeps per worker before it refuses new ones (`max_waiting` default).
WAITING_PER_WORKER = 10


class Scheduler:
    """Queues, starts and cancels this process's runs (a RunQueue and ThreadRunCanceller)."""

    def __init__(
        self, ports: RunPorts, *, workers: int = 100, max_waiting: int | None = None
    ) -> None:
        self.ports = ports
        self.workers = max(1, workers)
        self.share = self.workers - int(self.workers * RESERVE)
        # Runs queued here (their turn not come, or waiting for a worker) past which `admit`
        # refuses new ones.
        self.max_waiting = (
            max(1, max_waiting) if max_waiting is not None else WAITING_PER_WORKER * self.workers
        )
        # Runs whose turn has come, by assistant; the first key is served next (round-robin).
        self._ready: dict[str, deque[str]] = {}
        self._active: dict[str, int] = {}  # runs this queue started and executes, by assistant
        self._running = 0  # their sum
        self._drivers: set[asyncio.Task[None]] = set()
        self._queues: dict[str, deque[str]] = {}
        self._inflight: dict[str, Run] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._cancel_reasons: dict[str, str] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._started = False
        self.stopping = False

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Recover runs a previous process left behind, then start the workers."""
        await self._recover()
        self._started = True
        self._pump()
        log.info(
            "run queue started: %d workers, %d per assistant, %d waiting runs at most",
            self.workers,
            self.share,
            self.max_waiting,
        )

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
        drivers = list(self._drivers)
        for driver in drivers:
            driver.cancel()
        await asyncio.gather(*drivers, return_exceptions=True)

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
        broker = self.ports.events(run)
        await broker.open(run.run_id)
        data = serde.dumps({"run_id": run.run_id, "attempt": run.attempt})
        await broker.publish(run.run_id, "metadata", data, mirror=run.thread_id)

    def admit(self) -> None:
        """Raise Unavailable when this process's queue is full (`max_waiting` runs waiting):
        asked before a run is created, so that a caller is told to come back later rather
        than queued without bound."""
        if self.waiting() >= self.max_waiting:
            raise Unavailable("The server's run queue is full; try again shortly.")

    def waiting(self) -> int:
        """Runs queued here that do not execute yet."""
        return len(self._inflight) - self._running

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
                self._make_ready(run)

            timer = loop.call_later(delay, fire)
            self._timers.add(timer)
        else:
            self._make_ready(run)

    def _make_ready(self, run: Run) -> None:
        self._ready.setdefault(run.assistant_id, deque()).append(run.run_id)
        self._pump()

    def _pump(self) -> None:
        """Start ready runs while workers are free: the first assistant (in round-robin order)
        below its share gives its oldest ready run, and goes to the back of the round."""
        while self._started and not self.stopping and self._running < self.workers:
            key = next((k for k in self._ready if self._active.get(k, 0) < self.share), None)
            if key is None:
                return  # nothing ready, or every ready assistant holds its share
            ready = self._ready.pop(key)
            run_id = ready.popleft()
            if ready:
                self._ready[key] = ready  # to the back of the round
            run = self._inflight.get(run_id)
            if run is None or run.status != "pending":
                continue  # cancelled while it waited
            self._start(run)

    def _start(self, run: Run) -> None:
        task = asyncio.create_task(execute(self.ports, self, run), name=f"interop-run-{run.run_id}")
        self._tasks[run.run_id] = task
        self._active[run.assistant_id] = self._active.get(run.assistant_id, 0) + 1
        self._running += 1
        driver = asyncio.create_task(self._drive(run, task))
        self._drivers.add(driver)
        driver.add_done_callback(self._drivers.discard)

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

    async def _drive(self, run: Run, task: asyncio.Task[None]) -> None:
        """Wait for `run`'s task, then free its worker and start what may start now."""
        run_id = run.run_id
        try:
            await asyncio.wait({task})
            await self.end_unstarted(run, task)
        finally:
            self._tasks.pop(run_id, None)
            self._running -= 1
            active = self._active.get(run.assistant_id, 1) - 1
            if active > 0:
                self._active[run.assistant_id] = active
            else:
                self._active.pop(run.assistant_id, None)
            self._cancel_reasons.pop(run_id, None)
            self._inflight.pop(run_id, None)
            self._advance(run)
            self._pump()
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
        return self.waiting(), self._running

    def cancel_reason(self, run_id: str) -> str | None:
        return self._cancel_reasons.get(run_id)

    # -- cancel -------------------------------------------------------------------------------

    async def cancel(self, run: Run, action: CancelAction) -> None:
        """Cancel a run: a running one through its task (it records its own end), a pending
        one here, without running anything."""
        if self._cancel_task(run.run_id, action):
            return
        if run.status == "pending":
            tracked = self._inflight.pop(run.run_id, None)
            run.status = "interrupted"
            await self.end_cancelled(run, action)
            if tracked is not None:
                self._advance(run)

    def _cancel_task(self, run_id: str, action: str) -> bool:
        """Cancel the task executing `run_id` here, for `action`; False when there is none.
        A run already being cancelled is left alone: a second cancel would cut the first's
        recording of the run's end short."""
        task = self._tasks.get(run_id)
        if task is None:
            return False
        if run_id not in self._cancel_reasons:
            self._cancel_reasons[run_id] = action
            task.cancel()
        return True

    async def cancel_thread_runs(self, thread_id: str) -> None:
        for run in await self.ports.storage.runs.inflight(thread_id):
            run = self._inflight.get(run.run_id, run)
            await self.cancel(run, "interrupt")
            await wait_outcome(self.ports, run)
