"""RunService: create, schedule, cancel, join and stream runs.

Scheduling (in-process, the embedded default): runs of one thread execute one at a time in
creation order (a per-thread FIFO); runs of different threads execute concurrently on N
workers. `after_seconds` delays a run's turn. The executor (`interop.core.executor`) runs
the graph and publishes events; this module owns the lifecycle around it.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver

from interop.core import serde
from interop.core.assistants import AssistantService
from interop.core.errors import Conflict, InvalidInput, NotFound, Unavailable
from interop.core.events import FROM_START, OUTCOME_EVENT, EventBroker
from interop.core.executor import execute, finish_run
from interop.core.ids import new_id, now
from interop.core.models import (
    STREAM_MODES,
    CancelAction,
    Run,
    RunOutcome,
    RunRequest,
    RunStatus,
    StreamEvent,
    Thread,
)
from interop.core.storage import Storage
from interop.core.threads import ThreadService

log = logging.getLogger("interop.runs")

RunListener = Callable[[Run, RunOutcome | None], Awaitable[None]]


class RunService:
    """The one place runs are created and driven. Every public method raises the core errors."""

    def __init__(
        self,
        storage: Storage,
        broker: EventBroker,
        assistants: AssistantService,
        threads: ThreadService,
        *,
        workers: int = 10,
        run_timeout: float = 3600.0,
    ) -> None:
        self.storage = storage
        self.broker = broker
        self.assistants = assistants
        self.threads = threads
        self.workers = max(1, workers)
        self.run_timeout = run_timeout
        # Checkpoints of temporary (stateless, on_completion=delete) runs never touch disk.
        self.ephemeral_saver = InMemorySaver()
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._queues: dict[str, deque[str]] = {}
        self._inflight: dict[str, Run] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._cancel_reasons: dict[str, str] = {}
        self._workers: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.TimerHandle] = set()
        self._stopping = False
        self._listeners: list[RunListener] = []
        self._notifications: set[asyncio.Task[None]] = set()

    # -- status listeners ---------------------------------------------------------------------

    def add_listener(self, listener: RunListener) -> None:
        """Call `listener(run, outcome)` when a run starts (outcome None) and when it ends.

        Listeners run in their own tasks: a slow or failing listener never delays a run; its
        failures are logged."""
        self._listeners.append(listener)

    def notify(self, run: Run, outcome: RunOutcome | None) -> None:
        for listener in self._listeners:
            task = asyncio.get_running_loop().create_task(self._call(listener, run, outcome))
            self._notifications.add(task)
            task.add_done_callback(self._notifications.discard)

    @staticmethod
    async def _call(listener: RunListener, run: Run, outcome: RunOutcome | None) -> None:
        try:
            await listener(run, outcome)
        except Exception:  # a listener's failure must not reach the run (logged)
            log.exception("run listener %r failed for run %s", listener, run.run_id)

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
        self._stopping = True
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
        """Runs left `running` by a dead process: re-queue when no task had finished (nothing
        outside the graph can have happened twice), else mark `error`. Pending runs are queued."""
        for run in await self.storage.runs.with_status("running"):
            if await self.storage.checkpoints.run_has_progress(run.thread_id, run.run_id):
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
            await self.storage.checkpoints.delete_for_runs(run.thread_id, [run.run_id])
            run.attempt += 1
            run.status = "pending"
            await self.storage.runs.set_status(run.run_id, "pending", at=now(), attempt=run.attempt)
        for run in await self.storage.runs.with_status("pending"):
            self._open_channel(run)
            await self._publish_metadata(run)
            self._submit(run)

    async def _finish_orphan(self, run: Run) -> None:
        error = {
            "error": "ServerStopped",
            "message": "The server stopped while the run was running.",
        }
        await finish_run(
            self, run, RunOutcome(status="error", error=error), graph=None, config=None
        )

    # -- create -------------------------------------------------------------------------------

    async def create(
        self, thread_id: str | None, request: RunRequest, *, persist_at_end: bool = False
    ) -> Run:
        """Create a run on `thread_id` (None: a stateless run on a temporary thread) and queue it.

        `persist_at_end` (with `thread_id` None and on_completion `keep`): the new thread is
        known to the caller alone until the run ends (an MCP tool result is the first place its
        id appears), so the run executes in memory like a stateless one and its thread, the
        run and its checkpoints are written in one step when it ends. A server stop during
        such a run loses it, as it loses the caller's request.

        Raises NotFound (assistant, or thread with if_not_exists=reject), Conflict
        (multitask_strategy=reject on a busy thread), InvalidInput, Unavailable."""
        if self._stopping:
            raise Unavailable("The server is shutting down.")
        for mode in request.stream_mode:
            if mode not in STREAM_MODES:
                raise InvalidInput(f"Unknown stream mode '{mode}'.")
        assistant = await self.assistants.get(request.assistant_id)
        graph_id = assistant.graph_id
        deferred = thread_id is None and persist_at_end and request.on_completion == "keep"
        temporary = thread_id is None and (request.on_completion == "delete" or deferred)
        stamp = now()
        if thread_id is None:
            thread_id = new_id()
            if not temporary:
                await self.storage.threads.create(
                    Thread(
                        thread_id=thread_id,
                        created_at=stamp,
                        updated_at=stamp,
                        metadata={"graph_id": graph_id, "assistant_id": assistant.assistant_id},
                        status="busy",
                    )
                )
        else:
            thread_metadata = await self.storage.threads.metadata(thread_id)
            if thread_metadata is None:
                if request.if_not_exists != "create":
                    raise NotFound("Thread or assistant not found.")
                await self.threads.create(
                    thread_id=thread_id,
                    metadata={"graph_id": graph_id, "assistant_id": assistant.assistant_id},
                    if_exists="do_nothing",
                )
            elif (
                thread_metadata.get("graph_id") != graph_id
                or thread_metadata.get("assistant_id") != assistant.assistant_id
            ):
                await self.storage.threads.set_metadata(
                    thread_id,
                    {
                        **thread_metadata,
                        "graph_id": graph_id,
                        "assistant_id": assistant.assistant_id,
                    },
                    at=stamp,
                )
        run_id = new_id()
        configurable = {
            **assistant.config.get("configurable", {}),
            **request.config.get("configurable", {}),
            "run_id": run_id,
            "thread_id": thread_id,
            "graph_id": graph_id,
            "assistant_id": assistant.assistant_id,
        }
        metadata = {
            **assistant.metadata,
            **request.metadata,
            "graph_id": graph_id,
            "assistant_id": assistant.assistant_id,
        }
        config: dict[str, Any] = {
            **assistant.config,
            **request.config,
            "configurable": configurable,
            "metadata": {**request.config.get("metadata", {}), **metadata},
        }
        run = Run(
            run_id=run_id,
            thread_id=thread_id,
            assistant_id=assistant.assistant_id,
            created_at=stamp,
            updated_at=stamp,
            status="pending",
            metadata=metadata,
            kwargs={
                "input": request.input,
                "command": request.command,
                "config": config,
                "context": {**assistant.context, **request.context},
                "stream_mode": list(request.stream_mode),
                "interrupt_before": request.interrupt_before,
                "interrupt_after": request.interrupt_after,
                "webhook": request.webhook,
                "feedback_keys": request.feedback_keys,
                "temporary": temporary,
                "persist_at_end": deferred,
                "subgraphs": request.stream_subgraphs,
                "resumable": request.stream_resumable,
                "checkpoint": request.checkpoint,
                "durability": request.durability or "async",
                "after_seconds": request.after_seconds,
                "graph_id": graph_id,
            },
            multitask_strategy=request.multitask_strategy,
            temporary=temporary,
        )
        # A temporary run (stateless, deleted when it ends) lives in memory only.
        if not temporary and not await self.storage.runs.create(
            run, reject_if_inflight=request.multitask_strategy == "reject"
        ):
            raise Conflict(
                "Thread is already running a task. Wait for it to finish or choose"
                " a different multitask strategy."
            )
        self._open_channel(run)
        await self._publish_metadata(run)
        if request.multitask_strategy in ("interrupt", "rollback"):
            action: CancelAction = (
                "interrupt" if request.multitask_strategy == "interrupt" else "rollback"
            )
            for other in await self.storage.runs.inflight(thread_id):
                if other.run_id != run_id:
                    await self._cancel_one(other, action)
        self._submit(run)
        return run

    def _open_channel(self, run: Run) -> None:
        self.broker.open(run.run_id)

    async def _publish_metadata(self, run: Run) -> None:
        data = serde.dumps({"run_id": run.run_id, "attempt": run.attempt})
        await self.broker.publish(run.run_id, "metadata", data)
        if self.broker.has_channel(run.thread_id):
            await self.broker.publish(run.thread_id, "metadata", data)

    # -- scheduling -----------------------------------------------------------------------------

    def _submit(self, run: Run) -> None:
        self._inflight[run.run_id] = run
        queue = self._queues.setdefault(run.thread_id, deque())
        queue.append(run.run_id)
        if len(queue) == 1:
            self._dispatch(run)

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

    def thread_has_queued_after(self, run: Run) -> bool:
        """True when another run of `run`'s thread waits in this process's queue."""
        return any(rid != run.run_id for rid in self._queues.get(run.thread_id, ()))

    async def _worker(self, index: int) -> None:
        while True:
            run_id = await self._ready.get()
            run = self._inflight.get(run_id)
            if run is None or run.status != "pending":
                continue  # cancelled while it waited
            task = asyncio.create_task(execute(self, run), name=f"interop-run-{run_id}")
            self._tasks[run_id] = task
            try:
                await asyncio.wait({task})
            finally:
                self._tasks.pop(run_id, None)
                self._cancel_reasons.pop(run_id, None)
                self._inflight.pop(run_id, None)
                self._advance(run)
            if not task.cancelled() and task.exception() is not None:
                log.error("run %s: executor failed", run_id, exc_info=task.exception())

    def cancel_reason(self, run_id: str) -> str | None:
        return self._cancel_reasons.get(run_id)

    # -- read ---------------------------------------------------------------------------------

    async def get(self, thread_id: str | None, run_id: str) -> Run:
        run = self._inflight.get(run_id)
        if run is not None and (thread_id is None or run.thread_id == thread_id):
            return run
        run = await self.storage.runs.get(run_id, thread_id)
        if run is None:
            raise NotFound(f"Run '{run_id}' not found.")
        return run

    async def list(
        self, thread_id: str, *, limit: int = 10, offset: int = 0, status: RunStatus | None = None
    ) -> list[Run]:
        await self.threads.get(thread_id)
        runs = await self.storage.runs.for_thread(
            thread_id, limit=limit, offset=offset, status=status
        )
        return [self._inflight.get(r.run_id, r) for r in runs]

    async def search(
        self,
        *,
        thread_id: str | None = None,
        statuses: Sequence[RunStatus] | None = None,
        metadata: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> builtins.list[Run]:
        """Durable runs matching every given filter, newest first (temporary runs are not
        searchable: they live in memory and end deleted)."""
        runs = await self.storage.runs.search(
            thread_id=thread_id, statuses=statuses, metadata=metadata, limit=limit, offset=offset
        )
        return [self._inflight.get(r.run_id, r) for r in runs]

    async def count(
        self,
        *,
        thread_id: str | None = None,
        statuses: Sequence[RunStatus] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> int:
        return await self.storage.runs.count(
            thread_id=thread_id, statuses=statuses, metadata=metadata
        )

    async def delete(self, thread_id: str, run_id: str) -> None:
        """Delete a run; an in-flight run is cancelled and rolled back first."""
        run = await self.get(thread_id, run_id)
        if not run.done:
            await self._cancel_one(run, "rollback")
            await self.wait(run)
        await self.storage.runs.delete(run_id)

    # -- cancel -------------------------------------------------------------------------------

    async def cancel(
        self, thread_id: str, run_id: str, *, action: CancelAction = "interrupt", wait: bool = False
    ) -> None:
        """Cancel a pending or running run. NotFound when it does not exist or already ended."""
        run = await self.get(thread_id, run_id)
        if run.done:
            raise NotFound(f"No matching runs to cancel: run '{run_id}' has already ended.")
        await self._cancel_one(run, action)
        if wait:
            await self.wait(run)

    async def cancel_many(
        self,
        *,
        thread_id: str | None = None,
        run_ids: Sequence[str] | None = None,
        status: str | None = None,
        action: CancelAction = "interrupt",
    ) -> int:
        """Cancel the runs named by ids, by thread, or by status (pending/running/all).
        NotFound when none of them is pending or running."""
        targets: list[Run] = []
        if run_ids:
            for run_id in run_ids:
                run = await self.get(thread_id, run_id)
                if not run.done:
                    targets.append(run)
        elif thread_id:
            targets = await self.storage.runs.inflight(thread_id)
        elif status:
            wanted: tuple[RunStatus, ...] = (
                ("pending", "running") if status == "all" else (status,)  # type: ignore[assignment]
            )
            targets = await self.storage.runs.with_status(*wanted)
        if not targets:
            raise NotFound("No matching runs to cancel.")
        for run in targets:
            await self._cancel_one(self._inflight.get(run.run_id, run), action)
        return len(targets)

    async def cancel_thread_runs(self, thread_id: str) -> None:
        for run in await self.storage.runs.inflight(thread_id):
            run = self._inflight.get(run.run_id, run)
            await self._cancel_one(run, "interrupt")
            await self.wait(run)

    async def dismiss_interrupt(self, run: Run) -> None:
        """Cancel a run that ended waiting for input (its thread is `interrupted` by it): the run
        becomes `interrupted` and the thread `idle`, with no pending interrupt. The A2A and MCP
        doors cancel input-required tasks with it. Conflict when `run` is not that run."""
        thread = await self.threads.get(run.thread_id)
        newest = await self.storage.runs.for_thread(run.thread_id, limit=1, offset=0, status=None)
        if (
            run.status != "success"
            or thread.status != "interrupted"
            or not newest
            or newest[0].run_id != run.run_id
        ):
            raise Conflict(f"Run '{run.run_id}' is not waiting for input.")
        stamp = now()
        await self.storage.runs.set_status(run.run_id, "interrupted", at=stamp)
        await self.storage.threads.set_state(
            run.thread_id, status="idle", values=thread.values, interrupts={}, at=stamp
        )
        run.status = "interrupted"

    async def _cancel_one(self, run: Run, action: CancelAction) -> None:
        task = self._tasks.get(run.run_id)
        if task is not None:
            self._cancel_reasons[run.run_id] = action
            task.cancel()
            return
        if run.status == "pending":
            # Not started: end it here, without running anything.
            tracked = self._inflight.pop(run.run_id, None)
            run.status = "interrupted"
            outcome = RunOutcome(status="interrupted")
            await finish_run(
                self, run, outcome, graph=None, config=None, rollback=action == "rollback"
            )
            if tracked is not None:
                self._advance(run)

    # -- wait and stream ------------------------------------------------------------------------

    async def wait(self, run: Run) -> RunOutcome:
        """Wait for the run to end and return how it ended (callers bound the wait)."""
        if not run.done or self.broker.has_channel(run.run_id):
            async for event in self.broker.subscribe(run.run_id, FROM_START):
                if event.event == OUTCOME_EVENT:
                    return outcome_from_json(serde.loads(event.data))
        stored = await self.storage.runs.get(run.run_id)
        if stored is None:
            return RunOutcome(status="interrupted")
        thread = await self.storage.threads.get(run.thread_id)
        values = thread.values if thread else None
        interrupts = [i for items in (thread.interrupts if thread else {}).values() for i in items]
        error = thread.error if thread is not None and stored.status == "error" else None
        return RunOutcome(status=stored.status, values=values, interrupts=interrupts, error=error)

    async def stream(self, run: Run, start: str = FROM_START) -> AsyncIterator[StreamEvent]:
        """The run's events after `start`, ending when the run ends."""
        if run.done and not self.broker.has_channel(run.run_id):
            return
        async for event in self.broker.subscribe(run.run_id, start):
            if event.event == OUTCOME_EVENT:
                return
            yield event

    async def thread_stream(
        self, thread_id: str, start: str, stream_modes: Sequence[str] | None
    ) -> AsyncIterator[StreamEvent]:
        """Events of every run on the thread from `start`, until the client leaves."""
        await self.threads.get(thread_id)
        self.broker.open(thread_id)
        async for event in self.broker.subscribe(thread_id, start):
            if event_in_modes(event.event, stream_modes):
                yield event


def event_in_modes(name: str, stream_modes: Sequence[str] | None) -> bool:
    """Whether an event named `name` belongs to one of `stream_modes` (None/empty: all).
    `metadata` and `error` always belong."""
    if not stream_modes or name in ("metadata", "error"):
        return True
    base = name.split("|", 1)[0]
    if base.startswith("messages/"):
        return "messages" in stream_modes
    if base == "messages":
        return "messages-tuple" in stream_modes or "messages" in stream_modes
    return base in stream_modes


def outcome_from_json(data: dict[str, Any]) -> RunOutcome:
    return RunOutcome(
        status=data["status"],
        values=data.get("values"),
        interrupts=data.get("interrupts") or [],
        error=data.get("error"),
    )


def outcome_body(outcome: RunOutcome) -> Any:
    """What /wait and /join answer: the final values, plus `__interrupt__` or `__error__`."""
    if outcome.error is not None:
        return {"__error__": outcome.error}
    values = outcome.values
    if outcome.interrupts:
        base = dict(values) if isinstance(values, dict) else {}
        base["__interrupt__"] = outcome.interrupts
        return base
    return values if values is not None else {}


__all__ = ["Conflict", "RunService", "outcome_body"]
