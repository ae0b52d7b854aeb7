"""The thread-centric streaming protocol (v2) of the LangGraph JS SDK 1.x, over the core services.

`client.threads.stream(...)` speaks it: `POST /threads/{thread_id}/commands` carries one command
envelope (`{"id", "method", "params"}`) and answers `{"type": "success", "id", "result"}` or
`{"type": "error", "id", "error", "message"}`; `POST /threads/{thread_id}/stream/events` opens an
SSE stream of `ProtocolEvent` frames (`{"type": "event", "event_id", "seq", "method", "params":
{"namespace", "timestamp", "data", "node"?}}`) filtered by `channels`, `namespaces` and `depth`
and replaying from `since`.

Commands: `run.start` (creates the thread if needed, starts a run), `input.respond` (resumes the
interrupts named by `interrupt_id`), `agent.getTree`, and `subscription.subscribe` /
`unsubscribe` (accepted, for transports that send them; filtering is per stream here).

A stream follows the thread's newest run from its first event, then every later run, until the
client leaves. Each run is told as: `lifecycle` `running`, its `values`, `updates`, `custom`
(`{"payload": ...}`) and `messages` (message-start, content-block-start/-delta/-finish,
message-finish, from the run's message chunks), an `input.requested` per interrupt
(`{"interrupt_id", "payload"}`), and a terminal `lifecycle`: `completed`, `interrupted` (waiting
on input) or `failed` (with `error`). Event ids are stable across connections (a run event's
id is its broker id; told events are named by the run), so a client that reconnects and is
replayed the run deduplicates; `seq` is derived from them and increases along the thread.

Not served: the WebSocket transport, `input.inject`, `state.*` (they answer `unknown_command`),
tool-call blocks in `messages` and the `tools` and `tasks` channels.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from interop.core import serde
from interop.core.errors import InteropError
from interop.core.events import FROM_START, parse_event_id
from interop.core.ids import is_uuid
from interop.core.models import MultitaskStrategy, Run, RunOutcome, RunRequest, StreamEvent
from interop.core.runs import RunService
from interop.core.threads import ThreadService
from interop.rest.errors import RequestError
from interop.rest.responses import JSONResponse
from interop.rest.routing import Router, read_json
from interop.rest.sse import sse_response

router = Router()
route = router.route

CHANNELS = frozenset(
    {"values", "updates", "messages", "tools", "lifecycle", "input", "tasks", "custom"}
)
# What a protocol run streams: everything the channels above are told from.
RUN_MODES = ["values", "updates", "messages-tuple", "custom"]
# How long a stream waits for a new run before it checks again (a missed wake-up costs this).
_RECHECK_SECONDS = 30.0
_STRATEGIES: dict[str, MultitaskStrategy] = {
    s: s for s in ("reject", "interrupt", "rollback", "enqueue")
}


# -- filters ---------------------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Filter:
    """A stream's `ProtocolEventStreamRequest`."""

    channels: frozenset[str]
    namespaces: tuple[tuple[str, ...], ...] | None = None
    depth: int | None = None
    since: int | None = None

    @classmethod
    def parse(cls, body: Any) -> Filter:
        """The filter from a request body; RequestError 400 when it is not one."""
        if not isinstance(body, dict):
            raise RequestError(400, "The body must be an object.")
        channels = body.get("channels")
        if (
            not isinstance(channels, list)
            or not channels
            or not all(isinstance(c, str) and _known_channel(c) for c in channels)
        ):
            raise RequestError(400, "'channels' must be a non-empty list of protocol channels.")
        namespaces = body.get("namespaces")
        if namespaces is not None and not (
            isinstance(namespaces, list)
            and all(isinstance(n, list) and all(isinstance(s, str) for s in n) for n in namespaces)
        ):
            raise RequestError(400, "'namespaces' must be a list of string lists.")
        depth, since = body.get("depth"), body.get("since")
        for name, value in (("depth", depth), ("since", since)):
            if value is not None and (type(value) is not int or value < 0):
                raise RequestError(400, f"'{name}' must be a non-negative integer.")
        return cls(
            frozenset(channels),
            tuple(tuple(n) for n in namespaces) if namespaces is not None else None,
            depth,
            since,
        )

    def matches(self, event: dict[str, Any]) -> bool:
        if self.since is not None and event["seq"] <= self.since:
            return False
        method = event["method"]
        params = event["params"]
        channel = "input" if method == "input.requested" else method
        if channel not in self.channels:
            name = params["data"].get("name") if isinstance(params["data"], dict) else None
            if channel != "custom" or f"custom:{name}" not in self.channels:
                return False
        if not self.namespaces:
            return True
        namespace = params["namespace"]
        return any(
            tuple(namespace[: len(prefix)]) == prefix
            and (self.depth is None or len(namespace) - len(prefix) <= self.depth)
            for prefix in self.namespaces
        )


def _known_channel(name: str) -> bool:
    return name in CHANNELS or (name.startswith("custom:") and len(name) > len("custom:"))


# -- one run as protocol events ------------------------------------------------------------------


def _event(
    event_id: str,
    seq: int,
    method: str,
    namespace: list[str],
    data: Any,
    node: str | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "namespace": namespace,
        "timestamp": timestamp if timestamp is not None else int(time.time() * 1000),
        "data": data,
    }
    if node is not None:
        params["node"] = node
    return {"type": "event", "event_id": event_id, "seq": seq, "method": method, "params": params}


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            b if isinstance(b, str) else str(b.get("text") or "")
            for b in content
            if isinstance(b, str) or (isinstance(b, dict) and b.get("type") == "text")
        )
    return ""


_ROLES = {"AIMessageChunk": "ai", "HumanMessageChunk": "human", "ToolMessageChunk": "tool"}


@dataclass(slots=True)
class _Message:
    key: str
    namespace: list[str]
    node: str | None
    text: str = ""


@dataclass(slots=True)
class RunTeller:
    """Tells one run as protocol events (pure: fed the run's stream events and outcome)."""

    run: Run
    graph_name: str
    seq: int = 0
    _namespaces: set[tuple[str, ...]] = field(default_factory=set)
    _interrupts: set[str] = field(default_factory=set)
    _messages: dict[str, _Message] = field(default_factory=dict)
    saw_values: bool = False

    def _own(
        self, tag: str, method: str, namespace: list[str], data: Any, node: str | None = None
    ) -> dict[str, Any]:
        """An event this teller makes up (not a broker event), named by the run and `tag`."""
        self.seq += 1
        return _event(f"{self.run.run_id}.{tag}", self.seq, method, namespace, data, node)

    def start(self) -> list[dict[str, Any]]:
        self.seq = int(self.run.created_at.timestamp() * 1000) * 1000
        return [self._own("running", "lifecycle", [], self._lifecycle("running"))]

    def _lifecycle(self, status: str, error: str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"event": status, "graph_name": self.graph_name}
        if error is not None:
            data["error"] = error
        return data

    def feed(self, event: StreamEvent) -> list[dict[str, Any]]:
        """The protocol events one run stream event becomes."""
        name, _, suffix = event.event.partition("|")
        namespace = suffix.split("|") if suffix else []
        parsed = parse_event_id(event.id)
        # seq follows the broker's clock (so it grows from run to run along the thread) and
        # gives each told event its own number.
        floor = parsed[0] * 1000 + min(parsed[1], 999) if parsed else 0
        ms = parsed[0] if parsed else None
        self.seq = max(self.seq, floor)
        out = self._enter(namespace)
        if name in ("metadata", "error"):
            return out  # the run's end is told from its outcome
        data = serde.loads(event.data)

        def told(method: str, payload: Any, node: str | None = None, part: str = "") -> None:
            self.seq += 1
            out.append(_event(event.id + part, self.seq, method, namespace, payload, node, ms))

        if name == "values" and isinstance(data, dict):
            out.extend(self._asks(namespace, data.get("__interrupt__")))
            values = {k: v for k, v in data.items() if k != "__interrupt__"}
            if values:
                self.saw_values = self.saw_values or not namespace
                told("values", values)
        elif name == "updates" and isinstance(data, dict):
            for index, (node, update) in enumerate(data.items()):
                if node == "__interrupt__":
                    out.extend(self._asks(namespace, update))
                else:
                    told("updates", update, node, f".{index}" if index else "")
        elif name == "custom":
            told("custom", {"payload": data})
        elif name == "messages" and isinstance(data, list) and len(data) == 2:
            for index, (method, payload, node) in enumerate(self._message(namespace, *data)):
                told(method, payload, node, f".{index}" if index else "")
        return out

    def _enter(self, namespace: list[str]) -> list[dict[str, Any]]:
        out = []
        for length in range(1, len(namespace) + 1):
            prefix = tuple(namespace[:length])
            if prefix not in self._namespaces:
                self._namespaces.add(prefix)
                graph = prefix[-1].split(":", 1)[0]
                tag = "started." + "/".join(prefix)
                out.append(self._own(tag, "lifecycle", list(prefix), _started(graph)))
        return out

    def _asks(self, namespace: list[str], interrupts: Any) -> list[dict[str, Any]]:
        out = []
        for item in interrupts if isinstance(interrupts, list) else []:
            if not isinstance(item, dict):
                continue
            interrupt_id = str(item.get("id") or f"interrupt_{len(self._interrupts)}")
            if interrupt_id in self._interrupts:
                continue
            self._interrupts.add(interrupt_id)
            data = {"interrupt_id": interrupt_id, "payload": item.get("value")}
            out.append(self._own(f"input.{interrupt_id}", "input.requested", namespace, data))
        return out

    def _message(
        self, namespace: list[str], message: Any, metadata: Any
    ) -> list[tuple[str, dict[str, Any], str | None]]:
        if not isinstance(message, dict):
            return []
        kind = str(message.get("type") or "")
        key = str(message.get("id") or "")
        node = metadata.get("langgraph_node") if isinstance(metadata, dict) else None
        out: list[tuple[str, dict[str, Any], str | None]] = []
        current = self._messages.get(key)
        if current is None:
            current = _Message(key, namespace, node if isinstance(node, str) else None)
            self._messages[key] = current
            role = _ROLES.get(kind, kind)
            out.append(("messages", {"event": "message-start", "id": key, "role": role}, None))
            start = {"event": "content-block-start", "index": 0, "content": _text_block("")}
            out.append(("messages", start, None))
        text = _text_of(message.get("content"))
        chunk = kind.endswith("Chunk")
        if chunk and text:
            current.text += text
            delta = {"event": "content-block-delta", "index": 0, "content": _text_block(text)}
            out.append(("messages", delta, None))
        if not chunk:
            current.text = text
        finish = (message.get("response_metadata") or {}).get("finish_reason")
        if not chunk or message.get("chunk_position") == "last" or finish:
            out.extend(self._finish(current, str(finish or "stop")))
        return [(method, data, current.node) for method, data, _ in out]

    def _finish(self, message: _Message, reason: str) -> list[tuple[str, dict[str, Any], None]]:
        self._messages.pop(message.key, None)
        done = {"event": "content-block-finish", "index": 0, "content": _text_block(message.text)}
        return [
            ("messages", done, None),
            ("messages", {"event": "message-finish", "reason": reason}, None),
        ]

    def end(self, outcome: RunOutcome) -> list[dict[str, Any]]:
        """The events that close the run: open messages, final values and interrupts when the
        stream did not carry them, the terminal lifecycle of each namespace and of the run."""
        out: list[dict[str, Any]] = []
        for message in list(self._messages.values()):
            for index, (method, data, _) in enumerate(self._finish(message, "stop")):
                tag = f"{message.key}.end.{index}"
                out.append(self._own(tag, method, message.namespace, data, message.node))
        values = outcome.values
        if not self.saw_values and isinstance(values, dict) and values:
            out.append(self._own("values", "values", [], values))
        out.extend(self._asks([], outcome.interrupts))
        if outcome.status == "success":
            status, error = ("interrupted" if outcome.interrupts else "completed"), None
        else:
            status = "failed"
            reason = (outcome.error or {}).get("message") or (outcome.error or {}).get("error")
            error = str(reason or f"The run ended with status {outcome.status}.")
        for prefix in sorted(self._namespaces, key=len, reverse=True):
            tag = f"{status}." + "/".join(prefix)
            graph = prefix[-1].split(":", 1)[0]
            out.append(
                self._own(tag, "lifecycle", list(prefix), {"event": status, "graph_name": graph})
            )
        out.append(self._own(status, "lifecycle", [], self._lifecycle(status, error)))
        return out


def _started(graph: str) -> dict[str, Any]:
    return {"event": "started", "graph_name": graph}


def _text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


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
    if not isinstance(body, dict):
        raise CommandError("invalid_argument", "A command must be a JSON object.")
    command_id, method = body.get("id"), body.get("method")
    if type(command_id) is not int or command_id < 0 or not isinstance(method, str):
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
    stream=True,
)
async def thread_stream_events(request: Request) -> Response:
    thread_id = _thread_id(request)
    wanted = Filter.parse(await read_json(request))
    await request.app.state.threads.get(thread_id)  # 404 before the stream opens
    events = thread_events(request, thread_id, wanted)
    return sse_response(events, heartbeat=request.app.state.settings.heartbeat_seconds)


def tell(
    run: Run, graph_name: str, events: Iterable[StreamEvent], outcome: RunOutcome
) -> list[dict[str, Any]]:
    """A finished run told at once (for tests and replays): every event it becomes."""
    teller = RunTeller(run, graph_name)
    told = teller.start()
    for event in events:
        told.extend(teller.feed(event))
    told.extend(teller.end(outcome))
    return told
