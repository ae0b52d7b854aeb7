"""A run's final state as an MCP tool result: content blocks, structured content.

`content` is the final AI message: its text, and its images, audio and resources as the
matching MCP content types (LangChain's standard blocks, OpenAI-style `image_url` data URLs and
blocks already in MCP form are understood). A state without an AI message is returned as JSON
text. `structuredContent` is the final state values as JSON (an object: non-object values are
wrapped as `{"result": value}`).

Clients that drop `_meta` (LangChain's MCP adapters, most LLM hosts) still need the thread id
to continue a conversation or answer an interrupt, so it is also in what they keep: a
`thread_id` key in `structuredContent` (unless the state has its own) and a last, short text
block `thread_id: <id>` after the answer (the first block stays the answer).
"""

from __future__ import annotations

import re
from typing import Any

from interop.core import serde

_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+);base64,(?P<data>.*)", re.DOTALL)
_MCP_TYPES = frozenset({"text", "image", "audio", "resource", "resource_link"})

Block = dict[str, Any]


def text_block(text: str) -> Block:
    return {"type": "text", "text": text}


def json_text(value: Any) -> str:
    return serde.dumps(value).decode()


def last_ai_message(values: Any) -> dict[str, Any] | None:
    """The last AI message of `values["messages"]` (as its JSON form), if any."""
    if not isinstance(values, dict):
        return None
    messages = values.get("messages")
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("type") in ("ai", "AIMessageChunk"):
            return message
    return None


def _mime(block: dict[str, Any], default: str) -> str:
    value = block.get("mime_type") or block.get("mimeType")
    return value if isinstance(value, str) and value else default


def _binary(kind: str, block: dict[str, Any], default_mime: str) -> Block | None:
    data = block.get("base64") or block.get("data")
    if isinstance(data, str) and data:
        return {"type": kind, "data": data, "mimeType": _mime(block, default_mime)}
    url = block.get("url")
    if isinstance(url, str) and (match := _DATA_URL.fullmatch(url)):
        return {"type": kind, "data": match["data"], "mimeType": match["mime"]}
    if isinstance(url, str) and url:
        return {"type": "resource_link", "uri": url, "name": url.rsplit("/", 1)[-1] or url}
    return None


def _resource(block: dict[str, Any]) -> Block | None:
    """A LangChain `file`/`text-plain` block or an MCP `resource` block as an embedded resource."""
    if isinstance(block.get("resource"), dict):
        return {"type": "resource", "resource": block["resource"]}
    uri = block.get("uri") or block.get("url") or block.get("id") or "interop://inline"
    mime = _mime(block, "application/octet-stream")
    if isinstance(block.get("text"), str):
        return {
            "type": "resource",
            "resource": {
                "uri": str(uri),
                "mimeType": _mime(block, "text/plain"),
                "text": block["text"],
            },
        }
    data = block.get("base64") or block.get("data")
    if isinstance(data, str):
        return {"type": "resource", "resource": {"uri": str(uri), "mimeType": mime, "blob": data}}
    return None


def content_block(block: Any) -> Block | None:
    """One LangChain content block as an MCP content block (None: nothing to show)."""
    if isinstance(block, str):
        return text_block(block) if block else None
    if not isinstance(block, dict):
        return None
    kind = block.get("type")
    if kind == "text":
        text = block.get("text")
        return text_block(text) if isinstance(text, str) and text else None
    if kind == "image_url":
        image = block.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        return _binary("image", {"url": url}, "image/png")
    if kind in ("image", "audio"):
        if "mimeType" in block and "data" in block:
            return dict(block)  # already MCP
        return _binary(str(kind), block, "image/png" if kind == "image" else "audio/wav")
    if kind in ("file", "text-plain", "resource"):
        return _resource(block)
    if kind == "resource_link" and isinstance(block.get("uri"), str):
        return dict(block)
    if kind in _MCP_TYPES:
        return dict(block)
    return None


def message_content(message: dict[str, Any]) -> list[Block]:
    content = message.get("content")
    if isinstance(content, str):
        return [text_block(content)] if content else []
    if isinstance(content, list):
        return [b for b in (content_block(item) for item in content) if b is not None]
    return []


THREAD_ID = "thread_id"


def structured(values: Any, thread_id: str | None = None) -> dict[str, Any]:
    """The final values as a JSON object, with `thread_id` added (when given and the values do
    not have their own)."""
    result = values if isinstance(values, dict) else {"result": values}
    if thread_id is not None and THREAD_ID not in result:
        result = {**result, THREAD_ID: thread_id}
    return result


def thread_block(thread_id: str) -> Block:
    """The text block naming the thread, placed after the answer."""
    return text_block(f"{THREAD_ID}: {thread_id}")


def result_content(values: Any) -> list[Block]:
    """The content blocks of a finished run: the last AI message, else the values as JSON."""
    message = last_ai_message(values)
    if message is not None:
        blocks = message_content(message)
        if blocks:
            return blocks
    return [text_block(json_text(values if values is not None else {}))]
