"""The mapping onto the run core: contexts, input parts, interrupts, failures, artifacts."""

from __future__ import annotations

import base64
import uuid

import httpx

from .rpc import A2A, text_of


async def test_context_continuity(a2a: A2A) -> None:
    first = await a2a.send(a2a.message("first"))
    second = await a2a.send(a2a.message("second", contextId=first["contextId"]))
    assert second["contextId"] == first["contextId"] and second["id"] != first["id"]
    assert [text_of(m["parts"]) for m in second["history"]] == [
        "first",
        "first",
        "second",
        "second",
    ]


async def test_client_chosen_context_is_kept(a2a: A2A) -> None:
    context = str(uuid.uuid4())
    task = await a2a.send(a2a.message("mine", contextId=context))
    assert task["contextId"] == context


async def test_task_references(a2a: A2A) -> None:
    done = await a2a.send(a2a.message("done"))
    assert await a2a.error_code("send", {"message": a2a.message("x", taskId=done["id"])}) == -32004
    assert (
        await a2a.error_code("send", {"message": a2a.message("x", taskId=str(uuid.uuid4()))})
        == -32001
    )
    approval = a2a.agent("approval")
    waiting = await approval.send(approval.message("approve?"))
    mismatch = approval.message("yes", taskId=waiting["id"], contextId=str(uuid.uuid4()))
    assert await approval.error_code("send", {"message": mismatch}) == -32602


async def test_data_parts_are_input_fields(a2a: A2A) -> None:
    countdown = a2a.agent("countdown")
    task = await countdown.send(countdown.message(data={"n": 2, "delay": 0.01}))
    assert task["status"]["state"] == countdown.state("completed")
    assert text_of(task["artifacts"][0]["parts"]) == "done"
    # The graph's output schema declares n and delay: each is a data artifact of its own.
    named = {a.get("name"): a["parts"][0] for a in task["artifacts"] if a.get("name")}
    assert set(named) == {"n", "delay"}
    n = named["n"]
    assert (n["data"] if a2a.version == "1.0" else n["data"]["value"]) == 2


async def test_interrupt_answered_with_text(a2a: A2A) -> None:
    approval = a2a.agent("approval")
    task = await approval.send(approval.message("release"))
    status = task["status"]
    assert status["state"] == approval.state("input-required")
    data = [p["data"] for p in status["message"]["parts"] if "data" in p]
    assert [d["question"] for d in data] == ["Approve this request? release"]
    answered = await approval.send(approval.message("ok by me", taskId=task["id"]))
    assert answered["id"] == task["id"]
    assert answered["status"]["state"] == approval.state("completed")
    assert text_of(answered["artifacts"][0]["parts"]) == "Answer received: ok by me"


async def test_failure_is_failed_with_a_message(a2a: A2A) -> None:
    countdown = a2a.agent("countdown")
    task = await countdown.send(countdown.message(data={"n": "abc"}))
    assert task["status"]["state"] == countdown.state("failed")
    assert text_of(task["status"]["message"]["parts"])
    assert "Traceback" not in text_of(task["status"]["message"]["parts"])


async def test_rejection(a2a: A2A) -> None:
    tck = a2a.agent("tck")
    task = await tck.send(tck.message("no", message_id=f"tck-reject-task-{uuid.uuid4()}"))
    assert task["status"]["state"] == tck.state("rejected")


async def test_file_and_data_artifacts(http: httpx.AsyncClient) -> None:
    tck = A2A(http, "1.0", "tck")
    file_task = await tck.send(tck.message("f", message_id=f"tck-artifact-file-{uuid.uuid4()}"))
    (part,) = file_task["artifacts"][0]["parts"]
    assert base64.b64decode(part["raw"]) == b"tck"
    assert part["mediaType"] == "text/plain" and part["filename"] == "output.txt"
    url_task = await tck.send(tck.message("u", message_id=f"tck-artifact-file-url-{uuid.uuid4()}"))
    assert url_task["artifacts"][0]["parts"][0]["url"] == "https://example.com/output.txt"
    data_task = await tck.send(tck.message("d", message_id=f"tck-artifact-data-{uuid.uuid4()}"))
    assert data_task["artifacts"][0]["parts"][0]["data"] == {"key": "value", "count": 42}
    old = A2A(http, "0.3", "tck")
    legacy = await old.send(old.message("f", message_id=f"tck-artifact-file-{uuid.uuid4()}"))
    file = legacy["artifacts"][0]["parts"][0]
    assert file["kind"] == "file" and base64.b64decode(file["file"]["bytes"]) == b"tck"
    assert file["file"]["mimeType"] == "text/plain" and file["file"]["name"] == "output.txt"


async def test_file_parts_reach_the_agent(a2a: A2A) -> None:
    image = base64.b64encode(b"\x89PNG fake").decode()
    if a2a.version == "1.0":
        part = {"raw": image, "mediaType": "image/png", "filename": "a.png"}
    else:
        part = {"kind": "file", "file": {"bytes": image, "mimeType": "image/png", "name": "a.png"}}
    message = a2a.message("look at this")
    message["parts"].append(part)
    task = await a2a.send(message)
    assert task["status"]["state"] == a2a.state("completed")
    assert text_of(task["artifacts"][0]["parts"]) == "look at this"


async def test_unsupported_media_type(http: httpx.AsyncClient) -> None:
    tck = A2A(http, "1.0", "tck")
    message = tck.message(message_id=f"tck-complete-task-{uuid.uuid4()}")
    message["parts"] = [{"raw": "dGNr", "mediaType": "application/x-unsupported"}]
    assert await tck.error_code("send", {"message": message}) == -32005


async def test_bad_base64_is_invalid_params(a2a: A2A) -> None:
    message = a2a.message("x")
    if a2a.version == "1.0":
        message["parts"] = [{"raw": "!!!not base64", "mediaType": "image/png"}]
    else:
        message["parts"] = [{"kind": "file", "file": {"bytes": "!!!", "mimeType": "image/png"}}]
    assert await a2a.error_code("send", {"message": message}) == -32602
