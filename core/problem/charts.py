"""The Problem stage's chart: how the chosen target is distributed (a histogram for a number to
predict, bars of each class otherwise), with its one-sentence caption. Apart from the problem's
definition so the Problem page only draws what this module builds."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.formatting import format_value
from core.style import HEIGHT_SMALL, TEMPLATE, plot_text, plot_texts


def plot_target(df: pd.DataFrame, target: str, task: str) -> go.Figure:
    """Histogram of a regression target; bars of how often each class occurs otherwise."""
    if task == "regression":
        fig = px.histogram(
            df,
            x=target,
            nbins=40,
            template=TEMPLATE,
            title=plot_text(f"Distribution of {target}"),
            labels={target: plot_text(target)},
        )
    else:
        counts = df[target].astype(str).value_counts()
        fig = px.bar(
            x=plot_texts(counts.index),
            y=counts.values,
            labels={"x": plot_text(target), "y": "rows"},
            template=TEMPLATE,
            title=plot_text(f"How often each value of {target} occurs"),
        )
    fig.update_layout(height=HEIGHT_SMALL)
    return fig


def caption_target(df: pd.DataFrame, target: str, task: str) -> str:
    """One plain sentence on `plot_target`: the range to predict, or the baseline of always guessing."""
    if task == "regression":
        return (
            f"{target} ranges from {format_value(df[target].min(), digits=4)} to "
            f"{format_value(df[target].max(), digits=4)}, with a median of "
            f"{format_value(df[target].median(), digits=4)}: the model predicts a number in this range."
        )
    counts = df[target].astype(str).value_counts()
    top_share = counts.iloc[0] / counts.sum()
    return (
        f"The most common value, '{counts.index[0]}', makes up {top_share:.0%} of rows, so a model "
        f"that always guesses it would be right {top_share:.0%} of the time — the baseline to beat."
    )
