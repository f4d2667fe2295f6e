"""Monitoring per arm (computed in ``arms``): each version side by side on its labelled metric, its
latency per request and the drift of the rows it answered; the drift per feature and version; and one
plain sentence per chart and per version."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.formatting import format_count, format_number
from core.i18n import N_, _, ngettext
from core.problem.definition import get_metric_label
from core.style import (
    ACCENT,
    BAD,
    GOOD,
    HEIGHT_MEDIUM,
    HEIGHT_SMALL,
    LIGHT_LIME,
    LINE,
    LOWERS,
    MUTED,
    RAISES,
    WARN,
    plot_text,
    plot_texts,
    style_figure,
)

MAJOR_PSI = 0.25  # the line drawn on PSI charts: major drift from here on
ARM_COLORS = {"champion": ACCENT, "challenger": WARN, "shadow": MUTED}
EXTRA_COLORS = (GOOD, LINE, RAISES, LIGHT_LIME, LOWERS, BAD)
# The role a version played in these answers, which may differ from its alias today (a challenger
# promoted, then rolled back, answered as the challenger and may be neither now).
ARM_WORDS = {
    "champion": N_("answered as the champion"),
    "challenger": N_("answered as the challenger"),
    "shadow": N_("scored as the shadow, answering nobody"),
}


def _arm_words(arm: object) -> str:
    return _(ARM_WORDS[str(arm)]) if str(arm) in ARM_WORDS else str(arm)


def _is_nan(value: float) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def plot_arms_overview(arms: pd.DataFrame) -> go.Figure:
    """Three panels, one bar per version: the metric on its labelled answers, its p95 latency per
    request, and the largest PSI of a feature of the rows it answered."""
    metric = get_metric_label(str(arms["metric"].iloc[0])) if len(arms) else _("metric")
    fig = make_subplots(
        rows=1,
        cols=3,
        subplot_titles=(
            _("{metric} on labelled answers").format(metric=metric),
            _("p95 latency per request (ms)"),
            _("largest feature PSI"),
        ),
    )
    names = plot_texts(list(arms["version"]))
    colors = [ARM_COLORS.get(str(a), MUTED) for a in arms["arm"]]
    for col, column in enumerate(("metric_value", "latency_p95_ms", "max_psi"), start=1):
        fig.add_trace(go.Bar(x=names, y=arms[column], marker_color=colors, showlegend=False), row=1, col=col)
    fig.add_hline(y=MAJOR_PSI, line_dash="dot", line_color=MUTED, row=1, col=3)
    return style_figure(fig, title=_("Versions side by side: labelled metric, latency, drift"), height=HEIGHT_SMALL)


def caption_arms_overview(arms: pd.DataFrame) -> str:
    """Champion against challenger in one sentence (or the one version there is)."""
    if arms.empty:
        return _("No answer is logged yet: send requests to the endpoint or from the Deploy page.")
    by_arm = {str(row["arm"]): row for _i, row in arms.iterrows()}
    first = by_arm.get("champion", arms.iloc[0])
    other = by_arm.get("challenger", by_arm.get("shadow"))
    if other is None:
        return _("Only one version answered this traffic. {row}").format(row=caption_arm_row(first))
    parts = []
    a, b = first["metric_value"], other["metric_value"]
    if _is_nan(a) or _is_nan(b):
        parts.append(_("no labels have arrived for both yet, so which is right more often is not known"))
    else:
        parts.append(
            _(
                "{metric} {value} for {version} against {other_value} for {other} on their labelled answers "
                "({labelled} and {other_labelled})"
            ).format(
                metric=first["metric"],
                value=format_number(b),
                version=other["version"],
                other_value=format_number(a),
                other=first["version"],
                labelled=format_count(int(other["labelled"])),
                other_labelled=format_count(int(first["labelled"])),
            )
        )
    if not (_is_nan(first["latency_p95_ms"]) or _is_nan(other["latency_p95_ms"])):
        parts.append(
            _("95% of requests answered within {ms} ms against {other_ms} ms").format(
                ms=format_number(other["latency_p95_ms"]), other_ms=format_number(first["latency_p95_ms"])
            )
        )
    if not (_is_nan(first["max_psi"]) or _is_nan(other["max_psi"])):
        parts.append(
            _(
                "the rows each answered drift from training by a largest PSI of {psi} against {other_psi} "
                "({major} is major drift)"
            ).format(
                psi=format_number(other["max_psi"]),
                other_psi=format_number(first["max_psi"]),
                major=format_number(MAJOR_PSI),
            )
        )
    return _("{version} ({role}) against {other}: {parts}.").format(
        version=other["version"], role=_arm_words(other["arm"]), other=first["version"], parts="; ".join(parts)
    )


def caption_arm_row(row: pd.Series) -> str:
    """'churn v2 (the challenger): 240 rows in 31 requests; half the requests answered within 3.1 ms,
    95% within 5.0 ms; accuracy 0.82 on 48 labelled answers; 1 of 6 features drifted (largest PSI
    0.31, tenure).'"""
    requests = int(row["requests"])
    parts = [
        ngettext("{rows} rows in {n} request", "{rows} rows in {n} requests", requests).format(
            rows=format_count(int(row["rows"])), n=format_count(requests)
        )
    ]
    if _is_nan(row["latency_p50_ms"]):
        parts.append(_("it answers nobody, so it has no latency of its own"))
    else:
        parts.append(
            _("half the requests answered within {p50} ms, 95% within {p95} ms").format(
                p50=format_number(row["latency_p50_ms"]), p95=format_number(row["latency_p95_ms"])
            )
        )
    if row["labelled"] and not _is_nan(row["metric_value"]):
        parts.append(
            _("{metric} {value} on {n} labelled answers").format(
                metric=row["metric"], value=format_number(row["metric_value"]), n=format_count(int(row["labelled"]))
            )
        )
    else:
        parts.append(_("no true label has arrived yet (clients send them to /feedback)"))
    if row["features"]:
        drifted = int(row["drifted_features"])
        on = (
            _(" on its newest {n} rows").format(n=format_count(int(row["drift_rows"])))
            if row["drift_rows"] < row["rows"]
            else ""
        )
        parts.append(
            _("{drifted} of {n} features drifted from the training data{on} (largest PSI {psi}, {feature})").format(
                drifted=drifted,
                n=int(row["features"]),
                on=on,
                psi=format_number(row["max_psi"]),
                feature=row["most_drifted"],
            )
            if drifted
            else _("none of {n} features drifted from the training data{on} (largest PSI {psi})").format(
                n=int(row["features"]), on=on, psi=format_number(row["max_psi"])
            )
        )
    else:
        parts.append(_("too few rows, or no training reference, to judge drift"))
    return f"{row['version']} ({_arm_words(row['arm'])}): " + "; ".join(parts) + "."


def plot_arms_drift(drift: pd.DataFrame, top: int = 10) -> go.Figure:
    """PSI per feature (the ``top`` most drifted) of each version's answered rows against its training data."""
    fig = go.Figure()
    if not drift.empty:
        order = drift.groupby("feature")["psi"].max().sort_values(ascending=False).head(top).index.tolist()
        used: set[str] = set()
        for (version, arm), rows in drift.groupby(["version", "arm"], sort=False):
            rows = rows.set_index("feature").reindex(order)
            # The arm's colour, unless a version shown before took it (two versions that both answered
            # as the challenger, in different deployments, must not look like one).
            color = next(c for c in (ARM_COLORS.get(str(arm), MUTED), *EXTRA_COLORS) if c not in used)
            used.add(color)
            fig.add_trace(
                go.Bar(
                    name=plot_text(_("{version} (as {role})").format(version=version, role=_role(arm))),
                    x=plot_texts(order),
                    y=rows["psi"],
                    marker_color=color,
                )
            )
        fig.add_hline(y=MAJOR_PSI, line_dash="dot", line_color=MUTED)
    return style_figure(
        fig,
        title=_("Drift of the rows each version answered"),
        height=HEIGHT_MEDIUM,
        barmode="group",
        yaxis_title=_("PSI against its training data"),
    )


def caption_arms_drift(drift: pd.DataFrame) -> str:
    """Which version's traffic drifted most, and on which feature."""
    if drift.empty:
        return _("Drift is judged once a version has answered at least 30 rows of a model it has training rows for.")
    worst = drift.loc[drift["psi"].astype(float).idxmax()]
    return _(
        "Each bar is how far the rows a version answered moved from the data it was trained on (PSI below 0.1: "
        "no drift, 0.25 and above: major); the largest is {feature} for {version}, {psi} ({label})."
    ).format(
        feature=worst["feature"],
        version=worst["version"],
        psi=format_number(float(worst["psi"])),
        label=_(str(worst.label)),
    )


#: A version's role in these answers, as a noun (the code stays English).
ARM_ROLES = {"champion": N_("champion"), "challenger": N_("challenger"), "shadow": N_("shadow")}


def _role(arm: object) -> str:
    return _(ARM_ROLES[str(arm)]) if str(arm) in ARM_ROLES else str(arm)
