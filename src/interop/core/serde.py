"""JSON encoding of whatever a graph emits (messages, interrupts, commands, sends, pydantic)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import orjson
from langgraph.types import Interrupt, Send
from pydantic import BaseModel

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
