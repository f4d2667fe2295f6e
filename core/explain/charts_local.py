"""Sentences, tables and the figure for one row's local explanations: counterfactuals ("had tenure been
14 instead of 3, the model would have said 'stays'") and SHAP beside the local surrogate. Pure
functions of the results of ``counterfactual`` and ``local_surrogate``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.explain.counterfactual import Counterfactual, CounterfactualResult, Outcome
from core.explain.local_surrogate import Agreement, LocalSurrogate
from core.formatting import format_probability, format_share, format_statistic, format_threshold
from core.style import ACCENT, MUTED, TEMPLATE, plot_text, plot_texts

SHAP_BAR = ACCENT
SURROGATE_BAR = MUTED


def format_value(value: Any) -> str:
    """A feature's value in a sentence: numbers rounded for reading, text quoted, 'missing'."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return "missing"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _number(float(value))
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat(sep=" ")
    return f"'{value}'"


def _number(value: float) -> str:
    if value.is_integer():
        return f"{int(value):,}"
    if abs(value) >= 1:
        return format_statistic(value)
    text = f"{value:.4g}"
    return f"{value:.10f}".rstrip("0") if "e" in text else text  # 0.00001234, never 1.234e-05


def describe_outcome(outcome: Outcome, result: CounterfactualResult) -> str:
    """'No' (38% probability of 'Yes') / 'virginica' (84% probable) / 251 (predicted price)."""
    if result.task == "regression":
        name = f" {result.target_name}" if result.target_name else ""
        return f"a predicted{name} of {_number(outcome.score)}"
    if result.task == "binary":
        positive = outcome.probabilities.get(result.positive_class, float("nan"))
        return f"'{outcome.label}' ({format_probability(positive, result.threshold)} probability of '{result.positive_class}')"
    return f"'{outcome.label}' ({format_share(outcome.score)} probable)"


def describe_counterfactual(counterfactual: Counterfactual, result: CounterfactualResult) -> str:
    """ "Had tenure been 14 instead of 3 and Contract 'One year' instead of 'Month-to-month', the model
    would have said 'No' (38% probability of 'Yes')."""
    parts = [
        f"{c.feature} been {format_value(c.after)} instead of {format_value(c.before)}" for c in counterfactual.changes
    ]
    changes = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    verb = "given" if result.task == "regression" else "said"
    return f"Had {changes}, the model would have {verb} {describe_outcome(counterfactual.outcome, result)}."


def describe_threshold(result: CounterfactualResult) -> str:
    """ " The model says 'Yes' from 9.0%." for a binary model ("" otherwise): the line the probabilities
    are read against."""
    if result.task != "binary" or result.threshold is None:
        return ""
    return f" The model says '{result.positive_class}' from {format_threshold(result.threshold)}."


def caption_counterfactuals(result: CounterfactualResult) -> str:
    """What the model says now, and what was searched (or why nothing was found)."""
    now = f"The model says {describe_outcome(result.original, result)} for this row.{describe_threshold(result)}"
    if not result.counterfactuals:
        return f"{now} {result.message}"
    count = len(result.counterfactuals)
    options = "the smallest change found that makes" if count == 1 else f"the {count} smallest changes found that make"
    verb = "reach" if result.task == "regression" else "say"
    return (
        f"{now} Below, {options} it {verb} {result.goal}, changing only the features allowed to change; "
        f"each changed row was predicted again to check it ({result.rows_tried:,} rows tried in the search)."
    )


def get_counterfactual_df(result: CounterfactualResult) -> pd.DataFrame:
    """One row per counterfactual: what changes, the model's new answer, how far the row moved."""
    rows = [
        {
            "option": i + 1,
            "changes": "; ".join(
                f"{c.feature}: {format_value(c.before)} → {format_value(c.after)}" for c in cf.changes
            ),
            "the model would say": describe_outcome(cf.outcome, result),
            "distance": round(cf.distance, 2),
        }
        for i, cf in enumerate(result.counterfactuals)
    ]
    return pd.DataFrame(rows, columns=["option", "changes", "the model would say", "distance"])


# -- SHAP beside the local surrogate ------------------------------------------------------------


def format_effect(value: float, units: str) -> str:
    """A contribution: '+12.3 points' of probability, or a signed number of the output."""
    if units == "probability":
        return f"{100 * value:+.1f} points".replace("-", "−")
    return ("+" if value >= 0 else "−") + _number(abs(float(value)))


def get_local_methods_df(shap: pd.Series, surrogate: LocalSurrogate, top: int = 10) -> pd.DataFrame:
    """The strongest features by either method, with both contributions."""
    both = pd.DataFrame({"SHAP": shap.astype(float), "local surrogate": surrogate.contributions.astype(float)}).fillna(
        0.0
    )
    strength = both.abs().max(axis=1).sort_values(ascending=False, kind="stable")
    return both.loc[strength.index[:top]].rename_axis("feature").reset_index()


def plot_local_methods(methods_df: pd.DataFrame, units: str) -> go.Figure:
    """Two bars per feature: SHAP and the surrogate's contribution, the strongest at the top."""
    shown = methods_df.iloc[::-1]
    scale = 100.0 if units == "probability" else 1.0
    figure = go.Figure()
    for column, colour in (("SHAP", SHAP_BAR), ("local surrogate", SURROGATE_BAR)):
        figure.add_trace(
            go.Bar(
                x=shown[column] * scale,
                y=plot_texts(shown["feature"]),
                orientation="h",
                name=column,
                marker_color=colour,
                hovertemplate="%{y}: %{x:+.3g}<extra>" + column + "</extra>",
            )
        )
    axis = "effect on the probability (points)" if units == "probability" else f"effect on the {plot_text(units)}"
    figure.update_layout(
        template=TEMPLATE,
        barmode="group",
        title="One row, two explanations: SHAP and a local surrogate",
        xaxis_title=axis,
        yaxis_title=None,
        height=min(520, 140 + 40 * len(shown)),
        margin={"l": 10, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def caption_local_methods(agreement: Agreement, surrogate: LocalSurrogate) -> str:
    """Where the two methods agree (same strongest features, same directions, rank correlation) and
    where they do not."""
    n = len(agreement.top_shap)
    if n == 0:
        return "There are no features to compare."
    if agreement.no_effect:
        return "Neither method finds any effect: the model gives this answer whatever the row's values (a baseline)."
    shared = len(agreement.shared_top)
    names = ", ".join(agreement.top_shap)
    if shared == n:
        lead = f"Both methods name the same {n} strongest feature{'s' if n > 1 else ''} for this row ({names})"
    elif shared == 0:
        other = ", ".join(agreement.top_surrogate)
        lead = f"The methods name different strongest features: SHAP {names}, the local surrogate {other}"
    else:
        lead = f"The methods share {shared} of their {n} strongest features ({', '.join(agreement.shared_top)})"
    if agreement.opposite_sign:
        signs = f"; they disagree on the direction of {', '.join(agreement.opposite_sign)}"
    else:
        signs = " and agree on the direction of each"
    rho = agreement.rank_correlation
    if math.isnan(rho):
        ranking = ""
    else:
        strength = "closely" if rho >= 0.7 else "somewhat" if rho >= 0.4 else "little"
        ranking = f" Over all features their orderings agree {strength} (rank correlation {rho:.2f})."
    fit = (
        " The straight line fits the model near this row poorly, so trust SHAP where they differ."
        if surrogate.r2 < 0.5
        else ""
    )
    return f"{lead}{signs}.{ranking}{fit}"
