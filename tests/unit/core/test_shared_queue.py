"""interop.core.shared_queue: two schedulers (standing for two processes) on one database and
one broker. A lost lease stops the run with nothing written; a cancel at either scheduler reaches
the run the other executes; a pending run is ended in storage by whichever is asked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph

from interop.brokers.memory import InProcessBroker
from interop.core.assistants import AssistantService
from interop.core.graphs import BUNDLED_CONFIG, GraphEntry, load_graphs, read_config
from interop.core.ids import now
from interop.core.models import RunRequest
from interop.core.ports import RunPorts
from interop.core.runs import RunService
from interop.core.shared_queue import SharedScheduler
from interop.core.storage import Storage
from interop.core.threads import ThreadService

WAIT = 15.0
LEASE = 0.6  # seconds: renewed every 0.2 s


class _GateState(TypedDict, total=False):
    n: int


@dataclass
class Gate:
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


@dataclass
class Process:
    scheduler: SharedScheduler
    threads: ThreadService
    runs: RunService


@pytest.fixture
async def processes(storage: Storage) -> AsyncIterator[tuple[Gate, list[Process]]]:
    gate = Gate()
    graphs = load_graphs(read_config(BUNDLED_CONFIG))
    graphs["gate"] = GraphEntry(graph_id="gate", spec="test:gate", graph=gate.graph())
    broker = InProcessBroker()  # one broker for both: signals reach either
    made: list[Process] = []
    for _ in range(2):
        assistants = AssistantService(storage, graphs)
        ports = RunPorts(storage, broker, assistants.graph, run_timeout=60.0)
        scheduler = SharedScheduler(ports, workers=4, lease=LEASE, poll=LEASE / 2)
        threads = ThreadService(storage, assistants, scheduler)
        runs = RunService(scheduler, assistants, threads)
        await assistants.ensure_system_assistants()
        await runs.start()
        made.append(Process(scheduler, threads, runs))
    try:
        yield gate, made
    finally:
        gate.release.set()
        for process in made:
            await process.runs.stop(grace=2.0)


def _holder(processes: list[Process], run_id: str) -> int:
    held = [i for i, p in enumerate(processes) if p.scheduler.tracked(run_id) is not None]
    assert len(held) == 1, held
    return held[0]


async def test_a_lost_lease_stops_the_run_with_nothing_written(
    processes: tuple[Gate, list[Process]], storage: Storage, until: Callable[..., Any]
) -> None:
    gate, made = processes
    thread_id = (await made[0].threads.create()).thread_id
    run = await made[0].runs.create(thread_id, RunRequest(assistant_id="gate", input={"n": 1}))
    await asyncio.wait_for(gate.started.wait(), WAIT)
    holder = made[_holder(made, run.run_id)].scheduler
    held = holder.tracked(run.run_id)
    assert held is not None and held.attempt == 1
    # Another claimer that believes the lease expired (its clock ahead) takes the run.
    ahead = now() + timedelta(seconds=60)
    (stolen,) = await storage.runs.claim("thief", at=ahead, until=ahead, limit=1)
    assert stolen.attempt == 2
    # The holder's next renewal fails: it stops the run, and writes nothing for it.
    await until(lambda: holder.tracked(run.run_id) is None, within=WAIT)
    stored = await storage.runs.get(run.run_id)
    assert stored is not None and stored.status == "running" and stored.attempt == 2
    thread = await storage.threads.get(thread_id)
    assert thread is not None and thread.status == "busy"
    # a write of the old holder's attempt is refused
    assert not await storage.runs.set_status(run.run_id, "success", at=now(), expect=("running", 1))


async def test_a_cancel_at_either_scheduler_reaches_the_run(
    processes: tuple[Gate, list[Process]], storage: Storage
) -> None:
    gate, made = processes
    thread_id = (await made[0].threads.create()).thread_id
    run = await made[0].runs.create(thread_id, RunRequest(assistant_id="gate", input={"n": 1}))
    await asyncio.wait_for(gate.started.wait(), WAIT)
    other = made[1 - _holder(made, run.run_id)]
    await asyncio.wait_for(other.runs.cancel(thread_id, run.run_id, wait=True), WAIT)
    stored = await storage.runs.get(run.run_id)
    assert stored is not None and stored.status == "interrupted"
    assert gate.entered == 1


async def test_a_pending_run_is_ended_in_storage_by_either(
    processes: tuple[Gate, list[Process]], storage: Storage
) -> None:
    gate, made = processes
    thread_id = (await made[0].threads.create()).thread_id
    first = await made[0].runs.create(thread_id, RunRequest(assistant_id="gate", input={"n": 1}))
    await asyncio.wait_for(gate.started.wait(), WAIT)
    queued = await made[0].runs.create(
        thread_id, RunRequest(assistant_id="gate", input={"n": 5}, multitask_strategy="enqueue")
    )
    await asyncio.wait_for(made[1].runs.cancel(thread_id, queued.run_id, wait=True), WAIT)
    stored = await storage.runs.get(queued.run_id)
    assert stored is not None and stored.status == "interrupted" and stored.attempt == 1
    gate.release.set()
    outcome = await asyncio.wait_for(made[1].runs.wait(first), WAIT)
    assert outcome.status == "success"
    assert gate.entered == 1  # the cancelled run never ran
    thread = await storage.threads.get(thread_id)
    assert thread is not None and thread.status == "idle"
