"""The decision threshold's charts: what the mistakes cost at each threshold (the cost curve) and
precision, recall and F1 per threshold, each with its sentence (apart from charts.py: one reason to change,
the threshold a person picks on the Problem page)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.evaluation.charts import titled_layout
from core.evaluation.reports import get_threshold_row
from core.formatting import currency_symbol, format_as, format_count, format_money
from core.i18n import _
from core.style import ACCENT, BAD, GOOD, WARN


def plot_cost_curve(
    threshold_df: pd.DataFrame,
    best_threshold: float | None = None,
    threshold: float | None = None,
    currency: str | None = None,
) -> go.Figure:
    """Total cost on the test rows per threshold, with the cheapest and the chosen threshold marked
    (``currency``: the language's sign unless given)."""
    currency = currency_symbol() if currency is None else currency
    fig = go.Figure(
        go.Scatter(
            x=threshold_df["threshold"],
            y=threshold_df["cost"],
            mode="lines",
            line=dict(color=ACCENT, width=3),
            line_shape="hv",
            name=_("Total cost"),
            customdata=threshold_df[["fn", "fp"]].to_numpy(),
            hovertemplate=_("Threshold %{x:.2f}")
            + "<br>"
            + _("Cost ({currency})").format(currency=currency)
            + ": %{y:,.0f}<br>"
            + _("Missed: %{customdata[0]:,}<br>False alarms: %{customdata[1]:,}")
            + "<extra></extra>",
        )
    )
    if best_threshold is not None and threshold is not None and abs(best_threshold - threshold) < 0.005:
        fig.add_vline(
            x=best_threshold,
            line=dict(color=GOOD, dash="dash"),
            annotation_text=_("chosen = cheapest {best_threshold}").format(
                best_threshold=format_as(best_threshold, ".2f")
            ),
            annotation_position="top right",
        )
        best_threshold = threshold = None
    if best_threshold is not None:
        fig.add_vline(
            x=best_threshold,
            line=dict(color=GOOD, dash="dash"),
            annotation_text=_("cheapest {best_threshold}").format(best_threshold=format_as(best_threshold, ".2f")),
            annotation_position="top left",
        )
    if threshold is not None:
        fig.add_vline(
            x=threshold,
            line=dict(color=BAD, dash="dot"),
            annotation_text=_("chosen {threshold}").format(threshold=format_as(threshold, ".2f")),
            annotation_position="top right",
        )
    titled_layout(fig, _("Business cost of the mistakes per threshold (test set)"), showlegend=False)
    fig.update_xaxes(title=_("Threshold: rows scoring above it are flagged"), range=[0, 1])
    fig.update_yaxes(title=_("Total cost ({currency})").format(currency=currency), rangemode="tozero")
    return fig


def caption_cost_curve(
    threshold_df: pd.DataFrame,
    best_threshold: float,
    currency: str | None = None,
    default: float = 0.5,
    noun: str | None = None,
) -> str:
    """E.g. "Flagging the customers scored 0.31 or more costs least: €12,400 on these 1,409 customers,
    €3,100 less than the default 0.50." (``noun`` names the rows: "customers", "transactions"…)"""
    if threshold_df.empty or threshold_df["cost"].isna().all():
        return _(
            "Set the cost of a missed positive and of a false alarm on the Problem page to see the cheapest threshold."
        )
    best = get_threshold_row(threshold_df, best_threshold)
    usual = get_threshold_row(threshold_df, default)
    rows = int(best["tp"] + best["fp"] + best["fn"] + best["tn"])
    sentence = _(
        "Flagging the {noun} scored {best_threshold} or more costs least: {money} on these {rows} {noun}"
    ).format(
        noun=noun or _("test rows"),
        best_threshold=format_as(best_threshold, ".2f"),
        money=format_money(best["cost"], currency),
        rows=format_count(rows),
    )

    saving = float(usual["cost"] - best["cost"])
    if saving <= 0:
        return sentence + _(", the same as the default threshold {default}.").format(default=format_as(default, ".2f"))
    return sentence + _(", {money} less than the default {default}.").format(
        money=format_money(saving, currency), default=format_as(default, ".2f")
    )


def plot_threshold_metrics(threshold_df: pd.DataFrame, threshold: float | None = None) -> go.Figure:
    """Precision, recall and F1 as the threshold moves: the trade-off the threshold controls."""
    fig = go.Figure()
    for column, name, color in (
        ("precision", _("Precision"), GOOD),
        ("recall", _("Recall"), ACCENT),
        ("f1", "F1", WARN),
    ):
        fig.add_trace(
            go.Scatter(
                x=threshold_df["threshold"],
                y=threshold_df[column],
                mode="lines",
                line_shape="hv",
                name=name,
                line=dict(color=color, width=2),
                hovertemplate=f"Threshold %{{x:.2f}}: {name} %{{y:.0%}}<extra></extra>",
            )
        )
    if threshold is not None:
        fig.add_vline(x=threshold, line=dict(color=BAD, dash="dot"))
    titled_layout(fig, _("Precision, recall and F1 per threshold (test set)"))
    fig.update_xaxes(title=_("Threshold: rows scoring above it are flagged"), range=[0, 1])
    fig.update_yaxes(title=_("Score"), range=[0, 1.02], tickformat=".0%")
    return fig


def caption_threshold(threshold_df: pd.DataFrame, threshold: float, positive_label: str | None = None) -> str:
    """E.g. "At 0.30 the model flags 412 rows: it catches 78% of the 'Yes' rows, and 55% of the rows
    it flags really are 'Yes'." """
    row = get_threshold_row(threshold_df, threshold)
    case = f"'{positive_label}'" if positive_label is not None else _("positive")
    if row["flagged"] == 0:
        return _("At {cutoff} the model flags no row at all, so it catches none of the {case} rows.").format(
            cutoff=format_as(threshold, ".2f"), case=case
        )
    return _(
        "At {cutoff} the model flags {flagged} rows: it catches {recall} of the {case} rows, and {right} of the rows it flags really are {case}."
    ).format(
        cutoff=format_as(threshold, ".2f"),
        flagged=format_as(int(row["flagged"]), ","),
        recall=format_as(row["recall"], ".0%"),
        case=case,
        right=format_as(row["precision"], ".0%"),
    )
