"""What run execution gets from the rest of the core, handed over explicitly.

The executor, the outcome recorder and the scheduler depend on these small interfaces, never
on the services: RunService builds on the scheduler, the scheduler on the executor, and
nothing points back (no import cycles inside the core).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from langgraph.checkpoint.memory import InMemorySaver

from interop.core.events import EventBroker
from interop.core.graphs import GraphEntry
from interop.core.models import Run, RunOutcome
from interop.core.storage import RunFence, Storage

log = logging.getLogger("interop.runs")

RunListener = Callable[[Run, RunOutcome | None], Awaitable[None]]


class RunListeners:
    """Who hears that a run started (outcome None) or ended. Each call runs in its own task: a
    slow or failing listener never delays a run; its failures are logged."""

    def __init__(self) -> None:
        self._listeners: list[RunListener] = []
        self._pending: set[asyncio.Task[None]] = set()

    def add(self, listener: RunListener) -> None:
        self._listeners.append(listener)

    def notify(self, run: Run, outcome: RunOutcome | None) -> None:
        for listener in self._listeners:
            task = asyncio.get_running_loop().create_task(self._call(listener, run, outcome))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    @staticmethod
    async def _call(listener: RunListener, run: Run, outcome: RunOutcome | None) -> None:
        try:
            await listener(run, outcome)
        except Exception:  # a listener's failure must not reach the run (logged)
            log.exception("run listener %r failed for run %s", listener, run.run_id)


@dataclass(slots=True)
class RunPorts:
    """The collaborators every step of a run uses."""

    storage: Storage
    broker: EventBroker
    graph: Callable[[str], GraphEntry]
    """The loaded graph of a graph id (raises NotFound)."""
    run_timeout: float
    listeners: RunListeners = field(default_factory=RunListeners)
    ephemeral_saver: InMemorySaver = field(default_factory=InMemorySaver)
    """Checkpoints of temporary (stateless, on_completion=delete) runs: they never touch disk."""
    local_broker: EventBroker | None = None
    """The events of temporary runs, when `broker` is shared by processes: such a run lives in
    this process alone (no other process can find it), so its events need not cross the
    network. None: they go through `broker` like any run's."""

    def events(self, run: Run) -> EventBroker:
        """The broker of `run`'s event channel (decided once per run: a `persist_at_end` run
        stays temporary until its end)."""
        if run.temporary and self.local_broker is not None:
            return self.local_broker
        return self.broker


class RunQueue(Protocol):
    """What a run's execution and ending ask of the queue that scheduled it."""

    def cancel_reason(self, run_id: str) -> str | None:
        """Why the run's task was cancelled (an action, or `shutdown`); None when not by us."""

    async def thread_has_queued_after(self, run: Run) -> bool:
        """True when another run of `run`'s thread will still start or go on (one queued here;
        with a queue shared by processes, one pending or running in storage)."""

    def fence(self, run: Run) -> RunFence | None:
        """The condition the run's storage writes carry: ("running", attempt) for a run held
        under a lease (writes are refused once it is lost); None for a run of this process
        alone (it is set `running` by the executor)."""


class ThreadRunCanceller(Protocol):
    """What ThreadService needs to delete a thread: its runs cancelled first."""

    async def cancel_thread_runs(self, thread_id: str) -> None:
        """Cancel the thread's pending and running runs and wait until they have ended."""
