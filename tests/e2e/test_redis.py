"""Two `interop serve` processes on one Redis (and one SQLite file): a stream dropped at one
process resumes at the other with Last-Event-ID, every later event exactly once; a thread
stream joined at one process sees the run another process executes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from tests.redis_env import delete_keys, key_prefix, redis_url

from .support import (
    COUNTDOWN,
    TIMEOUT,
    Record,
    ServerProcess,
    countdown_input,
    iter_sse,
    read_sse,
    running_server,
)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    url = redis_url()
    prefix = key_prefix()
    env = {"INTEROP_REDIS": url, "INTEROP_REDIS_PREFIX": prefix}
    first, second = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("two")
    # each process logs in its own directory; both use the first one's database
    shared = ("--database", f"sqlite:///{first / 'db.sqlite'}")
    try:
        with (
            running_server(first, env=env) as one,
            running_server(second, *shared, env=env) as two,
        ):
            yield one, two
    finally:
        delete_keys(url, prefix)


def _key(record: Record) -> tuple[str | None, str | None, str | None]:
    return (record.id, record.event, record.raw_data)


async def test_the_startup_log_names_the_broker(pair: tuple[ServerProcess, ServerProcess]) -> None:
    one, _ = pair
    assert "event broker: redis://" in one.log_path.read_text(errors="replace")


async def test_a_stream_dropped_at_one_process_resumes_at_the_other(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = pair
    async with (
        httpx.AsyncClient(base_url=one.url, timeout=TIMEOUT) as first_http,
        httpx.AsyncClient(base_url=two.url, timeout=TIMEOUT) as second_http,
    ):
        thread_id = (await first_http.post("/threads", json={})).json()["thread_id"]
        body = {
            "assistant_id": COUNTDOWN,
            "input": countdown_input(5, 0.2),
            "stream_mode": ["custom", "values"],
            "stream_resumable": True,
        }
        first: list[Record] = []
        async with (
            asyncio.timeout(TIMEOUT),
            first_http.stream("POST", f"/threads/{thread_id}/runs/stream", json=body) as response,
        ):
            assert response.status_code == 200
            async for record in iter_sse(response):
                first.append(record)
                if record.event == "custom" and record.data["remaining"] == 4:
                    break  # the client drops mid-run
        run_id = first[0].data["run_id"]
        path = f"/threads/{thread_id}/runs/{run_id}/stream"
        _, rest, _ = await read_sse(
            second_http, "GET", path, headers={"Last-Event-ID": str(first[-1].id)}
        )
        assert rest, "nothing after the resume point"
        _, full, _ = await read_sse(second_http, "GET", path, headers={"Last-Event-ID": "0-0"})
        assert [r.event for r in full].count("custom") == 5
        combined = [_key(r) for r in first + rest]
        assert len(set(combined)) == len(combined), "duplicate events after resuming"
        assert combined == [_key(r) for r in full]


async def test_a_thread_stream_at_one_process_sees_a_run_at_the_other(
    pair: tuple[ServerProcess, ServerProcess],
) -> None:
    one, two = pair
    async with (
        httpx.AsyncClient(base_url=one.url, timeout=TIMEOUT) as first_http,
        httpx.AsyncClient(base_url=two.url, timeout=TIMEOUT) as second_http,
    ):
        thread_id = (await first_http.post("/threads", json={})).json()["thread_id"]
        seen: list[Record] = []
        joined = asyncio.Event()

        async def watch() -> None:
            async with second_http.stream("GET", f"/threads/{thread_id}/stream") as response:
                assert response.status_code == 200
                joined.set()
                async for record in iter_sse(response):
                    seen.append(record)
                    if record.event == "metadata" and record.data.get("status") == "run_done":
                        return

        watcher = asyncio.create_task(watch())
        async with asyncio.timeout(TIMEOUT):
            await joined.wait()
            # the thread channel is opened before the response starts: the run is mirrored
            response = await first_http.post(
                f"/threads/{thread_id}/runs/wait",
                json={"assistant_id": COUNTDOWN, "input": countdown_input(2, 0.01)},
            )
            assert response.status_code == 200
            await watcher
        events = [r.event for r in seen]
        assert events[0] == "metadata" and events[-1] == "metadata"
        assert seen[0].data["run_id"] == seen[-1].data["run_id"]
        assert events.count("values") == 2
        assert seen[-2].data["messages"][0]["content"] == "done"
        assert len({r.id for r in seen}) == len(seen)
