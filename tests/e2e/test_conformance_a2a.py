"""The black-box A2A conformance suite (conformance/a2a) passes against interop.

It runs as a separate pytest process against a freshly started server on the suite's config
(conformance/a2a/interop.json), as a user would run it: `pytest conformance/a2a --base-url URL`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.e2e.support import running_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_a2a_conformance_suite_passes_against_interop(tmp_path: Path) -> None:
    config = ROOT / "conformance" / "a2a" / "interop.json"
    with running_server(
        tmp_path, "--config", str(config), "--max-body-bytes", str(1024 * 1024)
    ) as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-n",
                "0",  # one process: the suite shares one server
                str(ROOT / "conformance" / "a2a"),
                "--base-url",
                server.url,
                "--a2a-oversize-bytes",
                str(2 * 1024 * 1024),
                "-q",
                "-p",
                "no:cacheprovider",
                "-x",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=280,
            check=False,
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
