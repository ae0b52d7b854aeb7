"""The A2A benchmark's figures, next to the same run's ceiling.

Throughput (message/send, SendMessage, the agent card GET) as a share of the ceiling's
requests/s; message/stream latencies (first event, final event) in ms, with their multiple of
the ceiling's one-client round trip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.ceiling import Ceiling
from harness.load import LoadResult
from harness.report import Figure, Target, ratio, throughput
from harness.sse import StreamTimings

SEND_TARGET = Target(">=", 0.02, of_ceiling=True)
CARD_TARGET = Target(">=", 0.30, of_ceiling=True)
FIRST_EVENT_P50_TARGET = Target("<=", 5.0)


@dataclass
class A2AMeasurements:
    send_v03: LoadResult | None = None
    send_v1: LoadResult | None = None
    card: LoadResult | None = None
    stream: StreamTimings | None = None

    def to_json(self) -> dict[str, Any]:
        stream = self.stream
        return {
            "send_v03": self.send_v03.to_json() if self.send_v03 else None,
            "send_v1": self.send_v1.to_json() if self.send_v1 else None,
            "card": self.card.to_json() if self.card else None,
            "stream": {
                "summary": stream.summary(),
                "failed": len(stream.errors),
                "errors": stream.errors[:20],
            }
            if stream
            else None,
        }


def build_a2a_figures(m: A2AMeasurements, ceiling: Ceiling | None) -> list[Figure]:
    ceil_rps = ceiling.load.rps if ceiling else None
    figures: list[Figure] = []
    for key, label, result, target in (
        ("a2a_send_v03_rps", "A2A 0.3 message/send", m.send_v03, SEND_TARGET),
        ("a2a_send_v1_rps", "A2A 1.0 SendMessage", m.send_v1, SEND_TARGET),
        ("a2a_card_rps", "A2A GET agent card", m.card, CARD_TARGET),
    ):
        if result is not None:
            figures.append(throughput(key, label, result.rps, ceil_rps, target))
    if m.stream is not None:
        summaries = m.stream.summary()
        round_trip = ceiling.round_trip if ceiling else None
        for key, label, summary, p50_target in (
            (
                "a2a_stream_first",
                "A2A message/stream first event",
                summaries["first_event"],
                FIRST_EVENT_P50_TARGET,
            ),
            ("a2a_stream_final", "A2A message/stream final event", summaries["first_match"], None),
        ):
            for pct, target in (("p50", p50_target), ("p99", None)):
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
