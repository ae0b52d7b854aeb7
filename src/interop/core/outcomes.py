"""How a run ends: its outcome recorded in storage (with its thread's new state), published
to its readers, and read back by whoever waits for it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.pregel import Pregel

from interop.core import serde
from interop.core.events import FROM_START, OUTCOME_EVENT
from interop.core.ids import now
from interop.core.models import Run, RunOutcome, RunStatus, Thread, ThreadStatus
from interop.core.ports import RunPorts, RunQueue
from interop.core.state import thread_interrupts
from interop.core.storage import RunFence


async def finish_run(
    ports: RunPorts,
    queue: RunQueue,
    run: Run,
    outcome: RunOutcome,
    *,
    graph: Pregel[Any] | None,
    config: RunnableConfig | None,
    rollback: bool = False,
    expect: RunFence | None = None,
) -> bool:
    """Record the run's end in storage, update its thread, publish the outcome, close streams.

    The storage writes carry `expect` (else the queue's fence for the run): when storage
    refuses them (the run's lease was lost, or a pending run was claimed meanwhile) nothing is
    written or published and the answer is False."""
    storage = ports.storage
    broker = ports.events(run)  # before `run.temporary` may change below (persist_at_end)
    expect = expect or queue.fence(run)
    if rollback and expect is not None and not run.temporary:
        # The fenced step first: a rollback's later writes (checkpoints, the run's deletion)
        # are not conditional.
        if not await storage.runs.set_status(run.run_id, "interrupted", at=now(), expect=expect):
            return False
        expect = None
    thread_status: ThreadStatus = "idle"
    thread_values: Any = None
    interrupts: dict[str, Any] = {}
    if rollback:
        await storage.checkpoints.delete_for_runs(run.thread_id, [run.run_id])
    breakpoints = run.kwargs.get("interrupt_before") or run.kwargs.get("interrupt_after")
    deferred = run.temporary and bool(run.kwargs.get("persist_at_end"))
    if run.temporary and not deferred:
        pass
    elif graph is not None and (
        rollback or outcome.interrupts or breakpoints or outcome.status != "success"
    ):
        # Only here does the thread's state need reading back; a plain success already
        # streamed its final values.
        snapshot = await graph.aget_state(
            RunnableConfig(configurable={"thread_id": run.thread_id, "checkpoint_ns": ""})
        )
        interrupts = thread_interrupts(snapshot)
        thread_values = serde.to_jsonable(snapshot.values) if snapshot.values is not None else None
        if interrupts or (snapshot.next and breakpoints):
            thread_status = "interrupted"
    elif graph is not None:
        thread_values = outcome.values
    if outcome.status == "error":
        thread_status = "error"
    elif outcome.status == "interrupted" and not rollback:
        thread_status = "interrupted"
    # The thread's status once this run has ended, were no other run of it queued; the storage
    # of a finish writes `busy` instead while another is pending or running as it commits.
    settled = thread_status
    if await queue.thread_has_queued_after(run):
        thread_status = "busy"
    status: RunStatus = outcome.status
    if deferred:
        await _adopt(ports, run, status, thread_status, thread_values, interrupts, outcome)
    if run.temporary:
        # Stateless runs that end deleted live in memory only: nothing to remove from storage.
        await ports.ephemeral_saver.adelete_thread(run.thread_id)
        run.temporary = not deferred
    elif rollback:
        await storage.runs.delete(run.run_id)
        await storage.threads.set_state(
            run.thread_id,
            status=thread_status,
            values=thread_values if isinstance(thread_values, dict) else None,
            interrupts=interrupts,
            at=now(),
        )
    elif not await storage.runs.finish(
        run.run_id,
        status,
        thread_id=run.thread_id,
        thread_status=settled,
        values=thread_values if isinstance(thread_values, dict) else None,
        interrupts=interrupts,
        error=outcome.error,
        update_values=graph is not None,
        at=now(),
        expect=expect,
    ):
        return False
    # Only now is the live record ended: a reader that sees it ended finds the thread written.
    # The in-memory record (what readers of a live run get) keeps up with the stored one.
    run.status, run.updated_at = outcome.status, now()
    await broker.publish(
        run.run_id,
        OUTCOME_EVENT,
        serde.dumps(
            {
                "status": outcome.status,
                "values": outcome.values,
                "interrupts": outcome.interrupts,
                "error": outcome.error,
            }
        ),
    )
    await broker.close(run.run_id)
    ports.listeners.notify(run, outcome)
    if await broker.exists(run.thread_id):
        await broker.publish(
            run.thread_id, "metadata", serde.dumps({"status": "run_done", "run_id": run.run_id})
        )
    return True


async def _adopt(
    ports: RunPorts,
    run: Run,
    status: RunStatus,
    thread_status: ThreadStatus,
    values: Any,
    interrupts: dict[str, Any],
    outcome: RunOutcome,
) -> None:
    """Store the thread of a `persist_at_end` run, its checkpoints and the run, now ended."""
    saver = ports.ephemeral_saver
    checkpoints = [
        item async for item in saver.alist({"configurable": {"thread_id": run.thread_id}})
    ]
    stamp = now()
    thread = Thread(
        thread_id=run.thread_id,
        created_at=run.created_at,
        updated_at=stamp,
        state_updated_at=stamp,
        metadata=run.kwargs.get("thread_metadata")
        or {"graph_id": run.kwargs["graph_id"], "assistant_id": run.assistant_id},
        status=thread_status,
        values=values if isinstance(values, dict) else None,
        interrupts=interrupts,
        error=outcome.error if outcome.status == "error" else None,
    )
    stored = replace(
        run,
        status=status,
        updated_at=stamp,
        temporary=False,
        kwargs={**run.kwargs, "temporary": False},
    )
    await ports.storage.adopt(thread, stored, checkpoints)


async def wait_outcome(ports: RunPorts, run: Run) -> RunOutcome:
    """Wait for the run to end and return how it ended (callers bound the wait)."""
    broker = ports.events(run)
    if not run.done or await broker.exists(run.run_id):
        async for event in broker.subscribe(run.run_id, FROM_START):
            if event.event == OUTCOME_EVENT:
                return outcome_from_json(serde.loads(event.data))
    stored = await ports.storage.runs.get(run.run_id)
    if stored is None:
        return RunOutcome(status="interrupted")
    thread = await ports.storage.threads.get(run.thread_id)
    values = thread.values if thread else None
    interrupts = [i for items in (thread.interrupts if thread else {}).values() for i in items]
    error = thread.error if thread is not None and stored.status == "error" else None
    return RunOutcome(status=stored.status, values=values, interrupts=interrupts, error=error)


def outcome_from_json(data: dict[str, Any]) -> RunOutcome:
    return RunOutcome(
        status=data["status"],
        values=data.get("values"),
        interrupts=data.get("interrupts") or [],
        error=data.get("error"),
    )
