"""Small helpers shared by the example agents."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage


def message_text(message: BaseMessage) -> str:
    """Return the plain text of a message, joining the text blocks of list content."""
    content: Any = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)


def last_user_text(messages: Sequence[BaseMessage]) -> str:
    """Return the text of the last human message, or an empty string when there is none."""
    for message in reversed(messages):
        if message.type == "human":
            return message_text(message)
    return ""
