"""The A2A operations, version-neutral: neutral requests in, neutral records out.

A task is a run: its id is the run id and its contextId the run's thread. A message with the
taskId of an input-required task resumes it with a new run on the same thread, tagged
`a2a_task_id` in its metadata: the task's state is then that of the newest run of the chain.
Every method raises A2A errors (or core errors, which the boundary maps).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from interop.a2a import card as cards
from interop.a2a import translate as t
from interop.a2a.config import A2AConfig
from interop.a2a.errors import (
    ExtendedCardNotConfigured,
    InvalidParams,
    TaskNotCancelable,
    TaskNotFound,
    UnsupportedOperation,
)
from interop.a2a.model import (
    INTERRUPTED_STATES,
    TERMINAL_STATES,
    Artifact,
    ArtifactUpdate,
    Event,
    GetTaskParams,
    ListTasksParams,
    Message,
    PushConfig,
    PushConfigRef,
    SendParams,
    StatusUpdate,
    Task,
    TaskList,
    TaskState,
    TaskStatus,
)
from interop.a2a.push import PushService
from interop.a2a.stream import ArtifactChunker, progress_update, throttle
from interop.core import serde
from interop.core.assistants import AssistantService
from interop.core.errors import NotFound
from interop.core.events import FROM_START
from interop.core.models import (
    Assistant,
    Run,
    RunOutcome,
    RunRequest,
    RunStatus,
    StreamEvent,
)
from interop.core.runs import RunService
from interop.core.threads import ThreadService

log = logging.getLogger("interop.a2a")

TASK_KEY = "a2a_task_id"
# Broker signal (payload: the task id): a run continuing an A2A task started, in any process.
TASK_CONTINUED = "a2a:task-continued"
CANCEL_WAIT = 10.0
STATUS_FROM_STATE: dict[str, tuple[RunStatus, ...]] = {
    "submitted": ("pending",),
    "working": ("running",),
    "completed": ("success",),
    "input-required": ("success",),
    "auth-required": ("success",),
    "rejected": ("success", "error"),
    "failed": ("error", "timeout", "success"),
    "canceled": ("interrupted",),
}


def _is_custom(event: StreamEvent) -> bool:
    return event.event == "custom"


@dataclass(slots=True)
class Call:
    """One JSON-RPC call: the protocol version, the assistant of the URL, the card's URL."""

    version: str
    assistant: Assistant
    url: str
    authenticated: bool = False
    # Set when a method failed because the server cannot take the call now (a full run queue,
    # a backend outage): the binding answers it with HTTP 503 and Retry-After.
    unavailable: bool = False


@dataclass(slots=True)
class GraphInfo:
    input_fields: list[str] = field(default_factory=list)
    output_fields: list[str] = field(default_factory=list)
    description: str | None = None


@dataclass(slots=True)
class TaskRef:
    """A task as found: its id, the newest run of its chain and, once that run ended, how."""

    task_id: str
    run: Run
    outcome: RunOutcome | None
    state: TaskState


class A2AHandler:
    def __init__(
        self,
        assistants: AssistantService,
        threads: ThreadService,
        runs: RunService,
        push: PushService,
        config: A2AConfig,
        *,
        auth: bool,
        security: cards.Security | None = None,
    ) -> None:
        self.assistants = assistants
        self.threads = threads
        self.runs = runs
        self.push = push
        self.config = config
        self.auth = auth
        self.security = security
        self._graphs: dict[str, GraphInfo] = {}
        self._assistants: dict[str, Assistant] = {}
        runs.add_listener(self._on_run)
        assistants.add_listener(self._assistants.clear)

    async def assistant(self, path_id: str) -> Assistant:
        """The assistant a URL names (an id or a graph name), cached until an assistant changes.
        Raises the core's NotFound / InvalidInput."""
        found = self._assistants.get(path_id)
        if found is None:
            found = await self.assistants.get(path_id)
            if len(self._assistants) > 1000:
                self._assistants.clear()
            self._assistants[path_id] = found
        return found

    # -- graphs and cards ---------------------------------------------------------------------

    async def graph_info(self, graph_id: str) -> GraphInfo:
        info = self._graphs.get(graph_id)
        if info is None:
            entry = self.assistants.graph(graph_id)
            graph = await entry.schema_graph()
            info = GraphInfo(description=entry.description)
            for target, make in (
                (info.input_fields, graph.get_input_jsonschema),
                (info.output_fields, graph.get_output_jsonschema),
            ):
                try:
                    target.extend((make().get("properties") or {}).keys())
                except Exception:
                    log.debug("no JSON schema for graph %s", graph_id, exc_info=True)
            if not info.output_fields:
                info.output_fields.append("messages")
            self._graphs[graph_id] = info
        return info

    async def card(
        self, assistant: Assistant, url: str, version: str, *, extended: bool = False
    ) -> dict[str, Any]:
        info = await self.graph_info(assistant.graph_id)
        return cards.build(
            cards.CardInput(
                assistant=assistant,
                graph_description=info.description,
                input_fields=info.input_fields,
                url=url,
                config=self.config,
                auth=self.auth,
                security=self.security,
            ),
            version,
            extended=extended,
        )

    async def extended_card(self, call: Call, _: None) -> dict[str, Any]:
        if not self.auth:
            if call.version == "1.0":
                raise UnsupportedOperation("This agent has no extended agent card.")
            raise ExtendedCardNotConfigured()
        return await self.card(call.assistant, call.url, call.version, extended=True)

    # -- tasks --------------------------------------------------------------------------------

    def _state(self, run: Run, outcome: RunOutcome | None) -> TaskState:
        status = run.status
        if outcome is not None and status in ("pending", "running"):
            # `run` is a copy read before it ended (from storage: another process executes it).
            status = outcome.status
        if status == "pending":
            return "submitted"
        if status == "running" or outcome is None:
            return "working"
        if status == "interrupted":
            return "canceled"
        final = t.final_ai_message(outcome.values)
        hinted = t.hinted_state(final) if final is not None else None
        if status in ("error", "timeout"):
            return "rejected" if hinted == "rejected" else "failed"
        if outcome.interrupts:
            return "input-required"
        return hinted or "completed"

    async def _load(self, call: Call, task_id: str) -> TaskRef:
        """The task `task_id` of this assistant; TaskNotFound otherwise."""
        try:
            run = await self.runs.get(None, task_id)
        except NotFound:
            raise TaskNotFound(
                f"Task '{task_id}' not found.", metadata={"taskId": task_id}
            ) from None
        if run.assistant_id != call.assistant.assistant_id or run.metadata.get(TASK_KEY):
            raise TaskNotFound(f"Task '{task_id}' not found.", metadata={"taskId": task_id})
        newest = await self.runs.search(
            thread_id=run.thread_id, metadata={TASK_KEY: task_id}, limit=1
        )
        current = newest[0] if newest else run
        outcome = await self._outcome(current) if current.done else None
        return TaskRef(task_id, current, outcome, self._state(current, outcome))

    async def _outcome(self, run: Run) -> RunOutcome:
        async with asyncio.timeout(CANCEL_WAIT):
            return await self.runs.wait(run)

    async def _task(
        self,
        ref: TaskRef,
        history_length: int | None,
        *,
        values: Any = None,
        include_artifacts: bool = True,
    ) -> Task:
        run, outcome, task_id = ref.run, ref.outcome, ref.task_id
        context_id = t.context_of(run.thread_id, run.metadata)
        if outcome is not None:
            values = outcome.values
        elif values is None and history_length != 0:
            thread = await self.threads.get(run.thread_id)
            values = thread.values
        status = TaskStatus(state=ref.state, timestamp=t.timestamp(run.updated_at))
        artifacts: list[Artifact] = []
        if outcome is not None:
            if ref.state == "input-required":
                status.message = t.interrupt_message(
                    outcome.interrupts, task_id=task_id, context_id=context_id
                )
            elif ref.state in ("failed", "rejected") and outcome.error is not None:
                status.message = t.error_message(
                    outcome.error, task_id=task_id, context_id=context_id
                )
            else:
                final = t.final_ai_message(values)
                if final is not None:
                    status.message = t.to_message(final, context_id=context_id, task_id=task_id)
            if include_artifacts and ref.state not in ("failed", "canceled"):
                info = await self.graph_info(run.kwargs.get("graph_id") or "")
                artifacts = t.artifacts(values, task_id, info.output_fields)
        return Task(
            id=task_id,
            context_id=context_id,
            status=status,
            artifacts=artifacts,
            history=t.history(values, history_length, context_id=context_id, task_id=task_id),
        )

    async def get(self, call: Call, params: GetTaskParams) -> Task:
        ref = await self._load(call, params.id)
        return await self._task(ref, params.history_length)

    async def list_tasks(self, call: Call, params: ListTasksParams) -> TaskList:
        offset = 0
        if params.page_token:
            try:
                offset = int(params.page_token)
            except ValueError:
                raise InvalidParams(
                    "pageToken: not a token of this server", field="pageToken"
                ) from None
            if offset < 0:
                raise InvalidParams("pageToken: not a token of this server", field="pageToken")
        statuses = STATUS_FROM_STATE.get(params.status) if params.status else None
        metadata = {"assistant_id": call.assistant.assistant_id}
        thread_id = t.thread_of(params.context_id) if params.context_id else None
        runs = await self.runs.search(
            thread_id=thread_id,
            statuses=statuses,
            metadata=metadata,
            limit=params.page_size,
            offset=offset,
        )
        total = await self.runs.count(thread_id=thread_id, statuses=statuses, metadata=metadata)
        tasks: list[Task] = []
        for run in runs:
            if run.metadata.get(TASK_KEY):
                continue  # a continuation of another task, listed as that task
            try:
                ref = await self._load(call, run.run_id)
            except TaskNotFound:
                continue
            if params.status and ref.state != params.status:
                continue
            tasks.append(
                await self._task(
                    ref, params.history_length, include_artifacts=params.include_artifacts
                )
            )
        following = offset + len(runs)
        return TaskList(
            tasks=tasks,
            next_page_token=str(following) if following < total else "",
            page_size=params.page_size,
            total_size=total,
        )

    async def cancel(self, call: Call, task_id: str) -> Task:
        ref = await self._load(call, task_id)
        if ref.state in TERMINAL_STATES:
            raise TaskNotCancelable(
                f"Task '{task_id}' is {ref.state}.", metadata={"taskId": task_id}
            )
        run = ref.run
        if run.done:
            await self.runs.dismiss_interrupt(run)
        else:
            # NotFound: it ended meanwhile; what it became is reported below.
            with contextlib.suppress(NotFound):
                await self.runs.cancel(run.thread_id, run.run_id, action="interrupt")
            await self._outcome(run)
        ref = await self._load(call, task_id)
        if ref.state != "canceled" and ref.state in TERMINAL_STATES:
            raise TaskNotCancelable(
                f"Task '{task_id}' is {ref.state}.", metadata={"taskId": task_id}
            )
        # Read back after the cancel: its status and timestamp are the cancel's.
        return await self._task(ref, None)

    # -- push configs -------------------------------------------------------------------------

    async def push_set(self, call: Call, config: PushConfig) -> PushConfig:
        await self._load(call, config.task_id)
        return await self.push.put(config)

    async def push_get(self, call: Call, ref: PushConfigRef) -> PushConfig:
        await self._load(call, ref.task_id)
        config = await self.push.get(ref.task_id, ref.config_id)
        if config is None:
            raise TaskNotFound(
                f"Push notification config '{ref.config_id}' not found.",
                metadata={"taskId": ref.task_id},
            )
        return config

    async def push_list(self, call: Call, ref: PushConfigRef) -> list[PushConfig]:
        await self._load(call, ref.task_id)
        return await self.push.list(ref.task_id)

    async def push_delete(self, call: Call, ref: PushConfigRef) -> None:
        await self._load(call, ref.task_id)
        if ref.config_id:
            await self.push.delete(ref.task_id, ref.config_id)

    async def _on_run(self, run: Run, outcome: RunOutcome | None) -> None:
        """A run started or ended: wake the task's subscribers, push it to its webhooks."""
        task_id = run.metadata.get(TASK_KEY) or run.run_id
        if not isinstance(task_id, str):
            return
        if outcome is None and run.metadata.get(TASK_KEY):
            # Wakes the task's subscribers (`_next_run`), whichever process serves them.
            await self.runs.broker.signal(TASK_CONTINUED, task_id.encode())
        if not await self.push.has(task_id):
            return
        ref = TaskRef(task_id, run, outcome, self._state(run, outcome))
        task = await self._task(ref, 0)
        from interop.a2a.codecs import v03, v1

        def payload(config: PushConfig) -> Any:
            if config.version == "1.0":
                return {"task": v1.encode_task(task)}
            return v03.encode_task(task)

        await self.push.notify(task_id, payload)

    # -- send ---------------------------------------------------------------------------------

    async def _start(self, call: Call, params: SendParams, *, stream: bool) -> tuple[str, Run]:
        """Create the run a message asks for; returns the task id and the run."""
        message = params.message
        if message.role != "user":
            raise InvalidParams("message.role: must be the user role", field="message.role")
        t.check_media_types(message, cards.input_modes(self.config, call.assistant.graph_id))
        metadata: dict[str, Any] = {}
        command: dict[str, Any] | None = None
        graph_input: Any = None
        thread_id: str | None = None
        if message.task_id:
            ref = await self._load(call, message.task_id)
            if message.context_id and t.thread_of(message.context_id) != ref.run.thread_id:
                raise InvalidParams(
                    "message.contextId: does not match the task's context",
                    field="message.contextId",
                )
            if ref.state in TERMINAL_STATES:
                raise UnsupportedOperation(
                    f"Task '{ref.task_id}' is {ref.state}: it takes no more messages.",
                    metadata={"taskId": ref.task_id},
                )
            if ref.state in INTERRUPTED_STATES:
                command = {"resume": t.resume_value(message)}
                user = t.user_message(message)
                info = await self.graph_info(call.assistant.graph_id)
                if user is not None and "messages" in info.input_fields:
                    # The answer joins the conversation too, so the task's history has it.
                    command["update"] = {"messages": [user]}
            else:
                graph_input = t.graph_input(message)
            metadata[TASK_KEY] = ref.task_id
            thread_id = ref.run.thread_id
            context_id: str | None = t.context_of(thread_id, ref.run.metadata)
        else:
            # No contextId: the core creates the new thread with the run (one write, no read).
            context_id = message.context_id
            thread_id = t.thread_of(context_id) if context_id else None
            graph_input = t.graph_input(message)
        if context_id and thread_id != context_id:
            metadata[t.CONTEXT_KEY] = context_id
        # A blocking send on a new context names its task and context first in its answer:
        # nobody can reach them before, so the run executes in memory and its context is
        # written once, when it ends (see RunService.create). A stream, a push config or an
        # immediate return hands the ids out while the run goes on: stored from the start.
        handed_out = stream or params.push_config is not None or params.return_immediately
        private = thread_id is None and not handed_out
        request = RunRequest(
            assistant_id=call.assistant.assistant_id,
            input=graph_input,
            command=command,
            metadata=metadata,
            # A task whose id is out while it runs publishes its tokens and custom events (for
            # its stream and its subscribers); a blocking send only its end.
            stream_mode=["messages-tuple", "custom"] if handed_out else [],
            if_not_exists="create",
            multitask_strategy="enqueue",
            on_completion="keep",
            # One checkpoint when the run ends, not one per step: a task that a crash cuts short
            # has recorded no progress and is run again from its start on the next boot.
            durability="exit",
        )
        run = await self.runs.create(thread_id, request, persist_at_end=private)
        task_id = metadata.get(TASK_KEY) or run.run_id
        if params.push_config is not None:
            params.push_config.task_id = task_id
            await self.push.put(params.push_config)
        return task_id, run

    async def send(self, call: Call, params: SendParams) -> Task | Message:
        task_id, run = await self._start(call, params, stream=False)
        if params.return_immediately:
            ref = TaskRef(task_id, run, None, self._state(run, None))
            return await self._task(ref, params.history_length)
        outcome = await self.runs.wait(run)
        ref = TaskRef(task_id, run, outcome, self._state(run, outcome))
        reply = self._message_reply(ref)
        if reply is not None:
            return reply
        return await self._task(ref, params.history_length)

    def _message_reply(self, ref: TaskRef) -> Message | None:
        """The agent's answer as a Message, when its final message asks for that."""
        if ref.outcome is None or ref.state != "completed":
            return None
        final = t.final_ai_message(ref.outcome.values)
        if final is None or t.a2a_hint(final).get("reply") != "message":
            return None
        reply = t.to_message(final, context_id=t.context_of(ref.run.thread_id, ref.run.metadata))
        return reply

    # -- streams ------------------------------------------------------------------------------

    async def stream(self, call: Call, params: SendParams) -> AsyncIterator[Event]:
        task_id, run = await self._start(call, params, stream=True)
        first = Task(
            id=task_id,
            context_id=t.context_of(run.thread_id, run.metadata),
            status=TaskStatus(state="submitted", timestamp=t.timestamp(run.created_at)),
        )
        return self._events(call, task_id, run, first, working=True)

    async def subscribe(self, call: Call, task_id: str) -> AsyncIterator[Event]:
        ref = await self._load(call, task_id)
        if ref.state in TERMINAL_STATES:
            raise UnsupportedOperation(
                f"Task '{task_id}' is {ref.state}: there is nothing to subscribe to.",
                metadata={"taskId": task_id},
            )
        first = await self._task(ref, None)
        return self._events(call, task_id, ref.run, first, working=False, follow=True)

    async def _events(
        self,
        call: Call,
        task_id: str,
        run: Run,
        first: Task,
        *,
        working: bool,
        follow: bool = False,
    ) -> AsyncIterator[Event]:
        """`first`, then the task's updates until it ends. A message stream ends when the task
        needs input; a subscription (`follow`) goes on with the run that answers it."""
        context_id = first.context_id
        yield first
        if working:
            yield StatusUpdate(task_id, context_id, TaskStatus(state="working"))
        while True:
            chunker = ArtifactChunker(task_id, context_id)
            run_events = throttle(self.runs.stream(run, FROM_START), _is_custom)
            async for event in run_events:
                if event.event == "custom":
                    yield progress_update(task_id, context_id, serde.loads(event.data))
                elif event.event == "messages":
                    for update in chunker.feed(serde.loads(event.data)[0]):
                        yield update
            for update in chunker.finish():
                yield update
            outcome = await self.runs.wait(run)
            ref = TaskRef(task_id, run, outcome, self._state(run, outcome))
            task = await self._task(ref, 0)
            for artifact in task.artifacts:
                if artifact.artifact_id not in chunker.sent:
                    yield ArtifactUpdate(task_id, context_id, artifact, last_chunk=True)
            waiting = follow and ref.state in INTERRUPTED_STATES
            yield StatusUpdate(task_id, context_id, task.status, final=not waiting)
            if not waiting:
                return
            run = await self._next_run(task_id, run)
            yield StatusUpdate(task_id, context_id, TaskStatus(state="working"))

    async def _next_run(self, task_id: str, after: Run) -> Run:
        """The run that continues the task after `after` (waits for it to start)."""

        async def follow() -> Run:
            wanted = task_id.encode()
            async with self.runs.broker.listen(TASK_CONTINUED) as started:
                # Listening before looking: a run starting in between is not missed.
                while True:
                    newest = await self.runs.search(
                        thread_id=after.thread_id, metadata={TASK_KEY: task_id}, limit=1
                    )
                    if newest and newest[0].run_id > after.run_id:
                        return await self.runs.get(None, newest[0].run_id)
                    async for payload in started:
                        if payload == wanted:
                            break
                    else:
                        raise RuntimeError("the event broker stopped")

        # A shutdown answers the waiting subscriber (Unavailable) instead of cutting it off.
        return await self.runs.drain.answer(follow())
