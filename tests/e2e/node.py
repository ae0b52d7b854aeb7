"""Node.js clients for the end-to-end tests: npm packages installed on first use into a cache.

`npm_install(directory, packages)` installs into `directory` (made an npm project if it is not
one). `js_clients()` is the directory holding the pinned JavaScript clients the tests drive
(`INTEROP_JS_CLIENTS_CACHE`, default `~/.cache/interop/js-clients`) and `node()` a Node.js of at
least version 20 (the one on the PATH, else `node@22` from npm into the same cache). Tests that
need them call `require_js_clients()`, which skips with the reason when npm is missing or cannot
install (no network), and never otherwise.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL_TIMEOUT = 300
JS_CLIENTS = ("@langchain/langgraph-sdk@1.15.0", "@modelcontextprotocol/sdk@1.32.2")
SCRIPTS = Path(__file__).resolve().parent / "js"


def npm_install(directory: Path, packages: list[str]) -> None:
    """`npm install packages` in `directory`; raises CalledProcessError when npm fails."""
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / "package.json").exists():
        (directory / "package.json").write_text('{"name": "interop-e2e", "private": true}')
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *packages],
        cwd=directory,
        check=True,
        timeout=INSTALL_TIMEOUT,
        capture_output=True,
    )


def _cache() -> Path:
    default = Path.home() / ".cache" / "interop" / "js-clients"
    return Path(os.environ.get("INTEROP_JS_CLIENTS_CACHE", default))


def _node_major(binary: str) -> int:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        return int(out.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.SubprocessError):
        return 0


def node() -> str:
    """A Node.js binary of version 20 or later."""
    found = shutil.which("node")
    if found is not None and _node_major(found) >= 20:
        return found
    directory = _cache() / "node22"
    binary = directory / "node_modules" / "node" / "bin" / "node"
    if not binary.exists():
        npm_install(directory, ["node@22"])
    return str(binary)


def require_js_clients() -> tuple[str, Path]:
    """(node binary, directory with the pinned JS clients installed), or skip saying why."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the JavaScript clients come from npm")
    directory = _cache() / "-".join(p.rsplit("@", 1)[1] for p in JS_CLIENTS)
    marker = directory / ".installed"
    try:
        if not marker.exists():
            npm_install(directory, list(JS_CLIENTS))
            marker.write_text("\n".join(JS_CLIENTS))
        return node(), directory
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        pytest.skip(f"npm could not install the JavaScript clients: {stderr.decode()[-300:]}")


def run_script(name: str, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """Run `tests/e2e/js/<name>` with the JS clients (copied next to their node_modules, where
    Node resolves its imports)."""
    binary, directory = require_js_clients()
    script = directory / name
    shutil.copyfile(SCRIPTS / name, script)
    return subprocess.run(
        [binary, str(script), *args], capture_output=True, text=True, timeout=timeout
    )
