"""Push notifications: per-task webhook configs, and their delivery on every task status change.

Delivery never blocks or slows a run: each notification is one background task that POSTs the
payload with httpx, retrying failures with exponential backoff inside a fixed time budget, at
most `max_concurrent` at a time. URLs resolving to loopback, private, link-local or reserved
addresses are refused (at creation and again at delivery, against DNS rebinding) unless the
server config allows them. Configs live in this process's memory, bounded per task and overall.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from interop.a2a.errors import InvalidParams
from interop.a2a.model import PushConfig
from interop.core import serde

log = logging.getLogger("interop.a2a.push")

TOKEN_HEADER = "X-A2A-Notification-Token"


@dataclass(slots=True)
class PushSettings:
    allow_private: bool = False
    attempts: int = 4
    first_backoff: float = 0.25
    timeout: float = 10.0
    budget: float = 30.0
    max_concurrent: int = 64
    max_per_task: int = 16
    max_tasks: int = 10_000


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


class PushService:
    def __init__(self, settings: PushSettings | None = None) -> None:
        self.settings = settings or PushSettings()
        self._configs: OrderedDict[str, dict[str, PushConfig]] = OrderedDict()
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(self.settings.max_concurrent)
        self._tasks: set[asyncio.Task[None]] = set()

    # -- configs ------------------------------------------------------------------------------

    def check_url(self, url: str) -> None:
        """InvalidParams for a URL that is not http(s), or names a refused address literally."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidParams("url: must be an absolute http(s) URL", field="url")
        if self.settings.allow_private:
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

    def put(self, config: PushConfig) -> PushConfig:
        self.check_url(config.url)
        if not config.id:
            config.id = str(uuid.uuid4())
        configs = self._configs.setdefault(config.task_id, {})
        self._configs.move_to_end(config.task_id)
        configs[config.id] = config
        while len(configs) > self.settings.max_per_task:
            del configs[next(iter(configs))]
        while len(self._configs) > self.settings.max_tasks:
            self._configs.popitem(last=False)
        return config

    def get(self, task_id: str, config_id: str | None) -> PushConfig | None:
        configs = self._configs.get(task_id, {})
        if config_id is None:
            return next(iter(configs.values()), None)
        return configs.get(config_id)

    def list(self, task_id: str) -> list[PushConfig]:
        return list(self._configs.get(task_id, {}).values())

    def delete(self, task_id: str, config_id: str) -> None:
        self._configs.get(task_id, {}).pop(config_id, None)

    def has(self, task_id: str) -> bool:
        return bool(self._configs.get(task_id))

    # -- delivery -----------------------------------------------------------------------------

    def notify(self, task_id: str, payload: Callable[[PushConfig], Any]) -> None:
        """Deliver `payload(config)` to every config of the task, in the background."""
        for config in self.list(task_id):
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
