"""Figures with targets, the printed table, and the JSON results file."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class Target:
    """A bound on a figure's value, or on its ratio to the ceiling when `of_ceiling`."""

    op: Literal[">=", "<="]
    bound: float
    of_ceiling: bool = False

    def met(self, value: float | None, ratio: float | None) -> bool | None:
        """Whether the figure meets the bound; None when the needed number is missing."""
        subject = ratio if self.of_ceiling else value
        if subject is None:
            return None
        return subject >= self.bound if self.op == ">=" else subject <= self.bound

    def describe(self, unit: str) -> str:
        if self.of_ceiling:
            return f"{self.op} {self.bound * 100:g}% of ceiling"
        return f"{self.op} {self.bound:g} {unit}"


@dataclass(frozen=True)
class Figure:
    """One printed figure. `ratio` is value / the ceiling's counterpart: a share of the
    ceiling's throughput (printed as %), or a multiple of its latency or memory (printed as x).
    """

    key: str
    label: str
    value: float | None
    unit: str
    ratio: float | None = None
    ratio_kind: Literal["share", "multiple"] = "multiple"
    target: Target | None = None

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.value, self.ratio)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["met"] = self.met
        return data


def ratio(value: float | None, reference: float | None) -> float | None:
    """value / reference, or None when either is missing or the reference is zero."""
    if value is None or not reference:
        return None
    return value / reference


def throughput(
    key: str, label: str, rps: float, ceiling_rps: float | None, target: Target | None = None
) -> Figure:
    """A requests/s figure, as a share of the ceiling's requests/s."""
    return Figure(key, label, rps, "req/s", ratio(rps, ceiling_rps), "share", target)


def _value_text(figure: Figure) -> str:
    if figure.value is None:
        return "n/a"
    digits = 0 if figure.unit == "req/s" else 1 if figure.unit == "MB" else 2
    return f"{figure.value:,.{digits}f} {figure.unit}"


def _ratio_text(figure: Figure) -> str:
    if figure.ratio is None:
        return "n/a"
    if figure.ratio_kind == "share":
        return f"{figure.ratio * 100:.2f}%"
    return f"{figure.ratio:.1f}x"


def _met_text(figure: Figure) -> str:
    return {True: "yes", False: "NO", None: "-" if figure.target is None else "n/a"}[figure.met]


def render_table(figures: Sequence[Figure]) -> str:
    """A fixed-width table: figure, value, vs ceiling, target, met."""
    header = ("figure", "value", "vs ceiling", "target", "met")
    rows = [
        (
            f.label,
            _value_text(f),
            _ratio_text(f),
            f.target.describe(f.unit) if f.target else "",
            _met_text(f),
        )
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.ljust(w) if i in (0, 3) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _default(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_results(directory: Path, label: str, payload: dict[str, Any]) -> Path:
    """Write `payload` to `<directory>/<UTC timestamp>-<label>.json` and return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = directory / f"{stamp}-{label}.json"
    path.write_text(json.dumps(payload, indent=2, default=_default) + "\n")
    return path
