"""The toolkit's wire shapes (its `schema/schema.py`) and the translation of interop's messages
and run events into them."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, Field

from interop.core.text import content_text

# Configurable keys the toolkit sets itself; `agent_config` may not override them.
RESERVED_CONFIG_KEYS = frozenset({"thread_id", "user_id", "model"})


class UserInput(BaseModel):
    message: str
    model: str | None = None
    thread_id: str | None = None
    user_id: str | None = None
    agent_config: dict[str, Any] = Field(default_factory=dict)


class StreamInput(UserInput):
    stream_tokens: bool = True


class Feedback(BaseModel):
    run_id: str
    key: str
    score: float
    kwargs: dict[str, Any] = Field(default_factory=dict)


class ChatHistoryInput(BaseModel):
    thread_id: str


_TYPES = {"human": "human", "ai": "ai", "AIMessageChunk": "ai", "tool": "tool"}


def chat_message(message: Any, run_id: str | None = None) -> dict[str, Any] | None:
    """The toolkit `ChatMessage` for a serialised LangChain message (None: a kind it has none
    for, such as a system message)."""
    if not isinstance(message, dict):
        return None
    kind = _TYPES.get(str(message.get("type")))
    if kind is None:
        return None
    out: dict[str, Any] = {
        "type": kind,
        "content": content_text(message.get("content")),
        "tool_calls": [],
        "tool_call_id": None,
        "run_id": run_id,
        "response_metadata": {},
        "custom_data": {},
    }
    if kind == "ai":
        out["tool_calls"] = [
            {
                "name": c.get("name"),
                "args": c.get("args", {}),
                "id": c.get("id"),
                "type": "tool_call",
            }
            for c in message.get("tool_calls") or []
        ]
        out["response_metadata"] = message.get("response_metadata") or {}
    if kind == "tool":
        out["tool_call_id"] = message.get("tool_call_id")
    return out


def ai_text(text: Any, run_id: str | None) -> dict[str, Any]:
    """An AI `ChatMessage` with `text` (an interrupt's value, for one)."""
    content = text if isinstance(text, str) else orjson.dumps(text).decode()
    message = chat_message({"type": "ai", "content": content}, run_id)
    assert message is not None
    return message


def custom_message(data: Any, run_id: str | None) -> dict[str, Any]:
    message = ai_text("", run_id)
    message.update(type="custom", custom_data=data if isinstance(data, dict) else {"data": data})
    return message


def sse(record: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(record) + b"\n\n"


DONE = b"data: [DONE]\n\n"
