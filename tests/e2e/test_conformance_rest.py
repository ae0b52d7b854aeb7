"""The black-box REST conformance suite (conformance/rest) passes against interop.

It runs as a separate pytest process against a freshly started server, exactly as a user
would run it against any server: `pytest conformance/rest --base-url URL`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.e2e.support import running_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
def test_conformance_suite_passes_against_interop(tmp_path: Path) -> None:
    with running_server(tmp_path, "--max-body-bytes", str(1024 * 1024)) as server:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-n",
                "0",  # one process: the suite shares one server
                str(ROOT / "conformance" / "rest"),
                "--base-url",
                server.url,
                "--oversize-bytes",
                str(2 * 1024 * 1024),
                "-q",
                "-p",
                "no:cacheprovider",
                "-x",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=540,
            check=False,
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
