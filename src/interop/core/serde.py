"""JSON encoding of whatever a graph emits (messages, interrupts, commands, sends, pydantic)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import orjson
from langgraph.types import Interrupt, Send
from pydantic import BaseModel

from interop.core.errors import InvalidInput

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def _default(obj: Any) -> Any:
    if isinstance(obj, Interrupt):
        return {"value": obj.value, "id": obj.id}
    if isinstance(obj, Send):
        return {"node": obj.node, "args": obj.arg}
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json")
    if isinstance(obj, (set, frozenset)):
        return list(obj)
    if isinstance(obj, Mapping):
        return dict(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if hasattr(obj, "_asdict"):
        return obj._asdict()
    if hasattr(obj, "to_json") and callable(obj.to_json):
        return obj.to_json()
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    if isinstance(obj, Exception):
        return {"error": type(obj).__name__, "message": str(obj)}
    return repr(obj)


def dumps(obj: Any) -> bytes:
    """Encode `obj` as compact JSON bytes; unknown objects degrade to their repr, never raise."""
    try:
        return orjson.dumps(obj, default=_default, option=_OPTIONS)
    except orjson.JSONEncodeError:
        # orjson refuses what JSON can hold but it cannot (integers past 64 bits, deep nesting):
        # the standard library encoder takes the rest.
        return json.dumps(obj, default=_default, ensure_ascii=False, separators=(",", ":")).encode()


def to_jsonable(obj: Any) -> Any:
    """`obj` turned into plain JSON types (dicts, lists, strings, numbers)."""
    return orjson.loads(dumps(obj))


loads = orjson.loads

# The deepest JSON nesting any door accepts (`{"a": [1]}` is 2 levels). orjson writes at most 254
# levels, and a request's values are stored and streamed wrapped in a few more; 128 leaves room.
MAX_DEPTH = 128


class JsonRejected(InvalidInput):
    """A request body (or part of one) the server does not take as JSON."""


class MalformedJson(JsonRejected):
    """Not JSON at all (syntax, NaN/Infinity literals, not UTF-8)."""


class TooDeep(JsonRejected):
    """JSON nested deeper than `MAX_DEPTH` levels."""


class NumberOutOfRange(JsonRejected):
    """Valid JSON holding a number no 64-bit integer or finite double can represent."""


class NulInText(JsonRejected):
    """Valid JSON holding a string with the character U+0000."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(raw: bytes | str) -> Any:
    """Parse a request body. Numbers past what orjson holds (`1e400`, 2**64) are parsed anyway
    (as `inf` or a big int) so that callers can answer precisely; `check_json` refuses them.

    Raises MalformedJson (not JSON) or TooDeep (nesting past the parsers' recursion limit)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "recursion" in exc.msg:
            raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels.") from exc
        first = exc
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise TooDeep(f"JSON nested deeper than {MAX_DEPTH} levels.") from exc
    except (ValueError, TypeError):
        raise MalformedJson(f"Malformed JSON: {first.msg} at position {first.pos}.") from None


def check_json(value: Any, max_depth: int = MAX_DEPTH) -> None:
    """Raise TooDeep past `max_depth` levels of nesting, NumberOutOfRange for a number outside
    the 64-bit integer / finite double range, NulInText for a string (or key) holding U+0000
    (PostgreSQL stores no such text: refused on every backend alike); the same rule for every
    door."""
    if type(value) is not dict and type(value) is not list:
        _check_scalar(value)
        return
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if type(item) is dict:
            children: Any = item.values()
            for key in item:
                if type(key) is str and "\x00" in key:
                    raise NulInText(_NUL_MESSAGE)
        else:
            children = item
        if depth > max_depth:
            raise TooDeep(f"JSON nested deeper than {max_depth} levels.")
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is str:
                if "\x00" in child:
                    raise NulInText(_NUL_MESSAGE)
            elif kind is float or kind is int:
                _check_scalar(child)


_NUL_MESSAGE = "A string holds the character U+0000, which is not accepted."


def _check_scalar(value: Any) -> None:
    if type(value) is str and "\x00" in value:
        raise NulInText(_NUL_MESSAGE)
    if type(value) is float and (value != value or value in (_INF, -_INF)):
        raise NumberOutOfRange("A number is out of range for a double.")
    if type(value) is int and not -(2**63) <= value < 2**64:
        raise NumberOutOfRange("An integer is out of the 64-bit range.")


_INF = float("inf")
