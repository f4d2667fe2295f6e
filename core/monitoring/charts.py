"""Monitoring's figures and the sentences under them: the drift heatmap, one feature's PSI over the
windows, prediction drift and performance per window, and why some inputs are not drift signals.
Pure functions from a report's tables to plotly figures and text, in the studio's style.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.formatting import format_number, format_significant
from core.i18n import N_, _, ngettext
from core.monitoring.drift import MAJOR_PSI, MODERATE_PSI, DriftConfig
from core.monitoring.windows import WINDOW_COLUMN, metric_name
from core.style import (
    HEIGHT_WINDOWS,
    LIGHT_AMBER,
    LIGHT_GREEN,
    LIGHT_LIME,
    LIGHT_RED,
    LINE,
    TEMPLATE,
    plot_text,
    plot_texts,
)

PSI_COLORSCALE = [  # green below 0.1, amber to 0.25, red above (z is capped at 0.5)
    [0.0, LIGHT_GREEN],
    [0.2, LIGHT_LIME],
    [0.5, LIGHT_AMBER],
    [1.0, LIGHT_RED],
]
PSI_COLOR_CAP = 2 * MAJOR_PSI
MEAN_SCORE_LINE = "#1565c0"  # the prediction-drift chart's second axis: its own blue
EMPTY_HEIGHT = 300  # a placeholder figure with one sentence in it
# How the drift table's caption names the default tests; another registered test is named by its description.
TEST_PHRASES = {"ks": N_("KS compares numeric distributions"), "chi2": N_("chi-square category shares")}


def _empty_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(title=title, template=TEMPLATE, height=EMPTY_HEIGHT, xaxis_visible=False, yaxis_visible=False)
    return fig


def _add_psi_guides(fig: go.Figure, **kwargs: Any) -> None:
    fig.add_hline(
        y=MODERATE_PSI,
        line_dash="dot",
        line_color=LIGHT_AMBER,
        annotation_text=_("moderate ({psi})").format(psi=format_significant(MODERATE_PSI)),
        annotation_position="bottom right",
        **kwargs,
    )
    fig.add_hline(
        y=MAJOR_PSI,
        line_dash="dash",
        line_color=LIGHT_RED,
        annotation_text=_("major ({psi})").format(psi=format_significant(MAJOR_PSI)),
        annotation_position="top right",
        **kwargs,
    )


def plot_drift_heatmap(feature_drift_df: pd.DataFrame) -> go.Figure:
    """Features × windows, colour = PSI (green stable, amber moderate, red major)."""
    title = _("Data drift per feature and window (PSI)")
    if feature_drift_df.empty:
        return _empty_figure(title, _("No traffic monitored yet."))
    table = feature_drift_df.pivot(index="feature", columns=WINDOW_COLUMN, values="psi")
    table = table.loc[table.max(axis=1).sort_values().index]  # most drifted at the top
    labels = feature_drift_df.pivot(index="feature", columns=WINDOW_COLUMN, values="label").loc[table.index]
    fig = go.Figure(
        go.Heatmap(
            z=table.clip(upper=PSI_COLOR_CAP).to_numpy(),
            x=[_("Window {n}").format(n=w) for w in table.columns],
            y=plot_texts(table.index.tolist()),
            text=table.map(format_number).to_numpy(),
            texttemplate="%{text}",
            customdata=labels.map(_).to_numpy(),
            hovertemplate="%{y}, %{x}: PSI %{text} (%{customdata})<extra></extra>",
            colorscale=PSI_COLORSCALE,
            zmin=0,
            zmax=PSI_COLOR_CAP,
            colorbar={
                "title": "PSI",
                "tickvals": [0, MODERATE_PSI, MAJOR_PSI, PSI_COLOR_CAP],
                "ticktext": [
                    "0",
                    *(format_significant(v) for v in (MODERATE_PSI, MAJOR_PSI)),
                    f"≥ {format_significant(PSI_COLOR_CAP)}",
                ],
            },
        )
    )
    height = min(450, 140 + 24 * len(table))
    fig.update_layout(title=title, template=TEMPLATE, height=height, margin={"l": 10, "r": 10})
    return fig


def caption_drift_heatmap(feature_drift_df: pd.DataFrame) -> str:
    if feature_drift_df.empty:
        return _("No traffic has been monitored yet, so there is no drift to show.")
    top = feature_drift_df.loc[feature_drift_df["psi"].idxmax()]
    n_features = int(feature_drift_df["feature"].nunique())
    if top["psi"] < MODERATE_PSI:
        return ngettext(
            "None of the {n} features drifted: every PSI stays below {moderate} (highest {psi} for {feature}), "
            "so production data still looks like the training data.",
            "None of the {n} features drifted: every PSI stays below {moderate} (highest {psi} for {feature}), "
            "so production data still looks like the training data.",
            n_features,
        ).format(
            n=n_features,
            moderate=format_significant(MODERATE_PSI),
            psi=format_number(top["psi"]),
            feature=top["feature"],
        )
    drifted = int(feature_drift_df.loc[feature_drift_df["drifted"], "feature"].nunique())
    return ngettext(
        "{feature} drifted most, reaching a PSI of {psi} in window {window} ({label}); {drifted} of {n} features "
        "was flagged as drifted in at least one window.",
        "{feature} drifted most, reaching a PSI of {psi} in window {window} ({label}); {drifted} of {n} features "
        "were flagged as drifted in at least one window.",
        drifted,
    ).format(
        feature=top["feature"],
        psi=format_number(top["psi"]),
        window=top["window"],
        label=_(str(top.label)),
        drifted=drifted,
        n=n_features,
    )


def caption_excluded_columns(excluded_columns: dict[str, str]) -> str:
    """Why some model inputs are not in the drift table, in one or two sentences ('' when none)."""
    if not excluded_columns:
        return ""
    reasons = "; ".join(excluded_columns.values())
    return ngettext(
        "Not drift signals: {reasons}. The model still uses it, but it is left out of the drift table and the "
        "retrain decision, since a change there says nothing about whether the data changed.",
        "Not drift signals: {reasons}. The model still uses them, but they are left out of the drift table and "
        "the retrain decision, since a change there says nothing about whether the data changed.",
        len(excluded_columns),
    ).format(reasons=reasons)


def plot_feature_psi(feature_drift_df: pd.DataFrame, feature: str) -> go.Figure:
    """PSI of one feature per window, with the 0.1 and 0.25 guide lines."""
    rows = feature_drift_df[feature_drift_df["feature"] == feature].sort_values(WINDOW_COLUMN)
    title = plot_text(_("Drift of {feature} over time").format(feature=feature))
    if rows.empty:
        return _empty_figure(title, plot_text(_("No drift figures for {feature}.").format(feature=feature)))
    fig = go.Figure(
        go.Scatter(
            x=rows[WINDOW_COLUMN],
            y=rows["psi"],
            mode="lines+markers",
            name="PSI",
            customdata=rows["label"].map(_),
            hovertemplate=_("Window %{x}: PSI %{y:.2f} (%{customdata})") + "<extra></extra>",
            marker={"color": np.where(rows["drifted"], LIGHT_RED, LIGHT_GREEN), "size": 10},
            line={"color": LINE},
        )
    )
    _add_psi_guides(fig)
    fig.update_layout(
        title=title,
        template=TEMPLATE,
        height=HEIGHT_WINDOWS,
        xaxis_title=_("Window"),
        yaxis_title="PSI",
        xaxis={"dtick": 1},
        showlegend=False,
    )
    return fig


def caption_feature_psi(feature_drift_df: pd.DataFrame, feature: str) -> str:
    rows = feature_drift_df[feature_drift_df["feature"] == feature].sort_values(WINDOW_COLUMN)
    if rows.empty:
        return _("There are no drift figures for {feature}.").format(feature=feature)
    last = rows.iloc[-1]
    flagged = rows[rows["drifted"]]
    if flagged.empty:
        return _(
            "{feature} is stable: its PSI stays at most {psi} in every window, so its values look like the "
            "training data."
        ).format(feature=feature, psi=format_number(rows["psi"].max()))
    first = flagged.iloc[0]
    return _(
        "{feature} first drifted in window {first} (PSI {first_psi}) and ends at a PSI of {last_psi} in window "
        "{last} ({label})."
    ).format(
        feature=feature,
        first=first["window"],
        first_psi=format_number(first["psi"]),
        last_psi=format_number(last["psi"]),
        last=last["window"],
        label=_(str(last.label)),
    )


def plot_prediction_drift(prediction_drift_df: pd.DataFrame) -> go.Figure:
    """Bars: PSI of the model's scores per window; line: the mean score."""
    title = _("Prediction drift: are the model's answers changing?")
    if prediction_drift_df.empty:
        return _empty_figure(title, _("No traffic monitored yet."))
    df = prediction_drift_df.sort_values(WINDOW_COLUMN)
    colors = [LIGHT_RED if v >= MAJOR_PSI else LIGHT_AMBER if v >= MODERATE_PSI else LIGHT_GREEN for v in df["psi"]]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=df[WINDOW_COLUMN],
            y=df["psi"],
            name=_("Score PSI"),
            marker_color=colors,
            customdata=df["label"].map(_),
            hovertemplate=_("Window %{x}: PSI %{y:.2f} (%{customdata})") + "<extra></extra>",
        ),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(
            x=df[WINDOW_COLUMN],
            y=df["mean_score"],
            name=_("Mean score"),
            mode="lines+markers",
            line={"color": MEAN_SCORE_LINE},
            hovertemplate=_("Window %{x}: mean score %{y:.3f}") + "<extra></extra>",
        ),
        secondary_y=True,
    )
    _add_psi_guides(fig, secondary_y=False)
    fig.update_layout(
        title=title,
        template=TEMPLATE,
        height=HEIGHT_WINDOWS,
        xaxis_title=_("Window"),
        xaxis={"dtick": 1},
        legend={"orientation": "h", "y": -0.25},
    )
    fig.update_yaxes(title_text=_("PSI of scores"), secondary_y=False)
    fig.update_yaxes(title_text=_("Mean score"), secondary_y=True, showgrid=False)
    return fig


def caption_prediction_drift(prediction_drift_df: pd.DataFrame) -> str:
    if prediction_drift_df.empty:
        return _("No traffic has been monitored yet, so there are no predictions to compare.")
    top = prediction_drift_df.loc[prediction_drift_df["psi"].idxmax()]
    first, last = prediction_drift_df.iloc[0], prediction_drift_df.iloc[-1]
    mean_text = _("the mean score moved from {first} to {last}").format(
        first=format_number(first["mean_score"]), last=format_number(last["mean_score"])
    )
    if top["psi"] < MODERATE_PSI:
        return _(
            "The model's predictions are stable: the score PSI stays below {moderate} in every window and {mean}."
        ).format(moderate=format_significant(MODERATE_PSI), mean=mean_text)
    return _(
        "The model's predictions shifted most in window {window} (PSI {psi}, {label}) and {mean}: it is answering "
        "differently than on the training data."
    ).format(window=top["window"], psi=format_number(top["psi"]), label=_(str(top.label)), mean=mean_text)


def add_required_line(fig: go.Figure, threshold: float) -> None:
    """The business bar across a per-window performance chart."""
    fig.add_hline(
        y=threshold,
        line_dash="dash",
        line_color=LIGHT_RED,
        annotation_text=_("required: {value}").format(value=format_number(threshold)),
        annotation_position="bottom left",
    )


def plot_performance(performance_df: pd.DataFrame) -> go.Figure:
    """The metric per window against the business threshold (dashed line)."""
    if performance_df.empty:
        return _empty_figure(_("Model performance per window"), _("No labels have arrived yet."))
    df = performance_df.sort_values(WINDOW_COLUMN)
    name = metric_name(df["metric"].iloc[0])
    threshold = float(df["threshold"].iloc[0])
    fig = go.Figure(
        go.Scatter(
            x=df[WINDOW_COLUMN],
            y=df["value"],
            mode="lines+markers",
            name=name,
            marker={"color": np.where(df["passed"], LIGHT_GREEN, LIGHT_RED), "size": 10},
            line={"color": LINE},
            hovertemplate=_("Window %{{x}}: {metric} %{{y:.3f}}").format(metric=name) + "<extra></extra>",
        )
    )
    add_required_line(fig, threshold)
    fig.update_layout(
        title=_("Model performance per window ({metric})").format(metric=name),
        template=TEMPLATE,
        height=HEIGHT_WINDOWS,
        xaxis_title=_("Window"),
        yaxis_title=name,
        xaxis={"dtick": 1},
        showlegend=False,
    )
    return fig


def caption_performance(performance_df: pd.DataFrame) -> str:
    if performance_df.empty:
        return _("Performance is not shown because no labels have arrived yet.")
    df = performance_df.sort_values(WINDOW_COLUMN)
    name = metric_name(df["metric"].iloc[0])
    required = format_number(float(df["threshold"].iloc[0]))
    first, last = df.iloc[0], df.iloc[-1]
    failed = df[~df["passed"]]
    latest = _("{value} in window {window}").format(value=format_number(last["value"]), window=last["window"])
    if failed.empty:
        return _(
            "{metric} meets the required {required} in every window (latest {latest}): the model still does its job."
        ).format(metric=name, required=required, latest=latest)
    first_fail = failed.iloc[0]
    if last["passed"]:
        return _(
            "{metric} missed the required {required} in window {window} ({value}) but is back at {latest}."
        ).format(
            metric=name,
            required=required,
            window=first_fail["window"],
            value=format_number(first_fail["value"]),
            latest=latest,
        )
    if first_fail["window"] == first["window"]:
        return _(
            "{metric} already missed the required {required} in window {window} and is at {latest}: the model does "
            "not meet the business requirement."
        ).format(metric=name, required=required, window=first["window"], latest=latest)
    return _(
        "{metric} met the required {required} until window {window} and is at {latest}: the model no longer meets "
        "the business requirement."
    ).format(metric=name, required=required, window=first_fail["window"] - 1, latest=latest)


def get_features_by_drift(feature_drift_df: pd.DataFrame) -> list[str]:
    """The monitored features, the most drifted (highest PSI in any window) first: the order to offer them in."""
    return list(feature_drift_df.sort_values("psi", ascending=False)["feature"].unique())


def caption_drift_table(config: DriftConfig) -> str:
    """Under the table of every feature and window: which tests ran and the drift rule."""
    tests = ", ".join(
        _(TEST_PHRASES[test.name]) if test.name in TEST_PHRASES else f"{test.name} ({test.description})"
        for test in (config.get_test("numeric"), config.get_test("categorical"))
    )
    return _(
        "{tests}; a p-value below {alpha} means the difference is unlikely to be chance. A feature counts as "
        "drifted when its PSI is major, or when the test is significant and the PSI at least moderate."
    ).format(tests=tests, alpha=format_significant(config.pvalue_threshold))
