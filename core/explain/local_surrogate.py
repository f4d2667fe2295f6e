"""A second local explanation beside SHAP for one row: a LIME-style weighted linear surrogate, and how
far the two methods agree.

Our own, not the ``lime`` package (lime 0.2.0.1 pulls matplotlib and scikit-image, and matplotlib is
left out of this product on purpose). It follows LIME's tabular recipe on the input columns:

- perturbations: each sample keeps the explained row's own value in a random subset of the features
  (the share kept drawn per sample, so near and far neighbours both occur) and takes the others from
  a random training row; its output is averaged over 8 such training rows, so the fit sees the
  features' effects rather than the noise of one background row. The first sample is the row
  itself. Seeded, so it is repeatable;
- the interpretable representation: one 0/1 per feature, 1 where the sample holds the row's value;
- weights: an exponential kernel on the share of features switched away (width 0.75, LIME's default
  on its normalised distance), so samples close to the row count most;
- the surrogate: a weighted ridge regression of the model's output (the probability of the explained
  class, or the predicted value) on those 0/1 columns. Its coefficient of a feature is how much the
  row's own value of that feature moves the output against a typical value: the same question SHAP
  answers, asked another way. Its weighted R² says how well a straight line fits the model near the row.

``explain_row`` gives the SHAP values of the same row in the same units (model-agnostic permutation
SHAP against training rows), so the two can be compared number for number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.linear_model import Ridge

from core.i18n import _
from core.workspace.errors import DataError

DEFAULT_SAMPLES = 1000
BACKGROUNDS_PER_SAMPLE = 8  # each sample's output is averaged over this many training rows
KERNEL_WIDTH = 0.75
TOP_FEATURES = 3
NO_EFFECT = 1e-9  # contributions smaller than this are no effect at all
ROW_BACKGROUND = 200  # training rows SHAP of one row is measured against


@dataclass(frozen=True)
class LocalSurrogate:
    contributions: pd.Series  # per feature: the row's own value against a typical one, in output units
    intercept: float  # the output with every feature at a typical value
    r2: float  # weighted R² of the straight-line fit near the row
    samples: int
    seed: int


def fit_local_surrogate(
    predict: Callable[[pd.DataFrame], np.ndarray],
    row: pd.DataFrame,
    reference: pd.DataFrame,
    *,
    features: list[str] | None = None,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
) -> LocalSurrogate:
    """The surrogate of ``predict`` (a frame -> one number per row) around the one-row table ``row``,
    on perturbations drawn from ``reference`` (training rows with the same columns)."""
    if len(row) != 1:
        raise DataError(_("The local surrogate explains exactly one row; choose one row."))
    if reference.empty:
        raise DataError(_("The local surrogate needs training rows to sample from; none were given."))
    features = [str(c) for c in (features or row.columns)]
    rng = np.random.default_rng(seed)
    n, k, m = max(int(samples), 20), len(features), BACKGROUNDS_PER_SAMPLE
    z = (rng.random((n, k)) < rng.random((n, 1))).astype(float)  # the share kept, drawn per sample
    z[0] = 1.0
    background = reference.iloc[rng.integers(0, len(reference), n * m)].reset_index(drop=True)
    perturbed = background[list(row.columns)].copy()
    keep_rows = np.repeat(z, m, axis=0) == 1  # each sample against m background rows
    for j, feature in enumerate(features):
        values = perturbed[feature].to_numpy(dtype=object, copy=True)
        values[keep_rows[:, j]] = row[feature].iloc[0]
        perturbed[feature] = _like(values, row[feature])
    y = np.asarray(predict(perturbed), dtype=float).reshape(n, m).mean(axis=1)
    switched = 1.0 - z.mean(axis=1)
    weights = np.exp(-switched / KERNEL_WIDTH**2)
    fit = Ridge(alpha=0.01).fit(z, y, sample_weight=weights)
    r2 = float(fit.score(z, y, sample_weight=weights))
    return LocalSurrogate(pd.Series(fit.coef_, index=features), float(fit.intercept_), r2, n, seed)


def _like(values: np.ndarray, template: pd.Series) -> pd.Series:
    try:
        return pd.Series(values, dtype=template.dtype)
    except (TypeError, ValueError):
        return pd.Series(values)


def explain_row(
    pipeline: Any,
    row: pd.DataFrame,
    reference: pd.DataFrame,
    task: str,
    *,
    class_index: int = 1,
    background_rows: int = ROW_BACKGROUND,
    seed: int = 0,
) -> tuple[pd.Series, float]:
    """(SHAP value per input column, base value) of one row in the model's output units: the
    probability of class ``class_index`` (a column of ``predict_proba``) for classification, the
    predicted value for regression. Model-agnostic permutation SHAP (the Explain stage's estimator)
    against up to ``background_rows`` training rows: base + the sum of the values is the row's output."""
    from core.explain.context import ExplainContext
    from core.explain.explainers import _permutation_shap
    from core.explain.feature_sources import encode_as_codes, used_input_features

    rng = np.random.default_rng(seed)
    picked = rng.choice(len(reference), min(background_rows, len(reference)), replace=False)
    X = pd.concat([reference[list(row.columns)].iloc[picked], row], ignore_index=True)
    context = ExplainContext(
        pipeline,
        pipeline[:-1],
        pipeline[-1],
        X,
        task,
        class_index,
        "",
        None,
        len(X),
        rng,
        seed,
        None,
    )
    features = used_input_features(context)
    codes, decode = encode_as_codes(context, features, np.arange(len(X)))

    def model(code_rows: np.ndarray) -> np.ndarray:
        frame = decode(code_rows)
        if task == "regression":
            return np.asarray(pipeline.predict(frame), dtype=float)
        return np.asarray(pipeline.predict_proba(frame), dtype=float)[:, class_index]

    values, base = _permutation_shap(model, codes[-1:], codes[:-1], rng)
    return pd.Series(values[0], index=features), float(base)


@dataclass(frozen=True)
class Agreement:
    top_shap: tuple[str, ...]
    top_surrogate: tuple[str, ...]
    shared_top: tuple[str, ...]
    same_sign: tuple[str, ...]  # among the union of the top features: where both push the same way
    opposite_sign: tuple[str, ...]
    rank_correlation: float  # Spearman's, over every feature's signed contribution (NaN: undefined)
    no_effect: bool = False  # neither method finds any effect (a model that ignores its inputs)


def compare_local_methods(shap: pd.Series, surrogate: pd.Series, top: int = TOP_FEATURES) -> Agreement:
    """Where SHAP and the surrogate agree on one row: the same strongest features, the same
    directions, the same ordering overall."""
    features = [f for f in shap.index if f in surrogate.index]
    shap, surrogate = shap[features].astype(float), surrogate[features].astype(float)
    top = min(top, len(features))
    top_shap = tuple(shap.abs().sort_values(ascending=False, kind="stable").index[:top])
    top_surrogate = tuple(surrogate.abs().sort_values(ascending=False, kind="stable").index[:top])
    union = list(dict.fromkeys([*top_shap, *top_surrogate]))
    same = tuple(f for f in union if np.sign(shap[f]) == np.sign(surrogate[f]))
    opposite = tuple(f for f in union if np.sign(shap[f]) * np.sign(surrogate[f]) < 0)
    if len(features) >= 3 and shap.nunique() > 1 and surrogate.nunique() > 1:
        rho = float(spearmanr(shap.to_numpy(), surrogate.to_numpy()).statistic)
    else:
        rho = float("nan")
    no_effect = bool(shap.abs().max() < NO_EFFECT) and bool(surrogate.abs().max() < NO_EFFECT) if features else True
    shared = tuple(f for f in top_shap if f in top_surrogate)
    return Agreement(top_shap, top_surrogate, shared, same, opposite, rho, no_effect)


def get_used_features(pipeline: Any, columns: list[str]) -> list[str]:
    """The input columns the fitted pipeline's model actually uses (an ID it drops is not one)."""
    from core.explain.context import ExplainContext
    from core.explain.feature_sources import used_input_features

    frame = pd.DataFrame(columns=columns)
    context = ExplainContext(
        pipeline,
        pipeline[:-1],
        pipeline[-1],
        frame,
        "regression",
        0,
        "",
        None,
        1,
        np.random.default_rng(0),
        0,
        None,
    )
    return used_input_features(context)
