"""End-to-end fixtures: one real `interop serve` subprocess per test module (see support.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from .support import ServerProcess, drop_test_databases, running_server


@pytest.fixture(scope="session", autouse=True)
def _test_databases() -> Iterator[None]:
    yield
    drop_test_databases()


@pytest.fixture(scope="module")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("interop")) as server:
        yield server


@pytest.fixture(scope="module")
def base_url(server_process: ServerProcess) -> str:
    return server_process.url


@pytest.fixture
async def client(base_url: str) -> AsyncIterator[LangGraphClient]:
    sdk = get_client(url=base_url, timeout=httpx.Timeout(60.0, connect=10.0))
    try:
        yield sdk
    finally:
        await sdk.aclose()


@pytest.fixture
async def http(base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=httpx.Timeout(60.0)) as raw:
        yield raw
