"""What monitoring concludes from the per-window tables: the alerts of each window (data drift, values
never seen in training, prediction drift, performance) and the retrain decision, each with the plain
sentence that says why. A module of its own so the rules can change without touching the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.formatting import format_number
from core.monitoring.drift import DriftConfig
from core.monitoring.importance import get_barely_used
from core.monitoring.rules import NEW_VALUES_SHARE, get_default_rules
from core.monitoring.windows import LOWER_IS_BETTER, WINDOW_COLUMN, metric_name
from core.problem.definition import METRICS

__all__ = ["NEW_VALUES_SHARE", "Alert", "get_alerts", "get_retrain_decision"]


@dataclass
class Alert:
    level: str  # "warning" | "critical": the severity of the rule that fired
    window: int
    kind: str  # "data_drift" | "new_values" | "prediction_drift" | "performance" | "performance_decay"
    # | "estimated_decay" | "multivariate_drift" | "latency" | "error_rate" | "rejection_rate"
    message: str  # one plain sentence
    rule: str = ""  # the id of the rule that fired it ("" in reports saved before rules were data)
    rule_name: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)  # value, threshold, window, rows (and per feature)
    chart: str = ""  # the key of the Monitor chart that shows it

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "window": int(self.window),
            "kind": self.kind,
            "message": self.message,
            "rule": self.rule,
            "rule_name": self.rule_name,
            "evidence": dict(self.evidence),
            "chart": self.chart,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        return cls(
            level=data["level"],
            window=int(data["window"]),
            kind=data["kind"],
            message=data["message"],
            rule=data.get("rule", ""),
            rule_name=data.get("rule_name", ""),
            evidence=dict(data.get("evidence") or {}),
            chart=data.get("chart", ""),
        )

    def to_summary(self) -> dict[str, Any]:
        """The CLI's `monitoring.alerts` item: {rule, window, severity, sentence}."""
        return {"rule": self.rule, "window": int(self.window), "severity": self.level, "sentence": self.message}


def _describe_feature_list(rows: pd.DataFrame) -> str:
    """'tenure_months (PSI 1.20, major drift) and contract (PSI 0.31, major drift)'."""
    parts = [f"{r.feature} (PSI {format_number(r.psi)}, {r.label})" for r in rows.itertuples(index=False)]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%" if share < 0.1 else f"{100 * share:.0f}%"


def _describe_new_values(rows: pd.DataFrame) -> str:
    """'contract has a value never seen in training in 203 of 500 rows (41%)', joined with 'and'."""
    parts = []
    for r in rows.itertuples(index=False):
        window_rows = round(r.new_rows / r.new_share) if r.new_share > 0 else 0
        parts.append(
            f"{r.feature} has a value never seen in training in {r.new_rows:,} of {window_rows:,} rows "
            f"({_percent(r.new_share)})"
        )
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def get_new_values_df(feature_drift_df: pd.DataFrame) -> pd.DataFrame:
    """The (window, feature) rows where a value never seen in training fills at least
    ``NEW_VALUES_SHARE`` of the window: a new category the model cannot have learned."""
    return feature_drift_df[feature_drift_df["new_share"] >= NEW_VALUES_SHARE].sort_values(
        [WINDOW_COLUMN, "new_share"], ascending=[True, False]
    )


def describe_decay(row: Any, *, name_window: bool = True) -> str:
    """Why a window of the performance windows decayed, e.g. 'ROC-AUC fell to 0.89 in window 4 (500
    labelled rows), below 0.91, the lowest the model's own holdout gives a window by chance (it usually
    scores 0.98)', or, when the drop builds up over windows, that it stayed below its usual value.
    ``name_window=False`` leaves the window out, for a sentence that starts 'In window 4'."""
    lower = row.metric in LOWER_IS_BETTER
    limit = row.limit_upper if lower else row.limit_lower
    name, value, usual = metric_name(row.metric), format_number(row.realised), format_number(row.expected)
    where = f" in window {row.window}" if name_window else ""
    if (row.realised > limit) if lower else (row.realised < limit):
        return (
            f"{name} {'rose' if lower else 'fell'} to {value}{where} ({row.labelled_rows:,} labelled "
            f"rows), {'above' if lower else 'below'} {format_number(limit)}, the {'highest' if lower else 'lowest'} "
            f"the model's own holdout gives a window by chance (it usually scores {usual})"
        )
    return (
        f"{name} has been {'above' if lower else 'below'} the {usual} the model usually scores on its own holdout "
        f"for several windows in a row ({value}{where or ' here'}), further than chance goes over that many "
        "windows"
    )


def get_decay_alerts(
    performance_windows_df: pd.DataFrame,
    performance_df: pd.DataFrame | None = None,
    feature_drift_df: pd.DataFrame | None = None,
) -> list[Alert]:
    """Performance decay against the model's own holdout: the realised metric beyond the control limit
    (critical), or, in a window whose labels have not arrived, the estimate from the model's confidence
    beyond it (warning). Given the window's business-bar check (``performance_df``) and its feature
    drift, the sentence says whether the bar still holds and whether any input drifted."""
    alerts = []
    for row in performance_windows_df.itertuples(index=False):
        if row.decayed:
            message = _decay_message(row, performance_df, feature_drift_df)
            alerts.append(Alert(level="critical", window=int(row.window), kind="performance_decay", message=message))
        elif row.estimate_decayed and not row.labelled:
            alerts.append(
                Alert(level="warning", window=int(row.window), kind="estimated_decay", message=_estimated_message(row))
            )
    return alerts


def _decay_message(row: Any, performance_df: pd.DataFrame | None, feature_drift_df: pd.DataFrame | None) -> str:
    return (
        f"In window {row.window}, {_lower_first(describe_decay(row, name_window=False))}: the model has lost skill "
        f"it had{_decay_context(int(row.window), performance_df, feature_drift_df)}."
    )


def _estimated_message(row: Any) -> str:
    lower = row.metric in LOWER_IS_BETTER
    limit = row.limit_upper if lower else row.limit_lower
    return (
        f"In window {row.window}, whose labels have not arrived, {_estimate_source(row.metric)} "
        f"puts {metric_name(row.metric)} at about {format_number(row.estimated)} "
        f"({format_number(row.lower)}–{format_number(row.upper)}), "
        f"{'above' if lower else 'below'} the control limit {format_number(limit)}: "
        "the labels will tell whether it really dropped."
    )


def _estimate_source(metric: str) -> str:
    """What estimated the metric before labels: a classifier's confidence, a model of a regression's errors."""
    return "a model of its errors" if metric in METRICS["regression"] else "the model's own confidence"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _decay_context(window: int, performance_df: pd.DataFrame | None, feature_drift_df: pd.DataFrame | None) -> str:
    """What else holds in a decayed window: whether the business bar still passes (then only this
    check sees the loss) and whether no input drifted (then what the outcome depends on changed)."""
    clauses = []
    if performance_df is not None:
        bar = performance_df[performance_df[WINDOW_COLUMN] == window]
        if len(bar) and bool(bar["passed"].iloc[0]):
            clauses.append("it still meets the business bar, so only this check sees the loss")
    if feature_drift_df is not None and WINDOW_COLUMN in feature_drift_df:
        rows = feature_drift_df[feature_drift_df[WINDOW_COLUMN] == window]
        if len(rows) and not bool(rows["drifted"].any()):
            clauses.append("no input drifted, so what the outcome depends on has changed (concept drift)")
    return "; " + "; ".join(clauses) if clauses else ""


def get_alerts(
    feature_drift_df: pd.DataFrame,
    prediction_drift_df: pd.DataFrame,
    performance_df: pd.DataFrame,
    config: DriftConfig,
    *,
    performance_windows_df: pd.DataFrame | None = None,
) -> list[Alert]:
    """Alerts per window under the default rules (``get_default_rules``): data drift (critical from 2
    strongly drifted features), values never seen in training in at least 5% of the rows (critical),
    prediction drift (warning), performance below the threshold (critical) and, given the performance
    windows, performance decay against the model's own holdout (``get_decay_alerts``)."""
    from core.monitoring.evaluation import WindowTables, evaluate_rules  # it builds on this module's sentences

    rules = get_default_rules("binary", "", labels_delayed=True, config=config)
    tables = WindowTables(feature_drift_df, prediction_drift_df, performance_df, performance_windows_df)
    return evaluate_rules(rules, tables, config)


def _describe_latest_performance(
    perf_row: pd.Series | None, window: int, performance_df: pd.DataFrame | None = None
) -> tuple[bool, str]:
    """(failed, clause) for the latest window's performance, e.g. 'ROC-AUC fell to 0.64 in
    window 5, below the 0.75 the business asked for'; without labels there, which windows wait for
    theirs (every window after the last labelled one in ``performance_df``)."""
    if perf_row is None:
        labelled = [] if performance_df is None or performance_df.empty else performance_df[WINDOW_COLUMN]
        first = int(max(labelled)) + 1 if len(labelled) else None
        if first is None or first >= window:
            waiting = f"window {window}" if first == window else "any window"
        else:
            waiting = f"windows {first}–{window}"
        return False, f"no labels have arrived for {waiting} yet, so performance there is unknown"
    name, value, threshold = (
        metric_name(perf_row["metric"]),
        format_number(perf_row["value"]),
        format_number(perf_row["threshold"]),
    )
    lower = perf_row["metric"] in LOWER_IS_BETTER
    if not bool(perf_row["passed"]):
        if lower:
            return True, f"{name} rose to {value} in window {window}, above the {threshold} the business allows"
        return True, f"{name} fell to {value} in window {window}, below the {threshold} the business asked for"
    bound = "at most" if lower else "at least"
    return False, f"{name} is {value} in window {window} ({bound} {threshold} was asked for)"


def _get_latest_decay(performance_windows_df: pd.DataFrame | None) -> str:
    """The decay clause of the latest window with labels, or '' when it did not decay."""
    if performance_windows_df is None or not performance_windows_df["labelled"].any():
        return ""
    latest = performance_windows_df[performance_windows_df["labelled"]].iloc[-1]
    return describe_decay(latest) if bool(latest["decayed"]) else ""


def get_retrain_decision(
    feature_drift_df: pd.DataFrame,
    performance_df: pd.DataFrame,
    config: DriftConfig,
    latest: int | None = None,
    importance: dict[str, float] | None = None,
    *,
    performance_windows_df: pd.DataFrame | None = None,
) -> tuple[bool, str]:
    """Retrain when the latest window misses the performance threshold, when a value never seen in
    training fills at least 5% of its rows, when at least two features the model uses drifted strongly
    (PSI ≥ psi_threshold) in it, or when the latest window with labels decayed against the model's own
    holdout (``performance_windows_df``). Returns (decision, plain sentence). ``latest`` defaults to the
    last window of the drift table (give it when no column is a drift signal). With ``importance``
    ({feature: share of the model's importance}), strong drift in a feature the model barely uses is
    said, but is no reason to retrain."""
    if latest is None:
        latest = int(feature_drift_df[WINDOW_COLUMN].max())
    latest_drift = feature_drift_df[feature_drift_df[WINDOW_COLUMN] == latest]
    strong = latest_drift[latest_drift["psi"] >= config.psi_threshold].sort_values("psi", ascending=False)
    unused = strong["feature"].isin(get_barely_used(importance))
    retrain, reason = _decide(
        strong[~unused],
        latest_drift,
        performance_df,
        latest,
        " the model relies on" if unused.any() else "",
        performance_windows_df,
    )
    if unused.any():
        names = strong.loc[unused, "feature"].tolist()
        shares = ", ".join(f"{f} {_percent((importance or {})[f])}" for f in names)
        listed = " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]
        reason += (
            f" {listed} drifted strongly, but the model barely uses {'it' if len(names) == 1 else 'them'} "
            f"({shares} of its importance): not a reason to retrain."
        )
    return retrain, reason


def _decide(
    major: pd.DataFrame,
    latest_drift: pd.DataFrame,
    performance_df: pd.DataFrame,
    latest: int,
    qualifier: str,
    performance_windows_df: pd.DataFrame | None,
) -> tuple[bool, str]:
    """The decision from the strongly drifted features that count (``major``), the latest window's new
    values, performance against the bar and decay against the holdout (``performance_windows_df``);
    ``qualifier`` says which features count ("no feature<qualifier> drifted")."""
    drift_fails = len(major) >= 2
    new_values = get_new_values_df(latest_drift)
    perf = performance_df[performance_df[WINDOW_COLUMN] == latest]
    perf_fails, perf_text = _describe_latest_performance(perf.iloc[0] if len(perf) else None, latest, performance_df)

    names = ", ".join(major["feature"].head(3)) + (", …" if len(major) > 3 else "")
    drift_text = f"{_plural(len(major), 'feature')} drifted strongly ({names})"
    if len(new_values):
        new_text = (
            f"in window {latest}, {_describe_new_values(new_values)}, so the model is guessing for those rows"
            + (f"; {drift_text}" if drift_fails else "")
        )
        return True, f"{new_text[0].upper() + new_text[1:]}; {perf_text}: retrain with rows that include it."
    decay = _get_latest_decay(performance_windows_df)
    if decay and not perf_fails:
        also = f", and {drift_text}" if len(major) else ""
        return True, f"{decay[0].upper() + decay[1:]}; {perf_text}{also}: the model lost skill it had, retrain."
    if perf_fails and len(major):
        return True, f"{perf_text}, and {drift_text}: retrain."
    if perf_fails:
        return True, f"{perf_text}: retrain."
    if drift_fails:
        return True, (
            f"{drift_text} in window {latest}, so the model now sees data unlike its training data; "
            f"{perf_text}: retrain."
        )
    drift_summary = f"only {drift_text}" if len(major) else f"no feature{qualifier} drifted strongly"
    return False, f"{perf_text[0].upper() + perf_text[1:]} and {drift_summary}: keep monitoring."
