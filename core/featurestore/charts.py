"""The feature store's figures and the sentence under each: the point-in-time lesson's four scores, one
customer's timeline with the value each join used, and a feature's health over time. Pure functions from
the lesson's and the monitoring's results to plotly figures and plain text, in the studio's style.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.formatting import format_count, format_date, format_datetime, format_percent, format_significant
from core.i18n import N_, _, ngettext
from core.monitoring.drift import MAJOR_PSI, MODERATE_PSI
from core.style import ACCENT, BAD, GOOD, HEIGHT_MEDIUM, HEIGHT_SMALL, MUTED, WARN, plot_text, style_figure

#: How the lesson's two joins and two judgements are named (stored codes -> words).
JOIN_LABELS = {"point_in_time": N_("Point-in-time join"), "naive": N_("Naive join (newest values)")}
SPLIT_LABELS = {"validation": N_("Validation (earlier months)"), "later": N_("Later months (in use)")}
JOIN_COLORS = {"point_in_time": GOOD, "naive": BAD}


def _metric_words(metric: str) -> tuple[str, Any]:
    from core.problem.definition import format_metric_value, get_metric_label

    return get_metric_label(metric), lambda value: format_metric_value(metric, value)


def plot_lesson_scores(scores: Mapping[str, Mapping[str, float]], metric: str) -> go.Figure:
    """Grouped bars: for each judgement (validation, later months) the score of each join's model."""
    label, fmt = _metric_words(metric)
    fig = go.Figure()
    splits = list(SPLIT_LABELS)
    for join in JOIN_LABELS:
        values = [float(scores[join][split]) for split in splits]
        fig.add_bar(
            name=_(JOIN_LABELS[join]),
            x=[_(SPLIT_LABELS[split]) for split in splits],
            y=values,
            text=[fmt(v) for v in values],
            textposition="outside",
            marker_color=JOIN_COLORS[join],
            hovertemplate="%{x}: %{text}<extra>" + _(JOIN_LABELS[join]) + "</extra>",
        )
    low = min(float(scores[j][s]) for j in JOIN_LABELS for s in splits)
    return style_figure(
        fig,
        title=_("The same model, two joins: {metric} in validation and in use").format(metric=label),
        height=HEIGHT_SMALL,
        barmode="group",
        yaxis_title=label,
        yaxis_range=[max(0.0, min(0.5, low - 0.1)), 1.05],
        legend={"orientation": "h", "y": -0.2},
        margin={"t": 60, "b": 40},
    )


def caption_lesson_scores(scores: Mapping[str, Mapping[str, float]], metric: str) -> str:
    label, fmt = _metric_words(metric)
    naive, pit = scores["naive"], scores["point_in_time"]
    if naive["validation"] > pit["validation"] and naive["later"] < pit["later"]:
        return _(
            "The naive model looks better in validation ({metric} {naive_validation} against {pit_validation}) "
            "and is worse in use ({naive_later} against {pit_later}): only the point-in-time model's "
            "validation told the truth."
        ).format(
            metric=label,
            naive_validation=fmt(naive["validation"]),
            pit_validation=fmt(pit["validation"]),
            naive_later=fmt(naive["later"]),
            pit_later=fmt(pit["later"]),
        )
    return _(
        "{metric}: the naive model scores {naive_validation} in validation and {naive_later} in use; the "
        "point-in-time model {pit_validation} and {pit_later}."
    ).format(
        metric=label,
        naive_validation=fmt(naive["validation"]),
        pit_validation=fmt(pit["validation"]),
        naive_later=fmt(naive["later"]),
        pit_later=fmt(pit["later"]),
    )


def describe_score_gap(scores: Mapping[str, Mapping[str, float]], join: str, metric: str) -> str:
    """One sentence under one join's two numbers: how far its validation was from what happened in use."""
    label, fmt = _metric_words(metric)
    validation, later = float(scores[join]["validation"]), float(scores[join]["later"])
    gap = later - validation
    if abs(gap) < 0.05:
        return _("Validation ({validation}) was a fair forecast of use ({later}).").format(
            validation=fmt(validation), later=fmt(later)
        )
    if gap < 0:
        return _("Validation promised {validation}; in use the {metric} fell to {later}.").format(
            validation=fmt(validation), later=fmt(later), metric=label
        )
    return _("In use the {metric} ({later}) was even better than validation promised ({validation}).").format(
        validation=fmt(validation), later=fmt(later), metric=label
    )


def plot_customer_timeline(timeline: pd.DataFrame, feature_label: str) -> go.Figure:
    """One customer's transactions in time (x) with the value of ``feature_label`` each join gave them
    (y): a step line per join; frauds marked. ``timeline``: timestamp, amount, is_fraud, point_in_time, naive."""
    frame = timeline.sort_values("timestamp")
    times = pd.to_datetime(frame["timestamp"])
    fig = go.Figure()
    for join, dash, symbol in (("naive", "dash", "x"), ("point_in_time", "solid", "circle")):
        fig.add_scatter(
            x=times,
            y=frame[join].astype(float),
            mode="lines+markers",
            line={"shape": "hv", "color": JOIN_COLORS[join], "dash": dash},
            marker={"symbol": symbol, "size": 8},
            name=_(JOIN_LABELS[join]),
            customdata=frame["amount"].astype(float),
            hovertemplate="%{x}<br>"
            + plot_text(feature_label)
            + ": %{y}<br>"
            + _("amount")
            + ": %{customdata}<extra>"
            + _(JOIN_LABELS[join])
            + "</extra>",
        )
    frauds = frame[frame["is_fraud"].astype(int) == 1]
    if len(frauds):
        top = float(np.nanmax(frame[["point_in_time", "naive"]].to_numpy(dtype=float))) if len(frame) else 0.0
        fig.add_scatter(
            x=pd.to_datetime(frauds["timestamp"]),
            y=[top + 0.5] * len(frauds),
            mode="markers+text",
            marker={"symbol": "triangle-down", "size": 14, "color": WARN},
            text=[_("fraud")] * len(frauds),
            textposition="top center",
            name=_("Fraudulent transaction"),
            hovertemplate="%{x}<extra>" + _("Fraudulent transaction") + "</extra>",
        )
    return style_figure(
        fig,
        title=_("One customer's transactions: the value each join gave them"),
        height=HEIGHT_MEDIUM,
        yaxis_title=plot_text(feature_label),  # the x axis needs no title: its ticks are dates
        legend={"orientation": "h", "y": -0.15},
        margin={"t": 60, "b": 40},
    )


def caption_customer_timeline(timeline: pd.DataFrame, customer: str, feature_label: str) -> str:
    frame = timeline.sort_values("timestamp")
    frauds = frame.loc[frame["is_fraud"].astype(int) == 1, "timestamp"]
    before = frame if frauds.empty else frame[frame["timestamp"] < frauds.iloc[0]]
    leaked = int((before["naive"].astype(float) > before["point_in_time"].astype(float)).sum())
    if frauds.empty:
        return _(
            "Each point is one of customer {customer}'s transactions; the dashed line is the value of "
            "{feature} the naive join used, the solid line the value known at the time."
        ).format(customer=customer, feature=feature_label)
    return ngettext(
        "Each point is one of customer {customer}'s transactions: before the fraud of {date}, the naive join "
        "(dashed) already gave {n} transaction a {feature} it could only know later, while the point-in-time "
        "join (solid) gave it what was known then.",
        "Each point is one of customer {customer}'s transactions: before the fraud of {date}, the naive join "
        "(dashed) already gave {n} transactions a {feature} it could only know later, while the point-in-time "
        "join (solid) gave them what was known then.",
        leaked,
    ).format(
        customer=customer, date=format_date(pd.Timestamp(frauds.iloc[0])), n=format_count(leaked), feature=feature_label
    )


# -- Feature health (monitoring) -----------------------------------------------------------------------------
def health_frame(health: Mapping[str, Any]) -> pd.DataFrame:
    """``feature_health``'s buckets as a table: start (a moment), rows, null_rate, psi (NaN when not
    computable), drifted."""
    frame = pd.DataFrame(list(health.get("buckets") or []), columns=["start", "rows", "null_rate", "psi", "drifted"])
    frame["start"] = pd.to_datetime(frame["start"])
    frame["psi"] = pd.to_numeric(frame["psi"], errors="coerce").astype(float)
    frame["null_rate"] = pd.to_numeric(frame["null_rate"], errors="coerce").astype(float)
    return frame


def plot_feature_health(health: Mapping[str, Any]) -> go.Figure:
    """A feature's missing share (left) and drift against its first period (right, PSI bars coloured
    green / amber / red), per day or week of its stored values."""
    name = str(health.get("name", ""))
    frame = health_frame(health)
    fig = make_subplots(
        rows=1, cols=2, subplot_titles=(_("Share of missing values"), _("Drift against the first period (PSI)"))
    )
    title = _("Health of {name} over time").format(name=plot_text(name))
    if frame.empty:
        fig.add_annotation(
            text=_("No values stored yet: materialise the feature first."),
            showarrow=False,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
        )
        return style_figure(fig, title=title, height=HEIGHT_SMALL)
    fig.add_scatter(
        x=frame["start"],
        y=frame["null_rate"],
        mode="lines+markers",
        line={"color": ACCENT},
        name=_("share missing"),
        showlegend=False,
        row=1,
        col=1,
    )
    colors = [
        MUTED if np.isnan(v) else BAD if v >= MAJOR_PSI else WARN if v >= MODERATE_PSI else GOOD for v in frame["psi"]
    ]
    fig.add_bar(
        x=frame["start"],
        y=frame["psi"].fillna(0.0),
        marker_color=colors,
        name="PSI",  # i18n: skip (the statistic's name)
        showlegend=False,
        row=1,
        col=2,
    )
    fig.add_hline(y=MAJOR_PSI, line_dash="dash", line_color=BAD, row=1, col=2)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(rangemode="tozero", row=1, col=2)
    return style_figure(fig, title=title, height=HEIGHT_SMALL, margin={"t": 70, "b": 30})


def describe_age(seconds: float | None) -> str:
    """An age in the largest whole unit: "3 days", "5 hours", "12 minutes", "8 seconds"."""
    if seconds is None:
        return _("unknown")
    if seconds >= 86400:
        n = int(seconds // 86400)
        return ngettext("{n} day", "{n} days", n).format(n=format_count(n))
    if seconds >= 3600:
        n = int(seconds // 3600)
        return ngettext("{n} hour", "{n} hours", n).format(n=format_count(n))
    if seconds >= 60:
        n = int(seconds // 60)
        return ngettext("{n} minute", "{n} minutes", n).format(n=format_count(n))
    n = int(seconds)
    return ngettext("{n} second", "{n} seconds", n).format(n=format_count(n))


def describe_freshness(fresh: Mapping[str, Any] | None) -> str:
    """One sentence: how many entities the online store holds a value for, and how old the newest is."""
    if not fresh or not fresh.get("entities"):
        return _("Not materialised yet: the online store holds no value of this feature.")
    return ngettext(
        "The online store holds the latest value of {n} entity; the newest event it counts is from {moment} "
        "({age} ago).",
        "The online store holds the latest value of {n} entities; the newest event it counts is from {moment} "
        "({age} ago).",
        int(fresh["entities"]),
    ).format(
        n=format_count(int(fresh["entities"])),
        moment=format_datetime(fresh.get("newest_event")),
        age=describe_age(fresh.get("age_seconds")),
    )


def caption_feature_health(health: Mapping[str, Any]) -> str:
    """One sentence under the health chart: the last period's missing share and drift, and how many
    periods drifted."""
    name = str(health.get("name", ""))
    frame = health_frame(health)
    if frame.empty:
        return _("Feature {name} has no stored values yet: press Materialise to compute them.").format(name=name)
    last = frame.iloc[-1]
    psi = None if np.isnan(last["psi"]) else float(last["psi"])
    if psi is None:
        drift = _("no drift measured")
    elif psi >= MAJOR_PSI:
        drift = _("major drift (PSI {psi})").format(psi=format_significant(psi))
    elif psi >= MODERATE_PSI:
        drift = _("moderate drift (PSI {psi})").format(psi=format_significant(psi))
    else:
        drift = _("no drift to speak of (PSI {psi})").format(psi=format_significant(psi))
    drifted = int(frame["drifted"].fillna(False).astype(bool).sum())
    return ngettext(
        "Feature {name}: in its last period ({start}) {share} of its values were missing, with {drift}; "
        "{n} period of {total} drifted from the first.",
        "Feature {name}: in its last period ({start}) {share} of its values were missing, with {drift}; "
        "{n} periods of {total} drifted from the first.",
        drifted,
    ).format(
        name=name,
        start=format_date(pd.Timestamp(last["start"])),
        share=format_percent(float(last["null_rate"])),
        drift=drift,
        n=format_count(drifted),
        total=format_count(len(frame)),
    )


def describe_skew(result: Mapping[str, Any]) -> str:
    """One sentence of the training/serving skew check."""
    checked, matching = int(result.get("checked", 0)), int(result.get("matching", 0))
    if checked == 0:
        return _("Nothing to compare yet: materialise the feature first.")
    if matching == checked:
        return ngettext(
            "No skew: for the {n} entity sampled, the value served online equals the value training computes "
            "for the same moment.",
            "No skew: for all {n} entities sampled, the value served online equals the value training computes "
            "for the same moment.",
            checked,
        ).format(n=format_count(checked))
    return _(
        "Skew found: {bad} of {n} sampled entities are served a value online that differs from what training "
        "computes for the same moment; materialise again, and check the rows below."
    ).format(bad=format_count(checked - matching), n=format_count(checked))
