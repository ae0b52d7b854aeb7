"""The agent-service-toolkit API under /toolkit, driven the way its `AgentClient` drives it:
info, invoke, stream (SSE `data:` records ending with `[DONE]`), history, feedback, health,
bearer auth. A toolkit thread is an interop thread, readable over REST."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from .support import TIMEOUT, ServerProcess, running_server

TOKEN = "tk-secret"
AUTH = {"authorization": f"Bearer {TOKEN}"}
# The toolkit's client stops reading at a record type it does not know.
CLIENT_TYPES = {"message", "token", "error"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("toolkit"), "--auth-token", TOKEN) as process:
        yield process


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT, headers=AUTH) as raw:
        yield raw


async def _stream(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> list[Any]:
    """The parsed `data:` records, as the toolkit's client reads them, up to `[DONE]`."""
    parsed: list[Any] = []
    async with http.stream("POST", path, json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for line in response.aiter_lines():
            if not line.startswith("data: "):
                continue
            data = line[6:]
            if data == "[DONE]":
                parsed.append(data)
                break
            parsed.append(json.loads(data))
    return parsed


async def test_health_is_open_and_the_rest_needs_the_token(server: ServerProcess) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as anonymous:
        health = await anonymous.get("/toolkit/health")
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        assert (await anonymous.get("/toolkit/info")).status_code == 401
        refused = await anonymous.post("/toolkit/invoke", json={"message": "x"})
        assert refused.status_code == 401


async def test_info_lists_the_agents_and_the_default(http: httpx.AsyncClient) -> None:
    info = (await http.get("/toolkit/info")).json()
    keys = [agent["key"] for agent in info["agents"]]
    assert {"echo", "approval", "countdown"} <= set(keys)
    assert info["default_agent"] == "echo"
    assert all(isinstance(agent["description"], str) for agent in info["agents"])


async def test_invoke_answers_and_the_thread_is_an_interop_thread(
    http: httpx.AsyncClient,
) -> None:
    thread_id = str(uuid.uuid4())
    response = await http.post(
        "/toolkit/invoke", json={"message": "hello", "thread_id": thread_id, "user_id": "u1"}
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["type"] == "ai"
    assert answer["content"] == "hello"
    run = (await http.get(f"/threads/{thread_id}/runs/{answer['run_id']}")).json()
    assert run["status"] == "success"
    assert run["metadata"]["user_id"] == "u1"
    history = (await http.post("/toolkit/history", json={"thread_id": thread_id})).json()
    assert [(m["type"], m["content"]) for m in history["messages"]] == [
        ("human", "hello"),
        ("ai", "hello"),
    ]


async def test_stream_sends_tokens_then_the_message_then_done(http: httpx.AsyncClient) -> None:
    records = await _stream(http, "/toolkit/echo/stream", {"message": "hello there"})
    assert records[-1] == "[DONE]"
    body = records[:-1]
    assert {r["type"] for r in body} <= CLIENT_TYPES
    tokens = [r["content"] for r in body if r["type"] == "token"]
    assert len(tokens) > 1 and "".join(tokens) == "hello there"
    messages = [r["content"] for r in body if r["type"] == "message"]
    assert [(m["type"], m["content"]) for m in messages] == [("ai", "hello there")]
    assert messages[0]["run_id"]
    quiet = await _stream(http, "/toolkit/stream", {"message": "hi", "stream_tokens": False})
    assert [r["type"] for r in quiet[:-1]] == ["message"]


async def test_an_interrupt_is_answered_by_the_next_message(http: httpx.AsyncClient) -> None:
    thread_id = str(uuid.uuid4())
    first = await http.post(
        "/toolkit/approval/invoke", json={"message": "deploy", "thread_id": thread_id}
    )
    assert first.status_code == 200
    question = json.loads(first.json()["content"])
    assert question["question"] == "Approve this request? deploy"
    assert question["schema"]["properties"]["approved"]["type"] == "boolean"
    state = (await http.get(f"/threads/{thread_id}")).json()
    assert state["status"] == "interrupted"
    records = await _stream(
        http, "/toolkit/approval/stream", {"message": "ship it", "thread_id": thread_id}
    )
    messages = [r["content"]["content"] for r in records[:-1] if r["type"] == "message"]
    assert messages == ["Answer received: ship it"]
    assert (await http.get(f"/threads/{thread_id}")).json()["status"] == "idle"


async def test_stream_interrupt_is_a_message(http: httpx.AsyncClient) -> None:
    records = await _stream(http, "/toolkit/approval/stream", {"message": "deploy"})
    messages = [r["content"] for r in records[:-1] if r["type"] == "message"]
    assert len(messages) == 1 and messages[0]["type"] == "ai"
    assert json.loads(messages[0]["content"])["question"].endswith("deploy")


async def test_feedback_is_kept_with_the_run(http: httpx.AsyncClient) -> None:
    thread_id = str(uuid.uuid4())
    answer = (
        await http.post("/toolkit/invoke", json={"message": "rate me", "thread_id": thread_id})
    ).json()
    stored = await http.post(
        "/toolkit/feedback",
        json={"run_id": answer["run_id"], "key": "stars", "score": 0.8, "kwargs": {"c": "ok"}},
    )
    assert stored.json() == {"status": "success"}
    thread = (await http.get(f"/threads/{thread_id}")).json()
    assert thread["metadata"]["feedback"][answer["run_id"]] == {"stars": {"score": 0.8, "c": "ok"}}
    missing = await http.post(
        "/toolkit/feedback", json={"run_id": str(uuid.uuid4()), "key": "k", "score": 1}
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/toolkit/invoke", {}, 422),
        ("/toolkit/invoke", {"message": 3}, 422),
        ("/toolkit/invoke", {"message": "x", "agent_config": {"thread_id": "t"}}, 422),
        ("/toolkit/nobody/invoke", {"message": "x"}, 404),
        ("/toolkit/nobody/stream", {"message": "x"}, 404),
        ("/toolkit/history", {"thread_id": str(uuid.uuid4())}, 404),
        ("/toolkit/feedback", {"run_id": "r"}, 422),
    ],
)
async def test_bad_input_is_a_precise_4xx(
    http: httpx.AsyncClient, path: str, body: dict[str, Any], status: int
) -> None:
    response = await http.post(path, json=body)
    assert response.status_code == status
    assert "detail" in response.json()
