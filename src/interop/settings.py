"""Server settings: from CLI flags, with `INTEROP_*` environment variables as defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE = "sqlite:///.interop/interop.sqlite"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _env_list(name: str) -> list[str]:
    value = os.environ.get(name) or ""
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass(slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8123
    config: Path | None = None
    database: str = field(
        default_factory=lambda: os.environ.get("INTEROP_DATABASE", DEFAULT_DATABASE)
    )
    # Redis for run events and signals (None: the in-process broker of one server process).
    redis: str | None = field(default_factory=lambda: os.environ.get("INTEROP_REDIS") or None)
    workers_per_process: int = field(
        default_factory=lambda: _env_int("INTEROP_WORKERS_PER_PROCESS", 10)
    )
    auth_token: str | None = field(
        default_factory=lambda: os.environ.get("INTEROP_AUTH_TOKEN") or None
    )
    max_body_bytes: int = field(
        default_factory=lambda: _env_int("INTEROP_MAX_BODY_BYTES", 10 * 1024 * 1024)
    )
    run_timeout: float = 3600.0
    cron_interval: float = 1.0  # seconds between two looks for due crons
    heartbeat_seconds: float = 5.0
    public_url: str | None = field(
        default_factory=lambda: os.environ.get("INTEROP_PUBLIC_URL") or None
    )
    # MCP transport security: Host and Origin allow-lists (empty: loopback, plus --public-url).
    mcp_allowed_hosts: list[str] = field(
        default_factory=lambda: _env_list("INTEROP_MCP_ALLOWED_HOSTS")
    )
    mcp_allowed_origins: list[str] = field(
        default_factory=lambda: _env_list("INTEROP_MCP_ALLOWED_ORIGINS")
    )
    # Announced in the MCP protected-resource metadata when auth is on.
    mcp_authorization_servers: list[str] = field(
        default_factory=lambda: _env_list("INTEROP_MCP_AUTHORIZATION_SERVERS")
    )

    def resolve_config(self) -> Path | None:
        """The config file to load: `config`, else ./interop.json, else ./langgraph.json, else
        None (the bundled example agents)."""
        if self.config is not None:
            return self.config
        for name in ("interop.json", "langgraph.json"):
            candidate = Path.cwd() / name
            if candidate.is_file():
                return candidate
        return None
