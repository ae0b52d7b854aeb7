"""Small helpers shared by the example agents."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import BaseMessage

from interop.core.text import content_text


def message_text(message: BaseMessage) -> str:
    """Return the plain text of a message, joining the text blocks of list content."""
    return content_text(message.content)


def last_user_text(messages: Sequence[BaseMessage]) -> str:
    """Return the text of the last human message, or an empty string when there is none."""
    for message in reversed(messages):
        if message.type == "human":
            return message_text(message)
    return ""
