"""A small route table: each route names its body model and response shape, so request
parsing (size limit, JSON, validation → 413/422) happens in one place and the OpenAPI document
is generated from the same table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from interop.core import serde
from interop.core.assistants import AssistantService
from interop.core.ids import is_uuid
from interop.core.runs import RunService
from interop.core.threads import ThreadService
from interop.rest.errors import RequestError
from interop.rest.models import QUERY_SCHEMAS
from interop.rest.responses import JSONResponse
from interop.transport_security import is_json_type

Handler = Callable[[Request], Awaitable[Response]]
M = TypeVar("M", bound=BaseModel)


@dataclass(slots=True)
class RouteSpec:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    response: Any = None
    status: int = 200
    # name → JSON type (`"boolean|integer"`), or a `Query` with its schema, for the docs
    query: dict[str, str | Query] = field(default_factory=dict)
    stream: bool = False
    # status → shape of an error answer other than `{"detail": ...}` (the default of 4xx)
    errors: dict[int, Any] = field(default_factory=dict)
    # status → description of another success answered with an empty body
    empty: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Query:
    """A query parameter declared by its schema (what the handler checks)."""

    schema: dict[str, Any]
    required: bool = False


class Router:
    def __init__(self) -> None:
        self.specs: list[RouteSpec] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        body: type[BaseModel] | None = None,
        response: Any = None,
        status: int = 200,
        query: dict[str, str | Query] | None = None,
        stream: bool = False,
        errors: dict[int, Any] | None = None,
        empty: dict[int, str] | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.specs.append(
                RouteSpec(
                    method,
                    path,
                    handler,
                    summary,
                    tag,
                    body,
                    response,
                    status,
                    query or {},
                    stream,
                    errors or {},
                    empty or {},
                )
            )
            return handler

        return register

    @classmethod
    def combine(cls, *routers: Router) -> Router:
        """One router with every route of `routers`, in their order."""
        combined = cls()
        for router in routers:
            combined.specs.extend(router.specs)
        return combined

    def routes(self) -> list[Route]:
        grouped: dict[str, dict[str, Handler]] = {}
        for spec in self.specs:
            grouped.setdefault(spec.path, {})[spec.method] = spec.handler
        routes: list[_Route] = [
            _Route(path, _dispatch(handlers), methods=list(handlers))
            for path, handlers in grouped.items()
        ]
        for route in routes:
            route.shadows = [other for other in routes if _more_specific(other.path, route.path)]
        return list(routes)


class _Route(Route):
    """A route that leaves a path to a more specific route (`/threads/search` is not the thread
    `search`): a method the specific route lacks is then 405 with its Allow, not the
    parameterised route's 422 for a malformed id."""

    shadows: list[Route]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child = super().matches(scope)
        if match is not Match.NONE and scope["type"] == "http":
            path = scope["path"]
            if any(other.path_regex.match(path) for other in self.shadows):
                return Match.NONE, {}
        return match, child


def _more_specific(path: str, than: str) -> bool:
    """True when `path` has a literal segment where `than` has a parameter, and is otherwise
    the same shape (`/threads/search` vs `/threads/{thread_id}`)."""
    mine, theirs = path.split("/"), than.split("/")
    if len(mine) != len(theirs) or path == than:
        return False
    literal_over_param = False
    for a, b in zip(mine, theirs, strict=True):
        a_param, b_param = a.startswith("{"), b.startswith("{")
        if a_param and not b_param:
            return False
        if not a_param and not b_param and a != b:
            return False
        literal_over_param |= b_param and not a_param
    return literal_over_param


def _dispatch(handlers: dict[str, Handler]) -> Handler:
    if len(handlers) == 1:
        return next(iter(handlers.values()))

    async def dispatch(request: Request) -> Response:
        handler = handlers.get(request.method)
        if handler is None and request.method == "HEAD":
            handler = handlers.get("GET")
        if handler is None:
            raise HTTPException(405, headers={"Allow": ", ".join(handlers)})
        return await handler(request)

    return dispatch


async def read_json(request: Request, *, allow_empty: bool = False) -> Any:
    """The request body as JSON. 415 unless it is declared JSON (a browser sends other types
    cross-site without a CORS preflight); 413 past the size limit; 422 for malformed JSON, JSON
    nested too deep or numbers out of range (`serde.check_json`, the rule of every door)."""
    content_type = request.headers.get("content-type")
    if content_type is not None and not is_json_type(content_type):
        raise RequestError(415, "Content-Type must be application/json.")
    limit: int = request.app.state.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"Request body exceeds the limit of {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"Request body exceeds the limit of {limit} bytes.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        if allow_empty:
            return None
        raise RequestError(422, "Request body is empty; expected JSON.")
    if content_type is None:
        raise RequestError(415, "Content-Type must be application/json.")
    try:
        data = serde.parse_json(raw)
        serde.check_json(data)
    except serde.JsonRejected as exc:
        raise RequestError(422, exc.message) from exc
    if data is None:
        raise RequestError(422, "Request body is null; expected a JSON object or array.")
    return data


async def parse_body(request: Request, model: type[M], *, allow_empty: bool = False) -> M:
    """The body validated as `model`; an empty body means `{}` when `allow_empty` or the model
    says its body is optional."""
    optional = allow_empty or bool(getattr(model, "optional", False))
    data = await read_json(request, allow_empty=optional)
    if data is None:
        data = {}
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestError(422, validation_detail(exc)) from exc


def validation_detail(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors as `[{loc, msg, type}]`, without echoing input values back."""
    return [
        {"loc": list(err["loc"]), "msg": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False, include_context=False)
    ]


def query_bool(request: Request, name: str, default: bool = False) -> bool:
    value = request.query_params.get(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise RequestError(422, f"Query parameter '{name}' must be a boolean.")


def query_int(
    request: Request,
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int:
    """An integer query parameter in [minimum, maximum]; the bounds default to the parameter's
    declared ones (`models.QUERY_SCHEMAS`), else 0 and a 64-bit integer's. 422 otherwise."""
    value = request.query_params.get(name)
    declared = QUERY_SCHEMAS.get(name, {})
    if minimum is None:
        minimum = declared.get("minimum", 0)
    if maximum is None:
        maximum = declared.get("maximum", 2**63 - 1)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise RequestError(422, f"Query parameter '{name}' must be an integer.") from exc
    if number < minimum or (maximum is not None and number > maximum):
        raise RequestError(422, f"Query parameter '{name}' is out of range.")
    return number


def json_loads(raw: bytes) -> Any:
    return orjson.loads(raw)


# -- what every handler uses ---------------------------------------------------------------


def assistant_service(request: Request) -> AssistantService:
    return request.app.state.assistants  # type: ignore[no-any-return]


def thread_service(request: Request) -> ThreadService:
    return request.app.state.threads  # type: ignore[no-any-return]


def run_service(request: Request) -> RunService:
    return request.app.state.runs  # type: ignore[no-any-return]


_ID_LABELS = {
    "thread_id": "thread",
    "run_id": "run",
    "assistant_id": "assistant",
    "cron_id": "cron",
}


def path_id(request: Request, name: str) -> str:
    """A path parameter; thread and run ids (and assistant ids that are not graph names) must
    be UUIDs (422 otherwise)."""
    value = str(request.path_params[name])
    label = _ID_LABELS.get(name)
    graph_name = label == "assistant" and value in request.app.state.graphs
    if label is not None and not graph_name and not is_uuid(value):
        raise RequestError(422, f"Invalid {label} ID: must be a UUID.")
    return value


def json_ok(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(content, status_code=status, headers=headers)


def pagination(total: int, offset: int, returned: int) -> dict[str, str]:
    headers = {"X-Pagination-Total": str(total)}
    if offset + returned < total:
        headers["X-Pagination-Next"] = str(offset + returned)
    return headers


def no_content() -> Response:
    return Response(status_code=204)


def stream_modes(request: Request, name: str = "stream_mode") -> list[str]:
    modes: list[str] = []
    for value in request.query_params.getlist(name):
        modes.extend(v for v in value.split(",") if v)
    return modes
