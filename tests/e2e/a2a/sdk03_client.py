"""The a2a-sdk 0.3.x client with its defaults, run in its own environment (the project's dev
group has a2a-sdk 1.x): `python sdk03_client.py BASE_URL` prints one JSON object of what it
saw. The card is found the way the SDK finds it (A2ACardResolver on the agent URL, its default
`/.well-known/agent-card.json`, no version header); the client is ClientFactory's default."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from typing import Any

import httpx
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.types import (
    DataPart,
    Message,
    Part,
    Role,
    Task,
    TaskIdParams,
    TaskQueryParams,
    TaskStatusUpdateEvent,
    TextPart,
)


def message(part: TextPart | DataPart, **fields: Any) -> Message:
    return Message(message_id=str(uuid.uuid4()), role=Role.user, parts=[Part(root=part)], **fields)


async def final_task(client: Any, request: Message) -> Task:
    found: Task | None = None
    async for event in client.send_message(request):
        assert isinstance(event, tuple), event
        found = event[0]
    assert found is not None
    return found


async def main(base_url: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=30) as http:
        card = await A2ACardResolver(http, f"{base_url}/a2a/echo").get_agent_card()
        seen["card"] = {"url": card.url, "transport": card.preferred_transport}
        client = ClientFactory(ClientConfig(httpx_client=http, streaming=False)).create(card)
        task = await final_task(client, message(TextPart(text="hello from 0.3")))
        seen["send"] = {
            "state": task.status.state.value,
            "text": "".join(
                p.root.text for a in task.artifacts or [] for p in a.parts if p.root.kind == "text"
            ),
        }
        fetched = await client.get_task(TaskQueryParams(id=task.id))
        seen["get"] = fetched.status.state.value
        context = f"my-context-{uuid.uuid4().hex[:8]}"
        in_context = await final_task(client, message(TextPart(text="ctx"), context_id=context))
        seen["context"] = {"sent": context, "echoed": in_context.context_id}

        countdown_card = await A2ACardResolver(http, f"{base_url}/a2a/countdown").get_agent_card()
        streaming = ClientFactory(ClientConfig(httpx_client=http, streaming=True)).create(
            countdown_card
        )
        progress: list[Any] = []
        final = None
        request = message(DataPart(data={"n": 2, "delay": 0.3}))
        async for event in streaming.send_message(request):
            assert isinstance(event, tuple), event
            update = event[1]
            if isinstance(update, TaskStatusUpdateEvent):
                final = update.status.state.value
                if update.status.message is not None:
                    progress.extend(
                        p.root.data for p in update.status.message.parts if p.root.kind == "data"
                    )
        seen["stream"] = {"progress": progress, "final": final}

        polling = ClientFactory(ClientConfig(httpx_client=http, streaming=False, polling=True))
        long = await final_task(
            polling.create(countdown_card), message(DataPart(data={"n": 400, "delay": 0.05}))
        )
        canceled = await polling.create(countdown_card).cancel_task(TaskIdParams(id=long.id))
        seen["cancel"] = canceled.status.state.value
    return seen


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1]))))
