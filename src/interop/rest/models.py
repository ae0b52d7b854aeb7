"""Wire models of the REST API (request bodies, and response shapes for the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from interop.core.ids import is_uuid

StreamMode = Literal[
    "values",
    "messages",
    "messages-tuple",
    "tasks",
    "checkpoints",
    "updates",
    "events",
    "debug",
    "custom",
]
Json = dict[str, Any]


def _uuid(value: str) -> str:
    if not is_uuid(value):
        raise ValueError("must be a UUID")
    return value


UUIDStr = Annotated[str, AfterValidator(_uuid)]


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Config(Body):
    tags: list[str] | None = None
    recursion_limit: int | None = None
    configurable: Json | None = None
    model_config = ConfigDict(extra="allow")


class AssistantCreate(Body):
    assistant_id: UUIDStr | None = None
    graph_id: str
    config: Json | None = None
    context: Json | None = None
    metadata: Json | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"
    name: str | None = None
    description: str | None = None


class AssistantPatch(Body):
    graph_id: str | None = None
    config: Json | None = None
    context: Json | None = None
    metadata: Json | None = None
    name: str | None = None
    description: str | None = None


class AssistantSearch(Body):
    metadata: Json | None = None
    graph_id: str | None = None
    name: str | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0)
    sort_by: Literal["assistant_id", "created_at", "updated_at", "name", "graph_id"] | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None


class AssistantCount(Body):
    metadata: Json | None = None
    graph_id: str | None = None
    name: str | None = None


class AssistantVersionsSearch(Body):
    metadata: Json | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0)


class AssistantLatest(Body):
    version: int


class SuperstepUpdate(Body):
    values: Any = None
    command: Json | None = None
    as_node: str


class Superstep(Body):
    updates: list[SuperstepUpdate]


class ThreadCreate(Body):
    thread_id: UUIDStr | None = None
    metadata: Json | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"
    ttl: Json | None = None
    supersteps: list[Superstep] | None = None


class ThreadPatch(Body):
    metadata: Json | None = None
    ttl: Json | None = None


class ThreadSearch(Body):
    ids: list[str] | None = None
    metadata: Json | None = None
    values: Json | None = None
    status: Literal["idle", "busy", "interrupted", "error"] | None = None
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0)
    sort_by: (
        Literal["thread_id", "status", "created_at", "updated_at", "state_updated_at"] | None
    ) = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None


class ThreadCount(Body):
    metadata: Json | None = None
    values: Json | None = None
    status: Literal["idle", "busy", "interrupted", "error"] | None = None


class ThreadPrune(Body):
    thread_ids: list[str]
    strategy: Literal["delete", "keep_latest"] = "delete"


class CheckpointConfig(Body):
    thread_id: str | None = None
    checkpoint_ns: str | None = None
    checkpoint_id: str | None = None
    checkpoint_map: Json | None = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap(cls, data: Any) -> Any:
        """Accept a RunnableConfig (`{"configurable": {...}}`) too, as clients send both."""
        if isinstance(data, dict) and isinstance(data.get("configurable"), dict):
            return {
                **data["configurable"],
                **{k: v for k, v in data.items() if k != "configurable"},
            }
        return data


class ThreadStateUpdate(Body):
    values: Any = None
    checkpoint: CheckpointConfig | None = None
    checkpoint_id: str | None = None
    as_node: str | None = None


class ThreadStateCheckpoint(Body):
    checkpoint: CheckpointConfig
    subgraphs: bool = False


class ThreadHistory(Body):
    limit: int = Field(10, ge=1, le=1000)
    before: CheckpointConfig | str | None = None
    metadata: Json | None = None
    checkpoint: CheckpointConfig | None = None


class SendModel(Body):
    node: str
    input: Any = None


class CommandModel(Body):
    update: Json | list[Any] | None = None
    resume: Any = None
    goto: SendModel | list[SendModel | str] | str | None = None


class RunCreateBase(Body):
    assistant_id: str
    input: Any = None
    command: CommandModel | None = None
    metadata: Json | None = None
    config: Config | None = None
    context: Json | None = None
    webhook: str | None = None
    stream_mode: list[StreamMode] | StreamMode = "values"
    stream_subgraphs: bool = False
    stream_resumable: bool = False
    feedback_keys: list[str] | None = None
    on_disconnect: Literal["cancel", "continue"] = "continue"
    after_seconds: float | None = Field(None, ge=0)
    checkpoint_during: bool | None = None
    durability: Literal["sync", "async", "exit"] | None = None
    interrupt_before: Literal["*"] | list[str] | None = None
    interrupt_after: Literal["*"] | list[str] | None = None


class RunCreateStateful(RunCreateBase):
    checkpoint: CheckpointConfig | None = None
    checkpoint_id: str | None = None
    multitask_strategy: Literal["reject", "rollback", "interrupt", "enqueue"] = "enqueue"
    if_not_exists: Literal["create", "reject"] = "reject"


class RunCreateStateless(RunCreateBase):
    on_completion: Literal["delete", "keep"] = "delete"


class RunsCancel(Body):
    status: Literal["pending", "running", "all"] | None = None
    thread_id: str | None = None
    run_ids: list[str] | None = None


# -- response shapes (documentation only) --------------------------------------------------


class Assistant(BaseModel):
    assistant_id: str
    graph_id: str
    config: Json
    context: Json
    created_at: str
    updated_at: str
    metadata: Json
    version: int
    name: str
    description: str | None = None


class Thread(BaseModel):
    thread_id: str
    created_at: str
    updated_at: str
    state_updated_at: str | None = None
    metadata: Json
    config: Json
    status: Literal["idle", "busy", "interrupted", "error"]
    values: Json | None = None
    interrupts: Json


class Run(BaseModel):
    run_id: str
    thread_id: str
    assistant_id: str
    created_at: str
    updated_at: str
    status: Literal["pending", "running", "error", "success", "timeout", "interrupted"]
    metadata: Json
    kwargs: Json
    multitask_strategy: Literal["reject", "rollback", "interrupt", "enqueue"]


class ThreadState(BaseModel):
    values: Json | list[Any]
    next: list[str]
    tasks: list[Json]
    checkpoint: Json | None
    metadata: Json | None
    created_at: str | None
    parent_checkpoint: Json | None
    interrupts: list[Json]


class ErrorResponse(BaseModel):
    detail: Any
