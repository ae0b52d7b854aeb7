"""Black-box conformance suite for an MCP server hosting interop's example agents.

Run it against any server that serves the Streamable HTTP endpoint at `/mcp` with the example
agents `echo`, `approval` and `countdown` as tools (see `interop.examples`)::

    pytest conformance/mcp --base-url http://127.0.0.1:8123
    INTEROP_BASE_URL=http://127.0.0.1:8123 pytest conformance/mcp

Every check speaks raw HTTP (httpx), in both protocol eras: 2025-11-25 (sessions) and
2026-07-28 (stateless). Checks assert status and JSON-RPC error codes, never message text.
Tests marked `rest` also use the server's LangGraph REST API (to create assistants).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

import httpx
import pytest

from .wire import LEGACY, MODERN, Era, Legacy, Modern

BASE_URL_ENV = "INTEROP_BASE_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance-mcp", "MCP conformance suite")
    # Another plugin (pytest-base-url) may already define --base-url; then reuse its value.
    with contextlib.suppress(ValueError):
        group.addoption(
            "--base-url",
            action="store",
            default=None,
            help=f"base URL of the server under test (or set {BASE_URL_ENV})",
        )
    group.addoption(
        "--mcp-path",
        action="store",
        default="/mcp",
        help="path of the MCP endpoint under the base URL",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rest: also uses the server's LangGraph REST API")
    if config.option.help or config.option.collectonly:
        return
    if not _configured_base_url(config):
        raise pytest.UsageError(
            "conformance/mcp needs the server under test: pass --base-url URL "
            f"or set {BASE_URL_ENV} (e.g. pytest conformance/mcp --base-url http://127.0.0.1:8123)"
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
def mcp_path(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("mcp_path"))


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client for wire-level checks."""
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(60.0)) as client:
        yield client


@pytest.fixture
async def legacy(http: httpx.AsyncClient, mcp_path: str) -> AsyncIterator[Legacy]:
    """An initialized 2025-11-25 session, ended (DELETE) on teardown."""
    session = Legacy(http, mcp_path)
    await session.open()
    yield session
    await session.close()


@pytest.fixture
def modern(http: httpx.AsyncClient, mcp_path: str) -> Modern:
    """A 2026-07-28 stateless client."""
    return Modern(http, mcp_path)


@pytest.fixture(params=[LEGACY, MODERN])
async def era(
    request: pytest.FixtureRequest, http: httpx.AsyncClient, mcp_path: str
) -> AsyncIterator[Era]:
    """Either era behind one interface: every tool check runs in both."""
    if request.param == LEGACY:
        session = Legacy(http, mcp_path)
        await session.open()
        yield session
        await session.close()
    else:
        yield Modern(http, mcp_path)
