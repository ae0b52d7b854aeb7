"""REST handlers: translate HTTP ⇄ core service calls. No behaviour of their own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from interop import __version__
from interop.core import serde
from interop.core.assistants import AssistantService
from interop.core.events import FROM_NOW, FROM_START, parse_event_id
from interop.core.ids import is_uuid
from interop.core.models import Run, RunRequest
from interop.core.runs import RunService, event_in_modes, outcome_body
from interop.core.threads import ThreadService
from interop.rest import models as m
from interop.rest import wire
from interop.rest.errors import RequestError
from interop.rest.responses import JSONResponse
from interop.rest.routing import (
    Router,
    parse_body,
    query_bool,
    query_int,
    read_json,
    validation_detail,
)
from interop.rest.sse import for_at_most, sse_response

router = Router()
route = router.route


def _assistants(request: Request) -> AssistantService:
    return request.app.state.assistants  # type: ignore[no-any-return]


def _threads(request: Request) -> ThreadService:
    return request.app.state.threads  # type: ignore[no-any-return]


def _runs(request: Request) -> RunService:
    return request.app.state.runs  # type: ignore[no-any-return]


_ID_LABELS = {"thread_id": "thread", "run_id": "run", "assistant_id": "assistant"}


def _path(request: Request, name: str) -> str:
    """A path parameter; thread and run ids (and assistant ids that are not graph names) must
    be UUIDs (422 otherwise)."""
    value = str(request.path_params[name])
    label = _ID_LABELS.get(name)
    graph_name = label == "assistant" and value in request.app.state.graphs
    if label is not None and not graph_name and not is_uuid(value):
        raise RequestError(422, f"Invalid {label} ID: must be a UUID.")
    return value


def _ok(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(content, status_code=status, headers=headers)


def _pagination(total: int, offset: int, returned: int) -> dict[str, str]:
    headers = {"X-Pagination-Total": str(total)}
    if offset + returned < total:
        headers["X-Pagination-Next"] = str(offset + returned)
    return headers


def _no_content() -> Response:
    return Response(status_code=204)


# -- system ---------------------------------------------------------------------------------


@route("GET", "/ok", summary="Health check", tag="System")
async def ok(request: Request) -> Response:
    return _ok({"ok": True})


@route("GET", "/info", summary="Server version and feature flags", tag="System")
async def info(request: Request) -> Response:
    return _ok(
        {
            "version": __version__,
            "server": "interop",
            "flags": {
                "assistants": True,
                "crons": False,
                "store": False,
                "langsmith": False,
                "a2a": True,
                "mcp": True,
            },
            "host": {"kind": "self-hosted"},
        }
    )


# -- assistants -----------------------------------------------------------------------------


@route(
    "POST",
    "/assistants",
    summary="Create an assistant",
    tag="Assistants",
    body=m.AssistantCreate,
    response=m.Assistant,
)
async def create_assistant(request: Request) -> Response:
    body = await parse_body(request, m.AssistantCreate)
    assistant = await _assistants(request).create(**body.model_dump())
    return _ok(wire.assistant(assistant))


@route(
    "POST",
    "/assistants/search",
    summary="Search assistants",
    tag="Assistants",
    body=m.AssistantSearch,
    response=list[m.Assistant],
)
async def search_assistants(request: Request) -> Response:
    body = await parse_body(request, m.AssistantSearch, allow_empty=True)
    service = _assistants(request)
    found = await service.search(**body.model_dump(exclude={"select"}))
    total = await service.count(graph_id=body.graph_id, name=body.name, metadata=body.metadata)
    return _ok(
        [wire.assistant(a, body.select) for a in found],
        headers=_pagination(total, body.offset, len(found)),
    )


@route(
    "POST",
    "/assistants/count",
    summary="Count assistants",
    tag="Assistants",
    body=m.AssistantCount,
    response=int,
)
async def count_assistants(request: Request) -> Response:
    body = await parse_body(request, m.AssistantCount, allow_empty=True)
    return _ok(await _assistants(request).count(**body.model_dump()))


@route(
    "GET",
    "/assistants/{assistant_id}",
    summary="Get an assistant",
    tag="Assistants",
    response=m.Assistant,
)
async def get_assistant(request: Request) -> Response:
    assistant = await _assistants(request).get(_path(request, "assistant_id"))
    return _ok(wire.assistant(assistant))


@route(
    "PATCH",
    "/assistants/{assistant_id}",
    summary="Update an assistant (a new version)",
    tag="Assistants",
    body=m.AssistantPatch,
    response=m.Assistant,
)
async def patch_assistant(request: Request) -> Response:
    body = await parse_body(request, m.AssistantPatch, allow_empty=True)
    assistant = await _assistants(request).update(
        _path(request, "assistant_id"), body.model_dump(exclude_unset=True)
    )
    return _ok(wire.assistant(assistant))


@route(
    "DELETE",
    "/assistants/{assistant_id}",
    summary="Delete an assistant",
    tag="Assistants",
    status=204,
)
async def delete_assistant(request: Request) -> Response:
    await _assistants(request).delete(_path(request, "assistant_id"))
    return _no_content()


@route(
    "GET",
    "/assistants/{assistant_id}/graph",
    summary="The assistant's graph drawing",
    tag="Assistants",
    query={"xray": "boolean|integer"},
)
async def assistant_graph(request: Request) -> Response:
    raw = request.query_params.get("xray", "false")
    xray: bool | int
    xray = int(raw) if raw.isdigit() else query_bool(request, "xray")
    return _ok(await _assistants(request).drawing(_path(request, "assistant_id"), xray=xray))


@route(
    "GET",
    "/assistants/{assistant_id}/schemas",
    summary="The graph's JSON schemas",
    tag="Assistants",
)
async def assistant_schemas(request: Request) -> Response:
    return _ok(await _assistants(request).schemas(_path(request, "assistant_id")))


@route(
    "GET",
    "/assistants/{assistant_id}/subgraphs",
    summary="The graph's subgraphs",
    tag="Assistants",
    query={"recurse": "boolean"},
)
async def assistant_subgraphs(request: Request) -> Response:
    return _ok(
        await _assistants(request).subgraphs(
            _path(request, "assistant_id"), recurse=query_bool(request, "recurse")
        )
    )


@route(
    "GET",
    "/assistants/{assistant_id}/subgraphs/{namespace}",
    summary="One subgraph by namespace",
    tag="Assistants",
    query={"recurse": "boolean"},
)
async def assistant_subgraph(request: Request) -> Response:
    return _ok(
        await _assistants(request).subgraphs(
            _path(request, "assistant_id"),
            namespace=_path(request, "namespace"),
            recurse=query_bool(request, "recurse"),
        )
    )


@route(
    "POST",
    "/assistants/{assistant_id}/versions",
    summary="List an assistant's versions",
    tag="Assistants",
    body=m.AssistantVersionsSearch,
    response=list[m.Assistant],
)
async def assistant_versions(request: Request) -> Response:
    body = await parse_body(request, m.AssistantVersionsSearch, allow_empty=True)
    versions = await _assistants(request).versions(
        _path(request, "assistant_id"), **body.model_dump()
    )
    return _ok([wire.assistant(a) for a in versions])


@route(
    "POST",
    "/assistants/{assistant_id}/latest",
    summary="Make a version the latest",
    tag="Assistants",
    body=m.AssistantLatest,
    response=m.Assistant,
)
async def assistant_latest(request: Request) -> Response:
    body = await parse_body(request, m.AssistantLatest)
    assistant = await _assistants(request).set_latest(_path(request, "assistant_id"), body.version)
    return _ok(wire.assistant(assistant))


# -- threads --------------------------------------------------------------------------------


@route(
    "POST",
    "/threads",
    summary="Create a thread",
    tag="Threads",
    body=m.ThreadCreate,
    response=m.Thread,
)
async def create_thread(request: Request) -> Response:
    body = await parse_body(request, m.ThreadCreate, allow_empty=True)
    thread = await _threads(request).create(
        thread_id=body.thread_id,
        metadata=body.metadata,
        if_exists=body.if_exists,
        supersteps=[s.model_dump() for s in body.supersteps] if body.supersteps else None,
    )
    return _ok(wire.thread(thread))


@route(
    "POST",
    "/threads/search",
    summary="Search threads",
    tag="Threads",
    body=m.ThreadSearch,
    response=list[m.Thread],
)
async def search_threads(request: Request) -> Response:
    body = await parse_body(request, m.ThreadSearch, allow_empty=True)
    service = _threads(request)
    found = await service.search(**body.model_dump(exclude={"select"}))
    total = await service.count(
        metadata=body.metadata, values=body.values, status=body.status, ids=body.ids
    )
    return _ok(
        [wire.thread(t, body.select) for t in found],
        headers=_pagination(total, body.offset, len(found)),
    )


@route(
    "POST",
    "/threads/count",
    summary="Count threads",
    tag="Threads",
    body=m.ThreadCount,
    response=int,
)
async def count_threads(request: Request) -> Response:
    body = await parse_body(request, m.ThreadCount, allow_empty=True)
    return _ok(await _threads(request).count(**body.model_dump()))


@route(
    "POST",
    "/threads/prune",
    summary="Delete threads or their old checkpoints",
    tag="Threads",
    body=m.ThreadPrune,
)
async def prune_threads(request: Request) -> Response:
    body = await parse_body(request, m.ThreadPrune)
    pruned = await _threads(request).prune(body.thread_ids, body.strategy)
    return _ok({"pruned_count": pruned})


@route("GET", "/threads/{thread_id}", summary="Get a thread", tag="Threads", response=m.Thread)
async def get_thread(request: Request) -> Response:
    return _ok(wire.thread(await _threads(request).get(_path(request, "thread_id"))))


@route(
    "PATCH",
    "/threads/{thread_id}",
    summary="Update a thread's metadata",
    tag="Threads",
    body=m.ThreadPatch,
    response=m.Thread,
)
async def patch_thread(request: Request) -> Response:
    body = await parse_body(request, m.ThreadPatch, allow_empty=True)
    thread = await _threads(request).update(_path(request, "thread_id"), body.metadata or {})
    return _ok(wire.thread(thread))


@route(
    "DELETE",
    "/threads/{thread_id}",
    summary="Delete a thread (cancels its runs)",
    tag="Threads",
    status=204,
)
async def delete_thread(request: Request) -> Response:
    await _threads(request).delete(_path(request, "thread_id"))
    return _no_content()


@route(
    "POST",
    "/threads/{thread_id}/copy",
    summary="Copy a thread with its history",
    tag="Threads",
    response=m.Thread,
)
async def copy_thread(request: Request) -> Response:
    return _ok(wire.thread(await _threads(request).copy(_path(request, "thread_id"))))


@route(
    "GET",
    "/threads/{thread_id}/state",
    summary="The thread's current state",
    tag="Thread state",
    response=m.ThreadState,
    query={"subgraphs": "boolean"},
)
async def get_state(request: Request) -> Response:
    state = await _threads(request).get_state(
        _path(request, "thread_id"), subgraphs=query_bool(request, "subgraphs")
    )
    return _ok(state)


@route(
    "POST",
    "/threads/{thread_id}/state",
    summary="Update the thread's state",
    tag="Thread state",
    body=m.ThreadStateUpdate,
)
async def update_state(request: Request) -> Response:
    body = await parse_body(request, m.ThreadStateUpdate)
    checkpoint = body.checkpoint.model_dump(exclude_none=True) if body.checkpoint else None
    if body.checkpoint_id:
        checkpoint = {**(checkpoint or {}), "checkpoint_id": body.checkpoint_id}
    result = await _threads(request).update_state(
        _path(request, "thread_id"),
        values=body.values,
        as_node=body.as_node,
        checkpoint=checkpoint,
    )
    return _ok(result)


@route(
    "GET",
    "/threads/{thread_id}/state/{checkpoint_id}",
    summary="The thread's state at a checkpoint",
    tag="Thread state",
    response=m.ThreadState,
    query={"subgraphs": "boolean"},
)
async def get_state_at(request: Request) -> Response:
    state = await _threads(request).get_state(
        _path(request, "thread_id"),
        checkpoint={"checkpoint_id": _path(request, "checkpoint_id")},
        subgraphs=query_bool(request, "subgraphs"),
    )
    return _ok(state)


@route(
    "POST",
    "/threads/{thread_id}/state/checkpoint",
    summary="The thread's state at a checkpoint (checkpoint in the body)",
    tag="Thread state",
    body=m.ThreadStateCheckpoint,
    response=m.ThreadState,
)
async def post_state_at(request: Request) -> Response:
    body = await parse_body(request, m.ThreadStateCheckpoint)
    state = await _threads(request).get_state(
        _path(request, "thread_id"),
        checkpoint=body.checkpoint.model_dump(exclude_none=True),
        subgraphs=body.subgraphs,
    )
    return _ok(state)


@route(
    "GET",
    "/threads/{thread_id}/history",
    summary="Past states, newest first",
    tag="Thread state",
    response=list[m.ThreadState],
    query={"limit": "integer", "before": "string"},
)
async def get_history(request: Request) -> Response:
    before = request.query_params.get("before")
    history = await _threads(request).history(
        _path(request, "thread_id"),
        limit=query_int(request, "limit", 10, minimum=1, maximum=1000),
        before={"checkpoint_id": before} if before else None,
    )
    return _ok(history)


@route(
    "POST",
    "/threads/{thread_id}/history",
    summary="Past states, newest first (filtered)",
    tag="Thread state",
    body=m.ThreadHistory,
    response=list[m.ThreadState],
)
async def post_history(request: Request) -> Response:
    body = await parse_body(request, m.ThreadHistory, allow_empty=True)
    before: dict[str, Any] | None
    if isinstance(body.before, str):
        before = {"checkpoint_id": body.before}
    else:
        before = body.before.model_dump(exclude_none=True) if body.before else None
    history = await _threads(request).history(
        _path(request, "thread_id"),
        limit=body.limit,
        before=before,
        metadata=body.metadata,
        checkpoint=body.checkpoint.model_dump(exclude_none=True) if body.checkpoint else None,
    )
    return _ok(history)


def _last_event_id(request: Request) -> str | None:
    """The Last-Event-ID header: an event id, or FROM_START for `-1`/`0` (replay everything)."""
    value = request.headers.get("last-event-id")
    if value is None:
        return None
    if value.strip() in ("-", "-1", "0", "0-0"):
        return FROM_START
    if parse_event_id(value.strip()) is None:
        raise RequestError(422, "Last-Event-ID must be an event id of the form '<ms>-<seq>'.")
    return value


def _stream_modes(request: Request, name: str = "stream_mode") -> list[str]:
    modes: list[str] = []
    for value in request.query_params.getlist(name):
        modes.extend(v for v in value.split(",") if v)
    return modes


_THREAD_STREAM_MODES = {
    "lifecycle": ("metadata", "error"),
    "state_update": ("values", "updates"),
}


def _thread_stream_modes(request: Request) -> list[str] | None:
    """Thread stream modes (`lifecycle`, `run_modes`, `state_update`; the SDK sends them as
    `stream_mode`) as the run stream modes they let through; None lets everything through
    (`run_modes`, the default). Unknown names are accepted, as the reference does."""
    names = _stream_modes(request, "stream_modes") + _stream_modes(request, "stream_mode")
    if not names or "run_modes" in names:
        return None
    allowed: list[str] = []
    for name in names:
        allowed.extend(_THREAD_STREAM_MODES.get(name, (name,)))
    return allowed


@route(
    "GET",
    "/threads/{thread_id}/stream",
    summary="Join the stream of every run on a thread",
    tag="Thread runs",
    stream=True,
    query={"stream_modes": "string", "timeout": "integer"},
)
async def thread_stream(request: Request) -> Response:
    runs = _runs(request)
    thread_id = _path(request, "thread_id")
    await _threads(request).get(thread_id)
    events = runs.thread_stream(
        thread_id, _last_event_id(request) or FROM_NOW, _thread_stream_modes(request)
    )
    bounded = for_at_most(events, query_int(request, "timeout", 0) or None)
    return sse_response(bounded, heartbeat=request.app.state.settings.heartbeat_seconds)


# -- runs -----------------------------------------------------------------------------------


def _run_request(body: m.RunCreateBase) -> RunRequest:
    modes = body.stream_mode if isinstance(body.stream_mode, list) else [body.stream_mode]
    request = RunRequest(
        assistant_id=body.assistant_id,
        input=body.input,
        command=body.command.model_dump(exclude_unset=True) if body.command else None,
        metadata=body.metadata or {},
        config=body.config.model_dump(exclude_none=True) if body.config else {},
        context=body.context or {},
        webhook=body.webhook,
        interrupt_before=body.interrupt_before,
        interrupt_after=body.interrupt_after,
        stream_mode=list(modes) or ["values"],
        stream_subgraphs=body.stream_subgraphs,
        stream_resumable=body.stream_resumable,
        feedback_keys=body.feedback_keys,
        on_disconnect=body.on_disconnect,
        after_seconds=body.after_seconds,
        durability=body.durability,
    )
    if isinstance(body, m.RunCreateStateful):
        request.multitask_strategy = body.multitask_strategy
        request.if_not_exists = body.if_not_exists
        checkpoint = body.checkpoint.model_dump(exclude_none=True) if body.checkpoint else None
        if body.checkpoint_id:
            checkpoint = {**(checkpoint or {}), "checkpoint_id": body.checkpoint_id}
        request.checkpoint = checkpoint
    elif isinstance(body, m.RunCreateStateless):
        request.on_completion = body.on_completion
    return request


async def _create(request: Request, stateful: bool) -> tuple[Run, RunRequest]:
    model: type[m.RunCreateBase] = m.RunCreateStateful if stateful else m.RunCreateStateless
    body = await parse_body(request, model)
    run_request = _run_request(body)
    thread_id = _path(request, "thread_id") if stateful else None
    run = await _runs(request).create(thread_id, run_request)
    return run, run_request


def _run_url(run: Run) -> str:
    return f"/threads/{run.thread_id}/runs/{run.run_id}"


async def _create_run(request: Request, stateful: bool) -> Response:
    run, _ = await _create(request, stateful)
    url = _run_url(run) if stateful else f"/runs/{run.run_id}"
    return _ok(wire.run(run), headers={"Content-Location": url})


async def _stream_run(request: Request, stateful: bool) -> Response:
    run, run_request = await _create(request, stateful)
    runs = _runs(request)

    async def cancel() -> None:
        if run_request.on_disconnect == "cancel" and not run.done:
            await runs.cancel(run.thread_id, run.run_id, action="interrupt")

    url = _run_url(run) if stateful else f"/runs/{run.run_id}"
    return sse_response(
        runs.stream(run, FROM_START),
        heartbeat=request.app.state.settings.heartbeat_seconds,
        headers={"Location": url + "/stream", "Content-Location": url},
        on_disconnect=cancel,
    )


async def _disconnected(request: Request) -> None:
    """Returns when the client closes the connection."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def _wait_response(
    request: Request, run: Run, *, cancel_on_disconnect: bool, location: str
) -> Response:
    """The run's final values. A long wait streams whitespace every heartbeat so proxies and
    clients keep the connection open; JSON parsers skip it."""
    runs = _runs(request)
    headers = {"Location": location, "Content-Location": _run_url(run)}
    heartbeat = request.app.state.settings.heartbeat_seconds
    waiter = asyncio.ensure_future(runs.wait(run))
    watcher = asyncio.ensure_future(_disconnected(request))
    try:
        done, _ = await asyncio.wait(
            {waiter, watcher}, timeout=heartbeat, return_when=asyncio.FIRST_COMPLETED
        )
    except BaseException:
        waiter.cancel()
        watcher.cancel()
        raise
    if waiter in done:
        watcher.cancel()
        return _ok(outcome_body(waiter.result()), headers=headers)
    if watcher in done:
        waiter.cancel()
        if cancel_on_disconnect and not run.done:
            await runs.cancel(run.thread_id, run.run_id, action="interrupt")
        return Response(status_code=499)

    async def body() -> AsyncIterator[bytes]:
        try:
            while True:
                done, _ = await asyncio.wait(
                    {waiter, watcher}, timeout=heartbeat, return_when=asyncio.FIRST_COMPLETED
                )
                if waiter in done:
                    yield serde.dumps(outcome_body(waiter.result()))
                    return
                if watcher in done:
                    if cancel_on_disconnect and not run.done:
                        await runs.cancel(run.thread_id, run.run_id, action="interrupt")
                    return
                yield b"\n"
        finally:
            waiter.cancel()
            watcher.cancel()

    return StreamingResponse(body(), media_type="application/json", headers=headers)


async def _wait_run(request: Request, stateful: bool) -> Response:
    run, run_request = await _create(request, stateful)
    return await _wait_response(
        request,
        run,
        cancel_on_disconnect=run_request.on_disconnect == "cancel",
        location=_run_url(run) + "/join",
    )


@route(
    "POST",
    "/threads/{thread_id}/runs",
    summary="Create a background run",
    tag="Thread runs",
    body=m.RunCreateStateful,
    response=m.Run,
)
async def create_thread_run(request: Request) -> Response:
    return await _create_run(request, stateful=True)


@route(
    "POST",
    "/threads/{thread_id}/runs/stream",
    summary="Create a run and stream its output",
    tag="Thread runs",
    body=m.RunCreateStateful,
    stream=True,
)
async def stream_thread_run(request: Request) -> Response:
    return await _stream_run(request, stateful=True)


@route(
    "POST",
    "/threads/{thread_id}/runs/wait",
    summary="Create a run and wait for its output",
    tag="Thread runs",
    body=m.RunCreateStateful,
)
async def wait_thread_run(request: Request) -> Response:
    return await _wait_run(request, stateful=True)


@route(
    "POST",
    "/runs",
    summary="Create a stateless background run",
    tag="Stateless runs",
    body=m.RunCreateStateless,
    response=m.Run,
)
async def create_stateless_run(request: Request) -> Response:
    return await _create_run(request, stateful=False)


@route(
    "POST",
    "/runs/stream",
    summary="Create a stateless run and stream its output",
    tag="Stateless runs",
    body=m.RunCreateStateless,
    stream=True,
)
async def stream_stateless_run(request: Request) -> Response:
    return await _stream_run(request, stateful=False)


@route(
    "POST",
    "/runs/wait",
    summary="Create a stateless run and wait for its output",
    tag="Stateless runs",
    body=m.RunCreateStateless,
)
async def wait_stateless_run(request: Request) -> Response:
    return await _wait_run(request, stateful=False)


@route(
    "POST",
    "/runs/batch",
    summary="Create several stateless background runs",
    tag="Stateless runs",
    body=m.RunBatch,
    response=list[m.Run],
)
async def batch_runs(request: Request) -> Response:
    data = await read_json(request)
    if not isinstance(data, list) or not data:
        raise RequestError(
            422, [{"loc": ["body"], "msg": "expected a list of runs", "type": "list_type"}]
        )
    bodies = []
    for index, item in enumerate(data):
        try:
            bodies.append(m.RunCreateStateless.model_validate(item))
        except ValidationError as exc:
            detail = validation_detail(exc)
            for err in detail:
                err["loc"] = ["body", index, *err["loc"]]
            raise RequestError(422, detail) from exc
    # Each run is shown as it was created: a later one's creation gives the earlier ones time
    # to start, or even to end.
    created = [wire.run(await _runs(request).create(None, _run_request(body))) for body in bodies]
    return _ok(created)


@route(
    "POST",
    "/runs/cancel",
    summary="Cancel runs by id, thread or status",
    tag="Thread runs",
    body=m.RunsCancel,
    status=204,
    query={"action": "string"},
)
async def cancel_runs(request: Request) -> Response:
    body = await parse_body(request, m.RunsCancel, allow_empty=True)
    action = _cancel_action(request)
    by_ids = bool(body.thread_id and body.run_ids)
    if by_ids == bool(body.status):
        raise RequestError(422, "Give either thread_id with run_ids, or status.")
    await _runs(request).cancel_many(
        thread_id=body.thread_id, run_ids=body.run_ids, status=body.status, action=action
    )
    return _no_content()


def _cancel_action(request: Request) -> Any:
    action = request.query_params.get("action", "interrupt")
    if action not in ("interrupt", "rollback"):
        raise RequestError(422, "Query parameter 'action' must be 'interrupt' or 'rollback'.")
    return action


@route(
    "GET",
    "/threads/{thread_id}/runs",
    summary="List a thread's runs, newest first",
    tag="Thread runs",
    response=list[m.Run],
    query={"limit": "integer", "offset": "integer", "status": "string"},
)
async def list_runs(request: Request) -> Response:
    status = request.query_params.get("status")
    if status is not None and status not in (
        "pending",
        "running",
        "error",
        "success",
        "timeout",
        "interrupted",
    ):
        raise RequestError(422, "Query parameter 'status' is not a run status.")
    runs = await _runs(request).list(
        _path(request, "thread_id"),
        limit=query_int(request, "limit", 10, minimum=1, maximum=1000),
        offset=query_int(request, "offset", 0),
        status=status,  # type: ignore[arg-type]
    )
    return _ok([wire.run(r) for r in runs])


@route(
    "GET",
    "/threads/{thread_id}/runs/{run_id}",
    summary="Get a run",
    tag="Thread runs",
    response=m.Run,
)
async def get_run(request: Request) -> Response:
    run = await _runs(request).get(_path(request, "thread_id"), _path(request, "run_id"))
    return _ok(wire.run(run))


@route(
    "DELETE",
    "/threads/{thread_id}/runs/{run_id}",
    summary="Delete a run",
    tag="Thread runs",
    status=204,
)
async def delete_run(request: Request) -> Response:
    await _runs(request).delete(_path(request, "thread_id"), _path(request, "run_id"))
    return _no_content()


@route(
    "GET",
    "/threads/{thread_id}/runs/{run_id}/join",
    summary="Wait for a run to end; its final values",
    tag="Thread runs",
    query={"cancel_on_disconnect": "boolean"},
)
async def join_run(request: Request) -> Response:
    run = await _runs(request).get(_path(request, "thread_id"), _path(request, "run_id"))
    return await _wait_response(
        request,
        run,
        cancel_on_disconnect=query_bool(request, "cancel_on_disconnect"),
        location=_run_url(run) + "/join",
    )


@route(
    "GET",
    "/threads/{thread_id}/runs/{run_id}/stream",
    summary="Join a run's stream (resume with Last-Event-ID)",
    tag="Thread runs",
    stream=True,
    query={"cancel_on_disconnect": "boolean", "stream_mode": "string"},
)
async def join_run_stream(request: Request) -> Response:
    runs = _runs(request)
    run = await runs.get(_path(request, "thread_id"), _path(request, "run_id"))
    # Without Last-Event-ID a joiner of a live run gets its whole stream so far, then the rest
    # (runs start within milliseconds here, so "from now" would lose the first events of a
    # run joined right after its creation); a finished run has nothing more to say.
    start = _last_event_id(request) or (FROM_NOW if run.done else FROM_START)
    modes = _stream_modes(request)
    cancel_on_disconnect = query_bool(request, "cancel_on_disconnect")

    async def events() -> AsyncIterator[Any]:
        async for event in runs.stream(run, start):
            if event_in_modes(event.event, modes):
                yield event

    async def cancel() -> None:
        if cancel_on_disconnect and not run.done:
            await runs.cancel(run.thread_id, run.run_id, action="interrupt")

    return sse_response(
        events(),
        heartbeat=request.app.state.settings.heartbeat_seconds,
        headers={"Location": _run_url(run) + "/stream", "Content-Location": _run_url(run)},
        on_disconnect=cancel,
    )


@route(
    "POST",
    "/threads/{thread_id}/runs/{run_id}/cancel",
    summary="Cancel a run",
    tag="Thread runs",
    query={"wait": "boolean", "action": "string"},
)
async def cancel_run(request: Request) -> Response:
    wait = query_bool(request, "wait")
    action = _cancel_action(request)
    thread_id, run_id = _path(request, "thread_id"), _path(request, "run_id")
    await _runs(request).cancel(thread_id, run_id, action=action, wait=wait)
    if wait:
        url = f"/threads/{thread_id}/runs/{run_id}"
        return _ok({}, headers={"Location": url + "/join", "Content-Location": url})
    return Response(status_code=202)
