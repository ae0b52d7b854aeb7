"""REST: a thread's state and history (checkpoints)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from interop.rest import models as m
from interop.rest.routing import (
    Router,
    json_ok,
    parse_body,
    path_id,
    query_bool,
    query_int,
    thread_service,
)

router = Router()
route = router.route


@route(
    "GET",
    "/threads/{thread_id}/state",
    summary="The thread's current state",
    tag="Thread state",
    response=m.ThreadState,
    query={"subgraphs": "boolean"},
)
async def get_state(request: Request) -> Response:
    state = await thread_service(request).get_state(
        path_id(request, "thread_id"), subgraphs=query_bool(request, "subgraphs")
    )
    return json_ok(state)


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
    result = await thread_service(request).update_state(
        path_id(request, "thread_id"),
        values=body.values,
        as_node=body.as_node,
        checkpoint=checkpoint,
    )
    return json_ok(result)


@route(
    "GET",
    "/threads/{thread_id}/state/{checkpoint_id}",
    summary="The thread's state at a checkpoint",
    tag="Thread state",
    response=m.ThreadState,
    query={"subgraphs": "boolean"},
)
async def get_state_at(request: Request) -> Response:
    state = await thread_service(request).get_state(
        path_id(request, "thread_id"),
        checkpoint={"checkpoint_id": path_id(request, "checkpoint_id")},
        subgraphs=query_bool(request, "subgraphs"),
    )
    return json_ok(state)


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
    state = await thread_service(request).get_state(
        path_id(request, "thread_id"),
        checkpoint=body.checkpoint.model_dump(exclude_none=True),
        subgraphs=body.subgraphs,
    )
    return json_ok(state)


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
    history = await thread_service(request).history(
        path_id(request, "thread_id"),
        limit=query_int(request, "limit", 10, minimum=1, maximum=1000),
        before={"checkpoint_id": before} if before else None,
    )
    return json_ok(history)


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
    history = await thread_service(request).history(
        path_id(request, "thread_id"),
        limit=body.limit,
        before=before,
        metadata=body.metadata,
        checkpoint=body.checkpoint.model_dump(exclude_none=True) if body.checkpoint else None,
    )
    return json_ok(history)
