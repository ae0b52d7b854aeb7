"""End-to-end support: the real `interop serve` in a subprocess on a free loopback port.

`server` is one process per test module (cheap enough: startup is about a second); tests that
restart, kill or configure the server start their own `ServerProcess`. Every wait polls an
observable condition with a generous deadline (the CI machine is a loaded 2-core box); there are
no fixed sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient
from tests.databases import admin_url, create_database, drop_databases
from tests.redis_env import delete_keys, redis_url

T = TypeVar("T")

TIMEOUT = 20.0  # seconds: the deadline of every wait on the server
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
POLL = 0.05

ECHO = "echo"
APPROVAL = "approval"
COUNTDOWN = "countdown"
TERMINAL = frozenset({"success", "error", "timeout", "interrupted"})


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The storage every test server uses: `INTEROP_TEST_BACKEND=postgres` runs the suites on
# PostgreSQL (a fresh database per server, all dropped when the session ends).
BACKEND = os.environ.get("INTEROP_TEST_BACKEND", "sqlite")
DATABASE_PREFIX = f"interop_e2e_{os.getpid()}_"


def new_database_url(sqlite_file: Path) -> str:
    """The database of a new server: `sqlite_file`, or a new Postgres database."""
    if BACKEND == "sqlite":
        return f"sqlite:///{sqlite_file}"
    if BACKEND == "postgres":
        return create_database(admin_url(required=True), DATABASE_PREFIX.rstrip("_"))
    pytest.fail(f"INTEROP_TEST_BACKEND={BACKEND!r}: expected sqlite or postgres", pytrace=False)


def drop_test_databases() -> None:
    """Drop the Postgres databases this session's servers used (and, with BROKER=redis, their
    Redis keys)."""
    if BACKEND == "postgres":
        drop_databases(admin_url(required=True), DATABASE_PREFIX)
    if BROKER == "redis":
        delete_keys(redis_url(), REDIS_PREFIX)


# The broker every test server uses: `INTEROP_TEST_BROKER=redis` gives each server `--redis`
# (INTEROP_TEST_REDIS_URL) with a key prefix of its own, unless the test chose a broker itself.
BROKER = os.environ.get("INTEROP_TEST_BROKER", "memory")
REDIS_PREFIX = f"interop-e2e:{os.getpid()}:"


def broker_settings(extra_args: Sequence[str], env: dict[str, str]) -> dict[str, str]:
    """The environment that gives a new server the session's broker."""
    if BROKER == "memory" or "--redis" in extra_args or "INTEROP_REDIS" in env:
        return {}
    if BROKER == "redis":
        return {
            "INTEROP_REDIS": redis_url(),
            "INTEROP_REDIS_PREFIX": f"{REDIS_PREFIX}{uuid.uuid4().hex[:12]}:",
        }
    pytest.fail(f"INTEROP_TEST_BROKER={BROKER!r}: expected memory or redis", pytrace=False)


def serve_command(port: int, database_url: str) -> list[str]:
    """`interop serve` on loopback `port` with the database at `database_url`."""
    return [
        sys.executable,
        "-m",
        "interop",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database",
        database_url,
    ]


READY_LINE = re.compile(rb"interop: interop \S+ ready")


class ServerProcess:
    """One `interop serve` process on its own database (a SQLite file, or see BACKEND); can be
    stopped, killed and started again on the same database (each start takes a fresh free port:
    read `url` after a start)."""

    def __init__(self, workdir: Path, *extra_args: str, env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.database = workdir / "db.sqlite"
        self.database_url = ""  # chosen at the first start
        self.extra_args = list(extra_args)
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.starts = 0
        self._log: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"server-{self.starts}.log"

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "<no log>"

    def start(self, timeout: float = START_TIMEOUT) -> str:
        assert self.process is None, "already running"
        self.starts += 1
        self.port = free_port()
        self.database_url = self.database_url or new_database_url(self.database)
        self._log = self.log_path.open("wb")
        # The server's settings come from flags and INTEROP_* variables: only ours apply.
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTEROP_")}
        env.update(self.env or {})
        env.update(broker_settings(self.extra_args, env))
        self.process = subprocess.Popen(
            [*serve_command(self.port, self.database_url), *self.extra_args],
            cwd=self.workdir,  # no interop.json/langgraph.json here: the bundled agents
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self._wait_ready(timeout)
        return self.url

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        assert self.process is not None
        with httpx.Client(timeout=2.0) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    code = self.process.returncode
                    self._cleanup()
                    pytest.fail(f"server exited with {code} on start:\n{self.log_tail()}")
                try:
                    # Ready: answering, and the startup banner logged (with --processes N, by
                    # the supervisor once every process has started, not when the first has).
                    if http.get(self.url + "/ok").status_code == 200 and READY_LINE.search(
                        self.log_path.read_bytes()
                    ):
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(POLL)
        self.kill()
        pytest.fail(f"server not ready after {timeout}s:\n{self.log_tail()}")

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`. Returns the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        code = self.process.returncode
        self._cleanup()
        return code

    def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)
        self._cleanup()

    def restart(self) -> str:
        self.stop()
        return self.start()

    def kill_and_restart(self) -> str:
        self.kill()
        return self.start()

    def _cleanup(self) -> None:
        self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


@contextlib.contextmanager
def running_server(workdir: Path, *extra_args: str, **kwargs: Any) -> Iterator[ServerProcess]:
    server = ServerProcess(workdir, *extra_args, **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- helpers ----------------------------------------------------------------------------------


async def eventually(
    probe: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool],
    *,
    within: float = TIMEOUT,
    what: str = "condition",
) -> T:
    """Poll `probe()` until `accept(value)`; fail with the last value after `within` seconds."""
    deadline = time.monotonic() + within
    last: Any = None
    while True:
        last = await probe()
        if accept(last):
            return last
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within}s waiting for {what}; last value: {last!r}")
        await asyncio.sleep(POLL)


async def run_status(
    client: LangGraphClient,
    thread_id: str,
    run_id: str,
    statuses: Sequence[str] | frozenset[str] = TERMINAL,
    within: float = TIMEOUT,
) -> dict[str, Any]:
    """The run once its status is one of `statuses`."""
    return await eventually(
        lambda: client.runs.get(thread_id, run_id),
        lambda run: run["status"] in statuses,
        within=within,
        what=f"run {run_id} in {sorted(statuses)}",
    )


async def thread_status(
    client: LangGraphClient, thread_id: str, statuses: Sequence[str], within: float = TIMEOUT
) -> dict[str, Any]:
    return await eventually(
        lambda: client.threads.get(thread_id),
        lambda thread: thread["status"] in statuses,
        within=within,
        what=f"thread {thread_id} in {sorted(statuses)}",
    )


async def status_of(call: Awaitable[Any]) -> int:
    """The HTTP status an SDK call failed with (fails the test if it succeeded)."""
    try:
        result = await call
    except httpx.HTTPStatusError as exc:
        return exc.response.status_code
    pytest.fail(f"expected an HTTP error, got {result!r}")


@dataclass(slots=True)
class Record:
    event: str | None
    data: Any
    id: str | None
    raw_data: str | None = None


def parse_sse(text: str) -> tuple[list[Record], list[str]]:
    """SSE records and comment lines of a complete body (LF or CRLF line endings)."""
    records: list[Record] = []
    comments: list[str] = []
    text = text.replace("\r\n", "\n")
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        event = ident = None
        data_lines: list[str] = []
        for line in block.split("\n"):
            if line.startswith(":"):
                comments.append(line[1:].strip())
            elif line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:"):
                data_lines.append(line[5:].lstrip(" "))
            elif line.startswith("id:"):
                ident = line[3:].strip()
        if event is None and not data_lines and ident is None:
            continue
        raw = "\n".join(data_lines) if data_lines else None
        records.append(Record(event, json.loads(raw) if raw else None, ident, raw))
    return records, comments


async def iter_sse(response: httpx.Response) -> AsyncIterator[Record]:
    """Records of a streaming response as they arrive (comments skipped)."""
    buffer = ""
    async for chunk in response.aiter_text():
        buffer += chunk.replace("\r\n", "\n")
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            records, _ = parse_sse(block + "\n\n")
            for record in records:
                yield record
    if buffer.strip():
        records, _ = parse_sse(buffer + "\n\n")
        for record in records:
            yield record


async def read_sse(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    within: float = TIMEOUT,
    **kwargs: Any,
) -> tuple[httpx.Response, list[Record], list[str]]:
    """A whole SSE response (the stream must end within `within` seconds)."""
    async with asyncio.timeout(within):
        response = await http.request(method, url, **kwargs)
    records, comments = parse_sse(response.text)
    return response, records, comments


async def stream_until_remaining(
    http: httpx.AsyncClient, thread_id: str, body: dict[str, Any], remaining: int
) -> list[Record]:
    """POST a countdown run's stream and drop the connection mid-run, after the `custom` event
    with `remaining`; the records read until then."""
    seen: list[Record] = []
    async with (
        asyncio.timeout(TIMEOUT),
        http.stream("POST", f"/threads/{thread_id}/runs/stream", json=body) as response,
    ):
        assert response.status_code == 200
        async for record in iter_sse(response):
            seen.append(record)
            if record.event == "custom" and record.data["remaining"] == remaining:
                break  # leaving the block closes the connection mid-run
    return seen


def countdown_input(n: int = 3, delay: float = 0.05) -> dict[str, Any]:
    return {"n": n, "delay": delay}


def a2a_send_v03(text: str) -> dict[str, Any]:
    """A JSON-RPC `message/send` (A2A 0.3) of one text part."""
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "message/send",
        "params": {
            "message": {
                "kind": "message",
                "role": "user",
                "messageId": "m1",
                "parts": [{"kind": "text", "text": text}],
            }
        },
    }


def user_message(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


async def new_thread(client: LangGraphClient, **kwargs: Any) -> str:
    thread = await client.threads.create(**kwargs)
    return str(thread["thread_id"])


async def start_long_run(
    client: LangGraphClient, thread_id: str, *, n: int = 200, delay: float = 0.1, **kwargs: Any
) -> dict[str, Any]:
    """A countdown run on `thread_id` that is `running` (it lasts n*delay seconds unless
    cancelled; tests cancel it)."""
    run = await client.runs.create(thread_id, COUNTDOWN, input=countdown_input(n, delay), **kwargs)
    await run_status(client, thread_id, run["run_id"], {"running"})
    return run


def message_texts(values: dict[str, Any] | None) -> list[tuple[str, str]]:
    return [(m["type"], m["content"]) for m in (values or {}).get("messages", [])]


MCP_ACCEPT = "application/json, text/event-stream"


async def mcp_initialize(
    http: httpx.AsyncClient,
    *,
    version: str = "2025-11-25",
    capabilities: dict[str, Any] | None = None,
    path: str = "/mcp",
) -> httpx.Response:
    """POST an MCP `initialize` (a new 2025-era session); the raw response."""
    return await http.post(
        path,
        headers={"content-type": "application/json", "accept": MCP_ACCEPT},
        json={
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": version,
                "capabilities": capabilities or {},
                "clientInfo": {"name": "interop-tests", "version": "1"},
            },
        },
    )
