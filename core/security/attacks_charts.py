"""The attacks' charts and their one plain sentence each: evasion before and after adversarial
training, and the extraction demo (the copy's fidelity, each key's coverage of the input space).
Apart from the computation (``evasion``, ``attacks``, ``extraction``), so a translation touches one place.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from core.formatting import format_count, format_feature_value, format_percent
from core.i18n import _
from core.problem.definition import get_metric_label
from core.style import ACCENT, GOOD, HEIGHT_SMALL, MUTED, WARN, plot_texts, style_figure


def describe_changes(changes: list[Any]) -> str:
    """'contract: One year → Month-to-month, tenure_months: 12 → 13'."""
    return ", ".join(
        _("{feature}: {before} → {after}").format(
            feature=feature, before=format_feature_value(before), after=format_feature_value(after)
        )
        for feature, before, after in changes
    )


def caption_evasion(result: dict[str, Any]) -> str:
    """What an evasion measurement says, in one or two sentences."""
    tried, flipped = int(result["tried"]), int(result["flipped"])
    if not tried:
        return _("The model already says '{desired}' for every holdout row: there is no decision to flip.").format(
            desired=result["desired"]
        )
    sentence = _(
        "{flipped} of {tried} rows the model does not give '{desired}' ({share}) get it with a change inside the budget."
    ).format(
        flipped=format_count(flipped),
        tried=format_count(tried),
        desired=result["desired"],
        share=format_percent(flipped / tried, 0),
    )
    flips = result.get("flips") or []
    if flips:
        sentence += " " + _("The cheapest: {changes}.").format(changes=describe_changes(flips[0]["changes"]))
    return sentence


def plot_evasion_comparison(saved: dict[str, Any]) -> go.Figure:
    """Two bars: the share of rejected rows the budget flips, before and after adversarial training."""
    labels = [_("Deployed model"), _("After adversarial training")]
    rates = [_rate(saved["before"]), _rate(saved["after"])]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=rates,
            marker_color=[WARN, GOOD],
            text=[format_percent(r, 0) for r in rates],
            textposition="outside",
        )
    )
    fig.update_yaxes(title_text=_("Rows flipped"), range=[0, 1.1], tickformat=".0%")
    return style_figure(fig, title=_("How easily a decision flips"), height=HEIGHT_SMALL)


def caption_evasion_comparison(saved: dict[str, Any]) -> str:
    """The side-by-side comparison and what it cost, in plain words."""
    metric = get_metric_label(saved["metric"])
    before, after = _rate(saved["before"]), _rate(saved["after"])
    cost = _metric_words(saved["metric_before"], saved["metric_after"], metric)
    accuracy = _metric_words(saved["accuracy_before"], saved["accuracy_after"], get_metric_label("accuracy"))
    return _(
        "Before adversarial training {before} of the rejected rows tried flip with a change inside the budget; after it, {after}. It cost: {cost}; {accuracy}."
    ).format(before=format_percent(before, 0), after=format_percent(after, 0), cost=cost, accuracy=accuracy)


def _metric_words(before: float | None, after: float | None, label: str) -> str:
    if before is None or after is None:
        return _("{metric} cannot be computed on this holdout").format(metric=label)
    return _("{metric} {before} → {after}").format(
        metric=label, before=format_feature_value(round(before, 3)), after=format_feature_value(round(after, 3))
    )


def _rate(result: dict[str, Any]) -> float:
    return result["flipped"] / result["tried"] if result["tried"] else 0.0


def plot_extraction_coverage(report: pd.DataFrame) -> go.Figure:
    """Per key: the share of the input space its questions cover, beside what as many real cases cover."""
    judged = report.dropna(subset=["coverage"]) if len(report) else report
    keys = plot_texts(list(judged["key"])) if len(judged) else []
    fig = go.Figure(
        [
            go.Bar(name=_("Its questions"), x=keys, y=list(judged["coverage"]), marker_color=ACCENT),
            go.Bar(name=_("As many real cases"), x=keys, y=list(judged["expected_coverage"]), marker_color=MUTED),
        ]
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text=_("Share of the input space covered"), range=[0, 1.05], tickformat=".0%")
    return style_figure(fig, title=_("Who sweeps the input space"), height=HEIGHT_SMALL)


def caption_extraction(saved: dict[str, Any]) -> str:
    """The demo's outcome: how good the stolen copy is, and whether the alert fired."""
    fidelity = format_percent(saved["fidelity"], 0)
    majority = format_percent(saved["majority_share"] or 0.0, 0)
    sentence = _(
        "With {queries} questions to the endpoint, a copy trained on the answers agrees with the model on {fidelity} of rows it never asked about (always giving the commonest answer would agree on {majority})."
    ).format(queries=format_count(saved["answered"]), fidelity=fidelity, majority=majority)
    if saved["flagged"]:
        return sentence + " " + _("The monitor flagged key {key}: the alert fired.").format(key=saved["key"])
    return sentence + " " + _("The monitor did not flag key {key}.").format(key=saved["key"])


def caption_extraction_coverage(report: pd.DataFrame) -> str:
    judged = report.dropna(subset=["coverage"]) if len(report) else report
    if not len(judged):
        return _("No key has asked enough questions yet to judge how it covers the input space.")
    return _(
        "Real clients ask about real cases, which crowd where the training rows are; someone copying the model sweeps the whole space. A blue bar far above its grey one is a sweep."
    )
