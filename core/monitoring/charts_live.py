"""The live-traffic panel's figure and sentences (computed in ``live``): latency per version and
source, and one plain sentence per row of the table."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from core.formatting import format_count, format_number, format_share
from core.i18n import N_, _, ngettext
from core.style import ACCENT, HEIGHT_SMALL, WARN, plot_texts, style_figure

SOURCES = {
    "http": N_("over HTTP"),
    "ui": N_("from the app"),
    "simulator": N_("from the simulator"),
    "cli": N_("from the command line"),
}


def _source(code: str) -> str:
    return _(SOURCES[code]) if code in SOURCES else _("from {source}").format(source=code)


def plot_live_latency(live: pd.DataFrame) -> go.Figure:
    """Latency p50 and p95 (ms per request, however many rows it carried) per version and source."""
    names = plot_texts([f"{v} · {s}" for v, s in zip(live["version"], live["source"])])
    fig = go.Figure(
        [
            go.Bar(name=_("p50 (half answered within)"), x=names, y=live["latency_p50_ms"], marker_color=ACCENT),
            go.Bar(name=_("p95 (95% answered within)"), x=names, y=live["latency_p95_ms"], marker_color=WARN),
        ]
    )
    return style_figure(
        fig,
        title=_("Latency per version and source"),
        height=HEIGHT_SMALL,
        barmode="group",
        yaxis_title=_("ms per request"),
    )


def caption_live_latency(live: pd.DataFrame) -> str:
    """Which version and source answers slowest at the 95th percentile."""
    if live.empty:
        return _("No answer is logged yet.")
    slowest = live.loc[live["latency_p95_ms"].fillna(-1).idxmax()]
    return _(
        "Half of the requests are answered within the blue bar's time and 95% within the orange one (a request "
        "of many rows is timed whole); the slowest tail is {version} {source}, 95% within {ms} ms."
    ).format(version=slowest["version"], source=_source(slowest["source"]), ms=format_number(slowest["latency_p95_ms"]))


def caption_live_row(row: pd.Series) -> str:
    """'churn v2 over HTTP: 120 answers in 40 requests; half the requests answered within 2.1 ms, 95% within 4.0 ms; 3% rejected,
    5% flagged, no errors; 40% labelled so far, accuracy 0.82 on those 48.'"""
    where = _source(row["source"])
    calls = int(row["calls"])
    shares = (
        (row["rejected_share"], _("{share} rejected"), _("none rejected")),
        (row["flagged_share"], _("{share} flagged"), _("none flagged")),
        (row["error_share"], _("{share} unanswered"), _("none unanswered")),
    )
    parts = [
        ngettext("{answers} answers in {n} request", "{answers} answers in {n} requests", calls).format(
            answers=format_count(int(row["requests"])), n=format_count(calls)
        ),
        _("half the requests answered within {p50} ms, 95% within {p95} ms").format(
            p50=format_number(row["latency_p50_ms"]), p95=format_number(row["latency_p95_ms"])
        ),
        ", ".join(some.format(share=format_share(share)) if share else none for share, some, none in shares),
    ]
    if row["labelled"]:
        value = row["metric_value"]
        labelled = _("{share} labelled so far").format(share=format_share(row["labelled_share"]))
        if not math.isnan(value):
            labelled = _("{labelled}, {metric} {value} on those {n}").format(
                labelled=labelled,
                metric=row["metric"],
                value=format_number(value),
                n=format_count(int(row["labelled"])),
            )
        parts.append(labelled)
    else:
        parts.append(_("no true label has arrived yet (clients send them to /feedback)"))
    return f"{row['version']} {where}: " + "; ".join(parts) + "."


def caption_live_traffic(live: pd.DataFrame) -> str:
    """The whole log in one sentence."""
    if live.empty:
        return _("No answer is logged yet: send requests to the endpoint or from the Deploy page.")
    http = int(live.loc[live["source"] == "http", "requests"].sum())
    total = int(live["requests"].sum())
    return ngettext(
        "{total} answer is logged for this project, {http} of them over HTTP; each row below is one version "
        "answering one kind of caller.",
        "{total} answers are logged for this project, {http} of them over HTTP; each row below is one version "
        "answering one kind of caller.",
        total,
    ).format(total=format_count(total), http=format_count(http))


def caption_refused(refused: dict[str, int]) -> str:
    """The requests refused with 422 in one sentence (they never reached a model)."""
    if not refused["requests"]:
        return _("No request was refused: every one the endpoint received could be read.")
    rows = (
        ngettext(", holding {n} row,", ", holding {n} rows,", refused["rows"]).format(n=format_count(refused["rows"]))
        if refused["rows"]
        else ""
    )
    return ngettext(
        "{n} request was refused with 422{rows} before reaching a model (not JSON, a missing column, text in a "
        "number…): they are not in the table above; Deploy lists them with what was wrong.",
        "{n} requests were refused with 422{rows} before reaching a model (not JSON, a missing column, text in a "
        "number…): they are not in the table above; Deploy lists them with what was wrong.",
        refused["requests"],
    ).format(n=format_count(refused["requests"]), rows=rows)
