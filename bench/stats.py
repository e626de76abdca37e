"""Pure helpers of the report: medians with their range, ratios, table cells."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """Several runs of one figure: their median and range."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        clean = [v for v in values if not math.isnan(v)]
        if not clean:
            return cls(math.nan, math.nan, math.nan, 0)
        return cls(statistics.median(clean), min(clean), max(clean), len(clean))

    def text(self, digits: int = 0) -> str:
        if self.runs == 0:
            return "n/a"
        fmt = f"{{:,.{digits}f}}"
        if self.runs == 1:
            return fmt.format(self.median)
        return f"{fmt.format(self.median)} ({fmt.format(self.low)}–{fmt.format(self.high)})"


def ratio(value: float, ceiling: float) -> float:
    if not ceiling or math.isnan(value) or math.isnan(ceiling):
        return math.nan
    return value / ceiling


def percent(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:.0f} %"


def digits_for(value: float) -> int:
    """Enough decimals to read a figure: none above 100, one above 10, else two."""
    if math.isnan(value) or abs(value) >= 100:
        return 0
    return 1 if abs(value) >= 10 else 2


def verdict(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "n/a"}[met]


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def plain_table(header: list[str], rows: list[list[str]]) -> str:
    """The same table for a terminal: columns padded, no markup."""
    cells = [header] + [[c.replace("**", "") for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = []
    for n, row in enumerate(cells):
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
