"""Thread state: current state, state at a checkpoint, update_state, history (GET and POST)."""

from __future__ import annotations

import itertools
import uuid

import httpx
import pytest
from langgraph_sdk.client import LangGraphClient

from .agents import user

STATE_KEYS = {
    "values",
    "next",
    "tasks",
    "metadata",
    "created_at",
    "checkpoint",
    "parent_checkpoint",
    "interrupts",
}


@pytest.fixture
async def ran(sdk: LangGraphClient, thread_id: str) -> str:
    """A thread after one echo run ("one")."""
    await sdk.runs.wait(thread_id, "echo", input=user("one"))
    return thread_id


async def test_state_of_a_new_thread_is_empty(sdk: LangGraphClient, thread_id: str) -> None:
    state = await sdk.threads.get_state(thread_id)
    assert not state["values"]
    assert state["next"] == []
    assert state["tasks"] == []


async def test_state_after_a_run_has_values_and_checkpoint(sdk: LangGraphClient, ran: str) -> None:
    state = await sdk.threads.get_state(ran)
    assert set(state) >= STATE_KEYS
    assert [m["content"] for m in state["values"]["messages"]] == ["one", "one"]
    assert [m["type"] for m in state["values"]["messages"]] == ["human", "ai"]
    assert state["next"] == []
    assert state["checkpoint"]["thread_id"] == ran
    assert state["checkpoint"]["checkpoint_id"]
    assert state["metadata"]["step"] >= 1


async def test_state_of_unknown_thread_404(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/threads/{uuid.uuid4()}/state")
    assert response.status_code == 404


async def test_get_state_at_a_checkpoint(sdk: LangGraphClient, ran: str) -> None:
    current = await sdk.threads.get_state(ran)
    parent_id = current["parent_checkpoint"]["checkpoint_id"]
    earlier = await sdk.threads.get_state(ran, checkpoint_id=parent_id)
    assert earlier["checkpoint"]["checkpoint_id"] == parent_id
    assert earlier["next"] == ["respond"]
    assert [m["content"] for m in earlier["values"]["messages"]] == ["one"]


async def test_post_state_checkpoint_returns_that_state(
    http: httpx.AsyncClient, sdk: LangGraphClient, ran: str
) -> None:
    current = await sdk.threads.get_state(ran)
    parent = current["parent_checkpoint"]
    response = await http.post(
        f"/threads/{ran}/state/checkpoint",
        json={"checkpoint": {"checkpoint_id": parent["checkpoint_id"]}},
    )
    assert response.status_code == 200
    assert response.json()["checkpoint"]["checkpoint_id"] == parent["checkpoint_id"]
    assert response.json()["next"] == ["respond"]


async def test_update_state_returns_the_new_checkpoint(sdk: LangGraphClient, ran: str) -> None:
    before = await sdk.threads.get_state(ran)
    result = await sdk.threads.update_state(ran, user("added"), as_node="respond")
    new_id = result["checkpoint"]["checkpoint_id"]
    assert new_id and new_id != before["checkpoint"]["checkpoint_id"]
    after = await sdk.threads.get_state(ran)
    assert after["checkpoint"]["checkpoint_id"] == new_id
    assert [m["content"] for m in after["values"]["messages"]] == ["one", "one", "added"]
    assert after["next"] == []


async def test_update_state_as_start_schedules_the_first_node(
    sdk: LangGraphClient, ran: str
) -> None:
    await sdk.threads.update_state(ran, user("again"), as_node="__start__")
    state = await sdk.threads.get_state(ran)
    assert state["next"] == ["respond"]


async def test_update_state_is_recorded_in_history_as_update(
    sdk: LangGraphClient, ran: str
) -> None:
    await sdk.threads.update_state(ran, user("added"), as_node="respond")
    history = await sdk.threads.get_history(ran, limit=1)
    assert history[0]["metadata"]["source"] == "update"


async def test_update_state_unknown_node_is_client_error(http: httpx.AsyncClient, ran: str) -> None:
    response = await http.post(
        f"/threads/{ran}/state", json={"values": user("x"), "as_node": "no-such-node"}
    )
    assert response.status_code in (400, 404, 422)
    assert "detail" in response.json()


async def test_update_state_unknown_thread_404(http: httpx.AsyncClient) -> None:
    response = await http.post(f"/threads/{uuid.uuid4()}/state", json={"values": user("x")})
    assert response.status_code == 404


async def test_history_entries_have_the_documented_shape(sdk: LangGraphClient, ran: str) -> None:
    history = await sdk.threads.get_history(ran, limit=10)
    assert history
    for entry in history:
        assert set(entry) >= STATE_KEYS
        assert {"source", "step"} <= set(entry["metadata"])
        assert {"thread_id", "checkpoint_ns", "checkpoint_id"} <= set(entry["checkpoint"])


async def test_history_is_newest_first_down_to_the_input(sdk: LangGraphClient, ran: str) -> None:
    history = await sdk.threads.get_history(ran, limit=10)
    steps = [h["metadata"]["step"] for h in history]
    assert steps == sorted(steps, reverse=True)
    assert history[-1]["metadata"]["source"] == "input"
    assert history[-1]["next"] == ["__start__"]
    assert history[0]["next"] == []
    for newer, older in itertools.pairwise(history):
        assert newer["parent_checkpoint"]["checkpoint_id"] == older["checkpoint"]["checkpoint_id"]


async def test_history_get_honours_limit(http: httpx.AsyncClient, ran: str) -> None:
    response = await http.get(f"/threads/{ran}/history", params={"limit": 2})
    assert response.status_code == 200
    assert len(response.json()) == 2


async def test_history_post_honours_limit(http: httpx.AsyncClient, ran: str) -> None:
    response = await http.post(f"/threads/{ran}/history", json={"limit": 2})
    assert response.status_code == 200
    assert len(response.json()) == 2


async def test_history_post_before_returns_older_checkpoints(
    http: httpx.AsyncClient, sdk: LangGraphClient, ran: str
) -> None:
    full = await sdk.threads.get_history(ran, limit=10)
    newest_id = full[0]["checkpoint"]["checkpoint_id"]
    response = await http.post(
        f"/threads/{ran}/history",
        json={"limit": 10, "before": {"configurable": {"checkpoint_id": newest_id}}},
    )
    assert response.status_code == 200
    assert [h["checkpoint"]["checkpoint_id"] for h in response.json()] == [
        h["checkpoint"]["checkpoint_id"] for h in full[1:]
    ]


async def test_history_before_given_a_checkpoint_object_is_not_a_server_error(
    http: httpx.AsyncClient, sdk: LangGraphClient, ran: str
) -> None:
    """The SDK types `before` as a Checkpoint ({thread_id, checkpoint_ns, checkpoint_id})."""
    full = await sdk.threads.get_history(ran, limit=10)
    response = await http.post(
        f"/threads/{ran}/history", json={"limit": 10, "before": full[0]["checkpoint"]}
    )
    assert response.status_code < 500, response.text[:200]
    if response.status_code == 200:
        assert len(response.json()) == len(full) - 1


async def test_history_post_filters_by_metadata(sdk: LangGraphClient, ran: str) -> None:
    inputs = await sdk.threads.get_history(ran, limit=10, metadata={"source": "input"})
    assert len(inputs) == 1
    assert inputs[0]["metadata"]["source"] == "input"


async def test_history_of_unknown_thread_404(http: httpx.AsyncClient) -> None:
    response = await http.get(f"/threads/{uuid.uuid4()}/history")
    assert response.status_code == 404
    response = await http.post(f"/threads/{uuid.uuid4()}/history", json={})
    assert response.status_code == 404


async def test_state_shows_pending_interrupt(sdk: LangGraphClient, thread_id: str) -> None:
    await sdk.runs.wait(thread_id, "approval", input=user("buy"))
    state = await sdk.threads.get_state(thread_id)
    assert state["next"] == ["ask"]
    (task,) = state["tasks"]
    assert task["name"] == "ask"
    assert [i["value"]["question"] for i in task["interrupts"]] == ["Approve this request? buy"]
    assert [i["value"]["question"] for i in state["interrupts"]] == ["Approve this request? buy"]
