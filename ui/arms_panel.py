"""Monitoring per arm: Monitor's section (every version that answered the project's logged traffic:
drift of its rows, its labelled metric, its latency per request) and Deploy's champion-vs-challenger
chart (the live deployment's two versions)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.monitoring.charts_arms import (
    caption_arm_row,
    caption_arms_drift,
    caption_arms_overview,
    plot_arms_drift,
    plot_arms_overview,
)
from ui import cache
from ui.text import escape_markdown
from ui.widgets import chart, user_errors

_SHOWN = {
    "version": "version",
    "arm": "answered as",
    "rows": "rows",
    "requests": "requests",
    "latency_p50_ms": "p50 ms per request",
    "latency_p95_ms": "p95 ms per request",
    "labelled": "labelled",
    "metric": "metric",
    "metric_value": "on labelled",
    "drifted_features": "drifted features",
    "max_psi": "largest PSI",
    "most_drifted": "most drifted",
}


def arms_panel(ws, project_id: int) -> None:
    """Monitor: each version on the project's newest logged answers."""
    st.subheader("Each version on live traffic")
    with user_errors():
        report = cache.arms_report(ws, project_id)
        arms = report.arms
        st.caption(
            escape_markdown(
                f"The newest {report.log_rows:,} logged answers of every deployment of this project (requests sent "
                "to the endpoint, from Deploy and by Monitor's simulator), per version that answered or shadowed them: the "
                "drift of the rows it answered against its own training data, its metric on the answers whose true "
                "label came back, and its latency per request (a batch of many rows is one request)."
            )
        )
        if arms.empty:
            return
        number = st.column_config.NumberColumn(format="%.2f")
        st.dataframe(
            arms[list(_SHOWN)].rename(columns=_SHOWN),
            hide_index=True,
            width="stretch",
            key="arms_table",
            column_config={
                "p50 ms per request": number,
                "p95 ms per request": number,
                "on labelled": st.column_config.NumberColumn(format="%.3f"),
                "largest PSI": number,
            },
        )
        for _, row in arms.iterrows():
            st.caption(escape_markdown(caption_arm_row(row)))
        chart(plot_arms_overview(arms), caption_arms_overview(arms), key="arms_overview")
        chart(plot_arms_drift(report.drift), caption_arms_drift(report.drift), key="arms_drift")


def champion_challenger_panel(ws, project_id: int, deployment: dict[str, Any]) -> None:
    """Deploy: the live deployment's champion against its challenger on the traffic it logged (only
    when it has both)."""
    if not deployment.get("challenger_version_id"):
        return
    with user_errors():
        report = cache.arms_report(ws, project_id, deployment["id"])
        if report.arms.empty:
            return
        st.subheader("Champion vs challenger on this deployment's traffic")
        st.caption(
            f"The newest {report.log_rows:,} answers of the live deployment only: Monitor's 'Each version on live "
            "traffic' reads every deployment of the project, so its numbers can differ."
        )
        chart(plot_arms_overview(report.arms), caption_arms_overview(report.arms), key="deploy_arms_overview")
