"""Schemathesis over /openapi.json: every operation, every check, every phase, bounded examples.

The document must match the server (what it declares valid is accepted, what it declares
invalid is refused; statuses, content types and Allow headers as declared), and no request may
get a 5xx or go unanswered (`REQUEST_TIMEOUT`). See fuzz_hooks.py for the two requests held
back from waiting as long as they lawfully may.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support import ServerProcess, running_server

REQUEST_TIMEOUT = 30  # seconds: a request unanswered by then is a hang
MAX_EXAMPLES = 8


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    # The example agents but `countdown`: a run of it with fuzzed input counts down its
    # default five seconds, which tells nothing more about the HTTP surface and would make
    # the run operations most of the test's time.
    workdir = tmp_path_factory.mktemp("fuzz")
    config = workdir / "langgraph.json"
    graphs = {
        "echo": "interop.examples.echo:graph",
        "approval": "interop.examples.approval:graph",
    }
    config.write_text(json.dumps({"graphs": graphs}))
    with running_server(workdir, "--config", str(config)) as server:
        yield server


@pytest.mark.timeout(600)
def test_the_server_matches_its_openapi_document(
    fuzz_server: ServerProcess, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "fuzz_hooks",
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]
        ),
    }
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{fuzz_server.url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--request-timeout",
        str(REQUEST_TIMEOUT),
        "--generation-deterministic",
        "--no-color",
        "--workers",
        "1",  # hypothesis's internal caches are not safe across schemathesis worker threads
    ]
    done = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-20000:] + done.stderr[-5000:]
