"""Crons: create on a thread and stateless, search, count, update, delete; bad input; a cron
that fires (a sub-minute schedule: croniter's sixth field is seconds, on both servers)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from .agents import DEFAULT_TIMEOUT, POLL_INTERVAL, user

YEARLY = "0 9 1 1 *"
# The fields of the spec's Cron schema that a response always carries.
CRON_FIELDS = {
    "cron_id",
    "thread_id",
    "end_time",
    "schedule",
    "created_at",
    "updated_at",
    "payload",
    "enabled",
    "next_run_date",
    "metadata",
}


@pytest.fixture
async def crons(http: httpx.AsyncClient) -> AsyncIterator[list[str]]:
    """Ids of crons the test made: deleted on teardown."""
    made: list[str] = []
    yield made
    for cron_id in made:
        await http.delete(f"/runs/crons/{cron_id}")


async def _create(
    http: httpx.AsyncClient, made: list[str], path: str, **body: Any
) -> dict[str, Any]:
    response = await http.post(path, json=body)
    assert response.status_code == 200, response.text
    cron = dict(response.json())
    made.append(cron["cron_id"])
    return cron


async def test_thread_cron_lifecycle(
    http: httpx.AsyncClient, thread_id: str, crons: list[str]
) -> None:
    tag = uuid.uuid4().hex
    cron = await _create(
        http,
        crons,
        f"/threads/{thread_id}/runs/crons",
        assistant_id="echo",
        schedule=YEARLY,
        input=user("hi"),
        metadata={"tag": tag},
    )
    assert set(cron) >= CRON_FIELDS
    assert cron["thread_id"] == thread_id
    assert cron["schedule"] == YEARLY
    assert cron["enabled"] is True
    assert cron["next_run_date"]

    found = await http.post("/runs/crons/search", json={"thread_id": thread_id})
    assert found.status_code == 200
    assert [c["cron_id"] for c in found.json()] == [cron["cron_id"]]
    count = await http.post("/runs/crons/count", json={"metadata": {"tag": tag}})
    assert count.status_code == 200 and count.json() == 1

    patched = await http.patch(f"/runs/crons/{cron['cron_id']}", json={"enabled": False})
    assert patched.status_code == 200
    assert patched.json()["enabled"] is False
    disabled = await http.post("/runs/crons/search", json={"thread_id": thread_id, "enabled": True})
    assert disabled.json() == []

    deleted = await http.delete(f"/runs/crons/{cron['cron_id']}")
    assert deleted.status_code in (200, 204)
    count = await http.post("/runs/crons/count", json={"thread_id": thread_id})
    assert count.json() == 0


async def test_stateless_cron(http: httpx.AsyncClient, crons: list[str]) -> None:
    cron = await _create(
        http, crons, "/runs/crons", assistant_id="echo", schedule=YEARLY, on_run_completed="keep"
    )
    assert set(cron) >= CRON_FIELDS
    assert cron["on_run_completed"] == "keep"


async def test_bad_schedule_is_422(http: httpx.AsyncClient, thread_id: str) -> None:
    for path in ("/runs/crons", f"/threads/{thread_id}/runs/crons"):
        response = await http.post(path, json={"assistant_id": "echo", "schedule": "every day"})
        assert response.status_code == 422
        assert "detail" in response.json()


async def test_cron_on_unknown_thread_is_404(http: httpx.AsyncClient) -> None:
    response = await http.post(
        f"/threads/{uuid.uuid4()}/runs/crons", json={"assistant_id": "echo", "schedule": YEARLY}
    )
    assert response.status_code == 404


async def test_unknown_cron_is_404(http: httpx.AsyncClient) -> None:
    missing = uuid.uuid4()
    assert (await http.patch(f"/runs/crons/{missing}", json={"enabled": True})).status_code == 404
    assert (await http.delete(f"/runs/crons/{missing}")).status_code == 404


async def test_every_second_cron_creates_runs(
    http: httpx.AsyncClient, thread_id: str, crons: list[str]
) -> None:
    cron = await _create(
        http,
        crons,
        f"/threads/{thread_id}/runs/crons",
        assistant_id="echo",
        schedule="* * * * * *",
        input=user("tick"),
    )
    deadline = time.monotonic() + DEFAULT_TIMEOUT
    while True:
        runs = (await http.get(f"/threads/{thread_id}/runs")).json()
        if runs:
            break
        assert time.monotonic() < deadline, "no run within the deadline"
        await asyncio.sleep(POLL_INTERVAL)
    await http.delete(f"/runs/crons/{cron['cron_id']}")
    assert runs[0]["assistant_id"] == cron["assistant_id"]
