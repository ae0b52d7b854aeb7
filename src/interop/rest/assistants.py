"""REST: assistants, their versions and their graphs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from interop.rest import models as m
from interop.rest import wire
from interop.rest.routing import (
    Router,
    assistant_service,
    json_ok,
    no_content,
    pagination,
    parse_body,
    path_id,
    query_bool,
)

router = Router()
route = router.route


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
    assistant = await assistant_service(request).create(**body.model_dump())
    return json_ok(wire.assistant(assistant))


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
    service = assistant_service(request)
    found = await service.search(**body.model_dump(exclude={"select"}))
    total = await service.count(graph_id=body.graph_id, name=body.name, metadata=body.metadata)
    return json_ok(
        [wire.assistant(a, body.select) for a in found],
        headers=pagination(total, body.offset, len(found)),
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
    return json_ok(await assistant_service(request).count(**body.model_dump()))


@route(
    "GET",
    "/assistants/{assistant_id}",
    summary="Get an assistant",
    tag="Assistants",
    response=m.Assistant,
)
async def get_assistant(request: Request) -> Response:
    assistant = await assistant_service(request).get(path_id(request, "assistant_id"))
    return json_ok(wire.assistant(assistant))


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
    assistant = await assistant_service(request).update(
        path_id(request, "assistant_id"), body.model_dump(exclude_unset=True)
    )
    return json_ok(wire.assistant(assistant))


@route(
    "DELETE",
    "/assistants/{assistant_id}",
    summary="Delete an assistant",
    tag="Assistants",
    status=204,
)
async def delete_assistant(request: Request) -> Response:
    await assistant_service(request).delete(path_id(request, "assistant_id"))
    return no_content()


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
    return json_ok(
        await assistant_service(request).drawing(path_id(request, "assistant_id"), xray=xray)
    )


@route(
    "GET",
    "/assistants/{assistant_id}/schemas",
    summary="The graph's JSON schemas",
    tag="Assistants",
)
async def assistant_schemas(request: Request) -> Response:
    return json_ok(await assistant_service(request).schemas(path_id(request, "assistant_id")))


@route(
    "GET",
    "/assistants/{assistant_id}/subgraphs",
    summary="The graph's subgraphs",
    tag="Assistants",
    query={"recurse": "boolean"},
)
async def assistant_subgraphs(request: Request) -> Response:
    return json_ok(
        await assistant_service(request).subgraphs(
            path_id(request, "assistant_id"), recurse=query_bool(request, "recurse")
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
    return json_ok(
        await assistant_service(request).subgraphs(
            path_id(request, "assistant_id"),
            namespace=path_id(request, "namespace"),
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
    versions = await assistant_service(request).versions(
        path_id(request, "assistant_id"), **body.model_dump()
    )
    return json_ok([wire.assistant(a) for a in versions])


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
    assistant = await assistant_service(request).set_latest(
        path_id(request, "assistant_id"), body.version
    )
    return json_ok(wire.assistant(assistant))
