"""The 2026-07-28 Tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) on background runs.

Specification: modelcontextprotocol/ext-tasks, `specification/2026-07-28/tasks.md` and
`schema/2026-07-28/schema.ts`. In short: a client that lists the extension in a request's
`_meta` client capabilities may get a `CreateTaskResult` (`resultType: "task"`, a flat `Task`)
instead of a tools/call result, at the server's discretion; it polls `tasks/get` (the task with
its `result`, `error` or `inputRequests` inlined), answers input requests with `tasks/update`
and may `tasks/cancel`. There is no `tasks/result` nor `tasks/list` (-32601 in this era).

The mapping, for a tool whose policy allows tasks (config `mcp.tools.<graph>`: `taskSupport`
`"optional"` (default) | `"required"` | `"forbidden"`, `taskAfterMs`, default 1000):

- A call from a client that declared the extension runs exactly as a plain call (same run, same
  progress, same `input_required` round trips), but a run still going after `taskAfterMs` is
  handed over as a task instead of being waited for: the call answers the task, the run goes on
  in the background. The task id is the id of that run. Fast calls, and questions asked before
  the hand-over, stay plain MCP (the spec's "resolve MRTR exchanges synchronously first").
- `tasks/get` is the state of the task's current run: `working` while it runs; `completed` with
  the result the call would have answered (content, structuredContent, `_meta` thread id; an
  agent's failure is a tool error, `isError: true`); `input_required` with the run's
  interrupts as `inputRequests` (those the client declared it can answer); `failed` with the
  JSON-RPC error the call would have answered (-32021: the agent asked natively only for
  capabilities the client lacks); `cancelled` when the run was cancelled.
- `tasks/update` collects answers; once every open question is answered the thread is resumed
  with them (a new run, which the task follows). `tasks/cancel` cancels the current run (a
  task waiting for input is marked cancelled); it is acknowledged even when already terminal.
- A client that did not declare the extension gets a plain result (a `"required"` tool answers
  -32021 instead), and -32021 for the `tasks/*` methods. `Mcp-Name` must equal `taskId`
  (-32020). Unknown or expired task ids are -32602.

Tasks are records in storage (kind `mcp-task-2026`, like the 2025 utility's) for their ttl
after their last change, so any process sharing the database answers for them (two processes
updating one task at the same instant are not serialized: the last write wins). Status
notifications (`notifications/tasks`, optional in the extension) are not sent: a
`subscriptions/listen` asking for `taskIds` is acknowledged without them (-32021 when the
client did not declare the extension).

The hand-over is `_DetachingCalls`, a `ToolCalls` whose `_follow` stops following an owned run
after the tool's delay (raising `_Detached`) instead of cancelling it.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from mcp.server import Server
from mcp.server.context import HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.shared.inbound import MCP_NAME_HEADER, decode_header_value
from mcp_types import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    CallToolRequestParams,
    CancelTaskRequestParams,
    ClientCapabilities,
    GetTaskRequestParams,
    RequestParams,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import ConfigDict, Field

from interop.core import authz
from interop.core.errors import InteropError, NotFound
from interop.core.graphs import ConfigError
from interop.core.ids import now
from interop.core.models import Run, RunOutcome
from interop.core.records import RecordService
from interop.mcp import interrupts as hitl
from interop.mcp.calls import ToolCalls, input_responses
from interop.mcp.reporting import Reporter
from interop.mcp.tasks import DEFAULT_TTL_MS, POLL_INTERVAL_MS, TaskHandlers, iso_time
from interop.mcp.tools import RESUME_ARG, THREAD_ID_ARG, ToolCatalogue, ToolEntry

EXTENSION = "io.modelcontextprotocol/tasks"
KIND = "mcp-task-2026"
FORBIDDEN, OPTIONAL, REQUIRED = "forbidden", "optional", "required"
SUPPORT_KEY = "taskSupport"
AFTER_KEY = "taskAfterMs"
DEFAULT_AFTER_MS = 1000
_READ_SECONDS = 10.0  # reading a finished run's outcome, cancelling a run

Handler = Callable[[ServerRequestContext[Any, Any], Any], Awaitable[HandlerResult]]


@dataclass(slots=True, frozen=True)
class TaskPolicy:
    """Whether a tool's calls may become tasks, and after how long a call hands its run over."""

    support: str = OPTIONAL
    after: float = DEFAULT_AFTER_MS / 1000


def task_policies(overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, TaskPolicy]:
    """The task policy of each graph from the config's tool overrides (`mcp.tools`).

    Raises ConfigError for a `taskSupport` or `taskAfterMs` that is not valid."""
    policies: dict[str, TaskPolicy] = {}
    for graph_id, override in overrides.items():
        if SUPPORT_KEY not in override and AFTER_KEY not in override:
            continue
        support = override.get(SUPPORT_KEY, OPTIONAL)
        if support not in (FORBIDDEN, OPTIONAL, REQUIRED):
            raise ConfigError(
                f"mcp.tools.{graph_id}.{SUPPORT_KEY}: expected "
                f"'{FORBIDDEN}', '{OPTIONAL}' or '{REQUIRED}', got {support!r}"
            )
        after = override.get(AFTER_KEY, DEFAULT_AFTER_MS)
        if isinstance(after, bool) or not isinstance(after, int | float) or after < 0:
            raise ConfigError(
                f"mcp.tools.{graph_id}.{AFTER_KEY}: expected milliseconds >= 0, got {after!r}"
            )
        policies[graph_id] = TaskPolicy(support=support, after=after / 1000)
    return policies


class UpdateTaskParams(RequestParams):
    """`tasks/update` params: answers to the task's input requests, by key."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    task_id: str = Field(alias="taskId")
    input_responses: dict[str, Any] = Field(default_factory=dict, alias="inputResponses")


class _Detached(Exception):
    """The call's run outlasted the tool's delay: it goes on as a task."""

    def __init__(self, run: Run) -> None:
        super().__init__(run.run_id)
        self.run = run


class _DetachingCalls(ToolCalls):
    """`ToolCalls` that hands an owned run over (raises `_Detached`) once it has run for `after`
    seconds, instead of waiting for it; the client leaving before that still cancels the run."""

    def __init__(self, calls: ToolCalls, after: float) -> None:
        super().__init__(calls.runs, calls.threads, calls.levels, calls.settings)
        self.after = after

    async def _follow(
        self, run: Run, reporter: Reporter | None, *, owned: bool = True
    ) -> RunOutcome:
        if not owned:
            return await super()._follow(run, reporter, owned=False)
        bound = asyncio.timeout(self.after)
        try:
            async with bound:
                return await self._watch(run, reporter)
        except TimeoutError:
            if bound.expired():
                raise _Detached(run) from None
            await self._abandon(run)
            raise
        except BaseException:
            await self._abandon(run)
            raise


@dataclass(slots=True)
class _Task:
    task_id: str
    entry: ToolEntry
    run: Run  # the run the task follows now (a resume starts a new one)
    created_at: datetime
    updated_at: datetime
    ttl_ms: int
    capabilities: Any  # the creating request's client capabilities (what it can answer)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    cancelled: bool = False
    settled: dict[str, Any] | None = None  # the terminal state, once reached
    owner: str | None = field(default_factory=authz.identity)  # another caller's: unknown

    @property
    def expires(self) -> float:
        return self.updated_at.timestamp() + self.ttl_ms / 1000

    def data(self) -> dict[str, Any]:
        """The stored form (the run is stored by its ids, read again when loaded)."""
        capabilities = self.capabilities
        return {
            "entry": asdict(self.entry),
            "run_id": self.run.run_id,
            "updated_at": self.updated_at.isoformat(),
            "ttl_ms": self.ttl_ms,
            "capabilities": capabilities.model_dump(by_alias=True, exclude_none=True, mode="json")
            if capabilities is not None
            else None,
            "answers": self.answers,
            "cancelled": self.cancelled,
            "settled": self.settled,
            "owner": self.owner,
        }


def declared(ctx: ServerRequestContext[Any, Any]) -> bool:
    """Whether the request's client capabilities list the tasks extension."""
    capabilities = ctx.session.client_capabilities
    extensions = getattr(capabilities, "extensions", None)
    return isinstance(extensions, Mapping) and EXTENSION in extensions


def missing_extension() -> MCPError:
    return MCPError(
        code=MISSING_REQUIRED_CLIENT_CAPABILITY,
        message=f"This needs the {EXTENSION} extension, which the client did not declare",
        data={"requiredCapabilities": {"extensions": {EXTENSION: {}}}},
    )


def _unknown(task_id: str) -> MCPError:
    return MCPError(code=INVALID_PARAMS, message=f"Failed to retrieve task: {task_id} not found")


class TaskExtension:
    """The tasks extension's handlers, and the routing of `tasks/*` between the two eras."""

    def __init__(
        self,
        calls: ToolCalls,
        catalogue: ToolCatalogue,
        records: RecordService,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.calls = calls
        self.records = records
        self.catalogue = catalogue
        self.policies = task_policies(overrides or {})
        self._any_required = any(p.support == REQUIRED for p in self.policies.values())
        self.ttl_ms = max(DEFAULT_TTL_MS, int(calls.settings.run_timeout * 1000))
        # One lock per task in use in this process (updates and cancels of a task in turn).
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def policy(self, entry: ToolEntry) -> TaskPolicy:
        return self.policies.get(entry.graph_id) or _DEFAULT_POLICY

    # -- registration -----------------------------------------------------------------------

    def register(self, server: Server[Any], legacy: TaskHandlers) -> None:
        """Serve the `tasks/*` methods of both eras (the 2025 utility's, this extension's; a
        method of the other era is -32601), advertise the extension (2026 capabilities only:
        see `server._Server`), and wrap `tools/call` and `subscriptions/listen` (registered
        before this is called)."""
        server.extensions[EXTENSION] = {}
        server.middleware.append(legacy.intercept)
        legacy_methods = legacy.methods()
        modern_methods: dict[str, tuple[type[Any], Handler]] = {
            "tasks/get": (GetTaskRequestParams, self._get),
            "tasks/update": (UpdateTaskParams, self._update),
            "tasks/cancel": (CancelTaskRequestParams, self._cancel),
        }
        for method in sorted(legacy_methods.keys() | modern_methods.keys()):
            old, new = legacy_methods.get(method), modern_methods.get(method)
            # tasks/get and tasks/cancel take the same params (`taskId`) in both eras.
            params_type = old[0] if old is not None else modern_methods[method][0]
            handlers = (old[1] if old else None, new[1] if new else None)
            server.add_request_handler(method, params_type, _by_era(method, *handlers))
        call = server.get_request_handler("tools/call")
        if call is not None:
            server.add_request_handler(
                "tools/call", call.params_type, self._wrap_call(call.handler)
            )
        listen = server.get_request_handler("subscriptions/listen")
        if listen is not None:
            server.add_request_handler(
                "subscriptions/listen", listen.params_type, _wrap_listen(listen.handler)
            )

    # -- tools/call ---------------------------------------------------------------------------

    def _wrap_call(self, plain: Handler) -> Handler:
        async def call(
            ctx: ServerRequestContext[Any, Any], params: CallToolRequestParams
        ) -> HandlerResult:
            if ctx.protocol_version not in MODERN_PROTOCOL_VERSIONS:
                return await plain(ctx, params)
            wants = declared(ctx)
            if not wants and not self._any_required:
                return await plain(ctx, params)
            entry = await self.catalogue.get(params.name)
            if entry is None:
                return await plain(ctx, params)
            policy = self.policy(entry)
            if policy.support == FORBIDDEN or (not wants and policy.support == OPTIONAL):
                return await plain(ctx, params)
            if not wants:
                raise missing_extension()
            return await self._call(ctx, entry, params, policy)

        return call

    async def _call(
        self,
        ctx: ServerRequestContext[Any, Any],
        entry: ToolEntry,
        params: CallToolRequestParams,
        policy: TaskPolicy,
    ) -> dict[str, Any]:
        calls = _DetachingCalls(self.calls, policy.after)
        try:
            return await calls.call(
                ctx,
                entry,
                params.arguments or {},
                request_state=params.request_state,
                input_responses=input_responses(params.input_responses),
            )
        except _Detached as detached:
            return await self._create(ctx, entry, detached.run)

    async def _create(
        self, ctx: ServerRequestContext[Any, Any], entry: ToolEntry, run: Run
    ) -> dict[str, Any]:
        """Record the task (so that `tasks/get` finds it at once) and answer its handle."""
        record = _Task(
            task_id=run.run_id,
            entry=entry,
            run=run,
            created_at=run.created_at,
            updated_at=now(),
            ttl_ms=self.ttl_ms,
            capabilities=ctx.session.client_capabilities,
        )
        await self._save(record)
        # No thread id here: the result names it (a new thread is stored when its run ends).
        return {"resultType": "task", **self._task(record, "working", run)}

    # -- the task store -------------------------------------------------------------------------

    async def _save(self, record: _Task) -> None:
        await self.records.put(
            KIND,
            record.task_id,
            record.data(),
            ttl=max(0.0, record.expires - now().timestamp()),
            created_at=record.created_at,
        )

    async def _load(self, task_id: str) -> _Task:
        stored = await self.records.get(KIND, task_id)
        if stored is None or stored.data.get("owner") != authz.identity():
            raise _unknown(task_id)  # another caller's task is unknown to this one
        data = stored.data
        try:
            run = await self.calls.runs.get(None, data["run_id"])
        except NotFound:
            # Deleted with its thread, or (another process's call on a new thread) not stored
            # until it ends: unknown here for now; the record expires with its ttl.
            raise _unknown(task_id) from None
        capabilities = data["capabilities"]
        return _Task(
            task_id=task_id,
            entry=ToolEntry(**data["entry"]),
            run=run,
            created_at=stored.created_at,
            updated_at=datetime.fromisoformat(data["updated_at"]),
            ttl_ms=data["ttl_ms"],
            capabilities=None
            if capabilities is None
            else ClientCapabilities.model_validate(capabilities),
            answers=data["answers"],
            cancelled=data["cancelled"],
            settled=data["settled"],
            owner=data.get("owner"),
        )

    def _lock(self, task_id: str) -> asyncio.Lock:
        lock = self._locks.get(task_id)
        if lock is None:
            lock = self._locks[task_id] = asyncio.Lock()
        return lock

    async def _admit(self, ctx: ServerRequestContext[Any, Any], task_id: str) -> _Task:
        """The task a `tasks/*` request names, after the checks every such request passes."""
        headers = getattr(ctx.request, "headers", None)
        if headers is not None and decode_header_value(headers.get(MCP_NAME_HEADER)) != task_id:
            raise MCPError(
                code=HEADER_MISMATCH,
                message=f"{MCP_NAME_HEADER} header does not match the request's 'taskId'",
            )
        if not declared(ctx):
            raise missing_extension()
        return await self._load(task_id)

    # -- the task's state ----------------------------------------------------------------------

    def _task(self, record: _Task, status: str, run: Run, **details: Any) -> dict[str, Any]:
        updated = max(record.updated_at, run.updated_at)
        task: dict[str, Any] = {
            "taskId": record.task_id,
            "status": status,
            "createdAt": iso_time(record.created_at),
            "lastUpdatedAt": iso_time(updated),
            "ttlMs": int((record.expires - record.created_at.timestamp()) * 1000),
            "pollIntervalMs": POLL_INTERVAL_MS,
        }
        task.update(details)
        return task

    async def _settle(self, record: _Task, status: str, run: Run, **details: Any) -> dict[str, Any]:
        record.settled = self._task(record, status, run, **details)
        await self._save(record)
        return record.settled

    async def _state(self, record: _Task) -> tuple[dict[str, Any], hitl.Plan | None]:
        """The task as `tasks/get` shows it, and (input_required) the questions it asks."""
        if record.settled is not None:
            return record.settled, None
        try:
            run = await self.calls.runs.get(None, record.run.run_id)
        except NotFound:  # deleted with its thread: the task is gone too
            await self.records.delete(KIND, record.task_id)
            raise _unknown(record.task_id) from None
        record.run = run
        if record.cancelled:
            return await self._settle(record, "cancelled", run), None
        if not run.done:
            return self._task(record, "working", run), None
        async with asyncio.timeout(_READ_SECONDS):
            outcome = await self.calls.runs.wait(run)
        if outcome.status == "interrupted":
            return await self._settle(
                record, "cancelled", run, statusMessage="The run was cancelled."
            ), None
        if outcome.status == "success" and outcome.interrupts:
            asks = hitl.askable(hitl.plan_for(outcome.interrupts), record.capabilities)
            pending = {q.key: q.wire() for q in asks.questions if q.key not in record.answers}
            if pending:
                message = asks.summary() or "The agent waits for input."
                task = self._task(
                    record, "input_required", run, statusMessage=message, inputRequests=pending
                )
                return task, asks
        try:
            result = self.calls.final_result(record.entry, run, outcome, record.capabilities)
        except MCPError as exc:
            error = exc.error.model_dump(by_alias=True, mode="json", exclude_none=True)
            return await self._settle(
                record, "failed", run, statusMessage=exc.error.message, error=error
            ), None
        return await self._settle(record, "completed", run, result=result), None

    # -- tasks/get, tasks/update, tasks/cancel -------------------------------------------------

    async def _get(
        self, ctx: ServerRequestContext[Any, Any], params: GetTaskRequestParams
    ) -> dict[str, Any]:
        record = await self._admit(ctx, params.task_id)
        task, _ = await self._state(record)
        return {**task, "resultType": "complete"}

    async def _update(
        self, ctx: ServerRequestContext[Any, Any], params: UpdateTaskParams
    ) -> dict[str, Any]:
        lock = self._lock(params.task_id)
        async with lock:
            record = await self._admit(ctx, params.task_id)
            task, asks = await self._state(record)
            if asks is None:  # not waiting for input: nothing to answer (ignored, acknowledged)
                return {"resultType": "complete"}
            for key in task["inputRequests"]:
                answer = params.input_responses.get(key)
                if isinstance(answer, dict):
                    record.answers[key] = answer
            if all(q.key in record.answers for q in asks.questions):
                command = hitl.resume_command(asks, record.answers)
                if command is not None:
                    await self._resume(ctx, record, command["resume"])
            record.updated_at = now()
            await self._save(record)
        return {"resultType": "complete"}

    async def _resume(self, ctx: ServerRequestContext[Any, Any], record: _Task, value: Any) -> None:
        arguments = {THREAD_ID_ARG: record.run.thread_id, RESUME_ARG: value}
        try:
            record.run = await self.calls.start_background(ctx, record.entry, arguments)
        except InteropError as exc:  # the thread was resumed or deleted meanwhile
            raise MCPError(code=INVALID_PARAMS, message=exc.message) from exc
        record.answers = {}

    async def _cancel(
        self, ctx: ServerRequestContext[Any, Any], params: CancelTaskRequestParams
    ) -> dict[str, Any]:
        lock = self._lock(params.task_id)
        async with lock:
            record = await self._admit(ctx, params.task_id)
            task, _ = await self._state(record)
            if task["status"] in ("working", "input_required"):
                record.cancelled = True
                record.updated_at = now()
                await self._save(record)
                if not record.run.done:
                    with contextlib.suppress(InteropError, TimeoutError):  # it may have ended
                        async with asyncio.timeout(_READ_SECONDS):
                            await self.calls.runs.cancel(
                                record.run.thread_id, record.run.run_id, wait=True
                            )
        return {"resultType": "complete"}


_DEFAULT_POLICY = TaskPolicy()


def _by_era(method: str, legacy: Handler | None, modern: Handler | None) -> Handler:
    """One handler for a `tasks/*` method named in both eras: each era's own, or -32601."""

    async def handler(ctx: ServerRequestContext[Any, Any], params: Any) -> HandlerResult:
        chosen = modern if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS else legacy
        if chosen is None:
            raise MCPError(code=METHOD_NOT_FOUND, message="Method not found", data=method)
        return await chosen(ctx, params)

    return handler


def _wrap_listen(plain: Handler) -> Handler:
    """`subscriptions/listen`: task notifications need the extension (-32021 without it);
    they are not sent (the acknowledgement lists no `taskIds`)."""

    async def listen(ctx: ServerRequestContext[Any, Any], params: Any) -> HandlerResult:
        raw = ctx.params if isinstance(ctx.params, Mapping) else {}
        wanted = raw.get("notifications")
        if isinstance(wanted, Mapping) and wanted.get("taskIds") and not declared(ctx):
            raise missing_extension()
        return await plain(ctx, params)

    return listen
