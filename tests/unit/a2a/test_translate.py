"""Parts ⇄ LangGraph input/output, the artifact chunker, errors on the wire, push URL checks."""

from __future__ import annotations

import pytest

from interop.a2a import translate as t
from interop.a2a.errors import ContentTypeNotSupported, InvalidParams, TaskNotFound, to_wire
from interop.a2a.model import Message, Part
from interop.a2a.stream import ArtifactChunker
from interop.core.delivery import UrlRefused, check_url
from interop.core.errors import Conflict, NotFound


def _message(*parts: Part) -> Message:
    return Message(message_id="m1", role="user", parts=list(parts))


def test_text_and_data_become_input() -> None:
    message = _message(Part(text="hello"), Part(data={"n": 3}, is_data=True))
    assert t.graph_input(message) == {
        "n": 3,
        "messages": [{"role": "user", "content": "hello", "id": "m1"}],
    }


def test_files_become_content_blocks() -> None:
    message = _message(Part(text="see"), Part(raw=b"x", media_type="image/png", filename="a.png"))
    content = t.graph_input(message)["messages"][0]["content"]
    assert content == [
        {"type": "text", "text": "see"},
        {"type": "image", "base64": "eA==", "mime_type": "image/png", "filename": "a.png"},
    ]


def test_non_object_data_is_not_an_input() -> None:
    with pytest.raises(InvalidParams):
        t.graph_input(_message(Part(data=[1], is_data=True)))


def test_resume_value_prefers_data() -> None:
    assert t.resume_value(_message(Part(text="x"), Part(data={"ok": 1}, is_data=True))) == {"ok": 1}
    assert t.resume_value(_message(Part(text="yes"))) == "yes"


def test_media_types() -> None:
    modes = ["text/plain", "image/*"]
    assert t.media_type_accepted("image/png", modes)
    assert t.media_type_accepted("text/plain; charset=utf-8", modes)
    assert not t.media_type_accepted("application/x-thing", modes)
    with pytest.raises(ContentTypeNotSupported):
        t.check_media_types(_message(Part(raw=b"x", media_type="application/x-thing")), modes)


def test_output_artifacts() -> None:
    values = {
        "messages": [
            {"type": "human", "content": "hi", "id": "h"},
            {
                "type": "ai",
                "content": [{"type": "text", "text": "yo"}, {"type": "file", "url": "https://f"}],
                "id": "a",
            },
        ],
        "score": 3,
        "empty": None,
    }
    artifacts = t.artifacts(values, "task", ["messages", "score", "empty"])
    assert [a.artifact_id for a in artifacts] == ["a", "task-score"]
    assert artifacts[0].parts[0].text == "yo" and artifacts[0].parts[1].url == "https://f"
    assert artifacts[1].parts[0].data == 3
    history = t.history(values, 1, context_id="c", task_id="task")
    assert [m.role for m in history] == ["agent"]


def test_chunker_holds_one_back_to_mark_the_last() -> None:
    chunker = ArtifactChunker("t", "c")
    chunk = {"type": "AIMessageChunk", "id": "m"}
    assert chunker.feed({**chunk, "content": "a"}) == []
    first = chunker.feed({**chunk, "content": "b"})
    assert [(u.append, u.last_chunk) for u in first] == [(False, False)]
    second = chunker.feed({"type": "AIMessageChunk", "id": "n", "content": "c"})
    assert [(u.artifact.artifact_id, u.append, u.last_chunk) for u in second] == [("m", True, True)]
    (last,) = chunker.finish()
    assert (last.artifact.artifact_id, last.append, last.last_chunk) == ("n", False, True)
    assert chunker.feed({"type": "human", "id": "h", "content": "x"}) == []


def test_errors_on_the_wire() -> None:
    wire = to_wire(TaskNotFound("gone", metadata={"taskId": "t"}), "1.0")
    assert wire["code"] == -32001
    assert (
        wire["data"][-1]["reason"] == "TASK_NOT_FOUND"
        and wire["data"][-1]["metadata"]["taskId"] == "t"
    )
    assert to_wire(NotFound("x"), "0.3")["code"] == -32001
    assert to_wire(Conflict("busy"), "0.3")["code"] == -32004
    opaque = to_wire(RuntimeError("secret detail"), "0.3")
    assert opaque["code"] == -32603 and "secret" not in str(opaque)


def test_push_urls() -> None:
    for url in (
        "http://127.0.0.1/x",
        "http://localhost:9/x",
        "http://10.0.0.1/x",
        "http://[::1]/x",
        "ftp://example.com/x",
    ):
        with pytest.raises(UrlRefused):
            check_url(url, allow_private=False)
    check_url("https://example.com/hook", allow_private=False)
    check_url("http://127.0.0.1:9/x", allow_private=True)
