"""Production monitoring: data drift, prediction drift and performance per traffic window.

`run_monitoring` computes everything once and returns a `MonitoringReport` (JSON
round-trippable). The per-window tables are computed in `windows`, the alerts and the retrain
decision in `alerts`; `charts` draws a report (`plot_*`) and says in one sentence what it means
(`caption_*`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.monitoring.alerts import Alert, get_retrain_decision
from core.monitoring.drift import DriftConfig
from core.monitoring.evaluation import WindowTables, add_rule_reasons, decision_drift_config, evaluate_rules
from core.monitoring.multivariate import DOMAIN_DRIFT_SCHEMA, DOMAIN_FEATURES_SCHEMA, DomainConfig, get_domain_drift_df
from core.monitoring.performance import (
    PERFORMANCE_WINDOWS_SCHEMA,
    PerformanceReference,
    empty_performance_windows_df,
    get_performance_windows_df,
)
from core.monitoring.rules import AlertRule, get_default_rules
from core.monitoring.system import SYSTEM_SCHEMA, empty_system_df
from core.monitoring.windows import (
    FEATURE_DRIFT_DEFAULTS,
    PERFORMANCE_SCHEMA,
    PREDICTION_DRIFT_SCHEMA,
    WINDOW_COLUMN,
    apply_schema,
    get_feature_drift_schema,
    get_non_signal_columns,
    get_performance_df,
    get_prediction_drift_df,
    get_window_feature_drift_df,
)
from core.workspace.errors import DataError

__all__ = ["Alert", "MonitoringReport", "get_non_signal_columns", "run_monitoring"]


def _empty(schema: dict[str, str]) -> pd.DataFrame:
    return apply_schema(pd.DataFrame(columns=list(schema)), schema)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as plain-Python records; NaN becomes None (strict JSON has no NaN)."""
    records = df.astype(object).where(df.notna(), None).to_dict(orient="records")
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()} for row in records]


@dataclass(eq=False)
class MonitoringReport:
    feature_drift_df: pd.DataFrame  # window, feature, kind, psi, test, pvalue, drifted, label, new_rows, new_share
    prediction_drift_df: pd.DataFrame  # window, psi, label, mean_score
    performance_df: pd.DataFrame  # window, metric, value, threshold, passed
    alerts: list[Alert] = field(default_factory=list)
    retrain_recommended: bool = False
    reason: str = ""
    config: DriftConfig = field(default_factory=DriftConfig)
    # Model inputs left out of the drift signals, with why (times and identifiers always move).
    excluded_columns: dict[str, str] = field(default_factory=dict)
    # The domain classifier per window (window, auc, threshold, pvalue, drifted, rows) and the columns
    # that drive it where it drifted (window, feature, importance): `multivariate`.
    domain_drift_df: pd.DataFrame = field(default_factory=lambda: _empty(DOMAIN_DRIFT_SCHEMA))
    domain_features_df: pd.DataFrame = field(default_factory=lambda: _empty(DOMAIN_FEATURES_SCHEMA))
    # {feature: share of the model's importance}, from the version's explanation; empty when unknown.
    model_importance: dict[str, float] = field(default_factory=dict)
    # Performance against the model's own holdout (control limits) and estimated before labels (CBPE):
    # window, metric, rows, labelled_rows, labelled, realised, estimated, lower, upper, expected,
    # limit_lower, limit_upper, decayed, estimate_decayed. Empty without a reference.
    performance_windows_df: pd.DataFrame = field(default_factory=empty_performance_windows_df)
    performance_reference: PerformanceReference | None = None
    # System health per window and version, read from the prediction log (`system`): window, version,
    # requests, rows, latency_p50_ms, latency_p95_ms, throughput_rps, error_rate, rejection_rate,
    # flagged_rate, rows_per_s, seconds, start. Empty for reports made before it was measured.
    system_df: pd.DataFrame = field(default_factory=empty_system_df)

    @property
    def system(self) -> pd.DataFrame:
        """The system-health table (``system_df``) under the name its JSON key has: alert rules read it."""
        return self.system_df

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature_drift": _records(self.feature_drift_df),
            "prediction_drift": _records(self.prediction_drift_df),
            "performance": _records(self.performance_df),
            "alerts": [a.to_dict() for a in self.alerts],
            "retrain_recommended": bool(self.retrain_recommended),
            "reason": self.reason,
            "config": self.config.to_dict(),
            "excluded_columns": dict(self.excluded_columns),
            "multivariate_drift": _records(self.domain_drift_df),
            "multivariate_features": _records(self.domain_features_df),
            "model_importance": dict(self.model_importance),
            "performance_windows": _records(self.performance_windows_df),
            "performance_reference": None
            if self.performance_reference is None
            else self.performance_reference.to_dict(),
            "system": _records(self.system_df),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MonitoringReport:
        config = DriftConfig.from_dict(data["config"])
        return cls(
            feature_drift_df=apply_schema(
                pd.DataFrame(data["feature_drift"]), get_feature_drift_schema(config), FEATURE_DRIFT_DEFAULTS
            ),
            prediction_drift_df=apply_schema(pd.DataFrame(data["prediction_drift"]), PREDICTION_DRIFT_SCHEMA),
            performance_df=apply_schema(pd.DataFrame(data["performance"]), PERFORMANCE_SCHEMA),
            alerts=[Alert.from_dict(a) for a in data["alerts"]],
            retrain_recommended=bool(data["retrain_recommended"]),
            reason=data["reason"],
            config=config,
            excluded_columns=dict(data.get("excluded_columns", {})),
            domain_drift_df=apply_schema(pd.DataFrame(data.get("multivariate_drift", [])), DOMAIN_DRIFT_SCHEMA),
            domain_features_df=apply_schema(
                pd.DataFrame(data.get("multivariate_features", [])), DOMAIN_FEATURES_SCHEMA
            ),
            model_importance=dict(data.get("model_importance", {})),
            performance_windows_df=apply_schema(
                pd.DataFrame(data.get("performance_windows", [])), PERFORMANCE_WINDOWS_SCHEMA
            ),
            performance_reference=PerformanceReference.from_dict(data["performance_reference"])
            if data.get("performance_reference")
            else None,
            system_df=apply_schema(pd.DataFrame(data.get("system", [])), SYSTEM_SCHEMA),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MonitoringReport) and self.to_dict() == other.to_dict()

    def get_latest_drift_summary(self) -> dict[str, Any]:
        """The CLI's `monitoring` object, for the last window; `excluded_columns` says which inputs are
        not drift signals and why; `multivariate` the domain classifier's last window (`window`, `auc`,
        `threshold`, `pvalue`, `drifted`, `features`: the columns behind it, most telling first), or
        None when the report has no multivariate check."""
        df = self.feature_drift_df
        excluded = dict(self.excluded_columns)
        if df.empty:
            return {"drifted_features": [], "features": {}, "excluded_columns": excluded, "multivariate": None}
        latest = df[df[WINDOW_COLUMN] == df[WINDOW_COLUMN].max()]
        features = {
            row.feature: {
                "psi": float(row.psi),
                "pvalue": None if pd.isna(row.pvalue) else float(row.pvalue),
                "drifted": bool(row.drifted),
                "new_rows": int(row.new_rows),
                "new_share": float(row.new_share),
            }
            for row in latest.itertuples(index=False)
        }
        return {
            "drifted_features": latest.loc[latest["drifted"], "feature"].tolist(),
            "features": features,
            "excluded_columns": excluded,
            "multivariate": self._get_latest_multivariate(),
        }

    def _get_latest_multivariate(self) -> dict[str, Any] | None:
        if self.domain_drift_df.empty:
            return None
        last = self.domain_drift_df.iloc[-1]
        behind = self.domain_features_df[self.domain_features_df[WINDOW_COLUMN] == last[WINDOW_COLUMN]]
        return {
            "window": int(last[WINDOW_COLUMN]),
            "auc": float(last["auc"]),
            "threshold": float(last["threshold"]),
            "pvalue": float(last["pvalue"]),
            "drifted": bool(last["drifted"]),
            "features": behind.loc[behind["importance"] > 0, "feature"].head(5).tolist(),
        }


def _validate_monitoring_inputs(
    reference: pd.DataFrame, traffic: pd.DataFrame, feature_columns: list[str], target: str, needs_target: bool
) -> None:
    if WINDOW_COLUMN not in traffic.columns:
        raise DataError(
            f"The traffic has no '{WINDOW_COLUMN}' column; create it with simulate_traffic "
            "or add a window number to every row."
        )
    if not feature_columns:
        raise DataError("No feature columns were given to monitor; pass the columns the model was trained on.")
    if len(traffic) == 0 or len(reference) == 0:
        raise DataError("The reference data or the traffic is empty; monitor at least one row of each.")
    missing = [c for c in feature_columns if c not in reference.columns or c not in traffic.columns]
    if missing:
        raise DataError(
            f"The feature columns {missing} are missing from the reference data or the traffic; "
            "monitor the columns the model was trained on."
        )
    if needs_target and target not in traffic.columns:
        raise DataError(
            f"The traffic has no target column '{target}', so performance cannot be measured; "
            "include the labels or skip performance monitoring."
        )


def run_monitoring(
    reference: pd.DataFrame,
    traffic: pd.DataFrame,
    *,
    feature_columns: list[str],
    predict_scores: Callable[[pd.DataFrame], np.ndarray],
    reference_scores: np.ndarray,
    target: str,
    task: str,
    metric: str,
    threshold: float,
    score_metric: Callable[[np.ndarray, np.ndarray], float] | None = None,
    config: DriftConfig = DriftConfig(),
    time_columns: tuple[str, ...] | list[str] = (),
    id_columns: tuple[str, ...] | list[str] = (),
    excluded_columns: dict[str, str] | None = None,
    domain: DomainConfig | None = DomainConfig(),
    model_importance: dict[str, float] | None = None,
    reference_key: Any = None,
    performance_reference: PerformanceReference | None = None,
    rules: Sequence[AlertRule] | None = None,
    system_df: pd.DataFrame | None = None,
) -> MonitoringReport:
    """Monitor every traffic window against the reference (the training data).

    Times and identifiers among `feature_columns` (`time_columns`, `id_columns`, and those that look
    like one: `get_non_signal_columns`) are still given to the model but are no drift signals; the
    report lists them in `excluded_columns` with why. A caller that decided them on another table
    (the whole training table, when the reference is a small sample) passes them as `excluded_columns`.

    `predict_scores` is called once on all traffic (not per window). `score_metric(y_true_raw,
    scores)` turns a window's raw labels and scores into the metric; without it, performance is
    skipped. With `performance_reference` (the model's own holdout, `fit_performance_reference`), each
    window's realised metric is also checked against control limits and estimated before its labels
    arrive (`performance_windows_df`). `task` is recorded for the caller's convenience; the metric
    decides the direction (rmse/mae: lower is better). `domain` configures the multivariate signal (None
    skips it); `model_importance` ({feature: share}) ranks drift by what the model uses, and drift in a
    feature it barely uses is no reason to retrain. `reference_key` names the reference rows (e.g. the
    watched version's id) so their sorted, binned form is kept for the next report on them. `rules` (the
    project's alert rules; default: ``get_default_rules``, the alerts monitoring always gave) decide the
    alerts; a rule marked as a retrain reason adds one. `system_df` (`system.get_system_df`: latency,
    throughput, error and rejection rates per window and version, read from the prediction log) is kept
    in the report as it is and feeds the system rules.
    """
    config.validate()
    feature_columns = list(feature_columns)
    _validate_monitoring_inputs(reference, traffic, feature_columns, target, score_metric is not None)
    windows = traffic[WINDOW_COLUMN].to_numpy()
    excluded = (
        dict(excluded_columns)
        if excluded_columns is not None
        else get_non_signal_columns(reference, feature_columns, time_columns=time_columns, id_columns=id_columns)
    )
    signals = [c for c in feature_columns if c not in excluded]

    feature_drift_df = get_window_feature_drift_df(reference, traffic, signals, config, reference_key)
    scores = np.asarray(predict_scores(traffic[feature_columns]))
    if len(scores) != len(traffic):
        raise DataError(
            f"predict_scores returned {len(scores)} scores for {len(traffic)} rows; "
            "it must return one score (or one row of probabilities) per row."
        )
    prediction_drift_df = get_prediction_drift_df(windows, scores, reference_scores, config.bins)
    if score_metric is None:
        performance_df = apply_schema(pd.DataFrame(columns=list(PERFORMANCE_SCHEMA)), PERFORMANCE_SCHEMA)
    else:
        performance_df = get_performance_df(
            windows, traffic[target], scores, metric=metric, threshold=threshold, score_metric=score_metric
        )
    if domain is None or not signals:
        domain_drift_df, domain_features_df = _empty(DOMAIN_DRIFT_SCHEMA), _empty(DOMAIN_FEATURES_SCHEMA)
    else:
        domain_drift_df, domain_features_df = get_domain_drift_df(
            reference, traffic, signals, by=WINDOW_COLUMN, config=domain
        )
    performance_windows_df = (
        get_performance_windows_df(
            performance_reference, windows, traffic[target], scores, score_metric, rows=traffic[feature_columns]
        )
        if performance_reference is not None and score_metric is not None
        else empty_performance_windows_df()
    )
    window_ids, window_counts = np.unique(windows, return_counts=True)
    tables = WindowTables(
        feature_drift_df,
        prediction_drift_df,
        performance_df,
        performance_windows_df,
        domain_drift_df,
        domain_features_df,
        system_df,
        window_rows={int(w): int(n) for w, n in zip(window_ids, window_counts)},
    )
    rules = (
        list(rules) if rules is not None else get_default_rules("binary", metric, labels_delayed=True, config=config)
    )
    alerts = evaluate_rules(rules, tables, config)
    retrain, reason = get_retrain_decision(
        feature_drift_df,
        performance_df,
        decision_drift_config(rules, config),
        latest=int(windows.max()),
        importance=model_importance,
        performance_windows_df=performance_windows_df,
    )
    retrain, reason = add_rule_reasons(retrain, reason, alerts, rules, int(windows.max()))
    return MonitoringReport(
        feature_drift_df=feature_drift_df,
        prediction_drift_df=prediction_drift_df,
        performance_df=performance_df,
        alerts=alerts,
        retrain_recommended=retrain,
        reason=reason,
        config=config,
        excluded_columns=excluded,
        domain_drift_df=domain_drift_df,
        domain_features_df=domain_features_df,
        model_importance=dict(model_importance or {}),
        performance_windows_df=performance_windows_df,
        performance_reference=performance_reference,
        system_df=empty_system_df() if system_df is None else apply_schema(system_df.copy(), SYSTEM_SCHEMA),
    )
