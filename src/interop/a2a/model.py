"""Version-neutral A2A records: what the handler reads and writes. Codecs map them to the wire.

States use the 0.3 spelling (`input-required`); the 1.0 codec writes `TASK_STATE_INPUT_REQUIRED`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

TaskState = Literal[
    "submitted",
    "working",
    "input-required",
    "auth-required",
    "completed",
    "canceled",
    "failed",
    "rejected",
]
TERMINAL_STATES: frozenset[str] = frozenset({"completed", "canceled", "failed", "rejected"})
INTERRUPTED_STATES: frozenset[str] = frozenset({"input-required", "auth-required"})
Role = Literal["user", "agent"]


@dataclass(slots=True)
class Part:
    """One part: exactly one of `text`, `raw` (bytes), `url`, `data` is set."""

    text: str | None = None
    raw: bytes | None = None
    url: str | None = None
    data: Any = None
    is_data: bool = False
    media_type: str | None = None
    filename: str | None = None
    metadata: dict[str, Any] | None = None


@dataclass(slots=True)
class Message:
    message_id: str
    role: Role
    parts: list[Part]
    context_id: str | None = None
    task_id: str | None = None
    metadata: dict[str, Any] | None = None
    extensions: list[str] = field(default_factory=list)
    reference_task_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Artifact:
    artifact_id: str
    parts: list[Part]
    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None


@dataclass(slots=True)
class TaskStatus:
    state: TaskState
    message: Message | None = None
    timestamp: str | None = None


@dataclass(slots=True)
class Task:
    id: str
    context_id: str
    status: TaskStatus
    artifacts: list[Artifact] = field(default_factory=list)
    history: list[Message] = field(default_factory=list)
    metadata: dict[str, Any] | None = None


@dataclass(slots=True)
class StatusUpdate:
    task_id: str
    context_id: str
    status: TaskStatus
    final: bool = False
    metadata: dict[str, Any] | None = None


@dataclass(slots=True)
class ArtifactUpdate:
    task_id: str
    context_id: str
    artifact: Artifact
    append: bool = False
    last_chunk: bool = False
    metadata: dict[str, Any] | None = None


Event = Task | Message | StatusUpdate | ArtifactUpdate


@dataclass(slots=True)
class PushConfig:
    """A push notification config of one task; `version` is the protocol it was set with (the
    payload is sent in that version's shape)."""

    id: str
    task_id: str
    url: str
    token: str | None = None
    auth_scheme: str | None = None
    auth_credentials: str | None = None
    version: str = "1.0"


# -- requests -----------------------------------------------------------------------------------


@dataclass(slots=True)
class SendParams:
    message: Message
    accepted_output_modes: list[str] | None = None
    history_length: int | None = None
    return_immediately: bool = False
    push_config: PushConfig | None = None
    metadata: dict[str, Any] | None = None


@dataclass(slots=True)
class GetTaskParams:
    id: str
    history_length: int | None = None


@dataclass(slots=True)
class ListTasksParams:
    context_id: str | None = None
    status: TaskState | None = None
    page_size: int = 50
    page_token: str | None = None
    history_length: int | None = None
    include_artifacts: bool = False
    status_timestamp_after: str | None = None


@dataclass(slots=True)
class TaskList:
    tasks: list[Task]
    next_page_token: str
    page_size: int
    total_size: int


@dataclass(slots=True)
class PushConfigRef:
    task_id: str
    config_id: str | None = None
