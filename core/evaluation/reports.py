"""Evaluation, the computation: the tables (``get_*_df``) and reports behind the ROC and
precision-recall curves, the confusion matrix at a chosen threshold, the business cost of each
threshold, calibration and the residuals. Their figures and captions are in ``core.evaluation.charts``.

Binary functions take ``y_true01`` (1 = the positive class, as ``TrainResult.y_test``) and
``score`` = P(positive) (as ``ModelResult.test_scores``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_curve,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from core.i18n import _
from core.problem.definition import ProblemConfig, get_metric_heading
from core.workspace.errors import ConfigError, DataError

# ---------------------------------------------------------------- ROC


def get_roc_df(y_true: ArrayLike, y_score: ArrayLike) -> pd.DataFrame:
    """False/true positive rates at every threshold; y_true is 1 for the positive class."""
    fpr, tpr, thresholds = roc_curve(np.asarray(y_true), np.asarray(y_score))
    thresholds = np.where(np.isfinite(thresholds), thresholds, np.nan)  # the first threshold is +inf
    return pd.DataFrame({"fpr": fpr, "tpr": tpr, "threshold": thresholds})


# ---------------------------------------------------------------- confusion matrix


def get_confusion_df(
    y_true: ArrayLike, y_pred: ArrayLike, labels: Sequence, names: Sequence[str] | None = None
) -> pd.DataFrame:
    """Long table (actual, predicted, count, share_of_actual), one row per cell.

    ``labels`` are the values as they appear in y (e.g. [0, 1]); ``names`` how to show them
    (e.g. ["No", "Yes"], which is ``TrainResult.classes`` for a binary task).
    """
    labels = list(labels)
    names = [str(n) for n in (names if names is not None else labels)]
    matrix = confusion_matrix(np.asarray(y_true), np.asarray(y_pred), labels=labels)
    rows = []
    for i, actual in enumerate(names):
        row_total = matrix[i].sum()
        for j, predicted in enumerate(names):
            count = int(matrix[i, j])
            rows.append(
                {
                    "actual": actual,
                    "predicted": predicted,
                    "count": count,
                    "share_of_actual": count / row_total if row_total else 0.0,
                }
            )
    return pd.DataFrame(rows, columns=["actual", "predicted", "count", "share_of_actual"])


# ---------------------------------------------------------------- residuals


def get_residuals_df(y_true: ArrayLike, y_pred: ArrayLike) -> pd.DataFrame:
    """actual, predicted, residual (= actual − predicted: positive means the model predicted too low)."""
    actual = np.asarray(y_true, dtype="float64")
    predicted = np.asarray(y_pred, dtype="float64")
    return pd.DataFrame({"actual": actual, "predicted": predicted, "residual": actual - predicted})


# ---------------------------------------------------------------- binary classification report

# Label and plain meaning of each number in the report, for tables shown to non-specialists.
CLASSIFICATION_REPORT_METRICS: dict[str, tuple[str, str]] = {
    "accuracy": (get_metric_heading("accuracy"), "share of all rows labelled correctly"),
    "balanced_accuracy": (
        get_metric_heading("balanced_accuracy"),
        "average of the share caught in each class (fair on rare classes)",
    ),
    "precision": (get_metric_heading("precision"), "of the rows flagged, the share that really are positive"),
    "recall": (get_metric_heading("recall"), "of the real positives, the share the model flags"),
    "f1": (get_metric_heading("f1"), "balance of precision and recall (harmonic mean)"),
    "roc_auc": (get_metric_heading("roc_auc"), "chance a random positive is scored above a random negative"),
    "pr_auc": (get_metric_heading("pr_auc"), "average precision over all recall levels (guessing = the positive rate)"),
    "log_loss": (get_metric_heading("log_loss"), "penalty for confident wrong probabilities (lower is better)"),
}


def _binary_arrays(y_true01: ArrayLike, score: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true01)
    s = np.asarray(score, dtype="float64")
    if y.shape != s.shape or y.ndim != 1:
        raise DataError(
            _("Expected one score per row; got {n} scores for {n2} rows. Pass P(positive) per row.").format(
                n=len(s), n2=len(y)
            )
        )
    if not (pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y)) or not set(np.unique(y)) <= {0, 1}:
        raise DataError(_("The true labels must be 0/1 (1 = the positive class); encode the target first."))
    return y.astype("int64"), s


def get_classification_report(y_true01: ArrayLike, score: ArrayLike, threshold: float = 0.5) -> dict[str, float]:
    """Every binary metric at once. Rows scoring ≥ ``threshold`` are flagged positive.

    ROC-AUC and PR-AUC use the scores (independent of the threshold); both are NaN when the rows
    hold a single class. Precision is 0 when nothing is flagged.
    """
    y, s = _binary_arrays(y_true01, score)
    pred = (s >= threshold).astype("int64")
    both_classes = len(np.unique(y)) == 2
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)) if both_classes else float("nan"),
        "precision": float(precision_score(y, pred, zero_division=0)),
        "recall": float(recall_score(y, pred, zero_division=0)),
        "f1": float(f1_score(y, pred, zero_division=0)),
        "roc_auc": float(roc_auc_score(y, s)) if both_classes else float("nan"),
        "pr_auc": float(average_precision_score(y, s)) if both_classes else float("nan"),
        "log_loss": float(log_loss(y, s, labels=[0, 1])) if len(y) else float("nan"),
    }


# ---------------------------------------------------------------- precision-recall curve


def get_pr_df(y_true01: ArrayLike, score: ArrayLike) -> pd.DataFrame:
    """recall, precision, threshold along the precision-recall curve, recall increasing.

    The area under it (average precision) is ``get_classification_report(...)["pr_auc"]``.
    """
    y, s = _binary_arrays(y_true01, score)
    precision, recall, thresholds = precision_recall_curve(y, s)
    thresholds = np.append(thresholds, np.nan)  # the last point (recall 0) has no threshold
    return (
        pd.DataFrame({"recall": recall, "precision": precision, "threshold": thresholds})
        .iloc[::-1]
        .reset_index(drop=True)
    )


# ---------------------------------------------------------------- business cost and threshold


@dataclass(frozen=True)
class CostMatrix:
    """What each outcome of a yes/no decision costs, in money (``currency``) per row.

    fn = a real positive missed (e.g. a churner not contacted), fp = a false alarm (an offer wasted),
    tp / tn = the cost of a right decision (e.g. the offer's price for a churner caught; usually 0).
    """

    fn_cost: float
    fp_cost: float
    tp_cost: float = 0.0
    tn_cost: float = 0.0
    currency: str = "€"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CostMatrix:
        known = {f.name for f in fields(cls)}
        missing = {"fn_cost", "fp_cost"} - set(data)
        if missing:
            raise ConfigError(
                _("The cost matrix needs {join}; set both costs on the Problem page.").format(
                    join=" and ".join(sorted(missing))
                )
            )
        cost = cls(**{k: v for k, v in data.items() if k in known})
        validate_cost_matrix(cost)
        return cost


def validate_cost_matrix(cost: CostMatrix) -> None:
    """The one place a cost matrix is checked: finite numbers, and a mistake costs at least as
    much as the right decision in the same row (otherwise the "best" threshold is absurd)."""
    for name in ("fn_cost", "fp_cost", "tp_cost", "tn_cost"):
        value = getattr(cost, name)
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.integer, np.floating))
            or not math.isfinite(value)
        ):
            raise ConfigError(
                _("The '{name}' of the cost matrix must be a finite number; got {value} instead.").format(
                    name=name, value=f"{value!r}"
                )
            )
    if cost.fn_cost < cost.tp_cost:
        raise ConfigError(
            _(
                "The cost of a missed positive ({fn_cost}) must be at least the cost of catching it ({tp_cost}); otherwise missing is better than catching. Check the costs on the Problem page."
            ).format(fn_cost=f"{cost.fn_cost:g}", tp_cost=f"{cost.tp_cost:g}")
        )
    if cost.fp_cost < cost.tn_cost:
        raise ConfigError(
            _(
                "The cost of a false alarm ({fp_cost}) must be at least the cost of a correct 'no' ({tn_cost}). Check the costs on the Problem page."
            ).format(fp_cost=f"{cost.fp_cost:g}", tn_cost=f"{cost.tn_cost:g}")
        )


_GRID = np.linspace(0.0, 1.0, 201)
_MAX_DISTINCT_THRESHOLDS = 2000


def _candidate_thresholds(s: np.ndarray) -> np.ndarray:
    """A 201-point grid plus every distinct score (the cost only changes there, so the optimum is
    exact); above 2,000 distinct scores, 2,001 score quantiles stand in for them."""
    distinct = np.unique(s[(s >= 0) & (s <= 1)])
    if len(distinct) > _MAX_DISTINCT_THRESHOLDS:
        distinct = np.unique(np.quantile(distinct, np.linspace(0, 1, _MAX_DISTINCT_THRESHOLDS + 1)))
    return np.union1d(_GRID, distinct)


def get_threshold_df(y_true01: ArrayLike, score: ArrayLike, cost: CostMatrix | None = None) -> pd.DataFrame:
    """One row per threshold in 0..1 (rows scoring ≥ threshold are flagged): threshold, tp, fp, fn,
    tn, flagged, precision (NaN when nothing is flagged), recall, f1, cost (NaN without a cost matrix)."""
    y, s = _binary_arrays(y_true01, score)
    if cost is not None:
        validate_cost_matrix(cost)
    thresholds = _candidate_thresholds(s)
    pos, neg = np.sort(s[y == 1]), np.sort(s[y == 0])
    tp = len(pos) - np.searchsorted(pos, thresholds, side="left")  # positives scoring ≥ t
    fp = len(neg) - np.searchsorted(neg, thresholds, side="left")
    fn, tn = len(pos) - tp, len(neg) - fp
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = tp / len(pos) if len(pos) else np.full(len(thresholds), np.nan)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)
    money = (
        fn * cost.fn_cost + fp * cost.fp_cost + tp * cost.tp_cost + tn * cost.tn_cost
        if cost is not None
        else np.full(len(thresholds), np.nan)
    )
    return pd.DataFrame(
        {
            "threshold": thresholds,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "tn": tn,
            "flagged": tp + fp,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "cost": money.astype("float64"),
        }
    )


def get_threshold_row(threshold_df: pd.DataFrame, threshold: float) -> pd.Series:
    """The counts at any threshold: the first grid row at or above it (exact, since the grid holds
    every distinct score); above the last row, the last row."""
    at_or_above = threshold_df[threshold_df["threshold"] >= threshold - 1e-12]
    return at_or_above.iloc[0] if not at_or_above.empty else threshold_df.iloc[-1]


def get_best_threshold(threshold_df: pd.DataFrame, by: str = "cost", step: float | None = None) -> float:
    """The threshold with the lowest cost (``by="cost"``) or the highest F1 (``by="f1"``); among
    equally good thresholds, the one closest to the usual 0.5. ``step`` (e.g. 0.01) restricts the
    answer to multiples of it, so a slider with that step can show exactly the best threshold."""
    if by not in ("cost", "f1"):
        raise ConfigError(_("The threshold can be chosen by 'cost' or 'f1'; got '{by}' instead.").format(by=by))
    if step is not None:
        grid = np.round(np.arange(0.0, 1.0 + step / 2, step), 10)
        threshold_df = pd.DataFrame([get_threshold_row(threshold_df, t) for t in grid]).assign(threshold=grid)
    values = threshold_df[by].to_numpy(dtype="float64")
    if np.all(np.isnan(values)):
        if by == "cost":
            raise ConfigError(_("No cost matrix was given; set the cost of each mistake on the Problem page."))
        return 0.5
    best = np.nanmin(values) if by == "cost" else np.nanmax(values)
    tied = threshold_df["threshold"].to_numpy()[np.isclose(values, best, rtol=1e-9, atol=1e-9)]
    return float(tied[np.argmin(np.abs(tied - 0.5))])


DEFAULT_DECISION_THRESHOLD = 0.5


def get_cost_matrix(problem: ProblemConfig) -> CostMatrix | None:
    """The costs of a missed positive and of a false alarm from the Problem page, when both are set."""
    if problem.cost_false_negative is None or problem.cost_false_positive is None:
        return None
    return CostMatrix(fn_cost=float(problem.cost_false_negative), fp_cost=float(problem.cost_false_positive))


def get_operating_threshold(
    problem: ProblemConfig, y_true01: np.ndarray | pd.Series | Sequence, score: ArrayLike
) -> float:
    """The score from which a deployed yes/no model answers 'yes': the cheapest threshold (to 0.01)
    on these rows when the Problem page sets both costs, otherwise the usual 0.5."""
    cost = get_cost_matrix(problem)
    if cost is None or len(y_true01) == 0:
        return DEFAULT_DECISION_THRESHOLD
    return get_best_threshold(get_threshold_df(y_true01, score, cost), "cost", step=0.01)


def get_confusion_at_threshold(
    y_true01: ArrayLike, score: ArrayLike, threshold: float, names: Sequence[str] | None = None
) -> pd.DataFrame:
    """The confusion matrix (see ``get_confusion_df``) when rows scoring ≥ ``threshold`` are flagged."""
    y, s = _binary_arrays(y_true01, score)
    return get_confusion_df(y, (s >= threshold).astype("int64"), labels=[0, 1], names=names)


# ---------------------------------------------------------------- calibration


def get_calibration_df(y_true01: ArrayLike, score: ArrayLike, n_bins: int = 10) -> pd.DataFrame:
    """Rows sorted by score and cut into ``n_bins`` groups of (nearly) equal size (quantile bins):
    bin, mean_predicted, observed_rate, count, min_score, max_score."""
    y, s = _binary_arrays(y_true01, score)
    if len(y) == 0:
        return pd.DataFrame(columns=["bin", "mean_predicted", "observed_rate", "count", "min_score", "max_score"])
    order = np.argsort(s, kind="stable")
    rows = []
    for i, idx in enumerate(np.array_split(order, min(int(n_bins), len(order))), start=1):
        rows.append(
            {
                "bin": i,
                "mean_predicted": float(s[idx].mean()),
                "observed_rate": float(y[idx].mean()),
                "count": int(len(idx)),
                "min_score": float(s[idx].min()),
                "max_score": float(s[idx].max()),
            }
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- regression


def get_regression_report(y_true: ArrayLike, y_pred: ArrayLike) -> dict[str, float]:
    """r2, rmse, mae, mape (a fraction: 0.08 = 8%) and mape_skipped_rows.

    MAPE divides by the true value, so rows whose true value is 0 are left out (their count is
    ``mape_skipped_rows``); MAPE is NaN when every true value is 0.
    """
    actual = np.asarray(y_true, dtype="float64")
    predicted = np.asarray(y_pred, dtype="float64")
    errors = actual - predicted
    nonzero = actual != 0
    return {
        "r2": float(r2_score(actual, predicted)) if len(actual) >= 2 else float("nan"),
        "rmse": float(np.sqrt(np.mean(errors**2))) if len(actual) else float("nan"),
        "mae": float(np.mean(np.abs(errors))) if len(actual) else float("nan"),
        "mape": float(np.mean(np.abs(errors[nonzero] / actual[nonzero]))) if nonzero.any() else float("nan"),
        "mape_skipped_rows": int((~nonzero).sum()),
    }
