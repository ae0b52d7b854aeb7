"""Crons through the official SDK: create (on a thread, stateless), search, count, update,
delete; crons that fire (every second, through a six-field schedule with seconds); bad input;
two server processes on one PostgreSQL database firing each slot once."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import NotFoundError, UnprocessableEntityError
from tests.databases import admin_url, create_database, drop_databases
from tests.redis_env import delete_keys, key_prefix, redis_url

from .support import ECHO, TIMEOUT, ServerProcess, eventually, new_thread, run_status

EVERY_SECOND = "* * * * * *"  # croniter's sixth field: seconds
YEARLY = "0 9 1 1 *"


async def test_thread_cron_create_search_count_update_delete(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    tag = uuid.uuid4().hex
    cron = await client.crons.create_for_thread(
        thread_id,
        ECHO,
        schedule=YEARLY,
        input={"messages": [{"role": "user", "content": "hi"}]},
        metadata={"tag": tag},
        timezone="America/New_York",
        multitask_strategy="reject",
    )
    assert cron["thread_id"] == thread_id
    assert cron["schedule"] == YEARLY
    assert cron["timezone"] == "America/New_York"
    assert cron["enabled"] is True
    assert cron["metadata"] == {"tag": tag}
    assert cron["payload"]["multitask_strategy"] == "reject"
    assert cron["payload"]["input"] == {"messages": [{"role": "user", "content": "hi"}]}
    next_run = datetime.fromisoformat(cron["next_run_date"])
    # 09:00 in New York on January 1st is 14:00 UTC (EST).
    assert (next_run.month, next_run.day, next_run.hour) == (1, 1, 14)
    assert next_run > datetime.now(UTC)

    found = await client.crons.search(thread_id=thread_id)
    assert [c["cron_id"] for c in found] == [cron["cron_id"]]
    assert await client.crons.count(metadata={"tag": tag}) == 1
    assert await client.crons.count(thread_id=thread_id) == 1
    selected = await client.crons.search(thread_id=thread_id, select=["cron_id", "schedule"])
    assert selected == [{"cron_id": cron["cron_id"], "schedule": YEARLY}]

    end = datetime.now(UTC) + timedelta(days=3650)
    updated = await client.crons.update(
        cron["cron_id"],
        schedule="30 8 * * *",
        timezone="UTC",
        enabled=False,
        metadata={"more": 1},
        end_time=end,
    )
    assert updated["schedule"] == "30 8 * * *"
    assert updated["enabled"] is False
    assert updated["metadata"] == {"tag": tag, "more": 1}
    assert datetime.fromisoformat(updated["end_time"]) == end.replace(microsecond=end.microsecond)
    assert datetime.fromisoformat(updated["next_run_date"]).strftime("%H:%M") == "08:30"
    assert await client.crons.search(thread_id=thread_id, enabled=True) == []
    cleared = await client.crons.update(cron["cron_id"], end_time=None)
    assert cleared["end_time"] is None

    await client.crons.delete(cron["cron_id"])
    assert await client.crons.count(thread_id=thread_id) == 0
    with pytest.raises(NotFoundError):
        await client.crons.delete(cron["cron_id"])


async def test_stateless_cron_fields(client: LangGraphClient) -> None:
    cron = await client.crons.create(ECHO, schedule=YEARLY, on_run_completed="keep")
    try:
        assert cron["thread_id"] is None
        assert cron["on_run_completed"] == "keep"
        default = await client.crons.create(ECHO, schedule=YEARLY)
        assert default["on_run_completed"] == "delete"
        await client.crons.delete(default["cron_id"])
        # A graph name finds its assistant's crons.
        assert cron["cron_id"] in [
            c["cron_id"] for c in await client.crons.search(assistant_id=ECHO, limit=100)
        ]
    finally:
        await client.crons.delete(cron["cron_id"])


async def test_cron_past_its_end_has_no_next_run(client: LangGraphClient) -> None:
    cron = await client.crons.create(
        ECHO, schedule=EVERY_SECOND, end_time=datetime.now(UTC) - timedelta(minutes=1)
    )
    try:
        assert cron["next_run_date"] is None
    finally:
        await client.crons.delete(cron["cron_id"])


async def _cron_runs(client: LangGraphClient, thread_id: str, cron_id: str) -> list[dict[str, Any]]:
    runs = await client.runs.list(thread_id, limit=100)
    return [r for r in runs if r["metadata"].get("cron_id") == cron_id]


async def test_thread_cron_fires(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    cron = await client.crons.create_for_thread(
        thread_id,
        ECHO,
        schedule=EVERY_SECOND,
        input={"messages": [{"role": "user", "content": "tick"}]},
        metadata={"origin": "cron-test"},
    )
    try:
        runs = await eventually(
            lambda: _cron_runs(client, thread_id, cron["cron_id"]),
            lambda found: len(found) >= 1,
            what="a run created by the cron",
        )
    finally:
        await client.crons.delete(cron["cron_id"])
    run = await run_status(client, thread_id, runs[-1]["run_id"])
    assert run["status"] == "success"
    assert run["metadata"]["origin"] == "cron-test"
    state = await client.threads.get_state(thread_id)
    assert any("tick" in str(m) for m in state["values"]["messages"])


async def test_stateless_cron_keeps_its_threads(client: LangGraphClient) -> None:
    assistant = await client.assistants.create(ECHO)  # its own assistant: its threads alone
    aid = assistant["assistant_id"]
    cron = await client.crons.create(
        aid,
        schedule=EVERY_SECOND,
        input={"messages": [{"role": "user", "content": "kept"}]},
        on_run_completed="keep",
    )
    try:
        threads = await eventually(
            lambda: client.threads.search(metadata={"assistant_id": aid}, status="idle"),
            lambda found: len(found) >= 1,
            what="a thread kept after a cron run",
        )
    finally:
        await client.crons.delete(cron["cron_id"])
    runs = await client.runs.list(threads[0]["thread_id"])
    assert runs[0]["metadata"]["cron_id"] == cron["cron_id"]
    assert any("kept" in str(m) for m in threads[0]["values"]["messages"])


async def test_disabled_cron_does_not_fire(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    cron = await client.crons.create_for_thread(
        thread_id, ECHO, schedule=EVERY_SECOND, enabled=False
    )
    # A second cron on another thread fires meanwhile: past its first run, the disabled one
    # has had its chances too.
    other_thread = await new_thread(client)
    other = await client.crons.create_for_thread(other_thread, ECHO, schedule=EVERY_SECOND)
    try:
        await eventually(
            lambda: _cron_runs(client, other_thread, other["cron_id"]),
            lambda found: len(found) >= 2,
            what="two runs of the enabled cron",
        )
        assert await _cron_runs(client, thread_id, cron["cron_id"]) == []
    finally:
        await client.crons.delete(cron["cron_id"])
        await client.crons.delete(other["cron_id"])


async def test_bad_cron_input(client: LangGraphClient, http: httpx.AsyncClient) -> None:
    thread_id = await new_thread(client)
    with pytest.raises(UnprocessableEntityError):
        await client.crons.create(ECHO, schedule="not a schedule")
    with pytest.raises(UnprocessableEntityError):
        await client.crons.create(ECHO, schedule="61 * * * *")
    with pytest.raises(UnprocessableEntityError):
        await client.crons.create(ECHO, schedule=YEARLY, timezone="Mars/Olympus_Mons")
    with pytest.raises(UnprocessableEntityError):
        await client.crons.create("no-such-graph", schedule=YEARLY)
    with pytest.raises(NotFoundError):
        await client.crons.create(str(uuid.uuid4()), schedule=YEARLY)
    with pytest.raises(NotFoundError):
        await client.crons.create_for_thread(str(uuid.uuid4()), ECHO, schedule=YEARLY)
    cron = await client.crons.create_for_thread(thread_id, ECHO, schedule=YEARLY)
    try:
        with pytest.raises(UnprocessableEntityError):
            await client.crons.update(cron["cron_id"], schedule="* * *")
        assert (await http.get(f"/runs/crons/{cron['cron_id']}")).json()["schedule"] == YEARLY
    finally:
        await client.crons.delete(cron["cron_id"])
    missing = str(uuid.uuid4())
    assert (await http.get(f"/runs/crons/{missing}")).status_code == 404
    assert (await http.patch(f"/runs/crons/{missing}", json={"enabled": False})).status_code == 404
    assert (await http.delete(f"/runs/crons/{missing}")).status_code == 404
    assert (await http.get("/runs/crons/not-a-uuid")).status_code == 422
    assert (await http.post("/runs/crons", json={"schedule": YEARLY})).status_code == 422
    assert (await http.post("/runs/crons", json={"assistant_id": ECHO})).status_code == 422
    assert (await http.post("/runs/crons/search", json={"limit": 0})).status_code == 422
    assert (await http.post("/runs/crons/search", json={"sort_by": "nope"})).status_code == 422
    bad_end = {"assistant_id": ECHO, "schedule": YEARLY, "end_time": "someday"}
    assert (await http.post("/runs/crons", json=bad_end)).status_code == 422


async def test_two_servers_fire_each_slot_once(tmp_path: Path) -> None:
    """Two processes on one PostgreSQL database: every slot of an every-second cron makes one
    run, so the runs never outnumber the slots that passed."""
    admin = admin_url()
    url = create_database(admin, "interop_cron_e2e")
    # Several processes on one PostgreSQL database share a Redis (a server without a broker is
    # alone on its database).
    redis, prefix = redis_url(), key_prefix()
    env = {"INTEROP_REDIS": redis, "INTEROP_REDIS_PREFIX": prefix}
    servers = [ServerProcess(tmp_path / name, env=env) for name in ("a", "b")]
    try:
        for server in servers:
            server.database_url = url
            server.start()
        clients = [get_client(url=s.url, timeout=httpx.Timeout(TIMEOUT)) for s in servers]
        try:
            sdk = clients[0]
            thread_id = await new_thread(sdk)
            started = time.time()
            cron = await sdk.crons.create_for_thread(thread_id, ECHO, schedule=EVERY_SECOND)
            runs = await eventually(
                lambda: _cron_runs(clients[1], thread_id, cron["cron_id"]),
                lambda found: len(found) >= 4,
                what="four runs of the cron",
            )
            await clients[1].crons.delete(cron["cron_id"])
            ended = time.time()
            runs = await _cron_runs(sdk, thread_id, cron["cron_id"])
            slots = int(ended) - int(started)  # whole seconds that began while it existed
            assert 4 <= len(runs) <= slots, (len(runs), slots)
        finally:
            for c in clients:
                await c.aclose()
    finally:
        for server in servers:
            server.stop()
        drop_databases(admin, url.rsplit("/", 1)[-1])
        delete_keys(redis, prefix)
