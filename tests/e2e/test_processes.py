"""`interop serve --processes N`: N server processes on one port (Postgres + Redis only), all
stopped by one SIGTERM, a dead one started again; a server without a broker is alone on its
Postgres database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.databases import admin_url, fresh_database
from tests.redis_env import delete_keys, key_prefix, redis_url

from .support import ECHO, TIMEOUT, ServerProcess, free_port, running_server, user_message

REFUSED = 2

# Starting N spawned processes takes a while on a loaded machine.
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with fresh_database(admin_url(), "interop_processes") as url:
        yield url


@pytest.fixture(scope="module")
def redis_space() -> Iterator[dict[str, str]]:
    url, prefix = redis_url(), key_prefix()
    try:
        yield {"INTEROP_REDIS": url, "INTEROP_REDIS_PREFIX": prefix}
    finally:
        delete_keys(url, prefix)


def serve(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`interop serve ARGS` expected to refuse to start: its result."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("INTEROP_")}
    return subprocess.run(
        [sys.executable, "-m", "interop", "serve", "--port", str(free_port()), *args],
        cwd=tmp_path,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def refused(result: subprocess.CompletedProcess[str]) -> bool:
    """Exit code 2 with one `interop:` line on stderr."""
    lines = [line for line in result.stderr.splitlines() if line.startswith("interop")]
    return result.returncode == REFUSED and len(lines) == 1


def children(pid: int) -> set[int]:
    """The server processes a supervisor `pid` runs (its spawned children)."""
    try:
        listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return set()
    found = set()
    for child in map(int, listed):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add(child)
        except OSError:
            continue
    return found


def wait_for(condition: object, what: str, timeout: float = 120.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def test_more_processes_need_postgres_and_redis(tmp_path: Path, postgres: str) -> None:
    assert refused(serve(tmp_path, "--processes", "2"))  # SQLite
    assert refused(serve(tmp_path, "--processes", "2", "--database", postgres))  # no Redis
    assert refused(serve(tmp_path, "--processes", "0"))


def test_abbreviated_flags_are_refused(tmp_path: Path) -> None:
    result = serve(tmp_path, "--process", "2")
    assert result.returncode == REFUSED


@pytest.fixture(scope="module")
def two_processes(
    tmp_path_factory: pytest.TempPathFactory, postgres: str, redis_space: dict[str, str]
) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("two"), "--processes", "2", env=redis_space)
    server.database_url = postgres
    server.start(timeout=180)
    try:
        yield server
    finally:
        server.stop()


def run_wait(url: str) -> dict[str, object]:
    body = {"assistant_id": ECHO, "input": user_message("hello")}
    response = httpx.post(f"{url}/runs/wait", json=body, timeout=TIMEOUT)
    assert response.status_code == 200
    result: dict[str, object] = response.json()
    return result


def test_two_processes_serve_runs_on_one_port(two_processes: ServerProcess) -> None:
    assert two_processes.process is not None
    assert len(children(two_processes.process.pid)) == 2
    for _ in range(6):  # a new connection each: the kernel spreads them over both processes
        messages = run_wait(two_processes.url)["messages"]
        assert isinstance(messages, list) and messages[-1]["content"] == "hello"


def test_a_process_that_dies_is_started_again(two_processes: ServerProcess) -> None:
    assert two_processes.process is not None
    parent = two_processes.process.pid
    before = children(parent)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: len(children(parent)) == 2 and victim not in children(parent), "a new child")
    run_wait(two_processes.url)


def test_a_server_without_redis_refuses_a_database_served_with_redis(
    tmp_path: Path, two_processes: ServerProcess, postgres: str
) -> None:
    assert refused(serve(tmp_path, "--database", postgres))


def test_a_server_without_a_broker_is_alone_on_its_database(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, redis_space: dict[str, str]
) -> None:
    with fresh_database(admin_url(), "interop_processes") as url:
        alone = ServerProcess(tmp_path_factory.mktemp("alone"), env={"INTEROP_REDIS": ""})
        alone.database_url = url
        with running_server_on(alone):
            log = alone.log_path.read_text(errors="replace")
            assert "broker    in-process" in log
            assert refused(serve(tmp_path, "--database", url))
            assert refused(serve(tmp_path, "--database", url, env=redis_space))
        # once it stops, the database takes a server of either kind
        with running_server(tmp_path / "after", "--database", url, env=redis_space) as after:
            run_wait(after.url)


class running_server_on:
    def __init__(self, server: ServerProcess) -> None:
        self.server = server

    def __enter__(self) -> ServerProcess:
        self.server.start()
        return self.server

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def test_sigterm_stops_every_process(two_processes: ServerProcess) -> None:
    assert two_processes.process is not None
    parent = two_processes.process.pid
    serving = children(parent)
    assert two_processes.stop(timeout=60) == 0
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in serving), "children gone")


def test_a_killed_supervisor_takes_its_processes_with_it(
    tmp_path_factory: pytest.TempPathFactory, postgres: str, redis_space: dict[str, str]
) -> None:
    server = ServerProcess(tmp_path_factory.mktemp("orphans"), "--processes", "2", env=redis_space)
    server.database_url = postgres
    server.start(timeout=180)
    try:
        assert server.process is not None
        serving = children(server.process.pid)
        assert len(serving) == 2
        server.process.kill()  # SIGKILL: the supervisor runs no code of its own
        server.process.wait(TIMEOUT)
        wait_for(lambda: not any(alive(pid) for pid in serving), "its processes gone")
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.url}/ok", timeout=5)
    finally:
        server.stop()


def alive(pid: int) -> bool:
    """Running (not exited, nor a zombie waiting for a parent to collect it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
