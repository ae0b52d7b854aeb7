"""Serving the app: one process, or `--processes N` under uvicorn's multi-process supervisor.

With N processes the parent binds the port once and starts N children (uvicorn's `Multiprocess`:
spawned interpreters that share the listening socket, a child that dies is started again,
SIGTERM/SIGINT stop them all). Each child builds its own app from the settings the parent hands
it in the environment (`SETTINGS_ENV`), through `app_from_environment`.
"""

from __future__ import annotations

import ctypes
import dataclasses
import faulthandler
import importlib.util
import json
import logging
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from interop import __version__
from interop.brokers import describe
from interop.settings import Settings

log = logging.getLogger("interop")

# The settings a child process serves with (JSON), and its log level.
SETTINGS_ENV = "INTEROP_SERVE_SETTINGS"
LOG_LEVEL_ENV = "INTEROP_SERVE_LOG_LEVEL"
SUPERVISOR_ENV = "INTEROP_SERVE_SUPERVISOR"  # the supervisor's pid
PR_SET_PDEATHSIG = 1  # prctl(2)
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
READY_TIMEOUT = 120.0  # seconds a child may take to import, open storage and start
START_RETRIES = 3  # a child killed while starting is started again this many times


def banner(settings: Settings, processes: int) -> list[str]:
    """The startup log's lines: where each door is, the database, the broker, the processes."""
    base = settings.base_url()
    lines = [
        f"interop {__version__} ready",
        f"  REST      {base}/",
        f"  API docs  {base}/docs",
        f"  A2A       {base}/a2a/{{assistant_id}}",
        f"  MCP       {base}/mcp",
        f"  database  {_describe_database(settings.database)}",
        f"  broker    {describe(settings.redis)}",
        f"  processes {processes} x {settings.workers_per_process} run workers",
    ]
    if settings.redis is None and settings.database.startswith(("postgresql:", "postgres:")):
        lines.append(
            "  one process on this database: the broker is in-process (pass --redis to run more)"
        )
    return lines


def _describe_database(url: str) -> str:
    """The URL without its password. (Postgres only: a SQLite server never loads psycopg.)"""
    if not url.startswith(("postgresql:", "postgres:")):
        return url
    from interop.storage.postgres.pool import describe as describe_postgres

    return describe_postgres(url)


def uvicorn_config(app: Starlette | str, settings: Settings, **options: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        timeout_graceful_shutdown=int(settings.graceful_shutdown),
        log_config=None,
        **options,
    )


def settings_to_env(settings: Settings) -> str:
    fields = dataclasses.asdict(settings)
    fields["config"] = str(settings.config) if settings.config is not None else None
    return json.dumps(fields)


def settings_from_env(value: str) -> Settings:
    fields = json.loads(value)
    config = fields.pop("config")
    return Settings(config=Path(config) if config is not None else None, **fields)


def app_from_environment() -> Starlette:
    """The app of one child process (uvicorn's factory): the settings its parent set in the
    environment, its graphs loaded again here."""
    from interop.app import create_app, load_agents

    faulthandler.enable()  # a child that crashes in native code says where on stderr
    _stop_with_supervisor(int(os.environ[SUPERVISOR_ENV]))
    logging.basicConfig(level=os.environ.get(LOG_LEVEL_ENV, "INFO"), format=LOG_FORMAT)
    settings = settings_from_env(os.environ[SETTINGS_ENV])
    app = create_app(settings, load_agents(settings))
    app.state.banner = [f"process {os.getpid()} ready"]
    return app


def _stop_with_supervisor(supervisor: int) -> None:
    """Have the kernel send this child SIGTERM (a drain, as for any stop) when its supervisor
    dies, even by SIGKILL, so that no child goes on serving the port alone (Linux; elsewhere a
    child outlives a killed supervisor)."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != supervisor:  # it died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


class _Supervisor(Multiprocess):
    """uvicorn's supervisor, logging the banner once every child has started."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket, lines: list[str]) -> None:
        super().__init__(config, sockets=[sock])
        self.lines = lines
        self.failed = False

    def init_processes(self) -> None:
        super().init_processes()
        for index, process in enumerate(self.processes):
            restarts = 0
            while not process.wait_until_ready(READY_TIMEOUT, self.should_exit):
                if self.should_exit.is_set():
                    return
                code = process.exitcode
                if code is not None and code != STARTUP_FAILURE and restarts < START_RETRIES:
                    # Killed while starting (by a signal, the OOM killer...), not a failure of
                    # the app itself: start another in its place, as after the start.
                    log.warning("process %s died while starting (exit code %s)", process.pid, code)
                    restarts += 1
                    process = Process(self.config, self.sockets)
                    process.start()
                    self.processes[index] = process
                    continue
                log.error("process %s did not start (exit code %s); stopping", process.pid, code)
                self.failed = True
                self.should_exit.set()
                return
        for line in self.lines:
            log.info("%s", line)

    def keep_subprocess_alive(self) -> None:
        super().keep_subprocess_alive()
        if any(process.exitcode == STARTUP_FAILURE for process in self.processes):
            self.failed = True


def serve_processes(settings: Settings, processes: int, *, access_log: bool, log_level: str) -> int:
    """Serve with `processes` child processes on one socket until SIGTERM/SIGINT. The exit
    code: 0 after a stop, 1 when a child could not start or the port cannot be bound."""
    os.environ[SETTINGS_ENV] = settings_to_env(settings)
    os.environ[LOG_LEVEL_ENV] = log_level.upper()
    os.environ[SUPERVISOR_ENV] = str(os.getpid())
    config = uvicorn_config(
        "interop.serving:app_from_environment",
        settings,
        factory=True,
        workers=processes,
        access_log=access_log,
        log_level=log_level,
    )
    try:
        sock = config.bind_socket()
    except SystemExit:  # uvicorn logs why it could not bind, then exits
        print(f"interop: cannot serve on {settings.host}:{settings.port}", file=sys.stderr)
        return 1
    supervisor = _Supervisor(config, sock, banner(settings, processes))
    try:
        supervisor.run()
    finally:
        sock.close()
    return 1 if supervisor.failed else 0
