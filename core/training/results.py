"""What training returns: one model's result (``ModelResult``: CV scores, holdout metrics, the fitted
pipeline and its holdout predictions) and a session's (``TrainResult``: the leaderboard, best first,
with the split it was measured on). Tracking, tuning, evaluation and the gate all read these."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from core.features.preprocessing import FeatureConfig
from core.problem.definition import ProblemConfig
from core.training.catalog import BASELINE_KEY
from core.training.config import TrainConfig
from core.training.metrics import TEST_METRICS


@dataclass
class ModelResult:
    key: str
    name: str
    cv_scores: list[float]
    cv_score: float
    test_metrics: dict[str, float]
    fit_seconds: float
    predict_ms_per_row: float
    params: dict[str, Any]
    pipeline: Pipeline | None  # refit on the whole training split; None when the model failed
    test_scores: np.ndarray  # binary: P(positive); multiclass: probabilities (n, classes); regression: predictions
    test_pred: np.ndarray
    error: str | None = None

    @property
    def cv_std(self) -> float:
        scores = [s for s in self.cv_scores if not math.isnan(s)]
        return float(np.std(scores)) if scores else float("nan")

    @property
    def is_baseline(self) -> bool:
        return self.key == BASELINE_KEY

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class TrainResult:
    problem: ProblemConfig  # positive_class resolved; group_column resolved for group-kfold
    features: FeatureConfig
    config: TrainConfig
    validation: str  # the CV strategy: stratified-kfold | kfold | time-split | group-kfold
    results: list[ModelResult]  # best first by cv_score; failed models last
    train_index: pd.Index
    test_index: pd.Index
    y_test: np.ndarray  # encoded like encode_target (binary 0/1)
    classes: list  # binary: [negative, positive] labels; multiclass: labels; regression: []
    # how the test rows were chosen: stratified-split | random-split | time-split | group-split | provided-test-set
    holdout: str = ""
    baseline_prediction: str = ""  # e.g. "'No'" or "the average (477,500)", for captions
    warnings: list[str] = field(default_factory=list)  # plain sentences: leaky splits, rare classes

    @property
    def best(self) -> ModelResult:
        """The best model that is not the baseline (the baseline if nothing else could be trained)."""
        trained = [r for r in self.results if r.ok]
        real = [r for r in trained if not r.is_baseline]
        return (real or trained)[0]

    @property
    def baseline(self) -> ModelResult | None:
        return next((r for r in self.results if r.is_baseline and r.ok), None)

    def leaderboard_df(self) -> pd.DataFrame:
        metric_names = TEST_METRICS[self.problem.task]
        rows = []
        for r in self.results:
            row = {"model": r.name, "key": r.key, "cv_score": r.cv_score, "cv_std": r.cv_std}
            row.update({m: r.test_metrics.get(m, float("nan")) for m in metric_names})
            row.update({"fit_seconds": r.fit_seconds, "predict_ms_per_row": r.predict_ms_per_row, "error": r.error})
            rows.append(row)
        columns = ["model", "key", "cv_score", "cv_std", *metric_names, "fit_seconds", "predict_ms_per_row", "error"]
        return pd.DataFrame(rows, columns=columns)

    def to_summary(self) -> list[dict[str, Any]]:
        """The JSON leaderboard: ``{model, cv_score, test_metrics}`` best first (NaN → None)."""
        summary = []
        for r in self.results:
            entry = {
                "model": r.key,
                "name": r.name,
                "cv_score": _json_float(r.cv_score),
                "test_metrics": {k: _json_float(v) for k, v in r.test_metrics.items()},
            }
            if r.error:
                entry["error"] = r.error
            summary.append(entry)
        return summary


def _json_float(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)
