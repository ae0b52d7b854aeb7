"""The thread-centric streaming protocol (v2) of the LangGraph JS SDK 1.x, over the core services.

`client.threads.stream(...)` speaks it: `POST /threads/{thread_id}/commands` carries one command
envelope (`{"id", "method", "params"}`) and answers `{"type": "success", "id", "result"}` or
`{"type": "error", "id", "error", "message"}` (a malformed envelope is a 400);
`POST /threads/{thread_id}/stream/events` opens an SSE stream of `ProtocolEvent` frames
(`event:` the method, `id:` the event id) filtered by `channels`, `namespaces` and `depth` and
replaying from `since` (what the events are: `protocol_events`).

Commands: `run.start` (makes the thread if needed, starts a run; on a thread waiting on an
interrupt the input is the resume value), `input.respond` (resumes the interrupts named by
`interrupt_id`), `agent.getTree`, and `subscription.subscribe` / `unsubscribe` (accepted, for
transports that send them; filtering is per stream here). Others answer `unknown_command`.

A stream follows the thread's newest run from its first event, then every later run, until the
client leaves; a thread without runs stays idle until one starts. Not served: the WebSocket
transport, `input.inject`, `state.*`, the `tools` and `tasks` channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema
from starlette.requests import Request
from starlette.responses import Response

from interop.core import serde
from interop.core.errors import InteropError
from interop.core.events import FROM_START
from interop.core.ids import is_uuid
from interop.core.models import MultitaskStrategy, Run, RunOutcome, RunRequest, StreamEvent
from interop.core.runs import RunService
from interop.core.threads import ThreadService
from interop.rest.errors import RequestError
from interop.rest.models import ErrorResponse, integral
from interop.rest.protocol_events import CHANNELS, RUN_MODES, Filter, RunTeller
from interop.rest.responses import JSONResponse
from interop.rest.routing import Router, query_int, read_json
from interop.rest.sse import for_at_most, sse_response

router = Router()
route = router.route

MAX_COMMAND_ID = 2**53 - 1  # a JavaScript client's safe integer

# -- wire shapes (documentation: the handlers check them, answering 400 as the protocol does) --


class ThreadCommand(BaseModel):
    """A command envelope."""

    id: int = Field(ge=0, le=MAX_COMMAND_ID)
    method: str
    # an object (or null); other values are the command's error (200), not the envelope's (400)
    params: Any = None


class CommandSuccess(BaseModel):
    type: Literal["success"]
    id: int
    result: dict[str, Any]
    meta: dict[str, Any]


class CommandFailure(BaseModel):
    """A command's error; with status 400 for a malformed envelope (`id` then null)."""

    type: Literal["error"]
    id: int | None
    error: str
    message: str


Channel = Annotated[
    str,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "enum": sorted(CHANNELS)},
                {"type": "string", "pattern": "^custom:[\\s\\S]+$"},
            ]
        }
    ),
]
Count = Annotated[int | None, Field(ge=0)]


class ProtocolStreamRequest(BaseModel):
    """What a stream of protocol events carries (`Filter`)."""

    channels: list[Channel] = Field(min_length=1)
    namespaces: list[list[str]] | None = None
    depth: Count = None
    since: Count = None


_RECHECK_SECONDS = 30.0
_STRATEGIES: dict[str, MultitaskStrategy] = {
    s: s for s in ("reject", "interrupt", "rollback", "enqueue")
}


# -- following a thread ------------------------------------------------------------------------


class ThreadWatch:
    """Wakes the streams of a thread when one of its runs starts or ends (one core listener per
    app, fanned out to the streams waiting on that thread)."""

    def __init__(self, runs: RunService) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}
        runs.add_listener(self._changed)

    async def _changed(self, run: Run, outcome: RunOutcome | None) -> None:
        for event in list(self._waiting.get(run.thread_id, ())):
            event.set()

    @contextlib.contextmanager
    def watching(self, thread_id: str) -> Any:
        event = asyncio.Event()
        self._waiting.setdefault(thread_id, set()).add(event)
        try:
            yield event
        finally:
            waiting = self._waiting.get(thread_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._waiting[thread_id]


def _watch(request: Request) -> ThreadWatch:
    state = request.app.state
    watch: ThreadWatch | None = getattr(state, "protocol_thread_watch", None)
    if watch is None:
        watch = ThreadWatch(state.runs)
        state.protocol_thread_watch = watch
    return watch


async def _newer_runs(runs: RunService, thread_id: str, after: Run | None) -> list[Run]:
    """The thread's runs created after `after` (oldest first); the newest alone when None."""
    if after is None:
        return (await runs.list(thread_id, limit=1))[:1]
    found: list[Run] = []
    offset = 0
    while True:
        page = await runs.list(thread_id, limit=20, offset=offset)
        for run in page:
            if (run.created_at, run.run_id) <= (after.created_at, after.run_id):
                return list(reversed(found))
            found.append(run)
        if len(page) < 20:
            return list(reversed(found))
        offset += 20


async def _tell_run(runs: RunService, request: Request, run: Run) -> AsyncIterator[dict[str, Any]]:
    teller = RunTeller(run, await _graph_of(request, run))
    for event in teller.start():
        yield event
    async for raw in runs.stream(run, FROM_START):
        for event in teller.feed(raw):
            yield event
    outcome = await runs.wait(run)
    for event in teller.end(outcome):
        yield event


async def _graph_of(request: Request, run: Run) -> str:
    try:
        assistant = await request.app.state.assistants.get(run.assistant_id)
    except InteropError:  # deleted since
        return run.assistant_id
    return str(assistant.graph_id)


async def thread_events(
    request: Request, thread_id: str, wanted: Filter
) -> AsyncIterator[StreamEvent]:
    """The protocol events of the thread's newest run and every later one, as SSE records."""
    runs: RunService = request.app.state.runs
    with _watch(request).watching(thread_id) as woken:
        last: Run | None = None
        while True:
            woken.clear()
            newer = await _newer_runs(runs, thread_id, last)
            for run in newer:
                async for event in _tell_run(runs, request, run):
                    if wanted.matches(event):
                        yield StreamEvent(event["event_id"], event["method"], serde.dumps(event))
                last = run
            if not newer:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(_RECHECK_SECONDS):
                        await woken.wait()


# -- commands ----------------------------------------------------------------------------------


class CommandError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _error(command_id: int | None, code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "id": command_id, "error": code, "message": message}


def _params(command: dict[str, Any]) -> dict[str, Any]:
    params = command.get("params")
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise CommandError("invalid_argument", "'params' must be an object.")
    return params


def _object(params: dict[str, Any], name: str) -> dict[str, Any]:
    value = params.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CommandError("invalid_argument", f"'{name}' must be an object.")
    return value


def _run_request(assistant_id: str, params: dict[str, Any], **kwargs: Any) -> RunRequest:
    """A protocol run: `params`' config, metadata, context and multitask strategy, every
    channel's stream modes, kept when it ends."""
    config = _object(params, "config")
    strategy = params.get("multitask_strategy") or params.get("multitaskStrategy") or "enqueue"
    if strategy not in _STRATEGIES:
        raise CommandError("invalid_argument", f"Unknown multitask strategy '{strategy}'.")
    checkpoint_id = (config.get("configurable") or {}).get("checkpoint_id")
    return RunRequest(
        assistant_id=assistant_id,
        metadata=_object(params, "metadata"),
        config=config,
        context=_object(params, "context"),
        checkpoint={"checkpoint_id": checkpoint_id} if checkpoint_id else None,
        stream_mode=list(RUN_MODES),
        stream_subgraphs=True,
        multitask_strategy=_STRATEGIES[strategy],
        on_completion="keep",
        **kwargs,
    )


async def _run_start(request: Request, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """Start a run with `input`, on a thread made if needed; on a thread waiting on an
    interrupt, `input` is the resume value (the protocol's one entry point for input)."""
    assistant_id = params.get("assistant_id")
    if not isinstance(assistant_id, str) or not assistant_id:
        raise CommandError("invalid_argument", "run.start requires an assistant_id.")
    _run_request(assistant_id, params)  # bad params answer before anything is made
    await request.app.state.assistants.get(assistant_id)
    threads: ThreadService = request.app.state.threads
    thread = await threads.create(thread_id=thread_id, if_exists="do_nothing")
    if thread.status == "interrupted" and thread.interrupts:
        run_request = _run_request(assistant_id, params, command={"resume": params.get("input")})
    else:
        run_request = _run_request(assistant_id, params, input=params.get("input"))
    run = await request.app.state.runs.create(thread_id, run_request)
    return {"run_id": run.run_id}


def _responses(params: dict[str, Any]) -> dict[str, Any]:
    entries = params["responses"] if isinstance(params.get("responses"), list) else [params]
    answers: dict[str, Any] = {}
    for entry in entries:
        interrupt_id = entry.get("interrupt_id") if isinstance(entry, dict) else None
        if not isinstance(interrupt_id, str) or not interrupt_id:
            raise CommandError("invalid_argument", "input.respond requires an interrupt_id.")
        answers[interrupt_id] = entry.get("response")
    return answers


async def _input_respond(
    request: Request, thread_id: str, params: dict[str, Any]
) -> dict[str, Any]:
    """Resume the interrupts named by `interrupt_id` (or each of `responses`), with the
    optional `update` and `goto` of the same superstep."""
    answers = _responses(params)
    threads: ThreadService = request.app.state.threads
    runs: RunService = request.app.state.runs
    thread = await threads.get(thread_id)
    waiting = {str(i.get("id")) for items in thread.interrupts.values() for i in items}
    unknown = sorted(set(answers) - waiting)
    if unknown:
        raise CommandError("no_such_interrupt", f"The thread does not wait on {unknown[0]!r}.")
    latest = await runs.list(thread_id, limit=1)
    if not latest:
        raise CommandError("no_such_run", "The thread has no run to resume.")
    command: dict[str, Any] = {"resume": answers}
    for key in ("update", "goto"):
        if params.get(key) is not None:
            command[key] = params[key]
    await runs.create(thread_id, _run_request(latest[0].assistant_id, params, command=command))
    return {}


async def _agent_tree(request: Request, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
    runs: RunService = request.app.state.runs
    latest = await runs.list(thread_id, limit=1)
    name = await _graph_of(request, latest[0]) if latest else "agent"
    status = "running" if latest and not latest[0].done else "completed"
    return {"tree": {"namespace": [], "graph_name": name, "status": status, "children": []}}


async def _subscribe(request: Request, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"subscription_id": str(uuid.uuid4())}


async def _unsubscribe(request: Request, thread_id: str, params: dict[str, Any]) -> dict[str, Any]:
    return {}


_COMMANDS = {
    "run.start": _run_start,
    "input.respond": _input_respond,
    "agent.getTree": _agent_tree,
    "subscription.subscribe": _subscribe,
    "subscription.unsubscribe": _unsubscribe,
}


def _envelope(body: Any) -> tuple[int, str]:
    """The id and method of a command (`ThreadCommand`); CommandError otherwise."""
    if not isinstance(body, dict):
        raise CommandError("invalid_argument", "A command must be a JSON object.")
    command_id, method = integral(body.get("id")), body.get("method")
    if (
        type(command_id) is not int
        or not 0 <= command_id <= MAX_COMMAND_ID
        or not isinstance(method, str)
    ):
        raise CommandError("invalid_argument", "A command needs an integer id and a method.")
    return command_id, method


def _thread_id(request: Request) -> str:
    thread_id = str(request.path_params["thread_id"])
    if not is_uuid(thread_id):
        raise RequestError(422, "Invalid thread ID: must be a UUID.")
    return thread_id


@route(
    "POST",
    "/threads/{thread_id}/commands",
    summary="Send a thread protocol (v2) command",
    tag="Thread stream (v2)",
    body=ThreadCommand,
    response=CommandSuccess | CommandFailure,
    errors={400: CommandFailure},
)
async def thread_command(request: Request) -> Response:
    thread_id = _thread_id(request)
    try:
        body = await read_json(request)
    except RequestError as exc:
        if exc.status != 422:
            raise
        return JSONResponse(_error(None, "invalid_argument", "Malformed JSON."), status_code=400)
    try:
        command_id, method = _envelope(body)
    except CommandError as exc:
        return JSONResponse(_error(None, exc.code, exc.message), status_code=400)
    handler = _COMMANDS.get(method)
    if handler is None:
        return JSONResponse(_error(command_id, "unknown_command", f"Unknown command {method!r}."))
    try:
        result = await handler(request, thread_id, _params(body))
    except CommandError as exc:
        return JSONResponse(_error(command_id, exc.code, exc.message))
    except InteropError as exc:  # unknown assistant, busy thread (reject), bad input
        return JSONResponse(_error(command_id, "invalid_argument", exc.message))
    meta = {"thread_id": thread_id}
    return JSONResponse({"type": "success", "id": command_id, "result": result, "meta": meta})


@route(
    "POST",
    "/threads/{thread_id}/stream/events",
    summary="Stream a thread's protocol (v2) events",
    tag="Thread stream (v2)",
    body=ProtocolStreamRequest,
    stream=True,
    query={"timeout": "integer"},
    errors={400: ErrorResponse},
)
async def thread_stream_events(request: Request) -> Response:
    """`timeout` (seconds) ends the stream (else it stays open until the client leaves)."""
    thread_id = _thread_id(request)
    wanted = Filter.parse(await read_json(request))
    timeout = query_int(request, "timeout", 0) or None
    await request.app.state.threads.get(thread_id)  # 404 before the stream opens
    events = for_at_most(thread_events(request, thread_id, wanted), timeout)
    return sse_response(events, heartbeat=request.app.state.settings.heartbeat_seconds)
