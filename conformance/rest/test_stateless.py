"""Stateless runs: POST /runs, /runs/stream, /runs/wait, /runs/batch."""

from __future__ import annotations

import httpx
from langgraph_sdk.client import LangGraphClient

from . import sse
from .agents import FAILING_COUNTDOWN, last_message, user, wait_for_thread_gone


async def test_stateless_wait_returns_final_values(http: httpx.AsyncClient) -> None:
    response = await http.post("/runs/wait", json={"assistant_id": "echo", "input": user("s")})
    assert response.status_code == 200
    assert [m["content"] for m in response.json()["messages"]] == ["s", "s"]
    assert response.headers["content-location"]
    assert response.headers["location"]


async def test_stateless_wait_with_sdk(sdk: LangGraphClient) -> None:
    values = await sdk.runs.wait(None, "echo", input=user("sdk"))
    assert isinstance(values, dict)
    assert last_message(values)["content"] == "sdk"


async def test_stateless_wait_after_failure_answers_200_with_error(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(
        "/runs/wait", json={"assistant_id": "countdown", "input": FAILING_COUNTDOWN}
    )
    assert response.status_code == 200
    error = response.json()["__error__"]
    assert error["error"] == "ValueError"
    assert isinstance(error["message"], str)


async def test_stateless_wait_after_interrupt_includes_interrupt(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/runs/wait", json={"assistant_id": "approval", "input": user("buy")}
    )
    assert response.status_code == 200
    (interrupt,) = response.json()["__interrupt__"]
    assert interrupt["value"]["question"] == "Approve this request? buy"


async def test_stateless_stream_frames_metadata_first(http: httpx.AsyncClient) -> None:
    response, stream = await sse.stream_request(
        http,
        "POST",
        "/runs/stream",
        json_body={"assistant_id": "echo", "input": user("st"), "stream_mode": "updates"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert stream.names[0] == "metadata"
    run_id = stream.events[0].data["run_id"]
    assert run_id in response.headers["content-location"]
    (update,) = stream.named("updates")
    assert update.data["respond"]["messages"][0]["content"] == "st"
    assert stream.closed


async def test_stateless_background_run_is_deleted_on_completion(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post("/runs", json={"assistant_id": "echo", "input": user("bg")})
    assert response.status_code == 200
    run = response.json()
    assert run["status"] in ("pending", "running")
    assert run["run_id"] in response.headers["content-location"]
    await wait_for_thread_gone(http, run["thread_id"])


async def test_stateless_background_run_kept_with_on_completion_keep(
    http: httpx.AsyncClient, sdk: LangGraphClient
) -> None:
    response = await http.post(
        "/runs",
        json={"assistant_id": "echo", "input": user("keep"), "on_completion": "keep"},
    )
    run = response.json()
    values = await sdk.runs.join(run["thread_id"], run["run_id"])
    assert last_message(values)["content"] == "keep"
    assert (await sdk.runs.get(run["thread_id"], run["run_id"]))["status"] == "success"
    assert (await sdk.threads.get(run["thread_id"]))["status"] == "idle"


async def test_batch_creates_one_run_per_payload(sdk: LangGraphClient) -> None:
    runs = await sdk.runs.create_batch(
        [
            {"assistant_id": "echo", "input": user("b1")},
            {"assistant_id": "countdown", "input": {"n": 1, "delay": 0.01}},
        ]
    )
    assert len(runs) == 2
    assert len({r["run_id"] for r in runs}) == 2
    assert all(r["status"] in ("pending", "running") for r in runs)


async def test_batch_of_nothing_422(http: httpx.AsyncClient) -> None:
    response = await http.post("/runs/batch", json=[])
    assert response.status_code == 422


async def test_batch_must_be_a_list_422(http: httpx.AsyncClient) -> None:
    response = await http.post("/runs/batch", json={"assistant_id": "echo"})
    assert response.status_code == 422


async def test_stateless_unknown_assistant_name_422(http: httpx.AsyncClient) -> None:
    for path in ("/runs", "/runs/wait", "/runs/stream"):
        response = await http.post(path, json={"assistant_id": "no-such-graph", "input": {}})
        assert response.status_code == 422, path


async def test_stateless_invalid_stream_mode_422(http: httpx.AsyncClient) -> None:
    for path in ("/runs", "/runs/stream"):
        response = await http.post(
            path, json={"assistant_id": "echo", "input": {}, "stream_mode": "bogus"}
        )
        assert response.status_code == 422, path
