"""Assistants as MCP tools: one tool per assistant, named, described and typed from its graph.

The catalogue is rebuilt lazily after an assistant changes (the core's assistant listener marks
it stale), so `tools/list` answers from memory and follows assistants created or deleted over
REST.

Schema translation (the only place it happens):
- `inputSchema` is the graph's input schema, except that a graph whose input has `messages`
  takes `message` (one user message as a string) instead; every tool also takes the optional
  `thread_id` (continue that thread) and `resume` (answer the interrupt the thread waits on).
- `outputSchema` is the graph's output schema when it is an object schema; its `messages`
  property, a deep LangChain union, is declared as a plain array of message objects, and a
  `thread_id` string (the thread the call ran on, see `content`) is added.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from typing import Any

from interop.core import authz
from interop.core.assistants import AssistantService
from interop.core.errors import NotFound
from interop.core.graphs import graph_schemas
from interop.core.models import Assistant

log = logging.getLogger("interop.mcp")

MAX_NAME = 128
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_PAGE = 500

THREAD_ID_ARG = "thread_id"
RESUME_ARG = "resume"
MESSAGE_ARG = "message"

_THREAD_ID_SCHEMA = {
    "type": "string",
    "description": "Continue this thread: the thread_id of a previous result.",
}
_RESUME_SCHEMA = {
    "description": "The answer to the interrupt the thread waits on (with thread_id).",
}
_MESSAGE_SCHEMA = {"type": "string", "description": "The user message to send to the agent."}
_THREAD_ID_OUT = {"type": "string", "description": "The thread this call ran on."}
_MESSAGES_OUT = {
    "type": "array",
    "items": {"type": "object", "additionalProperties": True},
    "description": "The conversation, as LangChain message objects.",
}


@dataclass(slots=True, frozen=True)
class ToolEntry:
    """One tool: its wire definition and the assistant it runs."""

    name: str
    assistant_id: str
    graph_id: str
    messages_input: bool
    definition: dict[str, Any]


def sanitise(name: str) -> str:
    """`name` reduced to the characters MCP recommends, at most 128 long, never empty."""
    cleaned = _UNSAFE.sub("_", name.strip()).strip("_") or "agent"
    return cleaned[:MAX_NAME]


def unique_name(base: str, taken: set[str]) -> str:
    """`base`, or `base_2`, `base_3`… (still within 128 characters) when it is taken."""
    if base not in taken:
        return base
    counter = 2
    while True:
        suffix = f"_{counter}"
        candidate = base[: MAX_NAME - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        counter += 1


def _refs(value: Any) -> bool:
    """True when `value` holds a local `$defs` reference."""
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return True
        return any(_refs(v) for v in value.values())
    if isinstance(value, list):
        return any(_refs(v) for v in value)
    return False


def _prune_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop `$defs` when nothing outside them refers to them any more."""
    if "$defs" in schema and not _refs({k: v for k, v in schema.items() if k != "$defs"}):
        schema = {k: v for k, v in schema.items() if k != "$defs"}
    return schema


def input_schema(graph_input: dict[str, Any] | None) -> tuple[dict[str, Any], bool]:
    """The tool's inputSchema from the graph's input schema; True when `messages` became
    `message`."""
    base = dict(graph_input) if isinstance(graph_input, dict) else {}
    if base.get("type") not in (None, "object"):
        base = {}
    properties = dict(base.get("properties") or {})
    messages = "messages" in properties
    if messages:
        del properties["messages"]
        properties = {MESSAGE_ARG: dict(_MESSAGE_SCHEMA), **properties}
    properties[THREAD_ID_ARG] = dict(_THREAD_ID_SCHEMA)
    properties[RESUME_ARG] = dict(_RESUME_SCHEMA)
    # A resume call names only thread_id and resume: the graph's own fields cannot be required.
    schema: dict[str, Any] = {
        k: v for k, v in base.items() if k not in ("properties", "required", "title")
    }
    schema["type"] = "object"
    schema["properties"] = properties
    return _prune_defs(schema), messages


def output_schema(graph_output: dict[str, Any] | None) -> dict[str, Any] | None:
    """The tool's outputSchema, or None when the graph's output is not an object schema."""
    if not isinstance(graph_output, dict) or graph_output.get("type") != "object":
        return None
    properties = dict(graph_output.get("properties") or {})
    if not properties:
        return None
    if "messages" in properties:
        properties["messages"] = dict(_MESSAGES_OUT)
    properties.setdefault(THREAD_ID_ARG, dict(_THREAD_ID_OUT))
    schema = {k: v for k, v in graph_output.items() if k not in ("properties", "title")}
    schema["properties"] = properties
    return _prune_defs(schema)


class ToolCatalogue:
    """The current tools, rebuilt from the assistants when they changed (per process)."""

    def __init__(
        self, assistants: AssistantService, overrides: dict[str, dict[str, Any]] | None = None
    ) -> None:
        self._assistants = assistants
        self._overrides = overrides or {}
        self._entries: dict[str, ToolEntry] | None = None
        self._last: dict[str, ToolEntry] = {}
        self._listing: list[dict[str, Any]] = []
        self._schemas: dict[str, dict[str, Any]] = {}
        self._lock = asyncio.Lock()
        self._generation = 0

    def invalidate(self) -> None:
        """Forget the catalogue; the next read rebuilds it."""
        self._generation += 1
        self._entries = None

    async def entries(self) -> dict[str, ToolEntry]:
        entries = self._entries
        if entries is not None:
            return entries
        async with self._lock:
            while self._entries is None:
                generation = self._generation
                built = await self._build()
                if generation == self._generation:
                    self._entries = built
                    self._last = built
                    self._listing = [entry.definition for entry in built.values()]
            return self._entries

    async def listing(self) -> list[dict[str, Any]]:
        """The tool definitions in a deterministic order (assistant creation order); under a
        custom auth handler, those of the assistants the caller may read."""
        entries = await self.entries()
        if authz.current() is None:
            return self._listing
        visible = {a.assistant_id for a in await self._all_assistants(as_caller=True)}
        return [e.definition for e in entries.values() if e.assistant_id in visible]

    async def get(self, name: str) -> ToolEntry | None:
        """The tool `name` (None: unknown, or its assistant is hidden from the caller)."""
        entry = (await self.entries()).get(name)
        if entry is None or authz.current() is None:
            return entry
        try:
            await self._assistants.get(entry.assistant_id)
        except NotFound:
            return None
        return entry

    def input_schema_of(self, name: str) -> dict[str, Any] | None:
        """The inputSchema of tool `name` from the last catalogue built, without waiting (None:
        unknown). While a rebuild is pending this is the previous catalogue's: the schemas come
        from the graphs, which do not change while the server runs."""
        entries = self._entries if self._entries is not None else self._last
        entry = entries.get(name)
        return entry.definition["inputSchema"] if entry is not None else None

    async def _all_assistants(self, *, as_caller: bool = False) -> list[Assistant]:
        """Every assistant (the catalogue is the process's, not a caller's), or with
        `as_caller` those the current caller's policy lets them search."""
        found: list[Assistant] = []
        offset = 0
        while True:
            with contextlib.nullcontext() if as_caller else authz.acting_as(None):
                page = await self._assistants.search(
                    limit=_PAGE, offset=offset, sort_by="created_at", sort_order="asc"
                )
            found.extend(page)
            if len(page) < _PAGE:
                break
            offset += _PAGE
        found.sort(key=lambda a: (a.created_at, a.assistant_id))
        return found

    async def _graph_schemas(self, graph_id: str) -> dict[str, Any]:
        cached = self._schemas.get(graph_id)
        if cached is None:
            graph = await self._assistants.graph(graph_id).schema_graph()
            cached = graph_schemas(graph)
            self._schemas[graph_id] = cached
        return cached

    async def _build(self) -> dict[str, ToolEntry]:
        entries: dict[str, ToolEntry] = {}
        for assistant in await self._all_assistants():
            if assistant.graph_id not in self._assistants.graphs:
                continue
            try:
                schemas = await self._graph_schemas(assistant.graph_id)
            except Exception:
                log.warning(
                    "cannot read the schemas of graph %r", assistant.graph_id, exc_info=True
                )
                schemas = {}
            override = self._overrides.get(assistant.graph_id, {})
            schemas = {
                **schemas,
                "input_schema": override.get("inputSchema", schemas.get("input_schema")),
                "output_schema": override.get("outputSchema", schemas.get("output_schema")),
            }
            name = unique_name(sanitise(assistant.name), set(entries))
            in_schema, messages = input_schema(schemas.get("input_schema"))
            definition: dict[str, Any] = {
                "name": name,
                "description": override.get("description")
                or assistant.description
                or self._assistants.graphs[assistant.graph_id].description
                or f"Runs the {assistant.graph_id} agent.",
                "inputSchema": in_schema,
            }
            if override.get("title") or assistant.name != name:
                definition["title"] = override.get("title") or assistant.name
            out_schema = output_schema(schemas.get("output_schema"))
            if out_schema is not None:
                definition["outputSchema"] = out_schema
            definition["_meta"] = {
                "interop/assistant_id": assistant.assistant_id,
                "interop/graph_id": assistant.graph_id,
            }
            entries[name] = ToolEntry(
                name=name,
                assistant_id=assistant.assistant_id,
                graph_id=assistant.graph_id,
                messages_input=messages,
                definition=definition,
            )
        return entries
