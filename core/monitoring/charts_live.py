"""The live-traffic panel's figure and sentences (computed in ``live``): latency per version and
source, and one plain sentence per row of the table."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from core.formatting import format_number, format_share
from core.style import ACCENT, HEIGHT_SMALL, WARN, plot_texts, style_figure

SOURCES = {"http": "over HTTP", "ui": "from the app", "simulator": "from the simulator", "cli": "from the command line"}


def plot_live_latency(live: pd.DataFrame) -> go.Figure:
    """Latency p50 and p95 (ms per request, however many rows it carried) per version and source."""
    names = plot_texts([f"{v} · {s}" for v, s in zip(live["version"], live["source"])])
    fig = go.Figure(
        [
            go.Bar(name="p50 (half answered within)", x=names, y=live["latency_p50_ms"], marker_color=ACCENT),
            go.Bar(name="p95 (95% answered within)", x=names, y=live["latency_p95_ms"], marker_color=WARN),
        ]
    )
    return style_figure(
        fig, title="Latency per version and source", height=HEIGHT_SMALL, barmode="group", yaxis_title="ms per request"
    )


def caption_live_latency(live: pd.DataFrame) -> str:
    """Which version and source answers slowest at the 95th percentile."""
    if live.empty:
        return "No answer is logged yet."
    slowest = live.loc[live["latency_p95_ms"].fillna(-1).idxmax()]
    return (
        f"Half of the requests are answered within the blue bar's time and 95% within the orange one (a request "
        "of many rows is timed whole); the slowest tail is "
        f"{slowest['version']} {SOURCES.get(slowest['source'], slowest['source'])}, "
        f"95% within {format_number(slowest['latency_p95_ms'])} ms."
    )


def caption_live_row(row: pd.Series) -> str:
    """'churn v2 over HTTP: 120 answers in 40 requests; half the requests answered within 2.1 ms, 95% within 4.0 ms; 3% rejected,
    5% flagged, no errors; 40% labelled so far, accuracy 0.82 on those 48.'"""
    where = SOURCES.get(row["source"], f"from {row['source']}")
    parts = [
        f"{int(row['requests']):,} answers in {int(row['calls']):,} request{'s' if row['calls'] != 1 else ''}",
        f"half the requests answered within {format_number(row['latency_p50_ms'])} ms, 95% within "
        f"{format_number(row['latency_p95_ms'])} ms",
        ", ".join(
            f"{format_share(row[column])} {word}" if row[column] else f"none {word}"
            for column, word in (
                ("rejected_share", "rejected"),
                ("flagged_share", "flagged"),
                ("error_share", "unanswered"),
            )
        ),
    ]
    if row["labelled"]:
        value = row["metric_value"]
        on = (
            f"{row['metric']} {format_number(value)} on those {int(row['labelled']):,}" if not math.isnan(value) else ""
        )
        parts.append(f"{format_share(row['labelled_share'])} labelled so far" + (f", {on}" if on else ""))
    else:
        parts.append("no true label has arrived yet (clients send them to /feedback)")
    return f"{row['version']} {where}: " + "; ".join(parts) + "."


def caption_live_traffic(live: pd.DataFrame) -> str:
    """The whole log in one sentence."""
    if live.empty:
        return "No answer is logged yet: send requests to the endpoint or from the Deploy page."
    http = int(live.loc[live["source"] == "http", "requests"].sum())
    total = int(live["requests"].sum())
    return (
        f"{total:,} answers are logged for this project, {http:,} of them over HTTP; each row below is one "
        "version answering one kind of caller."
    )


def caption_refused(refused: dict[str, int]) -> str:
    """The requests refused with 422 in one sentence (they never reached a model)."""
    if not refused["requests"]:
        return "No request was refused: every one the endpoint received could be read."
    rows = f", holding {refused['rows']:,} rows," if refused["rows"] else ""
    return (
        f"{refused['requests']:,} request{'s were' if refused['requests'] != 1 else ' was'} refused with 422{rows} "
        "before reaching a model (not JSON, a missing column, text in a number…): they are not in the table above; "
        "Deploy lists them with what was wrong."
    )
