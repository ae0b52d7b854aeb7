"""The REST benchmark's figures: each measurement, its ratio to the ceiling, and its target.

Throughput is compared with the ceiling's requests/s (a share); stream latencies with the
ceiling's one-client round trip at the same percentile, and memory with the ceiling
process's, both as multiples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.ceiling import Ceiling
from harness.load import LoadResult
from harness.report import Figure, Target, ratio, throughput
from harness.sse import StreamTimings

STATELESS_TARGET = Target(">=", 0.03, of_ceiling=True)
THREADED_TARGET = Target(">=", 0.015, of_ceiling=True)
TTFE_P50_TARGET = Target("<=", 5.0)
TTFE_P99_TARGET = Target("<=", 20.0)
IDLE_RSS_TARGET = Target("<=", 120.0)


@dataclass
class Measurements:
    """Everything one run measured; a workload left out by --only stays None."""

    ceiling: Ceiling | None = None
    stateless: LoadResult | None = None
    threaded: LoadResult | None = None
    stream: StreamTimings | None = None
    idle_rss_mb: float | None = None
    peak_rss_mb: float | None = None
    settled_rss_mb: float | None = None  # idle again after the loads (--settle)

    def to_json(self) -> dict[str, Any]:
        stream = self.stream
        return {
            "ceiling": self.ceiling.to_json() if self.ceiling else None,
            "stateless": self.stateless.to_json() if self.stateless else None,
            "threaded": self.threaded.to_json() if self.threaded else None,
            "stream": {
                "summary": stream.summary(),
                "failed": len(stream.errors),
                "errors": stream.errors[:20],
                "first_event_names": sorted(stream.first_event_names),
            }
            if stream
            else None,
            "rss_mb": {
                "idle": self.idle_rss_mb,
                "peak": self.peak_rss_mb,
                "idle_after_load": self.settled_rss_mb,
            },
        }


def _throughput(
    key: str, label: str, result: LoadResult, ceiling: Ceiling | None, target: Target | None
) -> Figure:
    return throughput(key, label, result.rps, ceiling.load.rps if ceiling else None, target)


def _stream_figures(stream: StreamTimings, ceiling: Ceiling | None) -> list[Figure]:
    summaries = stream.summary()
    round_trip = ceiling.round_trip if ceiling else None
    figures: list[Figure] = []
    for key, label, summary, targets in (
        (
            "ttfe",
            "stream first event (metadata)",
            summaries["first_event"],
            (TTFE_P50_TARGET, TTFE_P99_TARGET),
        ),
        ("ttfv", "stream first values event", summaries["first_match"], (None, None)),
    ):
        for pct, target in zip(("p50", "p99"), targets, strict=True):
            value = getattr(summary, pct) if summary else None
            reference = getattr(round_trip, pct) if round_trip else None
            figures.append(
                Figure(
                    f"{key}_{pct}",
                    f"{label} {pct}",
                    value,
                    "ms",
                    ratio(value, reference),
                    "multiple",
                    target,
                )
            )
    return figures


def build_figures(m: Measurements) -> list[Figure]:
    """The table's rows, in print order."""
    ceiling = m.ceiling
    figures: list[Figure] = []
    if ceiling:
        figures.append(
            Figure("ceiling_rps", "ceiling POST /echo", ceiling.load.rps, "req/s", 1.0, "share")
        )
    if m.stateless:
        figures.append(
            _throughput(
                "stateless_rps", "stateless POST /runs/wait", m.stateless, ceiling, STATELESS_TARGET
            )
        )
    if m.threaded:
        figures.append(
            _throughput(
                "threaded_rps",
                "threaded POST /threads/{id}/runs/wait",
                m.threaded,
                ceiling,
                THREADED_TARGET,
            )
        )
    if m.stream:
        figures.extend(_stream_figures(m.stream, ceiling))
    figures.append(
        Figure(
            "idle_rss",
            "idle RSS (VmRSS)",
            m.idle_rss_mb,
            "MB",
            ratio(m.idle_rss_mb, ceiling.idle_rss_mb if ceiling else None),
            "multiple",
            IDLE_RSS_TARGET,
        )
    )
    figures.append(
        Figure(
            "peak_rss",
            "peak RSS (VmHWM)",
            m.peak_rss_mb,
            "MB",
            ratio(m.peak_rss_mb, ceiling.peak_rss_mb if ceiling else None),
            "multiple",
        )
    )
    if m.settled_rss_mb is not None:
        figures.append(
            Figure(
                "idle_rss_after_load",
                "idle RSS after load (VmRSS)",
                m.settled_rss_mb,
                "MB",
                ratio(m.settled_rss_mb, ceiling.idle_rss_mb if ceiling else None),
                "multiple",
            )
        )
    return figures


def detail_lines(m: Measurements) -> list[str]:
    """Counts, errors and load latencies that explain the table."""
    lines: list[str] = []
    if m.ceiling:
        rt = m.ceiling.round_trip
        lines.append(
            f"ceiling: {m.ceiling.load.requests} responses, errors "
            f"{m.ceiling.load.errors or 0}; one-client round trip "
            + (f"p50 {rt.p50:.2f} ms p99 {rt.p99:.2f} ms" if rt else "n/a")
        )
    for name, result in (("stateless", m.stateless), ("threaded", m.threaded)):
        if result is not None:
            lat = result.latency
            lines.append(
                f"{name}: {result.requests} responses, errors {result.errors or 0}, "
                "latency " + (f"p50 {lat.p50:.1f} ms p99 {lat.p99:.1f} ms" if lat else "n/a")
            )
    if m.stream is not None:
        lines.append(
            f"stream: {len(m.stream.first_event_ms)} ok, {len(m.stream.errors)} failed, "
            f"first events named {sorted(m.stream.first_event_names)}"
        )
    return lines
