"""Assistants through the official SDK: every route it calls."""

from __future__ import annotations

import uuid

import httpx
from langgraph_sdk.client import LangGraphClient

from .support import COUNTDOWN, ECHO, status_of

SYSTEM_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")


def system_id(graph_id: str) -> str:
    return str(uuid.uuid5(SYSTEM_NAMESPACE, graph_id))


async def test_system_assistants_exist_with_stable_ids(client: LangGraphClient) -> None:
    for graph_id in (ECHO, "approval", COUNTDOWN):
        assistant = await client.assistants.get(system_id(graph_id))
        assert assistant["assistant_id"] == system_id(graph_id)
        assert assistant["graph_id"] == graph_id
        assert assistant["metadata"] == {"created_by": "system"}
        assert assistant["version"] == 1
        assert assistant["name"] == graph_id


async def test_get_by_graph_name_resolves_the_system_assistant(client: LangGraphClient) -> None:
    assistant = await client.assistants.get(ECHO)
    assert assistant["assistant_id"] == system_id(ECHO)
    assert assistant["graph_id"] == ECHO


async def test_get_unknown_assistant_is_404(client: LangGraphClient) -> None:
    assert await status_of(client.assistants.get(str(uuid.uuid4()))) == 404


async def test_create_and_if_exists(client: LangGraphClient) -> None:
    assistant_id = str(uuid.uuid4())
    created = await client.assistants.create(
        ECHO,
        assistant_id=assistant_id,
        config={"configurable": {"x": 1}},
        metadata={"team": "e2e", "k": "create"},
        name="first",
        description="an echo",
    )
    assert created["assistant_id"] == assistant_id
    assert created["graph_id"] == ECHO
    assert created["name"] == "first"
    assert created["description"] == "an echo"
    assert created["metadata"] == {"team": "e2e", "k": "create"}
    assert created["version"] == 1

    assert await status_of(client.assistants.create(ECHO, assistant_id=assistant_id)) == 409
    same = await client.assistants.create(
        ECHO, assistant_id=assistant_id, if_exists="do_nothing", name="ignored"
    )
    assert same["assistant_id"] == assistant_id
    assert same["name"] == "first"

    fetched = await client.assistants.get(assistant_id)
    assert fetched["name"] == "first"
    assert fetched["config"]["configurable"] == {"x": 1}


async def test_create_unknown_graph_is_404(client: LangGraphClient) -> None:
    assert await status_of(client.assistants.create("no-such-graph")) == 404


async def test_update_creates_versions_and_set_latest(client: LangGraphClient) -> None:
    created = await client.assistants.create(
        COUNTDOWN, metadata={"k": "versions", "v": 1}, name="v1"
    )
    assistant_id = created["assistant_id"]

    v2 = await client.assistants.update(assistant_id, metadata={"v": 2}, name="v2")
    assert v2["version"] == 2
    assert v2["name"] == "v2"
    assert v2["metadata"]["v"] == 2
    assert v2["metadata"]["k"] == "versions"  # metadata is merged

    v3 = await client.assistants.update(assistant_id, config={"configurable": {"n": 3}})
    assert v3["version"] == 3
    assert (await client.assistants.get(assistant_id))["version"] == 3

    versions = await client.assistants.get_versions(assistant_id)
    assert [v["version"] for v in versions] == [3, 2, 1]  # newest first
    assert {v["assistant_id"] for v in versions} == {assistant_id}
    assert [v["name"] for v in versions][1:] == ["v2", "v1"]

    limited = await client.assistants.get_versions(assistant_id, limit=1, offset=1)
    assert [v["version"] for v in limited] == [2]

    latest = await client.assistants.set_latest(assistant_id, 1)
    assert latest["version"] == 1
    assert latest["name"] == "v1"
    assert latest["metadata"]["v"] == 1
    again = await client.assistants.get(assistant_id)
    assert again["version"] == 1
    assert again["name"] == "v1"

    assert await status_of(client.assistants.set_latest(assistant_id, 99)) == 404
    assert await status_of(client.assistants.update(str(uuid.uuid4()), name="x")) == 404
    assert await status_of(client.assistants.get_versions(str(uuid.uuid4()))) == 404


async def test_search_filters_sort_pagination_select(client: LangGraphClient) -> None:
    tag = str(uuid.uuid4())
    ids = []
    for i, name in enumerate(["charlie", "alpha", "bravo"]):
        created = await client.assistants.create(
            ECHO if i < 2 else COUNTDOWN, metadata={"tag": tag, "i": i}, name=name
        )
        ids.append(created["assistant_id"])

    found = await client.assistants.search(metadata={"tag": tag}, limit=10)
    assert sorted(a["assistant_id"] for a in found) == sorted(ids)

    only_echo = await client.assistants.search(metadata={"tag": tag}, graph_id=ECHO)
    assert sorted(a["assistant_id"] for a in only_echo) == sorted(ids[:2])

    one = await client.assistants.search(metadata={"tag": tag, "i": 2})
    assert [a["assistant_id"] for a in one] == [ids[2]]

    by_name = await client.assistants.search(
        metadata={"tag": tag}, sort_by="name", sort_order="asc"
    )
    assert [a["name"] for a in by_name] == ["alpha", "bravo", "charlie"]
    by_name_desc = await client.assistants.search(
        metadata={"tag": tag}, sort_by="name", sort_order="desc"
    )
    assert [a["name"] for a in by_name_desc] == ["charlie", "bravo", "alpha"]

    page = await client.assistants.search(
        metadata={"tag": tag}, sort_by="name", sort_order="asc", limit=2, offset=1
    )
    assert [a["name"] for a in page] == ["bravo", "charlie"]

    selected = await client.assistants.search(
        metadata={"tag": tag}, select=["assistant_id", "name"]
    )
    assert len(selected) == 3
    assert all(set(a) == {"assistant_id", "name"} for a in selected)

    assert await client.assistants.count(metadata={"tag": tag}) == 3
    assert await client.assistants.count(metadata={"tag": tag}, graph_id=COUNTDOWN) == 1
    assert await client.assistants.count(metadata={"tag": str(uuid.uuid4())}) == 0


async def test_search_pagination_headers(http: httpx.AsyncClient) -> None:
    tag = str(uuid.uuid4())
    for _ in range(3):
        response = await http.post("/assistants", json={"graph_id": ECHO, "metadata": {"tag": tag}})
        assert response.status_code == 200
    response = await http.post("/assistants/search", json={"metadata": {"tag": tag}, "limit": 2})
    assert response.status_code == 200
    assert len(response.json()) == 2
    assert response.headers.get("x-pagination-total") == "3"
    assert response.headers.get("x-pagination-next") == "2"


async def test_graph_schemas_subgraphs(client: LangGraphClient) -> None:
    graph = await client.assistants.get_graph(ECHO)
    node_ids = {node["id"] for node in graph["nodes"]}
    assert {"__start__", "respond", "__end__"} <= node_ids
    edges = {(e["source"], e["target"]) for e in graph["edges"]}
    assert ("__start__", "respond") in edges
    assert ("respond", "__end__") in edges

    xray = await client.assistants.get_graph(system_id(ECHO), xray=True)
    assert {node["id"] for node in xray["nodes"]} == node_ids
    xray_depth = await client.assistants.get_graph(system_id(ECHO), xray=1)
    assert {node["id"] for node in xray_depth["nodes"]} == node_ids

    schemas = await client.assistants.get_schemas(COUNTDOWN)
    assert schemas["graph_id"] == COUNTDOWN
    for key in ("input_schema", "output_schema", "state_schema", "config_schema"):
        assert key in schemas
    properties = schemas["input_schema"]["properties"]
    assert properties["n"]["type"] == "integer"
    assert properties["delay"]["type"] == "number"

    assert await client.assistants.get_subgraphs(ECHO) == {}
    assert await client.assistants.get_subgraphs(ECHO, recurse=True) == {}

    unknown = str(uuid.uuid4())
    assert await status_of(client.assistants.get_graph(unknown)) == 404
    assert await status_of(client.assistants.get_schemas(unknown)) == 404
    assert await status_of(client.assistants.get_subgraphs(unknown)) == 404


async def test_delete(client: LangGraphClient) -> None:
    created = await client.assistants.create(ECHO, metadata={"k": "delete"})
    assistant_id = created["assistant_id"]
    await client.assistants.delete(assistant_id)
    assert await status_of(client.assistants.get(assistant_id)) == 404
    assert await status_of(client.assistants.delete(assistant_id)) == 404


async def test_runs_use_a_created_assistants_config(client: LangGraphClient) -> None:
    created = await client.assistants.create(COUNTDOWN, metadata={"owner": "e2e-config"})
    thread = await client.threads.create()
    run = await client.runs.create(
        thread["thread_id"], created["assistant_id"], input={"n": 1, "delay": 0.01}
    )
    assert run["assistant_id"] == created["assistant_id"]
    assert run["metadata"]["owner"] == "e2e-config"
    result = await client.runs.join(thread["thread_id"], run["run_id"])
    assert result["messages"][-1]["content"] == "done"
