"""The Problem stage's chart: how the chosen target is distributed (a histogram for a number to
predict, bars of each class otherwise), with its one-sentence caption. Apart from the problem's
definition so the Problem page only draws what this module builds."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.formatting import format_percent, format_value
from core.i18n import _
from core.style import HEIGHT_SMALL, TEMPLATE, plot_text, plot_texts


def plot_target(df: pd.DataFrame, target: str, task: str) -> go.Figure:
    """Histogram of a regression target; bars of how often each class occurs otherwise."""
    if task == "regression":
        fig = px.histogram(
            df,
            x=target,
            nbins=40,
            template=TEMPLATE,
            title=plot_text(_("Distribution of {column}").format(column=target)),
            labels={target: plot_text(target)},
        )
    else:
        counts = df[target].astype(str).value_counts()
        fig = px.bar(
            x=plot_texts(counts.index),
            y=counts.values,
            labels={"x": plot_text(target), "y": _("rows")},
            template=TEMPLATE,
            title=plot_text(_("How often each value of {column} occurs").format(column=target)),
        )
    fig.update_layout(height=HEIGHT_SMALL)
    return fig


def caption_target(df: pd.DataFrame, target: str, task: str) -> str:
    """One plain sentence on `plot_target`: the range to predict, or the baseline of always guessing."""
    if task == "regression":
        return _(
            "{column} ranges from {low} to {high}, with a median of {median}: the model predicts a number in this range."
        ).format(
            column=target,
            low=format_value(df[target].min(), digits=4),
            high=format_value(df[target].max(), digits=4),
            median=format_value(df[target].median(), digits=4),
        )
    counts = df[target].astype(str).value_counts()
    top_share = counts.iloc[0] / counts.sum()
    return _(
        "The most common value, '{value}', makes up {share} of rows, so a model "
        "that always guesses it would be right {share} of the time — the baseline to beat."
    ).format(value=counts.index[0], share=format_percent(top_share, 0))
