"""Monitor: simulated production traffic through the live endpoint; per-feature drift (PSI and a
statistical test) per time window, prediction drift, performance once labels arrive, alerts — and
the Retrain action that loops back to training."""

import streamlit as st

from core import pipeline, registry
from core.data.validation import caption_violations_by_window
from core.deployment import serving
from core.formatting import format_count
from core.glossary import readable_columns
from core.i18n import _, ngettext
from core.monitoring.charts import (
    caption_drift_heatmap,
    caption_drift_table,
    caption_excluded_columns,
    caption_feature_psi,
    caption_prediction_drift,
    get_features_by_drift,
    plot_drift_heatmap,
    plot_feature_psi,
    plot_prediction_drift,
)
from core.monitoring.simulation import SCENARIOS, TrafficConfig
from core.workspace import jobs
from ui import cache
from ui.alert_rules_panel import alert_rules_panel, alerts_list, watched_problem
from ui.arms_panel import arms_panel
from ui.autopilot_panel import autopilot_panel
from ui.drift_signals_panel import drift_signals_panel
from ui.frame import page_setup, require_project
from ui.live_traffic_panel import live_traffic_panel
from ui.performance_panel import performance_panel
from ui.security_panel import security_alerts_panel
from ui.system_panel import live_health_panel, system_panel
from ui.text import escape_markdown
from ui.widgets import anchor, chart, flash, job_panel, readable_table, show_flash, user_errors

ws, project = page_setup(
    _("Monitor"),
    ":material/monitoring:",
    _("Watch the deployed model in (simulated) production and decide when to retrain."),
)
project = require_project(project)
pid = project["id"]
if serving.get_active_deployment(ws, pid) is None:
    st.info(_("Deploy a model first: monitoring watches the live endpoint."))
    st.page_link(
        "pages/7_Deploy.py", label=_("Go to Deploy"), icon=":material/rocket_launch:", query_params={"project": pid}
    )
    st.stop()

with st.expander(_("Simulate production traffic"), expanded=cache.latest_monitoring(ws, pid) is None):
    scenario = st.selectbox(
        _("Drift scenario"),
        list(SCENARIOS),
        key="scenario",
        format_func=lambda s: f"{s} — {_(SCENARIOS[s])}",  # i18n: skip
    )
    c1, c2, c3 = st.columns(3)
    windows = c1.slider(_("Time windows (e.g. weeks)"), 3, 12, 6, key="windows")
    rows = c2.slider(_("Rows per window"), 100, 2000, 500, 100, key="rows_per_window")
    start = c3.slider(_("Drift starts in window"), 1, windows, min(3, windows), key="drift_start")
    d1, d2 = st.columns(2)
    delay = d1.slider(_("Labels arrive after (windows)"), 0, windows, 0, key="label_delay")
    share = d2.slider(_("Share of rows that ever get a label"), 0.1, 1.0, 1.0, 0.1, key="label_share")
    if st.button(_("Simulate traffic and monitor"), key="simulate", type="primary"):
        with user_errors(), st.spinner(_("Sending traffic through the endpoint and checking drift…")):
            pipeline.stage_monitor(
                ws,
                pid,
                TrafficConfig(
                    scenario=scenario,
                    windows=windows,
                    rows_per_window=rows,
                    drift_start=start,
                    label_delay=delay,
                    label_share=share,
                ),
            )

live_traffic_panel(ws, pid)
live_health_panel(ws, pid)
arms_panel(ws, pid)
autopilot_panel(ws, pid)
security_alerts_panel(ws, pid)  # probing, out-of-range spikes and extraction, per key
latest = cache.latest_monitoring(ws, pid)  # the saved report, read once per process
show_flash()
if latest is None:
    with user_errors():
        for sentence in pipeline.describe_watch(ws, pid):
            st.caption(escape_markdown(sentence))
    st.stop()
report, traffic = latest["report"], latest["traffic"]
st.subheader(
    _("Report {id}: scenario '{scenario}', {windows} windows × {rows} rows").format(
        id=latest["id"],
        scenario=traffic["scenario"],
        windows=traffic["windows"],
        rows=format_count(traffic["rows_per_window"]),
    )
)
# Which version this report watched, judged on which problem; then what has changed since, if anything.
with user_errors():
    watched, *changed = pipeline.describe_watch(ws, pid, latest)
    st.caption(escape_markdown(watched))
    for sentence in changed:
        st.warning(escape_markdown(sentence), icon=":material/visibility:")

# -- The decision first, with its evidence and what was done about it ---------------------------------
verdict = pipeline.get_monitoring_verdict(ws, pid, latest)
show = {"success": st.success, "info": st.info, "warning": st.warning}[verdict.level]
show(
    f"**{escape_markdown(verdict.headline)}** {escape_markdown(verdict.text)}",  # the text names features
    icon=":material/autorenew:" if verdict.level != "success" else None,
)
alerts_list(report)
with st.expander(_("Alert rules, webhook and outbox"), icon=":material/notifications:"):
    with user_errors():
        alert_rules_panel(ws, pid, watched_problem(ws, latest), int(traffic.get("label_delay", 0)) > 0)

fd = report.feature_drift_df
anchor("drift_heatmap")
saved = cache.monitoring_key(ws, latest)  # charts of a saved report are built once (ui.cache.shared)
chart(
    *cache.shared((*saved, "heatmap"), lambda: (plot_drift_heatmap(fd), caption_drift_heatmap(fd))), key="drift_heatmap"
)
if report.excluded_columns:
    st.caption(escape_markdown(caption_excluded_columns(report.excluded_columns)))
anchor("performance")
performance_panel(report)
anchor("system_health")
st.markdown("**{title}**".format(title=_("System health per window")))
if report.system_df.empty:
    st.caption(_("This report was made before system health was measured: simulate traffic again to see it."))
else:
    system_panel(report.system_df, key="report_system")
anchor("prediction_drift")
pdd = report.prediction_drift_df
chart(
    *cache.shared((*saved, "prediction"), lambda: (plot_prediction_drift(pdd), caption_prediction_drift(pdd))),
    key="prediction_drift",
)
anchor("domain_drift")
drift_signals_panel(report)


@st.fragment  # choosing a feature redraws this chart only, not the whole page
def feature_drift() -> None:
    feature = st.selectbox(_("Drift of one feature over time"), get_features_by_drift(fd), key="drift_feature")
    psi = cache.shared(
        (*saved, "psi", feature), lambda: (plot_feature_psi(fd, feature), caption_feature_psi(fd, feature))
    )
    chart(*psi, key="feature_psi")


feature_drift()
st.caption(_("PSI below 0.1 means no drift, 0.1–0.25 moderate drift, 0.25 and above major drift."))
violations = latest["violations"]
if not violations.empty:
    with st.expander(
        ngettext(
            "Data checks: {n} rule violation in production",
            "Data checks: {n} rule violations in production",
            len(violations),
        ).format(n=format_count(len(violations))),
        icon=":material/rule:",
    ):
        st.dataframe(readable_columns(violations), hide_index=True, width="stretch")
st.caption(
    escape_markdown(caption_violations_by_window(violations))
    if not violations.empty
    else _("Every production row passed the validation rules learned from the training data.")
)
with st.expander(_("Every feature and window: PSI and the statistical test")):
    shown_fd = fd.assign(label=fd["label"].map(_))  # "major drift" is a code; its words are the reader's
    readable_table(shown_fd.sort_values(["window", "psi"], ascending=[True, False]), width="stretch")
    st.caption(caption_drift_table(report.config))

# -- Retrain: back to training with fresh data ------------------------------------------------------
st.subheader(_("Retrain"))
st.write(
    _(
        "Retrains the champion's model family on the training data plus half of the labelled production rows "
        "since the drift began, checks it on the other half, and registers it as challenger if it passes the gate."
    )
)
job = jobs.latest_job(ws, pid, "retrain")
if st.button(
    _("Retrain on fresh data"),
    key="retrain",
    type="primary" if report.retrain_recommended else "secondary",
    disabled=job is not None and job["status"] == "running",
):
    report_id = latest["id"]
    jobs.start_job(ws, pid, "retrain", lambda progress: pipeline.stage_retrain(ws, pid, report_id, progress=progress))
    st.rerun()
if job is not None:
    job_panel(ws, job["id"])  # progress while it runs, the error if it failed; the outcome is the headline above
# The challenger a retraining registered, while it is still the challenger: one click to make it serve.
registered = (latest["retraining"] or {}).get("registered")
challenger = registry.get_alias_version(ws, pid, registered["model"], "challenger") if registered else None
if challenger is not None and challenger["id"] == registered["id"]:
    live = serving.get_active_deployment(ws, pid)
    redeploys = live is not None and serving.get_serving_version(ws, live)["model_name"] == registered["model"]
    if st.button(
        (
            _("Promote challenger v{version} to champion and redeploy")
            if redeploys
            else _("Promote challenger v{version} to champion")
        ).format(version=challenger["version"]),
        key="promote_retrained",
    ):
        with user_errors():
            reason = "promoted after retraining"  # i18n: skip (stored in the audit log)
            promoted = pipeline.stage_promote(ws, pid, registered["model"], reason=reason)
            flash("success", promoted["message"])
            st.rerun()
