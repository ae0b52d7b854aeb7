"""Storage protocols the services depend on. `interop.storage` implements them.

Contracts every implementation keeps:
- Methods that address one record by id return None (or False) when it does not exist;
  they never raise NotFound themselves: the services decide what a miss means.
- `RunStore.create` is atomic with its multitask check: with `reject_if_inflight`, it raises
  `Conflict` when the thread already has a pending or running run, and inserts nothing.
- Timestamps are timezone-aware UTC datetimes; JSON fields are plain dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol

from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple

from interop.core.models import Assistant, Run, RunStatus, Thread, ThreadStatus

SortOrder = Literal["asc", "desc"]


class AssistantStore(Protocol):
    async def create(self, assistant: Assistant) -> bool:
        """Insert `assistant` as version 1; False (and no write) when the id exists."""

    async def get(self, assistant_id: str) -> Assistant | None: ...

    async def update(self, assistant_id: str, changes: dict[str, Any]) -> Assistant | None:
        """Apply `changes` (graph_id, config, context, metadata merge, name, description) as a
        new version that becomes the latest."""

    async def delete(self, assistant_id: str) -> bool: ...

    async def search(
        self,
        *,
        graph_id: str | None,
        name: str | None,
        metadata: dict[str, Any] | None,
        limit: int,
        offset: int,
        sort_by: str | None,
        sort_order: SortOrder | None,
    ) -> list[Assistant]: ...

    async def count(
        self, *, graph_id: str | None, name: str | None, metadata: dict[str, Any] | None
    ) -> int: ...

    async def versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[Assistant]:
        """All versions, newest first (each as an Assistant whose `version` is that version)."""

    async def set_latest(self, assistant_id: str, version: int) -> Assistant | None:
        """Make `version` current; None when the assistant or the version does not exist."""


class ThreadStore(Protocol):
    async def create(self, thread: Thread) -> bool:
        """Insert; False (and no write) when the id exists."""

    async def get(self, thread_id: str) -> Thread | None: ...

    async def metadata(self, thread_id: str) -> dict[str, Any] | None:
        """Only the thread's metadata (None for an unknown thread): cheaper than `get`, which
        also reads the thread's values."""

    async def update_metadata(self, thread_id: str, metadata: dict[str, Any]) -> Thread | None:
        """Merge `metadata` into the thread's metadata."""

    async def set_state(
        self,
        thread_id: str,
        *,
        status: ThreadStatus,
        values: dict[str, Any] | None,
        interrupts: dict[str, Any],
    ) -> None:
        """Record the thread's status and its latest values and interrupts."""

    async def set_status(self, thread_id: str, status: ThreadStatus) -> None: ...

    async def delete(self, thread_id: str) -> bool:
        """Delete the thread and its runs (checkpoints are the checkpointer's business)."""

    async def search(
        self,
        *,
        ids: Sequence[str] | None,
        metadata: dict[str, Any] | None,
        values: dict[str, Any] | None,
        status: ThreadStatus | None,
        limit: int,
        offset: int,
        sort_by: str | None,
        sort_order: SortOrder | None,
    ) -> list[Thread]: ...

    async def count(
        self,
        *,
        metadata: dict[str, Any] | None,
        values: dict[str, Any] | None,
        status: ThreadStatus | None,
        ids: Sequence[str] | None = None,
    ) -> int: ...


class RunStore(Protocol):
    async def create(self, run: Run, *, reject_if_inflight: bool) -> None:
        """Insert `run` and mark its thread busy, atomically; see the module contract."""

    async def get(self, run_id: str, thread_id: str | None = None) -> Run | None: ...

    async def for_thread(
        self, thread_id: str, *, limit: int, offset: int, status: RunStatus | None
    ) -> list[Run]:
        """The thread's runs, newest first."""

    async def search(
        self,
        *,
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
        limit: int,
        offset: int,
    ) -> list[Run]:
        """Runs matching every given filter (metadata by JSON containment), newest first."""

    async def count(
        self,
        *,
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
    ) -> int: ...

    async def inflight(self, thread_id: str) -> list[Run]:
        """The thread's pending and running runs, oldest first."""

    async def set_status(
        self, run_id: str, status: RunStatus, *, attempt: int | None = None
    ) -> None: ...

    async def finish(
        self,
        run_id: str,
        status: RunStatus,
        *,
        thread_id: str,
        thread_status: ThreadStatus,
        values: dict[str, Any] | None,
        interrupts: dict[str, Any],
        error: dict[str, Any] | None,
        update_values: bool,
    ) -> None:
        """Record a run's end and its thread's new status (and values, when `update_values`)
        in one transaction."""

    async def delete(self, run_id: str) -> bool: ...

    async def with_status(self, *statuses: RunStatus) -> list[Run]:
        """Every run in one of `statuses`, oldest first (used by crash recovery)."""


class Checkpointer(Protocol):
    """The LangGraph checkpoint saver plus the thread-level operations the services need."""

    @property
    def saver(self) -> BaseCheckpointSaver[Any]: ...

    async def delete_for_runs(self, thread_id: str, run_ids: Sequence[str]) -> None: ...

    async def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None: ...

    async def prune(
        self, thread_ids: Sequence[str], strategy: Literal["delete", "keep_latest"]
    ) -> None: ...

    async def delete_thread(self, thread_id: str) -> None: ...

    async def run_has_progress(self, thread_id: str, run_id: str) -> bool:
        """True when the run finished at least one task (its effects may be outside the graph)."""


class Storage(Protocol):
    @property
    def assistants(self) -> AssistantStore: ...

    @property
    def threads(self) -> ThreadStore: ...

    @property
    def runs(self) -> RunStore: ...

    @property
    def checkpoints(self) -> Checkpointer: ...

    async def adopt(self, thread: Thread, run: Run, checkpoints: Sequence[CheckpointTuple]) -> None:
        """Store a thread that lived in memory until its first run ended: the thread (with
        its final state), that run (ended) and the checkpoints it made, as one write."""

    async def setup(self) -> None:
        """Open connections and create tables; idempotent."""

    async def close(self) -> None: ...
