"""The MCP door's pure translations: tool names and schemas, result content, interrupts."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_types import ClientCapabilities

from interop.mcp import content as c
from interop.mcp import interrupts as hitl
from interop.mcp.resources import thread_id_of, thread_uri
from interop.mcp.tools import MAX_NAME, input_schema, output_schema, sanitise, unique_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("echo", "echo"), ("Parrot Bot!", "Parrot_Bot"), ("a/b c", "a_b_c"), ("???", "agent")],
)
def test_sanitise(raw: str, expected: str) -> None:
    assert sanitise(raw) == expected


def test_names_stay_short_and_unique() -> None:
    long = "x" * 300
    first = sanitise(long)
    assert len(first) == MAX_NAME
    second = unique_name(first, {first})
    assert second != first and len(second) <= MAX_NAME
    assert unique_name("echo", {"echo", "echo_2"}) == "echo_3"


def test_messages_input_becomes_message() -> None:
    schema, messages = input_schema(
        {"type": "object", "properties": {"messages": {"type": "array"}}, "required": ["messages"]}
    )
    assert messages
    assert schema["properties"]["message"]["type"] == "string"
    assert "messages" not in schema["properties"]
    assert {"thread_id", "resume"} <= set(schema["properties"])
    assert "required" not in schema


def test_other_input_is_kept_with_its_keywords() -> None:
    source = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {"a": {"type": "string"}},
        "properties": {"x": {"$ref": "#/$defs/a"}},
        "additionalProperties": False,
    }
    schema, messages = input_schema(source)
    assert not messages
    assert schema["$schema"] == source["$schema"]
    assert schema["$defs"] == source["$defs"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["x"] == {"$ref": "#/$defs/a"}


def test_unused_defs_are_dropped_with_messages() -> None:
    schema, _ = input_schema(
        {
            "type": "object",
            "$defs": {"M": {"type": "object"}},
            "properties": {"messages": {"type": "array", "items": {"$ref": "#/$defs/M"}}},
        }
    )
    assert "$defs" not in schema


def test_output_schema() -> None:
    assert output_schema(None) is None
    assert output_schema({"type": "string"}) is None
    out = output_schema({"type": "object", "properties": {"messages": {"$ref": "#/$defs/X"}}})
    assert out is not None and out["properties"]["messages"]["type"] == "array"


def test_content_of_text_image_audio_resource() -> None:
    values = {
        "messages": [
            {"type": "human", "content": "hi"},
            {
                "type": "ai",
                "content": [
                    {"type": "text", "text": "look"},
                    {"type": "image", "base64": "AAAA", "mime_type": "image/png"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,BBBB"}},
                    {"type": "audio", "base64": "CCCC", "mime_type": "audio/wav"},
                    {
                        "type": "text-plain",
                        "text": "doc",
                        "mime_type": "text/plain",
                        "url": "f://d",
                    },
                    {"type": "resource", "resource": {"uri": "t://r", "text": "r"}},
                ],
            },
        ]
    }
    blocks = c.result_content(values)
    assert [b["type"] for b in blocks] == [
        "text",
        "image",
        "image",
        "audio",
        "resource",
        "resource",
    ]
    assert blocks[1] == {"type": "image", "data": "AAAA", "mimeType": "image/png"}
    assert blocks[2]["mimeType"] == "image/jpeg" and blocks[2]["data"] == "BBBB"
    assert blocks[4]["resource"]["uri"] == "f://d"


def test_content_without_ai_message_is_json() -> None:
    assert c.result_content({"n": 1}) == [{"type": "text", "text": '{"n":1}'}]
    assert c.structured(3) == {"result": 3}


def _plan(value: Any) -> hitl.Plan:
    return hitl.plan_for([{"id": "i1", "value": value}])


def test_generic_interrupt_is_a_form_elicitation() -> None:
    plan = _plan({"question": "Approve?"})
    (question,) = plan.questions
    assert question.method == hitl.ELICIT and question.params["message"] == "Approve?"
    accept = {"i1": {"action": "accept", "content": {"answer": "yes"}}}
    assert hitl.resume_command(plan, accept) == {"resume": "yes"}
    assert hitl.resume_command(plan, {"i1": {"action": "decline"}}) is None


def test_interrupt_schema_is_the_form_and_the_answer_shape() -> None:
    from interop.examples.approval import ANSWER_SCHEMA, describe

    plan = _plan({"question": "Approve?", "schema": ANSWER_SCHEMA})
    (question,) = plan.questions
    assert question.params["requestedSchema"] == ANSWER_SCHEMA
    accept = {"i1": {"action": "accept", "content": {"approved": True}}}
    command = hitl.resume_command(plan, accept)
    assert command == {"resume": {"approved": True}}
    assert describe(command["resume"]) == "Approved."


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"nested": {"type": "object"}}},
        {"type": "object", "properties": {}},
        {"type": "array"},
        {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}}}},
    ],
)
def test_schema_mcp_cannot_show_falls_back_to_free_text(schema: dict[str, Any]) -> None:
    plan = _plan({"question": "Which?", "schema": schema})
    assert plan.questions[0].params["requestedSchema"] == hitl.DEFAULT_SCHEMA
    accept = {"i1": {"action": "accept", "content": {"answer": "this"}}}
    assert hitl.resume_command(plan, accept) == {"resume": "this"}


def test_results_name_their_thread_in_kept_content() -> None:
    assert c.structured({"n": 1}, "t-1") == {"n": 1, "thread_id": "t-1"}
    assert c.structured({"thread_id": "own"}, "t-1") == {"thread_id": "own"}
    assert c.structured(3, "t-1") == {"result": 3, "thread_id": "t-1"}
    assert c.thread_block("t-1") == {"type": "text", "text": "thread_id: t-1"}
    schema = output_schema({"type": "object", "properties": {"n": {"type": "integer"}}})
    assert schema is not None and schema["properties"]["thread_id"]["type"] == "string"


def test_native_interrupts_keep_their_keys_and_results() -> None:
    plan = _plan({"method": "sampling/createMessage", "params": {"maxTokens": 5}, "key": "q"})
    assert plan.questions[0].key == "q"
    answer = {"role": "assistant", "content": {"type": "text", "text": "Paris"}}
    assert hitl.resume_command(plan, {"q": answer}) == {"resume": answer}
    multi = _plan(
        {"inputRequests": {"a": {"method": "roots/list"}, "b": {"method": "elicitation/create"}}}
    )
    assert hitl.resume_command(multi, {"a": {"roots": []}}) is None
    both = {"a": {"roots": []}, "b": {"action": "accept"}}
    assert hitl.resume_command(multi, both) == {"resume": both}


def test_capabilities_filter_questions() -> None:
    multi = _plan(
        {"inputRequests": {"a": {"method": "roots/list"}, "b": {"method": "elicitation/create"}}}
    )
    assert hitl.askable(multi, None).asks == []
    only_roots = hitl.askable(multi, ClientCapabilities.model_validate({"roots": {}}))
    assert [q.key for q in only_roots.questions] == ["a"]


def test_several_interrupts_resume_by_id() -> None:
    plan = hitl.plan_for([{"id": "x", "value": "a?"}, {"id": "y", "value": "b?"}])
    answers = {k: {"action": "accept", "content": {"answer": k}} for k in ("x", "y")}
    assert hitl.resume_command(plan, answers) == {"resume": {"x": "x", "y": "y"}}


def test_thread_uris() -> None:
    assert thread_id_of(thread_uri("abc")) == "abc"
    assert thread_id_of("test://other") is None
