"""Percentiles and the printed table of a load run (pure functions, unit-tested)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence

PAGE_ORDER = ["Home", "Data", "Problem", "Features", "Train", "Explain", "Registry", "Deploy", "Monitor"]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by the nearest-rank method: a value that was measured."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(math.ceil(q / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def summarize(timings: Iterable) -> dict:
    """Per page: reruns, p50, p95, max (seconds, over page switches and widget changes alike) and
    errors, with the same figures for the whole run under "all"."""
    by_page: dict[str, list] = defaultdict(list)
    for timing in timings:
        by_page[timing.page].append(timing)
        by_page["all"].append(timing)
    pages = sorted(by_page, key=lambda p: (p == "all", PAGE_ORDER.index(p) if p in PAGE_ORDER else 99, p))
    result: dict = {"pages": {}}
    for page in pages:
        rows = by_page[page]
        ok = [t.seconds for t in rows if t.error is None]
        errors = [t.error for t in rows if t.error is not None]
        result["pages"][page] = {
            "reruns": len(rows),
            "widget_changes": sum(t.action == "widget" for t in rows),
            "p50_s": round(percentile(ok, 50), 3) if ok else None,
            "p95_s": round(percentile(ok, 95), 3) if ok else None,
            "max_s": round(max(ok), 3) if ok else None,
            "errors": len(errors),
            "first_errors": sorted(set(errors))[:3],
        }
    return result


def format_table(summary: dict) -> str:
    def cell(value) -> str:
        return "-" if value is None else f"{value:.2f}"

    lines = [f"{'page':<10} {'reruns':>6} {'p50 s':>6} {'p95 s':>6} {'max s':>6} {'errors':>6}"]
    for page, row in summary["pages"].items():
        lines.append(
            f"{page:<10} {row['reruns']:>6} {cell(row['p50_s']):>6} {cell(row['p95_s']):>6} "
            f"{cell(row['max_s']):>6} {row['errors']:>6}"
        )
        lines.extend(f"    error: {e}" for e in row["first_errors"])
    return "\n".join(lines)
