"""Performance of a regression before the labels arrive: direct loss estimation (DLE). A second model,
fitted on the holdout, learns each row's error (absolute for MAE, squared for RMSE and R²) from the
model's inputs and its prediction; a window's metric is then computed from the errors it expects. The
idea follows NannyML's DLE (Apache-2.0); the code is our own.

It is used only where it helps: in cross-validation on the holdout, the loss model must predict the
errors better than their average does. Otherwise the errors do not depend on anything the model sees,
every window would be estimated at the holdout's usual value, and the page says plainly that the
metric is not estimated.

R² also needs the spread of the true values in the window, which no label-free number gives. It is
taken as the spread of the predictions plus the expected squared error, corrected by how the errors
went with the predictions on the holdout (Var(y) = Var(ŷ) + Var(e) + 2 Cov(ŷ, e), with Cov(ŷ, e) a
fixed share of Var(ŷ)). Like CBPE, DLE cannot see a change in what the outcome depends on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold

LOSSES = {"mae": "absolute", "rmse": "squared", "r2": "squared"}
LOSS_FOLDS = 3
MIN_LOSS_ROWS = 100  # fewer holdout rows: too few to learn where the model errs


def _loss(metric: str, y: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    errors = np.asarray(y, dtype=float) - np.asarray(predictions, dtype=float)
    return np.abs(errors) if LOSSES[metric] == "absolute" else errors**2


def _new_loss_regressor(rows: int, seed: int) -> HistGradientBoostingRegressor:
    return HistGradientBoostingRegressor(
        max_iter=100,
        learning_rate=0.1,
        max_leaf_nodes=15,
        min_samples_leaf=max(20, rows // 50),
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )


@dataclass(frozen=True)
class LossModel:
    """The fitted loss model of one metric. ``inputs`` are the model's encoded features with its
    prediction as the last column; ``slope`` is Cov(ŷ, e) / Var(ŷ) on the holdout (R² only)."""

    metric: str
    regressor: Any
    slope: float = 0.0

    def estimate(self, inputs: np.ndarray) -> float:
        """The expected metric on a window of rows whose ``inputs`` are these."""
        inputs = np.asarray(inputs, dtype=float)
        if len(inputs) == 0:
            return float("nan")
        expected_loss = float(np.clip(self.regressor.predict(inputs), 0.0, None).mean())
        if self.metric == "mae":
            return expected_loss
        if self.metric == "rmse":
            return float(np.sqrt(expected_loss))
        spread = (1 + 2 * self.slope) * float(np.var(inputs[:, -1])) + expected_loss
        return 1.0 - expected_loss / spread if spread > 0 else float("nan")


def fit_loss_model(metric: str, y: np.ndarray, inputs: np.ndarray, *, seed: int = 0) -> tuple[LossModel | None, str]:
    """(the loss model, a sentence of what was decided and why), learned on the holdout's true values
    ``y`` and ``inputs`` (features, prediction last). None when it does not predict the errors better
    than their average in ``LOSS_FOLDS``-fold cross-validation, or the holdout is too small."""
    if metric not in LOSSES:
        return None, f"{metric} is not estimated before labels arrive."
    y = np.asarray(y, dtype=float)
    inputs = np.asarray(inputs, dtype=float)
    if len(y) < MIN_LOSS_ROWS:
        return None, (
            f"The holdout has {len(y)} rows, too few to learn where the model errs (at least {MIN_LOSS_ROWS}), "
            "so the metric is not estimated before labels arrive: only the realised value is shown."
        )
    losses = _loss(metric, y, inputs[:, -1])
    learned, average = [], []
    for train, test in KFold(LOSS_FOLDS, shuffle=True, random_state=seed).split(inputs):
        regressor = _new_loss_regressor(len(train), seed).fit(inputs[train], losses[train])
        learned.append(float(np.mean((regressor.predict(inputs[test]) - losses[test]) ** 2)))
        average.append(float(np.mean((losses[train].mean() - losses[test]) ** 2)))
    wins = sum(a < b for a, b in zip(learned, average, strict=True))
    kind = "absolute" if LOSSES[metric] == "absolute" else "squared"
    if np.mean(learned) >= np.mean(average) or wins <= LOSS_FOLDS // 2:
        return None, (
            f"The metric is not estimated before labels arrive: a model of the {kind} errors on the holdout "
            "did not predict them better than their average on rows it had not seen, so the errors do not show "
            "in the inputs; only the realised value is shown."
        )
    errors = y - inputs[:, -1]
    variance = float(np.var(inputs[:, -1]))
    slope = float(np.cov(inputs[:, -1], errors)[0, 1] / variance) if variance > 0 else 0.0
    regressor = _new_loss_regressor(len(y), seed).fit(inputs, losses)
    gain = 1 - np.mean(learned) / np.mean(average)
    return LossModel(metric, regressor, slope), (
        f"Estimated before labels from a model of the {kind} errors learned on the holdout from the inputs and "
        f"the prediction (direct loss estimation): on holdout rows it had not seen it predicted them "
        f"{gain:.0%} better than their average."
    )
