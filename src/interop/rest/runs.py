"""REST: runs on threads and stateless runs: create, stream, wait, join, cancel; the
thread stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from interop.core import serde
from interop.core.errors import Unavailable
from interop.core.events import FROM_NOW, FROM_START
from interop.core.models import Run, RunRequest
from interop.core.runs import event_in_modes
from interop.rest import models as m
from interop.rest import wire
from interop.rest.errors import RequestError
from interop.rest.routing import (
    Router,
    json_ok,
    no_content,
    parse_body,
    path_id,
    query_bool,
    query_int,
    read_json,
    run_service,
    stream_modes,
    thread_service,
    validation_detail,
)
from interop.rest.sse import for_at_most, last_event_id, shutdown_error, sse_response

router = Router()
route = router.route


_THREAD_STREAM_MODES = {
    "lifecycle": ("metadata", "error"),
    "state_update": ("values", "updates"),
}


def _thread_stream_modes(request: Request) -> list[str] | None:
    """Thread stream modes (`lifecycle`, `run_modes`, `state_update`; the SDK sends them as
    `stream_mode`) as the run stream modes they let through; None lets everything through
    (`run_modes`, the default). Unknown names are accepted, as the reference does."""
    names = stream_modes(request, "stream_modes") + stream_modes(request, "stream_mode")
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
    runs = run_service(request)
    thread_id = path_id(request, "thread_id")
    await thread_service(request).get(thread_id)
    events = runs.thread_stream(
        thread_id, last_event_id(request) or FROM_NOW, _thread_stream_modes(request)
    )
    bounded = for_at_most(events, query_int(request, "timeout", 0) or None)
    return sse_response(bounded, heartbeat=request.app.state.settings.heartbeat_seconds)


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
    thread_id = path_id(request, "thread_id") if stateful else None
    run = await run_service(request).create(thread_id, run_request)
    return run, run_request


def _run_url(run: Run) -> str:
    return f"/threads/{run.thread_id}/runs/{run.run_id}"


async def _create_run(request: Request, stateful: bool) -> Response:
    run, _ = await _create(request, stateful)
    url = _run_url(run) if stateful else f"/runs/{run.run_id}"
    return json_ok(wire.run(run), headers={"Content-Location": url})


async def _stream_run(request: Request, stateful: bool) -> Response:
    run, run_request = await _create(request, stateful)
    runs = run_service(request)

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
    runs = run_service(request)
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
        return json_ok(wire.outcome(waiter.result()), headers=headers)
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
                    try:
                        ended = wire.outcome(waiter.result())
                    except Unavailable as exc:  # the server drains: the status line is sent
                        ended = {"__error__": shutdown_error(exc)}
                    yield serde.dumps(ended)
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
    created = [wire.run(await run_service(request).create(None, _run_request(b))) for b in bodies]
    return json_ok(created)


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
    await run_service(request).cancel_many(
        thread_id=body.thread_id, run_ids=body.run_ids, status=body.status, action=action
    )
    return no_content()


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
    runs = await run_service(request).list(
        path_id(request, "thread_id"),
        limit=query_int(request, "limit", 10, minimum=1, maximum=1000),
        offset=query_int(request, "offset", 0),
        status=status,  # type: ignore[arg-type]
    )
    return json_ok([wire.run(r) for r in runs])


@route(
    "GET",
    "/threads/{thread_id}/runs/{run_id}",
    summary="Get a run",
    tag="Thread runs",
    response=m.Run,
)
async def get_run(request: Request) -> Response:
    run = await run_service(request).get(path_id(request, "thread_id"), path_id(request, "run_id"))
    return json_ok(wire.run(run))


@route(
    "DELETE",
    "/threads/{thread_id}/runs/{run_id}",
    summary="Delete a run",
    tag="Thread runs",
    status=204,
)
async def delete_run(request: Request) -> Response:
    await run_service(request).delete(path_id(request, "thread_id"), path_id(request, "run_id"))
    return no_content()


@route(
    "GET",
    "/threads/{thread_id}/runs/{run_id}/join",
    summary="Wait for a run to end; its final values",
    tag="Thread runs",
    query={"cancel_on_disconnect": "boolean"},
)
async def join_run(request: Request) -> Response:
    run = await run_service(request).get(path_id(request, "thread_id"), path_id(request, "run_id"))
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
    runs = run_service(request)
    run = await runs.get(path_id(request, "thread_id"), path_id(request, "run_id"))
    # Without Last-Event-ID a joiner of a live run gets its whole stream so far, then the rest
    # (runs start within milliseconds here, so "from now" would lose the first events of a
    # run joined right after its creation); a finished run has nothing more to say.
    start = last_event_id(request) or (FROM_NOW if run.done else FROM_START)
    modes = stream_modes(request)
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
    empty={202: "The cancel is under way (without `wait`)"},
)
async def cancel_run(request: Request) -> Response:
    wait = query_bool(request, "wait")
    action = _cancel_action(request)
    thread_id, run_id = path_id(request, "thread_id"), path_id(request, "run_id")
    await run_service(request).cancel(thread_id, run_id, action=action, wait=wait)
    if wait:
        url = f"/threads/{thread_id}/runs/{run_id}"
        return json_ok({}, headers={"Location": url + "/join", "Content-Location": url})
    return Response(status_code=202)
