"""What monitoring concludes from the per-window tables: the alerts of each window (data drift, values
never seen in training, prediction drift, performance) and the retrain decision, each with the plain
sentence that says why. A module of its own so the rules can change without touching the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.formatting import format_count, format_number
from core.i18n import _, ngettext
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
    parts = [
        _("{feature} (PSI {psi}, {label})").format(feature=r.feature, psi=format_number(r.psi), label=_(str(r.label)))
        for r in rows.itertuples(index=False)
    ]
    return join_and(parts)


def join_and(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c' in the reader's language."""
    if len(parts) == 1:
        return parts[0]
    return _("{first} and {last}").format(first=", ".join(parts[:-1]), last=parts[-1])


def count_features(count: int) -> str:
    """'1 feature', '3 features'."""
    return ngettext("{n} feature", "{n} features", count).format(n=count)


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%" if share < 0.1 else f"{100 * share:.0f}%"


def _describe_new_values(rows: pd.DataFrame) -> str:
    """'contract has a value never seen in training in 203 of 500 rows (41%)', joined with 'and'."""
    parts = []
    for r in rows.itertuples(index=False):
        window_rows = round(r.new_rows / r.new_share) if r.new_share > 0 else 0
        parts.append(
            _("{feature} has a value never seen in training in {new} of {rows} rows ({share})").format(
                feature=r.feature,
                new=format_count(r.new_rows),
                rows=format_count(window_rows),
                share=_percent(r.new_share),
            )
        )
    return join_and(parts)


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
    where = _(" in window {window}").format(window=row.window) if name_window else ""
    if (row.realised > limit) if lower else (row.realised < limit):
        said = (
            _(
                "{metric} rose to {value}{where} ({rows} labelled rows), above {limit}, the highest the model's "
                "own holdout gives a window by chance (it usually scores {usual})"
            )
            if lower
            else _(
                "{metric} fell to {value}{where} ({rows} labelled rows), below {limit}, the lowest the model's "
                "own holdout gives a window by chance (it usually scores {usual})"
            )
        )
        return said.format(
            metric=name,
            value=value,
            where=where,
            rows=format_count(row.labelled_rows),
            limit=format_number(limit),
            usual=usual,
        )
    said = (
        _(
            "{metric} has been above the {usual} the model usually scores on its own holdout for several windows "
            "in a row ({value}{where}), further than chance goes over that many windows"
        )
        if lower
        else _(
            "{metric} has been below the {usual} the model usually scores on its own holdout for several windows "
            "in a row ({value}{where}), further than chance goes over that many windows"
        )
    )
    return said.format(metric=name, usual=usual, value=value, where=where or _(" here"))


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
    return _("In window {window}, {decay}: the model has lost skill it had{context}.").format(
        window=row.window,
        decay=_lower_first(describe_decay(row, name_window=False)),
        context=_decay_context(int(row.window), performance_df, feature_drift_df),
    )


def _estimated_message(row: Any) -> str:
    lower = row.metric in LOWER_IS_BETTER
    limit = row.limit_upper if lower else row.limit_lower
    said = (
        _(
            "In window {window}, whose labels have not arrived, {source} puts {metric} at about {value} "
            "({low}–{high}), above the control limit {limit}: the labels will tell whether it really dropped."
        )
        if lower
        else _(
            "In window {window}, whose labels have not arrived, {source} puts {metric} at about {value} "
            "({low}–{high}), below the control limit {limit}: the labels will tell whether it really dropped."
        )
    )
    return said.format(
        window=row.window,
        source=_estimate_source(row.metric),
        metric=metric_name(row.metric),
        value=format_number(row.estimated),
        low=format_number(row.lower),
        high=format_number(row.upper),
        limit=format_number(limit),
    )


def _estimate_source(metric: str) -> str:
    """What estimated the metric before labels: a classifier's confidence, a model of a regression's errors."""
    return _("a model of its errors") if metric in METRICS["regression"] else _("the model's own confidence")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _decay_context(window: int, performance_df: pd.DataFrame | None, feature_drift_df: pd.DataFrame | None) -> str:
    """What else holds in a decayed window: whether the business bar still passes (then only this
    check sees the loss) and whether no input drifted (then what the outcome depends on changed)."""
    clauses = []
    if performance_df is not None:
        bar = performance_df[performance_df[WINDOW_COLUMN] == window]
        if len(bar) and bool(bar["passed"].iloc[0]):
            clauses.append(_("it still meets the business bar, so only this check sees the loss"))
    if feature_drift_df is not None and WINDOW_COLUMN in feature_drift_df:
        rows = feature_drift_df[feature_drift_df[WINDOW_COLUMN] == window]
        if len(rows) and not bool(rows["drifted"].any()):
            clauses.append(_("no input drifted, so what the outcome depends on has changed (concept drift)"))
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
            waiting = _("window {window}").format(window=window) if first == window else _("any window")
        else:
            waiting = _("windows {first}–{last}").format(first=first, last=window)
        return False, _("no labels have arrived for {waiting} yet, so performance there is unknown").format(
            waiting=waiting
        )
    name, value, threshold = (
        metric_name(perf_row["metric"]),
        format_number(perf_row["value"]),
        format_number(perf_row["threshold"]),
    )
    lower = perf_row["metric"] in LOWER_IS_BETTER
    said = {"metric": name, "value": value, "window": window, "bar": threshold}
    if not bool(perf_row["passed"]):
        if lower:
            return True, _("{metric} rose to {value} in window {window}, above the {bar} the business allows").format(
                **said
            )
        return True, _("{metric} fell to {value} in window {window}, below the {bar} the business asked for").format(
            **said
        )
    if lower:
        return False, _("{metric} is {value} in window {window} (at most {bar} was asked for)").format(**said)
    return False, _("{metric} is {value} in window {window} (at least {bar} was asked for)").format(**said)


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
        unused.any(),
        performance_windows_df,
    )
    if unused.any():
        names = strong.loc[unused, "feature"].tolist()
        shares = ", ".join(f"{f} {_percent((importance or {})[f])}" for f in names)
        reason += " " + ngettext(
            "{features} drifted strongly, but the model barely uses it ({shares} of its importance): not a reason "
            "to retrain.",
            "{features} drifted strongly, but the model barely uses them ({shares} of its importance): not a "
            "reason to retrain.",
            len(names),
        ).format(features=join_and(names), shares=shares)
    return retrain, reason


def _decide(
    major: pd.DataFrame,
    latest_drift: pd.DataFrame,
    performance_df: pd.DataFrame,
    latest: int,
    some_unused: bool,
    performance_windows_df: pd.DataFrame | None,
) -> tuple[bool, str]:
    """The decision from the strongly drifted features that count (``major``), the latest window's new
    values, performance against the bar and decay against the holdout (``performance_windows_df``);
    ``some_unused``: features the model barely uses drifted too (then "no feature the model relies on")."""
    drift_fails = len(major) >= 2
    new_values = get_new_values_df(latest_drift)
    perf = performance_df[performance_df[WINDOW_COLUMN] == latest]
    perf_fails, perf_text = _describe_latest_performance(perf.iloc[0] if len(perf) else None, latest, performance_df)

    names = ", ".join(major["feature"].head(3)) + (", …" if len(major) > 3 else "")
    drift_text = _("{features} drifted strongly ({names})").format(features=count_features(len(major)), names=names)
    if len(new_values):
        new_text = _("in window {window}, {new_values}, so the model is guessing for those rows").format(
            window=latest, new_values=_describe_new_values(new_values)
        ) + (f"; {drift_text}" if drift_fails else "")
        return True, _("{new}; {performance}: retrain with rows that include it.").format(
            new=_capitalize(new_text), performance=perf_text
        )
    decay = _get_latest_decay(performance_windows_df)
    if decay and not perf_fails:
        also = _(", and {shift}").format(shift=drift_text) if len(major) else ""
        return True, _("{decay}; {performance}{also}: the model lost skill it had, retrain.").format(
            decay=_capitalize(decay), performance=perf_text, also=also
        )
    if perf_fails and len(major):
        return True, _("{performance}, and {shift}: retrain.").format(performance=perf_text, shift=drift_text)
    if perf_fails:
        return True, _("{performance}: retrain.").format(performance=perf_text)
    if drift_fails:
        return True, _(
            "{shift} in window {window}, so the model now sees data unlike its training data; {performance}: retrain."
        ).format(shift=drift_text, window=latest, performance=perf_text)
    if len(major):
        drift_summary = _("only {shift}").format(shift=drift_text)
    elif some_unused:
        drift_summary = _("no feature the model relies on drifted strongly")
    else:
        drift_summary = _("no feature drifted strongly")
    return False, _("{performance} and {shift}: keep monitoring.").format(
        performance=_capitalize(perf_text), shift=drift_summary
    )


def _capitalize(text: str) -> str:
    return text[0].upper() + text[1:]
