"""Latency summaries: nearest-rank percentiles over a list of samples in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    """Distribution of `count` samples, in milliseconds."""

    count: int
    p50: float
    p90: float
    p99: float
    max: float
    mean: float


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values; `p` in (0, 100]. Raises on empty input."""
    if not sorted_values:
        raise ValueError("percentile of no samples")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(values_ms: Sequence[float]) -> Summary | None:
    """Summary of the samples, or None when there are none."""
    if not values_ms:
        return None
    ordered = sorted(values_ms)
    return Summary(
        count=len(ordered),
        p50=percentile(ordered, 50),
        p90=percentile(ordered, 90),
        p99=percentile(ordered, 99),
        max=ordered[-1],
        mean=sum(ordered) / len(ordered),
    )
