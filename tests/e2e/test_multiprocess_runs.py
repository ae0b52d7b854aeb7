"""Several `interop serve` processes on one PostgreSQL database and one Redis: the run queue is
shared. A cancel sent to either process reaches the run wherever it executes; a process killed
mid-run has its run taken over by the other once the lease expires; multitask `reject` and
`enqueue` order hold across processes; no run executes twice.

Which process executes a run is read from the database (the lease owner names its process id).
Skipped, with the reason, when PostgreSQL or Redis is unreachable (CI sets both, and there the
tests must run).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from tests.databases import admin_url, create_database, drop_databases
from tests.redis_env import delete_keys, key_prefix, redis_url

from .support import (
    COUNTDOWN,
    ECHO,
    TIMEOUT,
    ServerProcess,
    countdown_input,
    eventually,
    message_texts,
    new_thread,
    run_status,
    status_of,
    user_message,
)

LEASE = 3.0  # seconds: INTEROP_RUN_LEASE_SECONDS of the test processes
PREFIX = "interop_multiproc"


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    admin = admin_url()
    url = create_database(admin, PREFIX)
    try:
        yield url
    finally:
        drop_databases(admin, url.rsplit("/", 1)[1])


@pytest.fixture(scope="module")
def servers(
    database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[ServerProcess]]:
    url, prefix = redis_url(), key_prefix()
    env = {"INTEROP_REDIS_PREFIX": prefix, "INTEROP_RUN_LEASE_SECONDS": str(LEASE)}
    args = ("--database", database, "--redis", url)
    processes = [ServerProcess(tmp_path_factory.mktemp(f"p{i}"), *args, env=env) for i in range(2)]
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            process.stop()
        delete_keys(url, prefix)


@pytest.fixture
async def clients(servers: list[ServerProcess]) -> AsyncIterator[list[LangGraphClient]]:
    for server in servers:
        if server.process is None:  # killed by an earlier test
            server.start()
    made = [get_client(url=server.url, timeout=TIMEOUT) for server in servers]
    try:
        yield made
    finally:
        for client in made:
            await client.aclose()


def _lease(database: str, run_id: str) -> tuple[str | None, int, str]:
    """The run's (lease owner, attempt, status) as stored."""
    with psycopg.connect(database) as conn:
        row = conn.execute(
            "SELECT lease_owner, attempt, status FROM runs WHERE run_id = %s", (run_id,)
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def _holder(database: str, run_id: str, servers: list[ServerProcess]) -> int:
    """The index of the server process holding the run's lease."""
    owner, _, _ = _lease(database, run_id)
    assert owner is not None
    pid = int(owner.split(":")[1])
    pids = [s.process.pid if s.process is not None else None for s in servers]
    assert pid in pids, (owner, pids)
    return pids.index(pid)


async def _running_somewhere(
    clients: list[LangGraphClient], database: str, servers: list[ServerProcess], **kw: Any
) -> tuple[str, str, int]:
    """A long countdown run, created at process 0 and running: (thread, run, holder index)."""
    thread_id = await new_thread(clients[0])
    run = await clients[0].runs.create(
        thread_id, COUNTDOWN, input=countdown_input(kw.get("n", 600), kw.get("delay", 0.05))
    )
    await run_status(clients[0], thread_id, run["run_id"], {"running"})
    return thread_id, run["run_id"], _holder(database, run["run_id"], servers)


async def test_a_cancel_sent_to_another_process_reaches_the_run_within_a_second(
    clients: list[LangGraphClient], database: str, servers: list[ServerProcess]
) -> None:
    thread_id, run_id, holder = await _running_somewhere(clients, database, servers)
    other = clients[1 - holder]
    started = time.monotonic()
    await other.runs.cancel(thread_id, run_id, wait=True)
    elapsed = time.monotonic() - started
    assert (await other.runs.get(thread_id, run_id))["status"] == "interrupted"
    assert elapsed < 1.0, elapsed
    assert (await other.threads.get(thread_id))["status"] == "interrupted"


async def test_a_pending_run_is_cancelled_from_any_process(
    clients: list[LangGraphClient], database: str, servers: list[ServerProcess]
) -> None:
    thread_id, running_id, holder = await _running_somewhere(clients, database, servers)
    queued = await clients[holder].runs.create(
        thread_id, ECHO, input=user_message("later"), multitask_strategy="enqueue"
    )
    other = clients[1 - holder]
    await other.runs.cancel(thread_id, queued["run_id"], wait=True)
    assert (await other.runs.get(thread_id, queued["run_id"]))["status"] == "interrupted"
    # the running one went on meanwhile; cancelled too, the thread settles
    assert (await other.runs.get(thread_id, running_id))["status"] == "running"
    await other.runs.cancel(thread_id, running_id, wait=True)
    await run_status(other, thread_id, running_id, {"interrupted"})


async def test_multitask_reject_holds_across_processes(
    clients: list[LangGraphClient], database: str, servers: list[ServerProcess]
) -> None:
    thread_id, run_id, holder = await _running_somewhere(clients, database, servers)
    for client in clients:
        code = await status_of(
            client.runs.create(
                thread_id, ECHO, input=user_message("no"), multitask_strategy="reject"
            )
        )
        assert code == 409
    await clients[1 - holder].runs.cancel(thread_id, run_id, wait=True)


async def test_multitask_interrupt_from_the_other_process(
    clients: list[LangGraphClient], database: str, servers: list[ServerProcess]
) -> None:
    thread_id, run_id, holder = await _running_somewhere(clients, database, servers)
    other = clients[1 - holder]
    newer = await other.runs.create(
        thread_id, ECHO, input=user_message("after"), multitask_strategy="interrupt"
    )
    await run_status(other, thread_id, newer["run_id"], {"success"})
    assert (await other.runs.get(thread_id, run_id))["status"] == "interrupted"
    state = await other.threads.get_state(thread_id)
    assert message_texts(state["values"])[-1] == ("ai", "after")


async def test_multitask_rollback_from_the_other_process(
    clients: list[LangGraphClient], database: str, servers: list[ServerProcess]
) -> None:
    thread_id, run_id, holder = await _running_somewhere(clients, database, servers)
    other = clients[1 - holder]
    newer = await other.runs.create(
        thread_id, ECHO, input=user_message("instead"), multitask_strategy="rollback"
    )
    await run_status(other, thread_id, newer["run_id"], {"success"})
    # the rolled-back run is gone, at either process
    for client in clients:
        assert await status_of(client.runs.get(thread_id, run_id)) == 404
    state = await other.threads.get_state(thread_id)
    assert message_texts(state["values"]) == [("human", "instead"), ("ai", "instead")]


async def test_enqueued_runs_keep_their_order_across_processes(
    clients: list[LangGraphClient], database: str
) -> None:
    thread_id = await new_thread(clients[0])
    texts = [f"m{i}" for i in range(6)]
    runs = [
        await clients[i % 2].runs.create(
            thread_id, ECHO, input=user_message(text), multitask_strategy="enqueue"
        )
        for i, text in enumerate(texts)
    ]
    for run in runs:
        await run_status(clients[0], thread_id, run["run_id"], {"success"})
    state = await clients[1].threads.get_state(thread_id)
    said = [content for kind, content in message_texts(state["values"]) if kind == "human"]
    assert said == texts
    # each executed once: claimed once, never taken over (attempt 1)
    assert {_lease(database, run["run_id"])[1] for run in runs} == {1}
    assert (await clients[0].threads.get(thread_id))["status"] == "idle"


async def test_no_run_executes_twice(clients: list[LangGraphClient], database: str) -> None:
    """Ten runs streamed at once, half created at each process: each one's stream carries one
    countdown (a second execution would count down again), and each was claimed once."""
    n = 3

    async def one(client: LangGraphClient) -> tuple[str, list[int]]:
        thread_id = await new_thread(client)
        counted: list[int] = []
        async for part in client.runs.stream(
            thread_id, COUNTDOWN, input=countdown_input(n, 0.01), stream_mode="custom"
        ):
            if part.event == "custom":
                counted.append(part.data["remaining"])
        return thread_id, counted

    async with asyncio.timeout(TIMEOUT * 2):
        results = await asyncio.gather(*(one(clients[i % 2]) for i in range(10)))
    for thread_id, counted in results:
        assert counted == list(range(n, 0, -1)), thread_id
        (run,) = await clients[0].runs.list(thread_id)
        assert run["status"] == "success"
        assert run["attempt"] == 1 and _lease(database, run["run_id"])[1] == 1


async def test_a_killed_process_has_its_run_taken_over_within_the_lease(
    clients: list[LangGraphClient], database: str, servers: list[ServerProcess]
) -> None:
    # 40 steps of 0.1 s: the one task finishes only at the end, so the run is re-run
    thread_id, run_id, holder = await _running_somewhere(
        clients, database, servers, n=40, delay=0.1
    )
    survivor = clients[1 - holder]
    killed_at = time.monotonic()
    servers[holder].kill()

    def taken_over() -> tuple[str | None, int, str]:
        return _lease(database, run_id)

    _, _, status = await eventually(
        lambda: asyncio.to_thread(taken_over),
        lambda lease: lease[1] == 2,
        within=LEASE + TIMEOUT,
        what="the run claimed again",
    )
    took = time.monotonic() - killed_at
    # the lease runs out LEASE after its last renewal; the survivor polls every LEASE / 2
    assert took < LEASE * 1.5 + 2.0, took
    assert _holder(database, run_id, servers) == 1 - holder and status == "running"
    ended = await run_status(survivor, thread_id, run_id, {"success"}, within=TIMEOUT + 10)
    assert ended["status"] == "success"
    assert (await survivor.threads.get(thread_id))["status"] == "idle"
