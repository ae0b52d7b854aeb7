"""CronService: schedules that create runs (the rules); `interop.core.cron_runner` fires them.

A cron's schedule is a standard cron expression (five fields; a sixth field is seconds, as
croniter reads it) of the grammar `SCHEDULE_PATTERN` (numbers in each field's range, `*`, `?`,
ranges, steps, lists, month and weekday names, `L` for the last day of the month, and the
`@hourly`... aliases), evaluated in its IANA `timezone` (one of `TIMEZONES`; None: UTC). A
schedule naming no real date (`0 0 30 2 *`) never fires (`next_run_date` null). `next_run_date` is the next
slot, always in the future when written by a create or an update. A slot is fired by the
process that moves `next_run_date` past it (`CronStore.advance`, a compare-and-set), so each
slot fires once however many processes serve. Slots missed while no process ran are fired
once, as one run, and the cron moves to its next future slot.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
from datetime import UTC, datetime
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import CroniterBadDateError, CroniterError, croniter

from interop.core.assistants import AssistantService
from interop.core.errors import InvalidInput, NotFound
from interop.core.ids import is_uuid, new_id, now, system_assistant_id
from interop.core.models import Cron, OnCompletion, Run, RunRequest
from interop.core.runs import RunService
from interop.core.storage import CronSortKey, SortOrder, Storage

log = logging.getLogger("interop.crons")

# The run fields a cron's payload may carry (RunRequest's names).
PAYLOAD_FIELDS = frozenset(
    {
        "assistant_id",
        "input",
        "metadata",
        "config",
        "context",
        "webhook",
        "interrupt_before",
        "interrupt_after",
        "stream_mode",
        "stream_subgraphs",
        "stream_resumable",
        "multitask_strategy",
        "durability",
    }
)
_UNSET: Any = object()


def _anycase(word: str) -> str:
    return "".join(f"[{c.upper()}{c.lower()}]" for c in word)


def _field(number: str, names: tuple[str, ...] = (), alone: str = "") -> str:
    """One field: a comma list of `*`, numbers, names or ranges, each with an optional step;
    or one of `alone` (`?`, `L`: the field's only value)."""
    value = "|".join([number, *map(_anycase, names)])
    item = f"(\\*|({value})(-({value}))?)(/[1-9][0-9]?)?"
    listed = f"{item}(,{item})*"
    return f"({alone}|{listed})" if alone else listed


_SECOND = _field("[0-5]?[0-9]")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_FIELDS = " +".join(
    [
        _SECOND,  # minute
        _field("[01]?[0-9]|2[0-3]"),  # hour
        _field("0?[1-9]|[12][0-9]|3[01]", alone="\\?|[Ll]"),  # day of month
        _field("0?[1-9]|1[0-2]", _MONTHS),  # month
        _field("[0-7]", _DAYS, alone="\\?"),  # day of week
    ]
)
_ALIASES = ("yearly", "annually", "monthly", "weekly", "daily", "midnight", "hourly")
SCHEDULE_PATTERN = f"^({_FIELDS}( +{_SECOND})?|@({'|'.join(_anycase(a) for a in _ALIASES)}))$"
_SCHEDULE = re.compile(SCHEDULE_PATTERN)


@functools.cache
def timezones() -> frozenset[str]:
    """The IANA time zone names a cron may name."""
    return frozenset(available_timezones())


def _zone(timezone: str | None) -> ZoneInfo:
    if timezone is not None and timezone not in timezones():
        raise InvalidInput(f"Unknown timezone: '{timezone}'.")
    try:
        return ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"Unknown timezone: '{timezone}'.") from exc


def check_schedule(schedule: str, timezone: str | None) -> None:
    """Raises InvalidInput for a schedule outside `SCHEDULE_PATTERN` or that croniter cannot
    read, or an unknown timezone."""
    _zone(timezone)
    if (
        not isinstance(schedule, str)
        or not _SCHEDULE.fullmatch(schedule)
        or not croniter.is_valid(schedule)
    ):
        raise InvalidInput(f"Invalid cron schedule: '{schedule}'.")


def next_slot(
    schedule: str, timezone: str | None, after: datetime, end_time: datetime | None = None
) -> datetime | None:
    """The first slot of `schedule` strictly after `after` (UTC); None past `end_time`."""
    start = after.astimezone(_zone(timezone))
    try:
        slot = croniter(schedule, start).get_next(datetime)
    except CroniterBadDateError:
        return None  # a valid schedule naming no real date: it never fires
    except (CroniterError, ValueError) as exc:
        raise InvalidInput(f"Invalid cron schedule: '{schedule}'.") from exc
    slot = cast(datetime, slot).astimezone(UTC)
    if end_time is not None and slot > end_time:
        return None
    return slot


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class CronService:
    """Create, read, update, delete and fire crons. Every public method raises core errors."""

    def __init__(self, storage: Storage, assistants: AssistantService, runs: RunService) -> None:
        self.storage = storage
        self.assistants = assistants
        self.runs = runs

    async def create(
        self,
        *,
        thread_id: str | None,
        schedule: str,
        payload: dict[str, Any],
        timezone: str | None = None,
        end_time: datetime | None = None,
        on_run_completed: OnCompletion | None = None,
        metadata: dict[str, Any] | None = None,
        enabled: bool = True,
        user_id: str | None = None,
    ) -> Cron:
        """A cron on `thread_id` (None: stateless, each run on a new thread, which
        `on_run_completed` deletes (the default) or keeps). `payload` holds the run's fields
        (PAYLOAD_FIELDS), `assistant_id` among them.

        Raises NotFound (assistant, thread), InvalidInput (schedule, timezone, assistant)."""
        check_schedule(schedule, timezone)
        assistant = await self.assistants.get(str(payload.get("assistant_id")))
        if thread_id is not None and await self.storage.threads.metadata(thread_id) is None:
            raise NotFound(f"Thread '{thread_id}' not found.")
        stamp = now()
        end = _utc(end_time)
        cron = Cron(
            cron_id=new_id(),
            assistant_id=assistant.assistant_id,
            thread_id=thread_id,
            user_id=user_id,
            schedule=schedule,
            timezone=timezone,
            end_time=end,
            next_run_date=next_slot(schedule, timezone, stamp, end),
            on_run_completed=None if thread_id is not None else (on_run_completed or "delete"),
            payload=self._payload(payload, assistant.assistant_id),
            metadata=metadata or {},
            enabled=enabled,
            created_at=stamp,
            updated_at=stamp,
        )
        await self.storage.crons.create(cron)
        return cron

    def _payload(self, payload: dict[str, Any], assistant_id: str) -> dict[str, Any]:
        """The payload to keep; InvalidInput for unknown fields or a webhook the policy
        refuses (now, rather than at every firing)."""
        unknown = set(payload) - PAYLOAD_FIELDS
        if unknown:
            raise InvalidInput(f"Unknown cron payload fields: {', '.join(sorted(unknown))}.")
        webhook = payload.get("webhook")
        if webhook is not None and self.runs.check_webhook is not None:
            self.runs.check_webhook(webhook)
        return {**payload, "assistant_id": assistant_id}

    async def get(self, cron_id: str) -> Cron:
        cron = await self.storage.crons.get(cron_id)
        if cron is None:
            raise NotFound(f"Cron '{cron_id}' not found.")
        return cron

    async def update(
        self,
        cron_id: str,
        *,
        schedule: str | None = None,
        timezone: str | None = None,
        end_time: datetime | None = _UNSET,
        on_run_completed: OnCompletion | None = None,
        enabled: bool | None = None,
        metadata: dict[str, Any] | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Cron:
        """Change the given fields (`end_time` None clears it; `metadata` is merged, top-level
        keys replaced; `payload` fields replace the stored ones). A changed schedule, timezone,
        end time or a re-enabled cron counts its next slot from now.

        Raises NotFound, InvalidInput."""
        cron = await self.get(cron_id)
        changes: dict[str, Any] = {}
        if schedule is not None:
            changes["schedule"] = schedule
        if timezone is not None:
            changes["timezone"] = timezone
        if end_time is not _UNSET:
            changes["end_time"] = _utc(end_time)
        if on_run_completed is not None and cron.thread_id is None:
            changes["on_run_completed"] = on_run_completed
        if enabled is not None:
            changes["enabled"] = enabled
        if metadata is not None:
            changes["metadata"] = {**cron.metadata, **metadata}
        if payload:
            changes["payload"] = self._payload({**cron.payload, **payload}, cron.assistant_id)
        updated = dataclasses.replace(cron, **changes, updated_at=now())
        check_schedule(updated.schedule, updated.timezone)
        if {"schedule", "timezone", "end_time"} & set(changes) or (enabled and not cron.enabled):
            updated.next_run_date = next_slot(
                updated.schedule, updated.timezone, updated.updated_at, updated.end_time
            )
        if not await self.storage.crons.replace(updated):
            raise NotFound(f"Cron '{cron_id}' not found.")
        return updated

    async def delete(self, cron_id: str) -> None:
        if not await self.storage.crons.delete(cron_id):
            raise NotFound(f"Cron '{cron_id}' not found.")

    def _assistant_filter(self, assistant_id: str | None) -> str | None:
        """An assistant id, or a graph name as its system assistant's id."""
        if assistant_id is not None and not is_uuid(assistant_id):
            return system_assistant_id(assistant_id)
        return assistant_id

    async def search(
        self,
        *,
        assistant_id: str | None = None,
        thread_id: str | None = None,
        enabled: bool | None = None,
        metadata: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        sort_by: CronSortKey = "created_at",
        sort_order: SortOrder = "desc",
    ) -> list[Cron]:
        return await self.storage.crons.search(
            assistant_id=self._assistant_filter(assistant_id),
            thread_id=thread_id,
            enabled=enabled,
            metadata=metadata,
            limit=limit,
            offset=offset,
            sort_by=sort_by,
            sort_order=sort_order,
        )

    async def count(
        self,
        *,
        assistant_id: str | None = None,
        thread_id: str | None = None,
        enabled: bool | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> int:
        return await self.storage.crons.count(
            assistant_id=self._assistant_filter(assistant_id),
            thread_id=thread_id,
            enabled=enabled,
            metadata=metadata,
        )

    # -- firing ---------------------------------------------------------------------------------

    async def claim(self, cron: Cron, at: datetime) -> Literal["fire", "lost"]:
        """Claim the cron's due slot (`cron.next_run_date`, at or before `at`) for this caller:
        move `next_run_date` to the first slot after `at` (missed slots are skipped: the slot
        fires once) or to None past the end time. "fire" when this caller won the slot and it
        is not past the end time; "lost" otherwise (another process took it, or it ended)."""
        slot = cron.next_run_date
        if slot is None:
            return "lost"
        try:
            following = next_slot(cron.schedule, cron.timezone, max(at, slot), cron.end_time)
        except InvalidInput:
            following = None  # a schedule stored by an older version that no longer parses
        if not await self.storage.crons.advance(cron.cron_id, slot, following):
            return "lost"
        if cron.end_time is not None and slot > cron.end_time:
            return "lost"
        return "fire"

    async def fire(self, cron: Cron) -> Run:
        """Create the run of one slot through RunService. Raises what RunService.create
        raises (NotFound when the cron's thread or assistant is gone)."""
        fields = {k: v for k, v in cron.payload.items() if k in PAYLOAD_FIELDS}
        fields["metadata"] = {
            **cron.metadata,
            **(fields.get("metadata") or {}),
            "cron_id": cron.cron_id,
        }
        request = RunRequest(**fields)
        if cron.thread_id is None:
            request.on_completion = cron.on_run_completed or "delete"
            request.multitask_strategy = "enqueue"
        return await self.runs.create(cron.thread_id, request)
