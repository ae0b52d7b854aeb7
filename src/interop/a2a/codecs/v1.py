"""The A2A 1.0 codec: ProtoJSON wire (camelCase fields, SCREAMING_SNAKE enums, `oneof` wrappers
such as `{"task": ...}`), PascalCase JSON-RPC methods."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, JsonValue, model_validator

from interop.a2a import wire as w
from interop.a2a.errors import InvalidParams
from interop.a2a.model import (
    Artifact,
    Event,
    GetTaskParams,
    ListTasksParams,
    Message,
    Part,
    PushConfig,
    PushConfigRef,
    SendParams,
    StatusUpdate,
    Task,
    TaskList,
    TaskState,
    TaskStatus,
)
from interop.a2a.wire import Wire, compact, validate

VERSION = "1.0"

STATE_TO_WIRE: dict[str, str] = {
    "submitted": "TASK_STATE_SUBMITTED",
    "working": "TASK_STATE_WORKING",
    "input-required": "TASK_STATE_INPUT_REQUIRED",
    "auth-required": "TASK_STATE_AUTH_REQUIRED",
    "completed": "TASK_STATE_COMPLETED",
    "canceled": "TASK_STATE_CANCELED",
    "failed": "TASK_STATE_FAILED",
    "rejected": "TASK_STATE_REJECTED",
}
STATE_FROM_WIRE: dict[str, TaskState] = {v: k for k, v in STATE_TO_WIRE.items()}  # type: ignore[misc]
# The proto's TaskState numbers (1 .. 8), which ProtoJSON parsers accept for the names.
STATE_NUMBERS = (
    "",
    *(
        STATE_TO_WIRE[k]
        for k in (
            "submitted",
            "working",
            "completed",
            "failed",
            "canceled",
            "input-required",
            "rejected",
            "auth-required",
        )
    ),
)
ROLE_FROM_WIRE = {"ROLE_USER": "user", "ROLE_AGENT": "agent", 1: "user", 2: "agent"}


# -- wire models (requests) ---------------------------------------------------------------------


class PartV1(Wire):
    text: str | None = None
    raw: str | None = None
    url: str | None = None
    data: JsonValue = None
    metadata: dict[str, Any] | None = None
    filename: str | None = None
    media_type: str | None = None
    has_data: bool = Field(default=False, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _content(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        present = [k for k in ("text", "raw", "url", "data") if value.get(k) is not None]
        if len(present) != 1:
            raise ValueError("a part holds exactly one of text, raw, url, data")
        return {**value, "has_data": "data" in present}


class MessageV1(Wire):
    message_id: str = Field(min_length=1)
    role: Literal["ROLE_USER", "ROLE_AGENT", 1, 2]
    parts: list[PartV1] = Field(min_length=1)
    context_id: str | None = None
    task_id: str | None = None
    metadata: dict[str, Any] | None = None
    extensions: list[str] = Field(default_factory=list)
    reference_task_ids: list[str] = Field(default_factory=list)


class AuthenticationV1(Wire):
    scheme: str
    credentials: str | None = None


class PushConfigV1(Wire):
    url: str = Field(min_length=1)
    id: str | None = None
    task_id: str | None = None
    token: str | None = None
    authentication: AuthenticationV1 | None = None
    tenant: str | None = None


class ConfigurationV1(Wire):
    accepted_output_modes: list[str] | None = None
    task_push_notification_config: PushConfigV1 | None = None
    history_length: int | None = Field(default=None, ge=0)
    return_immediately: bool = False


class SendMessageRequestV1(Wire):
    message: MessageV1
    configuration: ConfigurationV1 | None = None
    metadata: dict[str, Any] | None = None
    tenant: str | None = None


class GetTaskRequestV1(Wire):
    id: str = Field(min_length=1)
    history_length: int | None = Field(default=None, ge=0)
    tenant: str | None = None


class ListTasksRequestV1(Wire):
    context_id: str | None = None
    status: str | int | None = None
    page_size: int | None = Field(default=None, ge=1, le=100)
    page_token: str | None = None
    history_length: int | None = Field(default=None, ge=0)
    status_timestamp_after: str | None = None
    include_artifacts: bool | None = None
    tenant: str | None = None


class TaskIdRequestV1(Wire):
    id: str = Field(min_length=1)
    tenant: str | None = None


class PushConfigRefV1(Wire):
    task_id: str = Field(min_length=1)
    id: str | None = None
    tenant: str | None = None


class PushConfigRefRequiredV1(PushConfigRefV1):
    id: str = Field(min_length=1)


# -- decode ---------------------------------------------------------------------------------------


def _part(part: PartV1, index: str) -> Part:
    raw = w.b64decode(part.raw, f"{index}.raw") if part.raw is not None else None
    return Part(
        text=part.text,
        raw=raw,
        url=part.url,
        data=part.data,
        is_data=part.has_data,
        media_type=part.media_type,
        filename=part.filename,
        metadata=part.metadata,
    )


def _message(message: MessageV1) -> Message:
    return Message(
        message_id=message.message_id,
        role=ROLE_FROM_WIRE[message.role],  # type: ignore[arg-type]
        parts=[_part(p, f"message.parts.{i}") for i, p in enumerate(message.parts)],
        context_id=message.context_id or None,
        task_id=message.task_id or None,
        metadata=message.metadata,
        extensions=list(message.extensions),
        reference_task_ids=list(message.reference_task_ids),
    )


def _push(config: PushConfigV1, task_id: str | None) -> PushConfig:
    auth = config.authentication
    return PushConfig(
        id=config.id or "",
        task_id=task_id or config.task_id or "",
        url=config.url,
        token=config.token,
        auth_scheme=auth.scheme if auth else None,
        auth_credentials=auth.credentials if auth else None,
        version=VERSION,
    )


def decode_send(params: dict[str, Any]) -> SendParams:
    request = validate(SendMessageRequestV1, params)
    config = request.configuration or ConfigurationV1()
    push = config.task_push_notification_config
    return SendParams(
        message=_message(request.message),
        accepted_output_modes=config.accepted_output_modes,
        history_length=config.history_length,
        return_immediately=config.return_immediately,
        push_config=_push(push, None) if push is not None else None,
        metadata=request.metadata,
    )


def decode_get(params: dict[str, Any]) -> GetTaskParams:
    request = validate(GetTaskRequestV1, params)
    return GetTaskParams(id=request.id, history_length=request.history_length)


def decode_list(params: dict[str, Any]) -> ListTasksParams:
    request = validate(ListTasksRequestV1, params)
    status: TaskState | None = None
    wire = request.status
    if isinstance(wire, str) and wire.isdigit():
        wire = int(wire)  # a number as a query parameter (HTTP+JSON)
    # The proto's zero value (and ProtoJSON's name for an unknown enum value) filter nothing.
    if wire not in (None, "", 0, "TASK_STATE_UNSPECIFIED", "UNRECOGNIZED"):
        if isinstance(wire, int):
            wire = STATE_NUMBERS[wire] if 0 < wire < len(STATE_NUMBERS) else ""
        state = STATE_FROM_WIRE.get(wire)
        if state is None:
            raise InvalidParams("status: not a task state", field="status")
        status = state
    return ListTasksParams(
        context_id=request.context_id or None,
        status=status,
        page_size=request.page_size or 50,
        page_token=request.page_token or None,
        history_length=request.history_length,
        include_artifacts=bool(request.include_artifacts),
        status_timestamp_after=request.status_timestamp_after,
    )


def decode_task_id(params: dict[str, Any]) -> str:
    return validate(TaskIdRequestV1, params).id


def decode_push_set(params: dict[str, Any]) -> PushConfig:
    request = validate(PushConfigV1, params)
    if not request.task_id:
        raise InvalidParams("taskId: field required", field="taskId")
    return _push(request, request.task_id)


def decode_push_ref(params: dict[str, Any]) -> PushConfigRef:
    request = validate(PushConfigRefRequiredV1, params)
    return PushConfigRef(task_id=request.task_id, config_id=request.id)


def decode_push_list(params: dict[str, Any]) -> PushConfigRef:
    return PushConfigRef(task_id=validate(PushConfigRefV1, params).task_id)


def decode_nothing(params: dict[str, Any]) -> None:
    if params is not None and not isinstance(params, dict):
        raise InvalidParams("params must be an object", field="params")


# -- encode ---------------------------------------------------------------------------------------


def encode_part(part: Part) -> dict[str, Any]:
    body: dict[str, Any]
    if part.text is not None:
        body = {"text": part.text}
    elif part.raw is not None:
        body = {"raw": w.b64encode(part.raw)}
    elif part.url is not None:
        body = {"url": part.url}
    else:
        body = {"data": part.data}
    if part.media_type:
        body["mediaType"] = part.media_type
    if part.filename:
        body["filename"] = part.filename
    if part.metadata:
        body["metadata"] = part.metadata
    return body


def encode_message(message: Message) -> dict[str, Any]:
    role = "ROLE_USER" if message.role == "user" else "ROLE_AGENT"
    return w.encode_message(message, {"role": role}, encode_part)


def encode_status(status: TaskStatus) -> dict[str, Any]:
    return w.encode_status(status, STATE_TO_WIRE[status.state], encode_message)


def encode_artifact(artifact: Artifact) -> dict[str, Any]:
    return w.encode_artifact(artifact, encode_part)


def encode_task(task: Task) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": task.id,
        "contextId": task.context_id,
        "status": encode_status(task.status),
    }
    if task.artifacts:
        body["artifacts"] = [encode_artifact(a) for a in task.artifacts]
    if task.history:
        body["history"] = [encode_message(m) for m in task.history]
    if task.metadata:
        body["metadata"] = task.metadata
    return body


def encode_event(event: Event) -> dict[str, Any]:
    """A StreamResponse."""
    if isinstance(event, Task):
        return {"task": encode_task(event)}
    if isinstance(event, Message):
        return {"message": encode_message(event)}
    if isinstance(event, StatusUpdate):
        update: dict[str, Any] = {
            "taskId": event.task_id,
            "contextId": event.context_id,
            "status": encode_status(event.status),
        }
        if event.metadata:
            update["metadata"] = event.metadata
        return {"statusUpdate": update}
    body: dict[str, Any] = {
        "taskId": event.task_id,
        "contextId": event.context_id,
        "artifact": encode_artifact(event.artifact),
    }
    if event.append:
        body["append"] = True
    if event.last_chunk:
        body["lastChunk"] = True
    if event.metadata:
        body["metadata"] = event.metadata
    return {"artifactUpdate": body}


def encode_send(result: Task | Message) -> dict[str, Any]:
    """A SendMessageResponse."""
    if isinstance(result, Task):
        return {"task": encode_task(result)}
    return {"message": encode_message(result)}


def encode_list(result: TaskList) -> dict[str, Any]:
    return {
        "tasks": [encode_task(t) for t in result.tasks],
        "nextPageToken": result.next_page_token,
        "pageSize": result.page_size,
        "totalSize": result.total_size,
    }


def encode_push(config: PushConfig) -> dict[str, Any]:
    body: dict[str, Any] = {"id": config.id, "taskId": config.task_id, "url": config.url}
    if config.token:
        body["token"] = config.token
    if config.auth_scheme:
        body["authentication"] = compact(
            {"scheme": config.auth_scheme, "credentials": config.auth_credentials}
        )
    return body


def encode_push_list(configs: list[PushConfig]) -> dict[str, Any]:
    return {"configs": [encode_push(c) for c in configs], "nextPageToken": ""}


def _empty(_: Any) -> dict[str, Any]:
    return {}


def _identity(value: Any) -> Any:
    return value


CODEC = w.Codec(
    version=VERSION,
    methods={
        "SendMessage": w.SEND,
        "SendStreamingMessage": w.STREAM,
        "GetTask": w.GET,
        "ListTasks": w.LIST,
        "CancelTask": w.CANCEL,
        "SubscribeToTask": w.SUBSCRIBE,
        "CreateTaskPushNotificationConfig": w.PUSH_SET,
        "GetTaskPushNotificationConfig": w.PUSH_GET,
        "ListTaskPushNotificationConfigs": w.PUSH_LIST,
        "DeleteTaskPushNotificationConfig": w.PUSH_DELETE,
        "GetExtendedAgentCard": w.EXTENDED_CARD,
    },
    decode={
        w.SEND: decode_send,
        w.STREAM: decode_send,
        w.GET: decode_get,
        w.LIST: decode_list,
        w.CANCEL: decode_task_id,
        w.SUBSCRIBE: decode_task_id,
        w.PUSH_SET: decode_push_set,
        w.PUSH_GET: decode_push_ref,
        w.PUSH_LIST: decode_push_list,
        w.PUSH_DELETE: decode_push_ref,
        w.EXTENDED_CARD: decode_nothing,
    },
    encode={
        w.SEND: encode_send,
        w.GET: encode_task,
        w.LIST: encode_list,
        w.CANCEL: encode_task,
        w.PUSH_SET: encode_push,
        w.PUSH_GET: encode_push,
        w.PUSH_LIST: encode_push_list,
        w.PUSH_DELETE: _empty,
        w.EXTENDED_CARD: _identity,
    },
    event=encode_event,
)
