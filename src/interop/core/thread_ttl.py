"""Thread TTL: threads that expire, swept in the background.

A thread gets a TTL from its create (or update) request, `{"strategy": "delete" |
"keep_latest", "ttl": minutes}`, counted from that request, or else from the config file's
`checkpointer.ttl` (`default_ttl` minutes from the thread's creation):

```json
"checkpointer": {"ttl": {"strategy": "delete", "default_ttl": 43200, "sweep_interval_minutes": 60,
                         "sweep_limit": 1000}}
```

Every process sweeps every `sweep_interval_minutes` (default 5): the storage hands each expired
thread that is not busy to one sweeper only (`ThreadTtlStore.claim_expired`), which deletes it
(`delete`: the thread, its runs and checkpoints) or keeps only its latest checkpoints
(`keep_latest`). A busy thread is swept once its runs end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import orjson

from interop.core.errors import InvalidInput, NotFound
from interop.core.graphs import ConfigError
from interop.core.ids import now
from interop.core.storage import Storage, ThreadTtlStrategy

log = logging.getLogger("interop.ttl")

_STRATEGIES = ("delete", "keep_latest")
_KEYS = frozenset({"strategy", "default_ttl", "sweep_interval_minutes", "sweep_limit"})


@dataclass(frozen=True, slots=True)
class ThreadTtlConfig:
    strategy: ThreadTtlStrategy = "delete"
    default_ttl: float | None = None  # minutes
    sweep_minutes: float = 5.0
    sweep_limit: int = 1000


def parse(raw: Any, path: Path | None) -> ThreadTtlConfig:
    """Validate the `checkpointer` section (its `ttl`). Raises ConfigError."""
    where = f"{path}: checkpointer" if path is not None else "checkpointer"
    if raw is None:
        return ThreadTtlConfig()
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    for key in sorted(set(raw) - {"ttl"}):
        log.warning("%s.%s is not served by interop: it is ignored", where, key)
    ttl = raw.get("ttl")
    if ttl is None:
        return ThreadTtlConfig()
    where += ".ttl"
    if not isinstance(ttl, dict):
        raise ConfigError(f"{where}: must be an object")
    unknown = sorted(set(ttl) - _KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    strategy = ttl.get("strategy", "delete")
    if strategy not in _STRATEGIES:
        raise ConfigError(f"{where}.strategy: must be 'delete' or 'keep_latest'")
    default = ttl.get("default_ttl")
    if default is not None and not _positive(default):
        raise ConfigError(f"{where}.default_ttl: must be a positive number of minutes")
    sweep = ttl.get("sweep_interval_minutes", 5)
    if not _positive(sweep):
        raise ConfigError(f"{where}.sweep_interval_minutes: must be a positive number")
    limit = ttl.get("sweep_limit", 1000)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        raise ConfigError(f"{where}.sweep_limit: must be a positive integer")
    return ThreadTtlConfig(
        strategy=strategy,
        default_ttl=float(default) if default is not None else None,
        sweep_minutes=float(sweep),
        sweep_limit=limit,
    )


def load(path: Path | None) -> ThreadTtlConfig:
    if path is None:
        return ThreadTtlConfig()
    raw = orjson.loads(path.read_bytes())
    return parse(raw.get("checkpointer") if isinstance(raw, dict) else None, path)


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0


class ThreadTtl:
    """Stamps threads' expiry and sweeps expired ones."""

    def __init__(
        self,
        config: ThreadTtlConfig,
        storage: Storage,
        delete_thread: Callable[[str], Awaitable[None]],
    ) -> None:
        """`delete_thread`: the thread service's delete (cancels the thread's runs, removes
        it, its runs and checkpoints)."""
        self.config = config
        self._storage = storage
        self._delete_thread = delete_thread
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def check(ttl: Any) -> None:
        """InvalidInput (422) for a malformed request `ttl`."""
        if ttl is None:
            return
        if not isinstance(ttl, dict) or set(ttl) - {"strategy", "ttl"}:
            raise InvalidInput("ttl: expected {'strategy': 'delete' | 'keep_latest', 'ttl': n}")
        if ttl.get("strategy", "delete") not in _STRATEGIES:
            raise InvalidInput("ttl.strategy: must be 'delete' or 'keep_latest'")
        if not _positive(ttl.get("ttl")):
            raise InvalidInput("ttl.ttl: must be a positive number of minutes")

    async def apply(self, thread_id: str, ttl: dict[str, Any] | None, *, created: bool) -> None:
        """Stamp the thread's expiry from a request's `ttl`, else (for a new thread) the
        config's default."""
        if ttl is not None:
            minutes = float(ttl["ttl"])
            strategy = cast(ThreadTtlStrategy, ttl.get("strategy", "delete"))
        elif created and self.config.default_ttl is not None:
            minutes, strategy = self.config.default_ttl, self.config.strategy
        else:
            return
        await self._storage.thread_ttl.set(thread_id, now() + timedelta(minutes=minutes), strategy)

    async def sweep(self) -> int:
        """Sweep the threads expired now (up to `sweep_limit`); how many were swept."""
        claimed = await self._storage.thread_ttl.claim_expired(
            at=now(), limit=self.config.sweep_limit
        )
        for thread_id, strategy in claimed:
            try:
                if strategy == "keep_latest":
                    await self._storage.checkpoints.prune([thread_id], "keep_latest")
                else:
                    await self._delete_thread(thread_id)
            except NotFound:
                pass  # deleted meanwhile
        if claimed:
            log.info("thread TTL: swept %d expired thread(s)", len(claimed))
        return len(claimed)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="interop-ttl")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.sweep_minutes * 60)
            try:
                await self.sweep()
            except Exception:
                log.warning("thread TTL sweep failed", exc_info=True)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
