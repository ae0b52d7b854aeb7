"""`tools/call` mapped onto the core: arguments → a run, the run's end → a tool result.

One call is one loop: start (or resume) a run on a thread, forward its events as progress and
log notifications, wait for its end. When the run stops on `interrupt()`, ask the client
(2025 eras: `elicitation/create` and friends sent mid-call; 2026-07-28: an `input_required`
result whose sealed `requestState` names the thread) and resume the run with the answers;
a client that cannot be asked gets a normal result saying the run waits, with the thread id.

A call that ends early (`notifications/cancelled`, or the client closing the response stream)
cancels its run: no run outlives the request that waits for it, except a task's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp.shared.message import ServerMessageMetadata
from mcp_types import (
    MISSING_REQUIRED_CLIENT_CAPABILITY,
    CreateMessageRequest,
    CreateMessageRequestParams,
    CreateMessageResult,
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitResult,
    ListRootsRequest,
    ListRootsResult,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, ValidationError

from interop.core import serde
from interop.core.errors import InteropError, NotFound
from interop.core.models import Run, RunOutcome, RunRequest
from interop.core.runs import RunService
from interop.core.threads import ThreadService
from interop.mcp import content as c
from interop.mcp import interrupts as hitl
from interop.mcp.errors import TOOL_ERRORS, invalid_params, rpc_error, tool_error
from interop.mcp.reporting import Reporter, SessionLevels
from interop.mcp.tools import MESSAGE_ARG, RESUME_ARG, THREAD_ID_ARG, ToolEntry

log = logging.getLogger("interop.mcp")

META_THREAD = "interop/thread_id"
META_RUN = "interop/run_id"
META_STATUS = "interop/status"
META_INTERRUPTS = "interop/interrupts"
_CLEANUP_SECONDS = 10.0


@dataclass(slots=True)
class CallSettings:
    run_timeout: float
    ask_timeout: float


@dataclass(slots=True)
class Start:
    """How a call begins: a new run (`request` on `thread_id`, None: a new thread), or an
    existing interrupted thread to continue (`request` None)."""

    thread_id: str | None
    request: RunRequest | None


def input_responses(responses: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A request's `inputResponses` as wire dicts (the SDK parses some into models)."""
    if responses is None:
        return None
    return {
        key: value.model_dump(by_alias=True, mode="json", exclude_none=True)
        if isinstance(value, BaseModel)
        else value
        for key, value in responses.items()
    }


def graph_input(entry: ToolEntry, arguments: dict[str, Any]) -> dict[str, Any]:
    """The run input from the tool arguments (the tool's own arguments removed)."""
    data = {k: v for k, v in arguments.items() if k not in (THREAD_ID_ARG, RESUME_ARG)}
    if entry.messages_input:
        message = data.pop(MESSAGE_ARG, None)
        if message is not None:
            if not isinstance(message, str):
                raise invalid_params(f"'{MESSAGE_ARG}' must be a string")
            data["messages"] = [{"role": "user", "content": message}]
    return data


class ToolCalls:
    """Runs tools (assistants) for the MCP door."""

    def __init__(
        self,
        runs: RunService,
        threads: ThreadService,
        levels: SessionLevels,
        settings: CallSettings,
    ) -> None:
        self.runs = runs
        self.threads = threads
        self.levels = levels
        self.settings = settings

    # -- entry ------------------------------------------------------------------------------

    async def call(
        self,
        ctx: ServerRequestContext[Any, Any],
        entry: ToolEntry,
        arguments: dict[str, Any],
        *,
        request_state: str | None = None,
        input_responses: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The tools/call result (a wire dict). Raises MCPError for protocol errors."""
        reporter = Reporter(ctx, self.levels)
        try:
            start = await self._start(entry, arguments, request_state, reporter)
            return await self._begin(ctx, entry, start, reporter, input_responses)
        except TOOL_ERRORS as exc:
            return tool_error(exc.message)
        except InteropError as exc:
            raise rpc_error(exc) from exc

    def _request(self, entry: ToolEntry, reporter: Reporter, **kwargs: Any) -> RunRequest:
        modes = ["custom"]
        if reporter.wants_updates:
            modes.append("updates")
        return RunRequest(
            assistant_id=entry.assistant_id,
            stream_mode=modes,
            on_completion="keep",
            multitask_strategy="enqueue",
            durability="exit",
            **kwargs,
        )

    async def _start(
        self,
        entry: ToolEntry,
        arguments: dict[str, Any],
        request_state: str | None,
        reporter: Reporter,
    ) -> Start:
        if request_state is not None:
            state = _parse_state(request_state)
            if state.get("tool") != entry.name:
                raise invalid_params("Invalid or expired requestState")
            return Start(thread_id=str(state["thread_id"]), request=None)
        thread_id = arguments.get(THREAD_ID_ARG)
        if thread_id is not None and (not isinstance(thread_id, str) or not thread_id):
            raise invalid_params(f"'{THREAD_ID_ARG}' must be a non-empty string")
        if RESUME_ARG in arguments:
            if thread_id is None:
                raise invalid_params(f"'{RESUME_ARG}' needs '{THREAD_ID_ARG}'")
            thread = await self.threads.get(thread_id)
            if not thread.interrupts:
                raise NotFound(f"Thread '{thread_id}' does not wait for input.")
            request = self._request(entry, reporter, command={"resume": arguments[RESUME_ARG]})
            return Start(thread_id=thread_id, request=request)
        request = self._request(entry, reporter, input=graph_input(entry, arguments))
        return Start(thread_id=thread_id, request=request)

    # -- the loop ---------------------------------------------------------------------------

    async def start_background(
        self, ctx: ServerRequestContext[Any, Any], entry: ToolEntry, arguments: dict[str, Any]
    ) -> Run:
        """Start the run a call would start, without waiting for it (a task's run)."""
        start = await self._start(entry, arguments, None, Reporter(ctx, self.levels))
        assert start.request is not None
        return await self.runs.create(start.thread_id, start.request)

    async def finish(
        self, ctx: ServerRequestContext[Any, Any], entry: ToolEntry, run: Run
    ) -> dict[str, Any]:
        """The result of a run started in the background (a task's): waited for, its interrupts
        asked through this request; leaving does not cancel it."""
        reporter = Reporter(ctx, self.levels)
        try:
            outcome = await self._follow(run, reporter, owned=False)
            return await self._drive(ctx, entry, run.thread_id, run, outcome, reporter, None)
        except TOOL_ERRORS as exc:
            return tool_error(exc.message)
        except InteropError as exc:
            raise rpc_error(exc) from exc

    def final_result(
        self, entry: ToolEntry, run: Run, outcome: RunOutcome, capabilities: Any
    ) -> dict[str, Any]:
        """What a 2026 call answers for `run`, ended with `outcome`, when the client has nothing
        (more) to answer (a 2026 task's final result): the agent's result or failure; for a run
        left waiting on interrupts, the result saying so. Raises MCPError (-32021) where the
        call would: the agent asked natively only for what `capabilities` cannot answer."""
        meta: dict[str, Any] = {
            META_THREAD: run.thread_id,
            "thread_id": run.thread_id,
            META_RUN: run.run_id,
            "run_id": run.run_id,
        }
        if outcome.status != "success" or not outcome.interrupts:
            return self._final(entry, outcome, meta)
        plan = hitl.plan_for(outcome.interrupts)
        native = plan.asks and all(a.native for a in plan.asks)
        if native and not hitl.askable(plan, capabilities).asks:
            raise _missing_capability(plan)
        return self._waiting_result(plan, outcome, meta)

    async def _begin(
        self,
        ctx: ServerRequestContext[Any, Any],
        entry: ToolEntry,
        start: Start,
        reporter: Reporter,
        responses: dict[str, Any] | None,
    ) -> dict[str, Any]:
        thread_id = start.thread_id
        run: Run | None = None
        outcome: RunOutcome
        if start.request is not None:
            # A new thread's id first appears in this call's result: nobody else can reach it
            # before the run ends, so it is written once, at the end (see RunService.create).
            run = await self.runs.create(thread_id, start.request, persist_at_end=True)
            thread_id = run.thread_id
            outcome = await self._follow(run, reporter)
        else:
            assert thread_id is not None
            outcome = await self._waiting(thread_id)
        return await self._drive(ctx, entry, thread_id, run, outcome, reporter, responses)

    async def _drive(
        self,
        ctx: ServerRequestContext[Any, Any],
        entry: ToolEntry,
        thread_id: str | None,
        run: Run | None,
        outcome: RunOutcome,
        reporter: Reporter,
        responses: dict[str, Any] | None,
    ) -> dict[str, Any]:
        modern = ctx.protocol_version in MODERN_PROTOCOL_VERSIONS
        capabilities = ctx.session.client_capabilities
        unused = dict(responses or {})
        while True:
            # `thread_id` / `run_id` as the contract names them; the `interop/` keys are
            # the same values under a prefixed name, as MCP recommends for vendor metadata.
            meta = {META_THREAD: thread_id, "thread_id": thread_id}
            if run is not None:
                meta[META_RUN] = run.run_id
                meta["run_id"] = run.run_id
            if outcome.status != "success" or not outcome.interrupts:
                return self._final(entry, outcome, meta)
            plan = hitl.plan_for(outcome.interrupts)
            reachable = hitl.askable(plan, capabilities)
            if modern:
                answers = {
                    q.key: unused.pop(q.key)
                    for q in reachable.questions
                    if isinstance(unused.get(q.key), dict)
                }
                command = hitl.resume_command(reachable, answers) if reachable.asks else None
                if command is None:
                    if not reachable.asks and plan.asks and all(a.native for a in plan.asks):
                        raise _missing_capability(plan)
                    answered = len(answers) == len(reachable.questions)
                    if not reachable.asks or answered:
                        # Nothing the client can answer, or it answered and declined.
                        return self._waiting_result(plan, outcome, meta)
                    return self._input_required(entry, reachable, thread_id)
            else:
                if not reachable.asks or not ctx.session.can_send_request:
                    return self._waiting_result(plan, outcome, meta)
                answers = await self._ask(ctx, reachable)
                command = hitl.resume_command(reachable, answers)
                if command is None:
                    return self._waiting_result(plan, outcome, meta)
            assert thread_id is not None
            run = await self.runs.create(thread_id, self._request(entry, reporter, command=command))
            outcome = await self._follow(run, reporter)

    async def _waiting(self, thread_id: str) -> RunOutcome:
        """The interrupts an idle thread waits on, as the outcome of its last run."""
        thread = await self.threads.get(thread_id)
        interrupts = [i for items in thread.interrupts.values() for i in items]
        if thread.status == "busy":
            # A resume is already under way (another retry): wait for its run.
            for run in await self.runs.search(thread_id=thread_id, statuses=["pending", "running"]):
                return await self._follow(run, None, owned=False)
        return RunOutcome(status="success", values=thread.values, interrupts=interrupts)

    async def _follow(
        self, run: Run, reporter: Reporter | None, *, owned: bool = True
    ) -> RunOutcome:
        """Forward the run's events, wait for its end; cancel an `owned` run if the caller goes
        away."""
        if not owned:
            return await self._watch(run, reporter)
        try:
            return await self._watch(run, reporter)
        except BaseException:
            # Cancelled (client cancel or disconnect), timed out, or failed: never leave the run.
            await self._abandon(run)
            raise

    async def _watch(self, run: Run, reporter: Reporter | None) -> RunOutcome:
        """Forward the run's events to `reporter` and wait for its end (bounded)."""
        async with asyncio.timeout(self.settings.run_timeout + _CLEANUP_SECONDS):
            if reporter is not None and reporter.wants_events:
                async for event in self.runs.stream(run):
                    await reporter.event(event)
            return await self.runs.wait(run)

    async def _abandon(self, run: Run) -> None:
        """Cancel a run its caller left, shielded from the caller's own cancellation."""
        with (
            anyio.CancelScope(shield=True),
            anyio.move_on_after(_CLEANUP_SECONDS),
            contextlib.suppress(InteropError),  # it may have ended meanwhile
        ):
            await self.runs.cancel(run.thread_id, run.run_id)

    # -- asking the client (2025 eras) ---------------------------------------------------------

    async def _ask(
        self, ctx: ServerRequestContext[Any, Any], plan: hitl.Plan
    ) -> dict[str, dict[str, Any]]:
        answers: dict[str, dict[str, Any]] = {}
        metadata = ServerMessageMetadata(related_request_id=ctx.request_id)
        for question in plan.questions:
            request: Any
            result_type: type[BaseModel]
            try:
                if question.method == hitl.ELICIT:
                    request = ElicitRequest(
                        params=ElicitRequestFormParams.model_validate(question.params)
                    )
                    result_type = ElicitResult
                elif question.method == hitl.SAMPLE:
                    request = CreateMessageRequest(
                        params=CreateMessageRequestParams.model_validate(question.params)
                    )
                    result_type = CreateMessageResult
                else:
                    request = ListRootsRequest()
                    result_type = ListRootsResult
            except ValidationError:
                log.warning("interrupt asks an invalid %s: %r", question.method, question.params)
                continue
            try:
                result = await ctx.session.send_request(
                    request,
                    result_type,
                    request_read_timeout_seconds=self.settings.ask_timeout,
                    metadata=metadata,
                )
            except MCPError as exc:
                log.info("client refused %s: %s", question.method, exc.error.message)
                continue
            answers[question.key] = result.model_dump(by_alias=True, mode="json", exclude_none=True)
        return answers

    # -- results ------------------------------------------------------------------------------

    def _final(self, entry: ToolEntry, outcome: RunOutcome, meta: dict[str, Any]) -> dict[str, Any]:
        meta[META_STATUS] = outcome.status
        if outcome.status == "success":
            thread_id = meta[META_THREAD]
            content = c.result_content(outcome.values)
            if thread_id is not None:
                content.append(c.thread_block(thread_id))
            result: dict[str, Any] = {
                "content": content,
                "_meta": meta,
                "resultType": "complete",
            }
            if isinstance(outcome.values, dict) or "outputSchema" not in entry.definition:
                result["structuredContent"] = c.structured(outcome.values, thread_id)
            return result
        if outcome.error is not None:
            message = (
                outcome.error.get("message") or outcome.error.get("error") or "The run failed."
            )
        elif outcome.status == "interrupted":
            message = "The run was cancelled."
        else:
            message = f"The run ended with status {outcome.status}."
        return tool_error(str(message), meta)

    def _waiting_result(
        self, plan: hitl.Plan, outcome: RunOutcome, meta: dict[str, Any]
    ) -> dict[str, Any]:
        meta[META_STATUS] = "interrupted"
        meta[META_INTERRUPTS] = outcome.interrupts
        thread_id = str(meta[META_THREAD])
        return {
            "content": [c.text_block(hitl.waiting_text(plan, thread_id))],
            "structuredContent": c.structured(outcome.values if outcome.values else {}, thread_id),
            "_meta": meta,
            "resultType": "complete",
        }

    def _input_required(
        self, entry: ToolEntry, plan: hitl.Plan, thread_id: str | None
    ) -> dict[str, Any]:
        state = serde.dumps({"tool": entry.name, "thread_id": thread_id}).decode()
        return {
            "resultType": "input_required",
            "inputRequests": {q.key: q.wire() for q in plan.questions},
            "requestState": state,
        }


_CAPABILITY_OF = {hitl.ELICIT: "elicitation", hitl.SAMPLE: "sampling", hitl.ROOTS: "roots"}


def _missing_capability(plan: hitl.Plan) -> MCPError:
    """The agent asked, in MCP's own terms, for something the client declared it cannot do."""
    required: dict[str, Any] = {
        _CAPABILITY_OF[q.method]: {} for q in plan.questions if q.method in _CAPABILITY_OF
    }
    return MCPError(
        code=MISSING_REQUIRED_CLIENT_CAPABILITY,
        message="This tool needs a client capability that was not declared",
        data={"requiredCapabilities": required},
    )


def _parse_state(raw: str) -> dict[str, Any]:
    try:
        state = serde.loads(raw)
    except ValueError:
        state = None
    if not isinstance(state, dict) or not isinstance(state.get("thread_id"), str):
        raise invalid_params("Invalid or expired requestState")
    return state
