"""Wire models of the REST API (request bodies, and response shapes for the OpenAPI document)."""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    WithJsonSchema,
    model_validator,
)

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

# Bounds of every number the API takes (422 past them; /openapi.json declares them). Past these a
# request is a mistake or an attack: a run delayed for years, an offset SQLite cannot bind.
MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1
MAX_AFTER_SECONDS = 7 * 24 * 3600.0  # a delayed run starts within a week
MAX_RECURSION_LIMIT = 10_000
MAX_VERSION = 2**31 - 1


def integral(value: Any) -> Any:
    # JSON Schema counts 10.0 as an integer; strict validation would not.
    return int(value) if isinstance(value, float) and value.is_integer() else value


# Integers in bounds; an integral float (10.0) counts (the bounds first, so the schema has them).
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT), BeforeValidator(integral)]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET), BeforeValidator(integral)]
RecursionLimit = Annotated[int, Field(ge=1, le=MAX_RECURSION_LIMIT), BeforeValidator(integral)]
Version = Annotated[int, Field(ge=1, le=MAX_VERSION), BeforeValidator(integral)]

# Query parameters by name: their schema (also what `routing.query_int` enforces).
QUERY_SCHEMAS: dict[str, dict[str, Any]] = {
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10},
    "offset": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
    # GET /threads/{thread_id}/stream: end the stream after this many seconds (else it stays
    # open until the client leaves, as in the reference server).
    "timeout": {"type": "integer", "minimum": 1, "maximum": 24 * 3600},
    "xray": {"anyOf": [{"type": "boolean"}, {"type": "integer", "minimum": 0}]},
    "action": {"type": "string", "enum": ["interrupt", "rollback"], "default": "interrupt"},
    "status": {
        "type": "string",
        "enum": ["pending", "running", "error", "success", "timeout", "interrupted"],
    },
}

# Path parameters the server requires to be UUIDs (assistant ids may also be graph names).
UUID_PATH_PARAMS = frozenset({"thread_id", "run_id", "cron_id"})


def _uuid(value: str) -> str:
    if not is_uuid(value):
        raise ValueError("must be a UUID")
    return value


UUIDStr = Annotated[
    str, AfterValidator(_uuid), WithJsonSchema({"type": "string", "format": "uuid"})
]


class Body(BaseModel):
    # strict: a JSON value of the wrong type (`"5"` or `5.0` for an integer, `0` for a boolean)
    # is refused, as /openapi.json declares, rather than coerced.
    model_config = ConfigDict(extra="ignore", strict=True)
    # True: the body may be left out (means `{}`); /openapi.json then marks it not required.
    optional: ClassVar[bool] = False


class OptionalBody(Body):
    optional: ClassVar[bool] = True


class Config(Body):
    tags: list[str] | None = None
    recursion_limit: RecursionLimit | None = None
    configurable: Json | None = None
    model_config = ConfigDict(extra="allow", strict=True)


class AssistantCreate(Body):
    assistant_id: UUIDStr | None = None
    graph_id: str
    config: Json | None = None
    context: Json | None = None
    metadata: Json | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"
    name: str | None = None
    description: str | None = None


class AssistantPatch(OptionalBody):
    graph_id: str | None = None
    config: Json | None = None
    context: Json | None = None
    metadata: Json | None = None
    name: str | None = None
    description: str | None = None


class AssistantSearch(OptionalBody):
    metadata: Json | None = None
    graph_id: str | None = None
    name: str | None = None
    limit: Limit = 10
    offset: Offset = 0
    sort_by: Literal["assistant_id", "created_at", "updated_at", "name", "graph_id"] | None = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None


class AssistantCount(OptionalBody):
    metadata: Json | None = None
    graph_id: str | None = None
    name: str | None = None


class AssistantVersionsSearch(OptionalBody):
    metadata: Json | None = None
    limit: Limit = 10
    offset: Offset = 0


class AssistantLatest(Body):
    version: Version


class SuperstepUpdate(Body):
    values: Any = None
    command: Json | None = None
    as_node: str


class Superstep(Body):
    updates: list[SuperstepUpdate]


class ThreadTtl(Body):
    """A thread's time to live: `ttl` minutes after its last update, then `strategy`."""

    model_config = ConfigDict(extra="forbid", strict=True)
    strategy: Literal["delete", "keep_latest"] = "delete"
    ttl: float = Field(gt=0, le=5_256_000)  # minutes: at most ten years


class ThreadCreate(OptionalBody):
    thread_id: UUIDStr | None = None
    metadata: Json | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"
    ttl: ThreadTtl | None = None
    supersteps: list[Superstep] | None = None


class ThreadPatch(OptionalBody):
    metadata: Json | None = None
    ttl: ThreadTtl | None = None


class ThreadSearch(OptionalBody):
    ids: list[str] | None = None
    metadata: Json | None = None
    values: Json | None = None
    status: Literal["idle", "busy", "interrupted", "error"] | None = None
    limit: Limit = 10
    offset: Offset = 0
    sort_by: (
        Literal["thread_id", "status", "created_at", "updated_at", "state_updated_at"] | None
    ) = None
    sort_order: Literal["asc", "desc"] | None = None
    select: list[str] | None = None


class ThreadCount(OptionalBody):
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


def _checkpoint_filter(value: Json | None) -> Json | None:
    # The checkpointer reads each key as a JSON path step: only plain names filter correctly.
    if value is not None and not all(_FILTER_KEY.fullmatch(key) for key in value):
        raise ValueError("metadata filter keys must be names of letters, digits, '_' and '-'")
    return value


_FILTER_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")
CheckpointFilter = Annotated[
    Json | None,
    AfterValidator(_checkpoint_filter),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "object", "propertyNames": {"pattern": f"^{_FILTER_KEY.pattern}$"}},
                {"type": "null"},
            ]
        }
    ),
]


class ThreadHistory(OptionalBody):
    limit: Limit = 10
    before: CheckpointConfig | str | None = None
    metadata: CheckpointFilter = None
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
    after_seconds: float | None = Field(None, ge=0, le=MAX_AFTER_SECONDS)
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


class RunBatch(RootModel[Annotated[list[RunCreateStateless], Field(min_length=1)]]):
    """The body of POST /runs/batch (documentation: the route validates each run itself)."""


class RunsCancel(Body):
    """Either `status`, or `thread_id` with `run_ids` (the route checks it; declared here)."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["status"], "properties": {"status": {"type": "string"}}},
                {
                    "required": ["thread_id", "run_ids"],
                    "properties": {
                        "thread_id": {"type": "string", "minLength": 1},
                        "run_ids": {"type": "array", "minItems": 1},
                    },
                },
            ]
        }
    )

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
