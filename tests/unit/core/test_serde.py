"""interop.core.serde: JSON encoding of whatever a graph emits."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import namedtuple
from types import MappingProxyType
from typing import Any

import orjson
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.types import Command, Interrupt, Send
from pydantic import BaseModel

from interop.core import serde
from interop.core.errors import InvalidInput
from interop.core.serde import dumps, loads, to_jsonable


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Model(BaseModel):
    name: str
    when: dt.datetime


class Opaque:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<opaque>"


def test_dumps_returns_compact_json_bytes() -> None:
    out = dumps({"a": [1, 2], "b": None})
    assert isinstance(out, bytes)
    assert out == b'{"a":[1,2],"b":null}'
    assert loads(out) == {"a": [1, 2], "b": None}


def test_messages() -> None:
    data = to_jsonable(
        [
            HumanMessage(content="hi", id="h1"),
            AIMessage(content="hello", id="a1"),
            ToolMessage(content="42", tool_call_id="call1"),
        ]
    )
    assert [m["type"] for m in data] == ["human", "ai", "tool"]
    assert [m["content"] for m in data] == ["hi", "hello", "42"]
    assert data[0]["id"] == "h1"
    assert data[2]["tool_call_id"] == "call1"


def test_message_chunk() -> None:
    data = to_jsonable(AIMessageChunk(content="tok", id="c1"))
    assert data["type"] == "AIMessageChunk"
    assert data["content"] == "tok"


def test_interrupt_is_value_and_id() -> None:
    # The reference also sends `response_schema` (null); value and id are the contract.
    data = to_jsonable(Interrupt(value={"question": "ok?"}, id="i-1"))
    assert data["value"] == {"question": "ok?"}
    assert data["id"] == "i-1"
    assert set(data) <= {"value", "id", "response_schema"}


def test_interrupts_inside_state() -> None:
    state = {"__interrupt__": (Interrupt(value="v", id="x"),), "messages": []}
    data = to_jsonable(state)
    assert data["messages"] == []
    assert [(i["value"], i["id"]) for i in data["__interrupt__"]] == [("v", "x")]


def test_send() -> None:
    assert to_jsonable(Send("worker", {"job": 1})) == {"node": "worker", "args": {"job": 1}}


def test_command_does_not_raise() -> None:
    data = to_jsonable(Command(resume={"approved": True}, goto=Send("n", {"a": 1})))
    assert isinstance(data, dict)
    assert data["resume"] == {"approved": True}


def test_sets() -> None:
    assert sorted(to_jsonable({1, 2, 3})) == [1, 2, 3]
    assert to_jsonable(frozenset({"a"})) == ["a"]


def test_dataclass() -> None:
    assert to_jsonable(Point(1, 2)) == {"x": 1, "y": 2}
    assert to_jsonable({"p": [Point(3, 4)]}) == {"p": [{"x": 3, "y": 4}]}


def test_pydantic_model() -> None:
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    data = to_jsonable(Model(name="n", when=when))
    assert data["name"] == "n"
    assert dt.datetime.fromisoformat(data["when"]) == when


def test_datetime_date_and_uuid() -> None:
    when = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    data = to_jsonable({"when": when, "day": dt.date(2024, 5, 6), "id": ident})
    assert dt.datetime.fromisoformat(data["when"]) == when
    assert data["day"] == "2024-05-06"
    assert data["id"] == str(ident)


def test_namedtuple_mapping_bytes_and_tuples() -> None:
    pair = namedtuple("pair", "a b")
    assert to_jsonable(pair(1, 2)) in ({"a": 1, "b": 2}, [1, 2])
    assert to_jsonable(MappingProxyType({"k": "v"})) == {"k": "v"}
    assert to_jsonable(b"raw") == "raw"
    assert to_jsonable((1, (2, 3))) == [1, [2, 3]]


def test_non_string_keys() -> None:
    assert to_jsonable({1: "a", 2.5: "b"}) == {"1": "a", "2.5": "b"}


def test_exception_becomes_error_record() -> None:
    assert to_jsonable(ValueError("bad")) == {"error": "ValueError", "message": "bad"}


@pytest.mark.parametrize(
    "value",
    [Opaque(), object(), lambda: None, type("Anything", (), {})],
)
def test_unknown_objects_do_not_raise(value: Any) -> None:
    out = dumps({"value": value})
    assert isinstance(orjson.loads(out)["value"], str)


def test_big_integers_do_not_raise() -> None:
    # dumps promises never to raise; Python ints are unbounded and a graph may emit one
    value = 2**70
    out = loads(dumps({"n": value}))
    assert out["n"] in (value, str(value))


# -- the request JSON rule of every door (parse_json + check_json) ----------------------------


@pytest.mark.parametrize("depth", [serde.MAX_DEPTH + 1, 255, 1100, 100_000])
def test_nesting_past_the_limit_is_refused(depth: int) -> None:
    raw = b"[" * depth + b"]" * depth
    with pytest.raises(serde.TooDeep):
        serde.check_json(serde.parse_json(raw))


def test_nesting_to_the_limit_is_taken_and_can_be_written() -> None:
    raw = b"[" * serde.MAX_DEPTH + b"]" * serde.MAX_DEPTH
    value = serde.parse_json(raw)
    serde.check_json(value)
    # wrapped a few more levels (as stored and streamed), orjson still writes it
    assert orjson.dumps({"a": {"b": [value]}})


@pytest.mark.parametrize("raw", [b"1e400", b'{"a": [-1e400]}', b"[18446744073709551616e300]"])
def test_numbers_out_of_range_parse_but_are_refused(raw: bytes) -> None:
    value = serde.parse_json(raw)
    with pytest.raises(serde.NumberOutOfRange):
        serde.check_json(value)


@pytest.mark.parametrize("raw", [b"NaN", b"[Infinity]", b"{", b"\xff", b""])
def test_not_json_is_malformed(raw: bytes) -> None:
    with pytest.raises(serde.MalformedJson):
        serde.parse_json(raw)


def test_json_errors_are_invalid_input() -> None:
    assert issubclass(serde.JsonRejected, InvalidInput)


def test_ordinary_values_pass() -> None:
    serde.check_json(serde.parse_json(b'{"a": [1, 2.5, -9223372036854775808, "x", null, true]}'))


@pytest.mark.parametrize(
    "raw", [b'"a\\u0000b"', b'{"k\\u0000": 1}', b'{"a": ["x", {"b": "\\u0000"}]}']
)
def test_text_with_nul_is_refused(raw: bytes) -> None:
    value = serde.parse_json(raw)
    with pytest.raises(serde.NulInText):
        serde.check_json(value)
