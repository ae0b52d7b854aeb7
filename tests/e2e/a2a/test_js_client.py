"""The official JS client (@a2a-js/sdk) with its defaults against `interop serve`: card
resolution relative to the agent URL (with and without a trailing slash), send, stream.
Installed with npm into a cache folder outside the repository; skipped, saying why, when node
or npm is missing or the package cannot be installed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

JS_SDK = "@a2a-js/sdk@1.3.0"
SCRIPT = Path(__file__).with_name("js_client.mjs")
CACHE = Path.home() / ".cache" / "interop-tests" / JS_SDK.replace("/", "+").replace("@", "")


@pytest.fixture(scope="module")
def node_modules() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the @a2a-js/sdk client")
    target = CACHE / "node_modules"
    if not (target / "@a2a-js" / "sdk" / "package.json").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                npm,
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(CACHE),
                JS_SDK,
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(f"{JS_SDK} cannot be installed here: {done.stderr.strip()[-300:]}")
    return target


def test_js_client_with_its_defaults(node_modules: Path, base_url: str) -> None:
    # Node resolves packages from the script's folder upwards: run a copy beside node_modules.
    script = node_modules.parent / SCRIPT.name
    shutil.copyfile(SCRIPT, script)
    done = subprocess.run(
        ["node", str(script), base_url], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # With the trailing slash: the echo agent's own card, so the echo agent answers.
    assert seen["slash"] == {"state": 3, "text": "hi from js"}  # TASK_STATE_COMPLETED
    # Without it: the card at /a2a/.well-known/agent-card.json, the default agent's (here the
    # TCK pack), which answers too: found, not a 404.
    assert seen["bare"]["state"] in range(1, 9)
    kinds = seen["stream"]["kinds"]
    assert kinds[0] == "task" and kinds[-1] == "statusUpdate" and "artifactUpdate" in kinds
    assert seen["stream"]["contextId"] == "js-context"
