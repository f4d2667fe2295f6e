"""System health's figures and sentences (computed in ``system``): latency p50/p95 per window with a
line per version, and the error and rejection rates per window. The same builders draw a
simulation's windows (x: window number) and live traffic's time windows (x: when each began)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from core.formatting import format_ms, format_number, format_rate, format_share
from core.monitoring.windows import metric_name
from core.style import ACCENT, BAD, HEIGHT_WINDOWS, WARN, plot_text, style_figure

DASHES = ("solid", "dot", "dash", "longdash", "dashdot")  # one per version, in order of appearance


def _x(df: pd.DataFrame, time_axis: bool) -> pd.Series:
    return pd.to_datetime(df["start"], unit="s") if time_axis else df["window"]


def _axis_title(time_axis: bool) -> str:
    return "window start (UTC)" if time_axis else "window"


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    return style_figure(fig, title=title, height=HEIGHT_WINDOWS, xaxis_visible=False, yaxis_visible=False)


def _lines_per_version(df: pd.DataFrame, series: tuple[tuple[str, str, str], ...], time_axis: bool) -> go.Figure:
    """One line per (column, label, colour) of ``series`` for each version, a dash style per version."""
    fig = go.Figure()
    for i, (version, rows) in enumerate(df.sort_values("window").groupby("version", sort=False)):
        dash = DASHES[i % len(DASHES)]
        name = plot_text(version)
        for column, label, color in series:
            fig.add_trace(
                go.Scatter(
                    x=_x(rows, time_axis),
                    y=rows[column],
                    mode="lines+markers",
                    name=f"{name} · {label}",
                    line={"color": color, "dash": dash},
                )
            )
    return fig


def plot_system_latency(df: pd.DataFrame, time_axis: bool = False) -> go.Figure:
    """Latency per request (ms, however many rows it carried) per window: p50 in blue and p95 in orange,
    one line style per version."""
    title = "Latency per window"
    if df.empty:
        return _empty(title, "No request is logged for these windows.")
    fig = _lines_per_version(df, (("latency_p50_ms", "p50", ACCENT), ("latency_p95_ms", "p95", WARN)), time_axis)
    return style_figure(
        fig, title=title, height=HEIGHT_WINDOWS, xaxis_title=_axis_title(time_axis), yaxis_title="ms per request"
    )


def caption_system_latency(df: pd.DataFrame) -> str:
    """Typical and slowest latency, the busiest throughput, and which window and version was slowest."""
    if df.empty:
        return "No request is logged for these windows, so there is no latency to show."
    slowest = df.loc[df["latency_p95_ms"].fillna(-1).idxmax()]
    requests, rows = int(df["requests"].sum()), int(df["rows"].sum())
    sentence = (
        f"{requests:,} request{'s' if requests != 1 else ''} ({rows:,} row{'s' if rows != 1 else ''}): in a typical window half of them were answered within "
        f"{format_ms(df['latency_p50_ms'].median())} (blue) and 95% within "
        f"{format_ms(df['latency_p95_ms'].median())} (orange); the slowest was window "
        f"{int(slowest['window'])} ({slowest['version']}), 95% within {format_ms(slowest['latency_p95_ms'])}"
    )
    throughput = df["throughput_rps"].dropna()
    if len(throughput):
        sentence += f", and the endpoint served up to {format_rate(throughput.max())}"
    return sentence + "."


def plot_system_rates(df: pd.DataFrame, time_axis: bool = False) -> go.Figure:
    """The share of answers per window that were errors (red) or rejected by the validation policy
    (orange), one line style per version."""
    title = "Errors and rejections per window"
    if df.empty:
        return _empty(title, "No request is logged for these windows.")
    fig = _lines_per_version(df, (("error_rate", "errors", BAD), ("rejection_rate", "rejected", WARN)), time_axis)
    fig = style_figure(
        fig, title=title, height=HEIGHT_WINDOWS, xaxis_title=_axis_title(time_axis), yaxis_title="share of answers"
    )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


def caption_system_rates(df: pd.DataFrame) -> str:
    """Whether any answer failed or was refused, and the window where it was worst."""
    if df.empty:
        return "No request is logged for these windows, so there are no error or rejection rates."
    trouble = df["error_rate"] + df["rejection_rate"]
    flagged = df["flagged_rate"].max()
    tail = (
        f"; up to {format_share(flagged)} were answered but flagged for breaking a rule learned from training"
        if flagged > 0
        else ""
    )
    if not (trouble > 0).any():
        return f"Every request was answered: no error and no rejection in any window{tail}."
    worst = df.loc[trouble.idxmax()]
    return (
        f"The worst window was {int(worst['window'])} ({worst['version']}): {format_share(worst['error_rate'])} of "
        f"its answers were errors (a row the model could not read) and {format_share(worst['rejection_rate'])} "
        f"were rejected by the validation policy{tail}."
    )


def caption_system_table(width_words: str | None = None) -> str:
    """What the system-health table's columns mean."""
    windows = f"per {width_words} of real traffic" if width_words else "per window of the simulation"
    return (
        f"One row {windows} and version: requests (calls, however many rows each) and rows answered, latency "
        "p50/p95 in ms per request, throughput in requests and rows per second over the time the window's "
        "traffic took, and the shares of answers that were errors, rejected or flagged."
    )


def caption_live_labels(performance: pd.DataFrame, width_words: str) -> str:
    """How much of real traffic has its true label back (sent to /feedback), which windows, and the
    newest labelled window's realised metric next to its estimate."""
    if performance.empty:
        return "No answer of real traffic has a prediction to judge yet."
    rows, labelled = int(performance["rows"].sum()), int(performance["labelled_rows"].sum())
    if not labelled:
        return (
            f"None of the {rows:,} answers of real traffic has its true label yet: clients send it to /feedback "
            "with the answer's request_id; until then only the estimate speaks for each window."
        )
    windows = performance.loc[performance["labelled"], "window"].drop_duplicates().sort_values()
    all_windows = performance["window"].nunique()
    newest = performance[performance["labelled"]].sort_values("window").iloc[-1]
    name, count = metric_name(str(newest["metric"])), int(newest["labelled_rows"])
    answers = f"{count:,} labelled answer{'s' if count != 1 else ''}"
    estimate = (
        f" ({format_number(newest['estimated'])} estimated from its confidence)"
        if math.isfinite(newest["estimated"])
        else ""
    )
    realised = (
        f"{newest['version']} scored {name} {format_number(newest['realised'])} on its {answers}{estimate}"
        if math.isfinite(newest["realised"])
        else f"{name} cannot be measured yet on {newest['version']}'s {answers} (it may need both outcomes){estimate}"
    )
    each = width_words if width_words[0].isdigit() else f"a {width_words}"
    return (
        f"{labelled:,} of {rows:,} answers ({format_share(labelled / rows)}) have their true label from /feedback, "
        f"in {len(windows)} of {all_windows} windows of {each} ({', '.join(str(int(w)) for w in windows)}); "
        f"in window {int(newest['window'])} {realised}."
    )
