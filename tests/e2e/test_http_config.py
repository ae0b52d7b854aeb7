"""The `http` key of langgraph.json on a real server: CORS on every door (browser preflights
included), a user's app beside the API (the reference's route order), route groups switched off,
request headers into the run's configurable, and `GET /metrics`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .support import (
    TIMEOUT,
    ServerProcess,
    a2a_send_v03,
    countdown_input,
    running_server,
    user_message,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "http_app"
TOKEN = "s3cret"
ORIGIN = "https://app.example"
AUTH = {"authorization": f"Bearer {TOKEN}"}


def _write_config(workdir: Path, http: dict[str, Any]) -> Path:
    config = workdir / "langgraph.json"
    config.write_text(
        json.dumps(
            {
                "graphs": {
                    "echo": "interop.examples.echo:graph",
                    "countdown": "interop.examples.countdown:graph",
                    "headers": f"{FIXTURES}/headers_graph.py:graph",
                },
                "http": http,
            }
        )
    )
    return config


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("http")
    config = _write_config(
        workdir,
        {
            "app": f"{FIXTURES}/webapp.py:app",
            "cors": {
                "allow_origins": [ORIGIN],
                "allow_methods": ["GET", "POST", "DELETE"],
                "allow_headers": ["content-type", "authorization", "x-user-id"],
                "allow_credentials": True,
                "expose_headers": ["content-location"],
                "max_age": 321,
            },
            "configurable_headers": {
                "include": ["x-user-*", "x-org"],
                "exclude": ["x-user-secret"],
            },
        },
    )
    with running_server(workdir, "--config", str(config), "--auth-token", TOKEN) as process:
        yield process


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=TIMEOUT) as raw:
        yield raw


# -- CORS ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/assistants/search", "/threads/abc/runs/wait", "/runs/stream", "/a2a/echo", "/mcp"]
)
async def test_browser_preflight_gets_the_configured_headers(
    http: httpx.AsyncClient, path: str
) -> None:
    response = await http.options(
        path,
        headers={
            "origin": ORIGIN,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, authorization",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert response.headers["access-control-max-age"] == "321"


async def test_preflight_from_another_origin_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.options(
        "/assistants/search",
        headers={"origin": "https://evil.example", "access-control-request-method": "POST"},
    )
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_cross_origin_responses_carry_cors_headers(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/assistants/search", headers={"origin": ORIGIN, **AUTH}, json={"limit": 1}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "content-location" in response.headers["access-control-expose-headers"].lower()
    refused = await http.post("/assistants/search", headers={"origin": ORIGIN}, json={})
    assert refused.status_code == 401  # readable by the page: it carries the CORS headers too
    assert refused.headers["access-control-allow-origin"] == ORIGIN


# -- the user's app --------------------------------------------------------------------------


async def test_user_routes_are_served_with_their_lifespan_and_middleware(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/hello")  # the user's route: the user's to protect
    assert response.status_code == 200
    assert response.json() == {"hello": "world", "lifespan": True}
    assert response.headers["x-user-middleware"] == "1"
    api = await http.post("/assistants/search", headers=AUTH, json={})
    assert api.status_code == 200
    assert api.headers["x-user-middleware"] == "1"  # its middleware wraps the whole server


async def test_user_routes_shadow_the_api_but_not_the_health_check(
    http: httpx.AsyncClient,
) -> None:
    assert (await http.get("/ok")).json() == {"ok": True}
    assert (await http.get("/info")).json() == {"mine": True}
    assert (await http.post("/threads/search", json={})).json() == {"mine": True}
    assert (await http.post("/threads/count", json={})).status_code == 401  # still the API's


# -- configurable headers --------------------------------------------------------------------


async def test_configured_headers_reach_the_run_config(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/runs/wait",
        headers={
            **AUTH,
            "x-user-id": "u-1",
            "x-user-secret": "no",
            "x-org": "acme",
            "x-other": "no",
        },
        json={"assistant_id": "headers", "input": {}},
    )
    assert response.status_code == 200
    assert response.json()["headers"] == {"x-user-id": "u-1", "x-org": "acme"}


SENT = {"x-user-id": "u-2", "x-user-secret": "no", "x-org": "globex", "x-other": "no"}
PICKED = {"x-user-id": "u-2", "x-org": "globex"}


async def _configurable_of_thread(http: httpx.AsyncClient, thread_id: str) -> dict[str, Any]:
    runs = (await http.get(f"/threads/{thread_id}/runs", headers=AUTH)).json()
    configurable: dict[str, Any] = runs[0]["kwargs"]["config"]["configurable"]
    return configurable


async def test_configured_headers_reach_a2a_runs(http: httpx.AsyncClient) -> None:
    response = await http.post("/a2a/headers", headers={**AUTH, **SENT}, json=a2a_send_v03("hello"))
    task = response.json()["result"]
    assert task["status"]["state"] == "completed"
    configurable = await _configurable_of_thread(http, task["contextId"])
    assert {k: configurable.get(k) for k in SENT} == {**dict.fromkeys(SENT), **PICKED}


async def test_configured_headers_reach_mcp_runs(http: httpx.AsyncClient) -> None:
    version = "2026-07-28"
    headers = {
        **AUTH,
        **SENT,
        "accept": "application/json, text/event-stream",
        "mcp-protocol-version": version,
        "mcp-method": "tools/call",
        "mcp-name": "headers",
    }
    meta = {
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "tools/call",
        "params": {"name": "headers", "arguments": {}, "_meta": meta},
    }
    response = await http.post("/mcp", headers=headers, json=body)
    assert response.status_code == 200
    result = response.json()["result"]
    assert not result.get("isError")
    thread_id = result["structuredContent"]["thread_id"]
    configurable = await _configurable_of_thread(http, thread_id)
    assert {k: configurable.get(k) for k in SENT} == {**dict.fromkeys(SENT), **PICKED}


# -- metrics ---------------------------------------------------------------------------------


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def _metrics(http: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await http.get("/metrics", headers=AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return _samples(response.text)


async def test_metrics_count_runs_requests_and_open_streams(http: httpx.AsyncClient) -> None:
    assert (await http.get("/metrics")).status_code == 401
    done = await http.post(
        "/runs/wait", headers=AUTH, json={"assistant_id": "echo", "input": user_message("m")}
    )
    assert done.status_code == 200
    samples = await _metrics(http)
    assert samples[("interop_runs_total", (("status", "success"),))] >= 1
    assert samples[("interop_run_duration_seconds_count", (("status", "success"),))] >= 1
    assert samples[("interop_http_requests_total", (("code", "2xx"), ("door", "rest")))] >= 1
    assert ("interop_run_queue_depth", ()) in samples
    assert ("interop_runs_running", ()) in samples

    body = {
        "assistant_id": "countdown",
        "input": countdown_input(n=50, delay=0.05),
        "stream_mode": ["custom"],
    }
    async with http.stream("POST", "/runs/stream", headers=AUTH, json=body) as stream:
        lines = stream.aiter_lines()
        async with asyncio.timeout(TIMEOUT):
            async for line in lines:
                if line.startswith("event: custom"):
                    break
        samples = await _metrics(http)
        assert samples[("interop_active_streams", (("door", "rest"),))] >= 1
        assert samples[("interop_runs_running", ())] >= 1
    await http.post("/runs/cancel", headers=AUTH, json={"status": "all"})


# -- switched-off route groups ---------------------------------------------------------------


async def test_disabled_groups_are_gone_and_the_health_check_stays(
    tmp_path: Path,
) -> None:
    config = _write_config(
        tmp_path,
        {
            "disable_assistants": True,
            "disable_runs": True,
            "disable_store": True,
            "disable_meta": True,
            "disable_mcp": True,
            "disable_a2a": True,
        },
    )
    with running_server(tmp_path, "--config", str(config)) as process:
        async with httpx.AsyncClient(base_url=process.url, timeout=TIMEOUT) as http:
            assert (await http.get("/ok")).status_code == 200
            thread = await http.post("/threads", json={})
            assert thread.status_code == 200  # threads stay
            thread_id = thread.json()["thread_id"]
            gone = [
                await http.get("/info"),
                await http.get("/metrics"),
                await http.get("/docs"),
                await http.get("/openapi.json"),
                await http.post("/assistants/search", json={}),
                await http.post("/runs/wait", json={"assistant_id": "echo"}),
                await http.post(f"/threads/{thread_id}/runs/wait", json={"assistant_id": "echo"}),
                await http.post("/a2a/echo", json={}),
                await http.get("/.well-known/agent-card.json"),
                await http.post("/mcp", json={}),
            ]
            assert [r.status_code for r in gone] == [404] * len(gone)
