"""A raw A2A JSON-RPC client for wire-level checks, and the version-specific spellings."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from typing import Any

import httpx

TIMEOUT = 30.0
_ids = itertools.count(1)

METHODS = {
    "1.0": {
        "send": "SendMessage",
        "stream": "SendStreamingMessage",
        "get": "GetTask",
        "list": "ListTasks",
        "cancel": "CancelTask",
        "subscribe": "SubscribeToTask",
        "push_set": "CreateTaskPushNotificationConfig",
        "push_get": "GetTaskPushNotificationConfig",
        "push_list": "ListTaskPushNotificationConfigs",
        "push_delete": "DeleteTaskPushNotificationConfig",
        "card": "GetExtendedAgentCard",
    },
    "0.3": {
        "send": "message/send",
        "stream": "message/stream",
        "get": "tasks/get",
        "cancel": "tasks/cancel",
        "subscribe": "tasks/resubscribe",
        "push_set": "tasks/pushNotificationConfig/set",
        "push_get": "tasks/pushNotificationConfig/get",
        "push_list": "tasks/pushNotificationConfig/list",
        "push_delete": "tasks/pushNotificationConfig/delete",
        "card": "agent/getAuthenticatedExtendedCard",
    },
}
STATES = {
    "1.0": {
        "completed": "TASK_STATE_COMPLETED",
        "working": "TASK_STATE_WORKING",
        "submitted": "TASK_STATE_SUBMITTED",
        "input-required": "TASK_STATE_INPUT_REQUIRED",
        "canceled": "TASK_STATE_CANCELED",
        "failed": "TASK_STATE_FAILED",
        "rejected": "TASK_STATE_REJECTED",
    },
    "0.3": {
        s: s
        for s in (
            "completed",
            "working",
            "submitted",
            "input-required",
            "canceled",
            "failed",
            "rejected",
        )
    },
}


class A2A:
    def __init__(self, http: httpx.AsyncClient, version: str, agent: str) -> None:
        self.http = http
        self.version = version
        self.path = f"/a2a/{agent}"

    def agent(self, name: str) -> A2A:
        return A2A(self.http, self.version, name)

    def headers(self) -> dict[str, str]:
        return {"A2A-Version": self.version, "Content-Type": "application/json"}

    def state(self, name: str) -> str:
        return STATES[self.version][name]

    def message(
        self,
        text: str | None = None,
        *,
        data: Any = None,
        message_id: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        if self.version == "1.0":
            if text is not None:
                parts.append({"text": text})
            if data is not None:
                parts.append({"data": data})
            role = "ROLE_USER"
        else:
            if text is not None:
                parts.append({"kind": "text", "text": text})
            if data is not None:
                parts.append({"kind": "data", "data": data})
            role = "user"
        body = {"role": role, "parts": parts, "messageId": message_id or str(uuid.uuid4())}
        if self.version == "0.3":
            body["kind"] = "message"
        return {**body, **fields}

    async def raw(self, payload: Any) -> httpx.Response:
        return await self.http.post(self.path, json=payload, headers=self.headers())

    async def call(self, op: str, params: Any) -> dict[str, Any]:
        """The JSON-RPC response object of `op` (result or error)."""
        request_id = next(_ids)
        response = await self.raw(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": METHODS[self.version][op],
                "params": params,
            }
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["jsonrpc"] == "2.0" and body["id"] == request_id, body
        return dict(body)

    async def result(self, op: str, params: Any) -> Any:
        body = await self.call(op, params)
        assert "result" in body, body
        return body["result"]

    async def error_code(self, op: str, params: Any) -> int:
        body = await self.call(op, params)
        assert "error" in body, body
        return int(body["error"]["code"])

    def task_of(self, result: Any) -> dict[str, Any]:
        """The task of a send result (1.0 wraps it in `task`)."""
        if self.version == "1.0":
            assert "task" in result, result
            return dict(result["task"])
        assert result.get("kind") == "task", result
        return dict(result)

    async def send(self, message: dict[str, Any], **configuration: Any) -> dict[str, Any]:
        params: dict[str, Any] = {"message": message}
        if configuration:
            params["configuration"] = configuration
        return self.task_of(await self.result("send", params))

    async def stream(self, op: str, params: Any) -> list[dict[str, Any]]:
        """The JSON-RPC objects of a whole SSE stream."""
        payload = {
            "jsonrpc": "2.0",
            "id": next(_ids),
            "method": METHODS[self.version][op],
            "params": params,
        }
        events: list[dict[str, Any]] = []
        async with (
            asyncio.timeout(TIMEOUT),
            self.http.stream("POST", self.path, json=payload, headers=self.headers()) as response,
        ):
            assert response.status_code == 200
            if "text/event-stream" not in response.headers.get("content-type", ""):
                await response.aread()
                return [response.json()]
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    events.append(json.loads(line[5:].strip()))
        return events

    def event_kind(self, result: dict[str, Any]) -> str:
        if self.version == "1.0":
            (kind,) = result.keys()
            return {
                "task": "task",
                "message": "message",
                "statusUpdate": "status",
                "artifactUpdate": "artifact",
            }[kind]
        return {
            "task": "task",
            "message": "message",
            "status-update": "status",
            "artifact-update": "artifact",
        }[result["kind"]]

    def event_body(self, result: dict[str, Any]) -> dict[str, Any]:
        return dict(next(iter(result.values()))) if self.version == "1.0" else result


def text_of(parts: list[dict[str, Any]]) -> str:
    return "".join(p.get("text", "") for p in parts)
