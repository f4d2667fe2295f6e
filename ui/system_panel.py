"""Monitor's system-health sections: latency p50/p95 and error/rejection rates per window and version,
for the simulated report's windows and for real traffic by time window, each chart with its sentence;
and for real traffic, the performance on answers whose labels came back through /feedback."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core.monitoring.arms import get_arm_log_state
from core.monitoring.charts_system import (
    caption_live_labels,
    caption_system_latency,
    caption_system_rates,
    caption_system_table,
    plot_system_latency,
    plot_system_rates,
)
from core.monitoring.performance import get_performance_table_df
from core.stages.live_health import LiveHealth, stage_live_health
from ui.text import escape_markdown
from ui.widgets import chart, user_errors

_SHOWN = {
    "window": "window",
    "version": "version",
    "requests": "requests",
    "rows": "rows",
    "latency_p50_ms": "p50 ms",
    "latency_p95_ms": "p95 ms",
    "throughput_rps": "requests/s",
    "rows_per_s": "rows/s",
    "error_rate": "errors",
    "rejection_rate": "rejected",
    "flagged_rate": "flagged",
}


def system_panel(system_df: pd.DataFrame, *, width_words: str | None = None, key: str = "system") -> None:
    """The two charts with their sentences and the table (``width_words``: real traffic's time windows,
    drawn against when each began; None: a simulation's numbered windows)."""
    time_axis = width_words is not None
    left, right = st.columns(2)
    with left:
        chart(plot_system_latency(system_df, time_axis), caption_system_latency(system_df), key=f"{key}_latency")
    with right:
        chart(plot_system_rates(system_df, time_axis), caption_system_rates(system_df), key=f"{key}_rates")
    if system_df.empty:
        return
    with st.expander("System health per window and version"):
        shown = system_df[list(_SHOWN)].rename(columns=_SHOWN)
        if time_axis:
            shown.insert(1, "from (UTC)", pd.to_datetime(system_df["start"], unit="s"))
        share = st.column_config.NumberColumn(format="percent")
        number = st.column_config.NumberColumn(format="%.2f")
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            key=f"{key}_table",
            column_config={
                "p50 ms": number,
                "p95 ms": number,
                "requests/s": number,
                "rows/s": number,
                "errors": share,
                "rejected": share,
                "flagged": share,
            },
        )
        st.caption(caption_system_table(width_words))


@st.cache_data(show_spinner="Reading live traffic's health…", max_entries=16)
def _live_health(_ws, ws_path: str, project_id: int, log_state: tuple[int, int], minute: int) -> LiveHealth:
    return stage_live_health(_ws, project_id)


def live_health_panel(ws, project_id: int) -> None:
    """Real traffic (HTTP, the app, the CLI; not the simulator) by time window: its system health, and
    its performance on the answers whose labels came back through /feedback."""
    st.subheader("System health of live traffic")
    with user_errors():
        # computed again when an answer or a label is logged, and each minute (the open window grows)
        live = _live_health(ws, str(ws.root), project_id, get_arm_log_state(ws, project_id), int(time.time() // 60))
        if live.rows_read == 0:
            st.caption(
                "No real traffic yet (over HTTP, from the app or the command line): the simulator's windows "
                "have their own system health in the report below."
            )
            return
        st.caption(
            escape_markdown(
                f"Real traffic per {live.width_words} (not the simulator's), from its newest "
                f"{live.rows_read:,} answers; each window is a {live.width_words} of the clock."
            )
        )
        system_panel(live.system_df, width_words=live.width_words, key="live_system")
        st.markdown("**Performance on labelled answers**")
        performance = live.performance_df
        st.caption(escape_markdown(caption_live_labels(performance, live.width_words)))
        if performance.empty:
            return
        table = pd.concat(
            [
                get_performance_table_df(rows).assign(version=version)
                for version, rows in performance.groupby("version", sort=False)
            ],
            ignore_index=True,
        )
        st.dataframe(table, hide_index=True, width="stretch", key="live_performance_table")
        for version, note in live.notes.items():
            st.caption(escape_markdown(f"{version}: {note}"))
