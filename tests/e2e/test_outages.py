"""A backend lost while serving: requests that need it get 503 with Retry-After in each door's
error format, and service resumes when it returns. Redis is a redis-server of this test's own
on a free port (never the machine's shared one); Postgres, a test database closed to
connections (`ALLOW_CONNECTIONS false`, its backends terminated)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from tests.databases import admin_url, fresh_database
from tests.redis_env import key_prefix

from .support import (
    ECHO,
    TIMEOUT,
    ServerProcess,
    a2a_send_v03,
    free_port,
    running_server,
    user_message,
)

A2A_SEND = a2a_send_v03("hello")


class RedisServer:
    """A redis-server of the test's own, stopped and started again on the same port."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        pytest.fail("the test's redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(TIMEOUT)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run_wait(url: str) -> httpx.Response:
    body = {"assistant_id": ECHO, "input": user_message("hello")}
    return httpx.post(f"{url}/runs/wait", json=body, timeout=TIMEOUT)


def until_ok(call: object) -> httpx.Response:
    """Repeat `call` until it answers 200 (a backend back: a pool reconnects on use)."""
    assert callable(call)
    deadline = time.monotonic() + TIMEOUT
    while True:
        response: httpx.Response = call()
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def assert_unavailable_everywhere(url: str, thread_id: str) -> None:
    rest = httpx.get(f"{url}/threads/{thread_id}", timeout=TIMEOUT)
    assert rest.status_code == 503
    assert "detail" in rest.json() and rest.headers["retry-after"].isdigit()
    http_json = httpx.get(f"{url}/a2a/{ECHO}/tasks/{thread_id}", timeout=TIMEOUT)
    assert http_json.status_code == 503
    assert http_json.json()["error"]["status"] == "UNAVAILABLE"
    assert http_json.headers["retry-after"].isdigit()
    rpc = httpx.post(f"{url}/a2a/{ECHO}", json=A2A_SEND, timeout=TIMEOUT)
    assert rpc.status_code == 503 and rpc.headers["retry-after"].isdigit()
    assert rpc.json()["error"]["code"] == -32603 and rpc.json()["id"] == 1


def thread_run_wait(url: str) -> httpx.Response:
    """A run on a new thread, waited for (its events go through the broker)."""
    thread = httpx.post(f"{url}/threads", json={}, timeout=TIMEOUT).json()["thread_id"]
    body = {"assistant_id": ECHO, "input": user_message("hello")}
    return httpx.post(f"{url}/threads/{thread}/runs/wait", json=body, timeout=TIMEOUT)


def test_redis_lost_and_back(tmp_path: Path, own_redis: RedisServer) -> None:
    env = {"INTEROP_REDIS": own_redis.url, "INTEROP_REDIS_PREFIX": key_prefix()}
    with running_server(tmp_path / "server", env=env) as server:
        assert thread_run_wait(server.url).status_code == 200
        own_redis.stop()
        lost = thread_run_wait(server.url)
        assert lost.status_code == 503
        assert "detail" in lost.json() and lost.headers["retry-after"].isdigit()
        assert httpx.get(f"{server.url}/ok", timeout=TIMEOUT).status_code == 200
        # A stateless run lives in this process alone, its events too: Redis is not needed.
        assert run_wait(server.url).status_code == 200
        own_redis.start()
        back = until_ok(lambda: thread_run_wait(server.url))
        assert back.status_code == 200
        values = back.json()
        assert "messages" in values, (back.text, server.log_tail())
        assert values["messages"][-1]["content"] == "hello"


def _close(admin: str, name: str, *, closed: bool) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if closed else "true"}')
        if closed:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )


def test_postgres_lost_and_back(tmp_path_factory: pytest.TempPathFactory) -> None:
    admin = admin_url()
    with fresh_database(admin, "interop_outage") as url:
        name = url.rsplit("/", 1)[1]
        server = ServerProcess(tmp_path_factory.mktemp("pg"), env={"INTEROP_REDIS": ""})
        server.database_url = url
        server.start()
        try:
            created = httpx.post(f"{server.url}/threads", json={}, timeout=TIMEOUT)
            thread_id = created.json()["thread_id"]
            _close(admin, name, closed=True)
            try:
                assert_unavailable_everywhere(server.url, thread_id)
            finally:
                _close(admin, name, closed=False)
            back = until_ok(lambda: httpx.get(f"{server.url}/threads/{thread_id}", timeout=TIMEOUT))
            assert back.status_code == 200 and back.json()["thread_id"] == thread_id
        finally:
            server.stop()
