"""The two codecs: wire params → neutral requests, neutral records → wire JSON."""

from __future__ import annotations

from typing import Any

import pytest

from interop.a2a.codecs import v03, v1
from interop.a2a.errors import InvalidParams
from interop.a2a.model import (
    Artifact,
    ArtifactUpdate,
    Message,
    Part,
    StatusUpdate,
    Task,
    TaskStatus,
)


def test_v1_send_accepts_camel_and_snake_case() -> None:
    params = {
        "message": {
            "message_id": "m1",
            "role": "ROLE_USER",
            "contextId": "c1",
            "parts": [
                {"text": "hi"},
                {"raw": "dGNr", "media_type": "image/png"},
                {"data": {"a": 1}},
            ],
        },
        "configuration": {"return_immediately": True, "historyLength": 2},
    }
    send = v1.decode_send(params)
    assert send.message.message_id == "m1" and send.message.context_id == "c1"
    assert send.message.parts[1].raw == b"tck" and send.message.parts[1].media_type == "image/png"
    assert send.message.parts[2].is_data and send.message.parts[2].data == {"a": 1}
    assert send.return_immediately and send.history_length == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "message"),
        ({"message": {"messageId": "m", "role": "ROLE_USER", "parts": []}}, "message.parts"),
        ({"message": {"messageId": "m", "role": "user", "parts": [{"text": "x"}]}}, "message.role"),
        (
            {
                "message": {
                    "messageId": "m",
                    "role": "ROLE_USER",
                    "parts": [{"text": "x", "url": "u"}],
                }
            },
            "message.parts.0",
        ),
        (
            {"message": {"messageId": "m", "role": "ROLE_USER", "parts": [{"raw": "%%"}]}},
            "message.parts.0.raw",
        ),
    ],
)
def test_v1_invalid_params_name_the_field(params: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParams) as raised:
        v1.decode_send(params)
    assert raised.value.field == field


def test_v03_send_and_blocking() -> None:
    send = v03.decode_send(
        {
            "message": {
                "kind": "message",
                "messageId": "m",
                "role": "user",
                "parts": [
                    {"kind": "text", "text": "hi"},
                    {"kind": "file", "file": {"uri": "https://x/y.png", "mimeType": "image/png"}},
                    {"kind": "data", "data": {"n": 1}},
                ],
            },
            "configuration": {"blocking": False},
        }
    )
    assert send.return_immediately
    assert send.message.parts[0].text == "hi"
    assert send.message.parts[1].url == "https://x/y.png"
    assert send.message.parts[2].data == {"n": 1}


def test_v03_file_needs_exactly_one_source() -> None:
    with pytest.raises(InvalidParams):
        v03.decode_send(
            {"message": {"messageId": "m", "role": "user", "parts": [{"kind": "file", "file": {}}]}}
        )


def _task() -> Task:
    return Task(
        id="t",
        context_id="c",
        status=TaskStatus(state="input-required", timestamp="2026-01-01T00:00:00.000Z"),
        artifacts=[
            Artifact(
                artifact_id="a", parts=[Part(raw=b"tck", media_type="text/plain", filename="f")]
            )
        ],
        history=[Message(message_id="m", role="user", parts=[Part(text="hi")])],
    )


def test_v1_encodes_proto_json() -> None:
    task = v1.encode_task(_task())
    assert task["status"]["state"] == "TASK_STATE_INPUT_REQUIRED"
    assert task["artifacts"][0]["parts"] == [
        {"raw": "dGNr", "mediaType": "text/plain", "filename": "f"}
    ]
    assert task["history"][0]["role"] == "ROLE_USER"
    assert v1.encode_send(_task()).keys() == {"task"}
    status = StatusUpdate("t", "c", TaskStatus(state="completed"), final=True)
    assert v1.encode_event(status) == {
        "statusUpdate": {
            "taskId": "t",
            "contextId": "c",
            "status": {"state": "TASK_STATE_COMPLETED"},
        }
    }


def test_v03_encodes_kinds_and_final() -> None:
    task = v03.encode_task(_task())
    assert task["kind"] == "task" and task["status"]["state"] == "input-required"
    assert task["artifacts"][0]["parts"][0] == {
        "kind": "file",
        "file": {"bytes": "dGNr", "mimeType": "text/plain", "name": "f"},
    }
    update = v03.encode_event(
        ArtifactUpdate("t", "c", Artifact("a", [Part(data=[1, 2], is_data=True)]), append=True)
    )
    assert (
        update["kind"] == "artifact-update"
        and update["append"] is True
        and update["lastChunk"] is False
    )
    assert update["artifact"]["parts"] == [{"kind": "data", "data": {"value": [1, 2]}}]
    status = v03.encode_event(StatusUpdate("t", "c", TaskStatus(state="completed"), final=True))
    assert status["final"] is True


def test_method_tables_cover_the_same_operations() -> None:
    assert set(v1.CODEC.methods.values()) - set(v03.CODEC.methods.values()) == {"list_tasks"}
    for codec in (v1.CODEC, v03.CODEC):
        for operation in codec.methods.values():
            assert operation in codec.decode
