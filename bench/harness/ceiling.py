"""Measure the ceiling: the bare Starlette echo app (`ceiling_app.py`) under uvicorn.

uvicorn runs it as the server under test is run: one process, `--loop auto --http auto`
(uvloop and httptools when installed), access log off.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .http1 import json_request
from .load import Generator, LoadResult, LoadSpec, run_load
from .rss import peak_rss_mb, rss_mb
from .servers import LOOPBACK, ServerProcess, free_port
from .sse import measure_round_trips
from .stats import Summary

_BENCH_DIR = Path(__file__).resolve().parent.parent
ECHO_BODY = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()


def uvicorn_argv(app: str, port: int, app_dir: Path = _BENCH_DIR) -> list[str]:
    """uvicorn in this interpreter: one process, the fastest loop and parser, no access log."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--app-dir",
        str(app_dir),
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--loop",
        "auto",
        "--http",
        "auto",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


@dataclass(frozen=True)
class Ceiling:
    """The ceiling's figures: throughput at C connections, one-client round trip, memory."""

    load: LoadResult
    round_trip: Summary | None
    idle_rss_mb: float | None
    peak_rss_mb: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "load": self.load.to_json(),
            "round_trip_ms": self.round_trip,
            "idle_rss_mb": self.idle_rss_mb,
            "peak_rss_mb": self.peak_rss_mb,
        }


def measure_ceiling(
    *,
    connections: int,
    duration: float,
    warmup: float,
    round_trips: int = 200,
    generator: Generator = "auto",
) -> Ceiling:
    """Start the ceiling app on a free port, measure it, stop it."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="bench-ceiling-") as tmp:
        server = ServerProcess(
            uvicorn_argv("harness.ceiling_app:app", port),
            port=port,
            log_path=Path(tmp) / "ceiling.log",
            ready_path="/ok",
        )
        with server:
            pids = server.pids
            idle = rss_mb(pids)
            request = json_request("POST", "/echo", ECHO_BODY)
            round_trip, _ = measure_round_trips(
                server.base_url, request, count=round_trips, max_seconds=30
            )
            spec = LoadSpec(server.base_url, (request,), connections, duration, warmup)
            load = run_load(spec, generator)
            return Ceiling(load, round_trip, idle, peak_rss_mb(pids))
