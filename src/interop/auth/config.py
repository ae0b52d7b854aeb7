"""The `auth` section of the config file."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interop.core.graphs import ConfigError

log = logging.getLogger("interop.auth")

_KEYS = frozenset({"path", "disable_studio_auth", "openapi", "cache"})


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """`path` names the `Auth` object ('./auth.py:auth'); `openapi` the security schemes the
    OpenAPI document declares; `base` the folder relative paths start from."""

    path: str | None
    base: Path
    disable_studio_auth: bool = False
    openapi: dict[str, Any] = field(default_factory=dict)


def parse(raw: Any, config_path: Path | None) -> AuthConfig | None:
    """The `auth` section, or None when there is none. Raises ConfigError for a bad shape."""
    if raw is None:
        return None
    where = f"{config_path}: auth" if config_path else "auth"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected an object")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    path = raw.get("path")
    if path is not None and (not isinstance(path, str) or ":" not in path):
        raise ConfigError(f"{where}.path: expected 'path/to/file.py:attr', got {path!r}")
    openapi = raw.get("openapi", {})
    if not isinstance(openapi, dict):
        raise ConfigError(f"{where}.openapi: expected an object")
    disable_studio = raw.get("disable_studio_auth", False)
    if not isinstance(disable_studio, bool):
        raise ConfigError(f"{where}.disable_studio_auth: expected true or false")
    if disable_studio:
        # Studio requests reach interop as any other client: they pass the custom handler.
        log.info("%s.disable_studio_auth: interop has no Studio bypass; nothing to disable", where)
    if "cache" in raw:
        log.warning("%s.cache is not served: every request runs the authenticate handler", where)
    base = config_path.parent if config_path is not None else Path.cwd()
    return AuthConfig(path=path, base=base, disable_studio_auth=disable_studio, openapi=openapi)
