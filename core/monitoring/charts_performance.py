"""The performance-per-window figure against the model's own holdout and the sentence under it: the
realised metric where labels arrived, the estimate from the model's confidence with its band, the
control limit and the business bar, and which windows are labelled yet.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.formatting import format_number
from core.i18n import _, ngettext
from core.monitoring.charts import add_required_line
from core.monitoring.performance import PerformanceReference
from core.monitoring.windows import LOWER_IS_BETTER, WINDOW_COLUMN, metric_name
from core.problem.definition import METRICS
from core.style import HEIGHT_WINDOWS, LIGHT_AMBER, LIGHT_GREEN, LIGHT_RED, LINE, TEMPLATE

REGRESSION_METRICS = METRICS["regression"]
ESTIMATE_COLOR = "#1565c0"
BAND_COLOR = "rgba(21, 101, 192, 0.15)"
UNLABELLED_SHADE = "rgba(120, 120, 120, 0.10)"


def _empty(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(title=_("Performance per window"), template=TEMPLATE, height=300, xaxis_visible=False)
    fig.update_layout(yaxis_visible=False)
    return fig


def plot_performance_windows(df: pd.DataFrame, threshold: float | None = None) -> go.Figure:
    """Realised metric (dots: red when decayed), the estimate with its band (blue), the control limit
    (dotted) and the business bar (dashed); windows without labels yet are shaded grey."""
    if df.empty:
        return _empty(_("No performance reference: run the traffic simulation again."))
    df = df.sort_values(WINDOW_COLUMN)
    name = metric_name(df["metric"].iloc[0])
    lower_better = df["metric"].iloc[0] in LOWER_IS_BETTER
    fig = go.Figure()
    for window in df.loc[~df["labelled"], WINDOW_COLUMN]:
        fig.add_vrect(x0=window - 0.5, x1=window + 0.5, fillcolor=UNLABELLED_SHADE, line_width=0, layer="below")
    if df["estimated"].notna().any():
        fig.add_trace(
            go.Scatter(
                x=np.r_[df[WINDOW_COLUMN], df[WINDOW_COLUMN][::-1]],
                y=np.r_[df["upper"], df["lower"][::-1]],
                fill="toself",
                fillcolor=BAND_COLOR,
                mode="lines",
                line={"width": 0},
                hoverinfo="skip",
                name=_("estimate's band"),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=df[WINDOW_COLUMN],
                y=df["estimated"],
                mode="lines+markers",
                line={"color": ESTIMATE_COLOR, "dash": "dot"},
                marker={"symbol": "diamond-open", "size": 9, "color": ESTIMATE_COLOR},
                name=_("estimated (before labels)"),
                hovertemplate=_("Window %{{x}}: estimated {metric} %{{y:.3f}}").format(metric=name) + "<extra></extra>",
            )
        )
    labelled = df[df["labelled"]]
    fig.add_trace(
        go.Scatter(
            x=labelled[WINDOW_COLUMN],
            y=labelled["realised"],
            mode="lines+markers",
            line={"color": LINE},
            marker={"size": 11, "color": np.where(labelled["decayed"], LIGHT_RED, LIGHT_GREEN)},
            name=_("realised (labels arrived)"),
            customdata=labelled["labelled_rows"],
            hovertemplate=_("Window %{{x}}: {metric} %{{y:.3f}} on %{{customdata}} labelled rows").format(metric=name)
            + "<extra></extra>",
        )
    )
    limit = df["limit_upper" if lower_better else "limit_lower"]
    fig.add_trace(
        go.Scatter(
            x=df[WINDOW_COLUMN],
            y=limit,
            mode="lines",
            line={"color": LIGHT_AMBER, "dash": "dot", "shape": "hvh"},
            name=_("control limit (own holdout)"),
            hovertemplate=_("Window %{x}: control limit %{y:.3f}") + "<extra></extra>",
        )
    )
    usual = float(df["expected"].iloc[0])
    fig.add_trace(
        go.Scatter(
            x=df[WINDOW_COLUMN],
            y=[usual] * len(df),
            mode="lines",
            line={"color": LIGHT_GREEN, "dash": "dot"},
            name=_("usual on its holdout ({value})").format(value=format_number(usual)),
            hoverinfo="skip",
        )
    )
    if threshold is not None and math.isfinite(threshold):
        add_required_line(fig, threshold)
    fig.update_layout(
        title=_("{metric} per window: realised, estimated and the control limit").format(metric=name),
        template=TEMPLATE,
        height=HEIGHT_WINDOWS,
        xaxis_title=_("Window (grey: labels not arrived yet)"),
        yaxis_title=name,
        xaxis={"dtick": 1},
        legend={"orientation": "h", "y": -0.3},
    )
    return fig


def caption_performance_windows(df: pd.DataFrame, reference: PerformanceReference | None) -> str:
    """One plain sentence (two at most) of what the performance chart shows and what follows from it."""
    if df.empty or reference is None:
        return _("This report has no performance reference; simulate traffic again to compare with the holdout.")
    df = df.sort_values(WINDOW_COLUMN)
    name = metric_name(reference.metric)
    labelled, waiting = df[df["labelled"]], df[~df["labelled"]]
    usual = format_number(reference.expected)
    if labelled.empty:
        status = _("No labels have arrived yet, so {metric} is not known in any window").format(metric=name)
    elif labelled["decayed"].any():
        first = labelled[labelled["decayed"]].iloc[0]
        status = _(
            "{metric} dropped below what the model scores on its own holdout (usually {usual}) from window "
            "{window} on, beyond what chance explains: the model has lost skill"
        ).format(metric=name, usual=usual, window=first["window"])
    else:
        status = _("In every labelled window {metric} stays within chance of its usual {usual}: no decay").format(
            metric=name, usual=usual
        )
    if waiting.empty:
        pending = ""
    elif reference.estimates:
        windows = ", ".join(str(w) for w in waiting[WINDOW_COLUMN])
        estimate = waiting.iloc[-1]
        source = _("a model of its errors") if reference.metric in REGRESSION_METRICS else _("the model's confidence")
        pending = ngettext(
            "; for window {windows}, still without labels, {source} estimates {metric} at {value} in window "
            "{window} (blue, with its band), which cannot see a change in what the outcome depends on",
            "; for windows {windows}, still without labels, {source} estimates {metric} at {value} in window "
            "{window} (blue, with its band), which cannot see a change in what the outcome depends on",
            len(waiting),
        ).format(
            windows=windows,
            source=source,
            metric=name,
            value=format_number(estimate["estimated"]),
            window=estimate["window"],
        )
    else:
        listed = ", ".join(str(w) for w in waiting[WINDOW_COLUMN])
        pending = ngettext(
            "; window {windows} has no labels yet", "; windows {windows} have no labels yet", len(waiting)
        ).format(windows=listed)
    return status + pending + "."
