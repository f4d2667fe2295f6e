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
from core.formatting import format_as, format_probability, format_share, format_statistic, format_threshold
from core.i18n import N_, _, ngettext
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
        return format_as(int(value), ",")
    if abs(value) >= 1:
        return format_statistic(value)
    text = format_as(value, ".4g")
    return format_as(value, ".10f").rstrip("0") if "e" in text else text  # 0.00001234, never 1.234e-05


def describe_outcome(outcome: Outcome, result: CounterfactualResult) -> str:
    """'No' (38% probability of 'Yes') / 'virginica' (84% probable) / 251 (predicted price)."""
    if result.task == "regression":
        name = f" {result.target_name}" if result.target_name else ""
        return _("a predicted{name} of {number}").format(name=name, number=_number(outcome.score))
    if result.task == "binary":
        positive = outcome.probabilities.get(result.positive_class, float("nan"))
        return _("'{label}' ({probability} probability of '{positive_class}')").format(
            label=outcome.label,
            probability=format_probability(positive, result.threshold),
            positive_class=result.positive_class,
        )
    return _("'{label}' ({share} probable)").format(label=outcome.label, share=format_share(outcome.score))


def describe_counterfactual(counterfactual: Counterfactual, result: CounterfactualResult) -> str:
    """ "Had tenure been 14 instead of 3 and Contract 'One year' instead of 'Month-to-month', the model
    would have said 'No' (38% probability of 'Yes')."""
    parts = [
        _("{feature} been {value} instead of {value2}").format(
            feature=c.feature, value=format_value(c.after), value2=format_value(c.before)
        )
        for c in counterfactual.changes
    ]
    changes = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + _(" and ") + parts[-1]
    template = (
        _("Had {changes}, the model would have given {outcome}.")
        if result.task == "regression"
        else _("Had {changes}, the model would have said {outcome}.")
    )
    return template.format(changes=changes, outcome=describe_outcome(counterfactual.outcome, result))


def describe_threshold(result: CounterfactualResult) -> str:
    """ " The model says 'Yes' from 9.0%." for a binary model ("" otherwise): the line the probabilities
    are read against."""
    if result.task != "binary" or result.threshold is None:
        return ""
    return _(" The model says '{positive_class}' from {cutoff}.").format(
        positive_class=result.positive_class, cutoff=format_threshold(result.threshold)
    )


def caption_counterfactuals(result: CounterfactualResult) -> str:
    """What the model says now, and what was searched (or why nothing was found)."""
    now = _("The model says {outcome} for this row.{cutoff_note}").format(
        outcome=describe_outcome(result.original, result), cutoff_note=describe_threshold(result)
    )
    if not result.counterfactuals:
        return f"{now} {result.message}"
    count = len(result.counterfactuals)
    if result.task == "regression":
        template = ngettext(
            "{now} Below, the smallest change found that makes it reach {goal}, changing only the features allowed to change; each changed row was predicted again to check it ({rows_tried} rows tried in the search).",
            "{now} Below, the {count} smallest changes found that make it reach {goal}, changing only the features allowed to change; each changed row was predicted again to check it ({rows_tried} rows tried in the search).",
            count,
        )
    else:
        template = ngettext(
            "{now} Below, the smallest change found that makes it say {goal}, changing only the features allowed to change; each changed row was predicted again to check it ({rows_tried} rows tried in the search).",
            "{now} Below, the {count} smallest changes found that make it say {goal}, changing only the features allowed to change; each changed row was predicted again to check it ({rows_tried} rows tried in the search).",
            count,
        )
    return template.format(now=now, count=count, goal=result.goal, rows_tried=format_as(result.rows_tried, ","))


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


# The counterfactual table's columns as people read them: ``df.rename(columns=counterfactual_headers())``.
_COUNTERFACTUAL_HEADERS = {
    "option": N_("option"),
    "changes": N_("changes"),
    "the model would say": N_("the model would say"),
    "distance": N_("distance"),
}


def counterfactual_headers() -> dict[str, str]:
    return {column: _(words) for column, words in _COUNTERFACTUAL_HEADERS.items()}


# -- SHAP beside the local surrogate ------------------------------------------------------------


def format_effect(value: float, units: str) -> str:
    """A contribution: '+12.3 points' of probability, or a signed number of the output."""
    if units == "probability":
        return _("{value} points").format(value=f"{100 * value:+.1f}".replace("-", "−"))
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
    for column, colour in ((N_("SHAP"), SHAP_BAR), (N_("local surrogate"), SURROGATE_BAR)):
        figure.add_trace(
            go.Bar(
                x=shown[column] * scale,
                y=plot_texts(shown["feature"]),
                orientation="h",
                name=_(column),
                marker_color=colour,
                hovertemplate="%{y}: %{x:+.3g}<extra>" + _(column) + "</extra>",
            )
        )
    axis = (
        _("effect on the probability (points)")
        if units == "probability"
        else _("effect on the {plot_text}").format(plot_text=plot_text(units))
    )
    figure.update_layout(
        template=TEMPLATE,
        barmode="group",
        title=_("One row, two explanations: SHAP and a local surrogate"),
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
        return _("There are no features to compare.")
    if agreement.no_effect:
        return _("Neither method finds any effect: the model gives this answer whatever the row's values (a baseline).")
    shared = len(agreement.shared_top)
    names = ", ".join(agreement.top_shap)
    if shared == n:
        lead = ngettext(
            "Both methods name the same {n} strongest feature for this row ({names})",
            "Both methods name the same {n} strongest features for this row ({names})",
            n,
        ).format(n=n, names=names)
    elif shared == 0:
        other = ", ".join(agreement.top_surrogate)
        lead = _("The methods name different strongest features: SHAP {names}, the local surrogate {other}").format(
            names=names, other=other
        )
    else:
        lead = _("The methods share {shared} of their {n} strongest features ({join})").format(
            shared=shared, n=n, join=", ".join(agreement.shared_top)
        )
    if agreement.opposite_sign:
        signs = _("; they disagree on the direction of {join}").format(join=", ".join(agreement.opposite_sign))
    else:
        signs = _(" and agree on the direction of each")
    rho = agreement.rank_correlation
    if math.isnan(rho):
        ranking = ""
    else:
        ranking = (
            _(" Over all features their orderings agree closely (rank correlation {rho}).")
            if rho >= 0.7
            else _(" Over all features their orderings agree somewhat (rank correlation {rho}).")
            if rho >= 0.4
            else _(" Over all features their orderings agree little (rank correlation {rho}).")
        ).format(rho=format_as(rho, ".2f"))
    fit = (
        _(" The straight line fits the model near this row poorly, so trust SHAP where they differ.")
        if surrogate.r2 < 0.5
        else ""
    )
    return f"{lead}{signs}.{ranking}{fit}"
