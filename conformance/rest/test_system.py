"""System routes: /ok, /info, the OpenAPI document and the docs page."""

from __future__ import annotations

import httpx


async def test_ok_answers_ok_true(http: httpx.AsyncClient) -> None:
    response = await http.get("/ok")
    assert response.status_code == 200
    assert response.json()["ok"] is True


async def test_info_reports_version_and_flags(http: httpx.AsyncClient) -> None:
    response = await http.get("/info")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["version"], str) and body["version"]
    assert isinstance(body["flags"], dict)


async def test_openapi_document_lists_core_paths(http: httpx.AsyncClient) -> None:
    response = await http.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/assistants", "/threads", "/threads/{thread_id}/runs", "/runs/wait"):
        assert path in paths


async def test_docs_page_is_html(http: httpx.AsyncClient) -> None:
    response = await http.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


async def test_unknown_route_answers_404_json_detail(http: httpx.AsyncClient) -> None:
    response = await http.get("/no-such-route")
    assert response.status_code == 404
    assert "detail" in response.json()


async def test_wrong_method_answers_405(http: httpx.AsyncClient) -> None:
    response = await http.put("/threads")
    assert response.status_code == 405
    assert "detail" in response.json()
