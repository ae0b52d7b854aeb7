"""A2A end-to-end fixtures: one `interop serve` per module on conformance/a2a/interop.json
(the example agents plus the TCK agent pack; push to loopback allowed for the local receiver)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.e2e.support import ServerProcess, running_server

CONFIG = Path(__file__).resolve().parents[3] / "conformance" / "a2a" / "interop.json"


@pytest.fixture(scope="module")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_server(tmp_path_factory.mktemp("interop-a2a"), "--config", str(CONFIG)) as server:
        yield server


@pytest.fixture(scope="module")
def base_url(server_process: ServerProcess) -> str:
    return server_process.url
