"""The `interop` command: `interop serve` runs the server, `interop check` validates a config."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

from interop import __version__
from interop.core.graphs import ConfigError, GraphEntry
from interop.settings import Settings
from interop.storage import check_storage
from interop.storage.errors import StorageUnavailable

if TYPE_CHECKING:
    from interop.core.drain import Drain

log = logging.getLogger("interop")


class _Parser(argparse.ArgumentParser):
    """argparse, reporting a bad command line in one line (exit 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < low or (high is not None and value > high):
            bound = f"{low}..{high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range ({bound})")
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="interop",
        allow_abbrev=False,
        description="An open-source agent server: LangGraph REST API, A2A and MCP front doors.",
    )
    parser.add_argument("--version", action="version", version=f"interop {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    serve = commands.add_parser("serve", help="run the server", allow_abbrev=False)
    _config_flag(serve)
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port",
        type=_bounded_int(0, 65535),
        default=8123,
        help="port to bind (default 8123; 0: any free port)",
    )
    serve.add_argument(
        "--database",
        help="database URL (or set INTEROP_DATABASE): sqlite:///path (default "
        "sqlite:///.interop/interop.sqlite), sqlite:///:memory: for a throwaway server, "
        "postgresql://user:password@host:port/database for many processes on one database",
    )
    serve.add_argument(
        "--redis",
        help="Redis URL for run events and signals across processes: redis://host:port/db "
        "(or set INTEROP_REDIS; default: in-process)",
    )
    serve.add_argument(
        "--processes",
        type=_bounded_int(1, 256),
        help="server processes sharing the port (or set INTEROP_PROCESSES; default 1); more than"
        " one needs a postgresql:// --database and --redis",
    )
    serve.add_argument(
        "--workers-per-process",
        type=_bounded_int(1, 10_000),
        dest="workers",
        help="runs executed concurrently by this process (or set INTEROP_WORKERS_PER_PROCESS;"
        " default 100); one assistant takes at most three quarters of them",
    )
    serve.add_argument(
        "--max-queued-runs",
        type=_bounded_int(1, 10_000_000),
        help="runs waiting for a worker in this process past which new runs are answered 503"
        " with Retry-After (or set INTEROP_MAX_QUEUED_RUNS; default 10 per worker)",
    )
    serve.add_argument(
        "--auth-token", help="require 'Authorization: Bearer <token>' (or set INTEROP_AUTH_TOKEN)"
    )
    serve.add_argument("--public-url", help="the URL clients reach this server at")
    serve.add_argument(
        "--max-body-bytes", type=_bounded_int(1024), help="largest request body accepted"
    )
    serve.add_argument(
        "--graceful-shutdown",
        type=_bounded_int(1, 3600),
        help="seconds SIGTERM/SIGINT leaves streams and requests to finish before the server "
        "closes them (or set INTEROP_GRACEFUL_SHUTDOWN; default 10)",
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )

    check = commands.add_parser(
        "check", help="load the config and its graphs, then exit", allow_abbrev=False
    )
    _config_flag(check)
    return parser


def _config_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        help="config file in the langgraph.json format (default: ./interop.json, else "
        "./langgraph.json, else the bundled example agents)",
    )


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    level = getattr(args, "log_level", "info").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    settings = Settings(config=args.config)
    if args.command == "serve" and not _claim(args.database or settings.database):
        return 2
    try:
        from interop.app import load_agents

        graphs = load_agents(settings)
    except ConfigError as exc:
        print(f"interop: {exc}", file=sys.stderr)
        return 2
    if args.command == "check":
        for graph_id, entry in sorted(graphs.items()):
            print(f"{graph_id}: {entry.spec}")
        return 0
    if args.database:
        settings.database = args.database
    if args.redis:
        settings.redis = args.redis
    if args.workers:
        settings.workers_per_process = args.workers
    if args.max_queued_runs:
        settings.max_queued_runs = args.max_queued_runs
    if args.auth_token:
        settings.auth_token = args.auth_token
    if args.public_url:
        settings.public_url = args.public_url
    if args.max_body_bytes:
        settings.max_body_bytes = args.max_body_bytes
    if args.graceful_shutdown:
        settings.graceful_shutdown = float(args.graceful_shutdown)
    settings.host, settings.port = args.host, args.port
    processes = args.processes or _env_processes()
    if processes is None:
        print("interop: INTEROP_PROCESSES must be a positive integer", file=sys.stderr)
        return 2
    problem = _processes_problem(processes, settings)
    if problem is not None:
        print(f"interop: {problem}", file=sys.stderr)
        return 2
    try:
        from interop.core import store as store_config

        asyncio.run(check_storage(settings.database, store_config.load(settings.resolve_config())))
    except StorageUnavailable as exc:
        print(f"interop: {exc}", file=sys.stderr)
        return 2
    if settings.redis:
        problem = _probe_broker(settings.redis)
        if problem is not None:
            print(f"interop: --redis: {problem}", file=sys.stderr)
            return 2
    if not _hold_broker_lock(settings):
        return 2
    if processes > 1:
        from interop.serving import serve_processes

        return serve_processes(
            settings, processes, access_log=args.access_log, log_level=args.log_level
        )
    return _serve(settings, graphs, access_log=args.access_log, log_level=args.log_level)


def _env_processes() -> int | None:
    value = os.environ.get("INTEROP_PROCESSES") or "1"
    return int(value) if value.isdigit() and int(value) >= 1 else None


def _is_postgres(url: str) -> bool:
    return url.partition("://")[0].lower() in ("postgresql", "postgres")


def _processes_problem(processes: int, settings: Settings) -> str | None:
    """Why `processes` server processes cannot serve with these settings, or None."""
    if processes == 1:
        return None
    missing = []
    if not _is_postgres(settings.database):
        missing.append("a postgresql:// --database (SQLite admits one process)")
    if not settings.redis:
        missing.append("--redis (run events and signals shared by the processes)")
    if not missing:
        return None
    return f"--processes {processes} needs " + " and ".join(missing)


# The connection holding this process's broker lock on a Postgres database, for its whole life.
_broker_lock: object = None


def _hold_broker_lock(settings: Settings) -> bool:
    """On Postgres, take the database's broker lock (shared with Redis, exclusive without): a
    server without a broker must be alone on its database. False, with one line on stderr,
    when another server holds it the other way."""
    global _broker_lock
    if not _is_postgres(settings.database):
        return True
    from interop.storage.postgres.presence import BrokerSplit, hold

    try:
        _broker_lock = hold(settings.database, shared=settings.redis is not None)
    except (BrokerSplit, StorageUnavailable) as exc:
        print(f"interop: {exc}", file=sys.stderr)
        return False
    return True


def _claim(database: str) -> bool:
    """Take the database's one-server lock for this process, before anything (the app's crash
    recovery above all) can touch another server's runs. False, with one line on stderr, when
    another server holds it."""
    from interop.storage import claim_database
    from interop.storage.sqlite.lock import DatabaseInUse

    try:
        claim_database(database)
    except DatabaseInUse:
        print(
            f"interop: database {database} is in use by another interop server;"
            " stop it or pass another --database",
            file=sys.stderr,
        )
        return False
    except StorageUnavailable as exc:
        print(f"interop: {exc}", file=sys.stderr)
        return False
    return True


def _probe_broker(url: str) -> str | None:
    """Why the broker at `url` cannot be used, or None when it answers."""
    import asyncio

    from interop.brokers import BrokerUnavailable, open_broker

    async def probe() -> None:
        broker = await open_broker(url)
        await broker.aclose()

    try:
        asyncio.run(probe())
    except BrokerUnavailable as exc:
        return str(exc)
    return None


def _draining_server(config: Any, drain: Drain, bound: float) -> Any:
    """A uvicorn server whose first SIGTERM/SIGINT drains (core/drain.py) before uvicorn's own
    shutdown; a second signal stops waiting. The signal is not raised again once the server has
    stopped (uvicorn's habit), so a drained server exits with 0."""
    import uvicorn

    class DrainingServer(uvicorn.Server):
        _loop: asyncio.AbstractEventLoop | None = None
        _drainer: asyncio.Task[None] | None = None
        _signalled = False

        async def serve(self, sockets: list[socket.socket] | None = None) -> None:
            self._loop = asyncio.get_running_loop()
            await super().serve(sockets)

        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            if self._loop is None or not self.started or self._signalled:
                self.force_exit = self.should_exit and sig == signal.SIGINT
                self.should_exit = True
                return
            self._signalled = True
            log.info("draining: new requests get 503; streams and waits are being answered")
            self._loop.call_soon_threadsafe(self._drain)

        def _drain(self) -> None:
            drain.begin()
            self._drainer = asyncio.get_running_loop().create_task(self._exit_when_drained())

        async def _exit_when_drained(self) -> None:
            await drain.settled(bound / 2)
            self.should_exit = True

    return DrainingServer(config)


def _serve(
    settings: Settings, graphs: dict[str, GraphEntry], *, access_log: bool, log_level: str
) -> int:

    from interop import heap
    from interop.app import create_app

    heap.limit_arenas()
    from interop.serving import banner, uvicorn_config

    try:
        app = create_app(settings, graphs)
    except ConfigError as exc:  # e.g. the `http.app` module does not import
        print(f"interop: {exc}", file=sys.stderr)
        return 2
    if not settings.is_loopback() and not settings.public_url:
        log.warning(
            "no --public-url: agent cards and MCP metadata name %s; set --public-url to the URL "
            "clients reach this server at",
            settings.base_url(),
        )
    app.state.banner = banner(settings, 1)
    config = uvicorn_config(app, settings, access_log=access_log, log_level=log_level)
    server = _draining_server(config, app.state.drain, settings.graceful_shutdown)
    try:
        server.run()
    except OSError as exc:
        print(f"interop: cannot serve on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 1
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
