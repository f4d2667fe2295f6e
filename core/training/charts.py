"""The figures and plain-sentence captions of a tuning study: the best score found so far against the
default settings, and the trials drawn as parallel coordinates. Pure functions from
``get_trials_df``'s table to plotly figures and sentences, apart from the search itself (``tuning``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.formatting import format_significant
from core.i18n import _, ngettext
from core.problem.definition import (
    format_metric_value,
    get_metric_label,
    is_higher_better,
)
from core.style import HEIGHT, HEIGHT_MEDIUM, LOWERS, RAISES, TEMPLATE
from core.training.tuning import describe_gain


def plot_best_so_far(trials_df: pd.DataFrame, metric: str, default_score: float | None = None):
    label = get_metric_label(metric)
    fig = go.Figure()
    fig.add_scatter(
        x=trials_df["trial"],
        y=trials_df["cv_score"],
        mode="markers",
        name=_("each trial"),
        marker={"color": "#9aa5b1", "size": 8},
    )
    fig.add_scatter(
        x=trials_df["trial"],
        y=trials_df["best_so_far"],
        mode="lines",
        name=_("best so far"),
        line={"color": LOWERS, "width": 3, "shape": "hv"},
    )
    if default_score is not None and not math.isnan(default_score):
        fig.add_hline(
            y=default_score,
            line_dash="dot",
            line_color=RAISES,
            annotation_text=_("default settings"),
            annotation_position="bottom right",
        )
    fig.update_layout(
        template=TEMPLATE,
        height=HEIGHT_MEDIUM,
        title=_("Tuning: CV {label} trial by trial").format(label=label),
        xaxis_title="trial",
        yaxis_title=_("CV {label}").format(label=label),
        margin={"t": 50, "b": 40},
    )
    fig.update_xaxes(tickformat="d", dtick=1 if len(trials_df) <= 25 else None)
    values = pd.to_numeric(trials_df["cv_score"], errors="coerce").dropna().tolist()
    if default_score is not None and not math.isnan(default_score):
        values.append(default_score)
    if values:
        # At least a 2% wide window: a 0.0003 difference must not look like a leap.
        low, high = min(values), max(values)
        middle, span = (low + high) / 2, max(high - low, 0.02 * max(abs(low), abs(high), 1e-9))
        fig.update_yaxes(range=[middle - 0.6 * span, middle + 0.6 * span])
    return fig


def caption_best_so_far(trials_df: pd.DataFrame, metric: str, default_score: float | None = None) -> str:
    label = get_metric_label(metric)
    scored = trials_df.dropna(subset=["cv_score"]) if not trials_df.empty else trials_df
    if scored.empty:
        return _("No trial has finished with a score yet.")
    best_value = float(scored["best_so_far"].iloc[-1])
    best_trial = int(scored.loc[scored["cv_score"] == best_value, "trial"].iloc[0])
    shown = format_metric_value(metric, best_value)
    sentence = ngettext(
        "After {n} trial the best settings (trial {best_trial}) reach a CV {label} of {shown}",
        "After {n} trials the best settings (trial {best_trial}) reach a CV {label} of {shown}",
        len(trials_df),
    ).format(n=len(trials_df), best_trial=best_trial, label=label, shown=shown)
    if default_score is None or math.isnan(default_score):
        return sentence + "."
    verdict = describe_gain(metric, best_value, default_score)
    gain = best_value - default_score if is_higher_better(metric) else default_score - best_value
    if gain <= 0.001 * max(abs(default_score), 1e-12):  # describe_gain says "about the same" or "worse"
        return sentence + _(", {verdict}: the defaults were already a good choice.").format(verdict=verdict)
    return sentence + f", {verdict}."


def plot_parallel_coordinates(
    trials_df: pd.DataFrame, metric: str, dimensions: list[str], log_scale: tuple[str, ...] = ()
):
    """One line per trial across its settings, coloured by CV score: where good trials cluster.
    Settings in ``log_scale`` are drawn as log10, as they were searched."""
    label = get_metric_label(metric)
    scored = trials_df.dropna(subset=["cv_score"])
    axes = []
    for name in dimensions:
        values = scored[name]
        if pd.api.types.is_numeric_dtype(values) and name in log_scale and (values > 0).all():
            axes.append({"label": f"log10({name})", "values": np.log10(values.astype(float))})
        elif pd.api.types.is_numeric_dtype(values):
            axes.append({"label": name, "values": values.astype(float)})
        else:
            codes, uniques = pd.factorize(values.astype(str))
            axes.append(
                {"label": name, "values": codes, "tickvals": list(range(len(uniques))), "ticktext": list(uniques)}
            )
    axes.append(
        {"label": _("CV {label}").format(label=label), "values": scored["cv_score"].astype(float), "tickformat": ".3f"}
    )
    colorscale = "Viridis" if is_higher_better(metric) else "Viridis_r"
    fig = go.Figure(
        go.Parcoords(
            line={"color": scored["cv_score"].astype(float), "colorscale": colorscale, "showscale": True},
            dimensions=axes,
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        height=HEIGHT,
        title=_("Settings of every trial, coloured by score"),
        margin={"t": 100, "l": 70, "r": 70},
    )
    return fig


def caption_parallel_coordinates(trials_df: pd.DataFrame, metric: str, dimensions: list[str]) -> str:
    """Which setting separates the best quarter of the trials from the rest, in words."""
    scored = trials_df.dropna(subset=["cv_score"])
    if len(scored) < 4 or not dimensions:
        return _("Each line is one trial; run more trials to see which settings the good ones share.")
    higher = is_higher_better(metric)
    scores = scored["cv_score"].astype(float)
    if scores.max() - scores.min() <= 0.002 * max(abs(scores.mean()), 1e-9):
        return _(
            "Each line is one trial: all {n} trials score practically the same ({metric_value} to {metric_value2}), so within these ranges no setting matters much."
        ).format(
            n=len(scored),
            metric_value=format_metric_value(metric, scores.min()),
            metric_value2=format_metric_value(metric, scores.max()),
        )
    top = (
        scored.nlargest(max(1, len(scored) // 4), "cv_score")
        if higher
        else scored.nsmallest(max(1, len(scored) // 4), "cv_score")
    )
    spread = {}
    for name in dimensions:
        values = scored[name]
        if pd.api.types.is_numeric_dtype(values) and values.std() > 0:
            spread[name] = abs(top[name].mean() - values.mean()) / values.std()
    if not spread:
        return _("Each line is one trial; the colours show the score, the axes each setting it tried.")
    name = max(spread, key=lambda n: spread[n])
    template = (
        _(
            "Each line is one trial: the best quarter of the trials share a high '{name}' (around {significant} against {significant2} over all trials), the setting that matters most here."
        )
        if top[name].mean() > scored[name].mean()
        else _(
            "Each line is one trial: the best quarter of the trials share a low '{name}' (around {significant} against {significant2} over all trials), the setting that matters most here."
        )
    )
    return template.format(
        name=name,
        significant=format_significant(top[name].mean()),
        significant2=format_significant(scored[name].mean()),
    )
