"""Threads, their state and history, through the official SDK."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

import httpx
from langgraph_sdk.client import LangGraphClient

from .support import (
    COUNTDOWN,
    ECHO,
    TIMEOUT,
    Record,
    countdown_input,
    eventually,
    iter_sse,
    message_texts,
    new_thread,
    run_status,
    status_of,
    thread_status,
    user_message,
)


async def echo_thread(client: LangGraphClient, text: str = "hello there") -> str:
    """A thread with one finished echo run on it."""
    thread_id = await new_thread(client)
    await client.runs.wait(thread_id, ECHO, input=user_message(text))
    return thread_id


async def test_create_get_if_exists(client: LangGraphClient) -> None:
    thread_id = str(uuid.uuid4())
    created = await client.threads.create(thread_id=thread_id, metadata={"owner": "e2e"})
    assert created["thread_id"] == thread_id
    assert created["status"] == "idle"
    assert created["metadata"] == {"owner": "e2e"}

    fetched = await client.threads.get(thread_id)
    assert fetched["thread_id"] == thread_id
    assert fetched["metadata"] == {"owner": "e2e"}
    assert fetched["status"] == "idle"

    assert await status_of(client.threads.create(thread_id=thread_id)) == 409
    assert await status_of(client.threads.create(thread_id=thread_id, if_exists="raise")) == 409
    same = await client.threads.create(
        thread_id=thread_id, if_exists="do_nothing", metadata={"owner": "other"}
    )
    assert same["thread_id"] == thread_id
    assert same["metadata"] == {"owner": "e2e"}


async def test_create_without_id_generates_one(client: LangGraphClient) -> None:
    first = await client.threads.create()
    second = await client.threads.create()
    assert first["thread_id"] != second["thread_id"]
    uuid.UUID(first["thread_id"])


async def test_get_unknown_thread_is_404(client: LangGraphClient) -> None:
    assert await status_of(client.threads.get(str(uuid.uuid4()))) == 404


async def test_update_merges_metadata(client: LangGraphClient) -> None:
    thread_id = await new_thread(client, metadata={"a": 1, "b": 1})
    updated = await client.threads.update(thread_id, metadata={"b": 2, "c": 3})
    assert updated["metadata"] == {"a": 1, "b": 2, "c": 3}
    assert (await client.threads.get(thread_id))["metadata"] == {"a": 1, "b": 2, "c": 3}
    assert await status_of(client.threads.update(str(uuid.uuid4()), metadata={"x": 1})) == 404


async def test_delete(client: LangGraphClient) -> None:
    thread_id = await echo_thread(client)
    await client.threads.delete(thread_id)
    assert await status_of(client.threads.get(thread_id)) == 404
    assert await status_of(client.threads.delete(thread_id)) == 404
    assert await status_of(client.threads.get_state(thread_id)) == 404


async def test_delete_cancels_a_running_run(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    run = await client.runs.create(thread_id, COUNTDOWN, input=countdown_input(200, 0.1))
    await thread_status(client, thread_id, ["busy"])
    await client.threads.delete(thread_id)
    assert await status_of(client.threads.get(thread_id)) == 404
    assert await status_of(client.runs.get(thread_id, run["run_id"])) == 404


async def test_search_and_count(client: LangGraphClient) -> None:
    tag = str(uuid.uuid4())
    ids = [await new_thread(client, metadata={"tag": tag, "i": i}) for i in range(3)]
    done = await echo_thread(client)
    await client.threads.update(done, metadata={"tag": tag, "i": 3})

    found = await client.threads.search(metadata={"tag": tag})
    assert sorted(t["thread_id"] for t in found) == sorted([*ids, done])

    one = await client.threads.search(metadata={"tag": tag, "i": 1})
    assert [t["thread_id"] for t in one] == [ids[1]]

    by_ids = await client.threads.search(ids=[ids[0], ids[2]])
    assert sorted(t["thread_id"] for t in by_ids) == sorted([ids[0], ids[2]])

    with_values = await client.threads.search(
        metadata={"tag": tag}, values={"messages": []}, limit=10
    )
    assert all(t["thread_id"] in [*ids, done] for t in with_values)

    asc = await client.threads.search(metadata={"tag": tag}, sort_by="created_at", sort_order="asc")
    assert [t["thread_id"] for t in asc] == [*ids, done]
    desc = await client.threads.search(
        metadata={"tag": tag}, sort_by="created_at", sort_order="desc"
    )
    assert [t["thread_id"] for t in desc] == [done, *reversed(ids)]

    page = await client.threads.search(
        metadata={"tag": tag}, sort_by="created_at", sort_order="asc", limit=2, offset=1
    )
    assert [t["thread_id"] for t in page] == ids[1:3]

    selected = await client.threads.search(metadata={"tag": tag}, select=["thread_id", "status"])
    assert len(selected) == 4
    assert all(set(t) == {"thread_id", "status"} for t in selected)

    idle = await client.threads.search(metadata={"tag": tag}, status="idle")
    assert len(idle) == 4
    assert await client.threads.search(metadata={"tag": tag}, status="busy") == []

    assert await client.threads.count(metadata={"tag": tag}) == 4
    assert await client.threads.count(metadata={"tag": tag}, status="interrupted") == 0
    assert await client.threads.count(metadata={"tag": str(uuid.uuid4())}) == 0


async def test_search_pagination_header(http: httpx.AsyncClient) -> None:
    tag = str(uuid.uuid4())
    for _ in range(3):
        assert (await http.post("/threads", json={"metadata": {"tag": tag}})).status_code == 200
    response = await http.post("/threads/search", json={"metadata": {"tag": tag}, "limit": 2})
    assert response.status_code == 200
    assert len(response.json()) == 2
    assert response.headers.get("x-pagination-total") == "3"


async def test_copy_keeps_values_and_history(client: LangGraphClient) -> None:
    source = await echo_thread(client, "copy me")
    copied = await client.threads.copy(source)
    assert copied["thread_id"] != source
    assert copied["metadata"] == (await client.threads.get(source))["metadata"]

    source_state = await client.threads.get_state(source)
    copy_state = await client.threads.get_state(copied["thread_id"])
    assert message_texts(copy_state["values"]) == message_texts(source_state["values"])
    assert message_texts(copy_state["values"]) == [("human", "copy me"), ("ai", "copy me")]

    source_history = await client.threads.get_history(source, limit=50)
    copy_history = await client.threads.get_history(copied["thread_id"], limit=50)
    assert len(copy_history) == len(source_history) >= 3

    # The copy is independent: a run on it leaves the source alone.
    await client.runs.wait(copied["thread_id"], ECHO, input=user_message("more"))
    assert len(message_texts((await client.threads.get_state(source))["values"])) == 2
    assert len(message_texts((await client.threads.get_state(copied["thread_id"]))["values"])) == 4


async def test_copy_unknown_thread_fails(client: LangGraphClient) -> None:
    # The issue asks for 404 on unknown ids; the reference answers 409 here.
    assert await status_of(client.threads.copy(str(uuid.uuid4()))) in (404, 409)


async def test_prune_delete(client: LangGraphClient) -> None:
    doomed = [await echo_thread(client), await new_thread(client)]
    kept = await new_thread(client)
    result = await client.threads.prune([*doomed, str(uuid.uuid4())])
    assert result == {"pruned_count": 2}
    for thread_id in doomed:
        assert await status_of(client.threads.get(thread_id)) == 404
    assert (await client.threads.get(kept))["thread_id"] == kept


async def test_prune_keep_latest(client: LangGraphClient) -> None:
    thread_id = await echo_thread(client)
    assert len(await client.threads.get_history(thread_id, limit=50)) >= 3
    result = await client.threads.prune([thread_id], strategy="keep_latest")
    assert result == {"pruned_count": 1}
    history = await client.threads.get_history(thread_id, limit=50)
    assert len(history) == 1
    state = await client.threads.get_state(thread_id)
    assert message_texts(state["values"]) == [("human", "hello there"), ("ai", "hello there")]


async def test_state_of_a_fresh_thread(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    state = await client.threads.get_state(thread_id)
    assert state["values"] in ({}, None, [])
    assert state["next"] == []
    assert state["tasks"] == []
    assert state["checkpoint"] is None
    assert await client.threads.get_history(thread_id) == []


async def test_state_after_a_run_and_at_a_checkpoint(client: LangGraphClient) -> None:
    thread_id = await echo_thread(client, "state check")
    state = await client.threads.get_state(thread_id)
    assert message_texts(state["values"]) == [("human", "state check"), ("ai", "state check")]
    assert state["next"] == []
    assert state["metadata"]["source"] == "loop"
    assert state["metadata"]["step"] == 1
    assert state["checkpoint"]["thread_id"] == thread_id
    assert state["checkpoint"]["checkpoint_id"]
    assert state["parent_checkpoint"]["checkpoint_id"]
    assert state["created_at"]

    history = await client.threads.get_history(thread_id, limit=10)
    assert len(history) == 3
    assert [h["metadata"]["step"] for h in history] == [1, 0, -1]  # newest first
    assert [h["metadata"]["source"] for h in history] == ["loop", "loop", "input"]
    assert history[0]["checkpoint"]["checkpoint_id"] == state["checkpoint"]["checkpoint_id"]
    assert history[1]["next"] == ["respond"]
    for entry in history:
        for key in ("values", "next", "tasks", "metadata", "checkpoint", "created_at"):
            assert key in entry

    middle = history[1]["checkpoint"]["checkpoint_id"]
    by_path = await client.threads.get_state(thread_id, checkpoint_id=middle)
    assert by_path["checkpoint"]["checkpoint_id"] == middle
    assert by_path["next"] == ["respond"]
    assert message_texts(by_path["values"]) == [("human", "state check")]

    by_body = await client.threads.get_state(
        thread_id, checkpoint={"checkpoint_id": middle, "checkpoint_ns": ""}
    )
    assert by_body["checkpoint"]["checkpoint_id"] == middle
    assert by_body["next"] == ["respond"]

    assert len(await client.threads.get_history(thread_id, limit=2)) == 2
    before = await client.threads.get_history(thread_id, before={"checkpoint_id": middle})
    assert [h["metadata"]["step"] for h in before] == [-1]
    before_str = await client.threads.get_history(thread_id, before=middle)
    assert [h["metadata"]["step"] for h in before_str] == [-1]
    # The reference also takes a RunnableConfig-shaped `before`.
    before_config = await client.threads.get_history(
        thread_id,
        before={"configurable": {"checkpoint_id": middle}},  # type: ignore[typeddict-unknown-key]
    )
    assert [h["metadata"]["step"] for h in before_config] == [-1]
    inputs = await client.threads.get_history(thread_id, metadata={"source": "input"})
    assert [h["metadata"]["step"] for h in inputs] == [-1]


async def test_history_get_route(http: httpx.AsyncClient, client: LangGraphClient) -> None:
    thread_id = await echo_thread(client)
    response = await http.get(f"/threads/{thread_id}/history", params={"limit": 10})
    assert response.status_code == 200
    assert len(response.json()) == 3
    assert (await http.get(f"/threads/{uuid.uuid4()}/history")).status_code == 404


async def test_update_state_as_node(client: LangGraphClient) -> None:
    thread_id = await echo_thread(client, "first")
    before = await client.threads.get_state(thread_id)
    result = await client.threads.update_state(
        thread_id,
        {"messages": [{"role": "assistant", "content": "edited"}]},
        as_node="respond",
    )
    new_id = result["checkpoint"]["checkpoint_id"]
    assert new_id and new_id != before["checkpoint"]["checkpoint_id"]

    after = await client.threads.get_state(thread_id)
    assert after["checkpoint"]["checkpoint_id"] == new_id
    assert message_texts(after["values"])[-1] == ("ai", "edited")
    assert after["next"] == []
    assert after["metadata"]["source"] == "update"
    history = await client.threads.get_history(thread_id, limit=50)
    assert len(history) == 4
    thread = await client.threads.get(thread_id)
    assert message_texts(thread["values"])[-1] == ("ai", "edited")


async def test_update_state_as_start_makes_the_next_node_pending(
    client: LangGraphClient,
) -> None:
    thread_id = await echo_thread(client, "first")
    await client.threads.update_state(thread_id, user_message("second"), as_node="__start__")
    state = await client.threads.get_state(thread_id)
    assert state["next"] == ["respond"]
    # Running with no input continues from there.
    final = await client.runs.wait(thread_id, ECHO, input=None)
    assert message_texts(final)[-2:] == [("human", "second"), ("ai", "second")]


async def test_update_state_at_an_old_checkpoint_forks(client: LangGraphClient) -> None:
    thread_id = await echo_thread(client, "original")
    history = await client.threads.get_history(thread_id, limit=10)
    first = history[-1]["checkpoint"]["checkpoint_id"]
    await client.threads.update_state(
        thread_id, {"messages": [{"role": "assistant", "content": "fork"}]}, checkpoint_id=first
    )
    state = await client.threads.get_state(thread_id)
    assert state["parent_checkpoint"]["checkpoint_id"] == first


async def test_update_state_on_unknown_thread_is_404(client: LangGraphClient) -> None:
    assert await status_of(client.threads.update_state(str(uuid.uuid4()), {"messages": []})) == 404


async def test_create_with_supersteps(client: LangGraphClient) -> None:
    thread = await client.threads.create(
        graph_id=ECHO,
        supersteps=[
            {"updates": [{"values": user_message("seeded"), "as_node": "__start__"}]},
        ],
    )
    state = await client.threads.get_state(thread["thread_id"])
    assert message_texts(state["values"]) == [("human", "seeded")]
    assert state["next"] == ["respond"]
    final = await client.runs.wait(thread["thread_id"], ECHO, input=None)
    assert message_texts(final) == [("human", "seeded"), ("ai", "seeded")]


async def listen_until_run_done(
    client: LangGraphClient, thread_id: str, parts: list[tuple[str, Any]]
) -> None:
    async for part in await client.threads.join_stream(thread_id):
        parts.append((part.event, part.data))
        data = part.data
        if part.event == "metadata" and isinstance(data, dict) and data.get("status") == "run_done":
            return


class ThreadListener:
    """A `threads.join_stream` consumer in the background, connected for sure: the thread stream
    starts at "now" and has no ready signal, so `connect` runs short probe runs until one of them
    is seen."""

    def __init__(self, client: LangGraphClient, thread_id: str, **kwargs: Any) -> None:
        self.client = client
        self.thread_id = thread_id
        self.kwargs = kwargs
        self.parts: list[tuple[str, Any]] = []
        self.task: asyncio.Task[None] | None = None

    async def _listen(self) -> None:
        async for part in await self.client.threads.join_stream(self.thread_id, **self.kwargs):
            self.parts.append((part.event, part.data))

    def done_runs(self) -> set[str]:
        return {
            d["run_id"]
            for e, d in self.parts
            if e == "metadata" and isinstance(d, dict) and d.get("status") == "run_done"
        }

    async def connect(self) -> None:
        self.task = asyncio.create_task(self._listen())
        async with asyncio.timeout(TIMEOUT):
            while True:
                probe = await self.client.runs.create(
                    self.thread_id, COUNTDOWN, input=countdown_input(0, 0)
                )
                await self.client.runs.join(self.thread_id, probe["run_id"])
                # Seen within a second of its end, or the listener was not connected yet.
                deadline = asyncio.get_running_loop().time() + 1.0
                while asyncio.get_running_loop().time() < deadline:
                    if probe["run_id"] in self.done_runs():
                        return
                    await asyncio.sleep(0.02)

    async def run_parts(self, run_id: str) -> list[tuple[str, Any]]:
        """The records of one run: from its first `metadata` to its `run_done`."""

        async def done() -> set[str]:
            return self.done_runs()

        await eventually(done, lambda ids: run_id in ids, what=f"run_done of {run_id}")
        begin = next(
            i
            for i, (e, d) in enumerate(self.parts)
            if e == "metadata" and d.get("run_id") == run_id and "status" not in d
        )
        return self.parts[begin:]

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task


async def test_join_thread_stream(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    listener = ThreadListener(client, thread_id)
    await listener.connect()
    try:
        run = await client.runs.create(
            thread_id, COUNTDOWN, input=countdown_input(3, 0.05), stream_mode=["custom", "values"]
        )
        parts = await listener.run_parts(run["run_id"])
    finally:
        await listener.close()
    events = [event for event, _ in parts]
    assert parts[0] == ("metadata", {"run_id": run["run_id"], "attempt": 1})
    assert [d["remaining"] for e, d in parts if e == "custom"] == [3, 2, 1]
    assert "values" in events
    assert parts[-1][1] == {"status": "run_done", "run_id": run["run_id"]}


async def test_join_thread_stream_lifecycle_mode(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    listener = ThreadListener(client, thread_id, stream_mode="lifecycle")
    await listener.connect()
    try:
        run = await client.runs.create(
            thread_id, COUNTDOWN, input=countdown_input(3, 0.01), stream_mode=["custom", "values"]
        )
        parts = await listener.run_parts(run["run_id"])
    finally:
        await listener.close()
    assert {e for e, _ in parts} == {"metadata"}
    assert parts[-1][1] == {"status": "run_done", "run_id": run["run_id"]}


async def test_join_thread_stream_mid_run(client: LangGraphClient) -> None:
    """A listener that joins while a run is running gets the rest of that run's events."""
    thread_id = await new_thread(client)
    run = await client.runs.create(
        thread_id, COUNTDOWN, input=countdown_input(12, 0.25), stream_mode=["custom"]
    )
    await run_status(client, thread_id, run["run_id"], {"running"})
    parts: list[tuple[str, Any]] = []
    async with asyncio.timeout(TIMEOUT):
        await listen_until_run_done(client, thread_id, parts)
    remaining = [d["remaining"] for e, d in parts if e == "custom"]
    assert remaining, f"no custom events after joining mid-run: {parts}"
    assert remaining == sorted(remaining, reverse=True)
    assert remaining[-1] == 1
    assert parts[-1][1] == {"status": "run_done", "run_id": run["run_id"]}


async def test_join_thread_stream_unknown_thread(http: httpx.AsyncClient) -> None:
    # The reference answers 200 with heartbeats; a 404 is the rule for unknown ids.
    async with http.stream("GET", f"/threads/{uuid.uuid4()}/stream") as response:
        assert response.status_code in (200, 404)
        assert response.status_code != 500


async def test_thread_stream_raw_mid_run(client: LangGraphClient, http: httpx.AsyncClient) -> None:
    """Without the SDK's stream_mode parameter: a listener that joins mid-run gets the rest of
    the run (records with `id:` lines), then `run_done`."""
    thread_id = await new_thread(client)
    run = await client.runs.create(
        thread_id, COUNTDOWN, input=countdown_input(12, 0.25), stream_mode=["custom"]
    )
    await run_status(client, thread_id, run["run_id"], {"running"})
    records: list[Record] = []
    async with (
        asyncio.timeout(TIMEOUT),
        http.stream("GET", f"/threads/{thread_id}/stream") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        async for record in iter_sse(response):
            records.append(record)
            if record.event == "metadata" and record.data.get("status") == "run_done":
                break
    remaining = [r.data["remaining"] for r in records if r.event == "custom"]
    assert remaining, f"no custom events after joining mid-run: {records}"
    assert remaining[-1] == 1
    assert all(r.id for r in records)
    assert records[-1].data == {"status": "run_done", "run_id": run["run_id"]}
