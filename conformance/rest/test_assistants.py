"""Assistants: system assistants, create/get/patch/delete, versions, search, count, graph info."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient

from .agents import SYSTEM_ASSISTANT_NAMESPACE

GRAPHS = ("echo", "approval", "countdown")


@pytest.fixture
async def tag() -> str:
    """A metadata value unique to one test, so searches see only that test's assistants."""
    return uuid.uuid4().hex


@pytest.fixture
async def created(http: httpx.AsyncClient, tag: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Three assistants with metadata {tag, i}: n0/echo, n1/echo, n2/countdown."""
    made = []
    for i, graph in enumerate(("echo", "echo", "countdown")):
        response = await http.post(
            "/assistants",
            json={"graph_id": graph, "name": f"n{i}", "metadata": {"tag": tag, "i": i}},
        )
        assert response.status_code == 200, response.text
        made.append(response.json())
    yield made
    for assistant in made:
        await http.delete(f"/assistants/{assistant['assistant_id']}")


async def system_assistant(http: httpx.AsyncClient, graph: str) -> dict[str, Any]:
    response = await http.post(
        "/assistants/search",
        json={"graph_id": graph, "metadata": {"created_by": "system"}, "limit": 10},
    )
    assert response.status_code == 200
    found = response.json()
    assert len(found) == 1, f"expected one system assistant for {graph}, got {len(found)}"
    return dict(found[0])


@pytest.mark.parametrize("graph", GRAPHS)
async def test_one_system_assistant_per_graph(http: httpx.AsyncClient, graph: str) -> None:
    assistant = await system_assistant(http, graph)
    assert assistant["graph_id"] == graph
    assert assistant["metadata"]["created_by"] == "system"
    assert assistant["name"] == graph


@pytest.mark.parametrize("graph", GRAPHS)
async def test_system_assistant_id_is_uuid5_of_graph_name(
    http: httpx.AsyncClient, graph: str
) -> None:
    """Same stable ids as the reference, so ids saved by clients keep working across servers."""
    assistant = await system_assistant(http, graph)
    assert assistant["assistant_id"] == str(uuid.uuid5(SYSTEM_ASSISTANT_NAMESPACE, graph))


async def test_create_assistant_returns_version_1(sdk: LangGraphClient) -> None:
    assistant = await sdk.assistants.create("echo", name="mine", metadata={"k": "v"})
    try:
        assert assistant["graph_id"] == "echo"
        assert assistant["version"] == 1
        assert assistant["name"] == "mine"
        assert assistant["metadata"] == {"k": "v"}
        uuid.UUID(assistant["assistant_id"])
    finally:
        await sdk.assistants.delete(assistant["assistant_id"])


async def test_create_assistant_with_existing_id_conflicts_409(http: httpx.AsyncClient) -> None:
    aid = str(uuid.uuid4())
    first = await http.post("/assistants", json={"assistant_id": aid, "graph_id": "echo"})
    assert first.status_code == 200
    try:
        again = await http.post("/assistants", json={"assistant_id": aid, "graph_id": "echo"})
        assert again.status_code == 409
        raised = await http.post(
            "/assistants", json={"assistant_id": aid, "graph_id": "echo", "if_exists": "raise"}
        )
        assert raised.status_code == 409
    finally:
        await http.delete(f"/assistants/{aid}")


async def test_create_assistant_if_exists_do_nothing_returns_existing(
    http: httpx.AsyncClient,
) -> None:
    aid = str(uuid.uuid4())
    await http.post("/assistants", json={"assistant_id": aid, "graph_id": "echo", "name": "a"})
    try:
        response = await http.post(
            "/assistants",
            json={"assistant_id": aid, "graph_id": "echo", "name": "b", "if_exists": "do_nothing"},
        )
        assert response.status_code == 200
        assert response.json()["name"] == "a"
        assert response.json()["version"] == 1
    finally:
        await http.delete(f"/assistants/{aid}")


async def test_create_assistant_unknown_graph_404(http: httpx.AsyncClient) -> None:
    response = await http.post("/assistants", json={"graph_id": "no-such-graph"})
    assert response.status_code == 404
    assert "detail" in response.json()


async def test_create_assistant_without_graph_id_422(http: httpx.AsyncClient) -> None:
    response = await http.post("/assistants", json={"name": "x"})
    assert response.status_code == 422


async def test_get_assistant_by_id(sdk: LangGraphClient, created: list[dict[str, Any]]) -> None:
    got = await sdk.assistants.get(created[0]["assistant_id"])
    assert got["assistant_id"] == created[0]["assistant_id"]
    assert got["name"] == "n0"
    assert got["graph_id"] == "echo"


@pytest.mark.interop_extension
async def test_get_assistant_by_graph_name(http: httpx.AsyncClient) -> None:
    """The issue: `assistant_id` also accepts the graph name (the reference only does so for runs)."""
    response = await http.get("/assistants/echo")
    assert response.status_code == 200
    assert response.json()["graph_id"] == "echo"
    assert response.json()["metadata"]["created_by"] == "system"


async def test_get_unknown_assistant_404(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/assistants/{uuid.uuid4()}")
    assert response.status_code == 404
    assert "detail" in response.json()


async def test_patch_assistant_creates_a_new_version(
    sdk: LangGraphClient, created: list[dict[str, Any]]
) -> None:
    aid = created[0]["assistant_id"]
    updated = await sdk.assistants.update(aid, name="renamed", metadata={"extra": 1})
    assert updated["version"] == 2
    assert updated["name"] == "renamed"
    again = await sdk.assistants.update(aid, context={"y": 2})
    assert again["version"] == 3


async def test_patch_assistant_merges_metadata(
    sdk: LangGraphClient, created: list[dict[str, Any]], tag: str
) -> None:
    updated = await sdk.assistants.update(created[0]["assistant_id"], metadata={"extra": 1})
    assert updated["metadata"] == {"tag": tag, "i": 0, "extra": 1}


async def test_patch_unknown_assistant_404(http: httpx.AsyncClient) -> None:
    response = await http.patch(f"/assistants/{uuid.uuid4()}", json={"name": "z"})
    assert response.status_code == 404


async def test_versions_list_newest_first(
    sdk: LangGraphClient, created: list[dict[str, Any]]
) -> None:
    aid = created[0]["assistant_id"]
    await sdk.assistants.update(aid, name="v2")
    await sdk.assistants.update(aid, name="v3")
    versions = await sdk.assistants.get_versions(aid)
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert [v["name"] for v in versions] == ["v3", "v2", "n0"]
    assert all(v["assistant_id"] == aid for v in versions)


async def test_versions_of_unknown_assistant_404(http: httpx.AsyncClient) -> None:
    response = await http.post(f"/assistants/{uuid.uuid4()}/versions", json={})
    assert response.status_code == 404


async def test_set_latest_switches_the_current_version(
    sdk: LangGraphClient, created: list[dict[str, Any]]
) -> None:
    aid = created[0]["assistant_id"]
    await sdk.assistants.update(aid, name="v2")
    latest = await sdk.assistants.set_latest(aid, 1)
    assert latest["version"] == 1
    assert latest["name"] == "n0"
    assert (await sdk.assistants.get(aid))["version"] == 1


async def test_set_latest_unknown_version_404(
    http: httpx.AsyncClient, created: list[dict[str, Any]]
) -> None:
    aid = created[0]["assistant_id"]
    response = await http.post(f"/assistants/{aid}/latest", json={"version": 99})
    assert response.status_code == 404


async def test_search_filters_by_metadata(
    sdk: LangGraphClient, created: list[dict[str, Any]], tag: str
) -> None:
    found = await sdk.assistants.search(metadata={"tag": tag})
    assert {a["assistant_id"] for a in found} == {a["assistant_id"] for a in created}
    one = await sdk.assistants.search(metadata={"tag": tag, "i": 1})
    assert [a["name"] for a in one] == ["n1"]


async def test_search_filters_by_graph_id(
    sdk: LangGraphClient, created: list[dict[str, Any]], tag: str
) -> None:
    found = await sdk.assistants.search(metadata={"tag": tag}, graph_id="countdown")
    assert [a["name"] for a in found] == ["n2"]


async def test_search_sorts_and_paginates(
    sdk: LangGraphClient, created: list[dict[str, Any]], tag: str
) -> None:
    page1 = await sdk.assistants.search(
        metadata={"tag": tag}, sort_by="name", sort_order="asc", limit=2, offset=0
    )
    page2 = await sdk.assistants.search(
        metadata={"tag": tag}, sort_by="name", sort_order="asc", limit=2, offset=2
    )
    assert [a["name"] for a in page1] == ["n0", "n1"]
    assert [a["name"] for a in page2] == ["n2"]
    desc = await sdk.assistants.search(metadata={"tag": tag}, sort_by="name", sort_order="desc")
    assert [a["name"] for a in desc] == ["n2", "n1", "n0"]


async def test_search_reports_pagination_total_header(
    http: httpx.AsyncClient, created: list[dict[str, Any]], tag: str
) -> None:
    response = await http.post("/assistants/search", json={"metadata": {"tag": tag}, "limit": 2})
    assert response.status_code == 200
    assert response.headers["x-pagination-total"] == "3"
    assert response.headers["x-pagination-next"] == "2"


async def test_search_select_returns_only_selected_fields(
    sdk: LangGraphClient, created: list[dict[str, Any]], tag: str
) -> None:
    found = await sdk.assistants.search(metadata={"tag": tag}, select=["assistant_id", "name"])
    assert len(found) == 3
    assert all(set(a) == {"assistant_id", "name"} for a in found)


async def test_search_invalid_sort_by_422(http: httpx.AsyncClient) -> None:
    response = await http.post("/assistants/search", json={"sort_by": "bogus"})
    assert response.status_code == 422


async def test_search_limit_below_1_is_422(http: httpx.AsyncClient) -> None:
    response = await http.post("/assistants/search", json={"limit": 0})
    assert response.status_code == 422


async def test_count_matches_search(
    sdk: LangGraphClient, created: list[dict[str, Any]], tag: str
) -> None:
    assert await sdk.assistants.count(metadata={"tag": tag}) == 3
    assert await sdk.assistants.count(metadata={"tag": tag}, graph_id="echo") == 2


async def test_graph_lists_nodes_and_edges(sdk: LangGraphClient) -> None:
    graph = await sdk.assistants.get_graph("echo")
    node_ids = {n["id"] for n in graph["nodes"]}
    assert {"__start__", "respond", "__end__"} <= node_ids
    edges = {(e["source"], e["target"]) for e in graph["edges"]}
    assert ("__start__", "respond") in edges
    assert ("respond", "__end__") in edges


async def test_graph_accepts_xray(http: httpx.AsyncClient, created: list[dict[str, Any]]) -> None:
    aid = created[0]["assistant_id"]
    for value in ("true", "1"):
        response = await http.get(f"/assistants/{aid}/graph", params={"xray": value})
        assert response.status_code == 200
        assert "respond" in {n["id"] for n in response.json()["nodes"]}


async def test_schemas_describe_input_and_state(
    sdk: LangGraphClient, created: list[dict[str, Any]]
) -> None:
    schemas = await sdk.assistants.get_schemas(created[2]["assistant_id"])  # countdown
    assert schemas["graph_id"] == "countdown"
    assert {"input_schema", "output_schema", "state_schema", "config_schema"} <= set(schemas)
    assert {"n", "delay"} <= set(schemas["input_schema"]["properties"])
    assert "messages" in schemas["state_schema"]["properties"]


async def test_subgraphs_of_a_flat_graph_are_empty(
    sdk: LangGraphClient, created: list[dict[str, Any]]
) -> None:
    assert await sdk.assistants.get_subgraphs(created[0]["assistant_id"]) == {}
    assert await sdk.assistants.get_subgraphs(created[0]["assistant_id"], recurse=True) == {}


@pytest.mark.parametrize("route", ["graph", "schemas", "subgraphs"])
async def test_graph_info_of_unknown_assistant_404(http: httpx.AsyncClient, route: str) -> None:
    response = await http.get(f"/assistants/{uuid.uuid4()}/{route}")
    assert response.status_code == 404


async def test_delete_assistant_then_get_404(http: httpx.AsyncClient) -> None:
    created = await http.post("/assistants", json={"graph_id": "echo"})
    aid = created.json()["assistant_id"]
    deleted = await http.delete(f"/assistants/{aid}")
    assert deleted.status_code == 204
    assert (await http.get(f"/assistants/{aid}")).status_code == 404


async def test_delete_unknown_assistant_404(http: httpx.AsyncClient) -> None:
    response = await http.delete(f"/assistants/{uuid.uuid4()}")
    assert response.status_code == 404


async def test_run_with_created_assistant_uses_its_graph(
    sdk: LangGraphClient, created: list[dict[str, Any]]
) -> None:
    values = await sdk.runs.wait(
        None, created[0]["assistant_id"], input={"messages": [{"role": "user", "content": "hi"}]}
    )
    assert isinstance(values, dict)
    assert values["messages"][-1]["content"] == "hi"
