"""What the suite knows about the example agents, and helpers that drive runs over raw HTTP.

Every wait here polls with a deadline; nothing sleeps for a fixed time.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from typing import Any

import httpx

TERMINAL = frozenset({"success", "error", "interrupted", "timeout"})
POLL_INTERVAL = 0.05
DEFAULT_TIMEOUT = 30.0

# The reference derives system assistant ids as uuid5(this namespace, graph_id).
SYSTEM_ASSISTANT_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")

# countdown input that keeps a run busy long enough to act on it (cancel, multitask...).
LONG_COUNTDOWN: dict[str, Any] = {"n": 300, "delay": 0.2}
# countdown input whose node raises (`int("abc")`): the run fails.
FAILING_COUNTDOWN: dict[str, Any] = {"n": "abc"}


def user(text: str) -> dict[str, Any]:
    """Input for `echo` / `approval`: one user message."""
    return {"messages": [{"role": "user", "content": text}]}


def last_message(values: dict[str, Any]) -> dict[str, Any]:
    messages = values["messages"]
    assert messages, "no messages in values"
    return messages[-1]


async def create_thread(http: httpx.AsyncClient, **body: Any) -> str:
    response = await http.post("/threads", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["thread_id"])


async def create_run(http: httpx.AsyncClient, thread_id: str, **body: Any) -> dict[str, Any]:
    response = await http.post(f"/threads/{thread_id}/runs", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def start_long_run(http: httpx.AsyncClient, thread_id: str, **body: Any) -> str:
    """Start a countdown that runs for a minute and return its id once it is `running`."""
    run = await create_run(http, thread_id, assistant_id="countdown", input=LONG_COUNTDOWN, **body)
    await wait_for_status(http, thread_id, run["run_id"], {"running"})
    return str(run["run_id"])


async def get_run(http: httpx.AsyncClient, thread_id: str, run_id: str) -> httpx.Response:
    return await http.get(f"/threads/{thread_id}/runs/{run_id}")


async def wait_for_status(
    http: httpx.AsyncClient,
    thread_id: str,
    run_id: str,
    statuses: Iterable[str],
    within: float = DEFAULT_TIMEOUT,
) -> str:
    """Poll the run until its status is one of `statuses`; return that status.

    A run that reaches a terminal status other than the wanted ones fails the wait at once.
    """
    wanted = set(statuses)
    deadline = time.monotonic() + within
    last = "?"
    while time.monotonic() < deadline:
        response = await get_run(http, thread_id, run_id)
        assert response.status_code == 200, f"run {run_id}: {response.status_code} {response.text}"
        last = response.json()["status"]
        if last in wanted:
            return str(last)
        assert last not in TERMINAL, f"run {run_id} ended {last!r}, wanted {sorted(wanted)}"
        await asyncio.sleep(POLL_INTERVAL)
    raise AssertionError(f"run {run_id} still {last!r} after {within}s, wanted {sorted(wanted)}")


async def wait_for_run_gone(
    http: httpx.AsyncClient, thread_id: str, run_id: str, within: float = DEFAULT_TIMEOUT
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (await get_run(http, thread_id, run_id)).status_code == 404:
            return
        await asyncio.sleep(POLL_INTERVAL)
    raise AssertionError(f"run {run_id} still exists after {within}s")


async def wait_for_thread_status(
    http: httpx.AsyncClient,
    thread_id: str,
    statuses: Iterable[str],
    within: float = DEFAULT_TIMEOUT,
) -> str:
    wanted = set(statuses)
    deadline = time.monotonic() + within
    last = "?"
    while time.monotonic() < deadline:
        response = await http.get(f"/threads/{thread_id}")
        assert response.status_code == 200, response.text
        last = response.json()["status"]
        if last in wanted:
            return str(last)
        await asyncio.sleep(POLL_INTERVAL)
    raise AssertionError(
        f"thread {thread_id} still {last!r} after {within}s, wanted {sorted(wanted)}"
    )


async def wait_for_thread_gone(
    http: httpx.AsyncClient, thread_id: str, within: float = DEFAULT_TIMEOUT
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if (await http.get(f"/threads/{thread_id}")).status_code == 404:
            return
        await asyncio.sleep(POLL_INTERVAL)
    raise AssertionError(f"thread {thread_id} still exists after {within}s")


async def cleanup_thread(http: httpx.AsyncClient, thread_id: str) -> None:
    """Cancel the thread's unfinished runs (best effort) so they do not hold server workers."""
    try:
        response = await http.get(f"/threads/{thread_id}/runs", params={"limit": 100})
        if response.status_code != 200:
            return
        for run in response.json():
            if run["status"] in ("pending", "running"):
                await http.post(
                    f"/threads/{thread_id}/runs/{run['run_id']}/cancel",
                    params={"wait": 0, "action": "interrupt"},
                )
    except httpx.HTTPError:
        pass
