"""Thread TTL on a real server: threads expire after their `ttl` (or the config's
`checkpointer.ttl.default_ttl`) and are swept in the background: `delete` removes the thread,
`keep_latest` keeps it with its latest checkpoint only."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import NotFoundError

from .support import TIMEOUT, ServerProcess, eventually, running_server, user_message


@pytest.fixture(scope="module")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("ttl")
    config = {
        "graphs": {"echo": "interop.examples.echo:graph"},
        # Threads without a ttl expire 3 s after creation; sweeps every 0.6 s.
        "checkpointer": {"ttl": {"default_ttl": 0.05, "sweep_interval_minutes": 0.01}},
    }
    (workdir / "langgraph.json").write_text(json.dumps(config))
    with running_server(workdir) as process:
        yield process


async def _exists(client: LangGraphClient, thread_id: str) -> bool:
    try:
        await client.threads.get(thread_id)
    except NotFoundError:
        return False
    return True


async def test_threads_expire_by_their_ttl_or_the_default(client: LangGraphClient) -> None:
    short = await client.threads.create(ttl=0.02)  # 1.2 s, strategy delete
    defaulted = await client.threads.create()
    kept = await client.threads.create(ttl={"strategy": "delete", "ttl": 60})
    await client.runs.wait(short["thread_id"], "echo", input=user_message("hi"))

    async def alive() -> tuple[bool, bool]:
        return (
            await _exists(client, short["thread_id"]),
            await _exists(client, defaulted["thread_id"]),
        )

    await eventually(alive, lambda seen: seen == (False, False), what="both threads swept")
    assert await _exists(client, kept["thread_id"])
    # Its runs went with it.
    with pytest.raises(NotFoundError):
        await client.runs.list(short["thread_id"])


async def test_keep_latest_keeps_the_thread_and_its_latest_state(client: LangGraphClient) -> None:
    thread = await client.threads.create(ttl={"strategy": "keep_latest", "ttl": 60})
    thread_id = thread["thread_id"]
    await client.runs.wait(thread_id, "echo", input=user_message("one"))
    await client.runs.wait(thread_id, "echo", input=user_message("two"))
    before = await client.threads.get_history(thread_id, limit=100)
    assert len(before) > 1
    # Restart the expiry, now short (an update's ttl counts from the update).
    await client.threads.update(
        thread_id, metadata={}, ttl={"strategy": "keep_latest", "ttl": 0.01}
    )

    async def history() -> int:
        return len(await client.threads.get_history(thread_id, limit=100))

    await eventually(history, lambda n: n == 1, what="older checkpoints pruned")
    state = await client.threads.get_state(thread_id)
    assert [m["content"] for m in state["values"]["messages"]][-1]
    assert await _exists(client, thread_id)


@pytest.mark.parametrize(
    "ttl",
    [{"strategy": "archive", "ttl": 5}, {"ttl": -1}, {"ttl": "soon"}, {"strategy": "delete"}],
)
async def test_a_bad_ttl_is_422(server_process: ServerProcess, ttl: object) -> None:
    async with httpx.AsyncClient(base_url=server_process.url, timeout=TIMEOUT) as http:
        assert (await http.post("/threads", json={"ttl": ttl})).status_code == 422
        thread = (await http.post("/threads", json={})).json()
        patched = await http.patch(f"/threads/{thread['thread_id']}", json={"ttl": ttl})
        assert patched.status_code == 422
