"""The long-term store on a real server, through the official SDK's `client.store`: items,
search (semantic with the fixture's embedding), namespaces, TTL expiry, bad input (422), and a
graph that reads and writes `runtime.store`."""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from tests.databases import admin_url

from .support import BACKEND, ServerProcess, eventually, running_server

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "store_project"


INDEX = {"embed": f"{FIXTURES}/embed.py:embed", "dims": 64}


def _vectors_supported() -> bool:
    """Semantic search needs sqlite-vec (a sqlite3 module that loads extensions, or pysqlite3,
    a dependency on Linux x86-64) on SQLite, pgvector on PostgreSQL."""
    if BACKEND == "sqlite":
        return hasattr(sqlite3.Connection, "enable_load_extension") or bool(
            importlib.util.find_spec("pysqlite3")
        )
    with psycopg.connect(admin_url(required=True)) as conn:
        found = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        return found.fetchone() is not None


def _serve(workdir: Path, store: dict[str, Any]) -> Iterator[ServerProcess]:
    graphs = {"memory": f"{FIXTURES}/memory_graph.py:graph"}
    (workdir / "langgraph.json").write_text(json.dumps({"graphs": graphs, "store": store}))
    with running_server(workdir) as process:
        yield process


@pytest.fixture(scope="module")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    ttl = {"refresh_on_read": True, "sweep_interval_minutes": 0.01}
    yield from _serve(tmp_path_factory.mktemp("store"), {"ttl": ttl})


async def test_put_get_search_namespaces_delete(client: LangGraphClient) -> None:
    await client.store.put_item(["docs", "u1"], "a", {"text": "red apples", "n": 1})
    await client.store.put_item(["docs", "u1"], "b", {"text": "green pears", "n": 2})
    await client.store.put_item(["docs", "u2", "notes"], "c", {"text": "blue sky", "n": 3})

    item = await client.store.get_item(["docs", "u1"], "a")
    assert item["namespace"] == ["docs", "u1"]
    assert item["key"] == "a" and item["value"] == {"text": "red apples", "n": 1}
    assert item["created_at"] and item["updated_at"]
    assert await client.store.get_item(["docs", "u1"], "missing") is None

    found = await client.store.search_items(["docs"], limit=10)
    assert sorted(i["key"] for i in found["items"]) == ["a", "b", "c"]
    filtered = await client.store.search_items(["docs"], filter={"n": 2})
    assert [i["key"] for i in filtered["items"]] == ["b"]
    page = await client.store.search_items(["docs"], limit=2, offset=2)
    assert len(page["items"]) == 1

    spaces = (await client.store.list_namespaces(prefix=["docs"]))["namespaces"]
    assert sorted(spaces) == [["docs", "u1"], ["docs", "u2", "notes"]]
    shallow = await client.store.list_namespaces(prefix=["docs"], max_depth=2)
    assert sorted(shallow["namespaces"]) == [["docs", "u1"], ["docs", "u2"]]
    notes = await client.store.list_namespaces(suffix=["notes"])
    assert notes["namespaces"] == [["docs", "u2", "notes"]]

    await client.store.delete_item(["docs", "u1"], "a")
    assert await client.store.get_item(["docs", "u1"], "a") is None


@pytest.mark.skipif(not _vectors_supported(), reason="no vector extension for this backend")
async def test_semantic_search_ranks_by_the_configured_embedding(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    for process in _serve(tmp_path_factory.mktemp("semantic"), {"index": INDEX}):
        async with get_client(url=process.url) as client:
            await _semantic(client)


def test_an_index_without_vector_support_stops_the_server_with_a_reason(
    tmp_path: Path,
) -> None:
    if _vectors_supported():
        pytest.skip("this backend supports vectors")
    (tmp_path / "langgraph.json").write_text(
        json.dumps(
            {"graphs": {"m": f"{FIXTURES}/memory_graph.py:graph"}, "store": {"index": INDEX}}
        )
    )
    process = ServerProcess(tmp_path)
    with pytest.raises(pytest.fail.Exception):
        process.start(timeout=30)
    process.stop()
    assert "store.index" in process.log_tail()


async def _semantic(client: LangGraphClient) -> None:
    ns = ["sem"]
    await client.store.put_item(ns, "pizza", {"text": "I love pizza with cheese"})
    await client.store.put_item(ns, "weather", {"text": "the weather is cold today"})
    await client.store.put_item(ns, "cars", {"text": "fast cars on the road"})
    found = await client.store.search_items(ns, query="pizza cheese", limit=3)
    keys = [i["key"] for i in found["items"]]
    assert keys[0] == "pizza"
    assert found["items"][0]["score"] > found["items"][-1]["score"]


async def test_item_ttl_expires(client: LangGraphClient) -> None:
    ns = ["ttl"]
    await client.store.put_item(ns, "short", {"v": 1}, ttl=0.02)  # minutes: 1.2 s
    await client.store.put_item(ns, "kept", {"v": 2})
    assert await client.store.get_item(ns, "short", refresh_ttl=False) is not None

    async def read() -> object:
        return await client.store.get_item(ns, "short", refresh_ttl=False)

    await eventually(read, lambda item: item is None, within=30, what="the item swept")
    assert (await client.store.get_item(ns, "kept"))["value"] == {"v": 2}


async def test_graph_reads_and_writes_runtime_store(client: LangGraphClient) -> None:
    thread = await client.threads.create()
    first = await client.runs.wait(
        thread["thread_id"], "memory", input={"user": "ann", "text": "x"}
    )
    assert first["memories"] == ["x"]
    other = await client.threads.create()
    second = await client.runs.wait(
        other["thread_id"], "memory", input={"user": "ann", "text": "y"}
    )
    assert second["memories"] == ["x", "y"]  # across threads: the long-term store
    item = await client.store.get_item(["memories", "ann"], "m1")
    assert item["value"] == {"text": "y"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/store/items", {"namespace": ["a.b"], "key": "k", "value": {}}),
        ("PUT", "/store/items", {"namespace": [], "key": "k", "value": {}}),
        ("PUT", "/store/items", {"namespace": [""], "key": "k", "value": {}}),
        ("PUT", "/store/items", {"namespace": ["a"], "key": 1, "value": {}}),
        ("PUT", "/store/items", {"namespace": ["a", 2], "key": "k", "value": {}}),
        ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": [1]}),
        ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": {}, "ttl": -1}),
        ("PUT", "/store/items", {"namespace": ["langgraph"], "key": "k", "value": {}}),
        ("PUT", "/store/items", None),
        ("DELETE", "/store/items", {"namespace": ["a"]}),
        ("POST", "/store/items/search", {"namespace_prefix": "a"}),
        ("POST", "/store/items/search", {"limit": -1}),
        ("POST", "/store/items/search", {"filter": [1]}),
        ("POST", "/store/namespaces", {"max_depth": 0}),
        ("POST", "/store/namespaces", {"prefix": ["a.b"]}),
    ],
)
async def test_bad_input_is_422(
    http: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    content = b"" if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    response = await http.request(method, path, content=content, headers=headers)
    assert response.status_code == 422, response.text


async def test_get_without_key_is_422(http: httpx.AsyncClient) -> None:
    assert (await http.get("/store/items", params={"namespace": "a"})).status_code == 422
    response = await http.get("/store/items", params={"namespace": "a..b", "key": "k"})
    assert response.status_code == 422
