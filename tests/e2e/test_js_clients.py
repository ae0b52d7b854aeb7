"""The JavaScript clients with their defaults against interop (installed from npm, see node.py).

- `@langchain/langgraph-sdk` 1.x `client.threads.stream(...)`, the thread-centric v2 protocol
  (`POST /threads/{id}/commands`, `POST /threads/{id}/stream/events`): a run's streamed
  messages and final values, a second run on the same thread, an interrupt answered with
  `input.respond`, and an unknown command as a protocol error.
- `@modelcontextprotocol/sdk` (TypeScript): the `approval` agent's elicitation answered by its
  form's schema, and a thread continued from `structuredContent.thread_id` alone.

Each test runs one script of `tests/e2e/js/` that prints a JSON report.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .node import run_script

pytestmark = pytest.mark.slow


def _report(name: str, *args: str) -> dict[str, Any]:
    done = run_script(name, *args)
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_langgraph_js_thread_stream(base_url: str) -> None:
    report = _report("langgraph_thread_stream.mjs", base_url)

    echo = report["echo"]
    assert echo["messages"] == [
        {"type": "human", "content": "hello"},
        {"type": "ai", "content": "hello"},
    ]
    assert echo["streamed"] == ["hello"]
    assert [m["content"] for m in report["again"]["messages"]] == [
        "hello",
        "hello",
        "again",
        "again",
    ]

    assert report["interrupted"] is True
    (interrupt,) = report["interrupts"]
    assert interrupt["id"]
    assert interrupt["payload"]["question"] == "Approve this request? ship it"
    assert interrupt["payload"]["schema"]["properties"]["approved"]["type"] == "boolean"
    resumed = report["resumed"]
    assert resumed["interrupted"] is False
    assert resumed["messages"][-1] == {"type": "ai", "content": "Approved."}

    assert report["unknownCommand"] == "unknown_command"


def test_mcp_typescript_sdk_answers_the_form_by_its_schema(base_url: str) -> None:
    report = _report("mcp_elicitation.mjs", base_url + "/mcp")

    (form,) = report["forms"]
    assert "deploy?" in form["message"]
    assert form["schema"]["properties"]["approved"]["type"] == "boolean"
    texts = report["approval"]["texts"]
    thread_id = report["approval"]["structured"]["thread_id"]
    assert texts == ["Approved.", f"thread_id: {thread_id}"]

    capabilities = report["capabilities"]
    assert capabilities["prompts"]["listChanged"] is False
    assert capabilities["resources"]["listChanged"] is False
    assert capabilities["tools"]["listChanged"] is True

    continued = report["continued"]
    assert continued["secondThread"] == continued["threadId"]
    assert continued["secondTexts"][0] == "two"
    assert continued["messages"] == 4
