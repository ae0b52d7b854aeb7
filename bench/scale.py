"""Scaling out: stateless `runs/wait` on SQLite (one process), PostgreSQL (one process) and
PostgreSQL + Redis (`--processes 2`), side by side; stream first-event latency when the run
executes on another process than the reader; Redis memory after a load and after expiry.

    uv run python bench/scale.py [--duration 10] [--connections 32] [--expiry-wait 150]

Needs PostgreSQL (admin URL: INTEROP_TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/
postgres; each server gets a fresh database, dropped at the end) and Redis (`--redis`, default
redis://127.0.0.1:6379/14; the keys get a prefix of this run's own, deleted at the end).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import redis
from harness.load import LoadSpec, run_load
from harness.servers import ServerProcess, free_port
from harness.stats import percentile
from langgraph_rest import RUN_INPUT, check_echo_reply, stateless_wait

ADMIN_URL = os.environ.get(
    "INTEROP_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
LOOPBACK = "127.0.0.1"
TWO_PROCESSES_TARGET = 1.4  # x one Postgres process
POSTGRES_TARGET = 0.5  # x one SQLite process
STREAM_TARGET_MS = 5.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per load")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded seconds before each")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--streams", type=int, default=100, help="cross-process stream samples")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="Redis URL")
    parser.add_argument(
        "--expiry-wait", type=float, default=150.0, help="seconds to wait for events to expire"
    )
    parser.add_argument("--generator", choices=("auto", "wrk", "python"), default="auto")
    return parser.parse_args(argv)


def say(message: str) -> None:
    print(f"[scale] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    name = f"interop_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(ADMIN_URL)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def interop(database: str, *extra: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """`interop serve` on a free port (its base URL), stopped at the end."""
    executable = Path(sys.executable).parent / "interop"
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        port = free_port()
        argv = [str(executable), "serve", "--host", LOOPBACK, "--port", str(port)]
        argv += ["--database", database, *extra]
        clean = {k: v for k, v in os.environ.items() if not k.startswith("INTEROP_")}
        say(" ".join(argv))
        server = ServerProcess(
            argv,
            port=port,
            log_path=Path(tmp) / "server.log",
            ready_path="/ok",
            cwd=Path(tmp),
            env={**clean, **(env or {})},
            start_timeout=180.0,
        )
        with server:
            yield server.base_url


def stateless_rps(base_url: str, args: argparse.Namespace) -> float:
    request = stateless_wait()
    check_echo_reply(base_url, request)
    spec = LoadSpec(base_url, (request,), args.connections, args.duration, args.warmup)
    result = run_load(spec, args.generator)
    if result.error_count:
        say(f"errors: {result.errors}")
    say(f"{result.rps:.1f} req/s")
    return result.rps


def first_events(reader: str, runner: str, count: int) -> list[float]:
    """Milliseconds from asking `reader` to join a run (created at `runner`, executing there)
    to its first event."""
    samples: list[float] = []
    with (
        httpx.Client(base_url=runner, timeout=30) as run_at,
        httpx.Client(base_url=reader, timeout=30) as read_at,
    ):
        thread_id = run_at.post("/threads", json={}).json()["thread_id"]
        for _ in range(count):
            body = {"assistant_id": "echo", "input": RUN_INPUT, "stream_mode": ["values"]}
            run = run_at.post(f"/threads/{thread_id}/runs", json=body).json()
            path = f"/threads/{thread_id}/runs/{run['run_id']}/stream"
            started = time.perf_counter()
            with read_at.stream("GET", path, headers={"Last-Event-ID": "-1"}) as response:
                lines = response.iter_lines()
                for line in lines:
                    if line.startswith("data:"):
                        samples.append((time.perf_counter() - started) * 1000)
                        break
                for _ in lines:  # to the end: the next run starts after it
                    pass
    return sorted(samples)


def prefix_memory(client: redis.Redis, prefix: str) -> tuple[int, int]:
    """Keys under `prefix` and the bytes Redis reports for them (MEMORY USAGE)."""
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    used = sum(int(client.memory_usage(key) or 0) for key in keys)
    return len(keys), used


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prefix = f"interop-bench:{uuid.uuid4().hex[:8]}:"
    redis_env = {"INTEROP_REDIS_PREFIX": prefix}
    client = redis.Redis.from_url(args.redis)
    rps: dict[str, float] = {}
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-scale-db-") as tmp,
            interop(f"sqlite:///{tmp}/bench.sqlite") as url,
        ):
            rps["sqlite, 1 process"] = stateless_rps(url, args)
        with postgres_database() as db, interop(db) as url:
            rps["postgres, 1 process"] = stateless_rps(url, args)
        with postgres_database() as db:
            extra = ("--redis", args.redis, "--processes", "2")
            with interop(db, *extra, env=redis_env) as url:
                rps["postgres + redis, 2 processes"] = stateless_rps(url, args)
            after_load = prefix_memory(client, prefix)
            # Two single processes on the same database and Redis: the run executes at one,
            # the stream is read at the other.
            with (
                interop(db, "--redis", args.redis, env=redis_env) as one,
                interop(db, "--redis", args.redis, env=redis_env) as two,
            ):
                same = first_events(one, one, args.streams)
                other = first_events(two, one, args.streams)
        say(f"waiting up to {args.expiry_wait:.0f} s for the events to expire")
        deadline = time.monotonic() + args.expiry_wait
        while prefix_memory(client, prefix)[0] and time.monotonic() < deadline:
            time.sleep(2)
        after_expiry = prefix_memory(client, prefix)
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()

    one_pg, one_sqlite = rps["postgres, 1 process"], rps["sqlite, 1 process"]
    two = rps["postgres + redis, 2 processes"]
    print(f"\nstateless POST /runs/wait, {args.connections} connections, {args.duration:.0f} s")
    for name, value in rps.items():
        print(f"  {name:<32} {value:8.1f} req/s")
    print(
        f"  2 processes / 1 Postgres process: {two / one_pg:.2f}x (target >= {TWO_PROCESSES_TARGET})"
    )
    print(
        f"  1 Postgres / 1 SQLite process:    {one_pg / one_sqlite:.2f}x (target >= {POSTGRES_TARGET})"
    )
    print(f"\nstream first event after joining a run ({len(other)} samples), p50 / p99 ms")
    print(
        f"  run on the reader's process  {percentile(same, 50):6.2f} / {percentile(same, 99):6.2f}"
    )
    print(
        f"  run on another process       {percentile(other, 50):6.2f} / {percentile(other, 99):6.2f}"
        f"  (target p50 <= {STREAM_TARGET_MS})"
    )
    print("\nRedis keys of this run (MEMORY USAGE)")
    print(f"  after the load     {after_load[0]:6d} keys {after_load[1] / 1e6:8.2f} MB")
    print(f"  after expiry       {after_expiry[0]:6d} keys {after_expiry[1] / 1e6:8.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
