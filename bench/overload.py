"""Overload: a stateless `echo` `POST /runs/wait` while 200 ten-second streamed `countdown` runs
are in flight on one default server process; its latency and the server's resident memory.

    uv run python bench/overload.py [--streams 200] [--requests 200] [--clients 4]

Starts `interop serve` with its defaults (SQLite in a scratch directory) on a free loopback
port. A child process opens the streams (`POST /runs/stream`, stream_mode custom, n=100,
delay=0.1: ten seconds each once running); once every stream has its first event, this process
sends the `runs/wait` requests from `--clients` sequential clients. RSS is VmRSS of the server
from /proc: idle before, the highest seen while the streams run, idle `--settle-after` s after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
from harness.rss import status_kib
from harness.servers import ServerProcess, free_port
from harness.stats import percentile

LOOPBACK = "127.0.0.1"
P99_TARGET_MS = 250.0
ECHO_BODY = {"assistant_id": "echo", "input": {"messages": [{"role": "user", "content": "hi"}]}}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=200, help="countdown streams in flight")
    parser.add_argument("--n", type=int, default=100, help="countdown steps of each stream")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds between two steps")
    parser.add_argument("--requests", type=int, default=200, help="runs/wait requests measured")
    parser.add_argument("--clients", type=int, default=4, help="sequential runs/wait clients")
    parser.add_argument("--settle", type=float, default=3.0, help="idle seconds before idle RSS")
    parser.add_argument(
        "--settle-after",
        type=float,
        default=35.0,
        help="idle seconds after the load before its RSS (the server trims its heap after 30)",
    )
    return parser.parse_args(argv)


def say(message: str) -> None:
    print(f"[overload] {message}", file=sys.stderr, flush=True)


def rss_mb(pid: int) -> float:
    kib = status_kib(pid, "VmRSS")
    return (kib or 0) * 1024 / 1e6


# -- the streams (a child process: their parsing must not slow the measured client) -----------


async def _stream(http: httpx.AsyncClient, body: dict[str, Any], first: asyncio.Event) -> str:
    """One countdown stream to its end: 'ok' (every step seen), else what went wrong."""
    steps = 0
    try:
        async with http.stream("POST", "/runs/stream", json=body) as response:
            if response.status_code != 200:
                first.set()
                return f"HTTP {response.status_code}"
            async for line in response.aiter_lines():
                if line.startswith("event: custom"):
                    steps += 1
                    first.set()
                elif line.startswith("event: error"):
                    return "error event"
    except httpx.HTTPError as exc:
        return type(exc).__name__
    finally:
        first.set()
    return "ok" if steps >= body["input"]["n"] else f"{steps} steps"


async def _streams(base_url: str, args: argparse.Namespace, pipe: Connection) -> None:
    body = {
        "assistant_id": "countdown",
        "input": {"n": args.n, "delay": args.delay},
        "stream_mode": ["custom"],
    }
    limits = httpx.Limits(max_connections=args.streams + 10, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base_url, timeout=600, limits=limits) as http:
        firsts = [asyncio.Event() for _ in range(args.streams)]
        tasks = [asyncio.create_task(_stream(http, body, first)) for first in firsts]
        # "in flight" = created and queued or running; the runs that have a worker send steps.
        await asyncio.gather(*(asyncio.wait_for(f.wait(), 600) for f in firsts[:1]))
        pipe.send("started")
        results = await asyncio.gather(*tasks)
    pipe.send(results)


def stream_child(base_url: str, args: argparse.Namespace, pipe: Connection) -> None:
    asyncio.run(_streams(base_url, args, pipe))


# -- the measured requests ---------------------------------------------------------------------


def waits(base_url: str, count: int, samples: list[float], errors: list[str]) -> None:
    with httpx.Client(base_url=base_url, timeout=120) as http:
        http.post("/runs/wait", json=ECHO_BODY)  # a connection and a warm path
        for _ in range(count):
            started = time.perf_counter()
            response = http.post("/runs/wait", json=ECHO_BODY)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code == 200:
                samples.append(elapsed)
            else:
                errors.append(f"HTTP {response.status_code}")


def measure(base_url: str, args: argparse.Namespace) -> tuple[list[float], list[str]]:
    samples: list[float] = []
    errors: list[str] = []
    share = args.requests // args.clients
    threads = [
        threading.Thread(target=waits, args=(base_url, share, samples, errors))
        for _ in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(samples), errors


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    executable = Path(sys.executable).parent / "interop"
    with tempfile.TemporaryDirectory(prefix="bench-overload-") as tmp:
        port = free_port()
        argv_ = [str(executable), "serve", "--host", LOOPBACK, "--port", str(port)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTEROP_")}
        say(" ".join(argv_))
        server = ServerProcess(
            argv_,
            port=port,
            log_path=Path(tmp) / "server.log",
            ready_path="/ok",
            cwd=Path(tmp),
            env=env,
            start_timeout=180.0,
        )
        with server:
            pid = server.pids[0]
            base_url = server.base_url
            httpx.post(f"{base_url}/runs/wait", json=ECHO_BODY, timeout=60).raise_for_status()
            time.sleep(args.settle)
            idle_before = rss_mb(pid)
            say(f"idle RSS {idle_before:.1f} MB; opening {args.streams} streams")
            ours, theirs = multiprocessing.Pipe()
            child = multiprocessing.Process(target=stream_child, args=(base_url, args, theirs))
            child.start()
            assert ours.poll(120), "no stream started"
            ours.recv()
            # every stream's run created: the server's queue holds them all
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                metrics = httpx.get(f"{base_url}/metrics", timeout=30).text
                if _in_flight(metrics) >= args.streams:
                    break
                time.sleep(0.1)
            in_flight = _in_flight(httpx.get(f"{base_url}/metrics", timeout=30).text)
            say(f"{in_flight} countdown runs in flight; measuring {args.requests} runs/wait")
            peak = rss_mb(pid)
            started = time.perf_counter()
            samples, errors = measure(base_url, args)
            window = time.perf_counter() - started
            peak = max(peak, rss_mb(pid))
            while not ours.poll(0.5):
                peak = max(peak, rss_mb(pid))
            results: list[str] = ours.recv()
            child.join()
            time.sleep(args.settle_after)
            idle_after = rss_mb(pid)
    ok = sum(1 for r in results if r == "ok")
    failures = sorted({r for r in results if r != "ok"})
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    print(
        f"countdown streams: {args.streams} (n={args.n}, delay={args.delay}), {ok} complete"
        + (f"; others: {failures}" if failures else "")
    )
    print(f"runs in flight when measuring: {in_flight}")
    print(f"runs/wait under load: {len(samples)} ok, {len(errors)} failed, in {window:.1f} s")
    print(
        f"runs/wait latency: p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {samples[-1]:.1f} ms"
        f" (target p99 <= {P99_TARGET_MS:.0f} ms: {'met' if p99 <= P99_TARGET_MS else 'MISSED'})"
    )
    print(
        f"server RSS: idle {idle_before:.1f} MB, peak {peak:.1f} MB, idle after {idle_after:.1f} MB"
    )
    print(
        json.dumps(
            {
                "p50_ms": p50,
                "p99_ms": p99,
                "rss_idle_mb": idle_before,
                "rss_peak_mb": peak,
                "rss_after_mb": idle_after,
                "streams_ok": ok,
            }
        )
    )
    return 0 if p99 <= P99_TARGET_MS and not errors else 1


def _in_flight(metrics: str) -> int:
    """Waiting plus running runs, from the server's Prometheus text."""
    total = 0
    for line in metrics.splitlines():
        if line.startswith(("interop_run_queue_depth ", "interop_runs_running ")):
            total += int(float(line.split()[-1]))
    return total


if __name__ == "__main__":
    sys.exit(main())
