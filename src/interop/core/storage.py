"""Storage protocols the services depend on. `interop.storage` implements them.

A backend stores finished records and performs the atomic steps the services ask for; the
rules (assistant versioning and field merging, metadata merging, timestamps, which sort keys
exist, error wording) live in the services, so a second backend re-implements none of them.

Contracts every implementation keeps:
- Methods that address one record by id return None (or False) when it does not exist;
  they never raise the core's errors: the services decide what a miss means.
- Every timestamp written is one the caller passes (`at`, or a field of the record); a backend
  never reads the clock. Timestamps are timezone-aware UTC datetimes; JSON fields are plain
  dicts, stored and returned unchanged.
- Lists come back in the order each method names, ties broken by id in the same direction.
- JSON filters (`metadata`, `values`) match by containment, as Postgres `@>`: every key of an
  expected object is present with a contained value; an expected array's items each appear.
- `RunStore.create` is atomic with its multitask check (`reject_if_inflight`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple

from interop.core.models import Assistant, Run, RunStatus, Thread, ThreadStatus

SortOrder = Literal["asc", "desc"]
AssistantSortKey = Literal["assistant_id", "created_at", "updated_at", "name", "graph_id"]
ThreadSortKey = Literal["thread_id", "status", "created_at", "updated_at", "state_updated_at"]


class AssistantStore(Protocol):
    """Assistants and their versions. The current record is one of the stored versions."""

    async def create(self, assistant: Assistant) -> bool:
        """Insert `assistant` and store it as its version `assistant.version`; False (and no
        write) when the id exists."""

    async def get(self, assistant_id: str) -> Assistant | None:
        """The current version."""

    async def add_version(self, assistant: Assistant) -> Assistant | None:
        """Store `assistant` (a finished record: fields merged and `updated_at` stamped by the
        service) as a new version and make it current, atomically. The backend numbers it one
        past the highest stored version (whatever `assistant.version` says) and returns the
        record with that number. None (and no write) when the assistant does not exist."""

    async def set_latest(
        self, assistant_id: str, version: int, *, at: datetime
    ) -> Assistant | None:
        """Make stored `version` current (its fields, `updated_at` = `at`) and return the
        current record; None (and no write) when the assistant or the version does not exist."""

    async def delete(self, assistant_id: str) -> bool:
        """Delete the assistant and all its versions; False when it does not exist."""

    async def search(
        self,
        *,
        graph_id: str | None,
        name: str | None,
        metadata: dict[str, Any] | None,
        limit: int,
        offset: int,
        sort_by: AssistantSortKey,
        sort_order: SortOrder,
    ) -> list[Assistant]:
        """Current records matching every given filter (`name`: a substring of the name)."""

    async def count(
        self, *, graph_id: str | None, name: str | None, metadata: dict[str, Any] | None
    ) -> int:
        """How many records `search` would find with no limit."""

    async def versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[Assistant]:
        """Stored versions, newest first (each as an Assistant whose `version` is that version
        and whose `updated_at` is when that version was stored); [] for an unknown id."""


class ThreadStore(Protocol):
    async def create(self, thread: Thread) -> bool:
        """Insert the record as given; False (and no write) when the id exists."""

    async def get(self, thread_id: str) -> Thread | None: ...

    async def metadata(self, thread_id: str) -> dict[str, Any] | None:
        """Only the thread's metadata (None for an unknown thread): cheaper than `get`, which
        also reads the thread's values."""

    async def set_metadata(self, thread_id: str, metadata: dict[str, Any], *, at: datetime) -> bool:
        """Replace the thread's metadata (the service has merged it); `updated_at` = `at`.
        False when the thread does not exist."""

    async def set_state(
        self,
        thread_id: str,
        *,
        status: ThreadStatus,
        values: dict[str, Any] | None,
        interrupts: dict[str, Any],
        at: datetime,
    ) -> None:
        """Record the thread's status, latest values and interrupts; clear its error;
        `updated_at` and `state_updated_at` = `at`."""

    async def set_status(self, thread_id: str, status: ThreadStatus, *, at: datetime) -> None:
        """Record the thread's status; `updated_at` = `at`."""

    async def delete(self, thread_id: str) -> bool:
        """Delete the thread and its runs (checkpoints are the checkpointer's business);
        False when it does not exist."""

    async def search(
        self,
        *,
        ids: Sequence[str] | None,
        metadata: dict[str, Any] | None,
        values: dict[str, Any] | None,
        status: ThreadStatus | None,
        limit: int,
        offset: int,
        sort_by: ThreadSortKey,
        sort_order: SortOrder,
    ) -> list[Thread]:
        """Threads matching every given filter (`ids`: one of them)."""

    async def count(
        self,
        *,
        metadata: dict[str, Any] | None,
        values: dict[str, Any] | None,
        status: ThreadStatus | None,
        ids: Sequence[str] | None = None,
    ) -> int:
        """How many threads `search` would find with no limit."""


class RunStore(Protocol):
    async def create(self, run: Run, *, reject_if_inflight: bool) -> bool:
        """Insert `run` and set its thread's status to `busy` (`updated_at` = the run's
        `created_at`), in one transaction. With `reject_if_inflight`, when the thread already
        has a pending or running run, insert nothing and return False; the check and the insert
        are atomic against any other writer (another process included). True when inserted."""

    async def get(self, run_id: str, thread_id: str | None = None) -> Run | None:
        """The run; with `thread_id`, only when it belongs to that thread."""

    async def for_thread(
        self, thread_id: str, *, limit: int, offset: int, status: RunStatus | None
    ) -> list[Run]:
        """The thread's runs, newest first (by `created_at`)."""

    async def search(
        self,
        *,
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
        limit: int,
        offset: int,
    ) -> list[Run]:
        """Runs matching every given filter, newest first."""

    async def count(
        self,
        *,
        thread_id: str | None,
        statuses: Sequence[RunStatus] | None,
        metadata: dict[str, Any] | None,
    ) -> int:
        """How many runs `search` would find with no limit."""

    async def inflight(self, thread_id: str) -> list[Run]:
        """The thread's pending and running runs, oldest first."""

    async def set_status(
        self, run_id: str, status: RunStatus, *, at: datetime, attempt: int | None = None
    ) -> None:
        """Record the run's status (and `attempt`, when given); `updated_at` = `at`."""

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
        at: datetime,
    ) -> None:
        """In one transaction: the run's `status`; its thread's `thread_status` and `error`;
        when `update_values`, also the thread's values and interrupts (and `state_updated_at`).
        Every `updated_at` written is `at`."""

    async def delete(self, run_id: str) -> bool:
        """False when the run does not exist."""

    async def with_status(self, *statuses: RunStatus) -> list[Run]:
        """Every run in one of `statuses`, oldest first (crash recovery, cancel by status)."""

    # -- run claims (primitives for a run queue shared by processes; not wired yet) ------------

    async def claim(self, owner: str, *, at: datetime, until: datetime, limit: int) -> list[Run]:
        """Take up to `limit` runs for `owner`, oldest first: pending runs, and running runs
        whose lease expired before `at` (their process is presumed gone). At most one per
        thread, and none of a thread that has a running run under a live lease, so a thread's
        runs still go one at a time in order. Each claimed run becomes `running`, leased to
        `owner` until `until`, with its `attempt` incremented: the fencing token the claimer
        presents to `renew` and `release`. Atomic against every other claimer (another process
        included): a run is claimed by one of them."""

    async def renew(self, run_id: str, attempt: int, *, until: datetime) -> bool:
        """Extend the lease to `until` while the run is running under `attempt`; False when it
        is not (its lease expired and another claimer took it, or it ended): the caller has
        lost the run and must write nothing more for it."""

    async def release(self, run_id: str, attempt: int, *, at: datetime) -> bool:
        """Give a running run back (pending again, no lease) while it runs under `attempt`, for
        another claimer to take; False when it does not."""


@dataclass(slots=True)
class AdapterRecord:
    """A protocol adapter's own record, shared by every process: an A2A push config, an MCP
    task, an MCP session. `kind` names the sort, `key` is unique within it, `scope` groups the
    records listed together (a push config's task, an MCP task's session); `data` is the
    adapter's JSON. A record whose `expires_at` has passed is gone for every reader."""

    kind: str
    key: str
    scope: str
    data: dict[str, Any]
    created_at: datetime
    expires_at: datetime | None = None


class AdapterStore(Protocol):
    """The adapters' records (what the protocol doors keep beyond runs and threads)."""

    async def put(self, record: AdapterRecord) -> None:
        """Insert the record, or replace every field of the one with its kind and key."""

    async def get(self, kind: str, key: str, *, at: datetime) -> AdapterRecord | None:
        """The record; None when it does not exist or expired at or before `at`."""

    async def list(self, kind: str, scope: str, *, at: datetime, limit: int) -> list[AdapterRecord]:
        """The scope's records of `kind` not expired at `at`, oldest first (by `created_at`)."""

    async def delete(self, kind: str, key: str) -> bool:
        """False when the record does not exist."""

    async def purge(self, *, at: datetime) -> int:
        """Delete every record expired at or before `at`; how many."""


class Checkpointer(Protocol):
    """The LangGraph checkpoint saver plus the thread-level operations the services need."""

    @property
    def saver(self) -> BaseCheckpointSaver[Any]: ...

    async def delete_for_runs(self, thread_id: str, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their writes) of `thread_id` that `run_ids` made."""

    async def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint and write of the source thread to the target thread."""

    async def prune(
        self, thread_ids: Sequence[str], strategy: Literal["delete", "keep_latest"]
    ) -> None:
        """Delete the threads' checkpoints (`delete`) or all but the newest of each namespace
        (`keep_latest`)."""

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

    @property
    def adapters(self) -> AdapterStore: ...

    async def adopt(self, thread: Thread, run: Run, checkpoints: Sequence[CheckpointTuple]) -> None:
        """Store a thread that lived in memory until its first run ended: the thread (with
        its final state), that run (ended) and the checkpoints it made, as one write. A thread
        id that exists already is left as it is (the run and checkpoints are still stored)."""

    async def setup(self) -> None:
        """Open connections and create tables; idempotent."""

    async def close(self) -> None:
        """Finish writes already handed over (adoptions), then release every connection."""
