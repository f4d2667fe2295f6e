"""One explainer per model family (tree, linear, model-agnostic permutation, the baseline) and the
time budget that caps their rows. Each takes an ``ExplainContext`` and returns a
``PartialExplanation`` at input-column level; ``explain_model`` chooses among them.

``shap`` is imported lazily inside the functions that need it: the import alone costs ~1.7 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from core.explain.context import (
    EXPLAINER_BASELINE,
    EXPLAINER_LINEAR,
    EXPLAINER_PERMUTATION,
    EXPLAINER_TREE,
    ExplainContext,
    PartialExplanation,
)
from core.explain.feature_sources import (
    aggregate,
    encode_as_codes,
    get_feature_sources,
    transform,
    used_input_features,
)
from core.i18n import _, ngettext

DEFAULT_TIME_BUDGET_SECONDS = 1.5
MIN_ROWS = 10  # fewer rows than this say nothing, whatever the budget
PERMUTATION_MAX_ROWS = 50  # model-agnostic SHAP is slow: explain few rows
PERMUTATION_BACKGROUND_ROWS = 25  # cost grows with it; 25 doubles the rows that fit in the budget vs 50
_PREDICT_CHUNK = 20_000  # rows per model call in permutation SHAP: bounded memory
# Path-dependent tree SHAP costs about this much per row, per leaf and per level of depth
# (measured on this machine: RandomForest 150 trees, depth 10, 32k leaves -> 16 ms per row).
TREE_SECONDS_PER_LEAF_LEVEL = 50e-9

_TREE_MODELS = (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
# Boosted classifiers are explained in their raw score (log-odds); the others in probability.
_BOOSTED_MODELS = (
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
_LINEAR_MODELS = (LogisticRegression, LinearRegression, Ridge, Lasso, ElasticNet)
_LOG_LINK_LOSSES = ("poisson", "gamma")


def get_model_family(estimator: Any, model_key: str | None) -> str:
    if isinstance(estimator, (DummyClassifier, DummyRegressor)) or model_key == "baseline":
        return "baseline"
    if isinstance(estimator, _TREE_MODELS):
        return "tree"
    if isinstance(estimator, _LINEAR_MODELS):
        return "linear"
    return "other"


# ---------------------------------------------------------------------------- families


def explain_baseline(context: ExplainContext, positions: np.ndarray) -> PartialExplanation:
    rows = context.X.iloc[positions]
    if context.task == "regression":
        base, output = float(np.mean(context.pipeline.predict(rows))), _regression_output(context)
    else:
        base = float(np.mean(context.pipeline.predict_proba(rows)[:, context.class_index]))
        output = f"probability of {context.label}"  # i18n: skip (a code: output_words shows it)
    features = used_input_features(context)
    return PartialExplanation(
        positions=positions,
        shap_values=np.zeros((len(positions), len(features))),
        features=features,
        base_value=base,
        explainer=EXPLAINER_BASELINE,
        output=output,
        method_note=_(
            "the baseline predicts the same value for every row and ignores the features, so every effect is zero"
        ),
    )


def explain_tree(context: ExplainContext, positions: np.ndarray) -> PartialExplanation:
    import shap  # lazy: the import costs ~1.7 s

    estimator = context.estimator
    try:
        explainer = shap.TreeExplainer(estimator)  # no data: exact path-dependent tree SHAP
    except Exception as error:  # an unusual tree model shap cannot read: stay model-agnostic
        part = explain_permutation(context, positions[:PERMUTATION_MAX_ROWS])
        part.method_note += _(" (tree SHAP could not read this model: {error})").format(error=error)
        return part
    sources = get_feature_sources(context)
    n_trees, leaves, depth = _get_tree_stats(estimator)
    base_holder: dict[str, float] = {}

    def explain_rows(chunk: np.ndarray) -> np.ndarray:
        encoded = transform(context, chunk)
        values, base = _select_tree_output(
            explainer.shap_values(encoded, check_additivity=False), explainer.expected_value, context
        )
        base_holder["base"] = base
        return aggregate(values, sources.matrix)

    seconds_per_row = TREE_SECONDS_PER_LEAF_LEVEL * max(leaves, 1) * max(depth, 1)
    done, values, capped = _explain_within_budget(explain_rows, positions, seconds_per_row, context.budget)
    depth_text = _("depth ≤ {depth}").format(depth=depth) if depth else _("limited depth")
    return PartialExplanation(
        positions=done,
        shap_values=values,
        features=sources.features,
        base_value=base_holder["base"],
        explainer=EXPLAINER_TREE,
        output=_tree_output(context),
        method_note=ngettext(
            "exact tree SHAP on {n} tree of {depth}", "exact tree SHAP on {n} trees of {depth}", n_trees
        ).format(n=n_trees, depth=depth_text),
        capped=capped,
    )


def explain_linear(context: ExplainContext, positions: np.ndarray) -> PartialExplanation:
    import shap  # lazy: the import costs ~1.7 s

    sources = get_feature_sources(context)
    background_positions = context.rng.choice(
        len(context.X), min(context.background_rows, len(context.X)), replace=False
    )
    background = transform(context, background_positions)
    explainer = shap.LinearExplainer(
        context.estimator, shap.maskers.Independent(background, max_samples=len(background))
    )
    raw = np.asarray(explainer.shap_values(transform(context, positions)))
    expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
    if raw.ndim == 3:  # multiclass: one column of scores per class
        values, base = raw[:, :, context.class_index], expected[context.class_index]
    else:
        values, base = raw, expected[0]
        if context.task == "binary" and context.class_index == 0:  # log-odds of class 0 = -log-odds of class 1
            values, base = -values, -base
    if context.task == "regression":
        output = _regression_output(context)
    elif context.task == "binary":
        output = f"log-odds of {context.label}"  # i18n: skip (a code: output_words shows it)
    else:
        output = f"raw score (logit) of {context.label}"  # i18n: skip (a code: output_words shows it)
    return PartialExplanation(
        positions=positions,
        shap_values=aggregate(values, sources.matrix),
        features=sources.features,
        base_value=float(base),
        explainer=EXPLAINER_LINEAR,
        output=output,
        method_note=_("exact linear SHAP against the average of {n} background rows").format(n=len(background)),
    )


def explain_permutation(context: ExplainContext, positions: np.ndarray) -> PartialExplanation:
    """Permutation SHAP on the input columns: a one-hot group is switched as one feature.

    Our own vectorised estimator rather than ``shap.PermutationExplainer``: shap's calls the
    model once per row and JIT-compiles its masker with numba on first use (10-30 s here),
    both far beyond the budget. This one batches all rows into few model calls.
    """
    features = used_input_features(context)
    background_size = min(PERMUTATION_BACKGROUND_ROWS, context.background_rows, len(context.X))
    background_positions = context.rng.choice(len(context.X), background_size, replace=False)
    codes, decode = encode_as_codes(context, features, np.concatenate([background_positions, positions]))
    background, rows = codes[:background_size], codes[background_size:]
    row_of_position = {int(p): i for i, p in enumerate(positions)}
    if context.task == "regression":

        def predict(frame: pd.DataFrame) -> np.ndarray:
            return context.pipeline.predict(frame)

        output = _regression_output(context)
    else:

        def predict(frame: pd.DataFrame) -> np.ndarray:
            return context.pipeline.predict_proba(frame)[:, context.class_index]

        output = f"probability of {context.label}"  # i18n: skip (a code: output_words shows it)

    def model(code_rows: np.ndarray) -> np.ndarray:
        chunks = [predict(decode(code_rows[i : i + _PREDICT_CHUNK])) for i in range(0, len(code_rows), _PREDICT_CHUNK)]
        return np.asarray(np.concatenate(chunks), dtype=float)

    base_holder: dict[str, float] = {}

    def explain_rows(chunk_positions: np.ndarray) -> np.ndarray:
        chunk = rows[[row_of_position[int(p)] for p in chunk_positions]]
        values, base_holder["base"] = _permutation_shap(model, chunk, background, context.rng)
        return values

    evaluations_per_row = background_size * 2 * (len(features) + 1)
    seconds_per_row = _time_one_call(
        model, np.repeat(background, max(1, evaluations_per_row // background_size), axis=0)
    )
    done, values, capped = _explain_within_budget(
        explain_rows, positions, seconds_per_row, context.budget, spent=seconds_per_row
    )
    return PartialExplanation(
        positions=done,
        shap_values=values,
        features=features,
        base_value=base_holder["base"],
        explainer=EXPLAINER_PERMUTATION,
        output=output,
        capped=capped,
        method_note=_(
            "model-agnostic permutation SHAP on the input columns against a random background of {background_size} rows (this model has no fast exact explainer)"
        ).format(background_size=background_size),
    )


def _permutation_shap(
    model: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, background: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Antithetic permutation sampling: one random order (and its reverse) per background row.

    Walking from a background row to the explained row one feature at a time, each feature is
    credited with the change it causes. Every walk telescopes, so base + sum(SHAP) equals the
    model output exactly; averaging over background rows and orders estimates the Shapley value.
    """
    n, n_features = rows.shape
    n_background = len(background)
    ranks = np.argsort(rng.random((n, n_background, n_features)), axis=-1)  # random order of features
    ranks = np.stack([ranks, n_features - 1 - ranks], axis=2)  # (n, B, 2, F): and reversed
    steps = np.arange(n_features + 1)
    switched = ranks[:, :, :, None, :] < steps[None, None, None, :, None]  # (n, B, 2, F+1, F)
    points = np.where(switched, rows[:, None, None, None, :], background[None, :, None, None, :])
    outputs = model(points.reshape(-1, n_features)).reshape(n, n_background, 2, n_features + 1)
    after = np.take_along_axis(outputs, ranks + 1, axis=-1)
    before = np.take_along_axis(outputs, ranks, axis=-1)
    base = float(outputs[:, :, :, 0].mean())  # step 0 is the background row itself
    return (after - before).mean(axis=(1, 2)), base


def _explain_within_budget(
    explain_rows: Callable[[np.ndarray], np.ndarray],
    positions: np.ndarray,
    seconds_per_row: float,
    budget: float | None,
    spent: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Explain a first chunk, time it, then only as many further rows as fit in the budget.

    ``spent`` is what the explainer already used of the budget (e.g. timing the model).
    """
    if budget is None or len(positions) <= MIN_ROWS:
        return positions, explain_rows(positions), False
    budget = max(budget - spent, 0.0)
    started = time.perf_counter()
    first_size = int(np.clip(0.25 * budget / max(seconds_per_row, 1e-9), MIN_ROWS, len(positions)))
    chunks = [explain_rows(positions[:first_size])]
    elapsed = time.perf_counter() - started
    measured_per_row = elapsed / first_size
    more = int(max(budget - elapsed, 0.0) / max(measured_per_row, 1e-9))
    end = min(len(positions), first_size + more)
    if end > first_size:
        chunks.append(explain_rows(positions[first_size:end]))
    return positions[:end], np.vstack(chunks), end < len(positions)


def _time_one_call(model: Callable[[np.ndarray], np.ndarray], rows: np.ndarray) -> float:
    """Seconds the model takes for the evaluations of one explained row."""
    started = time.perf_counter()
    model(rows)
    return time.perf_counter() - started


# ---------------------------------------------------------------------------- outputs


def _regression_output(context: ExplainContext) -> str:
    name = context.target_name or "value"
    if getattr(context.estimator, "loss", None) in _LOG_LINK_LOSSES:
        return f"log of the predicted {name}"  # i18n: skip (a code: output_words shows it)
    return f"predicted {name}"


def _tree_output(context: ExplainContext) -> str:
    if context.task == "regression":
        return _regression_output(context)
    if isinstance(context.estimator, _BOOSTED_MODELS):
        return (
            f"log-odds of {context.label}" if context.task == "binary" else f"raw score (logit) of {context.label}"
        )  # i18n: skip
    return f"probability of {context.label}"  # i18n: skip (a code: output_words shows it)


def _select_tree_output(raw: Any, expected: Any, context: ExplainContext) -> tuple[np.ndarray, float]:
    """One output column out of shap's shapes.

    shap 0.51: sklearn forests and trees give (n, f, classes) in probability; binary
    (hist) gradient boosting gives (n, f) in log-odds of classes_[1]; regression gives (n, f).
    """
    values = np.stack(raw, axis=-1) if isinstance(raw, list) else np.asarray(raw)
    expected = np.atleast_1d(np.asarray(expected, dtype=float))
    if values.ndim == 3:
        index = 0 if context.task == "regression" else context.class_index
        return values[:, :, index], float(expected[index])
    if context.task != "regression" and context.class_index == 0:  # log-odds of the other class
        return -values, -float(expected[0])
    return values, float(expected[0])


def _get_tree_stats(estimator: Any) -> tuple[int, int, int]:
    """(trees, total leaves, maximum depth) - the cost of tree SHAP grows with leaves x depth."""
    if hasattr(estimator, "tree_"):
        trees = [estimator.tree_]
    elif hasattr(estimator, "estimators_"):
        trees = [tree.tree_ for tree in np.ravel(estimator.estimators_)]
    else:
        predictors = [p for iteration in getattr(estimator, "_predictors", []) for p in iteration]
        if not predictors:
            return 0, 0, 0
        leaves = sum(int(p.nodes["is_leaf"].sum()) for p in predictors)
        return len(predictors), leaves, int(max(p.nodes["depth"].max() for p in predictors))
    return len(trees), sum(int(t.n_leaves) for t in trees), max(int(t.max_depth) for t in trees)
