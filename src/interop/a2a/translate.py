"""A2A ⇄ LangGraph translation: message parts → graph input, thread values → task output.

Input: text parts become one user message in `messages` (with file parts as content blocks of
it); data parts become input fields (or, when resuming an interrupt, the resume value).
Output: the last AI message becomes an artifact (its text and file blocks as parts); every
other non-empty value the graph's output schema declares becomes an artifact with one data
part; `history` is the thread's messages.

An AI message may steer the A2A reply through `additional_kwargs["a2a"]`:
`{"reply": "message"}` answers with a Message instead of a Task, `{"state": "rejected"}` (or
`"auth-required"`, `"failed"`) ends the task in that state.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from interop.a2a.errors import ContentTypeNotSupported, InvalidParams
from interop.a2a.model import Artifact, Message, Part, TaskState

TEXT = "text/plain"
JSON = "application/json"
DEFAULT_INPUT_MODES = [TEXT, JSON, "image/*", "audio/*", "video/*", "application/pdf", "text/*"]
DEFAULT_OUTPUT_MODES = [TEXT, JSON]
_AI_TYPES = frozenset({"ai", "AIMessage", "AIMessageChunk"})
_STATE_HINTS: frozenset[str] = frozenset({"rejected", "auth-required", "failed", "input-required"})


# contextId → thread id: a contextId that is a thread id (a lowercase, hyphenated UUID) is used
# as it is; any other is mapped to uuid5(CONTEXT_NAMESPACE, contextId), so the REST API, which
# names threads by UUID, reaches it. The original is kept in the run's metadata (CONTEXT_KEY)
# and is what A2A clients get back.
CONTEXT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:interop:a2a:contextId")
CONTEXT_KEY = "a2a_context_id"


def thread_of(context_id: str) -> str:
    """The thread id of an A2A contextId (deterministic; the identity for thread ids)."""
    try:
        if str(uuid.UUID(context_id)) == context_id:
            return context_id
    except ValueError:
        pass
    return str(uuid.uuid5(CONTEXT_NAMESPACE, context_id))


def context_of(thread_id: str, metadata: dict[str, Any]) -> str:
    """The contextId an A2A client knows a run's thread by (see `thread_of`)."""
    original = metadata.get(CONTEXT_KEY)
    return original if isinstance(original, str) and original else thread_id


def timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and a `Z` (spec 5.6.1)."""
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def media_type_accepted(media_type: str, modes: Iterable[str]) -> bool:
    kind = media_type.split(";", 1)[0].strip().lower()
    major = kind.split("/", 1)[0]
    for mode in modes:
        mode = mode.lower()
        if mode in (kind, "*/*", "*") or (mode.endswith("/*") and mode[:-2] == major):
            return True
    return False


def check_media_types(message: Message, modes: Sequence[str]) -> None:
    """ContentTypeNotSupported for a part whose media type the agent does not take."""
    for index, part in enumerate(message.parts):
        media_type = part.media_type
        if media_type is None:
            continue
        if not media_type_accepted(media_type, modes):
            raise ContentTypeNotSupported(
                f"message.parts.{index}: media type {media_type!r} is not supported",
                field=f"message.parts.{index}.mediaType",
            )


# -- input ------------------------------------------------------------------------------------


def _file_block(part: Part) -> dict[str, Any]:
    media_type = part.media_type or "application/octet-stream"
    major = media_type.split("/", 1)[0]
    block: dict[str, Any] = {"type": major if major in ("image", "audio", "video") else "file"}
    if part.raw is not None:
        block["base64"] = base64.b64encode(part.raw).decode("ascii")
    else:
        block["url"] = part.url
    block["mime_type"] = media_type
    if part.filename:
        block["filename"] = part.filename
    return block


def user_message(message: Message) -> dict[str, Any] | None:
    """The LangChain user message of the text and file parts (None when there are none)."""
    texts = [p.text for p in message.parts if p.text is not None]
    files = [p for p in message.parts if p.raw is not None or p.url is not None]
    if not texts and not files:
        return None
    content: Any
    if files:
        content = [{"type": "text", "text": t} for t in texts] + [_file_block(p) for p in files]
    else:
        content = "\n".join(texts)
    return {"role": "user", "content": content, "id": message.message_id}


def data_fields(message: Message) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for index, part in enumerate(message.parts):
        if not part.is_data:
            continue
        if not isinstance(part.data, dict):
            raise InvalidParams(
                f"message.parts.{index}.data: input data must be an object",
                field=f"message.parts.{index}.data",
            )
        fields.update(part.data)
    return fields


def graph_input(message: Message) -> dict[str, Any]:
    """The input of a new run: data fields, plus `messages` when there is text or a file."""
    fields = data_fields(message)
    user = user_message(message)
    if user is not None:
        fields["messages"] = [user]
    return fields


def resume_value(message: Message) -> Any:
    """What an input-required task is resumed with: the data (one part: its value), else the
    text."""
    data = [p.data for p in message.parts if p.is_data]
    if len(data) == 1:
        return data[0]
    if data:
        merged: dict[str, Any] = {}
        for item in data:
            if isinstance(item, dict):
                merged.update(item)
        return merged
    texts = [p.text for p in message.parts if p.text is not None]
    if texts:
        return "\n".join(texts)
    user = user_message(message)
    return user["content"] if user else None


# -- output -----------------------------------------------------------------------------------


def content_parts(content: Any) -> list[Part]:
    """The parts of a LangChain message content (a string or a list of content blocks)."""
    if isinstance(content, str):
        return [Part(text=content)] if content else []
    parts: list[Part] = []
    for block in content if isinstance(content, list) else ():
        if isinstance(block, str):
            if block:
                parts.append(Part(text=block))
            continue
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
            if isinstance(text, str) and text:
                parts.append(Part(text=text))
        elif kind in ("image", "audio", "video", "file", "image_url"):
            part = _file_part(block)
            if part is not None:
                parts.append(part)
    return parts


def _file_part(block: dict[str, Any]) -> Part | None:
    media_type = block.get("mime_type") or block.get("mimeType")
    filename = block.get("filename") or block.get("name")
    extras = block.get("extras")
    if filename is None and isinstance(extras, dict):
        filename = extras.get("filename")
    data = block.get("base64") or block.get("data")
    if isinstance(data, str):
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raw = data.encode()
        return Part(raw=raw, media_type=media_type, filename=filename)
    url = block.get("url")
    if isinstance(block.get("image_url"), dict):
        url = block["image_url"].get("url")
    if isinstance(url, str):
        return Part(url=url, media_type=media_type, filename=filename)
    return None


def is_ai(message: Any) -> bool:
    return isinstance(message, dict) and message.get("type") in _AI_TYPES


def a2a_hint(message: Any) -> dict[str, Any]:
    if not isinstance(message, dict):
        return {}
    extra = message.get("additional_kwargs")
    hint = extra.get("a2a") if isinstance(extra, dict) else None
    return hint if isinstance(hint, dict) else {}


def hinted_state(message: Any) -> TaskState | None:
    state = a2a_hint(message).get("state")
    return state if state in _STATE_HINTS else None


def to_message(
    raw: dict[str, Any], *, context_id: str | None = None, task_id: str | None = None
) -> Message:
    """A thread message as an A2A message (human → user, anything else → agent)."""
    role = "user" if raw.get("type") in ("human", "HumanMessage", "user") else "agent"
    message_id = raw.get("id") or ""
    return Message(
        message_id=str(message_id),
        role=role,  # type: ignore[arg-type]
        parts=content_parts(raw.get("content")) or [Part(text="")],
        context_id=context_id,
        task_id=task_id,
    )


def thread_messages(values: Any) -> list[dict[str, Any]]:
    if not isinstance(values, dict):
        return []
    messages = values.get("messages")
    return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []


def history(values: Any, length: int | None, *, context_id: str, task_id: str) -> list[Message]:
    """The thread's messages (user and agent text), the last `length` of them."""
    if length == 0:
        return []
    messages = [
        to_message(m, context_id=context_id, task_id=task_id)
        for m in thread_messages(values)
        if m.get("type") in ("human", "ai")
    ]
    return messages[-length:] if length else messages


def final_ai_message(values: Any) -> dict[str, Any] | None:
    messages = thread_messages(values)
    if messages and is_ai(messages[-1]):
        return messages[-1]
    return None


def artifact_id(task_id: str, message: dict[str, Any]) -> str:
    return str(message.get("id") or f"{task_id}-response")


def artifacts(values: Any, task_id: str, output_keys: Sequence[str]) -> list[Artifact]:
    """The task's output: the final AI message, then one data artifact per structured value."""
    found: list[Artifact] = []
    final = final_ai_message(values)
    if final is not None:
        parts = content_parts(final.get("content"))
        if parts:
            found.append(Artifact(artifact_id=artifact_id(task_id, final), parts=parts))
    found.extend(data_artifacts(values, task_id, output_keys))
    return found


def data_artifacts(values: Any, task_id: str, output_keys: Sequence[str]) -> list[Artifact]:
    if not isinstance(values, dict):
        return []
    return [
        Artifact(
            artifact_id=f"{task_id}-{key}",
            name=key,
            parts=[Part(data=values[key], is_data=True, media_type=JSON)],
        )
        for key in output_keys
        if key != "messages" and values.get(key) is not None
    ]


def interrupt_message(
    interrupts: Sequence[dict[str, Any]], *, task_id: str, context_id: str
) -> Message:
    """The agent's question of an input-required task: each interrupt value as a data part
    (a string value, or a `question`, also as text)."""
    parts: list[Part] = []
    for interrupt in interrupts:
        value = interrupt.get("value")
        if isinstance(value, str):
            parts.append(Part(text=value))
            continue
        if isinstance(value, dict) and isinstance(value.get("question"), str):
            parts.append(Part(text=value["question"]))
        parts.append(Part(data=value, is_data=True, media_type=JSON))
    first = interrupts[0].get("id") if interrupts else None
    return Message(
        message_id=f"{task_id}-input-{first or 'required'}",
        role="agent",
        parts=parts or [Part(text="Input required.")],
        context_id=context_id,
        task_id=task_id,
    )


def error_message(error: dict[str, Any] | None, *, task_id: str, context_id: str) -> Message:
    text = "The task failed."
    if error:
        kind, detail = error.get("error"), error.get("message")
        text = f"{kind}: {detail}" if kind and detail else str(detail or kind or text)
    return Message(
        message_id=f"{task_id}-error",
        role="agent",
        parts=[Part(text=text)],
        context_id=context_id,
        task_id=task_id,
    )
