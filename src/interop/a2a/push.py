"""Push notifications: per-task webhook configs, and their delivery on every task status change.

Delivery never blocks or slows a run: each notification is one background task that POSTs the
payload with httpx, retrying failures with exponential backoff inside a fixed time budget, at
most `max_concurrent` at a time. URLs resolving to loopback, private, link-local or reserved
addresses are refused (at creation and again at delivery, against DNS rebinding) unless the
server config allows them.

Configs are records in storage (`RecordService`, kind `a2a-push`, scoped by task), bounded per
task: every process sharing the database sees them, and they survive a restart.

Who delivers: the process that executes the run. Notifications are sent from the run
listener (`A2AHandler._on_run`), which the core calls in that process only, once when the run
starts and once when it ends; a process that merely serves a request about the task sends
nothing. So each status change is delivered once, however many processes serve the agent (a
run taken over after its process died starts again, and its start is then notified again).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from interop.a2a.errors import InvalidParams
from interop.a2a.model import PushConfig
from interop.core import serde
from interop.core.records import RecordService

log = logging.getLogger("interop.a2a.push")

TOKEN_HEADER = "X-A2A-Notification-Token"
KIND = "a2a-push"


@dataclass(slots=True)
class PushSettings:
    allow_private: bool = False
    attempts: int = 4
    first_backoff: float = 0.25
    timeout: float = 10.0
    budget: float = 30.0
    max_concurrent: int = 64
    max_per_task: int = 16


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_private: bool) -> None:
    """InvalidParams for a URL that is not http(s), or names a refused address literally."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidParams("url: must be an absolute http(s) URL", field="url")
    if allow_private:
        return
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        raise InvalidParams("url: loopback addresses are not allowed", field="url")
    try:
        public = _is_public(host)
    except ValueError:
        return  # a name: checked against its addresses at delivery
    if not public:
        raise InvalidParams("url: private or reserved addresses are not allowed", field="url")


def _key(task_id: str, config_id: str) -> str:
    # Unambiguous whatever either id contains.
    return f"{len(task_id)}:{task_id}:{config_id}"


class PushService:
    def __init__(self, records: RecordService, settings: PushSettings | None = None) -> None:
        self.settings = settings or PushSettings()
        self._records = records
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(self.settings.max_concurrent)
        self._tasks: set[asyncio.Task[None]] = set()

    # -- configs ------------------------------------------------------------------------------

    def check_url(self, url: str) -> None:
        check_url(url, allow_private=self.settings.allow_private)

    async def put(self, config: PushConfig) -> PushConfig:
        """Store the config (replacing the task's config of the same id); the task keeps its
        `max_per_task` newest configs."""
        self.check_url(config.url)
        if not config.id:
            config.id = str(uuid.uuid4())
        key = _key(config.task_id, config.id)
        old = await self._records.get(KIND, key)
        await self._records.put(
            KIND,
            key,
            asdict(config),
            scope=config.task_id,
            created_at=old.created_at if old is not None else None,
        )
        stored = await self._records.list(KIND, config.task_id)
        for extra in stored[: max(0, len(stored) - self.settings.max_per_task)]:
            await self._records.delete(KIND, extra.key)
        return config

    async def get(self, task_id: str, config_id: str | None) -> PushConfig | None:
        if config_id is None:
            found = await self.list(task_id, limit=1)
            return found[0] if found else None
        record = await self._records.get(KIND, _key(task_id, config_id))
        return None if record is None else PushConfig(**record.data)

    async def list(self, task_id: str, *, limit: int | None = None) -> list[PushConfig]:
        """The task's configs, oldest first."""
        records = await self._records.list(KIND, task_id, limit=limit or self.settings.max_per_task)
        return [PushConfig(**record.data) for record in records]

    async def delete(self, task_id: str, config_id: str) -> None:
        await self._records.delete(KIND, _key(task_id, config_id))

    async def has(self, task_id: str) -> bool:
        return bool(await self.list(task_id, limit=1))

    # -- delivery -----------------------------------------------------------------------------

    async def notify(self, task_id: str, payload: Callable[[PushConfig], Any]) -> None:
        """Deliver `payload(config)` to every config of the task, in the background."""
        for config in await self.list(task_id):
            body = serde.dumps(payload(config))
            task = asyncio.get_running_loop().create_task(self._deliver(config, body))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, config: PushConfig, body: bytes) -> None:
        settings = self.settings
        deadline = time.monotonic() + settings.budget
        headers = {
            "Content-Type": "application/a2a+json"
            if config.version == "1.0"
            else "application/json"
        }
        if config.auth_scheme:
            credentials = f" {config.auth_credentials}" if config.auth_credentials else ""
            headers["Authorization"] = f"{config.auth_scheme}{credentials}"
        if config.token:
            headers[TOKEN_HEADER] = config.token
        backoff = settings.first_backoff
        async with self._slots:
            for attempt in range(1, settings.attempts + 1):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    if not settings.allow_private and not await self._resolves_public(config.url):
                        log.warning("push to %s refused: not a public address", config.url)
                        return
                    response = await self._http().post(
                        config.url,
                        content=body,
                        headers=headers,
                        timeout=min(settings.timeout, remaining),
                    )
                    if response.status_code < 300:
                        return
                    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
                        log.info("push to %s rejected: HTTP %d", config.url, response.status_code)
                        return
                    log.info(
                        "push to %s: HTTP %d (attempt %d)",
                        config.url,
                        response.status_code,
                        attempt,
                    )
                except (httpx.HTTPError, OSError) as exc:
                    log.info("push to %s failed (attempt %d): %s", config.url, attempt, exc)
                delay = min(backoff, deadline - time.monotonic())
                if delay <= 0:
                    break
                await asyncio.sleep(delay)
                backoff *= 2
        log.warning("push to %s for task %s abandoned", config.url, config.task_id)

    async def _resolves_public(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        try:
            return _is_public(host)
        except ValueError:
            pass
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        return bool(infos) and all(_is_public(str(info[4][0])) for info in infos)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        return self._client

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5.0)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
