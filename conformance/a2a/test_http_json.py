"""The HTTP+JSON binding of A2A 1.0 (spec 11) under `/a2a/{agent}`: resource paths, methods,
query parameters, SSE, and errors as `google.rpc.Status` with the spec's HTTP status (5.4)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest

from .rpc import TIMEOUT, text_of

HEADERS = {"A2A-Version": "1.0", "Content-Type": "application/a2a+json"}
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"


def message(text: str | None = None, *, data: Any = None, **fields: Any) -> dict[str, Any]:
    parts = [{"text": text}] if text is not None else [{"data": data}]
    return {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": parts, **fields}


def reason(response: httpx.Response) -> str:
    """The A2A error reason of an error response (asserting its google.rpc.Status shape)."""
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == response.status_code
    assert isinstance(error["status"], str) and isinstance(error["message"], str)
    (info,) = [d for d in error["details"] if d["@type"] == ERROR_INFO]
    assert info["domain"] == "a2a-protocol.org"
    return str(info["reason"])


async def sse(http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> list[Any]:
    """The `data` objects of a whole SSE answer (error frames as `("error", body)`)."""
    events: list[Any] = []
    async with (
        asyncio.timeout(TIMEOUT),
        http.stream(method, path, headers=HEADERS, **kwargs) as response,
    ):
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        name = "message"
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                body = json.loads(line[5:].strip())
                events.append(("error", body) if name == "error" else body)
            elif not line:
                name = "message"
    return events


async def send(http: httpx.AsyncClient, agent: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await http.post(f"/a2a/{agent}/message:send", json=body, headers=HEADERS)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return dict(response.json())


async def start_countdown(http: httpx.AsyncClient, n: int, delay: float) -> dict[str, Any]:
    """A `countdown` task, answered as soon as it is created (returnImmediately)."""
    body = {
        "message": message(data={"n": n, "delay": delay}),
        "configuration": {"returnImmediately": True},
    }
    return dict((await send(http, "countdown", body))["task"])


async def test_send_get_and_list(http: httpx.AsyncClient) -> None:
    first = (await send(http, "echo", {"message": message("hello rest")}))["task"]
    assert first["status"]["state"] == "TASK_STATE_COMPLETED"
    assert text_of(first["artifacts"][0]["parts"]) == "hello rest"
    context = first["contextId"]
    second = (await send(http, "echo", {"message": message("again", contextId=context)}))["task"]
    got = await http.get(f"/a2a/echo/tasks/{first['id']}", params={"historyLength": "1"})
    assert got.status_code == 200
    assert got.json()["id"] == first["id"] and len(got.json()["history"]) == 1
    listed = (await http.get("/a2a/echo/tasks", params={"contextId": context})).json()
    assert [t["id"] for t in listed["tasks"]] == [second["id"], first["id"]]
    page = (
        await http.get(
            "/a2a/echo/tasks",
            params={"contextId": context, "pageSize": "1", "includeArtifacts": "true"},
        )
    ).json()
    assert [t["id"] for t in page["tasks"]] == [second["id"]] and page["nextPageToken"]
    assert page["tasks"][0]["artifacts"]
    for no_filter in ("UNRECOGNIZED", "TASK_STATE_UNSPECIFIED"):
        unfiltered = await http.get(
            "/a2a/echo/tasks", params={"contextId": context, "status": no_filter}
        )
        assert len(unfiltered.json()["tasks"]) == 2
    working = await http.get(
        "/a2a/echo/tasks", params={"contextId": context, "status": "TASK_STATE_WORKING"}
    )
    assert working.json()["tasks"] == []


async def test_stream_and_subscribe(http: httpx.AsyncClient) -> None:
    events = await sse(http, "POST", "/a2a/echo/message:stream", json={"message": message("a b c")})
    assert "task" in events[0] and "statusUpdate" in events[1]
    chunks = [e["artifactUpdate"] for e in events if "artifactUpdate" in e]
    assert "".join(text_of(c["artifact"]["parts"]) for c in chunks) == "a b c"
    assert events[-1]["statusUpdate"]["status"]["state"] == "TASK_STATE_COMPLETED"
    # A live task: subscribe (POST per the spec's text, GET per the proto) follows it to its end.
    for method in ("POST", "GET"):
        task = await start_countdown(http, 3, 0.1)
        followed = await sse(http, method, f"/a2a/countdown/tasks/{task['id']}:subscribe")
        assert followed[0]["task"]["id"] == task["id"]
        assert followed[-1]["statusUpdate"]["status"]["state"] == "TASK_STATE_COMPLETED"
    ended = await http.post(f"/a2a/countdown/tasks/{task['id']}:subscribe", headers=HEADERS)
    assert ended.status_code == 400 and reason(ended) == "UNSUPPORTED_OPERATION"


async def test_custom_events_as_working_updates(http: httpx.AsyncClient) -> None:
    events = await sse(
        http,
        "POST",
        "/a2a/countdown/message:stream",
        json={"message": message(data={"n": 2, "delay": 0.3})},
    )
    progress = [
        part["data"]
        for e in events
        if "statusUpdate" in e and "message" in e["statusUpdate"]["status"]
        for part in e["statusUpdate"]["status"]["message"]["parts"]
        if e["statusUpdate"]["status"]["state"] == "TASK_STATE_WORKING"
    ]
    assert progress == [{"remaining": 2}, {"remaining": 1}]


async def test_cancel(http: httpx.AsyncClient) -> None:
    task = await start_countdown(http, 400, 0.05)
    canceled = await http.post(f"/a2a/countdown/tasks/{task['id']}:cancel", headers=HEADERS)
    assert canceled.status_code == 200
    assert canceled.json()["status"]["state"] == "TASK_STATE_CANCELED"
    assert canceled.json()["status"]["timestamp"] > task["status"]["timestamp"]
    again = await http.post(f"/a2a/countdown/tasks/{task['id']}:cancel", headers=HEADERS)
    assert again.status_code == 400 and reason(again) == "TASK_NOT_CANCELABLE"


async def test_push_config_routes(http: httpx.AsyncClient) -> None:
    task = (await send(http, "echo", {"message": message("push")}))["task"]
    base = f"/a2a/echo/tasks/{task['id']}/pushNotificationConfigs"
    created = await http.post(
        base, json={"url": "https://example.com/hook", "token": "t"}, headers=HEADERS
    )
    assert created.status_code == 200, created.text
    config = created.json()
    assert config["taskId"] == task["id"] and config["url"] == "https://example.com/hook"
    got = await http.get(f"{base}/{config['id']}")
    assert got.status_code == 200 and got.json()["id"] == config["id"]
    listed = (await http.get(base)).json()
    assert [c["id"] for c in listed["configs"]] == [config["id"]]
    deleted = await http.delete(f"{base}/{config['id']}")
    assert deleted.status_code == 200
    assert (await http.get(base)).json()["configs"] == []
    missing = await http.get(f"{base}/{config['id']}")
    assert missing.status_code == 404 and reason(missing) == "TASK_NOT_FOUND"


async def test_tenant_prefix_is_accepted(http: httpx.AsyncClient) -> None:
    task = (
        await http.post(
            "/a2a/echo/some-tenant/message:send",
            json={"message": message("tenant")},
            headers=HEADERS,
        )
    ).json()["task"]
    got = await http.get(f"/a2a/echo/some-tenant/tasks/{task['id']}")
    assert got.status_code == 200 and got.json()["id"] == task["id"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "expected"),
    [
        (
            "GET",
            "/a2a/echo/tasks/7c1e5b0a-2d3f-4a6b-9c8d-0e1f2a3b4c5d",
            None,
            404,
            "TASK_NOT_FOUND",
        ),
        (
            "POST",
            "/a2a/echo/tasks/7c1e5b0a-2d3f-4a6b-9c8d-0e1f2a3b4c5e:cancel",
            None,
            404,
            "TASK_NOT_FOUND",
        ),
        (
            "POST",
            "/a2a/echo/tasks/7c1e5b0a-2d3f-4a6b-9c8d-0e1f2a3b4c5f:subscribe",
            None,
            404,
            "TASK_NOT_FOUND",
        ),
        ("POST", "/a2a/echo/message:send", {"message": {"role": "ROLE_USER"}}, 400, None),
        ("POST", "/a2a/echo/message:send", [1, 2], 400, "INVALID_REQUEST"),
        ("GET", "/a2a/echo/tasks?pageSize=abc", None, 400, "INVALID_PARAMS"),
        ("GET", "/a2a/echo/tasks?status=NOT_A_STATE", None, 400, "INVALID_PARAMS"),
        ("GET", "/a2a/echo/extendedAgentCard", None, 400, "UNSUPPORTED_OPERATION"),
        ("GET", "/a2a/echo/no/such/operation", None, 404, "METHOD_NOT_FOUND"),
        ("DELETE", "/a2a/echo/message:send", None, 405, "METHOD_NOT_FOUND"),
        ("GET", "/a2a/no-such-agent/tasks", None, 404, "INVALID_REQUEST"),
    ],
)
async def test_errors(
    http: httpx.AsyncClient,
    method: str,
    path: str,
    body: Any,
    status: int,
    expected: str | None,
) -> None:
    response = await http.request(method, path, json=body, headers=HEADERS)
    assert response.status_code == status, response.text
    found = reason(response)
    assert expected is None or found == expected
    if expected is None:
        fields = [
            v["field"]
            for d in response.json()["error"]["details"]
            for v in d.get("fieldViolations", [])
        ]
        assert fields and fields[0].startswith("message")


async def test_bad_json_version_and_content_type(http: httpx.AsyncClient) -> None:
    path = "/a2a/echo/message:send"
    bad_json = await http.post(path, content=b"{not json", headers=HEADERS)
    assert bad_json.status_code == 400 and reason(bad_json) == "PARSE_ERROR"
    version = await http.post(
        path, json={"message": message("x")}, headers={**HEADERS, "A2A-Version": "9.9"}
    )
    assert version.status_code == 400 and reason(version) == "VERSION_NOT_SUPPORTED"
    form = await http.post(
        path,
        content=b"a=b",
        headers={**HEADERS, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415 and reason(form) == "CONTENT_TYPE_NOT_SUPPORTED"
    # No A2A-Version: these paths exist only in 1.0.
    plain = await http.post(path, json={"message": message("no header")})
    assert plain.status_code == 200 and "task" in plain.json()
