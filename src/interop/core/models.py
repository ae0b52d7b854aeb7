"""Domain records of the core. Plain dataclasses: cheap to build, no wire concerns.

Adapters turn these into their own wire models; storage persists them field by field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

RunStatus = Literal["pending", "running", "success", "error", "timeout", "interrupted"]
ThreadStatus = Literal["idle", "busy", "interrupted", "error"]
MultitaskStrategy = Literal["reject", "rollback", "interrupt", "enqueue"]
IfNotExists = Literal["create", "reject"]
OnCompletion = Literal["delete", "keep"]
OnDisconnect = Literal["cancel", "continue"]
CancelAction = Literal["interrupt", "rollback"]

STREAM_MODES = (
    "values",
    "updates",
    "messages",
    "messages-tuple",
    "custom",
    "events",
    "debug",
    "tasks",
    "checkpoints",
)
TERMINAL_RUN_STATUSES = frozenset({"success", "error", "timeout", "interrupted"})


@dataclass(slots=True)
class Assistant:
    assistant_id: str
    graph_id: str
    config: dict[str, Any]
    context: dict[str, Any]
    metadata: dict[str, Any]
    name: str
    description: str | None
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class Thread:
    thread_id: str
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any]
    status: ThreadStatus = "idle"
    config: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] | None = None
    interrupts: dict[str, Any] = field(default_factory=dict)
    state_updated_at: datetime | None = None
    error: dict[str, Any] | None = None


@dataclass(slots=True)
class Run:
    run_id: str
    thread_id: str
    assistant_id: str
    created_at: datetime
    updated_at: datetime
    status: RunStatus
    metadata: dict[str, Any]
    kwargs: dict[str, Any]
    multitask_strategy: MultitaskStrategy
    attempt: int = 1
    temporary: bool = False

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_RUN_STATUSES


@dataclass(slots=True)
class RunRequest:
    """What a caller asks for when it creates a run (already validated by the adapter)."""

    assistant_id: str
    input: Any = None
    command: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    webhook: str | None = None
    interrupt_before: list[str] | Literal["*"] | None = None
    interrupt_after: list[str] | Literal["*"] | None = None
    stream_mode: list[str] = field(default_factory=lambda: ["values"])
    stream_subgraphs: bool = False
    stream_resumable: bool = False
    feedback_keys: list[str] | None = None
    multitask_strategy: MultitaskStrategy = "enqueue"
    if_not_exists: IfNotExists = "reject"
    on_disconnect: OnDisconnect = "continue"
    on_completion: OnCompletion = "delete"
    after_seconds: float | None = None
    durability: Literal["sync", "async", "exit"] | None = None


@dataclass(slots=True)
class RunOutcome:
    """How a run ended, as every waiter sees it."""

    status: RunStatus
    values: Any = None
    interrupts: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, str] | None = None


@dataclass(slots=True)
class StreamEvent:
    """One event of a run's stream: id `<ms>-<seq>`, event name, JSON-encoded data."""

    id: str
    event: str
    data: bytes


@dataclass(slots=True)
class Cron:
    """A schedule that creates a run at every slot. `thread_id` None: a stateless cron, each
    firing on a new thread (kept or deleted after the run by `on_run_completed`).
    `next_run_date` None: the cron has no slot left (its end time passed)."""

    cron_id: str
    assistant_id: str
    thread_id: str | None
    user_id: str | None
    schedule: str
    timezone: str | None
    end_time: datetime | None
    next_run_date: datetime | None
    on_run_completed: OnCompletion | None
    payload: dict[str, Any]
    metadata: dict[str, Any]
    enabled: bool
    created_at: datetime
    updated_at: datetime
