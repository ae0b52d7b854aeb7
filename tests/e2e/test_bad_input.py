"""Bad input on the wire (raw httpx): the right 4xx with a JSON `{"detail": ...}`, never a 500."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from .support import COUNTDOWN, ECHO, ServerProcess, countdown_input, running_server

JSON_POSTS = [
    "/assistants",
    "/assistants/search",
    "/assistants/count",
    "/threads",
    "/threads/search",
    "/threads/count",
    "/threads/prune",
    "/runs",
    "/runs/stream",
    "/runs/wait",
    "/runs/batch",
    "/runs/cancel",
]


def assert_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    assert "detail" in body


@pytest.fixture
async def thread_id(http: httpx.AsyncClient) -> str:
    response = await http.post("/threads", json={})
    assert response.status_code == 200
    return str(response.json()["thread_id"])


@pytest.mark.parametrize("path", JSON_POSTS)
async def test_malformed_json_is_422(http: httpx.AsyncClient, path: str) -> None:
    response = await http.post(
        path, content=b'{"assistant_id": ', headers={"content-type": "application/json"}
    )
    assert_error(response, 422)


async def test_malformed_json_on_thread_routes(http: httpx.AsyncClient, thread_id: str) -> None:
    for path in (
        f"/threads/{thread_id}/runs",
        f"/threads/{thread_id}/runs/stream",
        f"/threads/{thread_id}/runs/wait",
        f"/threads/{thread_id}/state",
        f"/threads/{thread_id}/history",
    ):
        response = await http.post(
            path, content=b"{not json", headers={"content-type": "application/json"}
        )
        assert_error(response, 422)
    response = await http.patch(
        f"/threads/{thread_id}", content=b"[1,", headers={"content-type": "application/json"}
    )
    assert_error(response, 422)


async def test_empty_body_where_one_is_required(http: httpx.AsyncClient, thread_id: str) -> None:
    for path in ("/assistants", "/runs/wait", f"/threads/{thread_id}/runs"):
        response = await http.post(path, content=b"", headers={"content-type": "application/json"})
        assert_error(response, 422)


@pytest.mark.parametrize(
    "body",
    [
        [],
        "a string",
        {"assistant_id": 123},
        {"assistant_id": ECHO, "metadata": "x"},
        {"assistant_id": ECHO, "after_seconds": "x"},
        {"assistant_id": ECHO, "multitask_strategy": "bogus"},
        {"assistant_id": ECHO, "if_not_exists": "bogus"},
        {"assistant_id": ECHO, "on_disconnect": "bogus"},
        {"assistant_id": ECHO, "config": "x"},
        {"assistant_id": ECHO, "stream_resumable": "maybe"},
        {"input": {}},  # no assistant_id
    ],
)
async def test_wrong_types_on_a_thread_run_are_422(
    http: httpx.AsyncClient, thread_id: str, body: object
) -> None:
    response = await http.post(f"/threads/{thread_id}/runs", json=body)
    assert_error(response, 422)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/assistants", {"graph_id": 1}),
        ("/assistants", {"name": "no graph"}),
        ("/assistants", {"graph_id": ECHO, "if_exists": "bogus"}),
        ("/assistants/search", {"limit": 0}),
        ("/assistants/search", {"limit": -1}),
        ("/assistants/search", {"limit": "ten"}),
        ("/assistants/search", {"sort_by": "bogus"}),
        ("/assistants/search", {"metadata": []}),
        ("/assistants/count", {"metadata": 5}),
        ("/threads", {"metadata": "x"}),
        ("/threads", {"if_exists": "bogus"}),
        ("/threads/search", {"status": "bogus"}),
        ("/threads/search", {"offset": -1}),
        ("/threads/count", {"status": 3}),
        ("/threads/prune", {}),
        ("/threads/prune", {"thread_ids": "x"}),
        ("/threads/prune", {"thread_ids": [], "strategy": "bogus"}),
        ("/runs/wait", {"assistant_id": ECHO, "on_completion": "bogus"}),
    ],
)
async def test_wrong_types_are_422(http: httpx.AsyncClient, path: str, body: object) -> None:
    assert_error(await http.post(path, json=body), 422)


async def test_wrong_types_on_thread_state(http: httpx.AsyncClient, thread_id: str) -> None:
    assert_error(await http.post(f"/threads/{thread_id}/history", json={"limit": "x"}), 422)
    assert_error(await http.post(f"/threads/{thread_id}/history", json={"limit": 0}), 422)
    assert_error(
        await http.post(f"/threads/{thread_id}/state/checkpoint", json={"checkpoint": 5}), 422
    )
    assert_error(await http.patch(f"/threads/{thread_id}", json={"metadata": "x"}), 422)


@pytest.mark.parametrize(
    "mode", ["bogus", ["values", "bogus"], 5, ["run_modes"]], ids=["str", "list", "int", "thread"]
)
async def test_invalid_stream_mode_is_422_before_any_sse(
    http: httpx.AsyncClient, thread_id: str, mode: object
) -> None:
    body = {"assistant_id": ECHO, "input": {}, "stream_mode": mode}
    for path in ("/runs/stream", f"/threads/{thread_id}/runs/stream", "/runs", "/runs/wait"):
        response = await http.post(path, json=body)
        assert_error(response, 422)
    # Nothing was created on the thread.
    assert (await http.get(f"/threads/{thread_id}/runs")).json() == []


async def test_unknown_ids_are_404(http: httpx.AsyncClient, thread_id: str) -> None:
    unknown = str(uuid.uuid4())
    for method, path in [
        ("GET", f"/assistants/{unknown}"),
        ("PATCH", f"/assistants/{unknown}"),
        ("DELETE", f"/assistants/{unknown}"),
        ("GET", f"/assistants/{unknown}/graph"),
        ("GET", f"/assistants/{unknown}/schemas"),
        ("GET", f"/assistants/{unknown}/subgraphs"),
        ("POST", f"/assistants/{unknown}/versions"),
        ("GET", f"/threads/{unknown}"),
        ("PATCH", f"/threads/{unknown}"),
        ("DELETE", f"/threads/{unknown}"),
        ("GET", f"/threads/{unknown}/state"),
        ("POST", f"/threads/{unknown}/state"),
        ("GET", f"/threads/{unknown}/history"),
        ("POST", f"/threads/{unknown}/history"),
        ("GET", f"/threads/{unknown}/runs"),
        ("GET", f"/threads/{thread_id}/runs/{unknown}"),
        ("DELETE", f"/threads/{thread_id}/runs/{unknown}"),
        ("POST", f"/threads/{thread_id}/runs/{unknown}/cancel"),
        ("POST", f"/threads/{unknown}/runs"),
        ("POST", f"/threads/{unknown}/runs/wait"),
        ("POST", f"/threads/{unknown}/runs/stream"),
    ]:
        json_body: dict[str, object] | None = None
        if method in ("POST", "PATCH"):
            json_body = {"assistant_id": ECHO, "values": {}, "metadata": {}}
        response = await http.request(method, path, json=json_body)
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        assert "detail" in response.json()


async def test_set_latest_unknown_assistant_and_version(http: httpx.AsyncClient) -> None:
    unknown = str(uuid.uuid4())
    assert_error(await http.post(f"/assistants/{unknown}/latest", json={"version": 1}), 404)
    created = (await http.post("/assistants", json={"graph_id": ECHO})).json()
    assistant_id = created["assistant_id"]
    assert_error(await http.post(f"/assistants/{assistant_id}/latest", json={"version": 42}), 404)
    assert_error(await http.post(f"/assistants/{assistant_id}/latest", json={"version": "x"}), 422)


async def test_unknown_checkpoint(http: httpx.AsyncClient, thread_id: str) -> None:
    await http.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": COUNTDOWN, "input": {"n": 0}}
    )
    response = await http.get(f"/threads/{thread_id}/state/{uuid.uuid4()}")
    # The reference answers 200 with an empty state; a 404 is the rule. Never a 500.
    assert response.status_code in (200, 404)


async def test_non_uuid_path_ids_are_422(http: httpx.AsyncClient, thread_id: str) -> None:
    """The reference validates path ids as UUIDs (422), except where a graph name is allowed."""
    for method, path in [
        ("GET", "/threads/not-a-uuid"),
        ("GET", f"/threads/{thread_id}/runs/not-a-uuid"),
        ("GET", "/assistants/not-a-uuid"),
    ]:
        response = await http.request(method, path)
        assert response.status_code == 422, (path, response.status_code)


async def test_bad_query_params_are_422(http: httpx.AsyncClient, thread_id: str) -> None:
    run = (
        await http.post(
            f"/threads/{thread_id}/runs",
            json={"assistant_id": COUNTDOWN, "input": countdown_input(1, 0.01)},
        )
    ).json()
    run_path = f"/threads/{thread_id}/runs/{run['run_id']}"
    for method, path, params in [
        ("GET", f"/threads/{thread_id}/runs", {"limit": "x"}),
        ("GET", f"/threads/{thread_id}/runs", {"limit": "-1"}),
        ("GET", f"/threads/{thread_id}/runs", {"offset": "x"}),
        ("GET", f"/threads/{thread_id}/history", {"limit": "x"}),
        ("GET", f"/threads/{thread_id}/state", {"subgraphs": "perhaps"}),
        ("GET", f"/assistants/{uuid.uuid4()}/graph", {"xray": "perhaps"}),
        ("POST", f"{run_path}/cancel", {"wait": "perhaps"}),
        ("GET", f"{run_path}/join", {"cancel_on_disconnect": "perhaps"}),
    ]:
        response = await http.request(method, path, params=params)
        assert response.status_code == 422, (path, params, response.status_code, response.text)
        assert "detail" in response.json()


async def test_bad_last_event_id(http: httpx.AsyncClient, thread_id: str) -> None:
    run = (
        await http.post(
            f"/threads/{thread_id}/runs",
            json={"assistant_id": COUNTDOWN, "input": countdown_input(1, 0.01)},
        )
    ).json()
    response = await http.get(
        f"/threads/{thread_id}/runs/{run['run_id']}/stream",
        headers={"Last-Event-ID": "not-an-id"},
    )
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert "detail" in response.json()


async def test_unknown_route_and_wrong_method(http: httpx.AsyncClient) -> None:
    assert_error(await http.get("/no/such/route"), 404)
    assert_error(await http.put("/threads", json={}), 405)
    assert_error(await http.get("/runs/batch"), 405)
    assert_error(await http.delete("/assistants"), 405)


async def test_unknown_fields_are_ignored(http: httpx.AsyncClient) -> None:
    response = await http.post("/threads", json={"metadata": {}, "surprise": True})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
async def test_body_not_declared_json_is_415(http: httpx.AsyncClient, content_type: str) -> None:
    # What a web page can send cross-site without a CORS preflight never starts anything.
    before = (await http.post("/threads/count", json={})).json()
    for path in ("/threads", "/runs/wait", "/assistants"):
        response = await http.post(
            path,
            content=b'{"assistant_id": "echo", "graph_id": "echo", "input": {}}',
            headers={"content-type": content_type},
        )
        assert_error(response, 415)
    assert (await http.post("/threads/count", json={})).json() == before


# -- body size ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir: Path = tmp_path_factory.mktemp("small")
    with running_server(workdir, "--max-body-bytes", "1024") as server:
        yield server


@pytest.fixture
async def small_http(small_server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=small_server.url, timeout=30) as raw:
        yield raw


async def test_oversized_body_is_413(small_http: httpx.AsyncClient) -> None:
    big = {"metadata": {"blob": "x" * 4096}}
    assert_error(await small_http.post("/threads", json=big), 413)
    assert_error(await small_http.post("/assistants", json={"graph_id": ECHO, **big}), 413)
    assert_error(
        await small_http.post(
            "/runs/wait", json={"assistant_id": ECHO, "input": {"messages": ["x" * 4096]}}
        ),
        413,
    )
    # Small bodies still work.
    assert (await small_http.post("/threads", json={"metadata": {"k": 1}})).status_code == 200


async def test_oversized_chunked_body_is_413(small_http: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"metadata": {"blob": "'
        for _ in range(8):
            yield b"y" * 512
        yield b'"}}'

    response = await small_http.post(
        "/threads", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413)
