"""The MCP benchmark's figures: throughput of tools/call and tools/list in both eras, each as a
share of the same run's ceiling requests/s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.ceiling import Ceiling
from harness.load import LoadResult
from harness.report import Figure, Target, throughput

CALL_TARGET = Target(">=", 0.02, of_ceiling=True)
LIST_TARGET = Target(">=", 0.10, of_ceiling=True)


@dataclass
class McpMeasurements:
    """The MCP loads of one run; a load not run stays None."""

    call_legacy: LoadResult | None = None
    call_modern: LoadResult | None = None
    call_streamed: LoadResult | None = None
    list_legacy: LoadResult | None = None
    list_modern: LoadResult | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            key: result.to_json() if result else None
            for key, result in (
                ("call_2025", self.call_legacy),
                ("call_2026", self.call_modern),
                ("call_2025_streamed", self.call_streamed),
                ("list_2025", self.list_legacy),
                ("list_2026", self.list_modern),
            )
        }

    @property
    def measured(self) -> bool:
        return any(
            (
                self.call_legacy,
                self.call_modern,
                self.call_streamed,
                self.list_legacy,
                self.list_modern,
            )
        )


def build_mcp_figures(m: McpMeasurements, ceiling: Ceiling | None) -> list[Figure]:
    ceil_rps = ceiling.load.rps if ceiling else None
    figures: list[Figure] = []
    for key, label, result, target in (
        ("mcp_call_2025_rps", "MCP tools/call echo, 2025 session", m.call_legacy, CALL_TARGET),
        ("mcp_call_2026_rps", "MCP tools/call echo, 2026 stateless", m.call_modern, CALL_TARGET),
        ("mcp_call_2025_sse_rps", "MCP tools/call echo, 2025, SSE", m.call_streamed, None),
        ("mcp_list_2025_rps", "MCP tools/list, 2025 session", m.list_legacy, LIST_TARGET),
        ("mcp_list_2026_rps", "MCP tools/list, 2026 stateless", m.list_modern, LIST_TARGET),
    ):
        if result is not None:
            figures.append(throughput(key, label, result.rps, ceil_rps, target))
    return figures


def detail_lines(m: McpMeasurements) -> list[str]:
    lines: list[str] = []
    for label, result in (
        ("mcp call 2025", m.call_legacy),
        ("mcp call 2026", m.call_modern),
        ("mcp call 2025 SSE (progressToken)", m.call_streamed),
        ("mcp list 2025", m.list_legacy),
        ("mcp list 2026", m.list_modern),
    ):
        if result is not None:
            latency = result.latency
            lines.append(
                f"{label}: {result.requests} responses, errors {result.errors or 0}"
                + (f"; p50 {latency.p50:.1f} ms p99 {latency.p99:.1f} ms" if latency else "")
            )
    return lines
