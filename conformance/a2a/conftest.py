"""Black-box conformance suite for interop's A2A front door (JSON-RPC, protocol 1.0 and 0.3, and
the HTTP+JSON binding of 1.0).

Run it against any server that serves the agents of `conformance/a2a/interop.json` (`echo`,
`approval`, `countdown` and the TCK pack `tck`) under `/a2a/{name}`::

    interop serve --config conformance/a2a/interop.json --port 8123
    pytest conformance/a2a --base-url http://127.0.0.1:8123
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

import httpx
import pytest

from .rpc import A2A

BASE_URL_ENV = "INTEROP_BASE_URL"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("conformance-a2a", "A2A conformance suite")
    # conformance/rest (or pytest-base-url) may already define --base-url: then share it.
    with contextlib.suppress(ValueError):
        group.addoption(
            "--base-url",
            action="store",
            default=None,
            help=f"base URL of the server under test (or set {BASE_URL_ENV})",
        )
    group.addoption(
        "--a2a-oversize-bytes",
        action="store",
        type=int,
        default=32 * 1024 * 1024,
        help="size of the body sent by the oversized-body check (must exceed the server's limit)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.option.help or config.option.collectonly:
        return
    if not _configured_base_url(config):
        raise pytest.UsageError(
            "conformance/a2a needs the server under test: pass --base-url URL "
            f"or set {BASE_URL_ENV} (e.g. pytest conformance/a2a --base-url http://127.0.0.1:8123)"
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
    return int(pytestconfig.getoption("a2a_oversize_bytes"))


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(30.0)) as client:
        yield client


@pytest.fixture(params=["1.0", "0.3"])
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def a2a(http: httpx.AsyncClient, version: str) -> A2A:
    """A raw JSON-RPC client of the `echo` agent in the parametrized protocol version."""
    return A2A(http, version, "echo")
