"""Monitor's live-traffic panel: the prediction log per version and source (real HTTP traffic
included), each row with its sentence, and latency per version."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.i18n import N_, _
from core.monitoring.charts_live import (
    caption_live_latency,
    caption_live_row,
    caption_live_traffic,
    caption_refused,
    plot_live_latency,
)
from core.monitoring.live import count_refused_requests
from ui import cache
from ui.text import escape_markdown
from ui.widgets import chart

# Each column of the live-traffic table and how it is headed (translated where shown).
_SHOWN = {
    "version": N_("version"),
    "source": N_("source"),
    "requests": N_("answers"),
    "calls": N_("requests"),
    "latency_p50_ms": N_("p50 ms"),
    "latency_p95_ms": N_("p95 ms"),
    "rejected_share": N_("rejected"),
    "flagged_share": N_("flagged"),
    "error_share": N_("unanswered"),
    "labelled_share": N_("labelled"),
    "metric": N_("metric"),
    "metric_value": N_("on labelled"),
}


def live_traffic_panel(ws, project_id: int) -> None:
    st.subheader(_("Live traffic"))
    live, key = cache.live_traffic(ws, project_id)  # read again only when something was logged
    st.caption(escape_markdown(caption_live_traffic(live)))
    st.caption(escape_markdown(caption_refused(count_refused_requests(ws, project_id))))
    if live.empty:
        return
    shown = live[list(_SHOWN)].copy()
    # No labelled answer yet is an empty cell, not the word "None".
    shown["metric_value"] = pd.to_numeric(shown["metric_value"], errors="coerce")
    heading = {column: _(title) for column, title in _SHOWN.items()}
    count = st.column_config.NumberColumn(format="localized")
    share = st.column_config.NumberColumn(format="percent")
    st.dataframe(
        shown.rename(columns=heading),
        hide_index=True,
        width="stretch",
        key="live_traffic_table",
        column_config={
            heading["requests"]: count,
            heading["calls"]: count,
            heading["latency_p50_ms"]: st.column_config.NumberColumn(format="%.2f"),
            heading["latency_p95_ms"]: st.column_config.NumberColumn(format="%.2f"),
            heading["rejected_share"]: share,
            heading["flagged_share"]: share,
            heading["error_share"]: share,
            heading["labelled_share"]: share,
            heading["metric_value"]: st.column_config.NumberColumn(format="%.3f"),
        },
    )
    for _i, row in live.iterrows():
        st.caption(escape_markdown(caption_live_row(row)))
    chart(
        *cache.shared((*key, "latency"), lambda: (plot_live_latency(live), caption_live_latency(live))),
        key="live_latency",
    )
