"""A run's stream as MCP notifications: progress and log messages for the calling request.

- A custom stream event `{"type": "log", "level": "info", "data": ..., "logger": ...}` (or
  any custom event with a `level` and a `message`/`data`) becomes `notifications/message`.
- A custom event with a numeric `progress` (and optional `total`, `message`) becomes
  `notifications/progress` with those values; any other custom event, and every node update,
  becomes a progress step with a short message. Progress only ever increases: a value that does
  not is raised just above the previous one.

Log levels: on 2026-07-28 the request's `_meta` log level opt-in decides (the SDK's rule); on
the handshake eras the session's `logging/setLevel` does. Either way log messages are sent only
to a client that asked for them: a 2025-era session gets none until it sets a level, as a
2026-07-28 request gets none without the opt-in.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any, get_args

from mcp.server.connection import allowed_log_levels
from mcp.server.context import ServerRequestContext
from mcp_types import LoggingLevel, LoggingMessageNotification, LoggingMessageNotificationParams
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from interop.core import serde
from interop.core.models import StreamEvent

log = logging.getLogger("interop.mcp")

LEVELS: tuple[LoggingLevel, ...] = get_args(LoggingLevel)
_MAX_SESSIONS = 10_000
_MESSAGE_CHARS = 200


class SessionLevels:
    """`logging/setLevel` per handshake-era session (bounded, least recently set dropped)."""

    def __init__(self) -> None:
        self._levels: OrderedDict[str, LoggingLevel] = OrderedDict()

    def set(self, session_id: str, level: LoggingLevel) -> None:
        self._levels[session_id] = level
        self._levels.move_to_end(session_id)
        while len(self._levels) > _MAX_SESSIONS:
            self._levels.popitem(last=False)

    def allowed(self, session_id: str | None) -> frozenset[LoggingLevel]:
        """The levels the session asked for (none until it sets one)."""
        level = self._levels.get(session_id) if session_id else None
        if level is None:
            return frozenset()
        return frozenset(LEVELS[LEVELS.index(level) :])

    def is_set(self, session_id: str) -> bool:
        return session_id in self._levels


def session_id_of(ctx: ServerRequestContext[Any, Any]) -> str | None:
    request = ctx.request
    headers = getattr(request, "headers", None)
    if headers is None:
        return None
    value = headers.get("mcp-session-id")
    return value if isinstance(value, str) else None


def _short(data: Any) -> str:
    text = data if isinstance(data, str) else serde.dumps(data).decode()
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 1] + "…"


class Reporter:
    """Forwards one run's events to the request that started (or resumed) it."""

    def __init__(self, ctx: ServerRequestContext[Any, Any], levels: SessionLevels) -> None:
        self._ctx = ctx
        meta = ctx.meta or {}
        self.progress_token = meta.get("progress_token")
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            self._levels = allowed_log_levels(ctx.protocol_version, meta)
        else:
            self._levels = levels.allowed(session_id_of(ctx))
        self._last: float | None = None
        self._steps = 0

    @property
    def wants_events(self) -> bool:
        return self.progress_token is not None or bool(self._levels)

    @property
    def wants_updates(self) -> bool:
        return self.progress_token is not None

    async def event(self, event: StreamEvent) -> None:
        name = event.event.split("|", 1)[0]
        if name not in ("custom", "updates"):
            return
        data = serde.loads(event.data)
        if name == "custom" and isinstance(data, dict):
            if _is_log(data):
                await self.log(data)
                return
            progress = data.get("progress")
            if isinstance(progress, int | float) and not isinstance(progress, bool):
                total = data.get("total")
                message = data.get("message")
                await self.progress(
                    float(progress),
                    float(total) if isinstance(total, int | float) else None,
                    message if isinstance(message, str) else None,
                )
                return
        if name == "updates" and isinstance(data, dict):
            nodes = ", ".join(str(k) for k in data if not str(k).startswith("__"))
            if not nodes:
                return
            await self.step(f"{nodes} finished")
            return
        await self.step(_short(data))

    async def step(self, message: str) -> None:
        self._steps += 1
        base = self._last if self._last is not None else 0.0
        await self.progress(max(float(self._steps), base + 1.0), None, message)

    async def progress(self, value: float, total: float | None, message: str | None) -> None:
        if self.progress_token is None:
            return
        if self._last is not None and value <= self._last:
            value = self._last + 1.0
        self._last = value
        if total is not None and total < value:
            total = None
        await self._ctx.session.report_progress(value, total, message)

    async def log(self, data: dict[str, Any]) -> None:
        level = data.get("level", "info")
        if level not in LEVELS:
            level = "info"
        if level not in self._levels:
            return
        payload = data.get("data", data.get("message"))
        logger = data.get("logger")
        notification = LoggingMessageNotification(
            params=LoggingMessageNotificationParams(
                level=level, data=payload, logger=logger if isinstance(logger, str) else None
            )
        )
        await self._ctx.session.send_notification(
            notification, related_request_id=self._ctx.request_id
        )


def _is_log(data: dict[str, Any]) -> bool:
    if data.get("type") == "log":
        return True
    return "level" in data and ("message" in data or "data" in data) and "progress" not in data
