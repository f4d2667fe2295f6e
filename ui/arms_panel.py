"""Monitoring per arm: Monitor's section (every version that answered the project's logged traffic:
drift of its rows, its labelled metric, its latency per request) and Deploy's champion-vs-challenger
chart (the live deployment's two versions)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.formatting import format_count
from core.i18n import N_, _
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
    "version": N_("version"),
    "arm": N_("answered as"),
    "rows": N_("rows"),
    "requests": N_("requests"),
    "latency_p50_ms": N_("p50 ms per request"),
    "latency_p95_ms": N_("p95 ms per request"),
    "labelled": N_("labelled"),
    "metric": N_("metric"),
    "metric_value": N_("on labelled"),
    "drifted_features": N_("drifted features"),
    "max_psi": N_("largest PSI"),
    "most_drifted": N_("most drifted"),
}


def arms_panel(ws, project_id: int) -> None:
    """Monitor: each version on the project's newest logged answers."""
    st.subheader(_("Each version on live traffic"))
    with user_errors():
        report = cache.arms_report(ws, project_id)
        arms = report.arms
        st.caption(
            escape_markdown(
                _(
                    "The newest {n} logged answers of every deployment of this project (requests sent to the "
                    "endpoint, from Deploy and by Monitor's simulator), per version that answered or shadowed them: "
                    "the drift of the rows it answered against its own training data, its metric on the answers "
                    "whose true label came back, and its latency per request (a batch of many rows is one request)."
                ).format(n=format_count(report.log_rows))
            )
        )
        if arms.empty:
            return
        number = st.column_config.NumberColumn(format="%.2f")
        headers = {key: _(label) for key, label in _SHOWN.items()}
        st.dataframe(
            arms[list(_SHOWN)].rename(columns=headers),
            hide_index=True,
            width="stretch",
            key="arms_table",
            column_config={
                headers["latency_p50_ms"]: number,
                headers["latency_p95_ms"]: number,
                headers["metric_value"]: st.column_config.NumberColumn(format="%.3f"),
                headers["max_psi"]: number,
            },
        )
        for _i, row in arms.iterrows():
            st.caption(escape_markdown(caption_arm_row(row)))
        # Built once per content for every session (ui.cache.built): the same report on every rerun.
        overview = (cache.built(plot_arms_overview, arms), cache.built(caption_arms_overview, arms))
        chart(*overview, key="arms_overview")
        drift = (cache.built(plot_arms_drift, report.drift), cache.built(caption_arms_drift, report.drift))
        chart(*drift, key="arms_drift")


def champion_challenger_panel(ws, project_id: int, deployment: dict[str, Any]) -> None:
    """Deploy: the live deployment's champion against its challenger on the traffic it logged (only
    when it has both)."""
    if not deployment.get("challenger_version_id"):
        return
    with user_errors():
        report = cache.arms_report(ws, project_id, deployment["id"])
        if report.arms.empty:
            return
        st.subheader(_("Champion vs challenger on this deployment's traffic"))
        st.caption(
            _(
                "The newest {n} answers of the live deployment only: Monitor's 'Each version on live "
                "traffic' reads every deployment of the project, so its numbers can differ."
            ).format(n=format_count(report.log_rows))
        )
        chart(plot_arms_overview(report.arms), caption_arms_overview(report.arms), key="deploy_arms_overview")
