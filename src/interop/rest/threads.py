"""REST: threads (create, search, read, update, delete, copy, prune)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from interop.rest import models as m
from interop.rest import wire
from interop.rest.routing import (
    Router,
    json_ok,
    no_content,
    pagination,
    parse_body,
    path_id,
    thread_service,
)

router = Router()
route = router.route


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
    thread = await thread_service(request).create(
        thread_id=body.thread_id,
        metadata=body.metadata,
        if_exists=body.if_exists,
        supersteps=[s.model_dump() for s in body.supersteps] if body.supersteps else None,
        ttl=body.ttl.model_dump() if body.ttl is not None else None,
    )
    return json_ok(wire.thread(thread))


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
    service = thread_service(request)
    found = await service.search(**body.model_dump(exclude={"select"}))
    total = await service.count(
        metadata=body.metadata, values=body.values, status=body.status, ids=body.ids
    )
    return json_ok(
        [wire.thread(t, body.select) for t in found],
        headers=pagination(total, body.offset, len(found)),
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
    return json_ok(await thread_service(request).count(**body.model_dump()))


@route(
    "POST",
    "/threads/prune",
    summary="Delete threads or their old checkpoints",
    tag="Threads",
    body=m.ThreadPrune,
)
async def prune_threads(request: Request) -> Response:
    body = await parse_body(request, m.ThreadPrune)
    pruned = await thread_service(request).prune(body.thread_ids, body.strategy)
    return json_ok({"pruned_count": pruned})


@route("GET", "/threads/{thread_id}", summary="Get a thread", tag="Threads", response=m.Thread)
async def get_thread(request: Request) -> Response:
    return json_ok(wire.thread(await thread_service(request).get(path_id(request, "thread_id"))))


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
    thread = await thread_service(request).update(
        path_id(request, "thread_id"),
        body.metadata or {},
        ttl=body.ttl.model_dump() if body.ttl is not None else None,
    )
    return json_ok(wire.thread(thread))


@route(
    "DELETE",
    "/threads/{thread_id}",
    summary="Delete a thread (cancels its runs)",
    tag="Threads",
    status=204,
)
async def delete_thread(request: Request) -> Response:
    await thread_service(request).delete(path_id(request, "thread_id"))
    return no_content()


@route(
    "POST",
    "/threads/{thread_id}/copy",
    summary="Copy a thread with its history",
    tag="Threads",
    response=m.Thread,
)
async def copy_thread(request: Request) -> Response:
    return json_ok(wire.thread(await thread_service(request).copy(path_id(request, "thread_id"))))
