"""Benchmark interop's REST API on the `echo` agent against a bare Starlette ceiling.

    python bench/run.py [--duration 10] [--connections 32] [--only stateless,stream]
    python bench/run.py --target-url http://127.0.0.1:PORT   # an already running server

Without --target-url it starts `interop serve` on a free loopback port with a fresh SQLite
database in a temporary directory, and stops it at the end. See bench/README.md for what each
figure means. Results are printed as a table and written to bench/results/ as JSON.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import a2a_workloads as a2a
import mcp_workloads as mcpw
from a2a_figures import A2AMeasurements, build_a2a_figures
from harness.ceiling import measure_ceiling
from harness.http1 import Request
from harness.load import LoadResult, LoadSpec, resolve_generator, run_load
from harness.report import render_table, write_results
from harness.rss import peak_rss_mb, pids_listening_on, rss_mb
from harness.servers import LOOPBACK, ServerError, ServerProcess, free_port
from harness.sse import StreamTimings, measure_stream
from langgraph_rest import (
    WorkloadError,
    check_echo_reply,
    create_threads,
    is_values_event,
    stateless_stream,
    stateless_wait,
    threaded_waits,
)
from mcp_figures import McpMeasurements, build_mcp_figures
from mcp_figures import detail_lines as mcp_detail_lines
from rest_figures import Measurements, build_figures, detail_lines

BENCH_DIR = Path(__file__).resolve().parent
WORKLOADS = ("ceiling", "stateless", "threaded", "stream", "mcp")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per load")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded seconds before each")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=64, help="thread pool for threaded runs")
    parser.add_argument("--stream-requests", type=int, default=200, help="sequential streams")
    parser.add_argument(
        "--stream-max-seconds", type=float, default=60.0, help="stop the streams after this"
    )
    parser.add_argument(
        "--only",
        default=",".join(WORKLOADS),
        help=f"comma-separated subset of {','.join(WORKLOADS)} (RSS is always read)",
    )
    parser.add_argument(
        "--a2a",
        action="store_true",
        help="also measure the A2A front door (message/send, SendMessage, message/stream, card)",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=170.0,
        help="seconds idle after the loads before reading 'idle RSS after load' (0: skip); "
        "the server frees finished runs' events 120 s after they end",
    )
    parser.add_argument("--target-url", help="benchmark this running server instead of interop")
    parser.add_argument("--target-pid", type=int, help="its pid for RSS (default: port owner)")
    parser.add_argument("--interop", help="the interop executable (default: next to python)")
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--label", help="results file label (default: interop or target)")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    args.only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = args.only - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads in --only: {', '.join(sorted(unknown))}")
    if args.target_url and urlsplit(args.target_url).hostname not in (LOOPBACK, "localhost"):
        parser.error("--target-url must be a loopback address (127.0.0.1 or localhost)")
    return args


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class UnderTest:
    """The server being measured: where it answers and which processes are it."""

    base_url: str
    pids: list[int]
    description: str


def interop_executable(explicit: str | None) -> str:
    if explicit:
        return explicit
    beside = Path(sys.executable).parent / "interop"
    found = str(beside) if beside.exists() else shutil.which("interop")
    if not found:
        raise SystemExit("interop is not installed: pip install -e . (or pass --interop)")
    return found


@contextmanager
def server_under_test(args: argparse.Namespace) -> Iterator[UnderTest]:
    """The --target-url server as is, or interop started on a free port with a fresh database."""
    if args.target_url:
        port = urlsplit(args.target_url).port or 80
        pids = [args.target_pid] if args.target_pid else pids_listening_on(port)
        yield UnderTest(args.target_url.rstrip("/"), pids, f"external {args.target_url}")
        return
    with tempfile.TemporaryDirectory(prefix="bench-interop-") as tmp:
        port = free_port()
        argv = [
            interop_executable(args.interop),
            "serve",
            "--host",
            LOOPBACK,
            "--port",
            str(port),
            "--database",
            f"sqlite:///{tmp}/bench.sqlite",
        ]
        # cwd is the empty temp dir: no interop.json or langgraph.json, so the bundled agents.
        server = ServerProcess(
            argv, port=port, log_path=Path(tmp) / "server.log", ready_path="/ok", cwd=Path(tmp)
        )
        say(f"starting {' '.join(argv)}")
        with server:
            yield UnderTest(server.base_url, server.pids, " ".join(argv))


def run_stream(base_url: str, args: argparse.Namespace) -> StreamTimings:
    request = stateless_stream()
    # A few discarded streams first, so one-time costs (imports, caches) are not sampled.
    measure_stream(base_url, request, count=3, max_seconds=30, match=is_values_event)
    return measure_stream(
        base_url,
        request,
        count=args.stream_requests,
        max_seconds=args.stream_max_seconds,
        match=is_values_event,
    )


def load(base_url: str, requests: tuple[Request, ...], args: argparse.Namespace) -> LoadResult:
    spec = LoadSpec(base_url, requests, args.connections, args.duration, args.warmup)
    return run_load(spec, args.generator)


def measure_a2a(args: argparse.Namespace, sut: UnderTest, m: A2AMeasurements) -> None:
    """The A2A workloads on the `echo` agent (with --a2a)."""
    say("a2a: message/stream first and final event")
    a2a.check_send(sut.base_url, a2a.send_v03())
    request = a2a.stream_v03()
    measure_stream(sut.base_url, request, count=3, max_seconds=30, match=a2a.is_final_event)
    m.stream = measure_stream(
        sut.base_url,
        request,
        count=args.stream_requests,
        max_seconds=args.stream_max_seconds,
        match=a2a.is_final_event,
    )
    say("a2a: message/send (0.3)")
    m.send_v03 = load(sut.base_url, (a2a.send_v03(),), args)
    say("a2a: SendMessage (1.0)")
    a2a.check_send(sut.base_url, a2a.send_v1())
    m.send_v1 = load(sut.base_url, (a2a.send_v1(),), args)
    say("a2a: GET /.well-known/agent-card.json")
    a2a.check_card(sut.base_url)
    m.card = load(sut.base_url, (a2a.card(),), args)


def measure_mcp(args: argparse.Namespace, sut: UnderTest, m: McpMeasurements) -> None:
    """The MCP workloads on the `echo` tool (with `mcp` in --only)."""
    session = mcpw.open_session(sut.base_url)
    say("mcp: tools/call echo, 2025-11-25, one session")
    requests = mcpw.legacy_calls(session)
    mcpw.check_call(sut.base_url, requests[0])
    m.call_legacy = load(sut.base_url, requests, args)
    say("mcp: tools/call echo, 2025-11-25, one session, with a progress token (SSE)")
    requests = mcpw.legacy_streamed_calls(session)
    mcpw.check_call(sut.base_url, requests[0])
    m.call_streamed = load(sut.base_url, requests, args)
    say("mcp: tools/call echo, 2026-07-28 stateless")
    request = mcpw.modern_call()
    mcpw.check_call(sut.base_url, request)
    m.call_modern = load(sut.base_url, (request,), args)
    say("mcp: tools/list, 2025-11-25, one session")
    requests = mcpw.legacy_lists(session)
    mcpw.check_list(sut.base_url, requests[0])
    m.list_legacy = load(sut.base_url, requests, args)
    say("mcp: tools/list, 2026-07-28 stateless")
    request = mcpw.modern_list()
    mcpw.check_list(sut.base_url, request)
    m.list_modern = load(sut.base_url, (request,), args)


def measure(args: argparse.Namespace, sut: UnderTest, m: Measurements) -> None:
    """Run the selected workloads against the server, filling `m`."""
    m.idle_rss_mb = rss_mb(sut.pids)
    if "stream" in args.only:
        say(f"stream: up to {args.stream_requests} sequential POST /runs/stream")
        check_echo_reply(sut.base_url, stateless_wait())
        m.stream = run_stream(sut.base_url, args)
    if "stateless" in args.only:
        say("stateless: POST /runs/wait")
        check_echo_reply(sut.base_url, stateless_wait())
        m.stateless = load(sut.base_url, (stateless_wait(),), args)
    if "threaded" in args.only:
        say(f"threaded: creating {args.threads} threads, then POST /threads/{{id}}/runs/wait")
        requests = threaded_waits(create_threads(sut.base_url, args.threads))
        check_echo_reply(sut.base_url, requests[0])
        m.threaded = load(sut.base_url, requests, args)
    m.peak_rss_mb = peak_rss_mb(sut.pids)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    generator = resolve_generator(args.generator)
    say(
        f"load generator: {generator}; {args.connections} connections, "
        f"{args.warmup:g} s warm-up + {args.duration:g} s per load"
    )
    m = Measurements()
    am = A2AMeasurements()
    mm = McpMeasurements()
    try:
        if "ceiling" in args.only:
            say("ceiling: bare Starlette POST /echo")
            m.ceiling = measure_ceiling(
                connections=args.connections,
                duration=args.duration,
                warmup=args.warmup,
                generator=generator,
            )
        with server_under_test(args) as sut:
            measure(args, sut, m)
            if "mcp" in args.only:
                measure_mcp(args, sut, mm)
                m.peak_rss_mb = peak_rss_mb(sut.pids)
            if args.a2a:
                measure_a2a(args, sut, am)
                m.peak_rss_mb = peak_rss_mb(sut.pids)
            if args.settle > 0:
                say(f"idle for {args.settle:g} s, then the resident set again")
                time.sleep(args.settle)  # the figure is the resident set after this idle time
                m.settled_rss_mb = rss_mb(sut.pids)
    except (ServerError, WorkloadError, RuntimeError, OSError) as exc:
        say(f"failed: {exc}")
        return 1

    figures = build_figures(m)
    if args.a2a:
        figures.extend(build_a2a_figures(am, m.ceiling))
    figures.extend(build_mcp_figures(mm, m.ceiling))
    print(render_table(figures))
    print("\n".join(detail_lines(m) + mcp_detail_lines(mm)))
    payload: dict[str, Any] = {
        "meta": {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "server": sut.description,
            "server_pids": sut.pids,
            "generator": generator,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "args": {
                k: sorted(v) if isinstance(v, set) else str(v) if isinstance(v, Path) else v
                for k, v in vars(args).items()
            },
        },
        "figures": [f.to_json() for f in figures],
        **m.to_json(),
        "a2a": am.to_json() if args.a2a else None,
        "mcp": mm.to_json() if mm.measured else None,
    }
    label = args.label or ("target" if args.target_url else "interop")
    path = write_results(args.results_dir, label, payload)
    say(f"results written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
