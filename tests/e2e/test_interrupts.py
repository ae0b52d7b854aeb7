"""interrupt() and resume with `command.resume` (approval); Command `update` and `goto`;
interrupt_before/after."""

from __future__ import annotations

import asyncio
from typing import Any

from langgraph_sdk.client import LangGraphClient

from .support import APPROVAL, ECHO, TIMEOUT, message_texts, new_thread, user_message


async def interrupted_thread(client: LangGraphClient, request: str = "buy") -> str:
    thread_id = await new_thread(client)
    result = await client.runs.wait(thread_id, APPROVAL, input=user_message(request))
    assert isinstance(result, dict)
    (interrupt,) = result["__interrupt__"]
    assert interrupt["value"]["question"] == f"Approve this request? {request}"
    assert interrupt["id"]
    return thread_id


async def test_interrupt_leaves_the_thread_interrupted(client: LangGraphClient) -> None:
    thread_id = await interrupted_thread(client)
    (run,) = await client.runs.list(thread_id)
    assert run["status"] == "success"  # an interrupt is not a failure

    thread = await client.threads.get(thread_id)
    assert thread["status"] == "interrupted"
    assert len(thread["interrupts"]) == 1
    ((task_id, items),) = thread["interrupts"].items()
    assert task_id
    (item,) = items
    assert item["value"]["question"] == "Approve this request? buy"
    assert item["id"]

    state = await client.threads.get_state(thread_id)
    assert state["next"] == ["ask"]
    (task,) = state["tasks"]
    assert task["name"] == "ask"
    assert task["id"] == task_id
    assert [i["value"]["question"] for i in task["interrupts"]] == ["Approve this request? buy"]
    assert [i["id"] for i in state["interrupts"]] == [item["id"]]


async def test_resume_with_a_value(client: LangGraphClient) -> None:
    thread_id = await interrupted_thread(client)
    result = await client.runs.wait(thread_id, APPROVAL, command={"resume": {"approved": True}})
    assert message_texts(result)[-1] == ("ai", "Approved.")
    assert "__interrupt__" not in result
    thread = await client.threads.get(thread_id)
    assert thread["status"] == "idle"
    assert thread["interrupts"] == {}
    state = await client.threads.get_state(thread_id)
    assert state["next"] == []
    assert state["interrupts"] == []


async def test_resume_with_a_string_through_a_stream(client: LangGraphClient) -> None:
    thread_id = await interrupted_thread(client, "deploy")
    parts: list[tuple[str, Any]] = []
    async with asyncio.timeout(TIMEOUT):
        async for part in client.runs.stream(
            thread_id, APPROVAL, command={"resume": "not today"}, stream_mode="updates"
        ):
            parts.append((part.event, part.data))
    updates = [d for e, d in parts if e == "updates"]
    assert updates[-1]["ask"]["messages"][0]["content"] == "Answer received: not today"
    assert (await client.threads.get(thread_id))["status"] == "idle"


async def test_reject_decision(client: LangGraphClient) -> None:
    thread_id = await interrupted_thread(client)
    result = await client.runs.wait(thread_id, APPROVAL, command={"resume": {"approved": False}})
    assert message_texts(result)[-1] == ("ai", "Rejected.")


async def test_interrupt_in_a_stream(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    parts: list[tuple[str, Any]] = []
    async with asyncio.timeout(TIMEOUT):
        async for part in client.runs.stream(
            thread_id, APPROVAL, input=user_message("ship"), stream_mode=["values", "updates"]
        ):
            parts.append((part.event, part.data))
    names = [e for e, _ in parts]
    assert "error" not in names
    updates = [d for e, d in parts if e == "updates"]
    assert any("__interrupt__" in u for u in updates)
    interrupt = next(u["__interrupt__"] for u in updates if "__interrupt__" in u)
    assert interrupt[0]["value"]["question"] == "Approve this request? ship"
    thread = await client.threads.get(thread_id)
    assert thread["status"] == "interrupted"


async def test_resume_on_a_thread_that_is_not_interrupted(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    await client.runs.wait(thread_id, ECHO, input=user_message("plain"))
    before = message_texts((await client.threads.get_state(thread_id))["values"])
    await client.runs.wait(thread_id, ECHO, command={"resume": "ignored"})
    (latest, _) = await client.runs.list(thread_id)
    assert latest["status"] == "success"  # the reference ignores the stray resume
    assert (await client.threads.get(thread_id))["status"] == "idle"
    assert message_texts((await client.threads.get_state(thread_id))["values"]) == before


async def test_command_update_and_goto(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    result = await client.runs.wait(
        thread_id,
        ECHO,
        command={"update": user_message("from update"), "goto": "respond"},
    )
    texts = message_texts(result)
    assert texts[-1] == ("ai", "from update")
    assert ("human", "from update") in texts


async def test_command_update_only(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    await client.runs.wait(thread_id, ECHO, input=user_message("first"))
    await client.runs.wait(thread_id, ECHO, command={"update": user_message("noted")})
    state = await client.threads.get_state(thread_id)
    assert ("human", "noted") in message_texts(state["values"])


async def test_interrupt_before_a_node(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    await client.runs.wait(
        thread_id, ECHO, input=user_message("paused"), interrupt_before=["respond"]
    )
    state = await client.threads.get_state(thread_id)
    assert state["next"] == ["respond"]
    assert message_texts(state["values"]) == [("human", "paused")]
    assert (await client.threads.get(thread_id))["status"] == "interrupted"
    # Continue with no input.
    result = await client.runs.wait(thread_id, ECHO, input=None)
    assert message_texts(result) == [("human", "paused"), ("ai", "paused")]
    assert (await client.threads.get(thread_id))["status"] == "idle"


async def test_interrupt_after_a_node(client: LangGraphClient) -> None:
    thread_id = await new_thread(client)
    result = await client.runs.wait(
        thread_id, ECHO, input=user_message("after"), interrupt_after=["respond"]
    )
    assert message_texts(result)[-1] == ("ai", "after")
    state = await client.threads.get_state(thread_id)
    assert message_texts(state["values"]) == [("human", "after"), ("ai", "after")]
