"""REST: the long-term store (items by namespace and key, search, namespaces), as
`langgraph-sdk`'s `client.store` calls it. The store is the storage backend's LangGraph store,
the same one graphs reach as `runtime.store`."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Literal, TypeVar

from langgraph.store.base import BaseStore, InvalidNamespaceError
from pydantic import BaseModel, BeforeValidator, Field, StrictBool, StrictStr
from starlette.requests import Request
from starlette.responses import Response

from interop.core import authz
from interop.rest.errors import RequestError
from interop.rest.models import Body, Json, Limit, Offset, OptionalBody, integral
from interop.rest.routing import Query, Router, json_ok, no_content, parse_body, query_bool

router = Router()
route = router.route
T = TypeVar("T")

# A namespace label: non-empty, no '.' (the SDK joins labels with periods), no NUL byte.
_LABEL = r"[^.\x00]+"
Label = Annotated[StrictStr, Field(pattern=f"^{_LABEL}$")]
Namespace = list[Label]
# Where an item is put: at least one label, the first not the store's reserved "langgraph".
PutNamespace = Annotated[
    Namespace,
    Field(
        min_length=1,
        json_schema_extra={
            "prefixItems": [
                {"type": "string", "pattern": f"^{_LABEL}$", "not": {"const": "langgraph"}}
            ]
        },
    ),
]
Key = Annotated[StrictStr, Field(min_length=1)]
MAX_TTL_MINUTES = 5_256_000.0  # ten years, as for threads
Minutes = Annotated[float, Field(gt=0, le=MAX_TTL_MINUTES)]


def _boolean(value: object) -> object:
    if type(value) is not bool:  # Literal[False] would take 0
        raise ValueError("must be false or a list of fields")
    return value


NoIndex = Annotated[Literal[False], BeforeValidator(_boolean)]
MaxDepth = Annotated[int, Field(ge=1, le=1000), BeforeValidator(integral)]


class StorePut(Body):
    namespace: PutNamespace
    key: Key
    value: Json
    index: NoIndex | list[StrictStr] | None = None
    ttl: Minutes | None = None


class StoreDelete(Body):
    namespace: Namespace = Field(default_factory=list)
    key: Key


class StoreSearch(OptionalBody):
    namespace_prefix: Namespace | None = None
    filter: Json | None = None
    limit: Limit = 10
    offset: Offset = 0
    query: StrictStr | None = None
    refresh_ttl: StrictBool | None = None


class StoreNamespaces(OptionalBody):
    prefix: Namespace | None = None
    suffix: Namespace | None = None
    max_depth: MaxDepth | None = None
    limit: Limit = 100
    offset: Offset = 0


class Item(BaseModel):
    namespace: list[str]
    key: str
    value: Json
    created_at: str
    updated_at: str


class SearchItem(Item):
    score: float | None = None


class SearchItems(BaseModel):
    items: list[SearchItem]


class Namespaces(BaseModel):
    # An object, as the reference server answers (its document says a bare array; its clients
    # read `namespaces`).
    namespaces: list[list[str]]


def _store(request: Request) -> BaseStore:
    return request.app.state.storage.store  # type: ignore[no-any-return]


async def _call(operation: Awaitable[T]) -> T:
    """The store's own namespace checks (empty namespace, reserved root) answer 422."""
    try:
        return await operation
    except InvalidNamespaceError as exc:
        raise RequestError(422, str(exc)) from exc


@route(
    "PUT",
    "/store/items",
    summary="Store or update an item",
    tag="Store",
    body=StorePut,
    status=204,
)
async def put_item(request: Request) -> Response:
    body = await parse_body(request, StorePut)
    namespace = tuple(body.namespace)
    asked = await authz.authorize_store(
        "put", {"namespace": namespace, "key": body.key, "value": body.value}
    )
    await _call(
        _store(request).aput(
            asked["namespace"], body.key, asked["value"], index=body.index, ttl=body.ttl
        )
    )
    return no_content()


@route(
    "GET",
    "/store/items",
    summary="Retrieve a single item",
    tag="Store",
    response=Item | None,  # null: no such item
    query={
        "key": Query({"type": "string", "minLength": 1}, required=True),
        # the labels joined with periods
        "namespace": Query({"type": "string", "pattern": f"^({_LABEL}(\\.{_LABEL})*)?$"}),
        "refresh_ttl": "boolean",
    },
)
async def get_item(request: Request) -> Response:
    key = request.query_params.get("key")
    if not key:
        raise RequestError(422, "Query parameter 'key' is required.")
    raw = request.query_params.get("namespace", "")
    # The SDK sends the namespace as its labels joined with periods.
    namespace = tuple(raw.split(".")) if raw else ()
    if any(not label or "\x00" in label for label in namespace):
        raise RequestError(422, "Invalid namespace: labels must be non-empty.")
    params = request.query_params
    refresh = query_bool(request, "refresh_ttl") if "refresh_ttl" in params else None
    asked = await authz.authorize_store("get", {"namespace": namespace, "key": key})
    item = await _call(_store(request).aget(asked["namespace"], key, refresh_ttl=refresh))
    # As the reference: a missing item is `null`, not an error.
    return json_ok(item.dict() if item is not None else None)


@route(
    "DELETE",
    "/store/items",
    summary="Delete an item",
    tag="Store",
    body=StoreDelete,
    status=204,
)
async def delete_item(request: Request) -> Response:
    body = await parse_body(request, StoreDelete)
    namespace = tuple(body.namespace)
    asked = await authz.authorize_store("delete", {"namespace": namespace, "key": body.key})
    await _call(_store(request).adelete(asked["namespace"], body.key))
    return no_content()


@route(
    "POST",
    "/store/items/search",
    summary="Search items by namespace prefix, filter and (with an index) a query",
    tag="Store",
    body=StoreSearch,
    response=SearchItems,
)
async def search_items(request: Request) -> Response:
    body = await parse_body(request, StoreSearch, allow_empty=True)
    prefix = tuple(body.namespace_prefix or ())
    asked = await authz.authorize_store(
        "search",
        {
            "namespace": prefix,
            "filter": body.filter,
            "query": body.query,
            "limit": body.limit,
            "offset": body.offset,
        },
    )
    found = await _call(
        _store(request).asearch(
            asked["namespace"],
            query=body.query,
            filter=asked["filter"],
            limit=body.limit,
            offset=body.offset,
            refresh_ttl=body.refresh_ttl,
        )
    )
    return json_ok({"items": [item.dict() for item in found]})


@route(
    "POST",
    "/store/namespaces",
    summary="List namespaces",
    tag="Store",
    body=StoreNamespaces,
    response=Namespaces,
)
async def list_namespaces(request: Request) -> Response:
    body = await parse_body(request, StoreNamespaces, allow_empty=True)
    prefix = tuple(body.prefix) if body.prefix else None
    suffix = tuple(body.suffix) if body.suffix else None
    asked = await authz.authorize_store(
        "list_namespaces",
        {
            "namespace": prefix or (),
            "prefix": prefix,
            "suffix": suffix,
            "max_depth": body.max_depth,
            "limit": body.limit,
            "offset": body.offset,
        },
    )
    found = await _call(
        _store(request).alist_namespaces(
            prefix=asked["namespace"] or None,
            suffix=suffix,
            max_depth=body.max_depth,
            limit=body.limit,
            offset=body.offset,
        )
    )
    return json_ok({"namespaces": [list(namespace) for namespace in found]})
