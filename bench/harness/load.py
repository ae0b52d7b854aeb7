"""Closed-loop HTTP load: C connections, each sending its next request as soon as the last ends.

`run_load` runs a warm-up, then a fixed-duration measured run, with `wrk` when it is installed
(it is not the bottleneck on two cores) and otherwise with the asyncio fallback in `pyload.py`
(in its own process; it tops out far below wrk, which the result records). Requests are sent
round-robin from the spec's list, so a workload can spread itself over many paths.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from .http1 import Request
from .stats import Summary

Generator = Literal["auto", "wrk", "python"]


@dataclass(frozen=True)
class LoadSpec:
    """What to send, how hard and for how long. Every run stops by itself after `duration`."""

    base_url: str
    requests: tuple[Request, ...]
    connections: int = 32
    duration: float = 10.0
    warmup: float = 2.0
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if not self.requests:
            raise ValueError("a load needs at least one request")
        if self.connections < 1 or self.duration <= 0:
            raise ValueError("connections must be >= 1 and duration > 0")


@dataclass(frozen=True)
class LoadResult:
    """Outcome of one measured run; latencies in milliseconds.

    `errors` counts connect/read/write failures, timeouts, and `status`: responses >= 400.
    """

    generator: str
    connections: int
    duration_s: float
    requests: int
    errors: dict[str, int] = field(default_factory=dict)
    latency: Summary | None = None

    @property
    def ok_requests(self) -> int:
        return max(0, self.requests - self.errors.get("status", 0))

    @property
    def rps(self) -> float:
        """Successful (< 400) responses per second."""
        return self.ok_requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rps"] = self.rps
        data["error_count"] = self.error_count
        return data


def resolve_generator(choice: Generator) -> Literal["wrk", "python"]:
    """`auto` means wrk if it is on PATH; asking for wrk when it is missing raises RuntimeError."""
    has_wrk = shutil.which("wrk") is not None
    if choice == "wrk" and not has_wrk:
        raise RuntimeError("wrk is not installed (Debian/Ubuntu: apt-get install -y wrk)")
    if choice == "python" or not has_wrk:
        return "python"
    return "wrk"


def run_load(spec: LoadSpec, generator: Generator = "auto") -> LoadResult:
    """Warm up for `spec.warmup` seconds (discarded), then measure for `spec.duration` seconds."""
    run = _runner(resolve_generator(generator))
    if spec.warmup > 0:
        run(replace(spec, duration=spec.warmup, warmup=0.0))
    return run(spec)


def _runner(name: Literal["wrk", "python"]) -> Callable[[LoadSpec], LoadResult]:
    # Imported here, not at the top: both modules import this one for LoadSpec and LoadResult.
    if name == "wrk":
        from .wrk import run_wrk

        return run_wrk
    from .pyload import run_pyload

    return run_pyload
