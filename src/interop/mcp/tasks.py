"""The 2025-11-25 `tasks` utility mapped onto background runs.

A task-augmented `tools/call` starts the tool's run and answers at once with the task (its id
is the run id). `tasks/get` is the run's status (`input_required` while the run waits on an
interrupt), `tasks/result` waits for the run and answers what the call would have answered
(asking the run's questions through that request), `tasks/cancel` cancels the run, and
`tasks/list` lists this process's tasks. Tasks are kept in memory for their ttl.

These are the 2025 eras' methods: `task_extension` routes `tasks/*` by era (the 2026-07-28
tasks extension is served there) and installs `intercept`, which leaves 2026 calls alone.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import (
    INVALID_PARAMS,
    CallToolRequestParams,
    CancelTaskRequestParams,
    GetTaskPayloadRequestParams,
    GetTaskRequestParams,
    PaginatedRequestParams,
    TaskMetadata,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import ValidationError

from interop.core import authz
from interop.core.errors import NotFound
from interop.core.models import Run
from interop.mcp.calls import ToolCalls
from interop.mcp.tools import ToolCatalogue, ToolEntry

RELATED_TASK = "io.modelcontextprotocol/related-task"
DEFAULT_TTL_MS = 3_600_000
MAX_TTL_MS = 24 * 3_600_000
POLL_INTERVAL_MS = 500
_MAX_TASKS = 10_000


@dataclass(slots=True)
class TaskRecord:
    run: Run
    entry: ToolEntry
    created_at: datetime
    ttl_ms: int
    owner: str | None = field(default_factory=authz.identity)  # another caller's: unknown

    @property
    def expires(self) -> float:
        return self.created_at.timestamp() + self.ttl_ms / 1000


Handler = Callable[[ServerRequestContext[Any, Any], Any], Awaitable[dict[str, Any]]]


def expire(tasks: OrderedDict[str, Any]) -> None:
    """Drop the tasks (records with `expires`, oldest first) past their ttl, and the oldest
    beyond the store's bound, leaving room for one more."""
    stamp = time.time()
    for task_id in [k for k, r in tasks.items() if r.expires < stamp]:
        del tasks[task_id]
    while len(tasks) >= _MAX_TASKS:
        tasks.popitem(last=False)


def iso_time(stamp: datetime) -> str:
    """`stamp` as an ISO 8601 UTC timestamp (`...Z`)."""
    return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")


class TaskHandlers:
    def __init__(self, calls: ToolCalls, catalogue: ToolCatalogue) -> None:
        self.calls = calls
        self.catalogue = catalogue
        self._tasks: OrderedDict[str, TaskRecord] = OrderedDict()

    def methods(self) -> dict[str, tuple[type[Any], Handler]]:
        """The utility's request methods: name → (params model, handler)."""
        return {
            "tasks/get": (GetTaskRequestParams, self._get),
            "tasks/result": (GetTaskPayloadRequestParams, self._result),
            "tasks/cancel": (CancelTaskRequestParams, self._cancel),
            "tasks/list": (PaginatedRequestParams, self._list),
        }

    async def intercept(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        # A task-augmented tools/call answers with a CreateTaskResult, which the SDK's tools/call
        # result shaping would refuse: it is answered here, before the handler chain. In
        # 2026-07-28 a `task` param is a leftover of this era, ignored (the extension decides).
        params = ctx.params
        if (
            ctx.method != "tools/call"
            or not isinstance(params, dict)
            or params.get("task") is None
            or ctx.protocol_version in MODERN_PROTOCOL_VERSIONS
        ):
            return await call_next(ctx)
        try:
            typed = CallToolRequestParams.model_validate(params, by_name=False)
        except ValidationError as exc:
            raise MCPError(code=INVALID_PARAMS, message="Invalid request parameters") from exc
        entry = await self.catalogue.get(typed.name)
        if entry is None:
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown tool: {typed.name}")
        assert typed.task is not None
        return await self.create(ctx, entry, typed.arguments or {}, typed.task)

    async def create(
        self,
        ctx: ServerRequestContext[Any, Any],
        entry: ToolEntry,
        arguments: dict[str, Any],
        task: TaskMetadata,
    ) -> dict[str, Any]:
        try:
            run = await self.calls.start_background(ctx, entry, arguments)
        except NotFound as exc:
            raise MCPError(code=INVALID_PARAMS, message=exc.message) from exc
        ttl = min(task.ttl if task.ttl and task.ttl > 0 else DEFAULT_TTL_MS, MAX_TTL_MS)
        record = TaskRecord(run=run, entry=entry, created_at=run.created_at, ttl_ms=ttl)
        self._expire()
        self._tasks[run.run_id] = record
        return {"task": await self._task(record)}

    def _expire(self) -> None:
        expire(self._tasks)

    def _record(self, task_id: str) -> TaskRecord:
        self._expire()
        record = self._tasks.get(task_id)
        if record is None or record.owner != authz.identity():
            raise MCPError(code=INVALID_PARAMS, message=f"Task not found: {task_id}")
        return record

    async def _task(self, record: TaskRecord) -> dict[str, Any]:
        run = await self.calls.runs.get(None, record.run.run_id)
        status = "working"
        message = None
        if run.status == "success":
            thread = await self.calls.threads.get(run.thread_id)
            if thread.interrupts and thread.status == "interrupted":
                status, message = "input_required", "The agent waits for input: call tasks/result."
            else:
                status = "completed"
        elif run.status in ("error", "timeout"):
            status = "failed"
        elif run.status == "interrupted":
            status = "cancelled"
        task: dict[str, Any] = {
            "taskId": run.run_id,
            "status": status,
            "createdAt": iso_time(record.created_at),
            "lastUpdatedAt": iso_time(run.updated_at),
            "ttl": record.ttl_ms,
            "pollInterval": POLL_INTERVAL_MS,
        }
        if message:
            task["statusMessage"] = message
        return task

    async def _get(
        self, ctx: ServerRequestContext[Any, Any], params: GetTaskRequestParams
    ) -> dict[str, Any]:
        return await self._task(self._record(params.task_id))

    async def _result(
        self, ctx: ServerRequestContext[Any, Any], params: GetTaskPayloadRequestParams
    ) -> dict[str, Any]:
        record = self._record(params.task_id)
        result = await self.calls.finish(ctx, record.entry, record.run)
        meta = dict(result.get("_meta") or {})
        meta[RELATED_TASK] = {"taskId": params.task_id}
        return {**result, "_meta": meta}

    async def _cancel(
        self, ctx: ServerRequestContext[Any, Any], params: CancelTaskRequestParams
    ) -> dict[str, Any]:
        record = self._record(params.task_id)
        task = await self._task(record)
        if task["status"] in ("completed", "failed", "cancelled"):
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"Cannot cancel task: already in terminal status '{task['status']}'",
            )
        with contextlib.suppress(NotFound):  # it may have ended meanwhile
            await self.calls.runs.cancel(record.run.thread_id, record.run.run_id, wait=True)
        return await self._task(record)

    async def _list(
        self, ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams
    ) -> dict[str, Any]:
        self._expire()
        mine = [r for r in self._tasks.values() if r.owner == authz.identity()]
        return {"tasks": [await self._task(r) for r in mine]}
