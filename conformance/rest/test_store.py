"""The store: put/get/delete items, search by namespace prefix and filter with paging, list
namespaces by prefix/suffix/depth, and 422 for malformed namespaces and bodies."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient


@pytest.fixture
def root() -> str:
    """A namespace root unique to one test."""
    return f"conf{uuid.uuid4().hex}"


async def test_put_get_delete(sdk: LangGraphClient, http: httpx.AsyncClient, root: str) -> None:
    await sdk.store.put_item([root, "a"], "k1", {"n": 1, "tags": ["x"]})
    item = await sdk.store.get_item([root, "a"], "k1")
    assert item["namespace"] == [root, "a"]
    assert item["key"] == "k1"
    assert item["value"] == {"n": 1, "tags": ["x"]}
    assert item["created_at"] and item["updated_at"]
    await sdk.store.put_item([root, "a"], "k1", {"n": 2})  # a put replaces the value
    again = await sdk.store.get_item([root, "a"], "k1")
    assert again["value"] == {"n": 2}
    response = await http.request(
        "DELETE", "/store/items", json={"namespace": [root, "a"], "key": "k1"}
    )
    assert response.status_code == 204
    missing = await http.get("/store/items", params={"namespace": f"{root}.a", "key": "k1"})
    assert missing.status_code == 200
    assert missing.json() is None


@pytest.mark.interop_extension  # the reference's in-memory store stamps a new creation time
async def test_a_put_keeps_the_items_creation_time(sdk: LangGraphClient, root: str) -> None:
    # As LangGraph's SQLite and Postgres stores do (an upsert updates `updated_at` only).
    await sdk.store.put_item([root, "a"], "k1", {"n": 1})
    item = await sdk.store.get_item([root, "a"], "k1")
    await sdk.store.put_item([root, "a"], "k1", {"n": 2})
    again = await sdk.store.get_item([root, "a"], "k1")
    assert again["created_at"] == item["created_at"]
    assert again["updated_at"] >= item["updated_at"]


async def test_put_answers_204(http: httpx.AsyncClient, root: str) -> None:
    response = await http.put(
        "/store/items", json={"namespace": [root], "key": "k", "value": {"v": 1}}
    )
    assert response.status_code == 204


async def test_search_by_prefix_filter_and_page(sdk: LangGraphClient, root: str) -> None:
    for i in range(5):
        await sdk.store.put_item([root, "docs", f"u{i % 2}"], f"k{i}", {"i": i, "odd": i % 2})
    await sdk.store.put_item([f"{root}x"], "other", {"i": 99})  # not under the prefix
    found = await sdk.store.search_items([root], limit=10)
    assert sorted(item["key"] for item in found["items"]) == [f"k{i}" for i in range(5)]
    odd = await sdk.store.search_items([root, "docs"], filter={"odd": 1}, limit=10)
    assert sorted(item["key"] for item in odd["items"]) == ["k1", "k3"]
    first = await sdk.store.search_items([root], limit=2, offset=0)
    rest = await sdk.store.search_items([root], limit=10, offset=2)
    assert len(first["items"]) == 2 and len(rest["items"]) == 3
    keys = {i["key"] for i in first["items"]} | {i["key"] for i in rest["items"]}
    assert len(keys) == 5


async def test_list_namespaces(sdk: LangGraphClient, root: str) -> None:
    await sdk.store.put_item([root, "a", "x"], "k", {})
    await sdk.store.put_item([root, "b"], "k", {})
    await sdk.store.put_item([root, "c", "x"], "k", {})

    # The reference answers {"namespaces": [...]} (its document says a bare array).
    async def listed(**kwargs: Any) -> list[list[str]]:
        answer: Any = await sdk.store.list_namespaces(prefix=[root], **kwargs)
        return sorted(answer["namespaces"])

    assert await listed() == [[root, "a", "x"], [root, "b"], [root, "c", "x"]]
    assert await listed(max_depth=2) == [[root, "a"], [root, "b"], [root, "c"]]
    assert await listed(suffix=["x"]) == [[root, "a", "x"], [root, "c", "x"]]
    assert len(await listed(limit=1, offset=1)) == 1


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/store/items", {"namespace": ["a.b"], "key": "k", "value": {}}),
        pytest.param(  # the reference: 400 "Namespace cannot be empty."
            "PUT",
            "/store/items",
            {"namespace": [], "key": "k", "value": {}},
            marks=pytest.mark.interop_extension,
        ),
        ("PUT", "/store/items", {"namespace": ["a"], "key": "k"}),
        ("PUT", "/store/items", {"namespace": ["a"], "key": "k", "value": "text"}),
        ("PUT", "/store/items", {"namespace": "a", "key": "k", "value": {}}),
        ("DELETE", "/store/items", {"namespace": ["a"]}),
        ("POST", "/store/items/search", {"namespace_prefix": "a"}),
        ("POST", "/store/items/search", {"limit": "ten"}),
        ("POST", "/store/namespaces", {"prefix": "a"}),
    ],
)
async def test_malformed_requests_are_422(
    http: httpx.AsyncClient, method: str, path: str, body: dict[str, Any]
) -> None:
    response = await http.request(method, path, json=body)
    assert response.status_code == 422, response.text


@pytest.mark.interop_extension  # the reference answers 400 (422 here, as for every bad input)
async def test_get_without_key_is_422(http: httpx.AsyncClient) -> None:
    response = await http.get("/store/items", params={"namespace": "a"})
    assert response.status_code == 422
