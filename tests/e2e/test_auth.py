"""`--auth-token`: every route but /ok needs `Authorization: Bearer <token>`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from langgraph_sdk import get_client

from .support import COUNTDOWN, ECHO, ServerProcess, message_texts, running_server, status_of

TOKEN = "s3cret-e2e-token"
ROUTES = [
    ("GET", "/info", None),
    ("POST", "/assistants/search", {}),
    ("GET", "/assistants/5f0c2d4e-7b1a-4c3e-9d8f-1a2b3c4d5e6f", None),
    ("POST", "/threads", {}),
    ("POST", "/threads/search", {}),
    ("GET", "/threads/0b6e1f2a-3c4d-4e5f-8a9b-0c1d2e3f4a5b", None),
    ("POST", "/runs/wait", {"assistant_id": ECHO, "input": {}}),
    ("POST", "/runs/stream", {"assistant_id": ECHO, "input": {}}),
    ("POST", "/runs/cancel", {"status": "all"}),
    ("GET", "/openapi.json", None),
    ("GET", "/docs", None),
]


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("auth"), "--auth-token", TOKEN) as server:
        yield server


@pytest.fixture
async def raw(auth_server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=auth_server.url, timeout=30) as http:
        yield http


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}"],
    ids=str,
)
async def test_401_without_the_token(
    raw: httpx.AsyncClient, method: str, path: str, body: object, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await raw.request(method, path, json=body, headers=headers)
    assert response.status_code == 401
    assert "detail" in response.json()


async def test_ok_is_open(raw: httpx.AsyncClient) -> None:
    response = await raw.get("/ok")
    assert response.status_code == 200
    assert response.json()["ok"] is True


async def test_nothing_happens_without_the_token(raw: httpx.AsyncClient) -> None:
    thread_id = str(uuid.uuid4())
    response = await raw.post("/threads", json={"thread_id": thread_id})
    assert response.status_code == 401
    authorized = await raw.get(
        f"/threads/{thread_id}", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert authorized.status_code == 404


async def test_sdk_with_the_token(auth_server: ServerProcess) -> None:
    async with get_client(
        url=auth_server.url, headers={"Authorization": f"Bearer {TOKEN}"}
    ) as client:
        thread = await client.threads.create()
        result = await client.runs.wait(
            thread["thread_id"], ECHO, input={"messages": [{"role": "user", "content": "auth"}]}
        )
        assert message_texts(result)[-1] == ("ai", "auth")
        parts = [
            part
            async for part in client.runs.stream(
                thread["thread_id"],
                COUNTDOWN,
                input={"n": 1, "delay": 0.01},
                stream_mode="custom",
            )
        ]
        assert [p.event for p in parts] == ["metadata", "custom"]
        assert (await client.assistants.get(ECHO))["graph_id"] == ECHO


async def test_sdk_without_the_token(auth_server: ServerProcess) -> None:
    async with get_client(url=auth_server.url) as client:
        assert await status_of(client.threads.create()) == 401
        assert await status_of(client.assistants.search()) == 401
