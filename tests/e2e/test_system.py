"""System routes: /ok, /info, /openapi.json, /docs."""

from __future__ import annotations

import httpx


async def test_ok(http: httpx.AsyncClient) -> None:
    response = await http.get("/ok")
    assert response.status_code == 200
    assert response.json()["ok"] is True


async def test_info(http: httpx.AsyncClient) -> None:
    response = await http.get("/info")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["version"], str) and body["version"]
    assert isinstance(body["flags"], dict)
    assert body["flags"]["assistants"] is True


async def test_openapi_lists_the_sdk_routes(http: httpx.AsyncClient) -> None:
    response = await http.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path, method in [
        ("/assistants", "post"),
        ("/assistants/search", "post"),
        ("/assistants/{assistant_id}", "get"),
        ("/assistants/{assistant_id}/versions", "post"),
        ("/threads", "post"),
        ("/threads/{thread_id}/state", "get"),
        ("/threads/{thread_id}/history", "post"),
        ("/threads/{thread_id}/runs/stream", "post"),
        ("/threads/{thread_id}/runs/{run_id}/cancel", "post"),
        ("/runs/wait", "post"),
        ("/runs/batch", "post"),
        ("/runs/cancel", "post"),
    ]:
        assert method in paths.get(path, {}), (method, path)


async def test_docs_page(http: httpx.AsyncClient) -> None:
    response = await http.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "openapi.json" in response.text
