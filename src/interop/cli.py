"""The `interop` command: `interop serve` runs the server, `interop check` validates a config."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from interop import __version__
from interop.core.graphs import ConfigError, GraphEntry
from interop.settings import Settings

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
        description="An open-source agent server: LangGraph REST API, A2A and MCP front doors.",
    )
    parser.add_argument("--version", action="version", version=f"interop {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    serve = commands.add_parser("serve", help="run the server")
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
        help="database URL: sqlite:///path (default sqlite:///.interop/interop.sqlite), "
        "sqlite:///:memory: for a throwaway server",
    )
    serve.add_argument(
        "--workers-per-process",
        type=_bounded_int(1, 10_000),
        dest="workers",
        help="runs executed concurrently by this process (default 10)",
    )
    serve.add_argument(
        "--auth-token", help="require 'Authorization: Bearer <token>' (or set INTEROP_AUTH_TOKEN)"
    )
    serve.add_argument("--public-url", help="the URL clients reach this server at")
    serve.add_argument(
        "--max-body-bytes", type=_bounded_int(1024), help="largest request body accepted"
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )

    check = commands.add_parser("check", help="load the config and its graphs, then exit")
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
    if args.workers:
        settings.workers_per_process = args.workers
    if args.auth_token:
        settings.auth_token = args.auth_token
    if args.public_url:
        settings.public_url = args.public_url
    if args.max_body_bytes:
        settings.max_body_bytes = args.max_body_bytes
    settings.host, settings.port = args.host, args.port
    if not settings.database.startswith("sqlite://"):
        print(
            f"interop: unsupported --database {settings.database!r}: expected sqlite:///path",
            file=sys.stderr,
        )
        return 2
    problem = _database_problem(settings.database)
    if problem is not None:
        print(f"interop: cannot open --database {settings.database!r}: {problem}", file=sys.stderr)
        return 2
    return _serve(settings, graphs, access_log=args.access_log, log_level=args.log_level)


def _database_problem(url: str) -> str | None:
    """Why the database cannot be opened (None: it can), found before serving rather than as a
    traceback from the server's startup."""
    import asyncio
    import sqlite3

    from interop.storage import open_storage

    async def probe() -> None:
        storage = await open_storage(url)
        await storage.close()

    try:
        asyncio.run(probe())
    except (OSError, sqlite3.Error, ValueError) as exc:
        return str(exc) or type(exc).__name__
    return None


def _serve(
    settings: Settings, graphs: dict[str, GraphEntry], *, access_log: bool, log_level: str
) -> int:
    import uvicorn

    from interop.app import create_app

    app = create_app(settings, graphs)
    base = settings.base_url()
    if not settings.is_loopback() and not settings.public_url:
        log.warning(
            "no --public-url: agent cards and MCP metadata name %s; set --public-url to the URL "
            "clients reach this server at",
            base,
        )
    app.state.banner = [
        f"interop {__version__} ready",
        f"  REST      {base}/",
        f"  API docs  {base}/docs",
        f"  A2A       {base}/a2a/{{assistant_id}}",
        f"  MCP       {base}/mcp",
        f"  database  {settings.database}",
    ]
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        access_log=access_log,
        log_level=log_level,
        timeout_graceful_shutdown=5,
        log_config=None,
    )
    server = uvicorn.Server(config)
    try:
        server.run()
    except OSError as exc:
        print(f"interop: cannot serve on {settings.host}:{settings.port}: {exc}", file=sys.stderr)
        return 1
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
