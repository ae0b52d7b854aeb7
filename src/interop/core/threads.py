"""ThreadService: threads, their state (checkpoints) and history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal, get_args

from langchain_core.runnables import RunnableConfig
from langgraph.errors import EmptyInputError, InvalidUpdateError
from langgraph.pregel import Pregel
from langgraph.types import Command, StateUpdate

from interop.core import authz
from interop.core.assistants import AssistantService
from interop.core.errors import Conflict, InvalidInput, NotFound
from interop.core.ids import new_id, now
from interop.core.models import Thread, ThreadStatus
from interop.core.ports import ThreadRunCanceller
from interop.core.state import checkpoint_record, empty_state, snapshot_record, thread_interrupts
from interop.core.storage import SortOrder, Storage, ThreadSortKey
from interop.core.thread_ttl import ThreadTtl

_SORT_KEYS: frozenset[str] = frozenset(get_args(ThreadSortKey))


def sort_key(sort_by: str | None) -> ThreadSortKey:
    """The column a search sorts by: `sort_by` when it names one, else `created_at`."""
    return sort_by if sort_by in _SORT_KEYS else "created_at"  # type: ignore[return-value]


class ThreadService:
    def __init__(
        self, storage: Storage, assistants: AssistantService, runs: ThreadRunCanceller
    ) -> None:
        self._storage = storage
        self._assistants = assistants
        self._runs = runs  # deleting a thread cancels its runs first
        self.ttl: ThreadTtl | None = None  # stamps threads' expiry (set by the app)

    async def create(
        self,
        *,
        thread_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        if_exists: Literal["raise", "do_nothing"] = "raise",
        supersteps: Sequence[dict[str, Any]] | None = None,
        ttl: dict[str, Any] | None = None,
    ) -> Thread:
        """Create a thread; Conflict when the id exists (unless if_exists=do_nothing: then the
        existing one, when the caller may see it). The caller's policy may stamp metadata."""
        ThreadTtl.check(ttl)
        thread_id = thread_id or new_id()
        value: dict[str, Any] = {
            "thread_id": thread_id,
            "metadata": dict(metadata or {}),
            "if_exists": if_exists,
        }
        filters = await authz.authorize("threads", "create", value)
        stamp = now()
        thread = Thread(
            thread_id=thread_id,
            created_at=stamp,
            updated_at=stamp,
            metadata=dict(value.get("metadata") or {}),
        )
        if not await self._storage.threads.create(thread):
            existing = await self._storage.threads.get(thread_id)
            if (
                if_exists == "do_nothing"
                and existing is not None
                and authz.matches(filters, existing.metadata)
            ):
                return existing
            raise Conflict(f"Thread '{thread.thread_id}' already exists.")
        if self.ttl is not None:
            await self.ttl.apply(thread.thread_id, ttl, created=True)
        if supersteps:
            await self._apply_supersteps(thread, supersteps)
            return await self._fetch(thread.thread_id)
        return thread

    async def _apply_supersteps(self, thread: Thread, supersteps: Sequence[dict[str, Any]]) -> None:
        graph_id = thread.metadata.get("graph_id")
        if not isinstance(graph_id, str):
            await self._storage.threads.delete(thread.thread_id)
            raise InvalidInput("supersteps need the thread's metadata.graph_id to name a graph")
        graph = await self._graph(graph_id)
        config = RunnableConfig(configurable={"thread_id": thread.thread_id, "checkpoint_ns": ""})
        steps = [
            [
                _state_update(u.get("values"), u.get("as_node"), u.get("command"))
                for u in step.get("updates", [])
            ]
            for step in supersteps
        ]
        try:
            await graph.abulk_update_state(config, steps)
        except (InvalidUpdateError, EmptyInputError, ValueError, KeyError) as exc:
            await self._storage.threads.delete(thread.thread_id)
            raise InvalidInput(f"invalid supersteps: {exc}") from exc
        await self._sync_thread(thread.thread_id, graph, config)

    async def _fetch(self, thread_id: str) -> Thread:
        thread = await self._storage.threads.get(thread_id)
        if thread is None:
            raise NotFound(f"Thread '{thread_id}' not found.")
        return thread

    async def _authorized(
        self, action: str, thread_id: str, value: dict[str, Any] | None = None
    ) -> Thread:
        """The thread, once the caller's policy allows `action` on it; NotFound when it does
        not exist or is outside the policy's filter."""
        filters = await authz.authorize(
            "threads", action, {"thread_id": thread_id, **(value or {})}
        )
        thread = await self._storage.threads.get(thread_id)
        if thread is None or not authz.matches(filters, thread.metadata):
            raise NotFound(f"Thread '{thread_id}' not found.")
        return thread

    async def get(self, thread_id: str) -> Thread:
        """The thread (the caller's `read`); NotFound."""
        return await self._authorized("read", thread_id)

    async def update(
        self, thread_id: str, metadata: dict[str, Any], ttl: dict[str, Any] | None = None
    ) -> Thread:
        """Merge `metadata` into the thread's (top-level keys replaced, as for assistants);
        a `ttl` restarts the thread's expiry."""
        ThreadTtl.check(ttl)
        value: dict[str, Any] = {"metadata": dict(metadata)}
        thread = await self._authorized("update", thread_id, value)
        metadata = value.get("metadata") or {}
        updated = replace(thread, metadata={**thread.metadata, **metadata}, updated_at=now())
        if not await self._storage.threads.set_metadata(
            thread_id, updated.metadata, at=updated.updated_at
        ):
            raise NotFound(f"Thread '{thread_id}' not found.")
        if self.ttl is not None and ttl is not None:
            await self.ttl.apply(thread_id, ttl, created=False)
        return updated

    async def delete(self, thread_id: str) -> None:
        """Delete the thread, cancelling its pending and running runs first."""
        await self._authorized("delete", thread_id)
        await self._runs.cancel_thread_runs(thread_id)
        await self._storage.threads.delete(thread_id)
        await self._storage.checkpoints.delete_thread(thread_id)

    async def search(
        self,
        *,
        ids: Sequence[str] | None = None,
        metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        status: ThreadStatus | None = None,
        limit: int = 10,
        offset: int = 0,
        sort_by: str | None = None,
        sort_order: SortOrder | None = None,
    ) -> list[Thread]:
        metadata, possible = await authz.search_filter(
            "threads",
            {
                "metadata": metadata,
                "values": values,
                "status": status,
                "limit": limit,
                "offset": offset,
            },
        )
        if not possible:
            return []
        return await self._storage.threads.search(
            ids=ids,
            metadata=metadata,
            values=values,
            status=status,
            limit=limit,
            offset=offset,
            sort_by=sort_key(sort_by),
            sort_order=sort_order or "desc",
        )

    async def count(
        self,
        *,
        metadata: dict[str, Any] | None = None,
        values: dict[str, Any] | None = None,
        status: ThreadStatus | None = None,
        ids: Sequence[str] | None = None,
    ) -> int:
        metadata, possible = await authz.search_filter(
            "threads", {"metadata": metadata, "values": values, "status": status}
        )
        if not possible:
            return 0
        return await self._storage.threads.count(
            metadata=metadata, values=values, status=status, ids=ids
        )

    async def copy(self, thread_id: str) -> Thread:
        """A new thread with the same metadata, values and full checkpoint history (the
        caller's `read` on the source and `create` of the copy)."""
        source = await self.get(thread_id)
        target_id = new_id()
        value: dict[str, Any] = {
            "thread_id": target_id,
            "metadata": dict(source.metadata),
            "if_exists": "raise",
        }
        await authz.authorize("threads", "create", value)
        stamp = now()
        target = Thread(
            thread_id=target_id,
            created_at=stamp,
            updated_at=stamp,
            metadata=dict(value.get("metadata") or {}),
            status="idle" if source.status == "busy" else source.status,
            config=dict(source.config),
            values=source.values,
            interrupts=dict(source.interrupts),
            state_updated_at=stamp,
        )
        await self._storage.threads.create(target)
        await self._storage.checkpoints.copy_thread(thread_id, target.thread_id)
        return target

    async def prune(
        self, thread_ids: Sequence[str], strategy: Literal["delete", "keep_latest"]
    ) -> int:
        """Delete threads (strategy delete) or all but their latest checkpoint (keep_latest).
        Returns how many existing threads were pruned."""
        pruned = 0
        for thread_id in thread_ids:
            try:
                if strategy == "delete":
                    await self.delete(thread_id)
                else:
                    await self._authorized("update", thread_id)
                    await self._storage.checkpoints.prune([thread_id], "keep_latest")
            except NotFound:
                continue  # unknown, or outside the caller's filter
            pruned += 1
        return pruned

    # -- state --------------------------------------------------------------------------------

    async def _graph(self, graph_id: str) -> Pregel[Any]:
        entry = self._assistants.graph(graph_id)
        config = RunnableConfig(configurable={})
        return await entry.build(config, self._storage.checkpoints.saver, self._storage.store)

    async def _thread_graph(self, thread: Thread) -> Pregel[Any] | None:
        graph_id = thread.metadata.get("graph_id")
        if not isinstance(graph_id, str) or graph_id not in self._assistants.graphs:
            return None
        return await self._graph(graph_id)

    @staticmethod
    def _config(thread_id: str, checkpoint: dict[str, Any] | None = None) -> RunnableConfig:
        configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ""}
        if checkpoint:
            for key in ("checkpoint_id", "checkpoint_ns", "checkpoint_map"):
                if checkpoint.get(key) is not None:
                    configurable[key] = checkpoint[key]
        return RunnableConfig(configurable=configurable)

    async def get_state(
        self, thread_id: str, *, checkpoint: dict[str, Any] | None = None, subgraphs: bool = False
    ) -> dict[str, Any]:
        """The thread's state now, or at `checkpoint`. NotFound for an unknown thread or
        checkpoint."""
        thread = await self.get(thread_id)
        graph = await self._thread_graph(thread)
        if graph is None:
            if checkpoint and checkpoint.get("checkpoint_id"):
                raise NotFound(f"Checkpoint '{checkpoint['checkpoint_id']}' not found.")
            return empty_state()
        config = self._config(thread_id, checkpoint)
        snapshot = await graph.aget_state(config, subgraphs=subgraphs)
        if snapshot.config is None or "checkpoint_id" not in snapshot.config.get(
            "configurable", {}
        ):
            if checkpoint and checkpoint.get("checkpoint_id"):
                raise NotFound(f"Checkpoint '{checkpoint['checkpoint_id']}' not found.")
            return empty_state()
        return snapshot_record(snapshot)

    async def update_state(
        self,
        thread_id: str,
        *,
        values: Any,
        as_node: str | None = None,
        checkpoint: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Write `values` to the thread's state as if `as_node` produced them; returns the new
        checkpoint. Conflict while a run is in flight; InvalidInput for a bad update."""
        thread = await self._authorized("update", thread_id)
        if thread.status == "busy":
            raise Conflict(f"Thread '{thread_id}' is busy.")
        graph = await self._thread_graph(thread)
        if graph is None:
            raise InvalidInput(f"Thread '{thread_id}' has no graph yet: run it once first.")
        config = self._config(thread_id, checkpoint)
        try:
            new_config = await graph.aupdate_state(config, values, as_node=as_node)
        except (InvalidUpdateError, EmptyInputError, ValueError, KeyError) as exc:
            raise InvalidInput(f"invalid state update: {exc}") from exc
        await self._sync_thread(thread_id, graph, self._config(thread_id))
        return {"checkpoint": checkpoint_record(new_config)}

    async def _sync_thread(
        self, thread_id: str, graph: Pregel[Any], config: RunnableConfig
    ) -> None:
        snapshot = await graph.aget_state(config)
        interrupts = thread_interrupts(snapshot)
        record = snapshot_record(snapshot)
        await self._storage.threads.set_state(
            thread_id,
            status="interrupted" if interrupts else "idle",
            values=record["values"] if isinstance(record["values"], dict) else None,
            interrupts=interrupts,
            at=now(),
        )

    async def history(
        self,
        thread_id: str,
        *,
        limit: int = 10,
        before: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        checkpoint: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Past states, newest first."""
        thread = await self.get(thread_id)
        graph = await self._thread_graph(thread)
        if graph is None:
            return []
        before_config = self._config(thread_id, before) if before else None
        return [
            snapshot_record(snapshot)
            async for snapshot in graph.aget_state_history(
                self._config(thread_id, checkpoint),
                limit=limit,
                before=before_config,
                filter=metadata or None,
            )
        ]


def _state_update(values: Any, as_node: str | None, command: dict[str, Any] | None) -> Any:
    if command:
        return StateUpdate(Command(**command), as_node)  # type: ignore[arg-type]
    return StateUpdate(values, as_node)
