"""The long-term store's settings: the `store` key of the config file.

```json
"store": {
  "index": {"embed": "openai:text-embedding-3-small", "dims": 1536, "fields": ["$"]},
  "ttl": {"default_ttl": 60, "refresh_on_read": true, "sweep_interval_minutes": 5}
}
```

`index.embed` is a `provider:model` string (langchain's `init_embeddings`, which needs the
`langchain` package and the provider's) or a `./file.py:function` / `package.module:function`
path loaded like a graph: a function taking a list of texts and returning their vectors (sync
or async), or an `Embeddings` instance. The storage backends hand both settings to LangGraph's
own stores (AsyncSqliteStore, AsyncPostgresStore), which do the indexing, search and TTL.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from langchain_core.embeddings import Embeddings
from langgraph.store.base import IndexConfig, TTLConfig

from interop.core.graphs import ConfigError, import_location

_INDEX_KEYS = frozenset({"embed", "dims", "fields"})
_TTL_KEYS = frozenset({"default_ttl", "refresh_on_read", "sweep_interval_minutes"})
DEFAULT_SWEEP_MINUTES = 5  # LangGraph's stores' own default


@dataclass(frozen=True, slots=True)
class StoreSettings:
    """The parsed `store` section: None where the config file sets nothing."""

    index: IndexConfig | None = None
    ttl: TTLConfig | None = None
    # How often expired items are swept (None: no TTL configured, no sweep). A fraction of a
    # minute is allowed (tests sweep every second).
    sweep_minutes: float | None = None


def parse(raw: Any, path: Path | None) -> StoreSettings:
    """Validate the `store` section and load its embedding function. Raises ConfigError."""
    where = f"{path}: store" if path is not None else "store"
    base = path.parent if path is not None else Path.cwd()
    if raw is None:
        return StoreSettings()
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    unknown = sorted(set(raw) - {"index", "ttl"})
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    ttl = _ttl(raw.get("ttl"), f"{where}.ttl")
    sweep = None
    if ttl is not None:
        sweep = (raw["ttl"].get("sweep_interval_minutes") or DEFAULT_SWEEP_MINUTES) * 1.0
    return StoreSettings(
        index=_index(raw.get("index"), f"{where}.index", base), ttl=ttl, sweep_minutes=sweep
    )


def load(path: Path | None) -> StoreSettings:
    """The `store` section of the config file at `path` (none: the defaults)."""
    if path is None:
        return StoreSettings()
    raw = orjson.loads(path.read_bytes())
    return parse(raw.get("store") if isinstance(raw, dict) else None, path)


def _index(raw: Any, where: str, base: Path) -> IndexConfig | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    unknown = sorted(set(raw) - _INDEX_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    dims = raw.get("dims")
    if not isinstance(dims, int) or isinstance(dims, bool) or dims <= 0:
        raise ConfigError(f"{where}.dims: must be a positive integer")
    fields = raw.get("fields")
    if fields is not None and not (
        isinstance(fields, list) and all(isinstance(f, str) for f in fields)
    ):
        raise ConfigError(f"{where}.fields: must be a list of JSON paths")
    embed = raw.get("embed")
    if not isinstance(embed, str) or ":" not in embed:
        raise ConfigError(f"{where}.embed: expected 'provider:model' or 'path/to/file.py:function'")
    config: IndexConfig = {"dims": dims, "embed": _embedder(embed, f"{where}.embed", base)}
    if fields is not None:
        config["fields"] = fields
    return config


def _embedder(spec: str, where: str, base: Path) -> Any:
    """A path to a function (or Embeddings instance) is loaded; `provider:model` goes through
    langchain's `init_embeddings`."""
    location, _, attr = spec.rpartition(":")
    is_path = location.endswith(".py") or "/" in location or "." in location
    if not is_path:
        return _init_embeddings(spec, where)
    module = import_location(where, location, base)
    found = getattr(module, attr, None)
    if isinstance(found, Embeddings):
        return found
    if not callable(found):
        raise ConfigError(f"{where}: {spec} is not a function or an Embeddings instance")
    return _as_embed_function(found)


def _as_embed_function(fn: Callable[..., Any]) -> Any:
    # LangGraph's stores accept a sync function or an async one; they tell them apart by
    # `inspect.iscoroutinefunction`, so a callable object with an async __call__ is unwrapped.
    call = getattr(fn, "__call__", None)  # noqa: B004 - the bound method, to inspect it
    if not inspect.isfunction(fn) and inspect.iscoroutinefunction(call):
        return call
    return fn


def _init_embeddings(spec: str, where: str) -> Embeddings:
    try:
        from langchain.embeddings import init_embeddings
    except ImportError as exc:
        raise ConfigError(
            f"{where}: {spec!r} needs the `langchain` package (and the provider's) to be "
            "installed; or name a function: './embed.py:embed'"
        ) from exc
    try:
        return init_embeddings(spec)  # type: ignore[no-any-return]
    except Exception as exc:  # the provider's package or credentials are missing
        raise ConfigError(f"{where}: cannot load {spec!r}: {type(exc).__name__}: {exc}") from exc


def _ttl(raw: Any, where: str) -> TTLConfig | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    unknown = sorted(set(raw) - _TTL_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    config: TTLConfig = {}
    default = raw.get("default_ttl")
    if default is not None:
        if not _positive_number(default):
            raise ConfigError(f"{where}.default_ttl: must be a positive number of minutes")
        config["default_ttl"] = float(default)
    refresh = raw.get("refresh_on_read", True)
    if not isinstance(refresh, bool):
        raise ConfigError(f"{where}.refresh_on_read: must be true or false")
    config["refresh_on_read"] = refresh
    sweep = raw.get("sweep_interval_minutes")
    if sweep is not None and not _positive_number(sweep):
        raise ConfigError(f"{where}.sweep_interval_minutes: must be a positive number")
    return config


def _positive_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value > 0
