"""Server settings: from CLI flags, with `INTEROP_*` environment variables as defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE = "sqlite:///.interop/interop.sqlite"


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _env_list(*names: str) -> list[str]:
    """The first of `names` that is set, as a comma-separated list."""
    value = next((os.environ[name] for name in names if os.environ.get(name)), "")
    return [item.strip() for item in value.split(",") if item.strip()]


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")


def url_host(host: str) -> str:
    """A bind address as a URL host (a wildcard bind is reached on loopback)."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


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
    # A run claimed from the queue shared by processes (PostgreSQL with Redis) is leased for
    # this long and renewed every third of it; a dead process's runs are taken over once it ends.
    run_lease_seconds: float = field(
        default_factory=lambda: _env_float("INTEROP_RUN_LEASE_SECONDS", 20.0)
    )
    # Runs executed concurrently by one process. A run is an asyncio task that spends its time
    # waiting on models, tools and the database, not on this process's CPU: a hundred of them
    # cost little memory and keep one core far from busy, while a handful would leave callers
    # queued behind a few slow agents.
    workers_per_process: int = field(
        default_factory=lambda: _env_int("INTEROP_WORKERS_PER_PROCESS", 100)
    )
    # Runs a process keeps waiting for a worker before it answers new ones 503 with
    # Retry-After (None: 10 per worker).
    max_queued_runs: int | None = field(
        default_factory=lambda: _env_int("INTEROP_MAX_QUEUED_RUNS", 0) or None
    )
    auth_token: str | None = field(
        default_factory=lambda: os.environ.get("INTEROP_AUTH_TOKEN") or None
    )
    max_body_bytes: int = field(
        default_factory=lambda: _env_int("INTEROP_MAX_BODY_BYTES", 10 * 1024 * 1024)
    )
    run_timeout: float = 3600.0
    cron_interval: float = 1.0  # seconds between two looks for due crons
    # Seconds a SIGTERM/SIGINT leaves open streams and requests to finish (README: Shutdown).
    graceful_shutdown: float = field(
        default_factory=lambda: float(_env_int("INTEROP_GRACEFUL_SHUTDOWN", 10))
    )
    heartbeat_seconds: float = 5.0
    public_url: str | None = field(
        default_factory=lambda: os.environ.get("INTEROP_PUBLIC_URL") or None
    )
    # Host and Origin allow-lists of every door (empty: loopback, plus --public-url); the
    # INTEROP_MCP_ALLOWED_* names of earlier versions still work.
    allowed_hosts: list[str] = field(
        default_factory=lambda: _env_list("INTEROP_ALLOWED_HOSTS", "INTEROP_MCP_ALLOWED_HOSTS")
    )
    allowed_origins: list[str] = field(
        default_factory=lambda: _env_list("INTEROP_ALLOWED_ORIGINS", "INTEROP_MCP_ALLOWED_ORIGINS")
    )
    # Announced in the MCP protected-resource metadata when auth is on.
    mcp_authorization_servers: list[str] = field(
        default_factory=lambda: _env_list("INTEROP_MCP_AUTHORIZATION_SERVERS")
    )

    def base_url(self) -> str:
        """The URL clients reach this server at: `public_url`, else the bind address. Links the
        server hands out (agent cards, MCP metadata) are built from this, never from a request's
        Host header."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{url_host(self.host)}:{self.port}"

    def is_loopback(self) -> bool:
        """True when the server listens on loopback only."""
        return self.host in ("localhost", "::1") or self.host.startswith("127.")

    @property
    def shared_queue(self) -> bool:
        """Whether several processes may serve one database: runs are claimed from storage."""
        return self.redis is not None and not self.database.startswith("sqlite")

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
