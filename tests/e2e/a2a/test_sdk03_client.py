"""The a2a-sdk 0.3.x client, with its own defaults (card resolution, transport), against
`interop serve`. The dev group pins a2a-sdk 1.x, so the 0.3 client runs in a throwaway uv
environment (`uv run --no-project --with a2a-sdk==0.3.x`); skipped, saying why, only when that
package cannot be installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SDK_03 = "a2a-sdk[http-server]==0.3.26"  # the newest 0.3.x on PyPI
SCRIPT = Path(__file__).with_name("sdk03_client.py")
INSTALL_TIMEOUT = 300.0


def _uv_run(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH: cannot set up the a2a-sdk 0.3 client")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT")}
    return subprocess.run(
        [uv, "run", "--no-project", "--python", sys.executable, "--with", SDK_03, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=SCRIPT.parent,
        check=False,
    )


@pytest.fixture(scope="module")
def sdk03() -> None:
    probe = _uv_run("python", "-c", "import a2a.client", timeout=INSTALL_TIMEOUT)
    if probe.returncode != 0:
        pytest.skip(f"{SDK_03} cannot be installed here: {probe.stderr.strip()[-300:]}")


def test_sdk_0_3_client_with_its_defaults(sdk03: None, base_url: str) -> None:
    done = _uv_run("python", str(SCRIPT), base_url, timeout=120.0)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # The card read with no version header is one a 0.3 client validates (it needs `url`).
    assert seen["card"] == {"url": f"{base_url}/a2a/echo", "transport": "JSONRPC"}
    assert seen["send"] == {"state": "completed", "text": "hello from 0.3"}
    assert seen["get"] == "completed"
    assert seen["context"]["echoed"] == seen["context"]["sent"]
    assert seen["stream"] == {
        "progress": [{"remaining": 2}, {"remaining": 1}],
        "final": "completed",
    }
    assert seen["cancel"] == "canceled"
