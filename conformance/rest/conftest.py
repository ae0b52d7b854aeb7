"""Black-box conformance suite for the LangGraph Agent Server REST API.

Run it against any server that hosts the example agents `echo`, `approval` and `countdown`
(see `interop.examples`)::

    pytest conformance/rest --base-url http://127.0.0.1:8123
    INTEROP_BASE_URL=http://127.0.0.1:8123 pytest conformance/rest

Tests marked `interop_extension` check behaviour that interop's issue requires beyond the
reference server (for example `id:` lines on every SSE record, or 413 for oversized bodies);
deselect them with `-m "not interop_extension"` to check plain reference compatibility.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from .agents import cleanup_thread

BASE_URL_ENV = "INTEROP_BASE_URL"
AUTH_TOKENS_ENV = "INTEROP_AUTH_TOKENS"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance-rest", "REST conformance suite")
    # Another plugin (pytest-base-url) may already define --base-url; then reuse its value.
    with contextlib.suppress(ValueError):
        group.addoption(
            "--base-url",
            action="store",
            default=None,
            help=f"base URL of the server under test (or set {BASE_URL_ENV})",
        )
    group.addoption(
        "--auth-tokens",
        action="store",
        default=os.environ.get(AUTH_TOKENS_ENV),
        help=(
            "ALICE,BOB: run the custom auth checks (test_custom_auth.py) with these two users'"
            " bearer tokens, against a server started with custom_auth/langgraph.json"
            f" (or set {AUTH_TOKENS_ENV})"
        ),
    )
    group.addoption(
        "--oversize-bytes",
        action="store",
        type=int,
        default=32 * 1024 * 1024,
        help="size of the body sent by the 413 check (must exceed the server's limit)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "interop_extension: behaviour interop requires beyond the reference LangGraph server",
    )
    config.addinivalue_line("markers", "slow: waits several seconds of server time (heartbeats)")
    if config.option.help or config.option.collectonly:
        return
    if not _configured_base_url(config):
        raise pytest.UsageError(
            "conformance/rest needs the server under test: pass --base-url URL "
            f"or set {BASE_URL_ENV} (e.g. pytest conformance/rest --base-url http://127.0.0.1:8123)"
        )


def _configured_base_url(config: pytest.Config) -> str | None:
    value = getattr(config.option, "base_url", None) or os.environ.get(BASE_URL_ENV)
    return value.rstrip("/") if value else None


@pytest.fixture(scope="session")
def base_url(pytestconfig: pytest.Config) -> str:
    url = _configured_base_url(pytestconfig)
    assert url, "base URL missing (checked in pytest_configure)"
    return url


@pytest.fixture(scope="session")
def oversize_bytes(pytestconfig: pytest.Config) -> int:
    return int(pytestconfig.getoption("oversize_bytes"))


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client for wire-level checks (status codes, headers, SSE bytes)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(60.0)) as client:
        yield client


@pytest.fixture
def sdk(base_url: str) -> LangGraphClient:
    """The official langgraph-sdk async client."""
    return get_client(url=base_url)


@pytest.fixture
async def thread_id(http: httpx.AsyncClient) -> AsyncIterator[str]:
    """A fresh thread; on teardown its unfinished runs are cancelled so no run outlives its test."""
    response = await http.post("/threads", json={})
    assert response.status_code == 200, response.text
    tid = response.json()["thread_id"]
    yield tid
    await cleanup_thread(http, tid)
