"""Monitor's live-traffic panel: the prediction log per version and source (real HTTP traffic
included), each row with its sentence, and latency per version."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.monitoring.charts_live import (
    caption_live_latency,
    caption_live_row,
    caption_live_traffic,
    caption_refused,
    plot_live_latency,
)
from core.monitoring.live import count_refused_requests, get_live_traffic_df
from ui.text import escape_markdown
from ui.widgets import chart

_SHOWN = {
    "version": "version",
    "source": "source",
    "requests": "answers",
    "calls": "requests",
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
    st.caption(escape_markdown(caption_refused(count_refused_requests(ws, project_id))))
    if live.empty:
        return
    shown = live[list(_SHOWN)].rename(columns=_SHOWN)
    # No labelled answer yet is an empty cell, not the word "None".
    shown["on labelled"] = pd.to_numeric(shown["on labelled"], errors="coerce")
    count = st.column_config.NumberColumn(format="localized")
    share = st.column_config.NumberColumn(format="percent")
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        key="live_traffic_table",
        column_config={
            "answers": count,
            "requests": count,
            "p50 ms": st.column_config.NumberColumn(format="%.2f"),
            "p95 ms": st.column_config.NumberColumn(format="%.2f"),
            "rejected": share,
            "flagged": share,
            "unanswered": share,
            "labelled": share,
            "on labelled": st.column_config.NumberColumn(format="%.3f"),
        },
    )
    for _, row in live.iterrows():
        st.caption(escape_markdown(caption_live_row(row)))
    chart(plot_live_latency(live), caption_live_latency(live), key="live_latency")
