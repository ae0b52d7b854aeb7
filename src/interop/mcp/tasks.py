"""The 2025-11-25 `tasks` utility mapped onto background runs.

A task-augmented `tools/call` starts the tool's run and answers at once with the task (its id
is the run id). `tasks/get` is the run's status (`input_required` while the run waits on an
interrupt), `tasks/result` waits for the run and answers what the call would have answered
(asking the run's questions through that request), `tasks/cancel` cancels the run, and
`tasks/list` lists the tasks. Tasks are records in storage (kind `mcp-task`) for their ttl, so
any process sharing the database answers for them.

These are the 2025 eras' methods: `task_extension` routes `tasks/*` by era (the 2026-07-28
tasks extension is served there) and installs `intercept`, which leaves 2026 calls alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
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
from interop.core.records import RecordService
from interop.mcp.calls import ToolCalls
from interop.mcp.tools import ToolCatalogue, ToolEntry

RELATED_TASK = "io.modelcontextprotocol/related-task"
DEFAULT_TTL_MS = 3_600_000
MAX_TTL_MS = 24 * 3_600_000
POLL_INTERVAL_MS = 500
KIND = "mcp-task"
_LIST_LIMIT = 1000


@dataclass(slots=True)
class TaskRecord:
    run_id: str
    thread_id: str
    entry: ToolEntry
    created_at: datetime
    ttl_ms: int
    owner: str | None = field(default_factory=authz.identity)  # another caller's: unknown


Handler = Callable[[ServerRequestContext[Any, Any], Any], Awaitable[dict[str, Any]]]


def iso_time(stamp: datetime) -> str:
    """`stamp` as an ISO 8601 UTC timestamp (`...Z`)."""
    return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")


class TaskHandlers:
    def __init__(self, calls: ToolCalls, catalogue: ToolCatalogue, records: RecordService) -> None:
        self.calls = calls
        self.catalogue = catalogue
        self.records = records

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
        record = TaskRecord(run.run_id, run.thread_id, entry, run.created_at, ttl)
        data: dict[str, Any] = {
            "run_id": run.run_id,
            "thread_id": run.thread_id,
            "entry": asdict(entry),
            "ttl_ms": ttl,
            "owner": record.owner,
        }
        await self.records.put(KIND, run.run_id, data, ttl=ttl / 1000, created_at=run.created_at)
        return {"task": await self._task(record)}

    async def _record(self, task_id: str) -> TaskRecord:
        stored = await self.records.get(KIND, task_id)
        if stored is None or stored.data.get("owner") != authz.identity():
            raise MCPError(code=INVALID_PARAMS, message=f"Task not found: {task_id}")
        return _task_record(stored.data, stored.created_at)

    async def _task(self, record: TaskRecord) -> dict[str, Any]:
        run = await self.calls.runs.get(None, record.run_id)
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
        return await self._task(await self._record(params.task_id))

    async def _result(
        self, ctx: ServerRequestContext[Any, Any], params: GetTaskPayloadRequestParams
    ) -> dict[str, Any]:
        record = await self._record(params.task_id)
        try:
            run = await self.calls.runs.get(None, record.run_id)
        except NotFound as exc:
            raise MCPError(code=INVALID_PARAMS, message=f"Task not found: {record.run_id}") from exc
        result = await self.calls.finish(ctx, record.entry, run)
        meta = dict(result.get("_meta") or {})
        meta[RELATED_TASK] = {"taskId": params.task_id}
        return {**result, "_meta": meta}

    async def _cancel(
        self, ctx: ServerRequestContext[Any, Any], params: CancelTaskRequestParams
    ) -> dict[str, Any]:
        record = await self._record(params.task_id)
        task = await self._task(record)
        if task["status"] in ("completed", "failed", "cancelled"):
            raise MCPError(
                code=INVALID_PARAMS,
                message=f"Cannot cancel task: already in terminal status '{task['status']}'",
            )
        with contextlib.suppress(NotFound):  # it may have ended meanwhile
            await self.calls.runs.cancel(record.thread_id, record.run_id, wait=True)
        return await self._task(record)

    async def _list(
        self, ctx: ServerRequestContext[Any, Any], params: PaginatedRequestParams
    ) -> dict[str, Any]:
        stored = await self.records.list(KIND, "", limit=_LIST_LIMIT)
        tasks = []
        for found in stored:
            if found.data.get("owner") != authz.identity():
                continue  # another caller's task
            with contextlib.suppress(NotFound):  # its thread was deleted: the task is gone
                tasks.append(await self._task(_task_record(found.data, found.created_at)))
        return {"tasks": tasks}


def _task_record(data: dict[str, Any], created_at: datetime) -> TaskRecord:
    return TaskRecord(
        run_id=data["run_id"],
        thread_id=data["thread_id"],
        entry=ToolEntry(**data["entry"]),
        created_at=created_at,
        ttl_ms=data["ttl_ms"],
        owner=data.get("owner"),
    )
