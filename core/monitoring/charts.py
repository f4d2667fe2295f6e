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

from core.formatting import format_number
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
TEST_PHRASES = {"ks": "KS compares numeric distributions", "chi2": "chi-square category shares"}


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
        annotation_text="moderate (0.1)",
        annotation_position="bottom right",
        **kwargs,
    )
    fig.add_hline(
        y=MAJOR_PSI,
        line_dash="dash",
        line_color=LIGHT_RED,
        annotation_text="major (0.25)",
        annotation_position="top right",
        **kwargs,
    )


def plot_drift_heatmap(feature_drift_df: pd.DataFrame) -> go.Figure:
    """Features × windows, colour = PSI (green stable, amber moderate, red major)."""
    title = "Data drift per feature and window (PSI)"
    if feature_drift_df.empty:
        return _empty_figure(title, "No traffic monitored yet.")
    table = feature_drift_df.pivot(index="feature", columns=WINDOW_COLUMN, values="psi")
    table = table.loc[table.max(axis=1).sort_values().index]  # most drifted at the top
    labels = feature_drift_df.pivot(index="feature", columns=WINDOW_COLUMN, values="label").loc[table.index]
    fig = go.Figure(
        go.Heatmap(
            z=table.clip(upper=PSI_COLOR_CAP).to_numpy(),
            x=[f"Window {w}" for w in table.columns],
            y=plot_texts(table.index.tolist()),
            text=table.map(format_number).to_numpy(),
            texttemplate="%{text}",
            customdata=labels.to_numpy(),
            hovertemplate="%{y}, %{x}: PSI %{text} (%{customdata})<extra></extra>",
            colorscale=PSI_COLORSCALE,
            zmin=0,
            zmax=PSI_COLOR_CAP,
            colorbar={
                "title": "PSI",
                "tickvals": [0, MODERATE_PSI, MAJOR_PSI, PSI_COLOR_CAP],
                "ticktext": ["0", "0.1", "0.25", "≥ 0.5"],
            },
        )
    )
    height = min(450, 140 + 24 * len(table))
    fig.update_layout(title=title, template=TEMPLATE, height=height, margin={"l": 10, "r": 10})
    return fig


def caption_drift_heatmap(feature_drift_df: pd.DataFrame) -> str:
    if feature_drift_df.empty:
        return "No traffic has been monitored yet, so there is no drift to show."
    top = feature_drift_df.loc[feature_drift_df["psi"].idxmax()]
    n_features = feature_drift_df["feature"].nunique()
    if top["psi"] < MODERATE_PSI:
        return (
            f"None of the {n_features} features drifted: every PSI stays below 0.1 (highest "
            f"{format_number(top['psi'])} for {top['feature']}), so production data still looks like the training data."
        )
    drifted = feature_drift_df.loc[feature_drift_df["drifted"], "feature"].nunique()
    verb = "was" if drifted == 1 else "were"
    return (
        f"{top['feature']} drifted most, reaching a PSI of {format_number(top['psi'])} in window {top['window']} "
        f"({top['label']}); {drifted} of {n_features} features {verb} flagged as drifted in at least one window."
    )


def caption_excluded_columns(excluded_columns: dict[str, str]) -> str:
    """Why some model inputs are not in the drift table, in one or two sentences ('' when none)."""
    if not excluded_columns:
        return ""
    reasons = "; ".join(excluded_columns.values())
    them = "it is" if len(excluded_columns) == 1 else "they are"
    return (
        f"Not drift signals: {reasons}. The model still uses {'it' if len(excluded_columns) == 1 else 'them'}, "
        f"but {them} left out of the drift table and the retrain decision, since a change there says nothing "
        "about whether the data changed."
    )


def plot_feature_psi(feature_drift_df: pd.DataFrame, feature: str) -> go.Figure:
    """PSI of one feature per window, with the 0.1 and 0.25 guide lines."""
    rows = feature_drift_df[feature_drift_df["feature"] == feature].sort_values(WINDOW_COLUMN)
    title = plot_text(f"Drift of {feature} over time")
    if rows.empty:
        return _empty_figure(title, plot_text(f"No drift figures for {feature}."))
    fig = go.Figure(
        go.Scatter(
            x=rows[WINDOW_COLUMN],
            y=rows["psi"],
            mode="lines+markers",
            name="PSI",
            customdata=rows["label"],
            hovertemplate="Window %{x}: PSI %{y:.2f} (%{customdata})<extra></extra>",
            marker={"color": np.where(rows["drifted"], LIGHT_RED, LIGHT_GREEN), "size": 10},
            line={"color": LINE},
        )
    )
    _add_psi_guides(fig)
    fig.update_layout(
        title=title,
        template=TEMPLATE,
        height=HEIGHT_WINDOWS,
        xaxis_title="Window",
        yaxis_title="PSI",
        xaxis={"dtick": 1},
        showlegend=False,
    )
    return fig


def caption_feature_psi(feature_drift_df: pd.DataFrame, feature: str) -> str:
    rows = feature_drift_df[feature_drift_df["feature"] == feature].sort_values(WINDOW_COLUMN)
    if rows.empty:
        return f"There are no drift figures for {feature}."
    last = rows.iloc[-1]
    flagged = rows[rows["drifted"]]
    if flagged.empty:
        return (
            f"{feature} is stable: its PSI stays at most {format_number(rows['psi'].max())} in every window, "
            "so its values look like the training data."
        )
    first = flagged.iloc[0]
    return (
        f"{feature} first drifted in window {first['window']} (PSI {format_number(first['psi'])}) and ends at a PSI of "
        f"{format_number(last['psi'])} in window {last['window']} ({last['label']})."
    )


def plot_prediction_drift(prediction_drift_df: pd.DataFrame) -> go.Figure:
    """Bars: PSI of the model's scores per window; line: the mean score."""
    title = "Prediction drift: are the model's answers changing?"
    if prediction_drift_df.empty:
        return _empty_figure(title, "No traffic monitored yet.")
    df = prediction_drift_df.sort_values(WINDOW_COLUMN)
    colors = [LIGHT_RED if v >= MAJOR_PSI else LIGHT_AMBER if v >= MODERATE_PSI else LIGHT_GREEN for v in df["psi"]]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=df[WINDOW_COLUMN],
            y=df["psi"],
            name="Score PSI",
            marker_color=colors,
            customdata=df["label"],
            hovertemplate="Window %{x}: PSI %{y:.2f} (%{customdata})<extra></extra>",
        ),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(
            x=df[WINDOW_COLUMN],
            y=df["mean_score"],
            name="Mean score",
            mode="lines+markers",
            line={"color": MEAN_SCORE_LINE},
            hovertemplate="Window %{x}: mean score %{y:.3f}<extra></extra>",
        ),
        secondary_y=True,
    )
    _add_psi_guides(fig, secondary_y=False)
    fig.update_layout(
        title=title,
        template=TEMPLATE,
        height=HEIGHT_WINDOWS,
        xaxis_title="Window",
        xaxis={"dtick": 1},
        legend={"orientation": "h", "y": -0.25},
    )
    fig.update_yaxes(title_text="PSI of scores", secondary_y=False)
    fig.update_yaxes(title_text="Mean score", secondary_y=True, showgrid=False)
    return fig


def caption_prediction_drift(prediction_drift_df: pd.DataFrame) -> str:
    if prediction_drift_df.empty:
        return "No traffic has been monitored yet, so there are no predictions to compare."
    top = prediction_drift_df.loc[prediction_drift_df["psi"].idxmax()]
    first, last = prediction_drift_df.iloc[0], prediction_drift_df.iloc[-1]
    mean_text = f"the mean score moved from {format_number(first['mean_score'])} to {format_number(last['mean_score'])}"
    if top["psi"] < MODERATE_PSI:
        return f"The model's predictions are stable: the score PSI stays below 0.1 in every window and {mean_text}."
    return (
        f"The model's predictions shifted most in window {top['window']} (PSI {format_number(top['psi'])}, {top['label']}) "
        f"and {mean_text}: it is answering differently than on the training data."
    )


def add_required_line(fig: go.Figure, threshold: float) -> None:
    """The business bar across a per-window performance chart."""
    fig.add_hline(
        y=threshold,
        line_dash="dash",
        line_color=LIGHT_RED,
        annotation_text=f"required: {format_number(threshold)}",
        annotation_position="bottom left",
    )


def plot_performance(performance_df: pd.DataFrame) -> go.Figure:
    """The metric per window against the business threshold (dashed line)."""
    if performance_df.empty:
        return _empty_figure("Model performance per window", "No labels have arrived yet.")
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
            hovertemplate=f"Window %{{x}}: {name} %{{y:.3f}}<extra></extra>",
        )
    )
    add_required_line(fig, threshold)
    fig.update_layout(
        title=f"Model performance per window ({name})",
        template=TEMPLATE,
        height=HEIGHT_WINDOWS,
        xaxis_title="Window",
        yaxis_title=name,
        xaxis={"dtick": 1},
        showlegend=False,
    )
    return fig


def caption_performance(performance_df: pd.DataFrame) -> str:
    if performance_df.empty:
        return "Performance is not shown because no labels have arrived yet."
    df = performance_df.sort_values(WINDOW_COLUMN)
    name = metric_name(df["metric"].iloc[0])
    required = f"the required {format_number(float(df['threshold'].iloc[0]))}"
    first, last = df.iloc[0], df.iloc[-1]
    failed = df[~df["passed"]]
    latest = f"{format_number(last['value'])} in window {last['window']}"
    if failed.empty:
        return f"{name} meets {required} in every window (latest {latest}): the model still does its job."
    first_fail = failed.iloc[0]
    if last["passed"]:
        return (
            f"{name} missed {required} in window {first_fail['window']} ({format_number(first_fail['value'])}) "
            f"but is back at {latest}."
        )
    if first_fail["window"] == first["window"]:
        return (
            f"{name} already missed {required} in window {first['window']} and is at {latest}: "
            "the model does not meet the business requirement."
        )
    return (
        f"{name} met {required} until window {first_fail['window'] - 1} and is at {latest}: "
        "the model no longer meets the business requirement."
    )


def get_features_by_drift(feature_drift_df: pd.DataFrame) -> list[str]:
    """The monitored features, the most drifted (highest PSI in any window) first: the order to offer them in."""
    return list(feature_drift_df.sort_values("psi", ascending=False)["feature"].unique())


def caption_drift_table(config: DriftConfig) -> str:
    """Under the table of every feature and window: which tests ran and the drift rule."""
    tests = ", ".join(
        TEST_PHRASES.get(test.name) or f"{test.name} ({test.description})"
        for test in (config.get_test("numeric"), config.get_test("categorical"))
    )
    return (
        f"{tests}; a p-value below {config.pvalue_threshold} means the difference is unlikely to be chance. "
        "A feature counts as drifted when its PSI is major, or when the test is significant and the PSI at "
        "least moderate."
    )
