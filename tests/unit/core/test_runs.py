"""interop.core.runs + interop.core.executor on real SQLite with the bundled example graphs.

Services are built the way `interop.app`'s lifespan builds them. A "restart" is a second set of
services on the same database after the first one stopped (or was never started).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

import pytest
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, MessagesState, StateGraph

from interop.brokers.memory import InProcessBroker
from interop.core.assistants import AssistantService
from interop.core.errors import Conflict, InvalidInput, NotFound, Unavailable
from interop.core.graphs import BUNDLED_CONFIG, GraphEntry, load_graphs, read_config
from interop.core.ids import new_id, now
from interop.core.models import Run, RunOutcome, RunRequest, StreamEvent
from interop.core.ports import RunPorts
from interop.core.runs import RunService
from interop.core.scheduler import Scheduler
from interop.core.serde import loads
from interop.core.storage import Storage
from interop.core.threads import ThreadService
from interop.examples import echo

WAIT = 15.0  # upper bound for any single wait in this module


# -- graphs used only here ---------------------------------------------------------------------


def _boom(state: MessagesState) -> dict[str, Any]:
    raise ValueError("kaput")


def _boom_graph() -> Any:
    builder = StateGraph(MessagesState)
    builder.add_node("boom", _boom)
    builder.add_edge(START, "boom")
    builder.add_edge("boom", END)
    return builder.compile()


class _GateState(TypedDict, total=False):
    n: int


@dataclass
class Gate:
    """A graph whose one node signals `started` and then waits for `release`."""

    started: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    entered: int = 0

    def graph(self) -> Any:
        async def node(state: _GateState) -> dict[str, Any]:
            self.entered += 1
            self.started.set()
            await self.release.wait()
            return {"n": state.get("n", 0) + 1}

        builder = StateGraph(_GateState)
        builder.add_node("node", node)
        builder.add_edge(START, "node")
        builder.add_edge("node", END)
        return builder.compile()


# -- service wiring ----------------------------------------------------------------------------


@dataclass
class Services:
    storage: Storage
    broker: InProcessBroker
    assistants: AssistantService
    threads: ThreadService
    runs: RunService


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def graphs(gate: Gate) -> dict[str, GraphEntry]:
    entries = load_graphs(read_config(BUNDLED_CONFIG))
    entries["boom"] = GraphEntry(graph_id="boom", spec="test:boom", graph=_boom_graph())
    entries["gate"] = GraphEntry(graph_id="gate", spec="test:gate", graph=gate.graph())
    return entries


@pytest.fixture
async def make(
    storage: Storage, graphs: dict[str, GraphEntry]
) -> AsyncIterator[Callable[..., Any]]:
    """`await make(start=True, **run_service_kwargs)`: services on the test's database."""
    made: list[Services] = []

    async def build(*, start: bool = True, **kwargs: Any) -> Services:
        broker = InProcessBroker()
        assistants = AssistantService(storage, graphs)
        ports = RunPorts(
            storage, broker, assistants.graph, run_timeout=kwargs.pop("run_timeout", 3600.0)
        )
        scheduler = Scheduler(
            ports, workers=kwargs.pop("workers", 4), max_waiting=kwargs.pop("max_waiting", None)
        )
        threads = ThreadService(storage, assistants, scheduler)
        runs = RunService(scheduler, assistants, threads)
        await assistants.ensure_system_assistants()
        if start:
            await runs.start()
        services = Services(storage, broker, assistants, threads, runs)
        made.append(services)
        return services

    yield build
    for services in reversed(made):
        await services.runs.stop(grace=2.0)


@pytest.fixture
async def svc(make: Callable[..., Any]) -> Services:
    services: Services = await make()
    return services


def _human(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


async def _thread(svc: Services) -> str:
    return (await svc.threads.create()).thread_id


async def _outcome(svc: Services, run: Run) -> RunOutcome:
    return await asyncio.wait_for(svc.runs.wait(run), WAIT)


async def _first(svc: Services, run: Run, event: str) -> StreamEvent:
    """The run's first event named `event` (waiting for it, bounded)."""
    async with asyncio.timeout(WAIT):
        async with contextlib.aclosing(svc.runs.stream(run)) as stream:
            async for item in stream:
                if item.event == event:
                    return item
    raise AssertionError(f"the run ended without a {event!r} event")


async def _events(svc: Services, run: Run) -> list[StreamEvent]:
    async with asyncio.timeout(WAIT):
        return [e async for e in svc.runs.stream(run)]


def _long_countdown(**kwargs: Any) -> RunRequest:
    return RunRequest(
        assistant_id="countdown",
        input={"n": 1000, "delay": 0.02},
        stream_mode=["custom"],
        **kwargs,
    )


def _contents(values: Any) -> list[str]:
    return [m["content"] for m in values["messages"]]


async def _stored_status(svc: Services, run: Run) -> str | None:
    stored = await svc.storage.runs.get(run.run_id)
    return None if stored is None else stored.status


async def _thread_status(svc: Services, thread_id: str) -> str:
    return (await svc.threads.get(thread_id)).status


# -- creating and finishing runs ---------------------------------------------------------------


async def test_run_succeeds_and_thread_becomes_idle(svc: Services) -> None:
    thread_id = await _thread(svc)
    run = await svc.runs.create(thread_id, RunRequest(assistant_id="echo", input=_human("hello")))
    assert run.status == "pending"
    assert run.thread_id == thread_id
    outcome = await _outcome(svc, run)
    assert outcome.status == "success"
    assert outcome.error is None
    assert _contents(outcome.values) == ["hello", "hello"]
    assert await _stored_status(svc, run) == "success"
    thread = await svc.threads.get(thread_id)
    assert thread.status == "idle"
    assert thread.values is not None and _contents(thread.values) == ["hello", "hello"]
    state = await svc.threads.get_state(thread_id)
    assert _contents(state["values"]) == ["hello", "hello"]


async def test_run_stream_starts_with_metadata(svc: Services) -> None:
    thread_id = await _thread(svc)
    run = await svc.runs.create(thread_id, RunRequest(assistant_id="echo", input=_human("hi")))
    await _outcome(svc, run)
    events = await _events(svc, run)
    assert events[0].event == "metadata"
    assert loads(events[0].data) == {"run_id": run.run_id, "attempt": 1}
    assert "values" in [e.event for e in events]


async def test_assistant_by_graph_name_or_id(svc: Services) -> None:
    assistant = await svc.assistants.get("echo")
    thread_id = await _thread(svc)
    run = await svc.runs.create(
        thread_id, RunRequest(assistant_id=assistant.assistant_id, input=_human("by id"))
    )
    assert run.assistant_id == assistant.assistant_id
    assert (await _outcome(svc, run)).status == "success"


async def test_thread_busy_while_running(svc: Services) -> None:
    thread_id = await _thread(svc)
    run = await svc.runs.create(thread_id, _long_countdown())
    assert await _thread_status(svc, thread_id) == "busy"
    await _first(svc, run, "custom")
    assert await _stored_status(svc, run) == "running"
    assert await _thread_status(svc, thread_id) == "busy"
    await svc.runs.cancel(thread_id, run.run_id, wait=True)
    assert await _thread_status(svc, thread_id) != "busy"


async def test_create_rejects_unknowns(svc: Services) -> None:
    thread_id = await _thread(svc)
    with pytest.raises(NotFound):
        await svc.runs.create(thread_id, RunRequest(assistant_id=new_id(), input={}))
    with pytest.raises(NotFound):
        await svc.runs.create(new_id(), RunRequest(assistant_id="echo", input=_human("x")))
    with pytest.raises(InvalidInput):
        await svc.runs.create(
            thread_id, RunRequest(assistant_id="echo", input=_human("x"), stream_mode=["bogus"])
        )
    assert await svc.storage.runs.for_thread(thread_id, limit=10, offset=0, status=None) == []


async def test_if_not_exists_create(svc: Services) -> None:
    thread_id = new_id()
    run = await svc.runs.create(
        thread_id, RunRequest(assistant_id="echo", input=_human("new"), if_not_exists="create")
    )
    assert (await _outcome(svc, run)).status == "success"
    thread = await svc.threads.get(thread_id)
    assert thread.metadata["graph_id"] == "echo"


async def test_stateless_run_leaves_nothing_behind(svc: Services) -> None:
    run = await svc.runs.create(None, RunRequest(assistant_id="echo", input=_human("once")))
    outcome = await _outcome(svc, run)
    assert outcome.status == "success"
    assert _contents(outcome.values) == ["once", "once"]
    assert await svc.storage.runs.get(run.run_id) is None
    assert await svc.storage.threads.get(run.thread_id) is None


async def test_graph_error_ends_run_as_error(svc: Services) -> None:
    thread_id = await _thread(svc)
    run = await svc.runs.create(thread_id, RunRequest(assistant_id="boom", input=_human("x")))
    outcome = await _outcome(svc, run)
    assert outcome.status == "error"
    assert outcome.error is not None
    assert outcome.error["error"] == "ValueError"
    assert await _stored_status(svc, run) == "error"
    assert await _thread_status(svc, thread_id) == "error"
    errors = [e for e in await _events(svc, run) if e.event == "error"]
    assert len(errors) == 1
    assert loads(errors[0].data)["error"] == "ValueError"


async def test_timeout(make: Callable[..., Any]) -> None:
    svc: Services = await make(run_timeout=0.2)
    thread_id = await _thread(svc)
    run = await svc.runs.create(thread_id, _long_countdown())
    outcome = await _outcome(svc, run)
    assert outcome.status == "timeout"
    assert await _stored_status(svc, run) == "timeout"


# -- threads written when their first run ends (persist_at_end) -------------------------------


def _kept(**kwargs: Any) -> RunRequest:
    return RunRequest(on_completion="keep", durability="exit", **kwargs)


async def test_persist_at_end_writes_thread_run_and_state_when_the_run_ends(
    svc: Services, gate: Gate
) -> None:
    run = await svc.runs.create(
        None, _kept(assistant_id="gate", input={"n": 1}), persist_at_end=True
    )
    await asyncio.wait_for(gate.started.wait(), WAIT)
    # Running: nothing is written yet.
    assert await svc.storage.threads.get(run.thread_id) is None
    assert await svc.storage.runs.get(run.run_id) is None
    gate.release.set()
    outcome = await _outcome(svc, run)
    assert outcome.status == "success"
    assert outcome.values == {"n": 2}
    thread = await svc.threads.get(run.thread_id)
    assert thread.status == "idle"
    assert thread.values == {"n": 2}
    assert thread.metadata["graph_id"] == "gate"
    assert await _stored_status(svc, run) == "success"
    state = await svc.threads.get_state(run.thread_id)
    assert state["values"] == {"n": 2}
    assert state["metadata"]["run_id"] == run.run_id
    # The thread continues like any other.
    gate.started.clear()
    second = await svc.runs.create(run.thread_id, _kept(assistant_id="gate", input={}))
    assert (await _outcome(svc, second)).values == {"n": 3}


async def test_persist_at_end_keeps_an_interrupt_resumable(svc: Services) -> None:
    first = await svc.runs.create(
        None, _kept(assistant_id="approval", input=_human("buy milk")), persist_at_end=True
    )
    paused = await _outcome(svc, first)
    assert len(paused.interrupts) == 1
    thread = await svc.threads.get(first.thread_id)
    assert thread.status == "interrupted"
    assert [i["id"] for items in thread.interrupts.values() for i in items] == [
        paused.interrupts[0]["id"]
    ]
    second = await svc.runs.create(
        first.thread_id,
        RunRequest(assistant_id="approval", command={"resume": {"approved": True}}),
    )
    resumed = await _outcome(svc, second)
    assert _contents(resumed.values)[0] == "buy milk"
    assert _contents(resumed.values)[-1] == "Approved."
    assert (await svc.threads.get(first.thread_id)).status == "idle"


async def test_persist_at_end_records_a_cancelled_or_failed_run(svc: Services) -> None:
    countdown = _kept(
        assistant_id="countdown", input={"n": 1000, "delay": 0.02}, stream_mode=["custom"]
    )
    run = await svc.runs.create(None, countdown, persist_at_end=True)
    await _first(svc, run, "custom")
    await svc.runs.cancel(run.thread_id, run.run_id, wait=True)
    assert await _stored_status(svc, run) == "interrupted"
    assert await _thread_status(svc, run.thread_id) == "interrupted"

    failed = await svc.runs.create(
        None, _kept(assistant_id="boom", input=_human("x")), persist_at_end=True
    )
    assert (await _outcome(svc, failed)).status == "error"
    assert await _stored_status(svc, failed) == "error"
    thread = await svc.threads.get(failed.thread_id)
    assert thread.status == "error"
    assert thread.error is not None and thread.error["error"] == "ValueError"


async def test_persist_at_end_only_applies_to_new_kept_threads(svc: Services) -> None:
    deleted = await svc.runs.create(
        None, RunRequest(assistant_id="echo", input=_human("once")), persist_at_end=True
    )
    assert (await _outcome(svc, deleted)).status == "success"
    assert await svc.storage.threads.get(deleted.thread_id) is None
    thread_id = await _thread(svc)
    existing = await svc.runs.create(
        thread_id, _kept(assistant_id="echo", input=_human("here")), persist_at_end=True
    )
    # An existing thread's run is written when it is created, as always.
    assert await _stored_status(svc, existing) is not None
    assert (await _outcome(svc, existing)).status == "success"


# -- interrupts --------------------------------------------------------------------------------


async def test_interrupt_then_resume(svc: Services) -> None:
    thread_id = await _thread(svc)
    first = await svc.runs.create(
        thread_id, RunRequest(assistant_id="approval", input=_human("buy milk"))
    )
    paused = await _outcome(svc, first)
    assert paused.status == "success"
    assert len(paused.interrupts) == 1
    assert "question" in paused.interrupts[0]["value"]
    thread = await svc.threads.get(thread_id)
    assert thread.status == "interrupted"
    assert len(thread.interrupts) == 1
    [(task_id, items)] = thread.interrupts.items()
    assert task_id and items[0]["id"] == paused.interrupts[0]["id"]

    second = await svc.runs.create(
        thread_id,
        RunRequest(assistant_id="approval", command={"resume": {"approved": True}}),
    )
    resumed = await _outcome(svc, second)
    assert resumed.status == "success"
    assert resumed.interrupts == []
    assert _contents(resumed.values)[-1] == "Approved."
    thread = await svc.threads.get(thread_id)
    assert thread.status == "idle"
    assert thread.interrupts == {}


# -- multitask strategies ----------------------------------------------------------------------


async def test_reject_on_busy_thread(svc: Services) -> None:
    thread_id = await _thread(svc)
    first = await svc.runs.create(thread_id, _long_countdown())
    with pytest.raises(Conflict):
        await svc.runs.create(
            thread_id,
            RunRequest(assistant_id="echo", input=_human("no"), multitask_strategy="reject"),
        )
    runs = await svc.storage.runs.for_thread(thread_id, limit=10, offset=0, status=None)
    assert [r.run_id for r in runs] == [first.run_id]
    await svc.runs.cancel(thread_id, first.run_id, wait=True)


async def test_enqueue_runs_in_creation_order(svc: Services) -> None:
    thread_id = await _thread(svc)
    runs = [
        await svc.runs.create(thread_id, RunRequest(assistant_id="echo", input=_human(text)))
        for text in ("one", "two", "three")
    ]
    outcomes = [await _outcome(svc, run) for run in runs]
    assert [o.status for o in outcomes] == ["success"] * 3
    state = await svc.threads.get_state(thread_id)
    assert _contents(state["values"]) == ["one", "one", "two", "two", "three", "three"]
    assert await _thread_status(svc, thread_id) == "idle"


async def test_enqueued_run_waits_for_the_running_one(svc: Services, gate: Gate) -> None:
    thread_id = await _thread(svc)
    first = await svc.runs.create(thread_id, RunRequest(assistant_id="gate", input={"n": 0}))
    await asyncio.wait_for(gate.started.wait(), WAIT)
    second = await svc.runs.create(thread_id, RunRequest(assistant_id="gate", input={"n": 5}))
    # the first run holds the thread: the second one is still pending
    assert await _stored_status(svc, second) == "pending"
    assert gate.entered == 1
    gate.release.set()
    assert (await _outcome(svc, first)).status == "success"
    assert (await _outcome(svc, second)).status == "success"
    assert gate.entered == 2
    state = await svc.threads.get_state(thread_id)
    assert state["values"] == {"n": 6}


async def test_interrupt_strategy_interrupts_the_running_run(svc: Services) -> None:
    thread_id = await _thread(svc)
    first = await svc.runs.create(thread_id, _long_countdown())
    await _first(svc, first, "custom")
    second = await svc.runs.create(
        thread_id,
        RunRequest(
            assistant_id="countdown",
            input={"n": 1, "delay": 0},
            multitask_strategy="interrupt",
        ),
    )
    assert (await _outcome(svc, first)).status == "interrupted"
    assert (await _outcome(svc, second)).status == "success"
    assert await _stored_status(svc, first) == "interrupted"
    assert await _thread_status(svc, thread_id) == "idle"


async def test_rollback_strategy_deletes_the_running_run(svc: Services) -> None:
    thread_id = await _thread(svc)
    first = await svc.runs.create(thread_id, _long_countdown())
    await _first(svc, first, "custom")
    second = await svc.runs.create(
        thread_id,
        RunRequest(
            assistant_id="countdown",
            input={"n": 1, "delay": 0},
            multitask_strategy="rollback",
        ),
    )
    assert (await _outcome(svc, second)).status == "success"
    with pytest.raises(NotFound):
        await svc.runs.get(thread_id, first.run_id)
    assert await _checkpoint_run_ids(svc, thread_id) == {second.run_id}


# -- cancel ------------------------------------------------------------------------------------


async def _checkpoint_run_ids(svc: Services, thread_id: str) -> set[str]:
    config = RunnableConfig(configurable={"thread_id": thread_id, "checkpoint_ns": ""})
    return {c.metadata.get("run_id") async for c in svc.storage.checkpoints.saver.alist(config)}


async def test_cancel_pending_run_never_runs_it(svc: Services) -> None:
    thread_id = await _thread(svc)
    running = await svc.runs.create(thread_id, _long_countdown())
    await _first(svc, running, "custom")
    pending = await svc.runs.create(thread_id, _long_countdown())
    assert await _stored_status(svc, pending) == "pending"

    await svc.runs.cancel(thread_id, pending.run_id)
    assert (await _outcome(svc, pending)).status == "interrupted"
    assert await _stored_status(svc, pending) == "interrupted"
    assert "custom" not in [e.event for e in await _events(svc, pending)]
    # the running run is untouched and the thread stays busy
    assert await _stored_status(svc, running) == "running"
    assert await _thread_status(svc, thread_id) == "busy"

    await svc.runs.cancel(thread_id, running.run_id, wait=True)
    assert await _stored_status(svc, running) == "interrupted"
    assert await _thread_status(svc, thread_id) != "busy"
    assert pending.run_id not in await _checkpoint_run_ids(svc, thread_id)


async def test_cancel_running_run(svc: Services) -> None:
    thread_id = await _thread(svc)
    run = await svc.runs.create(thread_id, _long_countdown())
    await _first(svc, run, "custom")
    await svc.runs.cancel(thread_id, run.run_id, action="interrupt")
    outcome = await _outcome(svc, run)
    assert outcome.status == "interrupted"
    assert await _stored_status(svc, run) == "interrupted"
    assert await _thread_status(svc, thread_id) != "busy"


async def test_cancel_as_the_running_status_is_stored_still_ends_the_run(
    svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client sees `running` as soon as it is stored and may cancel before the executor has
    # resumed from that write: the cancel must still end the run (nobody waits forever).
    stored = asyncio.Event()
    resume = asyncio.Event()
    set_status = svc.storage.runs.set_status

    async def slow_set_status(run_id: str, status: Any, *args: Any, **kwargs: Any) -> None:
        await set_status(run_id, status, *args, **kwargs)
        if status == "running":
            stored.set()
            await resume.wait()

    monkeypatch.setattr(svc.storage.runs, "set_status", slow_set_status)
    thread_id = await _thread(svc)
    run = await svc.runs.create(thread_id, _long_countdown())
    await asyncio.wait_for(stored.wait(), WAIT)
    assert await _stored_status(svc, run) == "running"
    await svc.runs.cancel(thread_id, run.run_id, action="interrupt")
    resume.set()
    outcome = await _outcome(svc, run)
    assert outcome.status == "interrupted"
    assert await _stored_status(svc, run) == "interrupted"


async def test_cancel_rollback_removes_run_and_its_checkpoints(svc: Services) -> None:
    thread_id = await _thread(svc)
    done = await svc.runs.create(
        thread_id, RunRequest(assistant_id="countdown", input={"n": 1, "delay": 0})
    )
    before = await _outcome(svc, done)
    assert before.status == "success"
    run = await svc.runs.create(thread_id, _long_countdown())
    await _first(svc, run, "custom")
    assert run.run_id in await _checkpoint_run_ids(svc, thread_id)

    await svc.runs.cancel(thread_id, run.run_id, action="rollback", wait=True)

    assert await svc.storage.runs.get(run.run_id) is None
    with pytest.raises(NotFound):
        await svc.runs.get(thread_id, run.run_id)
    assert await _checkpoint_run_ids(svc, thread_id) == {done.run_id}
    thread = await svc.threads.get(thread_id)
    assert thread.status == "idle"
    state = await svc.threads.get_state(thread_id)
    assert _contents(state["values"]) == ["done"]


async def test_cancel_ended_run_is_not_found(svc: Services) -> None:
    thread_id = await _thread(svc)
    run = await svc.runs.create(thread_id, RunRequest(assistant_id="echo", input=_human("x")))
    await _outcome(svc, run)
    with pytest.raises(NotFound):
        await svc.runs.cancel(thread_id, run.run_id)
    with pytest.raises(NotFound):
        await svc.runs.cancel(thread_id, new_id())


async def test_delete_thread_cancels_its_runs(svc: Services) -> None:
    thread_id = await _thread(svc)
    run = await svc.runs.create(thread_id, _long_countdown())
    await _first(svc, run, "custom")
    await asyncio.wait_for(svc.threads.delete(thread_id), WAIT)
    with pytest.raises(NotFound):
        await svc.threads.get(thread_id)
    assert await svc.storage.runs.get(run.run_id) is None
    assert await _checkpoint_run_ids(svc, thread_id) == set()


# -- crash recovery ----------------------------------------------------------------------------


async def _orphan(make: Callable[..., Any], request: RunRequest) -> tuple[str, Run]:
    """A run that a dead process created and had started: stored `running`, queued nowhere."""
    dead: Services = await make(start=False)
    thread_id = await _thread(dead)
    run = await dead.runs.create(thread_id, request)
    await dead.storage.runs.set_status(run.run_id, "running", at=now())
    return thread_id, run


async def test_recovery_requeues_running_run_without_progress(
    make: Callable[..., Any],
) -> None:
    thread_id, run = await _orphan(make, RunRequest(assistant_id="echo", input=_human("again")))
    svc: Services = await make()
    stored = await svc.storage.runs.get(run.run_id)
    assert stored is not None
    outcome = await _outcome(svc, stored)
    assert outcome.status == "success"
    stored = await svc.storage.runs.get(run.run_id)
    assert stored is not None
    assert stored.status == "success"
    assert stored.attempt == 2
    state = await svc.threads.get_state(thread_id)
    assert _contents(state["values"]) == ["again", "again"]
    assert await _thread_status(svc, thread_id) == "idle"


async def test_recovery_marks_running_run_with_progress_as_error(
    make: Callable[..., Any],
) -> None:
    thread_id, run = await _orphan(make, RunRequest(assistant_id="echo", input=_human("once")))
    # the dead process had got as far as finishing the graph's task
    graph = echo.builder.compile(checkpointer=(await make(start=False)).storage.checkpoints.saver)
    await graph.ainvoke(
        _human("once"),
        RunnableConfig(configurable={"thread_id": thread_id}, metadata={"run_id": run.run_id}),
    )
    svc: Services = await make()
    stored = await svc.storage.runs.get(run.run_id)
    assert stored is not None
    assert stored.status == "error"
    assert stored.attempt == 1
    assert (await _outcome(svc, stored)).status == "error"
    assert await _thread_status(svc, thread_id) == "error"
    assert await svc.storage.runs.with_status("running") == []


async def test_recovery_picks_up_pending_runs(make: Callable[..., Any]) -> None:
    dead: Services = await make(start=False)
    thread_id = await _thread(dead)
    run = await dead.runs.create(thread_id, RunRequest(assistant_id="echo", input=_human("late")))
    svc: Services = await make()
    assert (await _outcome(svc, run)).status == "success"
    assert await _stored_status(svc, run) == "success"


async def _stop_mid_run(make: Callable[..., Any], gate: Gate, thread_id: str | None) -> Run:
    """Start a gate run, stop the server while its node runs, return the run."""
    first: Services = await make()
    if thread_id is None:
        thread_id = await _thread(first)
    run = await first.runs.create(thread_id, RunRequest(assistant_id="gate", input={"n": 0}))
    await asyncio.wait_for(gate.started.wait(), WAIT)
    await first.runs.stop(grace=WAIT)
    assert await _stored_status(first, run) == "running"
    return run


async def test_restart_after_stop_mid_run_reruns_it(make: Callable[..., Any], gate: Gate) -> None:
    run = await _stop_mid_run(make, gate, None)
    gate.release.set()
    svc: Services = await make()
    stored = await svc.storage.runs.get(run.run_id)
    assert stored is not None
    assert (await _outcome(svc, stored)).status == "success"
    stored = await svc.storage.runs.get(run.run_id)
    assert stored is not None and stored.status == "success" and stored.attempt == 2
    state = await svc.threads.get_state(run.thread_id)
    assert state["values"] == {"n": 1}


async def test_restart_after_stop_mid_second_run_on_thread_reruns_it(
    make: Callable[..., Any], gate: Gate
) -> None:
    """Same as above, on a thread that already has a finished run (checkpoint steps continue
    across runs, so the second run's first checkpoint has a step >= 1)."""
    gate.release.set()
    setup: Services = await make()
    thread_id = await _thread(setup)
    earlier = await setup.runs.create(thread_id, RunRequest(assistant_id="gate", input={"n": 0}))
    assert (await _outcome(setup, earlier)).status == "success"
    await setup.runs.stop()
    gate.release.clear()
    gate.started.clear()

    run = await _stop_mid_run(make, gate, thread_id)
    gate.release.set()
    svc: Services = await make()
    stored = await svc.storage.runs.get(run.run_id)
    assert stored is not None
    assert (await _outcome(svc, stored)).status == "success"
    stored = await svc.storage.runs.get(run.run_id)
    assert stored is not None and stored.status == "success" and stored.attempt == 2


async def test_a_cancel_the_broker_swallows_still_ends_the_run(
    svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python 3.11's asyncio.wait_for (inside redis-py's commands) drops a cancel that lands as
    # its inner await completes: the publish returns normally and the run's task goes on. The
    # cancel must still take effect (the run does not count down to the end).
    publishing = asyncio.Event()
    publish = svc.broker.publish
    swallowed: list[bool] = []

    async def swallowing_publish(channel: str, event: str, data: bytes, **kwargs: Any) -> str:
        if event == "custom" and not swallowed:
            publishing.set()
            try:
                await asyncio.sleep(WAIT)
            except asyncio.CancelledError:
                swallowed.append(True)  # and return as if the publish had completed
        return await publish(channel, event, data, **kwargs)

    monkeypatch.setattr(svc.broker, "publish", swallowing_publish)
    thread_id = await _thread(svc)
    run = await svc.runs.create(thread_id, _long_countdown())
    await asyncio.wait_for(publishing.wait(), WAIT)
    await svc.runs.cancel(thread_id, run.run_id, action="interrupt")
    outcome = await _outcome(svc, run)
    assert swallowed == [True]
    assert outcome.status == "interrupted"
    assert await _stored_status(svc, run) == "interrupted"
    assert await _thread_status(svc, thread_id) == "interrupted"


async def test_a_run_cancelled_before_its_task_starts_still_ends(
    svc: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The cancel lands between the task's creation and its first step: its coroutine never
    # runs, so the queue records the run's end itself (nobody waits forever).
    import interop.core.scheduler as scheduler_module

    execute = scheduler_module.execute
    scheduler = svc.runs.scheduler
    cancelled: list[str] = []

    def execute_cancelled_at_once(ports: RunPorts, queue: Any, run: Run) -> Any:
        coroutine = execute(ports, queue, run)

        def cancel_now() -> None:
            # Scheduler.cancel of a run with a task awaits nothing: drive it here, before the
            # task's first step (queued after this callback).
            step = scheduler.cancel(run, "interrupt")
            try:
                step.send(None)
            except StopIteration:
                cancelled.append(run.run_id)
            else:
                raise AssertionError("Scheduler.cancel awaited something")

        asyncio.get_running_loop().call_soon(cancel_now)
        return coroutine

    monkeypatch.setattr(scheduler_module, "execute", execute_cancelled_at_once)
    thread_id = await _thread(svc)
    run = await svc.runs.create(thread_id, _long_countdown())
    outcome = await _outcome(svc, run)
    assert cancelled == [run.run_id]
    assert outcome.status == "interrupted"
    assert await _stored_status(svc, run) == "interrupted"
    assert await _thread_status(svc, thread_id) == "interrupted"


# -- fairness and the queue's bound ------------------------------------------------------------


async def test_one_assistant_never_takes_every_worker(make: Callable[..., Any], gate: Gate) -> None:
    # Four workers: one assistant holds three at most; the fourth serves another assistant's
    # short run at once, while the first one's further runs wait.
    svc: Services = await make(workers=4)
    held = [
        await svc.runs.create(None, RunRequest(assistant_id="gate", input={"n": i}))
        for i in range(5)
    ]
    assert svc.runs.load() == (2, 3)  # (waiting, running)
    short = await svc.runs.create(None, RunRequest(assistant_id="echo", input=_human("hi")))
    assert (await _outcome(svc, short)).status == "success"
    assert svc.runs.load() == (2, 3)
    assert [run.status for run in held[3:]] == ["pending", "pending"]
    gate.release.set()
    assert [(await _outcome(svc, run)).status for run in held] == ["success"] * 5
    assert gate.entered == 5


async def test_ready_runs_of_assistants_take_turns(make: Callable[..., Any], gate: Gate) -> None:
    # One worker, held by a gate run: three runs of one assistant then one of another wait.
    # They start by turns (a1, b1, a2, a3), not in arrival order (a1, a2, a3, b1).
    svc: Services = await make(workers=1)
    started: list[str] = []
    all_started = asyncio.Event()

    async def on_run(run: Run, outcome: RunOutcome | None) -> None:
        if outcome is None:
            started.append(run.run_id)
            if len(started) == 5:
                all_started.set()

    svc.runs.add_listener(on_run)
    other = await svc.assistants.create(graph_id="echo", name="other echo")
    blocker = await svc.runs.create(None, RunRequest(assistant_id="gate", input={"n": 0}))
    await asyncio.wait_for(gate.started.wait(), WAIT)
    a = [
        await svc.runs.create(None, RunRequest(assistant_id="echo", input=_human(f"a{i}")))
        for i in range(3)
    ]
    b = await svc.runs.create(None, RunRequest(assistant_id=other.assistant_id, input=_human("b")))
    gate.release.set()
    for run in [blocker, *a, b]:
        assert (await _outcome(svc, run)).status == "success"
    await asyncio.wait_for(all_started.wait(), WAIT)
    expected = [blocker, a[0], b, a[1], a[2]]
    assert started == [run.run_id for run in expected]


async def test_turns_keep_each_threads_order(make: Callable[..., Any], gate: Gate) -> None:
    # Runs of one thread, from two assistants, still execute one at a time in creation order.
    svc: Services = await make(workers=4)
    other = await svc.assistants.create(graph_id="echo", name="other echo")
    thread_id = await _thread(svc)
    runs = [
        await svc.runs.create(
            thread_id,
            RunRequest(assistant_id=assistant, input=_human(text)),
        )
        for assistant, text in (
            ("echo", "one"),
            (other.assistant_id, "two"),
            ("echo", "three"),
            (other.assistant_id, "four"),
        )
    ]
    assert [(await _outcome(svc, run)).status for run in runs] == ["success"] * 4
    state = await svc.threads.get_state(thread_id)
    assert _contents(state["values"]) == [
        t for t in ("one", "two", "three", "four") for _ in (1, 2)
    ]


async def test_a_full_queue_refuses_new_runs_until_it_drains(
    make: Callable[..., Any], gate: Gate
) -> None:
    svc: Services = await make(workers=1, max_waiting=2)
    blocker = await svc.runs.create(None, RunRequest(assistant_id="gate", input={"n": 0}))
    await asyncio.wait_for(gate.started.wait(), WAIT)
    thread_id = await _thread(svc)
    waiting = [
        await svc.runs.create(thread_id, RunRequest(assistant_id="echo", input=_human(text)))
        for text in ("one", "two")
    ]
    with pytest.raises(Unavailable):
        await svc.runs.create(None, RunRequest(assistant_id="echo", input=_human("three")))
    with pytest.raises(Unavailable):
        await svc.runs.create(thread_id, RunRequest(assistant_id="echo", input=_human("three")))
    # A cancelled waiting run frees its place.
    await svc.runs.cancel(thread_id, waiting[1].run_id)
    third = await svc.runs.create(None, RunRequest(assistant_id="echo", input=_human("three")))
    gate.release.set()
    for run in (blocker, waiting[0], third):
        assert (await _outcome(svc, run)).status == "success"
    again = await svc.runs.create(None, RunRequest(assistant_id="echo", input=_human("four")))
    assert (await _outcome(svc, again)).status == "success"


async def test_a_delayed_run_waits_its_time_then_takes_its_turn(make: Callable[..., Any]) -> None:
    svc: Services = await make(workers=1)
    thread_id = await _thread(svc)
    late = await svc.runs.create(
        thread_id, RunRequest(assistant_id="echo", input=_human("late"), after_seconds=0.3)
    )
    early = await svc.runs.create(None, RunRequest(assistant_id="echo", input=_human("early")))
    assert (await _outcome(svc, early)).status == "success"
    assert (await _outcome(svc, late)).status == "success"
    assert late.updated_at is not None
    assert (late.updated_at - late.created_at).total_seconds() >= 0.3
