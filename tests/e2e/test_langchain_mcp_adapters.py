"""LangChain's MCP adapters with their defaults: they drop `_meta`, so the thread id must reach
them in the result content (see `interop.mcp.content`).

The adapters need the 1.x `mcp` package and interop runs on 2.x, so the client runs in its own
environment made by `uv run --no-project --with langchain-mcp-adapters==<pin>` (from PyPI on first
use, cached by uv). Skipped, saying why, only when uv is missing or cannot install it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ADAPTERS = "langchain-mcp-adapters==0.3.2"
SCRIPT = Path(__file__).resolve().parent / "clients" / "langchain_mcp_adapters_client.py"
TIMEOUT = 300


def test_thread_continues_and_resumes_without_meta(base_url: str) -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed: the adapters run in an environment uv makes")
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    command = [uv, "run", "--no-project", "--python", version, "--with", ADAPTERS, "python"]
    done = subprocess.run(
        [*command, str(SCRIPT), base_url + "/mcp"], capture_output=True, text=True, timeout=TIMEOUT
    )
    if done.returncode != 0 and "Traceback" not in done.stderr:
        # uv failed before the script ran (no network, no matching release).
        pytest.skip(f"uv could not make an environment with {ADAPTERS}: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    echo = report["echo"]
    assert echo["first"][0] == "one"
    assert echo["first"][-1] == f"thread_id: {echo['artifact_thread']}"
    assert echo["second"][0] == "two"
    assert echo["second_messages"] == 4  # the same thread: both exchanges

    approval = report["approval"]
    assert "deploy?" in approval["waiting"][0]
    assert approval["answered"][0] == "Approved."
