"""Performance per window judged against the model itself, not only against the business bar.

The reference is the model's own holdout: its predictions on rows it never trained on, with their
labels. ``BOOTSTRAP_CHUNKS`` chunks of one window's size are drawn from it (seeded) and the metric
computed on each: their mean is what the model usually scores on a window, their spread how much a
window varies by chance. A window whose realised metric is worse than the worst chunk (the control
limit: chance alone goes that far in about 1 window of ``BOOTSTRAP_CHUNKS``; NannyML draws its limits
from reference chunks too) has decayed: the model lost skill it had, even when it still clears the
business bar. The chunks themselves, not a normal curve, say what chance does: with a few positives
per window ROC-AUC has a long tail downwards (one fraud scored low costs a window 0.1), and mean − 3
standard deviations raised false alarms in 6 to 14 of 100 no-drift runs of a card-fraud model.

A drop smaller than that, sustained over several windows, is decay too: each window's shortfall, the
z-score of its rank among the chunks, is summed over the windows (a one-sided CUSUM that forgets
``CUSUM_SLACK`` per window, so chance dips do not add up), and a sum above ``CUSUM_LIMIT`` is decay
(k = 0.5, h = 3: of 100 seeded six-window runs without drift, 2 (card fraud), 4 (telco) and 5 (breast
cancer) raised an alert; h = 4 spared one of them but let card fraud's concept drift alert a window
later). On the card-fraud sample a window holds about 7 frauds, so one window's ROC-AUC varies by
±0.02 by chance: a real drop of 0.05 shows only in the sum of two or three windows.

Windows whose labels have not arrived get an estimate (``estimation``: the calibrated confidence of a
classifier, ``cbpe``, or a model of a regression's errors, ``dle``) with a band of ``BAND_SIGMAS`` spreads. Fewer labelled rows than a full window vary more:
gaps and spreads are scaled by sqrt(window rows / labelled rows), as a standard error is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from core.formatting import format_as, format_count
from core.i18n import N_, _
from core.monitoring.cbpe import Calibration
from core.monitoring.estimation import Estimator, estimate_windows, fit_estimator

CUSUM_SLACK = 0.5  # spreads of shortfall per window that chance may take without adding up
CUSUM_LIMIT = 3.0  # summed shortfall (z-scores less the slack) that counts as decay
BAND_SIGMAS = 2.0  # the estimate's band: where the realised value should land about 95% of the time
BOOTSTRAP_CHUNKS = 400
BOUNDED_METRICS = {"roc_auc": (0.0, 1.0), "accuracy": (0.0, 1.0), "f1_macro": (0.0, 1.0), "r2": (None, 1.0)}
PERFORMANCE_WINDOWS_SCHEMA = {
    "window": "int64",
    "metric": "str",
    "rows": "int64",
    "labelled_rows": "int64",
    "labelled": "bool",
    "realised": "float64",
    "estimated": "float64",
    "lower": "float64",  # the estimate's band
    "upper": "float64",
    "expected": "float64",  # what the model scores on its own holdout, per window
    "limit_lower": "float64",  # control limits for the realised metric (NaN: no limit that side)
    "limit_upper": "float64",
    "shortfall": "float64",  # how many spreads the realised metric is worse than expected (negative: better)
    "cusum": "float64",  # the shortfall summed over the windows so far, less CUSUM_SLACK per window
    "decayed": "bool",  # beyond the control limit on the bad side, or the summed shortfall above CUSUM_LIMIT
    "estimate_decayed": "bool",  # the estimate is beyond it (the only signal while labels are missing)
}


@dataclass(frozen=True)
class PerformanceReference:
    """What the model scores on its own holdout per window of ``window_rows`` rows, learned once."""

    metric: str
    higher_is_better: bool
    window_rows: int
    expected: float  # mean of the metric over the reference chunks
    spread: float  # its spread over them on the side that means worse (``_get_bad_side_spread``)
    chunks: int
    chunk_values: tuple[float, ...] = ()  # the metric on each chunk, sorted
    estimator: Estimator | None = None  # None: performance is not estimated before labels
    decision_threshold: float = 0.5
    not_estimated: str = ""  # why there is no estimate, in words
    bounds: tuple[float | None, float | None] = field(default=(None, None))

    @property
    def estimates(self) -> bool:
        return self.estimator is not None

    @property
    def calibration(self) -> Calibration | None:
        """A yes/no model's calibration (None otherwise)."""
        return None if self.estimator is None else self.estimator.calibration

    @property
    def estimation_note(self) -> str:
        """How the metric is estimated before labels, or why it is not, in words."""
        return self.estimator.note if self.estimator is not None else self.not_estimated

    def get_spread(self, rows: int) -> float:
        return self.spread * math.sqrt(self.window_rows / rows) if rows > 0 else float("nan")

    def get_limits(self, rows: int) -> tuple[float, float]:
        """(lower, upper) control limits for a window of ``rows`` labelled rows, only on the bad side: the
        worst chunk, its distance from the usual value scaled by sqrt(window rows / rows)."""
        if not self.chunk_values or rows <= 0:
            return float("nan"), float("nan")
        worst = self.chunk_values[0] if self.higher_is_better else self.chunk_values[-1]
        margin = abs(self.expected - worst) * math.sqrt(self.window_rows / rows)
        low, high = self.bounds
        if self.higher_is_better:
            return _clip(self.expected - margin, low, high), float("nan")
        return float("nan"), _clip(self.expected + margin, low, high)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "window_rows": self.window_rows,
            "expected": self.expected,
            "spread": self.spread,
            "chunks": self.chunks,
            "chunk_values": list(self.chunk_values),
            "estimator": None if self.estimator is None else self.estimator.to_dict(),
            "decision_threshold": self.decision_threshold,
            "not_estimated": self.not_estimated,
            "bounds": list(self.bounds),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PerformanceReference:
        estimator = Estimator.from_dict(data["estimator"]) if data.get("estimator") else None
        if estimator is None and data.get("calibration"):  # a report saved when only yes/no models were estimated
            calibration = Calibration.from_dict(data["calibration"])
            threshold = float(data.get("decision_threshold", 0.5))
            estimator = Estimator("binary", data["metric"], calibration.note, (calibration,), threshold)
        low, high = data.get("bounds", (None, None))
        return cls(
            metric=data["metric"],
            higher_is_better=bool(data["higher_is_better"]),
            window_rows=int(data["window_rows"]),
            expected=float(data["expected"]),
            spread=float(data["spread"]),
            chunks=int(data["chunks"]),
            chunk_values=tuple(float(v) for v in data.get("chunk_values", ())),
            estimator=estimator,
            decision_threshold=float(data.get("decision_threshold", 0.5)),
            not_estimated=data.get("not_estimated", ""),
            bounds=(low, high),
        )


def _clip(value: float, low: float | None, high: float | None) -> float:
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return float(value)


def _safe_metric(score_metric: Callable[[Any, np.ndarray], float], y: pd.Series, scores: np.ndarray) -> float:
    try:
        value = float(score_metric(y, scores))
    except (ValueError, ZeroDivisionError):
        return float("nan")
    return value


def _get_bad_side_spread(values: np.ndarray, expected: float, higher_is_better: bool) -> float:
    """The spread of the chunks on the side that means worse (the semi-deviation, scaled to equal the
    standard deviation when the spread is symmetric). A metric near its ceiling, such as ROC-AUC 0.94
    on a window with a few dozen positives, spreads further down than up: the plain standard deviation
    put the limit too close and raised false alarms in 14 of 100 no-drift runs."""
    if len(values) < 2:
        return float("nan")
    gaps = (expected - values) if higher_is_better else (values - expected)
    return float(np.sqrt(2 * np.sum(np.clip(gaps, 0, None) ** 2) / (len(values) - 1)))


def fit_performance_reference(
    y_true: pd.Series,
    scores: np.ndarray,
    *,
    metric: str,
    score_metric: Callable[[Any, np.ndarray], float],
    window_rows: int,
    higher_is_better: bool = True,
    positives: np.ndarray | None = None,
    decision_threshold: float = 0.5,
    estimator: Estimator | None = None,
    not_estimated: str = "",
    chunks: int = BOOTSTRAP_CHUNKS,
    seed: int = 0,
) -> PerformanceReference:
    """Learn the reference from the holdout's labels ``y_true`` and the model's ``scores`` on them.

    ``positives`` (1 for the positive class, else 0) turns on the estimate before labels for a yes/no
    model whose metric CBPE knows (its scores must be probabilities of the positive class); any task's
    ``estimator`` (``estimation.fit_estimator``) may be given instead. Without either, ``not_estimated``
    says why there is no estimate.
    """
    y_true = pd.Series(y_true).reset_index(drop=True)
    scores = np.asarray(scores)
    labelled = y_true.notna().to_numpy()
    y_true, scores = y_true[labelled].reset_index(drop=True), scores[labelled]
    rng = np.random.default_rng(seed)
    values = []
    for _chunk in range(chunks):
        rows = rng.integers(0, len(y_true), window_rows)
        values.append(_safe_metric(score_metric, y_true.iloc[rows], scores[rows]))
    finite = np.asarray([v for v in values if math.isfinite(v)])
    expected = float(finite.mean()) if len(finite) else float("nan")
    spread = _get_bad_side_spread(finite, expected, higher_is_better)
    if estimator is None and positives is not None:
        estimator, why = fit_estimator(
            "binary", metric, np.asarray(positives)[labelled], scores, decision_threshold=decision_threshold, seed=seed
        )
        not_estimated = not_estimated or why
    if estimator is None and not not_estimated:
        not_estimated = f"{metric} is not estimated before labels arrive."
    return PerformanceReference(
        metric=metric,
        higher_is_better=higher_is_better,
        window_rows=int(window_rows),
        expected=expected,
        spread=spread,
        chunks=len(finite),
        chunk_values=tuple(float(v) for v in np.sort(finite)),
        estimator=estimator,
        decision_threshold=decision_threshold,
        not_estimated=not_estimated if estimator is None else "",
        bounds=BOUNDED_METRICS.get(metric, (None, None)),
    )


def get_shortfall(reference: PerformanceReference, value: float, rows: int) -> float:
    """How much worse than usual ``value`` is, as a z-score: the normal quantile of its rank among the
    reference chunks (0: a typical window, 2: worse than 98% of them; negative: better than usual). A
    window of fewer rows than the chunks has its gap scaled down by sqrt(rows / window rows) first.
    NaN without a value."""
    if not (math.isfinite(value) and reference.chunk_values and rows > 0):
        return float("nan")
    chunks = np.asarray(reference.chunk_values)
    sign = 1.0 if reference.higher_is_better else -1.0
    gap = sign * (reference.expected - value) * math.sqrt(rows / reference.window_rows)
    chunk_gaps = sign * (reference.expected - chunks)
    below = float(np.sum(chunk_gaps < gap) + 0.5 * np.sum(chunk_gaps == gap))
    return float(norm.ppf((below + 0.5) / (len(chunks) + 1)))


def _is_worse(value: float, limit_lower: float, limit_upper: float) -> bool:
    if not math.isfinite(value):
        return False
    return (math.isfinite(limit_lower) and value < limit_lower) or (math.isfinite(limit_upper) and value > limit_upper)


def get_performance_windows_df(
    reference: PerformanceReference,
    windows: np.ndarray,
    y_true: pd.Series,
    scores: np.ndarray,
    score_metric: Callable[[Any, np.ndarray], float],
    rows: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per window: the realised metric on its labelled rows (missing labels: not arrived yet),
    the estimate before labels with its band (from the scores, and from the traffic's ``rows`` for a
    multi-class or regression model), and the control limits of the realised one."""
    windows = np.asarray(windows)
    estimates = (
        estimate_windows(reference.estimator, windows, scores, rows)
        if reference.estimator is not None and reference.estimator.ready
        else None
    )
    y_true = pd.Series(y_true).reset_index(drop=True)
    scores = np.asarray(scores)
    has_label = y_true.notna().to_numpy()
    records = []
    cusum = 0.0
    for window in np.unique(windows):
        in_window = windows == window
        labelled_rows = int((in_window & has_label).sum())
        realised = (
            _safe_metric(score_metric, y_true[in_window & has_label], scores[in_window & has_label])
            if labelled_rows
            else float("nan")
        )
        estimated = lower = upper = float("nan")
        if estimates is not None and math.isfinite(estimates[window]):
            estimated = float(estimates[window])
            band = BAND_SIGMAS * reference.get_spread(int(in_window.sum()))
            low, high = reference.bounds
            lower, upper = _clip(estimated - band, low, high), _clip(estimated + band, low, high)
        limit_lower, limit_upper = reference.get_limits(labelled_rows or int(in_window.sum()))
        shortfall = get_shortfall(reference, realised, labelled_rows)
        if math.isfinite(shortfall):  # a window without labels leaves the sum as it was
            cusum = max(0.0, cusum + shortfall - CUSUM_SLACK)
        records.append(
            {
                "window": int(window),
                "metric": reference.metric,
                "rows": int(in_window.sum()),
                "labelled_rows": labelled_rows,
                "labelled": labelled_rows > 0,
                "realised": realised,
                "estimated": estimated,
                "lower": lower,
                "upper": upper,
                "expected": reference.expected,
                "limit_lower": limit_lower,
                "limit_upper": limit_upper,
                "shortfall": shortfall,
                "cusum": cusum if labelled_rows else float("nan"),
                "decayed": _is_worse(realised, limit_lower, limit_upper) or (labelled_rows > 0 and cusum > CUSUM_LIMIT),
                "estimate_decayed": _is_worse(estimated, *reference.get_limits(int(in_window.sum()))),
            }
        )
    df = pd.DataFrame(records, columns=list(PERFORMANCE_WINDOWS_SCHEMA))
    return df.astype(PERFORMANCE_WINDOWS_SCHEMA).reset_index(drop=True)


def empty_performance_windows_df() -> pd.DataFrame:
    return pd.DataFrame(columns=list(PERFORMANCE_WINDOWS_SCHEMA)).astype(PERFORMANCE_WINDOWS_SCHEMA)


#: The performance table's headings (translated where the table is made).
PERFORMANCE_TABLE_COLUMNS = (
    N_("window"),
    N_("labels"),
    N_("realised"),
    N_("estimated"),
    N_("band"),
    N_("control limit"),
    N_("status"),
)


def get_performance_table_df(performance_windows_df: pd.DataFrame) -> pd.DataFrame:
    """The performance windows as a table to read: per window its labels ("unlabelled" before any
    arrived), the realised and estimated metric, the estimate's band, the control limit and a status."""
    rows = []
    for row in performance_windows_df.itertuples(index=False):
        limit = row.limit_lower if math.isfinite(row.limit_lower) else row.limit_upper
        if not row.labelled:
            status = _("unlabelled: estimate only") if math.isfinite(row.estimated) else _("unlabelled")
        else:
            status = _("decayed") if row.decayed else _("as usual")
        rows.append(
            [
                int(row.window),
                _("unlabelled")
                if not row.labelled
                else _("{labelled} of {rows}").format(
                    labelled=format_count(row.labelled_rows), rows=format_count(row.rows)
                ),
                # Text, so a value not there reads "—" rather than a grid's "None".
                format_as(row.realised, ".3f") if math.isfinite(row.realised) else "—",
                format_as(row.estimated, ".3f") if math.isfinite(row.estimated) else "—",
                format_as(row.lower, ".3f") + "–" + format_as(row.upper, ".3f") if math.isfinite(row.lower) else "",
                limit,
                status,
            ]
        )
    return pd.DataFrame(rows, columns=[_(c) for c in PERFORMANCE_TABLE_COLUMNS])


def get_performance_records(performance_windows_df: pd.DataFrame) -> list[dict[str, Any]]:
    """The CLI's ``monitoring.performance``: ``{window, labelled, realised, estimated, lower, upper}`` per
    window (null where there is no value), plus the control limit and whether the window decayed."""
    records = []
    for row in performance_windows_df.itertuples(index=False):
        records.append(
            {
                "window": int(row.window),
                "labelled": bool(row.labelled),
                "realised": _or_none(row.realised),
                "estimated": _or_none(row.estimated),
                "lower": _or_none(row.lower),
                "upper": _or_none(row.upper),
                "metric": row.metric,
                "labelled_rows": int(row.labelled_rows),
                "expected": _or_none(row.expected),
                "limit_lower": _or_none(row.limit_lower),
                "limit_upper": _or_none(row.limit_upper),
                "decayed": bool(row.decayed),
            }
        )
    return records


def _or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
