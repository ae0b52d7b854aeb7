"""Run webhooks on a real server: the run POSTed to a receiver this test runs on a free
loopback port when it ends (the reference's payload), retried after a 500, sent once; URLs the
policy refuses (private addresses, http under require_https, other domains) answer 422."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from .support import TIMEOUT, ServerProcess, countdown_input, running_server, user_message


class Receiver:
    """A webhook receiver: answers the first `failures` POSTs with 500, then 200."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.attempts = 0
        self.delivered = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                receiver.attempts += 1
                if receiver.attempts <= receiver.failures:
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.bodies.append(json.loads(body))
                receiver.headers.append(dict(self.headers))
                self.send_response(200)
                self.end_headers()
                receiver.delivered.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _write_config(workdir: Path, webhooks: dict[str, Any]) -> None:
    graphs = {
        "echo": "interop.examples.echo:graph",
        "countdown": "interop.examples.countdown:graph",
    }
    (workdir / "langgraph.json").write_text(json.dumps({"graphs": graphs, "webhooks": webhooks}))


@pytest.fixture(scope="module")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("webhooks")
    _write_config(
        workdir,
        {
            "allow_private_urls": True,
            "headers": {"X-Hook-Token": "${{ env.LG_WEBHOOK_TOKEN }}"},
        },
    )
    with running_server(workdir, env={"LG_WEBHOOK_TOKEN": "t0ken"}) as process:
        yield process


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver(failures=1)
    yield made
    made.close()


async def _wait(event: threading.Event) -> None:
    import asyncio

    assert await asyncio.to_thread(event.wait, TIMEOUT), "no webhook arrived"


async def test_a_finished_run_is_posted_to_its_webhook_after_a_retry(
    http: httpx.AsyncClient, receiver: Receiver
) -> None:
    thread = (await http.post("/threads", json={})).json()
    body = {"assistant_id": "echo", "input": user_message("hi"), "webhook": receiver.url}
    response = await http.post(f"/threads/{thread['thread_id']}/runs/wait", json=body)
    assert response.status_code == 200
    await _wait(receiver.delivered)
    assert receiver.attempts == 2  # the first answered 500
    (payload,) = receiver.bodies
    assert payload["thread_id"] == thread["thread_id"]
    assert payload["assistant_id"]
    assert payload["status"] == "success"
    assert payload["kwargs"]["webhook"] == receiver.url
    assert payload["values"]["messages"][-1]["content"]
    assert payload["webhook_sent_at"] and payload["run_id"]
    assert receiver.headers[0]["X-Hook-Token"] == "t0ken"


async def test_a_failed_run_carries_its_error(http: httpx.AsyncClient) -> None:
    receiver = Receiver()
    try:
        bad = {"assistant_id": "countdown", "input": {"n": "not a number"}, "webhook": receiver.url}
        await http.post("/runs/wait", json=bad)
        await _wait(receiver.delivered)
        (payload,) = receiver.bodies
        assert payload["status"] == "error"
        assert payload["error"]
    finally:
        receiver.close()


async def test_a_stateless_background_run_is_sent_once(http: httpx.AsyncClient) -> None:
    receiver = Receiver()
    try:
        body = {"assistant_id": "countdown", "input": countdown_input(2), "webhook": receiver.url}
        response = await http.post("/runs/wait", json=body)
        assert response.status_code == 200
        await _wait(receiver.delivered)
        run_id = receiver.bodies[0]["run_id"]
        # Another run's webhook arriving shows the first was not sent again meanwhile.
        receiver.delivered.clear()
        await http.post("/runs/wait", json=body)
        await _wait(receiver.delivered)
        assert [b["run_id"] for b in receiver.bodies].count(run_id) == 1
        assert receiver.attempts == 2
    finally:
        receiver.close()


@pytest.mark.parametrize("url", ["ftp://example.com/x", "/relative", "not a url"])
async def test_a_malformed_webhook_is_422(http: httpx.AsyncClient, url: str) -> None:
    body = {"assistant_id": "echo", "input": user_message("hi"), "webhook": url}
    assert (await http.post("/runs", json=body)).status_code == 422


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("webhooks-strict")
    _write_config(
        workdir,
        {
            "url": {
                "require_https": True,
                "allowed_domains": ["*.example.com"],
                "allowed_ports": [443],
            }
        },
    )
    with running_server(workdir) as process:
        yield process


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("https://127.0.0.1/hook", 422),  # a private address, not allowed here
        ("https://10.1.2.3/hook", 422),
        ("https://localhost/hook", 422),
        ("http://hooks.example.com/hook", 422),  # require_https
        ("https://example.com/hook", 422),  # the apex is not a subdomain
        ("https://hooks.other.org/hook", 422),  # not an allowed domain
        ("https://hooks.example.com:8443/hook", 422),  # not an allowed port
        ("https://hooks.example.com/hook", 200),
    ],
)
async def test_the_url_policy(strict_server: ServerProcess, url: str, status: int) -> None:
    async with httpx.AsyncClient(base_url=strict_server.url, timeout=TIMEOUT) as http:
        thread = (await http.post("/threads", json={})).json()
        body = {"assistant_id": "echo", "input": user_message("hi"), "webhook": url}
        response = await http.post(f"/threads/{thread['thread_id']}/runs", json=body)
        assert response.status_code == status, response.text
