"""Push notifications: per-task webhook configs, and their delivery on every task status change.

Delivery goes through the core's one sender (`interop.core.delivery`: background, retries with
backoff in a time budget, private addresses refused at creation and at delivery unless the
server config allows them). Configs live in this process's memory, bounded per task and overall.
"""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from interop.a2a.errors import InvalidParams
from interop.a2a.model import PushConfig
from interop.core import serde
from interop.core.delivery import DeliverySettings, Sender, UrlRefused, check_url

log = logging.getLogger("interop.a2a.push")

TOKEN_HEADER = "X-A2A-Notification-Token"


@dataclass(slots=True)
class PushSettings(DeliverySettings):
    max_per_task: int = 16
    max_tasks: int = 10_000


class PushService:
    def __init__(self, settings: PushSettings | None = None) -> None:
        self.settings = settings or PushSettings()
        self._configs: OrderedDict[str, dict[str, PushConfig]] = OrderedDict()
        self._sender = Sender(self.settings)

    # -- configs ------------------------------------------------------------------------------

    def check_url(self, url: str) -> None:
        """InvalidParams for a URL that is not http(s), or names a refused address literally."""
        try:
            check_url(url, allow_private=self.settings.allow_private)
        except UrlRefused as exc:
            raise InvalidParams(f"url: {exc}", field="url") from exc

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
            self._sender.send(config.url, body, _headers(config), f"push for task {task_id}")

    async def close(self) -> None:
        await self._sender.close()


def _headers(config: PushConfig) -> dict[str, str]:
    headers = {
        "Content-Type": "application/a2a+json" if config.version == "1.0" else "application/json"
    }
    if config.auth_scheme:
        credentials = f" {config.auth_credentials}" if config.auth_credentials else ""
        headers["Authorization"] = f"{config.auth_scheme}{credentials}"
    if config.token:
        headers[TOKEN_HEADER] = config.token
    return headers
