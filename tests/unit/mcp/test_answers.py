"""interop.mcp.answers: which 2025-era requests get a JSON answer, and the body the SDK sees."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from interop.mcp import answers


def _scope(body: bytes, **headers: str) -> dict[str, Any]:
    defaults = {
        "mcp-session-id": "s1",
        "mcp-protocol-version": "2025-11-25",
        "content-length": str(len(body)),
    }
    merged = {**defaults, **headers}
    return {
        "type": "http",
        "method": "POST",
        "headers": [(k.encode(), v.encode()) for k, v in merged.items() if v != "-"],
    }


def _receiver(*chunks: bytes) -> Any:
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


def _quiet(session_id: str, message: dict[str, Any]) -> bool:
    assert session_id == "s1"
    return message["method"] in answers.QUIET_METHODS


async def _run(scope: dict[str, Any], *chunks: bytes) -> tuple[bool, bytes]:
    """Whether the request is answered as JSON, and the body read through the new receive."""
    seen: dict[str, Any] = {}

    async def inside() -> None:
        receive = await answers.quiet_request(scope, _receiver(*chunks), _quiet)
        seen["json"] = answers.json_answer()
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen["body"] = body

    await asyncio.create_task(inside())  # its own context, as each ASGI request has
    return seen["json"], seen["body"]


LIST = b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}'
CALL = b'{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "echo"}}'


async def test_quiet_method_in_pieces_is_json_and_body_intact() -> None:
    json_answer, body = await _run(_scope(LIST), LIST[:10], LIST[10:])
    assert json_answer is True
    assert body == LIST


async def test_call_keeps_the_stream() -> None:
    json_answer, body = await _run(_scope(CALL), CALL)
    assert json_answer is False
    assert body == CALL


@pytest.mark.parametrize(
    "headers",
    [
        {"mcp-session-id": "-"},  # initialize: no session yet
        {"mcp-protocol-version": "2026-07-28"},  # the modern path answers JSON itself
        {"content-length": "-"},  # no length: not read ahead
        {"content-length": str(answers.PEEK_LIMIT + 1)},
    ],
)
async def test_not_read_ahead(headers: dict[str, str]) -> None:
    json_answer, body = await _run(_scope(LIST, **headers), LIST)
    assert json_answer is False
    assert body == LIST


async def test_notification_and_malformed_body_keep_the_default() -> None:
    note = b'{"jsonrpc": "2.0", "method": "tools/list"}'  # no id: not a request
    assert (await _run(_scope(note), note))[0] is False
    broken = b'{"jsonrpc": "2.0", "id": '
    json_answer, body = await _run(_scope(broken), broken)
    assert json_answer is False
    assert body == broken
