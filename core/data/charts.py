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
from core.formatting import format_cell, format_count, format_percent, format_statistic
from core.i18n import _, ngettext
from core.style import ACCENT, BAD, MUTED, TEMPLATE, plot_text, plot_texts, wrap_title
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
                hovertemplate=_("%{customdata[0]:,.4~r} to %{customdata[1]:,.4~r}: %{y:,} rows") + "<extra></extra>",
            )
        fig.update_layout(xaxis_title=plot_text(column), yaxis_title=_("rows"), bargap=0.05)
    elif kind == "datetime" and len(values):
        freq = "D" if (values.max() - values.min()) <= pd.Timedelta(days=90) else "M"
        periods = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        vc = periods.dt.to_period(freq).value_counts().sort_index()
        fig.add_bar(x=vc.index.to_timestamp(), y=vc.to_numpy(), marker_color=ACCENT, name=plot_text(column))
        fig.update_layout(
            xaxis_title=plot_text(column), yaxis_title=_("rows per day") if freq == "D" else _("rows per month")
        )
    else:
        vc = s.astype("str").where(s.notna(), _("(missing)")).value_counts().head(20).iloc[::-1]
        fig.add_bar(
            y=plot_texts(map(str, vc.index)),
            x=vc.to_numpy(),
            orientation="h",
            marker_color=ACCENT,
            name=plot_text(column),
        )
        fig.update_layout(xaxis_title=_("rows"), yaxis_title=None)
    fig.update_layout(
        template=TEMPLATE,
        title=plot_text(_("Distribution of {column}").format(column=column)),
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
    gaps = n - present
    missing = (
        " " + ngettext("({n} row is missing)", "({n} rows are missing)", gaps).format(n=format_count(gaps))
        if gaps
        else ""
    )
    if not present:
        return _("{column} is empty: every one of its {n} values is missing, so it cannot help a model.").format(
            column=column, n=format_count(n)
        )
    counts = value_counts(s)
    kind = column_kind(s, counts)
    if kind == "numeric":
        x = values.to_numpy(dtype=float)
        infinite = int((~np.isfinite(x)).sum())
        x = x[np.isfinite(x)]
        if not len(x):
            return (
                _("{column} holds only infinite values ({n}), so there is nothing to chart").format(
                    column=column, n=format_count(infinite)
                )
                + missing
                + "."
            )
        q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
        fences = outlier_fences(x)
        far = int(((x < fences[0]) | (x > fences[1])).sum()) if fences else 0
        sentence = _(
            "{column} ranges from {low} to {high} with a median of {median}, and half of the rows lie between "
            "{q1} and {q3}"
        ).format(
            column=column,
            low=format_statistic(x.min()),
            high=format_statistic(x.max()),
            median=format_statistic(med),
            q1=format_statistic(q1),
            q3=format_statistic(q3),
        )
        if far:
            sentence += "; " + _(
                "{n} value(s) sit far outside that range and squash the chart, so check them for errors"
            ).format(n=format_count(far))
        if infinite:
            sentence += "; " + _("{n} infinite value(s) are left out of the chart").format(n=format_count(infinite))
        return sentence + missing + "."
    if kind == "datetime":
        freq = "D" if (values.max() - values.min()) <= pd.Timedelta(days=90) else "M"
        periods = values.dt.tz_localize(None) if getattr(values.dt, "tz", None) is not None else values
        vc = periods.dt.to_period(freq).value_counts()
        busiest = vc.idxmax()
        busiest_text = (
            _("{column} runs from {start} to {end}; the busiest day is {busiest} with {rows} rows")
            if freq == "D"
            else _("{column} runs from {start} to {end}; the busiest month is {busiest} with {rows} rows")
        )
        return (
            busiest_text.format(
                column=column,
                start=format_cell(pd.Timestamp(values.min())),
                end=format_cell(pd.Timestamp(values.max())),
                busiest=busiest,
                rows=format_count(int(vc.max())),
            )
            + missing
            + "."
        )
    top, top_count = counts.index[0], int(counts.iloc[0])
    share = 100 * top_count / present
    if kind == "text":
        return (
            _(
                "{column} has {values} different values for {rows} rows, so it is an identifier "
                "or free text rather than a category; the chart shows only the 20 most frequent"
            ).format(column=column, values=format_count(len(counts)), rows=format_count(present))
            + missing
            + "."
        )
    if len(counts) > 20:
        sentence = _(
            "{column} has {values} different values (the chart shows the top 20); the most common is {top} "
            "with {share} of rows"
        )
    else:
        sentence = _("{column} has {values} different values; the most common is {top} with {share} of rows")
    return (
        sentence.format(
            column=column, values=format_count(len(counts)), top=format_cell(top), share=format_percent(share / 100, 0)
        )
        + missing
        + "."
    )


def plot_missing(profile_df: pd.DataFrame) -> go.Figure:
    """Share of missing values per column (only columns that have any)."""
    data = profile_df.loc[profile_df["missing"] > 0].sort_values("missing_pct")
    fig = go.Figure()
    if data.empty:
        fig.update_layout(title=_("No missing values in any column"))
    else:
        fig.add_bar(
            y=plot_texts(data["column"].astype(str)),
            x=data["missing_pct"],
            orientation="h",
            marker_color=BAD,
            customdata=data["missing"],
            text=[format_percent(p / 100) for p in data["missing_pct"]],
            textposition="auto",
            hovertemplate=_("%{y}: %{customdata:,} missing (%{x:.1f}% of rows)") + "<extra></extra>",
        )
        fig.update_layout(title=_("Missing values per column"), xaxis_title=_("% of rows missing"), yaxis_title=None)
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
        return _("No column has missing values, so nothing needs to be filled in.")
    worst = data.iloc[0]
    others = len(data) - 1
    rest = (
        ngettext("{n} other column also has gaps", "{n} other columns also have gaps", others).format(n=others)
        if others
        else _("it is the only column with gaps")
    )
    action = _("drop it or find out why") if worst["missing_pct"] >= 50 else _("fill them in before training")
    return _("{column} is missing most often ({rows} rows, {share}); {rest}: {action}.").format(
        column=worst["column"],
        rows=format_count(int(worst["missing"])),
        share=format_percent(worst["missing_pct"] / 100),
        rest=rest,
        action=action,
    )


def plot_lineage(nodes: pd.DataFrame, edges: pd.DataFrame) -> go.Figure:
    """Layers top to bottom (raw data … monitoring), each layer's items side by side on its row with
    their name above and to the right (wrapped to two short lines), a line from each input to its output. Laid
    out downwards because width is what a projector lacks: at 1024 px with the sidebar open, eight
    layers side by side left ~80 px a name and the names printed over each other."""
    layers = [layer for layer in LAYERS if layer in set(nodes["layer"])]
    widest = max((int((nodes["layer"] == layer).sum()) for layer in layers), default=1)
    slots = max(widest, 2)
    # Names wrap to lines of ~16 characters: two lines fit the room a slot leaves at 1024 px.
    wrap = 16 if slots <= 3 else 11
    positions = {}
    for y, layer in enumerate(layers):
        members = nodes[nodes["layer"] == layer]["node"].tolist()
        for i, key in enumerate(members):
            positions[key] = (i, -y)
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
            text=[wrap_title(t, wrap) for t in plot_texts(nodes["short"])],
            textposition="top right",  # above the marker: a line to a neighbour on its row runs below it
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
        title=_("Lineage: what was made from what (top to bottom)"),
        height=110 + 70 * max(len(layers), 1),
        margin={"l": 10, "r": 10, "t": 60, "b": 20},
    )
    fig.update_yaxes(
        tickvals=[-y for y in range(len(layers))],
        ticktext=[wrap_title(plot_text(_(layer)), 12) for layer in layers],
        showgrid=False,
        zeroline=False,
        range=[-(len(layers) - 1) - 0.5, 0.5],
        automargin=True,
    )
    fig.update_xaxes(visible=False, range=[-0.15, slots - 0.1])
    return fig


def caption_lineage(nodes: pd.DataFrame, edges: pd.DataFrame) -> str:
    if nodes.empty:
        return _("Nothing has been made in this project yet.")
    latest = nodes[nodes["layer"] == "model version"]
    if latest.empty:
        return _(
            "{n} things made so far, each linked to what it was made from; every data file and "
            "recipe carries the SHA-256 of its artifact."
        ).format(n=len(nodes))
    model = latest.iloc[-1]
    chain = [nodes.set_index("node").loc[n, "label"] for n in get_ancestors(edges, model["node"])]
    data = [c for c in chain if c.startswith(("cleaned data", "raw data"))]
    if len(data) > 1:
        sentence = _(
            "{model} was trained on {data}, which goes back to {origin}; every step in between is recorded, "
            "so the model can be rebuilt and audited."
        )
    else:
        sentence = _(
            "{model} was trained on {data}; every step in between is recorded, so the model can be rebuilt and audited."
        )
    return sentence.format(
        model=model["label"], data=data[0] if data else _("its data"), origin=data[-1] if data else ""
    )


def _get_column(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df.columns:
        raise ConfigError(
            _("The column {column} is not in the table; choose one of: {columns}.").format(
                column=repr(column), columns=", ".join(map(str, df.columns[:20]))
            )
        )
    return df[column]
