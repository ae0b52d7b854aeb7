"""REST: crons (scheduled runs): create on a thread or stateless, search, count, get, update,
delete."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, Field
from starlette.requests import Request
from starlette.responses import Response

from interop.core.crons import PAYLOAD_FIELDS, SCHEDULE_PATTERN, CronService
from interop.core.models import Cron
from interop.rest import models as m
from interop.rest.routing import Router, json_ok, no_content, pagination, parse_body, path_id

router = Router()
route = router.route

CronField = Literal[
    "cron_id",
    "assistant_id",
    "thread_id",
    "on_run_completed",
    "end_time",
    "schedule",
    "timezone",
    "created_at",
    "updated_at",
    "user_id",
    "payload",
    "next_run_date",
    "metadata",
    "enabled",
]


def _string(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string")
    return value


# An ISO 8601 string on the wire (strict bodies take no strings for datetimes otherwise).
EndTime = Annotated[datetime, BeforeValidator(_string), Field(strict=False)]
# /openapi.json declares the grammar (the server checks it, and croniter reads the schedule).
Schedule = Annotated[str, Field(pattern=SCHEDULE_PATTERN)]


class _RunFields(m.Body):
    """The run fields a cron stores in its payload."""

    input: Any = None
    config: m.Config | None = None
    context: m.Json | None = None
    webhook: str | None = Field(None, min_length=1, max_length=65536)
    interrupt_before: Literal["*"] | list[str] | None = None
    interrupt_after: Literal["*"] | list[str] | None = None
    stream_mode: list[m.StreamMode] | m.StreamMode | None = None
    stream_subgraphs: bool | None = None
    stream_resumable: bool | None = None
    durability: Literal["sync", "async", "exit"] | None = None
    checkpoint_during: bool | None = None  # accepted and ignored, as for runs


class CronCreate(_RunFields):
    assistant_id: str
    schedule: Schedule
    timezone: str | None = None  # an IANA name (/openapi.json lists them)
    end_time: EndTime | None = None
    metadata: m.Json | None = None
    on_run_completed: Literal["delete", "keep"] = "delete"
    enabled: bool = True


class ThreadCronCreate(CronCreate):
    multitask_strategy: Literal["reject", "rollback", "interrupt", "enqueue"] = "enqueue"


class CronPatch(_RunFields):
    optional: ClassVar[bool] = True

    schedule: Schedule | None = None
    timezone: str | None = None  # an IANA name (/openapi.json lists them)
    end_time: EndTime | None = None
    metadata: m.Json | None = None
    on_run_completed: Literal["delete", "keep"] | None = None
    enabled: bool | None = None


class CronSearch(m.OptionalBody):
    assistant_id: str | None = None
    thread_id: m.UUIDStr | None = None
    enabled: bool | None = None
    metadata: m.Json | None = None
    limit: m.Limit = 10
    offset: m.Offset = 0
    sort_by: Literal[
        "cron_id",
        "assistant_id",
        "thread_id",
        "next_run_date",
        "end_time",
        "created_at",
        "updated_at",
    ] = "created_at"
    sort_order: Literal["asc", "desc"] = "desc"
    select: list[CronField] | None = None


class CronCount(m.OptionalBody):
    assistant_id: str | None = None
    thread_id: m.UUIDStr | None = None
    enabled: bool | None = None
    metadata: m.Json | None = None


class CronResponse(BaseModel):
    cron_id: str
    assistant_id: str
    thread_id: str | None
    on_run_completed: Literal["delete", "keep"] | None
    end_time: str | None
    schedule: str
    timezone: str | None
    created_at: str
    updated_at: str
    user_id: str | None
    payload: m.Json
    next_run_date: str | None
    metadata: m.Json
    enabled: bool


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def cron_wire(c: Cron, select: list[CronField] | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "cron_id": c.cron_id,
        "assistant_id": c.assistant_id,
        "thread_id": c.thread_id,
        "on_run_completed": c.on_run_completed,
        "end_time": _iso(c.end_time),
        "schedule": c.schedule,
        "timezone": c.timezone,
        "created_at": c.created_at.isoformat(),
        "updated_at": c.updated_at.isoformat(),
        "user_id": c.user_id,
        "payload": c.payload,
        "next_run_date": _iso(c.next_run_date),
        "metadata": c.metadata,
        "enabled": c.enabled,
    }
    return {k: record[k] for k in select} if select else record


def _payload(body: _RunFields) -> dict[str, Any]:
    """The run fields the caller gave, as RunRequest names them."""
    given = body.model_dump(include=set(PAYLOAD_FIELDS), exclude_none=True)
    if body.config is not None:
        given["config"] = body.config.model_dump(exclude_none=True)
    if isinstance(body.stream_mode, str):
        given["stream_mode"] = [body.stream_mode]
    return given


def cron_service(request: Request) -> CronService:
    return request.app.state.crons  # type: ignore[no-any-return]


async def _create(request: Request, thread_id: str | None, body: CronCreate) -> Response:
    payload = {**_payload(body), "assistant_id": body.assistant_id}
    if isinstance(body, ThreadCronCreate):
        payload["multitask_strategy"] = body.multitask_strategy
    cron = await cron_service(request).create(
        thread_id=thread_id,
        schedule=body.schedule,
        payload=payload,
        timezone=body.timezone,
        end_time=body.end_time,
        on_run_completed=body.on_run_completed if thread_id is None else None,
        metadata=body.metadata,
        enabled=body.enabled,
    )
    return json_ok(cron_wire(cron))


@route(
    "POST",
    "/runs/crons",
    summary="Create a stateless cron (each run on a new thread)",
    tag="Crons",
    body=CronCreate,
    response=CronResponse,
)
async def create_cron(request: Request) -> Response:
    return await _create(request, None, await parse_body(request, CronCreate))


@route(
    "POST",
    "/threads/{thread_id}/runs/crons",
    summary="Create a cron on a thread",
    tag="Crons",
    body=ThreadCronCreate,
    response=CronResponse,
)
async def create_thread_cron(request: Request) -> Response:
    thread_id = path_id(request, "thread_id")
    return await _create(request, thread_id, await parse_body(request, ThreadCronCreate))


@route(
    "POST",
    "/runs/crons/search",
    summary="Search crons",
    tag="Crons",
    body=CronSearch,
    response=list[CronResponse],
)
async def search_crons(request: Request) -> Response:
    body = await parse_body(request, CronSearch, allow_empty=True)
    service = cron_service(request)
    filters = body.model_dump(include={"assistant_id", "thread_id", "enabled", "metadata"})
    found = await service.search(
        **filters,
        limit=body.limit,
        offset=body.offset,
        sort_by=body.sort_by,
        sort_order=body.sort_order,
    )
    total = await service.count(**filters)
    return json_ok(
        [cron_wire(c, body.select) for c in found],
        headers=pagination(total, body.offset, len(found)),
    )


@route(
    "POST", "/runs/crons/count", summary="Count crons", tag="Crons", body=CronCount, response=int
)
async def count_crons(request: Request) -> Response:
    body = await parse_body(request, CronCount, allow_empty=True)
    return json_ok(await cron_service(request).count(**body.model_dump()))


@route("GET", "/runs/crons/{cron_id}", summary="Get a cron", tag="Crons", response=CronResponse)
async def get_cron(request: Request) -> Response:
    return json_ok(cron_wire(await cron_service(request).get(path_id(request, "cron_id"))))


@route(
    "PATCH",
    "/runs/crons/{cron_id}",
    summary="Update a cron",
    tag="Crons",
    body=CronPatch,
    response=CronResponse,
)
async def patch_cron(request: Request) -> Response:
    cron_id = path_id(request, "cron_id")
    body = await parse_body(request, CronPatch, allow_empty=True)
    changes: dict[str, Any] = {}
    if "end_time" in body.model_fields_set:  # null clears it; absent leaves it
        changes["end_time"] = body.end_time
    cron = await cron_service(request).update(
        cron_id,
        schedule=body.schedule,
        timezone=body.timezone,
        on_run_completed=body.on_run_completed,
        enabled=body.enabled,
        metadata=body.metadata,
        payload=_payload(body),
        **changes,
    )
    return json_ok(cron_wire(cron))


@route("DELETE", "/runs/crons/{cron_id}", summary="Delete a cron", tag="Crons", status=204)
async def delete_cron(request: Request) -> Response:
    await cron_service(request).delete(path_id(request, "cron_id"))
    return no_content()
