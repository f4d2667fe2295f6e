"""Monitor's performance section: the metric per window against the model's own holdout (control
limits), estimated from its confidence where labels have not arrived, with one sentence and how the
estimate was made."""

from __future__ import annotations

import streamlit as st

from core.i18n import _
from core.monitoring.charts import caption_performance, plot_performance
from core.monitoring.charts_performance import caption_performance_windows, plot_performance_windows
from core.monitoring.performance import get_performance_table_df
from core.monitoring.reports import MonitoringReport
from ui import cache
from ui.text import escape_markdown
from ui.widgets import chart


def performance_panel(report: MonitoringReport) -> None:
    windows, reference = report.performance_windows_df, report.performance_reference
    if windows.empty or reference is None:  # a report saved before performance had a reference
        performance = report.performance_df
        chart(
            cache.built(plot_performance, performance), cache.built(caption_performance, performance), key="performance"
        )
        return
    bar = report.performance_df
    threshold = float(bar["threshold"].iloc[0]) if not bar.empty else None
    chart(  # built once per content for every session (ui.cache.built): a saved report never changes
        cache.built(plot_performance_windows, windows, threshold),
        cache.built(caption_performance_windows, windows, reference),
        key="performance",
    )
    st.caption(escape_markdown(reference.estimation_note))
    with st.expander(_("Performance per window: labels, realised, estimated, control limit")):
        st.dataframe(get_performance_table_df(windows), hide_index=True, width="stretch")
        st.caption(
            _(
                "A window is unlabelled until its first labels arrive; until then only the estimate speaks for it. "
                "'decayed' means worse than the model's own holdout gives by chance, in that window or summed "
                "over the windows before it."
            )
        )
