"""Workloads of interop's A2A front door on the `echo` agent (JSON-RPC, protocol 0.3 and 1.0).

Each `check_*` sends one request first and fails loudly (WorkloadError) when the answer is not
a completed task echoing the text, so that a broken server is never measured answering errors.
"""

from __future__ import annotations

import json
from typing import Any

from harness.http1 import Connection, Origin, Request
from harness.sse import SseEvent
from langgraph_rest import USER_TEXT, WorkloadError

PATH = "/a2a/echo"
CARD_PATH = "/.well-known/agent-card.json"


def _rpc(method: str, params: dict[str, Any], version: str) -> Request:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    return Request("POST", PATH, body, {"Content-Type": "application/json", "A2A-Version": version})


def send_v03() -> Request:
    """message/send (0.3): a new task on a new context, answered when it completes."""
    message = {
        "kind": "message",
        "role": "user",
        "messageId": "bench",
        "parts": [{"kind": "text", "text": USER_TEXT}],
    }
    return _rpc("message/send", {"message": message}, "0.3")


def send_v1() -> Request:
    """SendMessage (1.0)."""
    message = {"role": "ROLE_USER", "messageId": "bench", "parts": [{"text": USER_TEXT}]}
    return _rpc("SendMessage", {"message": message}, "1.0")


def stream_v03() -> Request:
    """message/stream (0.3)."""
    message = {
        "kind": "message",
        "role": "user",
        "messageId": "bench",
        "parts": [{"kind": "text", "text": USER_TEXT}],
    }
    return _rpc("message/stream", {"message": message}, "0.3")


def card() -> Request:
    return Request("GET", CARD_PATH)


def is_final_event(event: SseEvent) -> bool:
    """The last record of a 0.3 stream: a status update with `final: true`."""
    try:
        result = json.loads(event.data)["result"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(result.get("kind") == "status-update" and result.get("final"))


def check_send(base_url: str, request: Request, timeout: float = 30.0) -> None:
    with Connection(Origin.parse(base_url), timeout) as conn:
        status, body = conn.fetch(request)
    if status != 200:
        raise WorkloadError(f"{request.path} answered {status}: {body[:200]!r}")
    result = json.loads(body).get("result") or {}
    task = result.get("task", result)
    state = (task.get("status") or {}).get("state")
    texts = [p.get("text") for a in task.get("artifacts", []) for p in a.get("parts", [])]
    if state not in ("completed", "TASK_STATE_COMPLETED") or texts != [USER_TEXT]:
        raise WorkloadError(f"not a completed echo of {USER_TEXT!r}: {body[:300]!r}")


def check_card(base_url: str, timeout: float = 10.0) -> None:
    with Connection(Origin.parse(base_url), timeout) as conn:
        status, body = conn.fetch(card())
    if status != 200 or "supportedInterfaces" not in json.loads(body):
        raise WorkloadError(f"GET {CARD_PATH} answered {status}: {body[:200]!r}")
