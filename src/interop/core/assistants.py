"""AssistantService: assistants are configured graphs; one system assistant per graph."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Literal, get_args

from interop.core import authz
from interop.core.errors import Conflict, InvalidInput, NotFound
from interop.core.graphs import GraphEntry, graph_schemas
from interop.core.ids import is_uuid, new_id, now, system_assistant_id
from interop.core.models import Assistant
from interop.core.serde import to_jsonable
from interop.core.storage import AssistantSortKey, SortOrder, Storage

log = logging.getLogger("interop.assistants")

_SORT_KEYS: frozenset[str] = frozenset(get_args(AssistantSortKey))


def sort_key(sort_by: str | None) -> AssistantSortKey:
    """The column a search sorts by: `sort_by` when it names one, else `created_at`."""
    return sort_by if sort_by in _SORT_KEYS else "created_at"  # type: ignore[return-value]


class AssistantService:
    """Create, read, version and search assistants; resolve ids and graph names to graphs."""

    def __init__(self, storage: Storage, graphs: dict[str, GraphEntry]) -> None:
        self._storage = storage
        self.graphs = graphs
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after an assistant is created, updated or deleted in this process
        (front doors that list assistants, such as MCP's tools, refresh on it)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    async def ensure_system_assistants(self) -> None:
        """Create the system assistant of every graph that does not have one yet."""
        for graph_id, entry in self.graphs.items():
            stamp = now()
            created = await self._storage.assistants.create(
                Assistant(
                    assistant_id=system_assistant_id(graph_id),
                    graph_id=graph_id,
                    config={},
                    context={},
                    metadata={"created_by": "system"},
                    name=graph_id,
                    description=entry.description,
                    version=1,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
            if created:
                log.info("created system assistant for graph %r", graph_id)

    def graph(self, graph_id: str) -> GraphEntry:
        """The loaded graph `graph_id`; raises NotFound."""
        entry = self.graphs.get(graph_id)
        if entry is None:
            raise NotFound(f"Graph '{graph_id}' not found.")
        return entry

    async def get(self, assistant_id: str) -> Assistant:
        """The assistant with this id, or the system assistant of the graph with this name (the
        caller's `read`).

        Raises NotFound for an unknown UUID (or one outside the caller's filter), InvalidInput
        for anything that is neither a UUID nor a graph name."""
        return await self._authorized("read", assistant_id)

    async def _authorized(
        self, action: str, assistant_id: str, value: dict[str, Any] | None = None
    ) -> Assistant:
        """`get`, for `action` of the caller's policy."""
        if not is_uuid(assistant_id):
            if assistant_id in self.graphs:
                assistant_id = system_assistant_id(assistant_id)
            else:
                raise InvalidInput(
                    f"Invalid assistant: '{assistant_id}'. Must be a valid assistant UUID or one"
                    f" of the registered graphs: {', '.join(sorted(self.graphs))}."
                )
        filters = await authz.authorize(
            "assistants", action, {"assistant_id": assistant_id, **(value or {})}
        )
        assistant = await self._storage.assistants.get(assistant_id)
        if assistant is None or not authz.matches(filters, assistant.metadata):
            raise NotFound(f"Assistant '{assistant_id}' not found.")
        return assistant

    async def create(
        self,
        *,
        graph_id: str,
        assistant_id: str | None = None,
        config: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        name: str | None = None,
        description: str | None = None,
        if_exists: Literal["raise", "do_nothing"] = "raise",
    ) -> Assistant:
        """Create an assistant for a loaded graph. Raises NotFound for an unknown graph and
        Conflict for an existing id (unless `if_exists` is do_nothing: then the existing one)."""
        if graph_id not in self.graphs:
            raise NotFound(f"Graph '{graph_id}' not found. Expected one of: {sorted(self.graphs)}")
        value: dict[str, Any] = {
            "assistant_id": assistant_id or new_id(),
            "graph_id": graph_id,
            "config": config or {},
            "context": context or {},
            "metadata": dict(metadata or {}),
            "name": name,
            "if_exists": if_exists,
        }
        filters = await authz.authorize("assistants", "create", value)
        stamp = now()
        assistant = Assistant(
            assistant_id=value["assistant_id"],
            graph_id=graph_id,
            config=config or {},
            context=context or {},
            metadata=dict(value.get("metadata") or {}),
            name=name or "Untitled",
            description=description,
            version=1,
            created_at=stamp,
            updated_at=stamp,
        )
        if await self._storage.assistants.create(assistant):
            self._changed()
            return assistant
        existing = await self._storage.assistants.get(assistant.assistant_id)
        if (
            if_exists == "do_nothing"
            and existing is not None
            and authz.matches(filters, existing.metadata)
        ):
            return existing
        raise Conflict(f"Assistant '{assistant.assistant_id}' already exists.")

    async def update(self, assistant_id: str, changes: dict[str, Any]) -> Assistant:
        """Apply `changes` as a new version that becomes current: graph_id, config, context,
        name replace the current ones when given (not None); description when present (None
        clears it); metadata is merged into the current metadata (top-level keys replaced).
        Raises NotFound, InvalidInput (unknown graph)."""
        value: dict[str, Any] = {**changes, "metadata": dict(changes.get("metadata") or {})}
        current = await self._authorized("update", assistant_id, value)
        changes = {**changes, "metadata": value.get("metadata") or {}}
        graph_id = changes.get("graph_id")
        if graph_id is not None and graph_id not in self.graphs:
            raise InvalidInput(f"Graph '{graph_id}' not found.")
        merged = replace(
            current,
            graph_id=graph_id or current.graph_id,
            config=_given(changes, "config", current.config),
            context=_given(changes, "context", current.context),
            metadata={**current.metadata, **(changes.get("metadata") or {})},
            name=_given(changes, "name", current.name),
            description=changes.get("description", current.description),
            updated_at=now(),
        )
        updated = await self._storage.assistants.add_version(merged)
        if updated is None:
            raise NotFound(f"Assistant '{assistant_id}' not found.")
        self._changed()
        return updated

    async def delete(self, assistant_id: str) -> None:
        """Delete an assistant. Raises Conflict for a graph's system assistant: every door
        reaches the graph by name through it."""
        current = await self._authorized("delete", assistant_id)
        if current.assistant_id == system_assistant_id(current.graph_id):
            raise Conflict(
                f"Assistant '{current.assistant_id}' is the system assistant of graph "
                f"'{current.graph_id}' and cannot be deleted."
            )
        await self._storage.assistants.delete(current.assistant_id)
        self._changed()

    async def search(
        self,
        *,
        graph_id: str | None = None,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        sort_by: str | None = None,
        sort_order: SortOrder | None = None,
    ) -> list[Assistant]:
        metadata, possible = await authz.search_filter(
            "assistants",
            {
                "graph_id": graph_id,
                "metadata": metadata,
                "limit": limit,
                "offset": offset,
            },
        )
        if not possible:
            return []
        return await self._storage.assistants.search(
            graph_id=graph_id,
            name=name,
            metadata=metadata,
            limit=limit,
            offset=offset,
            sort_by=sort_key(sort_by),
            sort_order=sort_order or "desc",
        )

    async def count(
        self,
        *,
        graph_id: str | None = None,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> int:
        metadata, possible = await authz.search_filter(
            "assistants", {"graph_id": graph_id, "metadata": metadata}
        )
        if not possible:
            return 0
        return await self._storage.assistants.count(graph_id=graph_id, name=name, metadata=metadata)

    async def versions(
        self,
        assistant_id: str,
        *,
        metadata: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> list[Assistant]:
        current = await self.get(assistant_id)
        return await self._storage.assistants.versions(
            current.assistant_id, metadata=metadata, limit=limit, offset=offset
        )

    async def set_latest(self, assistant_id: str, version: int) -> Assistant:
        current = await self._authorized("update", assistant_id, {"version": version})
        updated = await self._storage.assistants.set_latest(current.assistant_id, version, at=now())
        if updated is None:
            raise NotFound(f"Version {version} of assistant '{assistant_id}' not found.")
        self._changed()
        return updated

    async def drawing(self, assistant_id: str, *, xray: bool | int = False) -> dict[str, Any]:
        """The graph's nodes and edges as JSON."""
        assistant = await self.get(assistant_id)
        graph = await self.graph(assistant.graph_id).schema_graph()
        drawable = await graph.aget_graph(xray=xray)
        return dict(to_jsonable(drawable.to_json()))

    async def schemas(self, assistant_id: str) -> dict[str, Any]:
        assistant = await self.get(assistant_id)
        graph = await self.graph(assistant.graph_id).schema_graph()
        return {"graph_id": assistant.graph_id, **graph_schemas(graph)}

    async def subgraphs(
        self, assistant_id: str, *, namespace: str | None = None, recurse: bool = False
    ) -> dict[str, Any]:
        assistant = await self.get(assistant_id)
        graph = await self.graph(assistant.graph_id).schema_graph()
        return {
            ns: graph_schemas(subgraph)  # type: ignore[arg-type]
            async for ns, subgraph in graph.aget_subgraphs(namespace=namespace, recurse=recurse)
        }


def _given(changes: dict[str, Any], key: str, current: Any) -> Any:
    value = changes.get(key)
    return current if value is None else value
