"""Production monitoring: data drift, prediction drift and performance per traffic window.

`run_monitoring` computes everything once and returns a `MonitoringReport` (JSON
round-trippable); `plot_*` builders draw it and `caption_*` say in one sentence what it means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.monitoring.drift import MAJOR_PSI, MODERATE_PSI, DriftConfig, describe_psi, get_feature_drift_df, get_psi_per_group
from core.workspace.errors import DataError
from core.data.dates import looks_like_datetime
from core.style import plot_text, plot_texts
from core.data.profiling import looks_like_identifier

WINDOW_COLUMN = "window"
LOWER_IS_BETTER = {"rmse", "mae", "mse", "log_loss"}
METRIC_NAMES = {
    "roc_auc": "ROC-AUC",
    "accuracy": "accuracy",
    "f1": "F1",
    "f1_macro": "F1 (macro)",
    "r2": "R²",
    "rmse": "RMSE",
    "mae": "MAE",
}
# Column order and dtype of each result table: applied on creation and on loading,
# so a saved report loads back identical.
FEATURE_DRIFT_SCHEMA = {
    "window": "int64", "feature": "str", "kind": "str", "psi": "float64", "test": "str",
    "pvalue": "float64", "drifted": "bool", "label": "str", "new_rows": "int64", "new_share": "float64",
}
# Columns added after reports were first saved, with the value an older report implies.
_FEATURE_DRIFT_DEFAULTS = {"new_rows": 0, "new_share": 0.0}
PREDICTION_DRIFT_SCHEMA = {"window": "int64", "psi": "float64", "label": "str", "mean_score": "float64"}
PERFORMANCE_SCHEMA = {"window": "int64", "metric": "str", "value": "float64", "threshold": "float64", "passed": "bool"}

PSI_COLORSCALE = [  # green below 0.1, amber to 0.25, red above (z is capped at 0.5)
    [0.0, "#2e7d32"], [0.2, "#c0ca33"], [0.5, "#ffb300"], [1.0, "#c62828"],
]
PSI_COLOR_CAP = 2 * MAJOR_PSI
# A value never seen in training (a new category or code) in at least this share of a window's
# rows is a signal of its own: the model never learned what it means, whatever the PSI says.
NEW_VALUES_SHARE = 0.05


def _apply_schema(df: pd.DataFrame, schema: dict[str, str], defaults: dict[str, Any] | None = None) -> pd.DataFrame:
    for column, value in (defaults or {}).items():
        if column not in df.columns:
            df = df.assign(**{column: value})
    df = df.reindex(columns=list(schema))
    return df.astype(schema).reset_index(drop=True)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame rows as plain-Python records; NaN becomes None (strict JSON has no NaN)."""
    records = df.astype(object).where(df.notna(), None).to_dict(orient="records")
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()} for row in records]


def _metric_name(metric: str) -> str:
    return METRIC_NAMES.get(metric, metric)


def _fmt(value: float) -> str:
    """Numbers the way a person reads them: 0.64, 12.3, 1,204."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


@dataclass
class Alert:
    level: str  # "warning" | "critical"
    window: int
    kind: str  # "data_drift" | "new_values" | "prediction_drift" | "performance"
    message: str  # one plain sentence

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "window": int(self.window), "kind": self.kind, "message": self.message}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Alert":
        return cls(level=data["level"], window=int(data["window"]), kind=data["kind"], message=data["message"])


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
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MonitoringReport":
        return cls(
            feature_drift_df=_apply_schema(pd.DataFrame(data["feature_drift"]), FEATURE_DRIFT_SCHEMA,
                                           _FEATURE_DRIFT_DEFAULTS),
            prediction_drift_df=_apply_schema(pd.DataFrame(data["prediction_drift"]), PREDICTION_DRIFT_SCHEMA),
            performance_df=_apply_schema(pd.DataFrame(data["performance"]), PERFORMANCE_SCHEMA),
            alerts=[Alert.from_dict(a) for a in data["alerts"]],
            retrain_recommended=bool(data["retrain_recommended"]),
            reason=data["reason"],
            config=DriftConfig.from_dict(data["config"]),
            excluded_columns=dict(data.get("excluded_columns", {})),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MonitoringReport) and self.to_dict() == other.to_dict()

    def get_latest_drift_summary(self) -> dict[str, Any]:
        """The CLI's `monitoring` object, for the last window; `excluded_columns` says which inputs are
        not drift signals and why."""
        df = self.feature_drift_df
        excluded = dict(self.excluded_columns)
        if df.empty:
            return {"drifted_features": [], "features": {}, "excluded_columns": excluded}
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
        return {"drifted_features": latest.loc[latest["drifted"], "feature"].tolist(), "features": features,
                "excluded_columns": excluded}


# --- computing ---------------------------------------------------------------------------------


def _as_score_vector(scores: np.ndarray) -> np.ndarray:
    """One number per row for drift: a 2-D probability matrix becomes the top-class probability."""
    scores = np.asarray(scores, dtype=float)
    return scores.max(axis=1) if scores.ndim == 2 else scores.ravel()


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


def get_non_signal_columns(
    reference: pd.DataFrame,
    columns: list[str],
    *,
    time_columns: tuple[str, ...] | list[str] = (),
    id_columns: tuple[str, ...] | list[str] = (),
) -> dict[str, str]:
    """{column: why} for the model inputs that are not drift signals: times (given, stored as dates
    or written as dates) and identifiers (given, or ``profiling.looks_like_identifier``). Production
    rows are always later than the training rows and bring new IDs, so these columns "drift" in every
    window whatever happens to the data: they are left out of the drift table and the retrain decision.
    """
    excluded: dict[str, str] = {}
    for column in columns:
        values = reference[column]
        if column in time_columns or looks_like_datetime(values):
            excluded[column] = (f"{column} is a time: production rows are always later than the training rows, "
                                "so its values always look new")
        elif column in id_columns or looks_like_identifier(values):
            excluded[column] = (f"{column} is an identifier: new rows bring values never seen in training, "
                                "so it always looks drifted")
    return excluded


def get_window_feature_drift_df(
    reference: pd.DataFrame, traffic: pd.DataFrame, feature_columns: list[str], config: DriftConfig
) -> pd.DataFrame:
    """Feature drift of every window against the reference, one row per (window, feature)."""
    if not feature_columns:
        return _apply_schema(pd.DataFrame(columns=list(FEATURE_DRIFT_SCHEMA)), FEATURE_DRIFT_SCHEMA)
    df = get_feature_drift_df(reference, traffic, feature_columns, config, by=WINDOW_COLUMN)
    return _apply_schema(df, FEATURE_DRIFT_SCHEMA)


def get_prediction_drift_df(
    windows: np.ndarray, scores: np.ndarray, reference_scores: np.ndarray, bins: int
) -> pd.DataFrame:
    """PSI of the model's scores in each window against its scores on the reference data."""
    current = pd.Series(_as_score_vector(scores))
    values = get_psi_per_group(pd.Series(_as_score_vector(reference_scores)), current, windows, bins=bins)
    df = pd.DataFrame(
        {
            "window": values.index,
            "psi": values.to_numpy(),
            "label": [describe_psi(v) for v in values],
            "mean_score": current.groupby(windows).mean().reindex(values.index).to_numpy(),
        }
    )
    return _apply_schema(df, PREDICTION_DRIFT_SCHEMA)


def get_performance_df(
    windows: np.ndarray,
    y_true: pd.Series,
    scores: np.ndarray,
    *,
    metric: str,
    threshold: float,
    score_metric: Callable[[np.ndarray, np.ndarray], float],
) -> pd.DataFrame:
    """The metric on each window whose labels have arrived (rows with a missing label are skipped).

    A window where the metric cannot be computed (e.g. ROC-AUC with one class only) is left out
    rather than reported as a failure.
    """
    labelled = y_true.notna().to_numpy()
    scores = np.asarray(scores)
    rows = []
    for window in np.unique(windows):
        rows_in_window = (windows == window) & labelled
        if not rows_in_window.any():
            continue
        try:
            value = float(score_metric(y_true.to_numpy()[rows_in_window], scores[rows_in_window]))
        except (ValueError, ZeroDivisionError):
            continue
        if math.isnan(value):
            continue
        passed = value <= threshold if metric in LOWER_IS_BETTER else value >= threshold
        rows.append({"window": window, "metric": metric, "value": value, "threshold": threshold, "passed": passed})
    return _apply_schema(pd.DataFrame(rows, columns=list(PERFORMANCE_SCHEMA)), PERFORMANCE_SCHEMA)


def _describe_feature_list(rows: pd.DataFrame) -> str:
    """'tenure_months (PSI 1.20, major drift) and contract (PSI 0.31, major drift)'."""
    parts = [f"{r.feature} (PSI {_fmt(r.psi)}, {r.label})" for r in rows.itertuples(index=False)]
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
        parts.append(f"{r.feature} has a value never seen in training in {r.new_rows:,} of {window_rows:,} rows "
                     f"({_percent(r.new_share)})")
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def get_new_values_df(feature_drift_df: pd.DataFrame) -> pd.DataFrame:
    """The (window, feature) rows where a value never seen in training fills at least
    ``NEW_VALUES_SHARE`` of the window: a new category the model cannot have learned."""
    return feature_drift_df[feature_drift_df["new_share"] >= NEW_VALUES_SHARE].sort_values(
        [WINDOW_COLUMN, "new_share"], ascending=[True, False])


def get_alerts(
    feature_drift_df: pd.DataFrame,
    prediction_drift_df: pd.DataFrame,
    performance_df: pd.DataFrame,
    config: DriftConfig,
) -> list[Alert]:
    """Alerts per window: data drift (critical from 2 strongly drifted features), values never seen
    in training in at least 5% of the rows (critical), prediction drift (warning) and performance
    below the threshold (critical)."""
    alerts: list[Alert] = []
    for window, rows in get_new_values_df(feature_drift_df).groupby(WINDOW_COLUMN, sort=True):
        alerts.append(
            Alert(
                level="critical",
                window=int(window),
                kind="new_values",
                message=f"In window {window}, {_describe_new_values(rows)}: the model never learned what "
                "it means, so its answers for those rows are guesses.",
            )
        )
    for window, rows in feature_drift_df.groupby(WINDOW_COLUMN, sort=True):
        drifted = rows[rows["drifted"]].sort_values("psi", ascending=False)
        if drifted.empty:
            continue
        major = int((drifted["psi"] >= config.psi_threshold).sum())
        alerts.append(
            Alert(
                level="critical" if major >= 2 else "warning",
                window=int(window),
                kind="data_drift",
                message=f"In window {window}, {_plural(len(drifted), 'feature')} drifted: "
                f"{_describe_feature_list(drifted)}.",
            )
        )
    for row in prediction_drift_df.itertuples(index=False):
        if row.psi >= config.psi_threshold:
            alerts.append(
                Alert(
                    level="warning",
                    window=int(row.window),
                    kind="prediction_drift",
                    message=f"In window {row.window}, the model's scores shifted (PSI {_fmt(row.psi)}, "
                    f"{row.label}): it now predicts differently than on the reference data.",
                )
            )
    for row in performance_df.itertuples(index=False):
        if not row.passed:
            direction = "rose to" if row.metric in LOWER_IS_BETTER else "fell to"
            bound = "above" if row.metric in LOWER_IS_BETTER else "below"
            alerts.append(
                Alert(
                    level="critical",
                    window=int(row.window),
                    kind="performance",
                    message=f"In window {row.window}, {_metric_name(row.metric)} {direction} {_fmt(row.value)}, "
                    f"{bound} the required {_fmt(row.threshold)}.",
                )
            )
    return sorted(alerts, key=lambda a: (a.window, a.kind))


def _describe_latest_performance(perf_row: pd.Series | None, window: int) -> tuple[bool, str]:
    """(failed, clause) for the latest window's performance, e.g. 'ROC-AUC fell to 0.64 in
    window 5, below the 0.75 the business asked for'."""
    if perf_row is None:
        return False, f"no labels have arrived for window {window} yet, so performance is unknown"
    name, value, threshold = _metric_name(perf_row["metric"]), _fmt(perf_row["value"]), _fmt(perf_row["threshold"])
    lower = perf_row["metric"] in LOWER_IS_BETTER
    if not bool(perf_row["passed"]):
        if lower:
            return True, f"{name} rose to {value} in window {window}, above the {threshold} the business allows"
        return True, f"{name} fell to {value} in window {window}, below the {threshold} the business asked for"
    bound = "at most" if lower else "at least"
    return False, f"{name} is {value} in window {window} ({bound} {threshold} was asked for)"


def get_retrain_decision(
    feature_drift_df: pd.DataFrame, performance_df: pd.DataFrame, config: DriftConfig, latest: int | None = None
) -> tuple[bool, str]:
    """Retrain when the latest window misses the performance threshold, when a value never seen in
    training fills at least 5% of its rows, or when at least two features drifted strongly
    (PSI ≥ psi_threshold) in it. Returns (decision, plain sentence). ``latest`` defaults to the
    last window of the drift table (give it when no column is a drift signal)."""
    if latest is None:
        latest = int(feature_drift_df[WINDOW_COLUMN].max())
    latest_drift = feature_drift_df[feature_drift_df[WINDOW_COLUMN] == latest]
    major = latest_drift[latest_drift["psi"] >= config.psi_threshold].sort_values("psi", ascending=False)
    drift_fails = len(major) >= 2
    new_values = get_new_values_df(latest_drift)
    perf = performance_df[performance_df[WINDOW_COLUMN] == latest]
    perf_fails, perf_text = _describe_latest_performance(perf.iloc[0] if len(perf) else None, latest)

    names = ", ".join(major["feature"].head(3)) + (", …" if len(major) > 3 else "")
    drift_text = f"{_plural(len(major), 'feature')} drifted strongly ({names})"
    if len(new_values):
        new_text = (f"in window {latest}, {_describe_new_values(new_values)}, so the model is guessing for those rows"
                    + (f"; {drift_text}" if drift_fails else ""))
        return True, f"{new_text[0].upper() + new_text[1:]}; {perf_text}: retrain with rows that include it."
    if perf_fails and len(major):
        return True, f"{perf_text}, and {drift_text}: retrain."
    if perf_fails:
        return True, f"{perf_text}: retrain."
    if drift_fails:
        return True, (
            f"{drift_text} in window {latest}, so the model now sees data unlike its training data; "
            f"{perf_text}: retrain."
        )
    drift_summary = f"only {drift_text}" if len(major) else "no feature drifted strongly"
    return False, f"{perf_text[0].upper() + perf_text[1:]} and {drift_summary}: keep monitoring."


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
) -> MonitoringReport:
    """Monitor every traffic window against the reference (the training data).

    Times and identifiers among `feature_columns` (`time_columns`, `id_columns`, and those that look
    like one: `get_non_signal_columns`) are still given to the model but are no drift signals; the
    report lists them in `excluded_columns` with why. A caller that decided them on another table
    (the whole training table, when the reference is a small sample) passes them as `excluded_columns`.

    `predict_scores` is called once on all traffic (not per window). `score_metric(y_true_raw,
    scores)` turns a window's raw labels and scores into the metric; without it, performance is
    skipped. `task` is recorded for the caller's convenience; the metric decides the direction
    (rmse/mae: lower is better).
    """
    config.validate()
    feature_columns = list(feature_columns)
    _validate_monitoring_inputs(reference, traffic, feature_columns, target, score_metric is not None)
    windows = traffic[WINDOW_COLUMN].to_numpy()
    excluded = (dict(excluded_columns) if excluded_columns is not None else
                get_non_signal_columns(reference, feature_columns, time_columns=time_columns, id_columns=id_columns))
    signals = [c for c in feature_columns if c not in excluded]

    feature_drift_df = get_window_feature_drift_df(reference, traffic, signals, config)
    scores = np.asarray(predict_scores(traffic[feature_columns]))
    if len(scores) != len(traffic):
        raise DataError(
            f"predict_scores returned {len(scores)} scores for {len(traffic)} rows; "
            "it must return one score (or one row of probabilities) per row."
        )
    prediction_drift_df = get_prediction_drift_df(windows, scores, reference_scores, config.bins)
    if score_metric is None:
        performance_df = _apply_schema(pd.DataFrame(columns=list(PERFORMANCE_SCHEMA)), PERFORMANCE_SCHEMA)
    else:
        performance_df = get_performance_df(
            windows, traffic[target], scores, metric=metric, threshold=threshold, score_metric=score_metric
        )
    alerts = get_alerts(feature_drift_df, prediction_drift_df, performance_df, config)
    retrain, reason = get_retrain_decision(feature_drift_df, performance_df, config, latest=int(windows.max()))
    return MonitoringReport(
        feature_drift_df=feature_drift_df,
        prediction_drift_df=prediction_drift_df,
        performance_df=performance_df,
        alerts=alerts,
        retrain_recommended=retrain,
        reason=reason,
        config=config,
        excluded_columns=excluded,
    )


# --- plots and captions ------------------------------------------------------------------------


def _empty_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(title=title, template="plotly_white", height=300, xaxis_visible=False, yaxis_visible=False)
    return fig


def _add_psi_guides(fig: go.Figure, **kwargs: Any) -> None:
    fig.add_hline(y=MODERATE_PSI, line_dash="dot", line_color="#ffb300",
                  annotation_text="moderate (0.1)", annotation_position="bottom right", **kwargs)
    fig.add_hline(y=MAJOR_PSI, line_dash="dash", line_color="#c62828",
                  annotation_text="major (0.25)", annotation_position="top right", **kwargs)


def plot_drift_heatmap(feature_drift_df: pd.DataFrame) -> go.Figure:
    """Features × windows, colour = PSI (green stable, amber moderate, red major)."""
    title = "Data drift per feature and window (PSI)"
    if feature_drift_df.empty:
        return _empty_figure(title, "No traffic monitored yet.")
    table = feature_drift_df.pivot(index="feature", columns=WINDOW_COLUMN, values="psi")
    table = table.loc[table.max(axis=1).sort_values().index]  # most drifted at the top
    labels = feature_drift_df.pivot(index="feature", columns=WINDOW_COLUMN, values="label").loc[table.index]
    fig = go.Figure(
        go.Heatmap(
            z=table.clip(upper=PSI_COLOR_CAP).to_numpy(),
            x=[f"Window {w}" for w in table.columns],
            y=plot_texts(table.index.tolist()),
            text=table.map(_fmt).to_numpy(),
            texttemplate="%{text}",
            customdata=labels.to_numpy(),
            hovertemplate="%{y}, %{x}: PSI %{text} (%{customdata})<extra></extra>",
            colorscale=PSI_COLORSCALE,
            zmin=0,
            zmax=PSI_COLOR_CAP,
            colorbar={"title": "PSI", "tickvals": [0, MODERATE_PSI, MAJOR_PSI, PSI_COLOR_CAP],
                      "ticktext": ["0", "0.1", "0.25", "≥ 0.5"]},
        )
    )
    height = min(450, 140 + 24 * len(table))
    fig.update_layout(title=title, template="plotly_white", height=height, margin={"l": 10, "r": 10})
    return fig


def caption_drift_heatmap(feature_drift_df: pd.DataFrame) -> str:
    if feature_drift_df.empty:
        return "No traffic has been monitored yet, so there is no drift to show."
    top = feature_drift_df.loc[feature_drift_df["psi"].idxmax()]
    n_features = feature_drift_df["feature"].nunique()
    if top["psi"] < MODERATE_PSI:
        return (
            f"None of the {n_features} features drifted: every PSI stays below 0.1 (highest "
            f"{_fmt(top['psi'])} for {top['feature']}), so production data still looks like the training data."
        )
    drifted = feature_drift_df.loc[feature_drift_df["drifted"], "feature"].nunique()
    verb = "was" if drifted == 1 else "were"
    return (
        f"{top['feature']} drifted most, reaching a PSI of {_fmt(top['psi'])} in window {top['window']} "
        f"({top['label']}); {drifted} of {n_features} features {verb} flagged as drifted in at least one window."
    )


def caption_excluded_columns(excluded_columns: dict[str, str]) -> str:
    """Why some model inputs are not in the drift table, in one or two sentences ('' when none)."""
    if not excluded_columns:
        return ""
    reasons = "; ".join(excluded_columns.values())
    them = "it is" if len(excluded_columns) == 1 else "they are"
    return (f"Not drift signals: {reasons}. The model still uses {'it' if len(excluded_columns) == 1 else 'them'}, "
            f"but {them} left out of the drift table and the retrain decision, since a change there says nothing "
            "about whether the data changed.")


def plot_feature_psi(feature_drift_df: pd.DataFrame, feature: str) -> go.Figure:
    """PSI of one feature per window, with the 0.1 and 0.25 guide lines."""
    rows = feature_drift_df[feature_drift_df["feature"] == feature].sort_values(WINDOW_COLUMN)
    title = plot_text(f"Drift of {feature} over time")
    if rows.empty:
        return _empty_figure(title, plot_text(f"No drift figures for {feature}."))
    fig = go.Figure(
        go.Scatter(
            x=rows[WINDOW_COLUMN], y=rows["psi"], mode="lines+markers", name="PSI",
            customdata=rows["label"], hovertemplate="Window %{x}: PSI %{y:.2f} (%{customdata})<extra></extra>",
            marker={"color": np.where(rows["drifted"], "#c62828", "#2e7d32"), "size": 10},
            line={"color": "#546e7a"},
        )
    )
    _add_psi_guides(fig)
    fig.update_layout(title=title, template="plotly_white", height=350, xaxis_title="Window",
                      yaxis_title="PSI", xaxis={"dtick": 1}, showlegend=False)
    return fig


def caption_feature_psi(feature_drift_df: pd.DataFrame, feature: str) -> str:
    rows = feature_drift_df[feature_drift_df["feature"] == feature].sort_values(WINDOW_COLUMN)
    if rows.empty:
        return f"There are no drift figures for {feature}."
    last = rows.iloc[-1]
    flagged = rows[rows["drifted"]]
    if flagged.empty:
        return (
            f"{feature} is stable: its PSI stays at most {_fmt(rows['psi'].max())} in every window, "
            "so its values look like the training data."
        )
    first = flagged.iloc[0]
    return (
        f"{feature} first drifted in window {first['window']} (PSI {_fmt(first['psi'])}) and ends at a PSI of "
        f"{_fmt(last['psi'])} in window {last['window']} ({last['label']})."
    )


def plot_prediction_drift(prediction_drift_df: pd.DataFrame) -> go.Figure:
    """Bars: PSI of the model's scores per window; line: the mean score."""
    title = "Prediction drift: are the model's answers changing?"
    if prediction_drift_df.empty:
        return _empty_figure(title, "No traffic monitored yet.")
    df = prediction_drift_df.sort_values(WINDOW_COLUMN)
    colors = ["#c62828" if v >= MAJOR_PSI else "#ffb300" if v >= MODERATE_PSI else "#2e7d32" for v in df["psi"]]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(x=df[WINDOW_COLUMN], y=df["psi"], name="Score PSI", marker_color=colors, customdata=df["label"],
               hovertemplate="Window %{x}: PSI %{y:.2f} (%{customdata})<extra></extra>"),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(x=df[WINDOW_COLUMN], y=df["mean_score"], name="Mean score", mode="lines+markers",
                   line={"color": "#1565c0"}, hovertemplate="Window %{x}: mean score %{y:.3f}<extra></extra>"),
        secondary_y=True,
    )
    _add_psi_guides(fig, secondary_y=False)
    fig.update_layout(title=title, template="plotly_white", height=350, xaxis_title="Window",
                      xaxis={"dtick": 1}, legend={"orientation": "h", "y": -0.25})
    fig.update_yaxes(title_text="PSI of scores", secondary_y=False)
    fig.update_yaxes(title_text="Mean score", secondary_y=True, showgrid=False)
    return fig


def caption_prediction_drift(prediction_drift_df: pd.DataFrame) -> str:
    if prediction_drift_df.empty:
        return "No traffic has been monitored yet, so there are no predictions to compare."
    top = prediction_drift_df.loc[prediction_drift_df["psi"].idxmax()]
    first, last = prediction_drift_df.iloc[0], prediction_drift_df.iloc[-1]
    mean_text = f"the mean score moved from {_fmt(first['mean_score'])} to {_fmt(last['mean_score'])}"
    if top["psi"] < MODERATE_PSI:
        return f"The model's predictions are stable: the score PSI stays below 0.1 in every window and {mean_text}."
    return (
        f"The model's predictions shifted most in window {top['window']} (PSI {_fmt(top['psi'])}, {top['label']}) "
        f"and {mean_text}: it is answering differently than on the training data."
    )


def plot_performance(performance_df: pd.DataFrame) -> go.Figure:
    """The metric per window against the business threshold (dashed line)."""
    if performance_df.empty:
        return _empty_figure("Model performance per window", "No labels have arrived yet.")
    df = performance_df.sort_values(WINDOW_COLUMN)
    name = _metric_name(df["metric"].iloc[0])
    threshold = float(df["threshold"].iloc[0])
    fig = go.Figure(
        go.Scatter(
            x=df[WINDOW_COLUMN], y=df["value"], mode="lines+markers", name=name,
            marker={"color": np.where(df["passed"], "#2e7d32", "#c62828"), "size": 10},
            line={"color": "#546e7a"}, hovertemplate=f"Window %{{x}}: {name} %{{y:.3f}}<extra></extra>",
        )
    )
    fig.add_hline(y=threshold, line_dash="dash", line_color="#c62828",
                  annotation_text=f"required: {_fmt(threshold)}", annotation_position="bottom left")
    fig.update_layout(title=f"Model performance per window ({name})", template="plotly_white", height=350,
                      xaxis_title="Window", yaxis_title=name, xaxis={"dtick": 1}, showlegend=False)
    return fig


def caption_performance(performance_df: pd.DataFrame) -> str:
    if performance_df.empty:
        return "Performance is not shown because no labels have arrived yet."
    df = performance_df.sort_values(WINDOW_COLUMN)
    name = _metric_name(df["metric"].iloc[0])
    required = f"the required {_fmt(float(df['threshold'].iloc[0]))}"
    first, last = df.iloc[0], df.iloc[-1]
    failed = df[~df["passed"]]
    latest = f"{_fmt(last['value'])} in window {last['window']}"
    if failed.empty:
        return f"{name} meets {required} in every window (latest {latest}): the model still does its job."
    first_fail = failed.iloc[0]
    if last["passed"]:
        return (
            f"{name} missed {required} in window {first_fail['window']} ({_fmt(first_fail['value'])}) "
            f"but is back at {latest}."
        )
    if first_fail["window"] == first["window"]:
        return (
            f"{name} already missed {required} in window {first['window']} and is at {latest}: "
            "the model does not meet the business requirement."
        )
    return (
        f"{name} met {required} until window {first_fail['window'] - 1} and is at {latest}: "
        "the model no longer meets the business requirement."
    )
