"""RunService: create, cancel, join and stream runs (the API the front doors call).

Scheduling lives in `interop.core.scheduler`, execution in `interop.core.executor`, a run's
end in `interop.core.outcomes`; this module owns the requests around them.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from interop.core import authz
from interop.core import headers as run_headers
from interop.core.assistants import AssistantService
from interop.core.drain import Drain
from interop.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from interop.core.events import FROM_START, OUTCOME_EVENT
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
from interop.core.outcomes import wait_outcome
from interop.core.ports import RunListener
from interop.core.scheduler import Scheduler
from interop.core.threads import ThreadService


class RunService:
    """The one place runs are created and driven. Every public method raises the core errors."""

    def __init__(
        self, scheduler: Scheduler, assistants: AssistantService, threads: ThreadService
    ) -> None:
        self.scheduler = scheduler
        self.ports = scheduler.ports
        self.storage = scheduler.ports.storage
        self.broker = scheduler.ports.broker
        self.assistants = assistants
        self.threads = threads
        # Checks a run's `webhook` URL against the config's policy (InvalidInput when refused).
        self.check_webhook: Callable[[str], None] | None = None
        self.drain = Drain()  # waits and streams end with Unavailable once it begins

    def add_listener(self, listener: RunListener) -> None:
        """Call `listener(run, outcome)` when a run starts (outcome None) and when it ends.

        Listeners run in their own tasks: a slow or failing listener never delays a run; its
        failures are logged."""
        self.ports.listeners.add(listener)

    def load(self) -> tuple[int, int]:
        """(waiting, running): the runs of this process's queue (for metrics)."""
        return self.scheduler.load()

    async def start(self) -> None:
        """Recover runs a previous process left behind, then start the workers."""
        await self.scheduler.start()

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking runs; cancel running ones (they are recovered on the next start)."""
        await self.scheduler.stop(grace)

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
        (multitask_strategy=reject on a busy thread), InvalidInput, Unavailable (shutting down,
        or this process's run queue is full: `Scheduler.admit`); the caller's
        policy is asked for `create_run` on the thread, `read` of the assistant and `create` of
        a thread the run makes."""
        if self.scheduler.stopping:
            raise Unavailable("The server is shutting down.")
        self.scheduler.admit()
        request.config = run_headers.with_request_headers(request.config)
        for mode in request.stream_mode:
            if mode not in STREAM_MODES:
                raise InvalidInput(f"Unknown stream mode '{mode}'.")
        if request.webhook is not None and self.check_webhook is not None:
            self.check_webhook(request.webhook)
        asked: dict[str, Any] = {
            "thread_id": thread_id,
            "assistant_id": request.assistant_id,
            "metadata": dict(request.metadata),
            "multitask_strategy": request.multitask_strategy,
            "if_not_exists": request.if_not_exists,
            "after_seconds": request.after_seconds,
        }
        filters = await authz.authorize("threads", "create_run", asked)
        run_metadata: dict[str, Any] = dict(asked.get("metadata") or {})
        assistant = await self.assistants.get(request.assistant_id)
        graph_id = assistant.graph_id
        deferred = thread_id is None and persist_at_end and request.on_completion == "keep"
        temporary = thread_id is None and (request.on_completion == "delete" or deferred)
        stamp = now()
        new_thread_metadata: dict[str, Any] = {
            "graph_id": graph_id,
            "assistant_id": assistant.assistant_id,
        }
        if thread_id is None:
            thread_id = new_id()
            if not temporary or deferred:
                new_thread_metadata = await self._stamped_thread(thread_id, new_thread_metadata)
            if not temporary:
                await self.storage.threads.create(
                    Thread(
                        thread_id=thread_id,
                        created_at=stamp,
                        updated_at=stamp,
                        metadata=new_thread_metadata,
                        status="busy",
                    )
                )
        else:
            thread_metadata = await self.storage.threads.metadata(thread_id)
            if thread_metadata is not None and not authz.matches(filters, thread_metadata):
                raise NotFound("Thread or assistant not found.")
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
            **authz.run_configurable(),
            "run_id": run_id,
            "thread_id": thread_id,
            "graph_id": graph_id,
            "assistant_id": assistant.assistant_id,
        }
        metadata = {
            **assistant.metadata,
            **run_metadata,
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
                # the thread a `persist_at_end` run stores when it ends
                **({"thread_metadata": new_thread_metadata} if deferred else {}),
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
        await self.scheduler.announce(run)
        if request.multitask_strategy in ("interrupt", "rollback"):
            action: CancelAction = (
                "interrupt" if request.multitask_strategy == "interrupt" else "rollback"
            )
            for other in await self.storage.runs.inflight(thread_id):
                if other.run_id != run_id:
                    await self.scheduler.cancel(other, action)
        self.scheduler.submit(run)
        return run

    async def _stamped_thread(self, thread_id: str, metadata: dict[str, Any]) -> dict[str, Any]:
        """The metadata of a thread a run creates, as the caller's policy stamps it."""
        value: dict[str, Any] = {"thread_id": thread_id, "metadata": metadata, "if_exists": "raise"}
        await authz.authorize("threads", "create", value)
        return dict(value.get("metadata") or {})

    async def _allow_thread(self, action: str, run: Run) -> None:
        """NotFound unless the caller's policy allows `action` on the run's thread and the
        thread is inside its filter (a run whose thread is not stored yet, or never will be,
        is judged by its own metadata, which its creator's policy stamped)."""
        if authz.current() is None:
            return
        filters = await authz.authorize(
            "threads", action, {"thread_id": run.thread_id, "run_id": run.run_id}
        )
        if not filters:
            return
        metadata = await self.storage.threads.metadata(run.thread_id)
        if metadata is None and run.temporary:
            metadata = run.kwargs.get("thread_metadata") or run.metadata
        if metadata is None or not authz.matches(filters, metadata):
            raise NotFound(f"Run '{run.run_id}' not found.")

    async def _visible(self, run: Run, seen: dict[str, bool]) -> bool:
        """Whether the caller may read `run` (one policy answer per thread in `seen`)."""
        if run.thread_id not in seen:
            seen[run.thread_id] = await self._allowed("read", run)
        return seen[run.thread_id]

    async def _allowed(self, action: str, run: Run) -> bool:
        try:
            await self._allow_thread(action, run)
        except (NotFound, Forbidden):
            return False
        return True

    # -- read ---------------------------------------------------------------------------------

    async def get(self, thread_id: str | None, run_id: str, *, action: str = "read") -> Run:
        """The run (on `thread_id` when given); NotFound, also when the caller's policy keeps
        its thread from them for `action`."""
        run = self.scheduler.tracked(run_id)
        if (
            run is None
            or (thread_id is not None and run.thread_id != thread_id)
            # Ended: storage has its last word (written before the live record ends), also
            # when that is its deletion (a rollback) while its executor is still winding down.
            or (run.done and not run.temporary)
        ):
            run = await self.storage.runs.get(run_id, thread_id)
        if run is None:
            raise NotFound(f"Run '{run_id}' not found.")
        await self._allow_thread(action, run)
        return run

    def _tracked(self, run_id: str, default: Run) -> Run:
        """The live record of a run this process is driving, else `default` (a stored copy)."""
        return self.scheduler.tracked(run_id) or default

    async def list(
        self, thread_id: str, *, limit: int = 10, offset: int = 0, status: RunStatus | None = None
    ) -> list[Run]:
        await self.threads.get(thread_id)
        runs = await self.storage.runs.for_thread(
            thread_id, limit=limit, offset=offset, status=status
        )
        return [self._tracked(r.run_id, r) for r in runs]

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
        searchable: they live in memory and end deleted). With a caller, only runs of threads
        their policy lets them read."""
        if authz.current() is not None:
            runs = await self._visible_runs(thread_id, statuses, metadata, offset + limit)
            runs = runs[offset:]
        else:
            runs = await self.storage.runs.search(
                thread_id=thread_id,
                statuses=statuses,
                metadata=metadata,
                limit=limit,
                offset=offset,
            )
        return [self._tracked(r.run_id, r) for r in runs]

    async def _visible_runs(
        self,
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
        wanted: int | None,
    ) -> builtins.list[Run]:
        """The first `wanted` (None: all) runs matching the filters the caller may read. The
        policy's filter is on threads, not runs, so it is applied here, page by page."""
        page_size = 200
        found: list[Run] = []
        seen: dict[str, bool] = {}
        offset = 0
        while wanted is None or len(found) < wanted:
            page = await self.storage.runs.search(
                thread_id=thread_id,
                statuses=statuses,
                metadata=metadata,
                limit=page_size,
                offset=offset,
            )
            found += [run for run in page if await self._visible(run, seen)]
            if len(page) < page_size:
                break
            offset += page_size
        return found if wanted is None else found[:wanted]

    async def count(
        self,
        *,
        thread_id: str | None = None,
        statuses: Sequence[RunStatus] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> int:
        if authz.current() is not None:
            return len(await self._visible_runs(thread_id, statuses, metadata, None))
        return await self.storage.runs.count(
            thread_id=thread_id, statuses=statuses, metadata=metadata
        )

    async def delete(self, thread_id: str, run_id: str) -> None:
        """Delete a run; an in-flight run is cancelled and rolled back first."""
        run = await self.get(thread_id, run_id, action="delete")
        if not run.done:
            await self.scheduler.cancel(run, "rollback")
            await self.wait(run)
        await self.storage.runs.delete(run_id)

    # -- cancel -------------------------------------------------------------------------------

    async def cancel(
        self, thread_id: str, run_id: str, *, action: CancelAction = "interrupt", wait: bool = False
    ) -> None:
        """Cancel a pending or running run. NotFound when it does not exist or already ended."""
        run = await self.get(thread_id, run_id, action="update")
        if run.done:
            raise NotFound(f"No matching runs to cancel: run '{run_id}' has already ended.")
        await self.scheduler.cancel(run, action)
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
                run = await self.get(thread_id, run_id, action="update")
                if not run.done:
                    targets.append(run)
        elif thread_id:
            targets = await self.storage.runs.inflight(thread_id)
        elif status:
            wanted: tuple[RunStatus, ...] = (
                ("pending", "running") if status == "all" else (status,)  # type: ignore[assignment]
            )
            targets = await self.storage.runs.with_status(*wanted)
        if authz.current() is not None and not run_ids:
            targets = [run for run in targets if await self._allowed("update", run)]
        if not targets:
            raise NotFound("No matching runs to cancel.")
        for run in targets:
            await self.scheduler.cancel(self._tracked(run.run_id, run), action)
        return len(targets)

    async def cancel_thread_runs(self, thread_id: str) -> None:
        """Cancel the thread's pending and running runs and wait until they have ended."""
        await self.scheduler.cancel_thread_runs(thread_id)

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

    # -- wait and stream ------------------------------------------------------------------------

    async def wait(self, run: Run) -> RunOutcome:
        """Wait for the run to end and return how it ended (callers bound the wait)."""
        return await self.drain.answer(wait_outcome(self.ports, run))

    def stream(self, run: Run, start: str = FROM_START) -> AsyncIterator[StreamEvent]:
        """The run's events after `start`, ending when the run ends."""
        return self.drain.until(self._stream(run, start))

    async def _stream(self, run: Run, start: str) -> AsyncIterator[StreamEvent]:
        broker = self.scheduler.ports.events(run)
        if run.done and not await broker.exists(run.run_id):
            return
        async for event in broker.subscribe(run.run_id, start):
            if event.event == OUTCOME_EVENT:
                return
            yield event

    async def thread_stream(
        self, thread_id: str, start: str, stream_modes: Sequence[str] | None
    ) -> AsyncIterator[StreamEvent]:
        """Events of every run on the thread from `start`, until the client leaves."""
        await self.threads.get(thread_id)
        await self.broker.open(thread_id)
        async for event in self.drain.until(self.broker.subscribe(thread_id, start)):
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


__all__ = ["RunService"]
