"""Is the best model really better? A paired comparison of two models on the same rows:
on the cross-validation folds (wins and a paired t-test) and on the holdout (a bootstrap
confidence interval of the difference), stated in plain words by ``charts_checks.caption_comparison``.

The bootstrap is vectorised: resampling rows with replacement is the same as giving each row a
weight (how often it was drawn), so one weight matrix (resamples × rows) scores every resample at
once for the metrics registered in ``BOOTSTRAP_METRICS``; any other callable is looped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from core.i18n import _
from core.workspace.errors import ConfigError, DataError

# ---------------------------------------------------------------- paired CV comparison


def compare_cv_folds(
    scores_a: Sequence[float], scores_b: Sequence[float], higher_is_better: bool = True
) -> dict[str, Any]:
    """Compare two models' scores on the same CV folds (folds where either is NaN are skipped).

    Returns folds, mean_difference (A − B), std_difference, p_value (paired t-test, two-sided; NaN
    with fewer than 2 folds), wins_a, wins_b, ties, higher_is_better. The folds share training rows,
    so the p-value is optimistic: read it as a hint, and the bootstrap on the holdout as the evidence.
    """
    a, b = np.asarray(scores_a, dtype="float64"), np.asarray(scores_b, dtype="float64")
    if a.shape != b.shape:
        raise DataError(
            _("Both models need a score on the same folds; got {n} and {n2} scores. Train them together.").format(
                n=len(a), n2=len(b)
            )
        )
    keep = ~(np.isnan(a) | np.isnan(b))
    diff = a[keep] - b[keep]
    better = diff if higher_is_better else -diff
    return {
        "folds": int(len(diff)),
        "mean_difference": float(diff.mean()) if len(diff) else float("nan"),
        "std_difference": float(diff.std(ddof=1)) if len(diff) >= 2 else float("nan"),
        "p_value": _paired_p_value(a[keep], b[keep]),
        "wins_a": int((better > 0).sum()),
        "wins_b": int((better < 0).sum()),
        "ties": int((better == 0).sum()),
        "higher_is_better": bool(higher_is_better),
    }


def _paired_p_value(a: np.ndarray, b: np.ndarray) -> float:
    diff = a - b
    if len(diff) < 2:
        return float("nan")
    if np.allclose(diff, diff[0], rtol=0, atol=1e-15):  # no spread: the t statistic is 0/0 or ±inf
        return 1.0 if abs(diff[0]) <= 1e-15 else 0.0
    return float(stats.ttest_rel(a, b).pvalue)


# ---------------------------------------------------------------- vectorised metrics over row weights
# Each takes y (n,), p (n,) and W (resamples, n) = how often each row was drawn; returns (resamples,).


def _weighted_mean(values: np.ndarray, W: np.ndarray) -> np.ndarray:
    return W @ values / W.sum(axis=1)


def _accuracy(y: np.ndarray, p: np.ndarray, W: np.ndarray) -> np.ndarray:
    return _weighted_mean((y == p).astype("float64"), W)


def _f1_macro(y: np.ndarray, p: np.ndarray, W: np.ndarray) -> np.ndarray:
    per_class = []
    for label in np.unique(np.concatenate([y, p])):
        is_true, is_pred = y == label, p == label
        tp = W @ (is_true & is_pred).astype("float64")
        fp = W @ (~is_true & is_pred).astype("float64")
        fn = W @ (is_true & ~is_pred).astype("float64")
        denominator = 2 * tp + fp + fn
        with np.errstate(divide="ignore", invalid="ignore"):
            # a class absent from a resample (in truth and prediction) does not count, as in sklearn
            per_class.append(np.where(denominator > 0, 2 * tp / denominator, np.nan))
    with np.errstate(all="ignore"):
        return np.nanmean(np.vstack(per_class), axis=0)


def _balanced_accuracy(y: np.ndarray, p: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Mean recall over the classes present in the resample's truth, as sklearn."""
    recalls = []
    for label in np.unique(y):
        is_true = y == label
        support = W @ is_true.astype("float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            recalls.append(np.where(support > 0, (W @ (is_true & (p == label)).astype("float64")) / support, np.nan))
    with np.errstate(all="ignore"):
        return np.nanmean(np.vstack(recalls), axis=0)


def _grouped_by_score(y: np.ndarray, s: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted positives and negatives per distinct score (ascending): two (resamples, distinct) arrays."""
    order = np.argsort(s, kind="stable")
    sorted_scores = s[order]
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    W_sorted = W[:, order]
    positive = (y[order] == 1).astype("float64")
    pos = np.add.reduceat(W_sorted * positive, starts, axis=1)
    neg = np.add.reduceat(W_sorted * (1 - positive), starts, axis=1)
    return pos, neg


def _roc_auc(y: np.ndarray, s: np.ndarray, W: np.ndarray) -> np.ndarray:
    pos, neg = _grouped_by_score(y, s, W)
    negatives_below = np.cumsum(neg, axis=1) - neg
    total_pos, total_neg = pos.sum(axis=1), neg.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = (pos * (negatives_below + 0.5 * neg)).sum(axis=1) / (total_pos * total_neg)
    return np.where((total_pos > 0) & (total_neg > 0), auc, np.nan)


def _pr_auc(y: np.ndarray, s: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Average precision, as sklearn: Σ (recall step) × precision, one step per distinct score."""
    pos, neg = _grouped_by_score(y, s, W)
    pos, neg = pos[:, ::-1], neg[:, ::-1]  # highest score first
    tp, fp = np.cumsum(pos, axis=1), np.cumsum(neg, axis=1)
    total_pos = pos.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        ap = (pos * precision).sum(axis=1) / total_pos
    return np.where((total_pos > 0) & (neg.sum(axis=1) > 0), ap, np.nan)


def _log_loss(y: np.ndarray, s: np.ndarray, W: np.ndarray) -> np.ndarray:
    eps = np.finfo("float64").eps  # the clipping sklearn's log_loss uses
    p = np.clip(s.astype("float64"), eps, 1 - eps)
    return _weighted_mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)), W)


def _rmse(y: np.ndarray, p: np.ndarray, W: np.ndarray) -> np.ndarray:
    return np.sqrt(_weighted_mean((y - p) ** 2, W))


def _mae(y: np.ndarray, p: np.ndarray, W: np.ndarray) -> np.ndarray:
    return _weighted_mean(np.abs(y - p), W)


def _r2(y: np.ndarray, p: np.ndarray, W: np.ndarray) -> np.ndarray:
    n = W.sum(axis=1)
    residual = W @ ((y - p) ** 2)
    total = W @ (y**2) - (W @ y) ** 2 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 1e-12 * np.maximum(W @ (y**2), 1.0), 1 - residual / total, np.nan)


# name → (function, higher_is_better, uses scores (True) or predicted labels/values (False))
BOOTSTRAP_METRICS: dict[str, tuple[Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray], bool, bool]] = {
    "roc_auc": (_roc_auc, True, True),
    "pr_auc": (_pr_auc, True, True),
    "log_loss": (_log_loss, False, True),
    "accuracy": (_accuracy, True, False),
    "f1_macro": (_f1_macro, True, False),
    "balanced_accuracy": (_balanced_accuracy, True, False),
    "r2": (_r2, True, False),
    "rmse": (_rmse, False, False),
    "mae": (_mae, False, False),
}


def metric_uses_scores(metric: str) -> bool:
    """True when the metric needs ``ModelResult.test_scores`` (probabilities), False for ``test_pred``."""
    return _registered(metric)[2]


def _registered(metric: str) -> tuple[Callable, bool, bool]:
    if metric not in BOOTSTRAP_METRICS:
        raise ConfigError(
            _("The metric '{metric}' cannot be bootstrapped; choose one of {join}.").format(
                metric=metric, join=", ".join(BOOTSTRAP_METRICS)
            )
        )
    return BOOTSTRAP_METRICS[metric]


def score_metric(metric: str, y_true: ArrayLike, pred: ArrayLike) -> float:
    """One registered metric on all rows (``pred`` = scores or predictions, see ``metric_uses_scores``)."""
    fn = _registered(metric)[0]
    y, p = _as_metric_inputs(metric, np.asarray(y_true), np.asarray(pred))
    return float(fn(y, p, np.ones((1, len(y))))[0])


def _as_metric_inputs(metric: str, y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if p.ndim != 1:
        raise DataError(
            _("The '{metric}' metric needs one value per row (for a binary task, P(positive)).").format(metric=metric)
        )
    if metric in ("accuracy", "f1_macro", "balanced_accuracy"):
        return y, p  # labels, compared as they are
    return y.astype("float64"), p.astype("float64")


# ---------------------------------------------------------------- bootstrap on the holdout


def _row_weights(n_rows: int, n_boot: int, seed: int) -> np.ndarray:
    """(n_boot, n_rows): how often each row is drawn in each resample (from one index matrix)."""
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n_rows, size=(n_boot, n_rows))
    flat = (index + np.arange(n_boot)[:, None] * n_rows).ravel()
    return np.bincount(flat, minlength=n_boot * n_rows).reshape(n_boot, n_rows).astype("float64")


def bootstrap_metric_difference(
    y_true: ArrayLike,
    pred_a: ArrayLike,
    pred_b: ArrayLike,
    metric: str | Callable[[np.ndarray, np.ndarray], float],
    *,
    n_boot: int = 1000,
    seed: int = 0,
    higher_is_better: bool | None = None,
) -> dict[str, Any]:
    """The holdout difference A − B of a metric, with a 95% bootstrap interval (paired: both models
    are scored on the same resampled rows).

    ``metric`` is a name in ``BOOTSTRAP_METRICS`` (vectorised; pass scores or predictions as
    ``metric_uses_scores`` says) or any ``fn(y_true, pred) -> float`` (looped, slower; give
    ``higher_is_better``). Returns metric, rows, n_boot, valid_resamples, score_a, score_b,
    difference, ci_low, ci_high, share_a_better, share_equal, higher_is_better. Resamples where the metric is
    undefined (one class only) are left out.
    """
    y = np.asarray(y_true)
    a, b = np.asarray(pred_a), np.asarray(pred_b)
    if not (len(y) == len(a) == len(b)) or len(y) == 0:
        raise DataError(
            _("Both models need one prediction per holdout row; got {n} and {n2} for {n3} rows.").format(
                n=len(a), n2=len(b), n3=len(y)
            )
        )
    if n_boot < 1:
        raise ConfigError(
            _("The number of bootstrap resamples must be at least 1; got {n_boot} instead.").format(n_boot=n_boot)
        )
    if isinstance(metric, str):
        fn, default_direction, _unused = _registered(metric)
        _y_unused, a = _as_metric_inputs(metric, y, a)
        y, b = _as_metric_inputs(metric, y, b)
        score_a, score_b = score_metric(metric, y, a), score_metric(metric, y, b)
        W = _row_weights(len(y), n_boot, seed)
        boot_a, boot_b = fn(y, a, W), fn(y, b, W)
        name = metric
    else:
        default_direction = True
        score_a, score_b = float(metric(y, a)), float(metric(y, b))
        index = np.random.default_rng(seed).integers(0, len(y), size=(n_boot, len(y)))
        boot_a = np.array([metric(y[i], a[i]) for i in index], dtype="float64")
        boot_b = np.array([metric(y[i], b[i]) for i in index], dtype="float64")
        name = getattr(metric, "__name__", "metric")
    higher = default_direction if higher_is_better is None else bool(higher_is_better)
    diffs = (boot_a - boot_b)[~(np.isnan(boot_a) | np.isnan(boot_b))]
    low, high = np.percentile(diffs, [2.5, 97.5]) if len(diffs) else (np.nan, np.nan)
    return {
        "metric": name,
        "rows": int(len(y)),
        "n_boot": int(n_boot),
        "valid_resamples": int(len(diffs)),
        "score_a": score_a,
        "score_b": score_b,
        "difference": score_a - score_b,
        "ci_low": float(low),
        "ci_high": float(high),
        "share_a_better": float(np.mean(diffs > 0 if higher else diffs < 0)) if len(diffs) else float("nan"),
        "share_equal": float(np.mean(diffs == 0)) if len(diffs) else float("nan"),
        "higher_is_better": higher,
    }


# ---------------------------------------------------------------- the two best models of a training run


def get_top_two(results: Sequence[Any]) -> tuple[Any, Any] | None:
    """The two best trained models that are not the baseline (``TrainResult.results`` is best first)."""
    trained = [r for r in results if r.ok and not r.is_baseline]
    return (trained[0], trained[1]) if len(trained) >= 2 else None


def compare_models(
    a: Any, b: Any, y_test: ArrayLike, metric: str, *, n_boot: int = 1000, seed: int = 0
) -> dict[str, Any]:
    """Paired comparison of two ``ModelResult``: ``{"name_a", "name_b", "metric", "cv", "bootstrap"}``."""
    higher = _registered(metric)[1]
    use_scores = metric_uses_scores(metric)
    return {
        "name_a": a.name,
        "name_b": b.name,
        "metric": metric,
        "cv": compare_cv_folds(a.cv_scores, b.cv_scores, higher_is_better=higher),
        "bootstrap": bootstrap_metric_difference(
            y_test,
            a.test_scores if use_scores else a.test_pred,
            b.test_scores if use_scores else b.test_pred,
            metric,
            n_boot=n_boot,
            seed=seed,
        ),
    }
