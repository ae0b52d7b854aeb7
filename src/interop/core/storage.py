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
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from langgraph.store.base import BaseStore

from interop.core.models import Assistant, Cron, Run, RunStatus, Thread, ThreadStatus

SortOrder = Literal["asc", "desc"]
AssistantSortKey = Literal["assistant_id", "created_at", "updated_at", "name", "graph_id"]
ThreadTtlStrategy = Literal["delete", "keep_latest"]
ThreadSortKey = Literal["thread_id", "status", "created_at", "updated_at", "state_updated_at"]
# A run write's fencing condition: the run's stored (status, attempt). A process holding a run
# under a lease passes ("running", the attempt it claimed); one ending a pending run passes
# ("pending", the attempt it read). A write whose condition no longer holds is refused.
RunFence = tuple[RunStatus, int]
# The run whose graph is executing in this context, held under a lease: (run_id, attempt). Set
# by the executor; a backend whose checkpoint writes can be fenced refuses them (raises
# LeaseLost) once the run's stored attempt is another or it is no longer `running`.
CHECKPOINT_FENCE: ContextVar[tuple[str, int] | None] = ContextVar(
    "interop_checkpoint_fence", default=None
)


class LeaseLost(Exception):
    """A fenced write for a run whose lease this process no longer holds."""


CronSortKey = Literal[
    "cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at"
]


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
        """Delete the assistant, all its versions and its crons; False when it does not
        exist."""

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
        """Delete the thread, its runs and its crons (checkpoints are the checkpointer's business);
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


class ThreadTtlStore(Protocol):
    """When threads expire (`ttl_expires_at`) and what happens then (`ttl_strategy`)."""

    async def set(
        self, thread_id: str, expires_at: datetime | None, strategy: ThreadTtlStrategy | None
    ) -> bool:
        """Set (None: clear) the thread's expiry; False when the thread does not exist."""

    async def claim_expired(
        self, *, at: datetime, limit: int
    ) -> list[tuple[str, ThreadTtlStrategy]]:
        """Up to `limit` threads expired at `at` and not busy, with their strategy, their
        expiry cleared in the same step: safe when several processes sweep at once (each
        thread is handed to one of them)."""


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
        self,
        run_id: str,
        status: RunStatus,
        *,
        at: datetime,
        attempt: int | None = None,
        expect: RunFence | None = None,
    ) -> bool:
        """Record the run's status (and `attempt`, when given); `updated_at` = `at`. With
        `expect`, only while the run's stored (status, attempt) is that. True when written."""

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
        expect: RunFence | None = None,
    ) -> bool:
        """In one transaction: the run's `status`; its thread's `thread_status` (`busy` instead
        when another run of the thread is pending or running as the writes commit: concurrent
        finishes of one thread's runs are serialized, so the last one settles it) and `error`;
        when `update_values`, also the thread's values and interrupts (and `state_updated_at`).
        Every `updated_at` written is `at`. With `expect`, nothing is written unless the run's
        stored (status, attempt) is that (the fencing check is atomic with the writes). True
        when written."""

    async def delete(self, run_id: str) -> bool:
        """False when the run does not exist."""

    async def with_status(self, *statuses: RunStatus) -> list[Run]:
        """Every run in one of `statuses`, oldest first (crash recovery, cancel by status)."""

    # -- run claims (the run queue shared by processes) -----------------------------------------

    async def claim(self, owner: str, *, at: datetime, until: datetime, limit: int) -> list[Run]:
        """Take up to `limit` runs for `owner`, oldest first: pending runs, and running runs
        whose lease expired before `at` (their process is presumed gone). At most one per
        thread, and only a thread's oldest pending or running run: none of a thread that has a
        running run under a live lease, so a thread's runs still go one at a time in order.
        A run whose `kwargs["after_seconds"]` puts its not-before time (`created_at` plus it)
        after `at` is not taken, nor are its thread's later runs. Each claimed run becomes `running`, leased to
        `owner` until `until`; its `attempt` is the fencing token the claimer presents to
        `renew`, `release` and fenced writes. A pending run keeps its attempt (1 for a new run),
        a run taken from an expired lease gets the next one, and `release` moves to the next
        too: no two claims of a run share a token. Atomic against every other claimer (another process
        included): a run is claimed by one of them."""

    async def orphans(self, at: datetime) -> list[Run]:
        """Running runs no live process holds, oldest first: those without a lease (set running
        by a process of its own queue) and those whose lease expired before `at`. A restarted
        process recovers these, never a run leased by a live process."""

    async def renew(self, run_id: str, attempt: int, *, until: datetime) -> bool:
        """Extend the lease to `until` while the run is running under `attempt`; False when it
        is not (its lease expired and another claimer took it, or it ended): the caller has
        lost the run and must write nothing more for it."""

    async def release(self, run_id: str, attempt: int, *, at: datetime) -> bool:
        """Give a running run back (pending again, no lease, the next attempt) while it runs
        under `attempt`, for another claimer to take; False when it does not."""


class CronStore(Protocol):
    async def create(self, cron: Cron) -> None:
        """Insert the record as given (its id is new)."""

    async def get(self, cron_id: str) -> Cron | None: ...

    async def replace(self, cron: Cron) -> bool:
        """Overwrite the stored record with `cron` (the service merged it); False when it does
        not exist."""

    async def delete(self, cron_id: str) -> bool:
        """False when the cron does not exist."""

    async def search(
        self,
        *,
        assistant_id: str | None,
        thread_id: str | None,
        enabled: bool | None,
        metadata: dict[str, Any] | None,
        limit: int,
        offset: int,
        sort_by: CronSortKey,
        sort_order: SortOrder,
    ) -> list[Cron]:
        """Crons matching every given filter (`next_run_date` and `end_time` None sort as the
        smallest)."""

    async def count(
        self,
        *,
        assistant_id: str | None,
        thread_id: str | None,
        enabled: bool | None,
        metadata: dict[str, Any] | None,
    ) -> int:
        """How many crons `search` would find with no limit."""

    async def due(self, at: datetime, *, limit: int) -> list[Cron]:
        """Up to `limit` enabled crons whose `next_run_date` is at or before `at`, earliest
        first."""

    async def advance(self, cron_id: str, slot: datetime, next_run_date: datetime | None) -> bool:
        """Claim the slot `slot` of the cron: move its `next_run_date` from `slot` to
        `next_run_date` (`updated_at` unchanged) only while it is still `slot` and the cron is
        enabled. Atomic against every other caller (another process included): of all callers
        presenting the same slot, one gets True and fires it."""


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

    async def update(
        self,
        kind: str,
        key: str,
        data: dict[str, Any],
        expires_at: datetime | None,
        *,
        at: datetime,
    ) -> bool:
        """Replace the data and expiry of a record that exists and is live at `at`; False (and
        nothing written) otherwise: a record deleted meanwhile stays deleted."""

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
    def crons(self) -> CronStore: ...

    @property
    def thread_ttl(self) -> ThreadTtlStore: ...

    @property
    def store(self) -> BaseStore:
        """The long-term store graphs reach as `runtime.store` (LangGraph's own store on this
        backend, with the config file's index and TTL), open once `setup` returns."""

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
