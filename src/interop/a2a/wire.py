"""What the two codecs share: the codec record, pydantic settings, validation errors → -32602."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from interop.a2a.errors import InvalidParams
from interop.a2a.model import Artifact, Event, Message, Part, TaskStatus

M = TypeVar("M", bound=BaseModel)

# Operations of the handler; each codec names them with its version's JSON-RPC methods.
SEND = "send"
STREAM = "stream"
GET = "get"
LIST = "list_tasks"
CANCEL = "cancel"
SUBSCRIBE = "subscribe"
PUSH_SET = "push_set"
PUSH_GET = "push_get"
PUSH_LIST = "push_list"
PUSH_DELETE = "push_delete"
EXTENDED_CARD = "extended_card"
STREAMING_OPERATIONS = frozenset({STREAM, SUBSCRIBE})


class Wire(BaseModel):
    """Wire models: camelCase on the wire, the proto's snake_case names accepted too (ProtoJSON
    parsers accept both), unknown fields ignored (spec 5.7)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


@dataclass(frozen=True, slots=True)
class Codec:
    """One protocol version at the edge: JSON-RPC method names → operations, params → neutral
    requests, neutral results → wire JSON."""

    version: str
    methods: dict[str, str]
    decode: dict[str, Callable[[dict[str, Any]], Any]]
    encode: dict[str, Callable[[Any], Any]]
    event: Callable[[Event], dict[str, Any]]


def validate(model: type[M], params: Any) -> M:
    """`params` as `model`; InvalidParams naming the first offending field otherwise."""
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise InvalidParams("params must be an object", field="params")
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False, include_context=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "params"
        raise InvalidParams(f"{field}: {first['msg']}", field=field) from exc


def b64decode(value: str, field: str) -> bytes:
    try:
        padded = value + "=" * (-len(value) % 4)
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidParams(f"{field}: not valid base64", field=field) from exc


def b64encode(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def compact(data: dict[str, Any]) -> dict[str, Any]:
    """`data` without the keys whose value is None."""
    return {k: v for k, v in data.items() if v is not None}


def encode_message(
    message: Message, head: dict[str, Any], encode_part: Callable[[Part], dict[str, Any]]
) -> dict[str, Any]:
    """A message on the wire: the version's own fields (`head`: role, kind), its parts in the
    version's encoding, and the optional fields both versions share."""
    body: dict[str, Any] = {
        **head,
        "messageId": message.message_id,
        "parts": [encode_part(p) for p in message.parts],
    }
    if message.context_id:
        body["contextId"] = message.context_id
    if message.task_id:
        body["taskId"] = message.task_id
    if message.metadata:
        body["metadata"] = message.metadata
    if message.extensions:
        body["extensions"] = message.extensions
    if message.reference_task_ids:
        body["referenceTaskIds"] = message.reference_task_ids
    return body


def encode_status(
    status: TaskStatus, state: str, encode_message: Callable[[Message], dict[str, Any]]
) -> dict[str, Any]:
    """A task status on the wire, its state already in the version's spelling."""
    body: dict[str, Any] = {"state": state}
    if status.message is not None:
        body["message"] = encode_message(status.message)
    if status.timestamp:
        body["timestamp"] = status.timestamp
    return body


def encode_artifact(
    artifact: Artifact, encode_part: Callable[[Part], dict[str, Any]]
) -> dict[str, Any]:
    """An artifact on the wire, its parts in the version's encoding."""
    body: dict[str, Any] = {
        "artifactId": artifact.artifact_id,
        "parts": [encode_part(p) for p in artifact.parts],
    }
    return {
        **body,
        **compact(
            {
                "name": artifact.name,
                "description": artifact.description,
                "metadata": artifact.metadata or None,
            }
        ),
    }
