"""The plain text of a LangChain message content."""

from __future__ import annotations

from typing import Any


def content_text(content: Any) -> str:
    """`content` (a string, or a list of strings and content blocks) as plain text: the strings
    and the text blocks joined; other blocks (images, tool use) are left out."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return "".join(parts)
