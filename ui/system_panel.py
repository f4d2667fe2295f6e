"""Monitor's system-health sections: latency p50/p95 and error/rejection rates per window and version,
for the simulated report's windows and for real traffic by time window, each chart with its sentence;
and for real traffic, the performance on answers whose labels came back through /feedback."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core.formatting import format_count
from core.i18n import N_, _, current_language
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
from ui import cache
from ui.text import escape_markdown
from ui.widgets import chart, user_errors

# Each column of the system-health table and how it is headed (translated where shown).
_SHOWN = {
    "window": N_("window"),
    "version": N_("version"),
    "requests": N_("requests"),
    "rows": N_("rows"),
    "latency_p50_ms": N_("p50 ms"),
    "latency_p95_ms": N_("p95 ms"),
    "throughput_rps": N_("requests/s"),
    "rows_per_s": N_("rows/s"),
    "error_rate": N_("errors"),
    "rejection_rate": N_("rejected"),
    "flagged_rate": N_("flagged"),
}


def system_panel(system_df: pd.DataFrame, *, width_words: str | None = None, key: str = "system") -> None:
    """The two charts with their sentences and the table (``width_words``: real traffic's time windows,
    drawn against when each began; None: a simulation's numbered windows)."""
    time_axis = width_words is not None
    left, right = st.columns(2)
    with left:
        # Built once per content for every session (ui.cache.built): the same windows on every rerun.
        latency = (
            cache.built(plot_system_latency, system_df, time_axis),
            cache.built(caption_system_latency, system_df),
        )
        chart(*latency, key=f"{key}_latency")
    with right:
        rates = (cache.built(plot_system_rates, system_df, time_axis), cache.built(caption_system_rates, system_df))
        chart(*rates, key=f"{key}_rates")
    if system_df.empty:
        return
    with st.expander(_("System health per window and version")):
        heading = {column: _(title) for column, title in _SHOWN.items()}
        shown = system_df[list(_SHOWN)].rename(columns=heading)
        if time_axis:
            shown.insert(1, _("from (UTC)"), pd.to_datetime(system_df["start"], unit="s"))
        share = st.column_config.NumberColumn(format="percent")
        number = st.column_config.NumberColumn(format="%.2f")
        st.dataframe(
            shown,
            hide_index=True,
            width="stretch",
            key=f"{key}_table",
            column_config={
                heading["latency_p50_ms"]: number,
                heading["latency_p95_ms"]: number,
                heading["throughput_rps"]: number,
                heading["rows_per_s"]: number,
                heading["error_rate"]: share,
                heading["rejection_rate"]: share,
                heading["flagged_rate"]: share,
            },
        )
        st.caption(caption_system_table(width_words))


@st.cache_data(show_spinner=False, max_entries=16)
def _live_health(
    _ws, ws_path: str, project_id: int, log_state: tuple[int, int], minute: int, language: str
) -> LiveHealth:
    # ``language``: its sentences are written in the reader's language, so each language has its own entry
    return stage_live_health(_ws, project_id)


def live_health_panel(ws, project_id: int) -> None:
    """Real traffic (HTTP, the app, the CLI; not the simulator) by time window: its system health, and
    its performance on the answers whose labels came back through /feedback."""
    st.subheader(_("System health of live traffic"))
    with user_errors():
        # computed again when an answer or a label is logged, and each minute (the open window grows)
        with st.spinner(_("Reading live traffic's health…")):
            live = _live_health(
                ws,
                str(ws.root),
                project_id,
                get_arm_log_state(ws, project_id),
                int(time.time() // 60),
                current_language(),
            )
        if live.rows_read == 0:
            st.caption(
                _(
                    "No real traffic yet (over HTTP, from the app or the command line): the simulator's windows "
                    "have their own system health in the report below."
                )
            )
            return
        st.caption(
            escape_markdown(
                _(
                    "Real traffic per {width} (not the simulator's), from its newest {n} answers; each window is "
                    "a {width} of the clock."
                ).format(width=live.width_words, n=format_count(live.rows_read))
            )
        )
        system_panel(live.system_df, width_words=live.width_words, key="live_system")
        st.markdown("**{title}**".format(title=_("Performance on labelled answers")))  # i18n: skip
        performance = live.performance_df
        st.caption(escape_markdown(caption_live_labels(performance, live.width_words)))
        if performance.empty:
            return
        table = pd.concat(
            [
                get_performance_table_df(rows).assign(**{_("version"): version})
                for version, rows in performance.groupby("version", sort=False)
            ],
            ignore_index=True,
        )
        st.dataframe(table, hide_index=True, width="stretch", key="live_performance_table")
        for version, note in live.notes.items():
            st.caption(escape_markdown(f"{version}: {note}"))  # i18n: skip
