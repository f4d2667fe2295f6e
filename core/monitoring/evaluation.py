"""Alert rules evaluated on a report's per-window tables: a pure function from rules and tables to the
alerts, with each alert's sentence, evidence, rule and chart, and the cool-down. Rules on the same
signal speak with one voice per window: the most severe one that fires. After a rule fires it stays
quiet for its cool-down windows, and so does every less severe rule on the same signal: only a more
severe rule speaks in that time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from core.formatting import format_as, format_number
from core.i18n import _
from core.monitoring.alerts import (
    Alert,
    _decay_message,
    _describe_feature_list,
    _describe_new_values,
    _estimated_message,
    _percent,
    count_features,
)
from core.monitoring.drift import DriftConfig
from core.monitoring.rules import COMPARISONS, SEVERITIES, SIGNALS, AlertRule
from core.monitoring.windows import LOWER_IS_BETTER, WINDOW_COLUMN, metric_name

# Signals the retraining decision (get_retrain_decision) always weighs itself: a rule on them adds no reason.
BUILT_IN_REASONS = {"psi", "drift_pvalue", "new_share", "business_bar", "decay"}


@dataclass(frozen=True)
class WindowTables:
    """A report's per-window tables, as ``run_monitoring`` makes them. ``system_df`` (window,
    latency_p50_ms, latency_p95_ms, throughput_rps, error_rate, rejection_rate) may be absent: its
    rules are then not evaluated. ``window_rows``: rows per window, for the evidence."""

    feature_drift_df: pd.DataFrame
    prediction_drift_df: pd.DataFrame
    performance_df: pd.DataFrame
    performance_windows_df: pd.DataFrame | None = None
    domain_drift_df: pd.DataFrame | None = None
    domain_features_df: pd.DataFrame | None = None
    system_df: pd.DataFrame | None = None
    window_rows: dict[int, int] = field(default_factory=dict)

    def windows(self) -> list[int]:
        found: set[int] = set(self.window_rows)
        for df in (self.feature_drift_df, self.prediction_drift_df, self.performance_df, self.performance_windows_df):
            if df is not None and WINDOW_COLUMN in df:
                found |= {int(w) for w in df[WINDOW_COLUMN]}
        return sorted(found)


@dataclass(frozen=True)
class _Match:
    """A rule met in one window: the rows of its table that meet it (features, or the window's row)."""

    rule: AlertRule
    rows: pd.DataFrame


def _compare(values: pd.Series, comparison: str, threshold: float | None) -> pd.Series:
    v = values.astype(float)
    out = {">=": v >= threshold, ">": v > threshold, "<=": v <= threshold, "<": v < threshold}[comparison]
    return out.fillna(False).astype(bool)


def _table(rule: AlertRule, tables: WindowTables) -> pd.DataFrame | None:
    """The table a rule reads, reduced to the rows that meet its comparison (None: the table is absent)."""
    signal = rule.signal
    if SIGNALS[signal].per_feature:
        df = tables.feature_drift_df
        column = {"psi": "psi", "drift_pvalue": "pvalue", "new_share": "new_share"}[signal]
        mask = (
            df["drifted"].astype(bool)
            if rule.comparison == "fails"
            else _compare(df[column], rule.comparison, rule.threshold)
        )
        return df[mask]
    if signal == "prediction_psi":
        df = tables.prediction_drift_df
        return df[_compare(df["psi"], rule.comparison, rule.threshold)]
    if signal == "business_bar":
        return tables.performance_df[~tables.performance_df["passed"].astype(bool)]
    if signal in ("decay", "estimated_decay"):
        df = tables.performance_windows_df
        if df is None:
            return None
        return df[df["decayed"].astype(bool)] if signal == "decay" else df[df["estimate_decayed"] & ~df["labelled"]]
    if signal == "multivariate":
        df = tables.domain_drift_df
        if df is None:
            return None
        return (
            df[df["drifted"].astype(bool)]
            if rule.comparison == "fails"
            else df[_compare(df["auc"], rule.comparison, rule.threshold)]
        )
    df = tables.system_df  # a system signal: only when the report carries the table
    if df is None or signal not in df:
        return None
    return df[_compare(df[signal], rule.comparison, rule.threshold)]


def _matches(rule: AlertRule, tables: WindowTables, latest: int) -> dict[int, _Match]:
    met = _table(rule, tables)
    if met is None or met.empty:
        return {}
    first = latest - rule.last_windows + 1 if rule.last_windows is not None else None
    found = {}
    for window, rows in met.groupby(WINDOW_COLUMN, sort=True):
        if first is not None and int(window) < first:
            continue
        if SIGNALS[rule.signal].per_feature and rows["feature"].nunique() < rule.min_features:
            continue
        found[int(window)] = _Match(rule, rows)
    return found


def evaluate_rules(
    rules: Sequence[AlertRule], tables: WindowTables, config: DriftConfig = DriftConfig()
) -> list[Alert]:
    """The alerts ``rules`` raise on ``tables``, sorted by window then kind: per window and signal kind,
    one alert at the severity of the most severe rule that fires and is not cooling down."""
    windows = tables.windows()
    if not windows:
        return []
    latest = max(windows)
    enabled = [r for r in rules if r.enabled]
    alerts: list[Alert] = []
    for kind in dict.fromkeys(r.kind for r in enabled):
        of_kind = [r for r in enabled if r.kind == kind]
        matches = {r.id: _matches(r, tables, latest) for r in of_kind}
        fired_at: dict[str, int] = {}
        for window in windows:
            firing = [matches[r.id][window] for r in of_kind if window in matches[r.id]]
            if not firing:
                continue
            # Cooling down: a rule as severe or more, of this signal, fired within its own cool-down.
            cooling = [r for r in of_kind if r.id in fired_at and window - fired_at[r.id] <= r.cooldown]
            active = [m for m in firing if not any(_rank(r) >= _rank(m.rule) for r in cooling)]
            if not active:
                continue
            for m in active:
                fired_at[m.rule.id] = window
            alerts.append(_make_alert(kind, window, firing, active, tables, config))
    return sorted(alerts, key=lambda a: (a.window, a.kind))


def _rank(rule: AlertRule) -> int:
    return SEVERITIES.index(rule.severity)


def _make_alert(
    kind: str, window: int, firing: list[_Match], active: list[_Match], tables: WindowTables, config: DriftConfig
) -> Alert:
    rule = max(active, key=lambda m: _rank(m.rule)).rule  # the first of the most severe
    # Every rule that fires speaks in the sentence (the features any of them found).
    rows = pd.concat([m.rows for m in firing]).drop_duplicates(
        subset=["feature"] if "feature" in firing[0].rows else None
    )
    message, evidence = _describe(rule, window, rows, tables, config)
    rows_in_window = tables.window_rows.get(window)
    evidence = {"window": window, "rows": rows_in_window, **evidence}
    return Alert(
        level=rule.severity,
        window=window,
        kind=kind,
        message=message,
        rule=rule.id,
        rule_name=rule.name,
        evidence=_plain(evidence),
        chart=rule.chart,
    )


def _plain(value: Any) -> Any:
    """Evidence as JSON-ready plain values (numpy scalars become Python numbers, NaN None)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _limit(rule: AlertRule, own: float | None) -> float | None:
    return own if rule.comparison == "fails" else rule.threshold


def _describe(
    rule: AlertRule, window: int, rows: pd.DataFrame, tables: WindowTables, config: DriftConfig
) -> tuple[str, dict[str, Any]]:
    """The alert's sentence (the wording monitoring always used, where it exists) and its evidence."""
    kind = rule.kind
    if kind == "data_drift":
        rows = rows.sort_values("psi", ascending=False)
        evidence = {
            "value": float(rows["psi"].max()),
            "threshold": _limit(rule, config.psi_threshold),
            "features": dict(zip(rows["feature"], rows["psi"].astype(float))),
        }
        if rule.signal == "drift_pvalue":
            evidence = {
                "value": float(rows["pvalue"].min()),
                "threshold": rule.threshold,
                "features": dict(zip(rows["feature"], rows["pvalue"].astype(float))),
            }
        return _("In window {window}, {features} drifted: {listed}.").format(
            window=window, features=count_features(len(rows)), listed=_describe_feature_list(rows)
        ), evidence
    if kind == "new_values":
        rows = rows.sort_values("new_share", ascending=False)
        return (
            _(
                "In window {window}, {new_values}: the model never learned what it means, so its answers for those "
                "rows are guesses."
            ).format(window=window, new_values=_describe_new_values(rows)),
            {
                "value": float(rows["new_share"].max()),
                "threshold": rule.threshold,
                "features": dict(zip(rows["feature"], rows["new_share"].astype(float))),
            },
        )
    row = rows.iloc[0]
    if kind == "prediction_drift":
        return (
            _(
                "In window {window}, the model's scores shifted (PSI {psi}, {label}): it now predicts differently "
                "than on the reference data."
            ).format(window=window, psi=format_number(row.psi), label=_(str(row.label))),
            {"value": float(row.psi), "threshold": rule.threshold},
        )
    if kind == "performance":
        lower = row.metric in LOWER_IS_BETTER
        said = (
            _("In window {window}, {metric} is {value}, above the required {required}.")
            if lower
            else _("In window {window}, {metric} is {value}, below the required {required}.")
        )
        return (
            said.format(
                window=window,
                metric=metric_name(row.metric),
                value=format_number(row.value),
                required=format_number(row.threshold),
            ),
            {"value": float(row.value), "threshold": float(row.threshold), "metric": row.metric},
        )
    if kind in ("performance_decay", "estimated_decay"):
        lower = row.metric in LOWER_IS_BETTER
        limit = float(row.limit_upper if lower else row.limit_lower)
        if kind == "performance_decay":
            message = _decay_message(row, tables.performance_df, tables.feature_drift_df)
            evidence = {"value": float(row.realised), "threshold": limit, "labelled_rows": int(row.labelled_rows)}
        else:
            message = _estimated_message(row)
            evidence = {"value": float(row.estimated), "threshold": limit, "lower": row.lower, "upper": row.upper}
        return message, {**evidence, "metric": row.metric, "expected": float(row.expected)}
    if kind == "multivariate_drift":
        return _describe_multivariate(rule, window, row, tables)
    return _describe_system(rule, window, rows)


def _describe_multivariate(rule: AlertRule, window: int, row: Any, tables: WindowTables) -> tuple[str, dict[str, Any]]:
    behind = tables.domain_features_df
    names: list[str] = []
    if behind is not None and not behind.empty:
        here = behind[(behind[WINDOW_COLUMN] == window) & (behind["importance"] > 0)]
        names = here.sort_values("importance", ascending=False)["feature"].head(3).tolist()
    driven = _(", most of all by {features}").format(features=", ".join(names)) if names else ""
    limit = float(row.threshold) if rule.threshold is None else rule.threshold
    bound = (
        _("above the {limit} chance reaches").format(limit=format_number(limit))
        if rule.threshold is None
        else _("{comparison} the {limit} this rule allows").format(
            comparison=_(COMPARISONS[rule.comparison]), limit=format_number(limit)
        )
    )
    return (
        _(
            "In window {window}, the inputs drifted together: a classifier tells this window's rows from the "
            "reference with an AUC of {auc}, {bound} (p = {p}){driven}."
        ).format(window=window, auc=format_number(row.auc), bound=bound, p=format_number(row.pvalue), driven=driven),
        {"value": float(row.auc), "threshold": limit, "pvalue": float(row.pvalue), "features": names},
    )


def _describe_system(rule: AlertRule, window: int, rows: pd.DataFrame) -> tuple[str, dict[str, Any]]:
    """The window's worst version (a canary's window has one row per version), named, against the rule."""
    row = rows.loc[rows[rule.signal].astype(float).idxmax()]
    value, threshold = float(row[rule.signal]), float(rule.threshold or 0.0)
    comparison = ">=" if rule.comparison == ">=" else ">"
    bound = _(COMPARISONS[comparison])
    version = row.get("version")
    named = isinstance(version, str) and bool(version)
    who = _(" from {version}").format(version=version) if named else ""
    to = _(" to {version}").format(version=version) if named else ""
    if rule.signal == "latency_p95_ms":
        message = _(
            "In window {window}, the slowest 5% of answers{who} took {value} ms or more (p95), {bound} the "
            "{limit} ms this rule allows: callers wait too long for an answer."
        ).format(window=window, who=who, value=_ms(value), bound=bound, limit=_ms(threshold))
    elif rule.signal == "error_rate":
        message = _(
            "In window {window}, {value} of the rows sent{to} got an error instead of an answer, {bound} the "
            "{limit} this rule allows: callers got no answer for them."
        ).format(window=window, value=_percent(value), to=to, bound=bound, limit=_percent(threshold))
    else:
        message = _(
            "In window {window}, the endpoint refused {value} of the rows sent{to}, {bound} the {limit} this rule "
            "allows: the deployment's validation policy refuses rows that break the rules learned from training "
            "(Deploy shows the policy)."
        ).format(window=window, value=_percent(value), to=to, bound=bound, limit=_percent(threshold))
    return message, {"value": value, "threshold": threshold, **({"version": version} if who else {})}


def _ms(value: float) -> str:
    return format_as(value, ",.0f") if value >= 10 else format_as(value, ".1f")


def decision_drift_config(rules: Sequence[AlertRule], config: DriftConfig) -> DriftConfig:
    """The drift settings the retrain decision reads, following the project's rule for strong drift in
    several features (the default 'data_drift_major'): its edited PSI threshold counts, and with the
    rule switched off (or no longer a retrain reason) strong drift alone no longer asks for retraining."""
    major = [r for r in rules if r.signal == "psi" and r.comparison in (">=", ">") and r.min_features >= 2]
    if not major:
        return config
    thresholds = [r.threshold for r in major if r.enabled and r.retrain_reason and r.threshold is not None]
    threshold = min(thresholds) if thresholds else math.inf
    return replace(config, psi_threshold=threshold)


def get_rule_retrain_reasons(alerts: Sequence[Alert], rules: Sequence[AlertRule], latest: int) -> list[Alert]:
    """Alerts of the latest window raised by rules marked as a reason to retrain, beyond the signals the
    retraining decision always weighs itself (drift, new values, the business bar, decay)."""
    marked = {r.id for r in rules if r.retrain_reason and r.signal not in BUILT_IN_REASONS}
    return [a for a in alerts if a.window == latest and a.rule in marked]


def add_rule_reasons(
    retrain: bool, reason: str, alerts: Sequence[Alert], rules: Sequence[AlertRule], latest: int
) -> tuple[bool, str]:
    """The retraining decision with the reasons rules add: each such alert of the latest window, in its words."""
    extra = get_rule_retrain_reasons(alerts, rules, latest)
    if not extra:
        return retrain, reason
    said = " ".join(
        _("{alert} (rule '{rule}' counts as a reason to retrain).").format(alert=a.message[:-1], rule=a.rule_name)
        for a in extra
    )
    if retrain:
        return True, f"{reason} {said}"
    return True, _("{said} Retrain. (Otherwise: {reason})").format(said=said, reason=reason)
