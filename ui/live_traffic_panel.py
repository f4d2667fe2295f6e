"""Monitor's live-traffic panel: the prediction log per version and source (real HTTP traffic
included), each row with its sentence, and latency per version."""

from __future__ import annotations

import streamlit as st

from core.monitoring.charts_live import caption_live_latency, caption_live_row, caption_live_traffic, plot_live_latency
from core.monitoring.live import get_live_traffic_df
from ui.text import escape_markdown
from ui.widgets import chart

_SHOWN = {
    "version": "version",
    "source": "source",
    "requests": "requests",
    "latency_p50_ms": "p50 ms",
    "latency_p95_ms": "p95 ms",
    "rejected_share": "rejected",
    "flagged_share": "flagged",
    "error_share": "unanswered",
    "labelled_share": "labelled",
    "metric": "metric",
    "metric_value": "on labelled",
}


def live_traffic_panel(ws, project_id: int) -> None:
    st.subheader("Live traffic")
    live = get_live_traffic_df(ws, project_id)
    st.caption(escape_markdown(caption_live_traffic(live)))
    if live.empty:
        return
    shown = live[list(_SHOWN)].rename(columns=_SHOWN)
    st.dataframe(
        shown.round(
            {"p50 ms": 2, "p95 ms": 2, "rejected": 3, "flagged": 3, "unanswered": 3, "labelled": 3, "on labelled": 3}
        ),
        hide_index=True,
        width="stretch",
        key="live_traffic_table",
    )
    for _, row in live.iterrows():
        st.caption(escape_markdown(caption_live_row(row)))
    chart(plot_live_latency(live), caption_live_latency(live), key="live_latency")
