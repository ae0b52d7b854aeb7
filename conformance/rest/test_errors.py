"""Bad input: malformed JSON, wrong types, bad enums, malformed ids, oversized bodies.

Every error is JSON `{"detail": ...}` with a 4xx status, never a 500.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

THREAD = "{thread}"

JSON_POSTS = [
    "/threads",
    "/threads/search",
    "/threads/count",
    "/assistants",
    "/assistants/search",
    "/assistants/count",
    f"/threads/{THREAD}/runs",
    f"/threads/{THREAD}/runs/stream",
    f"/threads/{THREAD}/runs/wait",
    f"/threads/{THREAD}/state",
    f"/threads/{THREAD}/history",
    "/runs",
    "/runs/stream",
    "/runs/wait",
    "/runs/batch",
    "/runs/cancel",
]


def expand(path: str, thread_id: str) -> str:
    return path.replace(THREAD, thread_id)


def assert_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "detail" in response.json()


@pytest.mark.parametrize("path", JSON_POSTS)
async def test_malformed_json_422(http: httpx.AsyncClient, thread_id: str, path: str) -> None:
    response = await http.post(
        expand(path, thread_id),
        content=b'{"assistant_id": "echo",',
        headers={"content-type": "application/json"},
    )
    assert_error(response, 422)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/threads", {"metadata": "not-an-object"}),
        ("/threads", []),
        ("/assistants", {"graph_id": "echo", "metadata": 5}),
        (f"/threads/{THREAD}/runs", {"assistant_id": 123}),
        (f"/threads/{THREAD}/runs", {"assistant_id": "echo", "after_seconds": "soon"}),
        (f"/threads/{THREAD}/runs", {"assistant_id": "echo", "metadata": []}),
        (f"/threads/{THREAD}/runs/wait", {"assistant_id": ["echo"]}),
        ("/runs/wait", {"assistant_id": "echo", "config": "x"}),
        ("/threads/search", {"limit": "ten"}),
        ("/assistants/search", {"offset": "x"}),
    ],
)
async def test_wrong_types_422(
    http: httpx.AsyncClient, thread_id: str, path: str, body: Any
) -> None:
    response = await http.post(expand(path, thread_id), json=body)
    assert_error(response, 422)


@pytest.mark.parametrize("path", [f"/threads/{THREAD}/runs", "/runs", "/runs/wait"])
async def test_missing_assistant_id_422(http: httpx.AsyncClient, thread_id: str, path: str) -> None:
    response = await http.post(expand(path, thread_id), json={"input": {}})
    assert_error(response, 422)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (f"/threads/{THREAD}/runs", {"assistant_id": "echo", "multitask_strategy": "bogus"}),
        (f"/threads/{THREAD}/runs", {"assistant_id": "echo", "if_not_exists": "bogus"}),
        (f"/threads/{THREAD}/runs/stream", {"assistant_id": "echo", "on_disconnect": "bogus"}),
        ("/runs", {"assistant_id": "echo", "on_completion": "bogus"}),
        ("/threads", {"thread_id": str(uuid.uuid4()), "if_exists": "bogus"}),
        ("/assistants", {"graph_id": "echo", "if_exists": "bogus"}),
        ("/threads/search", {"status": "bogus"}),
        ("/threads/prune", {"thread_ids": [], "strategy": "bogus"}),
    ],
)
async def test_bad_enum_values_422(
    http: httpx.AsyncClient, thread_id: str, path: str, body: dict[str, Any]
) -> None:
    response = await http.post(expand(path, thread_id), json=body)
    assert_error(response, 422)


@pytest.mark.parametrize(
    "path",
    [
        "/threads/not-a-uuid",
        "/threads/not-a-uuid/state",
        "/threads/not-a-uuid/history",
        "/threads/not-a-uuid/runs",
        f"/threads/{THREAD}/runs/not-a-uuid",
        "/assistants/not-a-uuid/graph",
    ],
)
async def test_malformed_path_ids_are_client_errors(
    http: httpx.AsyncClient, thread_id: str, path: str
) -> None:
    response = await http.get(expand(path, thread_id))
    assert response.status_code in (404, 422), response.text
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/threads/{id}",
        "/threads/{id}/state",
        "/threads/{id}/history",
        "/threads/{id}/runs",
        "/assistants/{id}",
        "/assistants/{id}/graph",
        "/assistants/{id}/schemas",
    ],
)
async def test_unknown_ids_404(http: httpx.AsyncClient, path: str) -> None:
    response = await http.get(path.replace("{id}", str(uuid.uuid4())))
    assert_error(response, 404)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/threads", {"metadata": {"k": "v" * 10}, "unexpected": True}),
        ("POST", "/threads/{thread}/runs", {"assistant_id": "echo", "input": "not-a-dict"}),
        ("POST", "/threads/{thread}/runs", {"assistant_id": "echo", "command": {"goto": 5}}),
        ("POST", "/threads/{thread}/state", {"values": {"messages": "x"}, "as_node": 5}),
        ("POST", "/assistants/search", {"metadata": {"a": [1, {"b": None}]}}),
        ("GET", "/threads/{thread}/runs?limit=-5", None),
        ("GET", "/threads/{thread}/history?limit=abc", None),
        (
            "POST",
            "/threads/{thread}/runs/00000000-0000-0000-0000-000000000000/cancel?action=x",
            None,
        ),
    ],
)
async def test_odd_input_never_answers_5xx(
    http: httpx.AsyncClient, thread_id: str, method: str, path: str, body: Any
) -> None:
    response = await http.request(
        method, expand(path, thread_id), json=body if body is not None else None
    )
    assert response.status_code < 500, response.text


@pytest.mark.interop_extension
async def test_oversized_body_413(http: httpx.AsyncClient, oversize_bytes: int) -> None:
    body = b'{"metadata": {"big": "' + b"x" * oversize_bytes + b'"}}'
    response = await http.post(
        "/threads", content=body, headers={"content-type": "application/json"}
    )
    assert_error(response, 413)
