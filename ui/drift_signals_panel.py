"""Monitor's stronger drift signals: the multivariate check per window and drift ranked by what the
model uses. Draws a report's tables with their sentences; computes nothing."""

from __future__ import annotations

import streamlit as st

from core.glossary import readable_columns
from core.i18n import _
from core.monitoring.charts_drift import (
    caption_domain_drift,
    caption_drift_by_importance,
    plot_domain_drift,
    plot_drift_by_importance,
)
from core.monitoring.importance import get_drift_by_importance_df
from core.monitoring.reports import MonitoringReport
from ui import cache
from ui.widgets import chart


def drift_signals_panel(report: MonitoringReport) -> None:
    """Two charts side by side: the domain classifier per window, and the last window's drift ranked by
    the model's importance; then the columns behind the multivariate drift."""
    st.markdown("**{title}**".format(title=_("Beyond one column at a time")))  # i18n: skip
    # Built once per content for every session (ui.cache.built): a saved report never changes.
    ranked = cache.built(get_drift_by_importance_df, report.feature_drift_df, report.model_importance)
    c1, c2 = st.columns(2)
    with c1:
        chart(
            cache.built(plot_domain_drift, report.domain_drift_df),
            cache.built(caption_domain_drift, report.domain_drift_df, report.domain_features_df),
            key="domain_drift",
        )
    with c2:
        chart(
            cache.built(plot_drift_by_importance, ranked),
            cache.built(caption_drift_by_importance, ranked),
            key="drift_by_importance",
        )
    if not report.domain_features_df.empty:
        with st.expander(_("Columns that tell the drifted windows apart (AUC lost when the column is shuffled)")):
            st.dataframe(readable_columns(report.domain_features_df), hide_index=True, width="stretch")
