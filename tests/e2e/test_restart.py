"""Durability: a graceful restart and a kill -9 on the same SQLite database; a second server
on a live server's database refuses to start.

Each test starts its own server (a module-wide one could not be restarted safely)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from .support import (
    BACKEND,
    COUNTDOWN,
    ECHO,
    START_TIMEOUT,
    TIMEOUT,
    ServerProcess,
    countdown_input,
    free_port,
    message_texts,
    new_thread,
    run_status,
    serve_command,
    thread_status,
    user_message,
)

RECOVERY = 40.0  # a recovered run is re-run from its start


def assert_graceful(code: int | None, server: ServerProcess) -> None:
    """Stopped by its SIGTERM handler (a drain, then exit 0) within the stop timeout, not by the
    SIGKILL fallback."""
    assert code == 0, f"exit code {code}:\n{server.log_tail()}"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server")
    process.start()
    try:
        yield process
    finally:
        process.stop()


def sdk(server: ServerProcess) -> LangGraphClient:
    return get_client(url=server.url, timeout=httpx.Timeout(60.0, connect=10.0))


@pytest.fixture
async def client(server: ServerProcess) -> AsyncIterator[LangGraphClient]:
    # Tests that restart open a new client on the new port: this one is for the first life.
    async with sdk(server) as first:
        yield first


async def test_graceful_restart_keeps_everything(
    server: ServerProcess, client: LangGraphClient
) -> None:
    assistant = await client.assistants.create(COUNTDOWN, name="kept", metadata={"k": "v"})
    await client.assistants.update(assistant["assistant_id"], name="kept v2")
    thread_id = await new_thread(client, metadata={"owner": "restart"})
    await client.runs.wait(thread_id, ECHO, input=user_message("before restart"))
    await client.threads.update_state(
        thread_id, {"messages": [{"role": "assistant", "content": "edited"}]}, as_node="respond"
    )
    interrupted = await new_thread(client)
    await client.runs.wait(interrupted, "approval", input=user_message("later"))
    state_before = await client.threads.get_state(thread_id)
    history_before = await client.threads.get_history(thread_id, limit=50)
    runs_before = await client.runs.list(thread_id)

    assert_graceful(server.stop(), server)
    server.start()

    async with sdk(server) as again:
        thread = await again.threads.get(thread_id)
        assert thread["metadata"]["owner"] == "restart"
        assert thread["status"] == "idle"
        state = await again.threads.get_state(thread_id)
        assert state["values"] == state_before["values"]
        assert state["checkpoint"]["checkpoint_id"] == state_before["checkpoint"]["checkpoint_id"]
        history = await again.threads.get_history(thread_id, limit=50)
        assert [h["checkpoint"]["checkpoint_id"] for h in history] == [
            h["checkpoint"]["checkpoint_id"] for h in history_before
        ]
        runs = await again.runs.list(thread_id)
        assert [(r["run_id"], r["status"]) for r in runs] == [
            (r["run_id"], r["status"]) for r in runs_before
        ]
        kept = await again.assistants.get(assistant["assistant_id"])
        assert kept["name"] == "kept v2"
        assert kept["version"] == 2
        assert len(await again.assistants.get_versions(assistant["assistant_id"])) == 2

        # The interrupted thread can still be resumed after the restart.
        assert (await again.threads.get(interrupted))["status"] == "interrupted"
        result = await again.runs.wait(
            interrupted, "approval", command={"resume": {"approved": True}}
        )
        assert message_texts(result)[-1] == ("ai", "Approved.")

        # And the restarted server runs new work on old threads.
        result = await again.runs.wait(thread_id, ECHO, input=user_message("after restart"))
        assert message_texts(result)[-1] == ("ai", "after restart")


async def test_restart_during_a_run(server: ServerProcess, client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await client.runs.create(thread_id, COUNTDOWN, input=countdown_input(15, 0.1))
    await run_status(client, thread_id, run["run_id"], {"running"})

    assert_graceful(server.stop(), server)
    server.start()

    async with sdk(server) as again:
        final = await run_status(again, thread_id, run["run_id"], {"success", "error"}, RECOVERY)
        assert final["status"] in ("success", "error")
        thread = await thread_status(again, thread_id, ["idle", "error"])
        assert thread["status"] != "busy"


async def test_kill_9_during_a_run(server: ServerProcess, client: LangGraphClient) -> None:
    # Data committed before the crash survives it.
    done_thread = await new_thread(client)
    await client.runs.wait(done_thread, ECHO, input=user_message("committed"))

    thread_id = await new_thread(client)
    run = await client.runs.create(thread_id, COUNTDOWN, input=countdown_input(15, 0.1))
    await run_status(client, thread_id, run["run_id"], {"running"})
    queued = await client.runs.create(thread_id, COUNTDOWN, input=countdown_input(1, 0.01))
    assert (await client.runs.get(thread_id, queued["run_id"]))["status"] == "pending"

    server.kill_and_restart()

    async with sdk(server) as again:
        state = await again.threads.get_state(done_thread)
        assert message_texts(state["values"]) == [("human", "committed"), ("ai", "committed")]

        final = await run_status(again, thread_id, run["run_id"], {"success", "error"}, RECOVERY)
        assert final["status"] in ("success", "error")
        # The run that was waiting behind it is not lost either.
        after = await run_status(again, thread_id, queued["run_id"], within=RECOVERY)
        assert after["status"] == "success"
        thread = await thread_status(again, thread_id, ["idle", "error"], TIMEOUT)
        assert thread["status"] != "busy"
        # The thread takes new work.
        result = await again.runs.wait(thread_id, ECHO, input=user_message("alive"))
        assert message_texts(result)[-1] == ("ai", "alive")


async def test_kill_9_twice_in_a_row(server: ServerProcess, client: LangGraphClient) -> None:
    """A crash during recovery is recovered too: no run is left running forever."""
    thread_id = await new_thread(client)
    run = await client.runs.create(thread_id, COUNTDOWN, input=countdown_input(20, 0.1))
    await run_status(client, thread_id, run["run_id"], {"running"})
    server.kill_and_restart()
    async with sdk(server) as second:
        status = (await second.runs.get(thread_id, run["run_id"]))["status"]
        assert status in ("pending", "running", "success", "error")
    server.kill_and_restart()
    async with sdk(server) as third:
        final = await run_status(third, thread_id, run["run_id"], {"success", "error"}, RECOVERY)
        assert final["status"] in ("success", "error")
        assert (await thread_status(third, thread_id, ["idle", "error"]))["status"] != "busy"


# -- one server per database -------------------------------------------------------------------


def _second_server(database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTEROP_")}
    return subprocess.run(
        serve_command(free_port(), database_url),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
        check=False,
    )


@pytest.mark.skipif(BACKEND != "sqlite", reason="a SQLite database has one server at a time")
async def test_second_server_on_the_same_database_refuses_to_start(
    server: ServerProcess, client: LangGraphClient, tmp_path: Path
) -> None:
    thread_id = await new_thread(client)
    run = await client.runs.create(thread_id, COUNTDOWN, input=countdown_input(1200, 0.1))
    await run_status(client, thread_id, run["run_id"], {"running"})

    second = _second_server(server.database_url, tmp_path)

    assert second.returncode == 2, second.stderr
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(server.database) in lines[0], second.stderr
    # The live run was neither re-queued nor ended by the refused server.
    live = await client.runs.get(thread_id, run["run_id"])
    assert live["status"] == "running" and live["attempt"] == 1
    await client.runs.cancel(thread_id, run["run_id"])
    ended = await run_status(client, thread_id, run["run_id"])
    assert ended["status"] == "interrupted" and ended["attempt"] == 1


async def test_the_database_is_free_again_once_the_server_stops(
    server: ServerProcess, tmp_path: Path
) -> None:
    server.stop()
    successor = ServerProcess(server.workdir)
    successor.starts = server.starts  # a fresh log file
    successor.start()
    try:
        async with httpx.AsyncClient(timeout=10.0) as http:
            assert (await http.get(successor.url + "/ok")).status_code == 200
    finally:
        successor.stop()
