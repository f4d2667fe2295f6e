"""Monitor's alerts: the report's alerts with their rule, evidence and chart; the project's alert rules
to view and edit (threshold, severity, cool-down, on/off; add, remove, reset to the defaults); the
webhook URL; and the outbox with each alert's delivery. Calls core and renders; user text (rule names,
URLs, sentences quoting column names) is escaped or shown in tables."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core import pipeline, registry
from core.formatting import format_count, format_value
from core.glossary import readable_columns
from core.i18n import N_, _, ngettext
from core.monitoring import delivery, rule_store
from core.monitoring.evaluation import BUILT_IN_REASONS
from core.monitoring.reports import MonitoringReport
from core.monitoring.rules import (
    COMPARISONS,
    SEVERITIES,
    SEVERITY_LABELS,
    SIGNALS,
    AlertRule,
    new_rule_id,
    with_changes,
)
from core.problem.definition import ProblemConfig
from core.workspace.errors import ConfigError
from ui.text import escape_markdown
from ui.widgets import flash, user_errors

# The charts an alert can point at: Monitor puts an anchor of that name above each (ui.widgets.anchor).
CHART_TITLES = {
    "drift_heatmap": N_("the drift heatmap (PSI per feature and window)"),
    "prediction_drift": N_("the prediction drift chart"),
    "performance": N_("the performance chart"),
    "domain_drift": N_("the multivariate drift chart"),
    "system_health": N_("the system health chart"),
}


def alerts_list(report: MonitoringReport) -> None:
    """The report's alerts, each with the rule that fired it, its evidence and the chart to look at."""
    if not report.alerts:
        st.caption(_("No rule fired in any window of this report."))
        return
    n = len(report.alerts)
    with st.expander(ngettext("{n} alert over the windows", "{n} alerts over the windows", n).format(n=n)):
        for alert in report.alerts:
            (st.error if alert.level == "critical" else st.warning)(escape_markdown(alert.message))
            if alert.rule:
                link = (
                    " " + _("[See {chart}](#{anchor}).").format(chart=_(CHART_TITLES[alert.chart]), anchor=alert.chart)
                    if alert.chart in CHART_TITLES
                    else ""
                )
                st.caption(escape_markdown(_describe_evidence(alert.rule_name, alert.evidence)) + link)


def _describe_evidence(rule_name: str, evidence: dict[str, Any]) -> str:
    parts = [_("Rule '{rule}'").format(rule=rule_name)]
    if evidence.get("value") is not None:
        value = format_value(evidence["value"], digits=4)
        if evidence.get("threshold") is None:
            parts.append(_("value {value}").format(value=value))
        else:
            limit = format_value(evidence["threshold"], digits=4)
            parts.append(_("value {value} against {limit}").format(value=value, limit=limit))
    if evidence.get("rows"):
        rows = int(evidence["rows"])
        parts.append(ngettext("{n} row in the window", "{n} rows in the window", rows).format(n=format_count(rows)))
    return "; ".join(parts) + "."


def _rule_choice(by_id: dict[str, AlertRule], rule_id: str) -> str:
    """A rule as a choice: its name, with a number only when another rule has the same name."""
    name = by_id[rule_id].name
    twins = [i for i, r in by_id.items() if r.name == name]
    return name if len(twins) == 1 else f"{name} ({twins.index(rule_id) + 1})"


def _rules_table(rules: list[AlertRule]) -> list[dict[str, Any]]:
    return [
        {
            _("rule"): r.name,
            _("signal"): _(SIGNALS[r.signal].label),
            _("when"): r.describe(),
            _("severity"): _(SEVERITY_LABELS[r.severity]),
            _("cool-down (windows)"): r.cooldown,
            _("on"): r.enabled,
            _("retrain reason"): r.retrain_reason or r.signal in BUILT_IN_REASONS,
        }
        for r in rules
    ]


def alert_rules_panel(ws, project_id: int, problem: ProblemConfig, labels_delayed: bool) -> None:
    """View and edit the project's rules, its webhook and the outbox."""
    rules = rule_store.get_rules(
        ws, project_id, task=problem.task, metric=problem.metric, labels_delayed=labels_delayed
    )
    saved = rule_store.get_saved_rules(ws, project_id) is not None
    st.caption(
        _(
            "Each rule watches one signal per window and fires when the comparison holds; rules on the same signal "
            "give one alert per window, at the most severe level that fires. After a rule fires it stays quiet for "
            "its cool-down (in windows) unless a more severe rule fires. Changes apply to the next report."
        )
        + " "
        + (_("These are this project's own rules.") if saved else _("These are the defaults for this problem."))
    )
    st.dataframe(_rules_table(rules), hide_index=True, width="stretch")
    by_id = {r.id: r for r in rules}
    picked = st.selectbox(
        _("Rule to edit"), list(by_id), key="alert_rule_pick", format_func=lambda i: _rule_choice(by_id, i)
    )
    if picked is not None:
        _edit_rule(ws, project_id, rules, by_id[picked])
    with st.expander(_("Add a rule")):
        _add_rule(ws, project_id, rules)
    if saved and st.button(_("Reset the rules to the defaults"), key="alert_rules_reset"):
        rule_store.reset_rules(ws, project_id)
        flash("success", _("The alert rules are back to the defaults for this problem."))
        st.rerun()
    _webhook(ws, project_id)
    _outbox(ws, project_id)


def _edit_rule(ws, project_id: int, rules: list[AlertRule], rule: AlertRule) -> None:
    signal = SIGNALS[rule.signal]
    key = rule.id
    c1, c2, c3 = st.columns(3)
    changes: dict[str, Any] = {}
    if rule.comparison != "fails":
        changes["threshold"] = c1.number_input(
            _("Fires when the value is {comparison}").format(comparison=_(COMPARISONS[rule.comparison])),
            min_value=0.0,
            value=float(rule.threshold or 0.0),
            step=0.01,
            format="%.4f",
            key=f"alert_threshold_{key}",
        )
    else:
        c1.caption(_("Fires when the signal's own check fails (no threshold to set)."))
    changes["severity"] = c2.selectbox(
        _("Severity"),
        SEVERITIES,
        index=SEVERITIES.index(rule.severity),
        key=f"alert_severity_{key}",
        format_func=lambda v: _(SEVERITY_LABELS[v]),
    )
    changes["cooldown"] = int(
        c3.number_input(
            _("Cool-down (windows)"), min_value=0, max_value=1000, value=rule.cooldown, key=f"alert_cooldown_{key}"
        )
    )
    d1, d2, d3, d4 = st.columns(4)
    if signal.per_feature:
        changes["min_features"] = int(
            d1.number_input(
                _("In at least N features"),
                min_value=1,
                max_value=1000,
                value=rule.min_features,
                key=f"alert_min_{key}",
            )
        )
    last = int(
        d2.number_input(
            _("Only the last N windows (0: every window)"),
            min_value=0,
            max_value=1000,
            value=rule.last_windows or 0,
            key=f"alert_last_{key}",
        )
    )
    changes["last_windows"] = last or None
    changes["enabled"] = d3.checkbox(_("On"), value=rule.enabled, key=f"alert_enabled_{key}")
    built_in = rule.signal in BUILT_IN_REASONS
    changes["retrain_reason"] = d4.checkbox(
        _("Reason to retrain"),
        value=rule.retrain_reason or built_in,
        disabled=built_in,
        key=f"alert_reason_{key}",
        help=_(
            "Drift, new values, the business bar and decay always count in the retraining decision; the "
            "strong-drift rule's threshold is the one it uses, and switching that rule off leaves drift out of it."
        )
        if built_in
        else _("When this rule fires in the latest window, monitoring recommends retraining."),
    )
    if built_in:
        changes["retrain_reason"] = rule.retrain_reason
    b1, b2 = st.columns(2)
    if b1.button(_("Save rule"), key="alert_rule_save", type="primary"):
        with user_errors():
            edited = with_changes(rule, **changes)
            rule_store.save_rules(ws, project_id, [edited if r.id == rule.id else r for r in rules])
            flash("success", _("Saved: {rule}").format(rule=escape_markdown(edited.describe())))
            st.rerun()
    if b2.button(_("Remove this rule"), key="alert_rule_remove"):
        with user_errors():
            rule_store.save_rules(ws, project_id, [r for r in rules if r.id != rule.id])
            flash("success", _("Removed the rule '{name}'.").format(name=escape_markdown(rule.name)))
            st.rerun()


def _add_rule(ws, project_id: int, rules: list[AlertRule]) -> None:
    name = st.text_input(_("Name"), key="alert_new_name", placeholder=_("e.g. Slow answers"))
    signal = st.selectbox(
        _("Signal"), list(SIGNALS), key="alert_new_signal", format_func=lambda s: _(SIGNALS[s].label).capitalize()
    )
    comparisons = SIGNALS[signal].comparisons
    c1, c2, c3 = st.columns(3)
    comparison = c1.selectbox(
        _("Comparison"),
        comparisons,
        key=f"alert_new_comparison_{signal}",
        format_func=lambda c: _(COMPARISONS[c]),
    )
    threshold = c2.number_input(
        _("Threshold (not used by 'fails its check')"),
        min_value=0.0,
        value=0.25,
        step=0.01,
        format="%.4f",
        key="alert_new_threshold",
    )
    severity = c3.selectbox(
        _("Severity"), SEVERITIES, key="alert_new_severity", format_func=lambda v: _(SEVERITY_LABELS[v])
    )
    if st.button(_("Add rule"), key="alert_rule_add"):
        with user_errors():
            if not name.strip():
                raise ConfigError(_("Give the new rule a name, e.g. 'Slow answers'."))
            rule = AlertRule(
                new_rule_id(name, {r.id for r in rules}),
                name.strip(),
                signal,
                comparison,
                None if comparison == "fails" else float(threshold),
                severity=severity,
            ).validate()
            rule_store.save_rules(ws, project_id, [*rules, rule])
            flash("success", _("Added: {rule}").format(rule=escape_markdown(rule.describe())))
            st.rerun()


def _webhook(ws, project_id: int) -> None:
    st.markdown("**{title}**".format(title=_("Webhook")))  # i18n: skip
    current = rule_store.get_webhook(ws, project_id)
    url = st.text_input(_("Webhook URL (http or https; empty: none)"), value=current or "", key="alert_webhook_url")
    if st.button(_("Save webhook"), key="alert_webhook_save"):
        with user_errors():
            saved = rule_store.set_webhook(ws, project_id, url)
            flash("success", _("Webhook saved.") if saved else _("Webhook removed: alerts stay in the outbox."))
            st.rerun()
    st.caption(
        _(
            "Each alert of a new report is sent once as an HTTP POST of JSON (project, rule, window, severity, "
            "sentence, evidence, report_id), in the background: 3 attempts, 3 s timeout each, waiting 0.5 s then "
            "1 s between them."
        )
        if current
        else _("No webhook: alerts wait in the outbox below as 'pending'.")
    )


def _outbox(ws, project_id: int) -> None:
    st.markdown("**{title}**".format(title=_("Outbox")))  # i18n: skip
    counts = rule_store.count_outbox(ws, project_id)
    table = rule_store.get_outbox_df(ws, project_id)
    if table.empty:
        st.caption(_("The outbox is empty: no report has fired an alert yet."))
        return
    st.caption(
        _(
            "Alerts sent: {sent}; failed after every attempt: {failed}; pending (not sent yet, or no webhook to "
            "send them to): {pending}. A failed alert keeps its last error."
        ).format(sent=counts["sent"], failed=counts["failed"], pending=counts["pending"])
    )
    st.dataframe(readable_columns(table), hide_index=True, width="stretch")
    webhook = rule_store.get_webhook(ws, project_id)
    if webhook and counts["pending"] + counts["failed"] and st.button(_("Send the unsent alerts"), key="alert_resend"):
        with user_errors():
            delivery.start_delivery(ws, project_id, webhook)
            flash("info", _("Sending in the background; the outbox shows each alert's status."))
            st.rerun()


def watched_problem(ws, latest: dict) -> ProblemConfig:
    """The problem the report's version was registered for (its rules' defaults follow it)."""
    return registry.get_version_problem(ws, pipeline.get_watched_version(ws, latest))
