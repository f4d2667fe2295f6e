"""The Data stage's charts and their one-sentence captions: a column's distribution, missing values
per column, and the lineage graph. Pure functions from tables to plotly figures and text, apart from
the computation (`profiling`, `lineage`) so a theme or a translation changes only this module and
`core.style`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.data.columns import column_kind, outlier_fences, value_counts
from core.data.lineage import LAYERS, get_ancestors
from core.formatting import format_cell, format_statistic
from core.style import ACCENT, BAD, MUTED, TEMPLATE, plot_text, plot_texts
from core.workspace.errors import ConfigError


def plot_column_distribution(df: pd.DataFrame, column: str) -> go.Figure:
    """Histogram for numbers, monthly counts for dates, top-20 bars for categories."""
    s = _get_column(df, column)
    values = s.dropna()
    kind = column_kind(s, value_counts(s))
    fig = go.Figure()
    if kind == "numeric" and len(values):
        x = values.to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        distinct = np.unique(x[:200_000])
        if len(distinct) <= 30 and np.all(np.mod(distinct, 1) == 0):
            vc = value_counts(values).sort_index()
            vc = vc[np.isfinite(vc.index.to_numpy(dtype=float))]  # plotly cannot place +-inf
            fig.add_bar(x=vc.index.astype(float), y=vc.to_numpy(), marker_color=ACCENT, name=plot_text(column))
        else:
            counts, edges = np.histogram(x, bins=40)
            fig.add_bar(
                x=(edges[:-1] + edges[1:]) / 2,
                y=counts,
                width=np.diff(edges) * 0.95,
                marker_color=ACCENT,
                name=plot_text(column),
                customdata=np.stack([edges[:-1], edges[1:]], axis=1),
                hovertemplate="%{customdata[0]:,.4~r} to %{customdata[1]:,.4~r}: %{y:,} rows<extra></extra>",
            )
        fig.update_layout(xaxis_title=plot_text(column), yaxis_title="rows", bargap=0.05)
    elif kind == "datetime" and len(values):
        freq = "D" if (values.max() - values.min()) <= pd.Timedelta(days=90) else "M"
        periods = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        vc = periods.dt.to_period(freq).value_counts().sort_index()
        fig.add_bar(x=vc.index.to_timestamp(), y=vc.to_numpy(), marker_color=ACCENT, name=plot_text(column))
        fig.update_layout(xaxis_title=plot_text(column), yaxis_title="rows per " + ("day" if freq == "D" else "month"))
    else:
        vc = s.astype("str").where(s.notna(), "(missing)").value_counts().head(20).iloc[::-1]
        fig.add_bar(
            y=plot_texts(map(str, vc.index)),
            x=vc.to_numpy(),
            orientation="h",
            marker_color=ACCENT,
            name=plot_text(column),
        )
        fig.update_layout(xaxis_title="rows", yaxis_title=None)
    fig.update_layout(
        template=TEMPLATE,
        title=plot_text(f"Distribution of {column}"),
        height=400,
        showlegend=False,
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


def caption_column_distribution(df: pd.DataFrame, column: str) -> str:
    """One plain sentence on the chart of `plot_column_distribution`."""
    s = _get_column(df, column)
    values = s.dropna()
    n, present = len(s), len(values)
    missing = f" ({n - present:,} rows are missing)" if n - present else ""
    if not present:
        return f"{column} is empty: every one of its {n:,} values is missing, so it cannot help a model."
    counts = value_counts(s)
    kind = column_kind(s, counts)
    if kind == "numeric":
        x = values.to_numpy(dtype=float)
        infinite = int((~np.isfinite(x)).sum())
        x = x[np.isfinite(x)]
        if not len(x):
            return f"{column} holds only infinite values ({infinite:,}), so there is nothing to chart{missing}."
        q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
        fences = outlier_fences(x)
        far = int(((x < fences[0]) | (x > fences[1])).sum()) if fences else 0
        sentence = (
            f"{column} ranges from {format_statistic(x.min())} to {format_statistic(x.max())} with a median of "
            f"{format_statistic(med)}, and half of the rows lie between {format_statistic(q1)} and {format_statistic(q3)}"
        )
        if far:
            sentence += f"; {far:,} value(s) sit far outside that range and squash the chart, so check them for errors"
        if infinite:
            sentence += f"; {infinite:,} infinite value(s) are left out of the chart"
        return sentence + missing + "."
    if kind == "datetime":
        freq = "D" if (values.max() - values.min()) <= pd.Timedelta(days=90) else "M"
        periods = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        vc = periods.dt.to_period(freq).value_counts()
        busiest = vc.idxmax()
        return (
            f"{column} runs from {values.min():%Y-%m-%d} to {values.max():%Y-%m-%d}; the busiest "
            f"{'day' if freq == 'D' else 'month'} is {busiest} with {int(vc.max()):,} rows{missing}."
        )
    top, top_count = counts.index[0], int(counts.iloc[0])
    share = 100 * top_count / present
    if kind == "text":
        return (
            f"{column} has {len(counts):,} different values for {present:,} rows, so it is an identifier "
            f"or free text rather than a category; the chart shows only the 20 most frequent{missing}."
        )
    shown = " (the chart shows the top 20)" if len(counts) > 20 else ""
    return (
        f"{column} has {len(counts):,} different values{shown}; the most common is {format_cell(top)} "
        f"with {share:.0f}% of rows{missing}."
    )


def plot_missing(profile_df: pd.DataFrame) -> go.Figure:
    """Share of missing values per column (only columns that have any)."""
    data = profile_df.loc[profile_df["missing"] > 0].sort_values("missing_pct")
    fig = go.Figure()
    if data.empty:
        fig.update_layout(title="No missing values in any column")
    else:
        fig.add_bar(
            y=plot_texts(data["column"].astype(str)),
            x=data["missing_pct"],
            orientation="h",
            marker_color=BAD,
            customdata=data["missing"],
            text=[f"{p:.1f}%" for p in data["missing_pct"]],
            textposition="auto",
            hovertemplate="%{y}: %{customdata:,} missing (%{x:.1f}% of rows)<extra></extra>",
        )
        fig.update_layout(title="Missing values per column", xaxis_title="% of rows missing", yaxis_title=None)
    fig.update_layout(
        template=TEMPLATE,
        height=min(450, 160 + 28 * max(len(data), 1)),
        showlegend=False,
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


def caption_missing(profile_df: pd.DataFrame) -> str:
    """One plain sentence on `plot_missing`."""
    data = profile_df.loc[profile_df["missing"] > 0].sort_values("missing", ascending=False)
    if data.empty:
        return "No column has missing values, so nothing needs to be filled in."
    worst = data.iloc[0]
    others = len(data) - 1
    rest = f"; {others} other column(s) also have gaps" if others else "; it is the only column with gaps"
    action = "drop it or find out why" if worst["missing_pct"] >= 50 else "fill them in before training"
    return (
        f"{worst['column']} is missing most often ({int(worst['missing']):,} rows, "
        f"{worst['missing_pct']:.1f}%){rest}: {action}."
    )


def plot_lineage(nodes: pd.DataFrame, edges: pd.DataFrame) -> go.Figure:
    """Layers left to right (raw data … monitoring), an arrow-less line from each input to its output."""
    layers = [layer for layer in LAYERS if layer in set(nodes["layer"])]
    positions = {}
    for x, layer in enumerate(layers):
        members = nodes[nodes["layer"] == layer]["node"].tolist()
        for i, key in enumerate(members):
            positions[key] = (x, -(i - (len(members) - 1) / 2))
    fig = go.Figure()
    for source, target in edges.itertuples(index=False):
        (x0, y0), (x1, y1) = positions[source], positions[target]
        fig.add_trace(
            go.Scatter(
                x=[x0, x1],
                y=[y0, y1],
                mode="lines",
                line={"color": MUTED, "width": 1.5},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    xy = [positions[k] for k in nodes["node"]]
    fig.add_trace(
        go.Scatter(
            x=[p[0] for p in xy],
            y=[p[1] for p in xy],
            mode="markers+text",
            text=plot_texts(nodes["short"]),
            textposition="bottom center",
            textfont={"size": 10},
            marker={"size": 14, "color": ACCENT},
            customdata=np.stack([plot_texts(nodes["label"]), plot_texts(nodes["sha256"])], axis=-1)
            if len(nodes)
            else None,
            hovertemplate="%{customdata[0]}<br>sha256 %{customdata[1]}<extra></extra>",
            showlegend=False,
        )
    )
    fig.update_layout(
        template=TEMPLATE,
        title="Lineage: what was made from what (left to right)",
        height=min(450, 160 + 60 * int(nodes["layer"].value_counts().max() if len(nodes) else 1)),
        margin={"l": 10, "r": 10, "t": 50, "b": 30},
    )
    fig.update_xaxes(
        tickvals=list(range(len(layers))),
        ticktext=layers,
        showgrid=False,
        zeroline=False,
        range=[-0.6, max(len(layers) - 0.4, 0.6)],
    )
    fig.update_yaxes(visible=False)
    return fig


def caption_lineage(nodes: pd.DataFrame, edges: pd.DataFrame) -> str:
    if nodes.empty:
        return "Nothing has been made in this project yet."
    latest = nodes[nodes["layer"] == "model version"]
    if latest.empty:
        return (
            f"{len(nodes)} things made so far, each linked to what it was made from; every data file and "
            "recipe carries the SHA-256 of its artifact."
        )
    model = latest.iloc[-1]
    chain = [nodes.set_index("node").loc[n, "label"] for n in get_ancestors(edges, model["node"])]
    data = [c for c in chain if c.startswith(("cleaned data", "raw data"))]
    return (
        f"{model['label']} was trained on {data[0] if data else 'its data'}"
        + (f", which goes back to {data[-1]}" if len(data) > 1 else "")
        + "; every step in between is recorded, so the model can be rebuilt and audited."
    )


def _get_column(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df.columns:
        raise ConfigError(
            f"The column {column!r} is not in the table; choose one of: {', '.join(map(str, df.columns[:20]))}."
        )
    return df[column]
