"""The official MCP conformance suite (`@modelcontextprotocol/conformance`) against interop.

Both pinned versions run against one fresh `interop serve --config conformance/mcp/interop.json`:
0.1.16 with `--suite all` (the 2025 eras) and 0.2.0-alpha.12 with `--spec-version 2026-07-28
--suite all`, then each of 0.2.0-alpha.12's `tasks-*` server scenarios (the tasks extension,
`io.modelcontextprotocol/tasks`: extension scenarios are off the spec timeline, so no suite
selects them; they run one `--scenario` at a time). Node 22 (the suite needs it) and the suites
are installed with npm into a cache directory on first use (`INTEROP_CONFORMANCE_CACHE`, default
`~/.cache/interop/mcp-conformance`). Skipped, with the reason, only when npm itself is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .node import npm_install
from .support import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "conformance" / "mcp" / "interop.json"
SUITES = {
    "0.1.16": ["--suite", "all"],
    "0.2.0-alpha.12": ["--suite", "all", "--spec-version", "2026-07-28"],
}
TASKS_SUITE = "0.2.0-alpha.12"
TASK_SCENARIO = re.compile(r"^\s*- (tasks-[\w-]+) \[extension\]", re.MULTILINE)
SCENARIO_TOTAL = re.compile(r"Passed: (\d+)/(\d+), (\d+) failed")
NODE_PACKAGE = "node@22"
INSTALL_TIMEOUT = 300
RUN_TIMEOUT = 240
TOTAL = re.compile(r"Total: (\d+) passed, (\d+) failed")

pytestmark = pytest.mark.slow


def _cache() -> Path:
    default = Path.home() / ".cache" / "interop" / "mcp-conformance"
    return Path(os.environ.get("INTEROP_CONFORMANCE_CACHE", default))


def _suite(version: str) -> tuple[Path, Path]:
    """(node 22 binary, the suite's entry script), installed on first use."""
    cache = _cache()
    node_dir = cache / "node22"
    node = node_dir / "node_modules" / "node" / "bin" / "node"
    if not node.exists():
        npm_install(node_dir, [NODE_PACKAGE])
    suite_dir = cache / version
    entry = (
        suite_dir / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
    )
    if not entry.exists():
        npm_install(suite_dir, [f"@modelcontextprotocol/conformance@{version}"])
    return node, entry


@pytest.fixture(scope="module")
def conformance_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("mcp-conformance"), "--config", str(CONFIG))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.timeout(INSTALL_TIMEOUT + RUN_TIMEOUT)
@pytest.mark.parametrize("version", list(SUITES))
def test_official_suite(version: str, conformance_server: ServerProcess) -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the official MCP conformance suite comes from npm")
    node, entry = _suite(version)
    command = [str(node), str(entry), "server", "--url", conformance_server.url + "/mcp"]
    command += SUITES[version]
    done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT)
    output = done.stdout + done.stderr
    totals = TOTAL.findall(output)
    assert totals, f"no summary in the suite's output:\n{output[-4000:]}"
    passed, failed = (int(n) for n in totals[-1])
    failures = [line for line in output.splitlines() if line.startswith("✗")]
    assert failed == 0, "\n".join(failures) + "\n" + conformance_server.log_tail()
    assert passed > 0
    assert done.returncode == 0, output[-4000:]


@pytest.mark.timeout(INSTALL_TIMEOUT + RUN_TIMEOUT)
def test_official_tasks_extension_scenarios(conformance_server: ServerProcess) -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the official MCP conformance suite comes from npm")
    node, entry = _suite(TASKS_SUITE)
    listed = subprocess.run(
        [str(node), str(entry), "list"], capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    scenarios = TASK_SCENARIO.findall(listed.stdout)
    assert scenarios, f"no tasks scenario listed:\n{listed.stdout[-4000:]}"
    url = conformance_server.url + "/mcp"
    failures: list[str] = []
    for scenario in scenarios:
        command = [str(node), str(entry), "server", "--url", url, "--scenario", scenario]
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        output = done.stdout + done.stderr
        totals = SCENARIO_TOTAL.findall(output)
        if not totals or int(totals[-1][2]) or done.returncode:
            failed = [line for line in output.splitlines() if "FAILURE" in line or "Error:" in line]
            failures.append(f"{scenario}: {totals[-1:] or 'no summary'}\n" + "\n".join(failed))
    assert not failures, "\n".join(failures) + "\n" + conformance_server.log_tail()
