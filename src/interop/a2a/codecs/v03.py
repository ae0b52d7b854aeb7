"""The A2A 0.3 codec: `kind`-tagged objects, lowercase states and roles, slash-separated
JSON-RPC methods (`message/send`), `final` on the last status update."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from interop.a2a import wire as w
from interop.a2a.errors import InvalidParams
from interop.a2a.model import (
    Artifact,
    ArtifactUpdate,
    Event,
    GetTaskParams,
    Message,
    Part,
    PushConfig,
    PushConfigRef,
    SendParams,
    StatusUpdate,
    Task,
    TaskStatus,
)
from interop.a2a.wire import Wire, compact, validate

VERSION = "0.3"


# -- wire models (requests) ---------------------------------------------------------------------


class TextPart03(Wire):
    kind: Literal["text"] = "text"
    text: str
    metadata: dict[str, Any] | None = None


class FileContent03(Wire):
    bytes: str | None = None
    uri: str | None = None
    mime_type: str | None = None
    name: str | None = None


class FilePart03(Wire):
    kind: Literal["file"] = "file"
    file: FileContent03
    metadata: dict[str, Any] | None = None


class DataPart03(Wire):
    kind: Literal["data"] = "data"
    data: dict[str, Any]
    metadata: dict[str, Any] | None = None


class Message03(Wire):
    message_id: str = Field(min_length=1)
    role: Literal["user", "agent"]
    parts: list[TextPart03 | FilePart03 | DataPart03] = Field(min_length=1)
    kind: Literal["message"] = "message"
    context_id: str | None = None
    task_id: str | None = None
    metadata: dict[str, Any] | None = None
    extensions: list[str] = Field(default_factory=list)
    reference_task_ids: list[str] = Field(default_factory=list)


class Authentication03(Wire):
    schemes: list[str] = Field(default_factory=list)
    credentials: str | None = None


class PushNotificationConfig03(Wire):
    url: str = Field(min_length=1)
    id: str | None = None
    token: str | None = None
    authentication: Authentication03 | None = None


class Configuration03(Wire):
    accepted_output_modes: list[str] | None = None
    history_length: int | None = Field(default=None, ge=0)
    push_notification_config: PushNotificationConfig03 | None = None
    blocking: bool | None = None


class MessageSendParams03(Wire):
    message: Message03
    configuration: Configuration03 | None = None
    metadata: dict[str, Any] | None = None


class TaskQueryParams03(Wire):
    id: str = Field(min_length=1)
    history_length: int | None = Field(default=None, ge=0)
    metadata: dict[str, Any] | None = None


class TaskIdParams03(Wire):
    id: str = Field(min_length=1)
    metadata: dict[str, Any] | None = None


class TaskPushNotificationConfig03(Wire):
    task_id: str = Field(min_length=1)
    push_notification_config: PushNotificationConfig03


class PushConfigRef03(Wire):
    id: str = Field(min_length=1)
    push_notification_config_id: str | None = None


# -- decode ---------------------------------------------------------------------------------------


def _part(part: TextPart03 | FilePart03 | DataPart03, index: str) -> Part:
    if isinstance(part, TextPart03):
        return Part(text=part.text, metadata=part.metadata)
    if isinstance(part, DataPart03):
        return Part(data=part.data, is_data=True, metadata=part.metadata)
    file = part.file
    if (file.bytes is None) == (file.uri is None):
        raise InvalidParams(f"{index}.file: exactly one of bytes, uri", field=f"{index}.file")
    raw = w.b64decode(file.bytes, f"{index}.file.bytes") if file.bytes is not None else None
    return Part(
        raw=raw,
        url=file.uri,
        media_type=file.mime_type,
        filename=file.name,
        metadata=part.metadata,
    )


def _message(message: Message03) -> Message:
    return Message(
        message_id=message.message_id,
        role=message.role,
        parts=[_part(p, f"message.parts.{i}") for i, p in enumerate(message.parts)],
        context_id=message.context_id or None,
        task_id=message.task_id or None,
        metadata=message.metadata,
        extensions=list(message.extensions),
        reference_task_ids=list(message.reference_task_ids),
    )


def _push(config: PushNotificationConfig03, task_id: str) -> PushConfig:
    auth = config.authentication
    return PushConfig(
        # 0.3 clients commonly set one config without an id and read it back by the id
        # "default": that is the id it gets.
        id=config.id or "default",
        task_id=task_id,
        url=config.url,
        token=config.token,
        auth_scheme=auth.schemes[0] if auth and auth.schemes else None,
        auth_credentials=auth.credentials if auth else None,
        version=VERSION,
    )


def decode_send(params: dict[str, Any]) -> SendParams:
    request = validate(MessageSendParams03, params)
    config = request.configuration or Configuration03()
    push = config.push_notification_config
    return SendParams(
        message=_message(request.message),
        accepted_output_modes=config.accepted_output_modes,
        history_length=config.history_length,
        return_immediately=config.blocking is False,
        push_config=_push(push, "") if push is not None else None,
        metadata=request.metadata,
    )


def decode_get(params: dict[str, Any]) -> GetTaskParams:
    request = validate(TaskQueryParams03, params)
    return GetTaskParams(id=request.id, history_length=request.history_length)


def decode_task_id(params: dict[str, Any]) -> str:
    return validate(TaskIdParams03, params).id


def decode_push_set(params: dict[str, Any]) -> PushConfig:
    request = validate(TaskPushNotificationConfig03, params)
    return _push(request.push_notification_config, request.task_id)


def decode_push_ref(params: dict[str, Any]) -> PushConfigRef:
    request = validate(PushConfigRef03, params)
    return PushConfigRef(task_id=request.id, config_id=request.push_notification_config_id)


def decode_push_delete(params: dict[str, Any]) -> PushConfigRef:
    ref = decode_push_ref(params)
    if not ref.config_id:
        raise InvalidParams(
            "pushNotificationConfigId: field required", field="pushNotificationConfigId"
        )
    return ref


def decode_nothing(params: dict[str, Any]) -> None:
    if params is not None and not isinstance(params, dict):
        raise InvalidParams("params must be an object", field="params")


# -- encode ---------------------------------------------------------------------------------------


def encode_part(part: Part) -> dict[str, Any]:
    body: dict[str, Any]
    if part.text is not None:
        body = {"kind": "text", "text": part.text}
    elif part.raw is not None or part.url is not None:
        file: dict[str, Any] = (
            {"bytes": w.b64encode(part.raw)} if part.raw is not None else {"uri": part.url}
        )
        if part.media_type:
            file["mimeType"] = part.media_type
        if part.filename:
            file["name"] = part.filename
        body = {"kind": "file", "file": file}
    else:
        # 0.3 data parts hold an object: other JSON values are wrapped.
        data = part.data if isinstance(part.data, dict) else {"value": part.data}
        body = {"kind": "data", "data": data}
    if part.metadata:
        body["metadata"] = part.metadata
    return body


def encode_message(message: Message) -> dict[str, Any]:
    return w.encode_message(message, {"kind": "message", "role": message.role}, encode_part)


def encode_status(status: TaskStatus) -> dict[str, Any]:
    return w.encode_status(status, status.state, encode_message)


def encode_artifact(artifact: Artifact) -> dict[str, Any]:
    return w.encode_artifact(artifact, encode_part)


def encode_task(task: Task) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "task",
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
    if isinstance(event, Task):
        return encode_task(event)
    if isinstance(event, Message):
        return encode_message(event)
    if isinstance(event, StatusUpdate):
        body: dict[str, Any] = {
            "kind": "status-update",
            "taskId": event.task_id,
            "contextId": event.context_id,
            "status": encode_status(event.status),
            "final": event.final,
        }
        if event.metadata:
            body["metadata"] = event.metadata
        return body
    assert isinstance(event, ArtifactUpdate)
    update: dict[str, Any] = {
        "kind": "artifact-update",
        "taskId": event.task_id,
        "contextId": event.context_id,
        "artifact": encode_artifact(event.artifact),
        "append": event.append,
        "lastChunk": event.last_chunk,
    }
    if event.metadata:
        update["metadata"] = event.metadata
    return update


def encode_send(result: Task | Message) -> dict[str, Any]:
    return encode_task(result) if isinstance(result, Task) else encode_message(result)


def encode_push(config: PushConfig) -> dict[str, Any]:
    inner: dict[str, Any] = {"id": config.id, "url": config.url}
    if config.token:
        inner["token"] = config.token
    if config.auth_scheme:
        inner["authentication"] = compact(
            {"schemes": [config.auth_scheme], "credentials": config.auth_credentials}
        )
    return {"taskId": config.task_id, "pushNotificationConfig": inner}


def encode_push_list(configs: list[PushConfig]) -> list[dict[str, Any]]:
    return [encode_push(c) for c in configs]


def _none(_: Any) -> None:
    return None


def _identity(value: Any) -> Any:
    return value


CODEC = w.Codec(
    version=VERSION,
    methods={
        "message/send": w.SEND,
        "message/stream": w.STREAM,
        "tasks/get": w.GET,
        "tasks/cancel": w.CANCEL,
        "tasks/resubscribe": w.SUBSCRIBE,
        "tasks/pushNotificationConfig/set": w.PUSH_SET,
        "tasks/pushNotificationConfig/get": w.PUSH_GET,
        "tasks/pushNotificationConfig/list": w.PUSH_LIST,
        "tasks/pushNotificationConfig/delete": w.PUSH_DELETE,
        "agent/getAuthenticatedExtendedCard": w.EXTENDED_CARD,
    },
    decode={
        w.SEND: decode_send,
        w.STREAM: decode_send,
        w.GET: decode_get,
        w.CANCEL: decode_task_id,
        w.SUBSCRIBE: decode_task_id,
        w.PUSH_SET: decode_push_set,
        w.PUSH_GET: decode_push_ref,
        w.PUSH_LIST: decode_push_ref,
        w.PUSH_DELETE: decode_push_delete,
        w.EXTENDED_CARD: decode_nothing,
    },
    encode={
        w.SEND: encode_send,
        w.GET: encode_task,
        w.CANCEL: encode_task,
        w.PUSH_SET: encode_push,
        w.PUSH_GET: encode_push,
        w.PUSH_LIST: encode_push_list,
        w.PUSH_DELETE: _none,
        w.EXTENDED_CARD: _identity,
    },
    event=encode_event,
)
