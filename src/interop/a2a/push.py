"""Push notifications: per-task webhook configs, and their delivery on every task status change.

Delivery goes through the core's one sender (`interop.core.delivery`: background, retries with
backoff in a time budget, private addresses refused at creation and at delivery unless the
server config allows them).

Configs are records in storage (`RecordService`, kind `a2a-push`, scoped by task), bounded per
task: every process sharing the database sees them, and they survive a restart.

Who delivers: the process that executes the run. Notifications are sent from the run
listener (`A2AHandler._on_run`), which the core calls in that process only, once when the run
starts and once when it ends; a process that merely serves a request about the task sends
nothing. So each status change is delivered once, however many processes serve the agent (a
run taken over after its process died starts again, and its start is then notified again).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from interop.a2a.errors import InvalidParams
from interop.a2a.model import PushConfig
from interop.core import serde
from interop.core.delivery import DeliverySettings, Sender, UrlRefused, check_url
from interop.core.records import RecordService

log = logging.getLogger("interop.a2a.push")

TOKEN_HEADER = "X-A2A-Notification-Token"
KIND = "a2a-push"


@dataclass(slots=True)
class PushSettings(DeliverySettings):
    max_per_task: int = 16


def _key(task_id: str, config_id: str) -> str:
    # Unambiguous whatever either id contains.
    return f"{len(task_id)}:{task_id}:{config_id}"


class PushService:
    def __init__(self, records: RecordService, settings: PushSettings | None = None) -> None:
        self.settings = settings or PushSettings()
        self._records = records
        self._sender = Sender(self.settings)

    # -- configs ------------------------------------------------------------------------------

    def check_url(self, url: str) -> None:
        """InvalidParams for a URL that is not http(s), or names a refused address literally."""
        try:
            check_url(url, allow_private=self.settings.allow_private)
        except UrlRefused as exc:
            raise InvalidParams(f"url: {exc}", field="url") from exc

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
