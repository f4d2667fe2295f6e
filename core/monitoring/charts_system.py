"""System health's figures and sentences (computed in ``system``): latency p50/p95 per window with a
line per version, and the error and rejection rates per window. The same builders draw a
simulation's windows (x: window number) and live traffic's time windows (x: when each began)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from core.formatting import format_count, format_ms, format_number, format_rate, format_share
from core.i18n import _, ngettext
from core.monitoring.windows import metric_name
from core.style import ACCENT, BAD, HEIGHT_WINDOWS, WARN, plot_text, style_figure

DASHES = ("solid", "dot", "dash", "longdash", "dashdot")  # one per version, in order of appearance


def _x(df: pd.DataFrame, time_axis: bool) -> pd.Series:
    return pd.to_datetime(df["start"], unit="s") if time_axis else df["window"]


def _axis_title(time_axis: bool) -> str:
    return _("window start (UTC)") if time_axis else _("window")


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
    title = _("Latency per window")
    if df.empty:
        return _empty(title, _("No request is logged for these windows."))
    fig = _lines_per_version(df, (("latency_p50_ms", "p50", ACCENT), ("latency_p95_ms", "p95", WARN)), time_axis)
    return style_figure(
        fig, title=title, height=HEIGHT_WINDOWS, xaxis_title=_axis_title(time_axis), yaxis_title=_("ms per request")
    )


def caption_system_latency(df: pd.DataFrame) -> str:
    """Typical and slowest latency, the busiest throughput, and which window and version was slowest."""
    if df.empty:
        return _("No request is logged for these windows, so there is no latency to show.")
    slowest = df.loc[df["latency_p95_ms"].fillna(-1).idxmax()]
    requests, rows = int(df["requests"].sum()), int(df["rows"].sum())
    counted = _("{requests} ({rows})").format(
        requests=ngettext("{n} request", "{n} requests", requests).format(n=format_count(requests)),
        rows=ngettext("{n} row", "{n} rows", rows).format(n=format_count(rows)),
    )
    sentence = _(
        "{counted}: in a typical window half of them were answered within {p50} (blue) and 95% within {p95} "
        "(orange); the slowest was window {window} ({version}), 95% within {slowest}"
    ).format(
        counted=counted,
        p50=format_ms(df["latency_p50_ms"].median()),
        p95=format_ms(df["latency_p95_ms"].median()),
        window=int(slowest["window"]),
        version=slowest["version"],
        slowest=format_ms(slowest["latency_p95_ms"]),
    )
    throughput = df["throughput_rps"].dropna()
    if len(throughput):
        sentence += _(", and the endpoint served up to {rate}").format(rate=format_rate(throughput.max()))
    return sentence + "."


def plot_system_rates(df: pd.DataFrame, time_axis: bool = False) -> go.Figure:
    """The share of answers per window that were errors (red) or rejected by the validation policy
    (orange), one line style per version."""
    title = _("Errors and rejections per window")
    if df.empty:
        return _empty(title, _("No request is logged for these windows."))
    fig = _lines_per_version(df, (("error_rate", _("errors"), BAD), ("rejection_rate", _("rejected"), WARN)), time_axis)
    fig = style_figure(
        fig, title=title, height=HEIGHT_WINDOWS, xaxis_title=_axis_title(time_axis), yaxis_title=_("share of answers")
    )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


def caption_system_rates(df: pd.DataFrame) -> str:
    """Whether any answer failed or was refused, and the window where it was worst."""
    if df.empty:
        return _("No request is logged for these windows, so there are no error or rejection rates.")
    trouble = df["error_rate"] + df["rejection_rate"]
    flagged = df["flagged_rate"].max()
    tail = (
        _("; up to {share} were answered but flagged for breaking a rule learned from training").format(
            share=format_share(flagged)
        )
        if flagged > 0
        else ""
    )
    if not (trouble > 0).any():
        return _("Every request was answered: no error and no rejection in any window{tail}.").format(tail=tail)
    worst = df.loc[trouble.idxmax()]
    return _(
        "The worst window was {window} ({version}): {errors} of its answers were errors (a row the model could "
        "not read) and {rejected} were rejected by the validation policy{tail}."
    ).format(
        window=int(worst["window"]),
        version=worst["version"],
        errors=format_share(worst["error_rate"]),
        rejected=format_share(worst["rejection_rate"]),
        tail=tail,
    )


def caption_system_table(width_words: str | None = None) -> str:
    """What the system-health table's columns mean."""
    windows = (
        _("per {width} of real traffic").format(width=width_words) if width_words else _("per window of the simulation")
    )
    return _(
        "One row {windows} and version: requests (calls, however many rows each) and rows answered, latency "
        "p50/p95 in ms per request, throughput in requests and rows per second over the time the window's "
        "traffic took, and the shares of answers that were errors, rejected or flagged."
    ).format(windows=windows)


def caption_live_labels(performance: pd.DataFrame, width_words: str) -> str:
    """How much of real traffic has its true label back (sent to /feedback), which windows, and the
    newest labelled window's realised metric next to its estimate."""
    if performance.empty:
        return _("No answer of real traffic has a prediction to judge yet.")
    rows, labelled = int(performance["rows"].sum()), int(performance["labelled_rows"].sum())
    if not labelled:
        return _(
            "None of the {n} answers of real traffic has its true label yet: clients send it to /feedback with the "
            "answer's request_id; until then only the estimate speaks for each window."
        ).format(n=format_count(rows))
    windows = performance.loc[performance["labelled"], "window"].drop_duplicates().sort_values()
    all_windows = performance["window"].nunique()
    newest = performance[performance["labelled"]].sort_values("window").iloc[-1]
    name, count = metric_name(str(newest["metric"])), int(newest["labelled_rows"])
    answers = ngettext("{n} labelled answer", "{n} labelled answers", count).format(n=format_count(count))
    estimate = (
        _(" ({value} estimated from its confidence)").format(value=format_number(newest["estimated"]))
        if math.isfinite(newest["estimated"])
        else ""
    )
    realised = (
        _("{version} scored {metric} {value} on its {answers}{estimate}").format(
            version=newest["version"],
            metric=name,
            value=format_number(newest["realised"]),
            answers=answers,
            estimate=estimate,
        )
        if math.isfinite(newest["realised"])
        else _("{metric} cannot be measured yet on {version}'s {answers} (it may need both outcomes){estimate}").format(
            metric=name, version=newest["version"], answers=answers, estimate=estimate
        )
    )
    each = width_words if width_words[0].isdigit() else _("a {width}").format(width=width_words)
    return _(
        "{labelled} of {rows} answers ({share}) have their true label from /feedback, in {n} of {all} windows of "
        "{each} ({windows}); in window {window} {realised}."
    ).format(
        labelled=format_count(labelled),
        rows=format_count(rows),
        share=format_share(labelled / rows),
        n=len(windows),
        all=all_windows,
        each=each,
        windows=", ".join(str(int(w)) for w in windows),
        window=int(newest["window"]),
        realised=realised,
    )
