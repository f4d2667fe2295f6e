"""The Explain stage's figures and the sentences under them: importance bars, the beeswarm and one
row's waterfall. Pure functions from the tables of ``importance`` to plotly figures and text.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.explain.context import EXPLAINER_BASELINE
from core.explain.importance import get_beeswarm_df
from core.explain.probability import SPACE_PROBABILITY, format_effect, format_output, output_words
from core.explain.result import Explanation
from core.formatting import format_as
from core.i18n import _
from core.style import LOWERS, RAISES, TEMPLATE, plot_text, plot_texts

# Greys and the importance bars' blue are this stage's own (the style module has no name for them).
IMPORTANCE_BAR = "#3366cc"
MISSING_VALUE = "#aaaaaa"
ZERO_LINE = "#888888"
TOTAL_BAR = "#7f7f7f"
CONNECTOR = "#bbbbbb"


def plot_importance(importance_df: pd.DataFrame, top: int = 15) -> go.Figure:
    """Horizontal bars of each feature's average effect on the prediction (mean |SHAP|), the most
    important at the top; bars, labels and axis in one unit (probability points, or the output's)."""
    probability = _space_of(str(importance_df.attrs.get("output", ""))) == SPACE_PROBABILITY
    shown = importance_df.head(top).iloc[::-1]
    scale = 100.0 if probability else 1.0
    sizes = shown["mean_abs_shap"].astype(float) * scale
    labels = [
        format_effect(v, SPACE_PROBABILITY if probability else "model").lstrip("+") for v in shown["mean_abs_shap"]
    ]
    figure = go.Figure(
        go.Bar(
            x=sizes,
            y=plot_texts(shown["feature"]),
            orientation="h",
            text=labels,
            customdata=[format_as(share, ".0%") for share in shown["share"]],
            textposition="outside",
            marker_color=IMPORTANCE_BAR,
            cliponaxis=False,
            hovertemplate="%{y}: on average %{text}<br>%{customdata} of the total effect<extra></extra>",
        )
    )
    # Headroom for the labels printed outside the longest bar.
    figure.update_xaxes(range=[0, float(sizes.max() or 1) * 1.25], tickformat=",~r")
    figure.update_layout(
        template=TEMPLATE,
        title=_("Which features drive the prediction: their average effect on it"),
        xaxis_title=_("average effect on the probability (percentage points)")
        if probability
        else _("average effect on the prediction (its own units)"),
        yaxis_title=None,
        height=min(450, 120 + 24 * len(shown)),
        margin={"l": 10, "r": 40, "t": 50, "b": 40},
    )
    return figure


def caption_importance(importance_df: pd.DataFrame, expl: Explanation) -> str:
    if expl.explainer == EXPLAINER_BASELINE or importance_df.empty or importance_df["mean_abs_shap"].max() <= 0:
        return _(
            "The baseline model ignores every feature and predicts the same value for every row, so no feature has any effect; compare it with a real model."
        )
    ranked = importance_df[importance_df["mean_abs_shap"] > 0]
    first = ranked.iloc[0]
    followers = list(ranked["feature"].iloc[1:3])
    text = _("{feature} drives the {output} most ({share} of the total effect)").format(
        feature=first["feature"], output=output_words(expl.output), share=format_as(first["share"], ".0%")
    )
    if followers:
        text += _(", followed by ") + " and ".join(followers)
    return text + _(
        ". Each bar is the feature's average effect on one prediction, whichever way it pushes (for the expert: the mean absolute SHAP value)."
    )


def plot_beeswarm(expl: Explanation, top: int = 10) -> go.Figure:
    """One strip of dots per feature: each dot a row, placed by its effect, coloured by its value."""
    data = get_beeswarm_df(expl, top)
    features = list(dict.fromkeys(data["feature"]))
    present, missing = data[data["colour"].notna()], data[data["colour"].isna()]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=present["shap"],
            y=present["y"],
            mode="markers",
            name="rows",
            marker={
                "color": present["colour"],
                "colorscale": "RdBu_r",
                "cmin": 0,
                "cmax": 1,
                "size": 6,
                "opacity": 0.75,
                "colorbar": {
                    "title": _("feature value"),
                    "tickvals": [0, 1],
                    "ticktext": [_("low / first"), _("high / last")],
                    "thickness": 12,
                },
            },
            customdata=(
                np.stack([plot_texts(present["feature"]), plot_texts(present["value"])], axis=-1)
                if len(present)
                else None
            ),
            hovertemplate="%{customdata[0]} = %{customdata[1]}<br>effect %{x:+.3g}<extra></extra>",
            showlegend=False,
        )
    )
    if len(missing):
        figure.add_trace(
            go.Scatter(
                x=missing["shap"],
                y=missing["y"],
                mode="markers",
                name=_("missing value"),
                marker={"color": MISSING_VALUE, "size": 6, "opacity": 0.75},
                customdata=plot_texts(missing["feature"]),
                hovertemplate="%{customdata} missing<br>effect %{x:+.3g}<extra></extra>",
            )
        )
    figure.add_vline(x=0, line_color=ZERO_LINE, line_width=1)
    figure.update_layout(
        template=TEMPLATE,
        title=plot_text(_("Effect of each feature on each row ({output})").format(output=output_words(expl.output))),
        xaxis_title=plot_text(_("effect on the {output} (SHAP value)").format(output=output_words(expl.output))),
        xaxis={"tickformat": ".0%" if _space_of(expl.output) == SPACE_PROBABILITY else ",~r"},
        yaxis={
            "tickvals": list(range(len(features)))[::-1],
            "ticktext": plot_texts(features),
            "range": [-0.6, len(features) - 0.4],
        },
        height=min(450, 140 + 30 * len(features)),
        margin={"l": 10, "r": 10, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def caption_beeswarm(expl: Explanation, importance_df: pd.DataFrame) -> str:
    if expl.explainer == EXPLAINER_BASELINE or importance_df["mean_abs_shap"].max() <= 0:
        return _(
            "Every dot sits at zero: the baseline model gives every row the same prediction whatever its features."
        )
    first = importance_df.iloc[0]
    feature = first["feature"]
    effects = expl.shap_df[feature]
    space = _space_of(expl.output)
    spread = _(
        "each dot is one of the {rows_explained} explained rows; {feature} moves the {output} the most, from {effect} to {effect2}"
    ).format(
        rows_explained=format_as(expl.rows_explained, ","),
        feature=feature,
        output=output_words(expl.output),
        effect=format_effect(effects.min(), space),
        effect2=format_effect(effects.max(), space),
    )
    if first["kind"] == "numeric" and not math.isnan(first["correlation"]) and abs(first["correlation"]) >= 0.2:
        way = "up" if first["correlation"] > 0 else "down"
        spread += _(", and high values (red) push it {way}").format(way=way)
    elif first["kind"] == "categorical" and first["top_category"] is not None:
        spread += _(", and {feature} = {top_category} pushes it up most").format(
            feature=feature, top_category=first["top_category"]
        )
    return spread[0].upper() + spread[1:] + "."


def plot_waterfall(waterfall_df: pd.DataFrame, base_value: float, title: str | None = None) -> go.Figure:
    """From the average prediction, through each feature's push, to this row's prediction.

    Numbers are written for reading: percentage points when the output is a probability, plain
    figures with thousands separators otherwise (never e-notation)."""
    prediction = base_value + float(waterfall_df["shap"].sum())
    output = waterfall_df.attrs.get("output", "prediction")
    space = _space_of(output)
    labels = [_("average prediction"), *waterfall_df["label"], _("this row's prediction")]
    figure = go.Figure(
        go.Waterfall(
            orientation="h",
            y=plot_texts(labels),
            x=[base_value, *waterfall_df["shap"], prediction],
            measure=["absolute", *["relative"] * len(waterfall_df), "total"],
            text=[
                format_output(base_value, space),
                *[format_effect(v, space) for v in waterfall_df["shap"]],
                format_output(prediction, space),
            ],
            textposition="outside",
            cliponaxis=False,
            increasing={"marker": {"color": RAISES}},
            decreasing={"marker": {"color": LOWERS}},
            totals={"marker": {"color": TOTAL_BAR}},
            connector={"line": {"color": CONNECTOR}},
        )
    )
    shown = output_words(output)
    heading = f"{title}: {shown}" if title else _("Why this row gets its prediction ({output})").format(output=shown)
    figure.update_layout(
        template=TEMPLATE,
        title=plot_text(heading),
        xaxis_title=plot_text(_("{output} (in %)").format(output=shown) if space == SPACE_PROBABILITY else shown),
        xaxis={"tickformat": ".0%" if space == SPACE_PROBABILITY else ",~r"},
        yaxis={"autorange": "reversed", "automargin": True},
        height=min(450, 140 + 24 * len(labels)),
        margin={"l": 10, "r": 70, "t": 50, "b": 40},
    )
    return figure


def _space_of(output: str) -> str:
    if output.startswith("probability of"):
        return SPACE_PROBABILITY
    return "model"


def caption_waterfall(waterfall_df: pd.DataFrame, base_value: float, prediction: float | None = None) -> str:
    if prediction is None:
        prediction = base_value + float(waterfall_df["shap"].sum())
    output = waterfall_df.attrs.get("output", "prediction")
    space = _space_of(output)
    if space == SPACE_PROBABILITY:
        start = _(
            "The model's estimate of {removeprefix} goes from {output} (an average row) to {output2} for this row"
        ).format(
            removeprefix=output.removeprefix("probability of "),
            output=format_output(base_value, space),
            output2=format_output(prediction, space),
        )
    else:
        start = _("For this row the {output} starts from the average {output2} and ends at {output3}").format(
            output=output_words(output),
            output2=format_output(base_value, space),
            output3=format_output(prediction, space),
        )
    features = waterfall_df[waterfall_df["feature"] != "other features"]
    # An effect that rounds to nothing ("0.0 pts") pushes nothing: never "pushes it up most (0.0 pts)".
    features = features[
        [format_effect(v, space).lstrip("+-") not in ("0", format_effect(0.0, space)) for v in features["shap"]]
    ]
    ups, downs = features[features["shap"] > 0], features[features["shap"] < 0]
    if ups.empty and downs.empty:
        return start + _(": no feature changes it.")
    parts = []
    if not ups.empty:
        parts.append(
            _("{label} pushes it up most ({effect})").format(
                label=ups.iloc[0]["label"], effect=format_effect(ups.iloc[0]["shap"], space)
            )
        )
    if not downs.empty:
        parts.append(
            _("{label} pulls it down most ({effect})").format(
                label=downs.iloc[0]["label"], effect=format_effect(downs.iloc[0]["shap"], space)
            )
        )
    return start + ": " + _(", while ").join(parts) + "."
