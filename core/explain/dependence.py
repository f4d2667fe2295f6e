"""Dependence of one feature's effect on its value (value vs SHAP), coloured by the feature it
interacts with most; the tables, the choice of that feature, the figure and its sentence.

Choosing the interacting feature (cheap, from the saved SHAP values only; no interaction values):
rows with similar values of the feature should get similar effects unless another feature changes
them. So the feature's rows are put in bins of similar values (ten quantile bins for numbers, one
bin per category) and, inside each bin, every other feature is scored by how well it explains the
effect's spread there: for a number, the absolute Spearman correlation of its values with the
effect; for a category, the square root of the bias-corrected share of the effect's variance between
its categories (ε², so many small categories score no higher by chance; categories with fewer
than ``MIN_CATEGORY_ROWS`` rows in the bin count as one). A feature's score is the
average over the bins (weighted by rows; bins under ``MIN_BIN_ROWS`` rows are skipped). Working per bin
catches an interaction whose sign flips across the feature's range (x × partner). The highest score
wins; below ``MIN_INTERACTION_SCORE`` (above what noise scores in bins of ~20 rows) none is shown.
This is shap's ``approximate_interactions`` idea with a documented, unit-tested rule.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.explain.importance import _feature_numeric_values
from core.explain.probability import SPACE_PROBABILITY, format_effect, get_space, output_words
from core.explain.result import Explanation
from core.formatting import format_feature_value
from core.i18n import _
from core.style import TEMPLATE, plot_text, plot_texts

BINS = 10
MIN_INTERACTION_SCORE = 0.3
MIN_BIN_ROWS = 8
MIN_CATEGORY_ROWS = 3  # in a bin, rarer categories are scored together
MAX_COLOUR_CATEGORIES = 10  # more categories are grouped as "other"
_JITTER = 0.3
CATEGORY_COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#aec7e8",
]


def _labels(values: pd.Series) -> pd.Series:
    """Category labels as text, "missing" for missing values."""
    return values.astype(object).where(values.notna(), "missing").astype(str)


def _bins(values: pd.Series) -> np.ndarray:
    kind, numeric = _feature_numeric_values(values)
    if kind == "numeric" and numeric is not None:
        ranks = pd.Series(numeric).rank(method="first", pct=True).to_numpy()
        return np.where(np.isnan(ranks), -1, np.minimum((ranks * BINS).astype(int), BINS - 1))
    return pd.factorize(_labels(values))[0]


def get_interaction_scores(expl: Explanation, feature: str) -> pd.Series:
    """Every other feature's score (0-1) for explaining the spread of ``feature``'s effect among rows
    with similar values of it (see the module docstring); highest first."""
    shap_values = expl.shap_df[feature].to_numpy(dtype=float)
    values = expl.values_df[feature] if feature in expl.values_df else pd.Series(np.nan, index=expl.shap_df.index)
    bins = _bins(values)
    groups = [np.flatnonzero(bins == b) for b in np.unique(bins)]
    groups = [g for g in groups if len(g) >= MIN_BIN_ROWS]
    scores = {}
    for other in expl.shap_df.columns:
        if other == feature or other not in expl.values_df:
            continue
        other_values = expl.values_df[other].reset_index(drop=True)
        weighted = [(len(g), _score(other_values.iloc[g], shap_values[g])) for g in groups]
        total = sum(n for n, _w in weighted)
        scores[str(other)] = sum(n * score for n, score in weighted) / total if total else 0.0
    return pd.Series(scores, dtype=float).sort_values(ascending=False, kind="stable")


def _score(values: pd.Series, effects: np.ndarray) -> float:
    """How well ``values`` explain the spread of ``effects`` (rows of one bin): 0-1."""
    if np.std(effects) == 0:
        return 0.0
    kind, numeric = _feature_numeric_values(values)
    if kind == "numeric" and numeric is not None:
        keep = ~np.isnan(numeric)
        if keep.sum() < 3 or np.std(numeric[keep]) == 0:
            return 0.0
        rho = pd.Series(numeric[keep]).rank().corr(pd.Series(effects[keep]).rank())
        return 0.0 if math.isnan(rho) else float(abs(rho))
    labels = _labels(values)
    counts = labels.value_counts()
    labels = labels.where(labels.map(counts).to_numpy() >= MIN_CATEGORY_ROWS, "(rare)")  # one group of the rare ones
    groups = pd.factorize(labels)[0]
    k, n = groups.max() + 1, len(effects)
    if k < 2 or n <= k:
        return 0.0
    total = float(((effects - effects.mean()) ** 2).sum())
    means = pd.Series(effects).groupby(groups).transform("mean").to_numpy()
    within = float(((effects - means) ** 2).sum())
    epsilon_squared = (total - within - (k - 1) * within / (n - k)) / total
    return float(math.sqrt(max(epsilon_squared, 0.0)))


def choose_interaction(expl: Explanation, feature: str) -> str | None:
    """The feature that best explains the spread of ``feature``'s effect, or None when none does."""
    scores = get_interaction_scores(expl, feature)
    if scores.empty or scores.iloc[0] < MIN_INTERACTION_SCORE:
        return None
    return str(scores.index[0])


def get_dependence_df(expl: Explanation, feature: str, colour_by: str | None) -> pd.DataFrame:
    """One row per explained row: the feature's value (x, a number or a category), its effect
    (shap), the colouring feature's value as text and, for a numeric colour, as a number.

    ``attrs``: kind of x ("numeric"/"categorical"), colour kind, output."""
    values = expl.values_df[feature] if feature in expl.values_df else pd.Series(np.nan, index=expl.shap_df.index)
    kind, numeric = _feature_numeric_values(values)
    frame = pd.DataFrame(index=expl.shap_df.index)
    if kind == "numeric" and numeric is not None and not pd.api.types.is_datetime64_any_dtype(values):
        frame["x"] = numeric
    elif kind == "numeric":
        frame["x"] = pd.to_datetime(values, errors="coerce", format="mixed")
    else:
        frame["x"] = _labels(values).to_numpy()
    frame["shap"] = expl.shap_df[feature].to_numpy(dtype=float)
    frame["value"] = [format_feature_value(v) for v in values]
    colour_kind = None
    if colour_by is not None and colour_by in expl.values_df:
        colour_values = expl.values_df[colour_by]
        colour_kind, colour_numeric = _feature_numeric_values(colour_values)
        frame["colour_text"] = [format_feature_value(v) for v in colour_values]
        if colour_kind == "numeric" and colour_numeric is not None:
            frame["colour"] = colour_numeric
        else:
            labels = _labels(colour_values)
            top = labels.value_counts().index[:MAX_COLOUR_CATEGORIES]
            frame["colour"] = labels.where(labels.isin(top), "other").to_numpy()
    frame.attrs.update({"kind": kind, "colour_kind": colour_kind, "output": expl.output, "space": get_space(expl)})
    return frame.reset_index(drop=True)


def plot_dependence(dependence_df: pd.DataFrame, feature: str, colour_by: str | None) -> go.Figure:
    """Value against effect, one dot per row; categories as jittered columns; coloured by the
    interacting feature: a colour scale for numbers, one colour (and legend entry) per category."""
    df = dependence_df
    kind, colour_kind, output = df.attrs["kind"], df.attrs["colour_kind"], output_words(df.attrs["output"])
    figure = go.Figure()
    categories: list[str] = []
    if kind == "categorical":
        categories = list(df.groupby("x")["shap"].mean().sort_values().index)
        position = {c: i for i, c in enumerate(categories)}
        jitter = np.random.default_rng(0).uniform(-_JITTER, _JITTER, len(df))
        x = df["x"].map(position).to_numpy(dtype=float) + jitter
    else:
        x = df["x"]
    hover = _("%{customdata[0]}<br>effect %{y:.3~g}")
    if colour_kind == "numeric":
        figure.add_trace(
            go.Scatter(
                x=x,
                y=df["shap"],
                mode="markers",
                marker={
                    "color": df["colour"],
                    "colorscale": "RdBu_r",
                    "size": 6,
                    "opacity": 0.8,
                    "colorbar": {"title": plot_text(colour_by), "thickness": 12},
                },
                customdata=np.stack([plot_texts(df["value"]), plot_texts(df["colour_text"])], axis=-1),
                hovertemplate=f"{plot_text(feature)} = {hover}<br>{plot_text(colour_by)} = %{{customdata[1]}}<extra></extra>",
                showlegend=False,
            )
        )
    elif colour_kind == "categorical":
        for i, category in enumerate(sorted(df["colour"].unique(), key=str)):
            part = df["colour"] == category
            figure.add_trace(
                go.Scatter(
                    x=np.asarray(x)[part.to_numpy()],
                    y=df.loc[part, "shap"],
                    mode="markers",
                    name=plot_text(category),
                    marker={"color": CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)], "size": 6, "opacity": 0.8},
                    customdata=np.stack([plot_texts(df.loc[part, "value"])], axis=-1),
                    hovertemplate=f"{plot_text(feature)} = {hover}<extra>{plot_text(category)}</extra>",
                )
            )
    else:
        figure.add_trace(
            go.Scatter(
                x=x,
                y=df["shap"],
                mode="markers",
                marker={"color": CATEGORY_COLOURS[0], "size": 6, "opacity": 0.8},
                customdata=np.stack([plot_texts(df["value"])], axis=-1),
                hovertemplate=f"{plot_text(feature)} = {hover}<extra></extra>",
                showlegend=False,
            )
        )
    figure.add_hline(y=0, line_color="#888888", line_width=1)
    if kind == "categorical":
        figure.update_xaxes(tickvals=list(range(len(categories))), ticktext=plot_texts(categories))
    unit = _(" (in %)") if df.attrs["space"] == SPACE_PROBABILITY else ""
    coloured = _(", coloured by {colour_by}").format(colour_by=colour_by) if colour_by else ""
    figure.update_layout(
        template=TEMPLATE,
        title=plot_text(_("How {feature} moves the prediction{coloured}").format(feature=feature, coloured=coloured)),
        xaxis_title=plot_text(feature),
        yaxis_title=plot_text(_("effect on the {output}{unit}").format(output=output, unit=unit)),
        yaxis={"tickformat": ".1%" if df.attrs["space"] == SPACE_PROBABILITY else ",~r"},
        legend={"title": {"text": plot_text(colour_by or "")}},
        height=380,
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
    )
    return figure


def caption_dependence(dependence_df: pd.DataFrame, feature: str, colour_by: str | None) -> str:
    """One sentence: which way the feature pushes, and what the colour shows."""
    df, space = dependence_df, dependence_df.attrs["space"]
    output = output_words(df.attrs["output"])
    if df.empty or float(df["shap"].abs().max()) == 0:
        return _("{feature} has no effect on the {output} for any explained row.").format(
            feature=feature, output=output
        )
    if df.attrs["kind"] == "categorical":
        means = df.groupby("x")["shap"].mean().sort_values()
        text = _(
            "{feature} = {value} pushes the {output} up most (on average {effect}), {feature} = {value2} down most ({effect2})"
        ).format(
            feature=feature,
            value=means.index[-1],
            output=output,
            effect=format_effect(means.iloc[-1], space),
            value2=means.index[0],
            effect2=format_effect(means.iloc[0], space),
        )
    else:
        x = pd.to_numeric(df["x"], errors="coerce") if df.attrs["kind"] == "numeric" else df["x"]
        rho = pd.Series(x).rank().corr(df["shap"].rank())
        if math.isnan(rho) or abs(rho) < 0.2:
            text = _("{feature}'s effect on the {output} does not follow its value in one direction").format(
                feature=feature, output=output
            )
        else:
            text = (
                _("Higher {feature} pushes the {output} up")
                if rho > 0
                else _("Higher {feature} pushes the {output} down")
            ).format(feature=feature, output=output)
    if colour_by:
        text += _(
            "; the colour is {colour_by}, the feature that best explains why rows with the same {feature} differ"
        ).format(colour_by=colour_by, feature=feature)
    return text + "."
