"""Explanations of a fitted model with SHAP values, summed back to the input columns.

The explainer is chosen on purpose for each model family, because the cost differs by
orders of magnitude:

- tree models (decision tree, random forest, extra trees, (hist) gradient boosting):
  ``shap.TreeExplainer``, exact path-dependent tree SHAP on the encoded features;
- linear models (logistic regression, linear/ridge/lasso regression): ``shap.LinearExplainer``
  with a background sample as masker (exact and takes milliseconds);
- anything else (kNN, SVM...): model-agnostic permutation SHAP on the INPUT columns (so a one-hot
  group is switched on or off as a whole), against a small random background, on few rows
  (our own vectorised estimator: ``shap.PermutationExplainer`` calls the model once per row and
  JIT-compiles for 10-30 s on first use);
- the Dummy baseline: no explainer at all, every effect is zero.

Slow explainers get fewer rows: the first rows are timed and only as many rows as fit in
``time_budget_seconds`` are explained (never fewer than ``MIN_ROWS``). ``Explanation.note``
says what was sampled and why.

Units: SHAP values are in the units of the output the explainer sees, named in
``Explanation.output``: the probability of the positive class for sklearn forests, trees and
model-agnostic explanations; log-odds for gradient boosting and logistic regression (binary);
the raw (softmax input) score for multiclass boosting and logistic regression; the predicted
value for regression. In every case ``base_value + shap_df.sum(axis=1)`` is that output.

Multiclass: the class ``classes_[positive_class_index]`` is explained (one class versus the
rest); the importance is the importance for that class, not averaged over classes.

``shap`` is imported lazily inside the functions that need it: the import alone costs ~1.7 s.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sklearn.compose import ColumnTransformer
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
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from core.workspace.errors import ConfigError, DataError
from core.style import plot_text, plot_texts

TASKS = ("binary", "multiclass", "regression")
EXPLAINER_TREE = "tree (exact)"
EXPLAINER_LINEAR = "linear"
EXPLAINER_PERMUTATION = "permutation"
EXPLAINER_BASELINE = "none (baseline)"

DEFAULT_TIME_BUDGET_SECONDS = 1.5
MIN_ROWS = 10                   # fewer rows than this say nothing, whatever the budget
PERMUTATION_MAX_ROWS = 50       # model-agnostic SHAP is slow: explain few rows
PERMUTATION_BACKGROUND_ROWS = 25  # cost grows with it; 25 doubles the rows that fit in the budget vs 50
_PREDICT_CHUNK = 20_000        # rows per model call in permutation SHAP: bounded memory
# Path-dependent tree SHAP costs about this much per row, per leaf and per level of depth
# (measured on this machine: RandomForest 150 trees, depth 10, 32k leaves -> 16 ms per row).
TREE_SECONDS_PER_LEAF_LEVEL = 50e-9

_TREE_MODELS = (
    DecisionTreeClassifier, DecisionTreeRegressor,
    RandomForestClassifier, RandomForestRegressor,
    ExtraTreesClassifier, ExtraTreesRegressor,
    GradientBoostingClassifier, GradientBoostingRegressor,
    HistGradientBoostingClassifier, HistGradientBoostingRegressor,
)
# Boosted classifiers are explained in their raw score (log-odds); the others in probability.
_BOOSTED_MODELS = (
    GradientBoostingClassifier, GradientBoostingRegressor,
    HistGradientBoostingClassifier, HistGradientBoostingRegressor,
)
_LINEAR_MODELS = (LogisticRegression, LinearRegression, Ridge, Lasso, ElasticNet)
_LOG_LINK_LOSSES = ("poisson", "gamma")
_JITTER_WIDTH = 0.32
_TEMPLATE = "plotly_white"


# ============================================================================ result

@dataclass(frozen=True, eq=False)
class Explanation:
    """SHAP values of the explained rows, one column per INPUT feature, in ``output`` units."""

    shap_df: pd.DataFrame
    values_df: pd.DataFrame
    base_value: float
    explainer: str
    output: str
    rows_explained: int
    rows_available: int
    note: str
    seconds: float
    meta: dict[str, Any] = field(default_factory=dict)   # model_key, family, class, target...

    @property
    def predictions(self) -> pd.Series:
        """The explained output of each row: base value plus the row's SHAP values."""
        return self.base_value + self.shap_df.sum(axis=1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (NaN becomes None); ``from_dict`` restores it."""
        return {
            "shap": _frame_to_json(self.shap_df),
            "values": _frame_to_json(self.values_df),
            "base_value": float(self.base_value),
            "explainer": self.explainer,
            "output": self.output,
            "rows_explained": int(self.rows_explained),
            "rows_available": int(self.rows_available),
            "note": self.note,
            "seconds": float(self.seconds),
            "meta": _json_safe(self.meta),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Explanation:
        try:
            return cls(
                shap_df=_frame_from_json(data["shap"]),
                values_df=_frame_from_json(data["values"]),
                base_value=float(data["base_value"]),
                explainer=str(data["explainer"]),
                output=str(data["output"]),
                rows_explained=int(data["rows_explained"]),
                rows_available=int(data["rows_available"]),
                note=str(data["note"]),
                seconds=float(data["seconds"]),
                meta=dict(data.get("meta", {})),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise DataError(
                f"The saved explanation is incomplete or damaged ({error}); compute the explanation again."
            ) from error


# ============================================================================ compute

def explain_model(
    pipeline: Pipeline,
    X: pd.DataFrame,
    task: str,
    *,
    model_key: str | None = None,
    positive_class_index: int = 1,
    max_rows: int = 200,
    background_rows: int = 100,
    seed: int = 0,
    target_name: str | None = None,
    class_name: str | None = None,
    time_budget_seconds: float | None = DEFAULT_TIME_BUDGET_SECONDS,
) -> Explanation:
    """Explain a random sample of at most ``max_rows`` rows of ``X`` (the features, no target).

    ``time_budget_seconds`` caps the rows of slow explainers (big forests, permutation);
    pass None to explain all ``max_rows`` rows whatever it costs (e.g. in a background job).
    ``class_name`` names the explained class when the model was trained on encoded labels (0/1).
    """
    started = time.perf_counter()
    _validate_arguments(pipeline, X, task, max_rows, background_rows, time_budget_seconds)
    preprocessor, estimator = pipeline[:-1], pipeline[-1]
    family = _get_model_family(estimator, model_key)
    class_label = _get_class_label(estimator, task, positive_class_index)
    if class_name is not None and task != "regression":
        class_label = class_name
    label = f"{target_name} = {class_label}" if target_name else f"class {class_label}"
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))        # random order: any prefix is a random sample
    context = _Context(pipeline, preprocessor, estimator, X, task, positive_class_index,
                       label, target_name, background_rows, rng, seed, time_budget_seconds)

    if family == "baseline":
        part = _explain_baseline(context, order[:max_rows])
    elif family == "tree":
        part = _explain_tree(context, order[:max_rows])
    elif family == "linear":
        part = _explain_linear(context, order[:max_rows])
    else:
        part = _explain_permutation(context, order[:min(max_rows, PERMUTATION_MAX_ROWS)])

    positions = np.sort(part.positions)    # show rows in their original order
    resort = np.argsort(part.positions)
    index = X.index[positions]
    shap_df = pd.DataFrame(part.shap_values[resort], index=index, columns=part.features)
    values_df = _get_input_values_df(context, positions, part.features)
    note = _build_note(len(positions), len(X), max_rows, part, task, class_label)
    return Explanation(
        shap_df=shap_df,
        values_df=values_df,
        base_value=float(part.base_value),
        explainer=part.explainer,
        output=part.output,
        rows_explained=len(positions),
        rows_available=len(X),
        note=note,
        seconds=round(time.perf_counter() - started, 3),
        meta={"model_key": model_key, "family": family, "task": task,
              "explained_class": None if task == "regression" else str(class_label),
              "target": target_name, "model": type(estimator).__name__},
    )


@dataclass
class _Context:
    pipeline: Pipeline
    preprocessor: Pipeline
    estimator: Any
    X: pd.DataFrame
    task: str
    class_index: int
    label: str
    target_name: str | None
    background_rows: int
    rng: np.random.Generator
    seed: int
    budget: float | None


@dataclass
class _Part:
    """What one explainer produced, before it becomes an Explanation."""

    positions: np.ndarray          # positions in X of the explained rows
    shap_values: np.ndarray        # (rows, features) at input level
    features: list[str]
    base_value: float
    explainer: str
    output: str
    method_note: str
    capped: bool = False


def _validate_arguments(pipeline: Any, X: Any, task: str, max_rows: int, background_rows: int,
                        time_budget_seconds: float | None) -> None:
    if task not in TASKS:
        raise ConfigError(f"The 'task' of an explanation must be one of {', '.join(TASKS)}; got {task!r} instead.")
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) < 2:
        raise ConfigError(
            "Only a fitted pipeline of preprocessing and model can be explained; "
            "train the model with the Train stage first."
        )
    if not hasattr(pipeline[-1], "n_features_in_"):
        raise ConfigError("The model has not been trained yet; train it before asking for explanations.")
    if not isinstance(X, pd.DataFrame) or X.empty:
        raise DataError("There are no rows to explain; use a holdout table with at least one row.")
    if max_rows < 1 or background_rows < 1:
        raise ConfigError(
            f"The 'max_rows' and 'background_rows' of an explanation must be at least 1; "
            f"got {max_rows} and {background_rows} instead."
        )
    if time_budget_seconds is not None and time_budget_seconds <= 0:
        raise ConfigError(
            f"The 'time_budget_seconds' of an explanation must be positive or None; got {time_budget_seconds} instead."
        )


def _get_model_family(estimator: Any, model_key: str | None) -> str:
    if isinstance(estimator, (DummyClassifier, DummyRegressor)) or model_key == "baseline":
        return "baseline"
    if isinstance(estimator, _TREE_MODELS):
        return "tree"
    if isinstance(estimator, _LINEAR_MODELS):
        return "linear"
    return "other"


def _get_class_label(estimator: Any, task: str, positive_class_index: int) -> Any:
    if task == "regression":
        return None
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise ConfigError(
            f"The task is {task} but the model is not a classifier; train a classification model or choose regression."
        )
    if not 0 <= positive_class_index < len(classes):
        raise ConfigError(
            f"The 'positive_class_index' must be between 0 and {len(classes) - 1} "
            f"(classes: {', '.join(map(str, classes))}); got {positive_class_index} instead."
        )
    return classes[positive_class_index]


# ---------------------------------------------------------------------------- families

def _explain_baseline(context: _Context, positions: np.ndarray) -> _Part:
    rows = context.X.iloc[positions]
    if context.task == "regression":
        base, output = float(np.mean(context.pipeline.predict(rows))), _regression_output(context)
    else:
        base = float(np.mean(context.pipeline.predict_proba(rows)[:, context.class_index]))
        output = f"probability of {context.label}"
    features = _used_input_features(context)
    return _Part(positions=positions, shap_values=np.zeros((len(positions), len(features))),
                 features=features, base_value=base, explainer=EXPLAINER_BASELINE, output=output,
                 method_note="the baseline predicts the same value for every row and ignores the features, "
                             "so every effect is zero")


def _explain_tree(context: _Context, positions: np.ndarray) -> _Part:
    import shap  # lazy: the import costs ~1.7 s

    estimator = context.estimator
    try:
        explainer = shap.TreeExplainer(estimator)   # no data: exact path-dependent tree SHAP
    except Exception as error:  # an unusual tree model shap cannot read: stay model-agnostic
        part = _explain_permutation(context, positions[:PERMUTATION_MAX_ROWS])
        part.method_note += f" (tree SHAP could not read this model: {error})"
        return part
    sources = _get_feature_sources(context)
    n_trees, leaves, depth = _get_tree_stats(estimator)
    base_holder: dict[str, float] = {}

    def explain_rows(chunk: np.ndarray) -> np.ndarray:
        encoded = _transform(context, chunk)
        values, base = _select_tree_output(explainer.shap_values(encoded, check_additivity=False),
                                           explainer.expected_value, context)
        base_holder["base"] = base
        return _aggregate(values, sources.matrix)

    seconds_per_row = TREE_SECONDS_PER_LEAF_LEVEL * max(leaves, 1) * max(depth, 1)
    done, values, capped = _explain_within_budget(explain_rows, positions, seconds_per_row, context.budget)
    depth_text = f"depth ≤ {depth}" if depth else "limited depth"
    return _Part(positions=done, shap_values=values, features=sources.features,
                 base_value=base_holder["base"], explainer=EXPLAINER_TREE, output=_tree_output(context),
                 method_note=f"exact tree SHAP on {n_trees} tree{'s' if n_trees != 1 else ''} of {depth_text}",
                 capped=capped)


def _explain_linear(context: _Context, positions: np.ndarray) -> _Part:
    import shap  # lazy: the import costs ~1.7 s

    sources = _get_feature_sources(context)
    background_positions = context.rng.choice(len(context.X), min(context.background_rows, len(context.X)),
                                              replace=False)
    background = _transform(context, background_positions)
    explainer = shap.LinearExplainer(context.estimator,
                                     shap.maskers.Independent(background, max_samples=len(background)))
    raw = np.asarray(explainer.shap_values(_transform(context, positions)))
    expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float))
    if raw.ndim == 3:   # multiclass: one column of scores per class
        values, base = raw[:, :, context.class_index], expected[context.class_index]
    else:
        values, base = raw, expected[0]
        if context.task == "binary" and context.class_index == 0:   # log-odds of class 0 = -log-odds of class 1
            values, base = -values, -base
    if context.task == "regression":
        output = _regression_output(context)
    elif context.task == "binary":
        output = f"log-odds of {context.label}"
    else:
        output = f"raw score (logit) of {context.label}"
    return _Part(positions=positions, shap_values=_aggregate(values, sources.matrix), features=sources.features,
                 base_value=float(base), explainer=EXPLAINER_LINEAR, output=output,
                 method_note=f"exact linear SHAP against the average of {len(background)} background rows")


def _explain_permutation(context: _Context, positions: np.ndarray) -> _Part:
    """Permutation SHAP on the input columns: a one-hot group is switched as one feature.

    Our own vectorised estimator rather than ``shap.PermutationExplainer``: shap's calls the
    model once per row and JIT-compiles its masker with numba on first use (10-30 s here),
    both far beyond the budget. This one batches all rows into few model calls.
    """
    features = _used_input_features(context)
    background_size = min(PERMUTATION_BACKGROUND_ROWS, context.background_rows, len(context.X))
    background_positions = context.rng.choice(len(context.X), background_size, replace=False)
    codes, decode = _encode_as_codes(context, features, np.concatenate([background_positions, positions]))
    background, rows = codes[:background_size], codes[background_size:]
    row_of_position = {int(p): i for i, p in enumerate(positions)}
    if context.task == "regression":
        def predict(frame: pd.DataFrame) -> np.ndarray:
            return context.pipeline.predict(frame)
        output = _regression_output(context)
    else:
        def predict(frame: pd.DataFrame) -> np.ndarray:
            return context.pipeline.predict_proba(frame)[:, context.class_index]
        output = f"probability of {context.label}"

    def model(code_rows: np.ndarray) -> np.ndarray:
        chunks = [predict(decode(code_rows[i:i + _PREDICT_CHUNK])) for i in range(0, len(code_rows), _PREDICT_CHUNK)]
        return np.asarray(np.concatenate(chunks), dtype=float)

    base_holder: dict[str, float] = {}

    def explain_rows(chunk_positions: np.ndarray) -> np.ndarray:
        chunk = rows[[row_of_position[int(p)] for p in chunk_positions]]
        values, base_holder["base"] = _permutation_shap(model, chunk, background, context.rng)
        return values

    evaluations_per_row = background_size * 2 * (len(features) + 1)
    seconds_per_row = _time_one_call(model, np.repeat(background, max(1, evaluations_per_row // background_size),
                                                      axis=0))
    done, values, capped = _explain_within_budget(explain_rows, positions, seconds_per_row, context.budget,
                                                  spent=seconds_per_row)
    return _Part(positions=done, shap_values=values, features=features, base_value=base_holder["base"],
                 explainer=EXPLAINER_PERMUTATION, output=output, capped=capped,
                 method_note=f"model-agnostic permutation SHAP on the input columns against a random "
                             f"background of {background_size} rows (this model has no fast exact explainer)")


def _permutation_shap(model: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, background: np.ndarray,
                      rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Antithetic permutation sampling: one random order (and its reverse) per background row.

    Walking from a background row to the explained row one feature at a time, each feature is
    credited with the change it causes. Every walk telescopes, so base + sum(SHAP) equals the
    model output exactly; averaging over background rows and orders estimates the Shapley value.
    """
    n, n_features = rows.shape
    n_background = len(background)
    ranks = np.argsort(rng.random((n, n_background, n_features)), axis=-1)   # random order of features
    ranks = np.stack([ranks, n_features - 1 - ranks], axis=2)                 # (n, B, 2, F): and reversed
    steps = np.arange(n_features + 1)
    switched = ranks[:, :, :, None, :] < steps[None, None, None, :, None]      # (n, B, 2, F+1, F)
    points = np.where(switched, rows[:, None, None, None, :], background[None, :, None, None, :])
    outputs = model(points.reshape(-1, n_features)).reshape(n, n_background, 2, n_features + 1)
    after = np.take_along_axis(outputs, ranks + 1, axis=-1)
    before = np.take_along_axis(outputs, ranks, axis=-1)
    base = float(outputs[:, :, :, 0].mean())   # step 0 is the background row itself
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

def _regression_output(context: _Context) -> str:
    name = context.target_name or "value"
    if getattr(context.estimator, "loss", None) in _LOG_LINK_LOSSES:
        return f"log of the predicted {name}"
    return f"predicted {name}"


def _tree_output(context: _Context) -> str:
    if context.task == "regression":
        return _regression_output(context)
    if isinstance(context.estimator, _BOOSTED_MODELS):
        return f"log-odds of {context.label}" if context.task == "binary" else f"raw score (logit) of {context.label}"
    return f"probability of {context.label}"


def _select_tree_output(raw: Any, expected: Any, context: _Context) -> tuple[np.ndarray, float]:
    """One output column out of shap's shapes.

    shap 0.51: sklearn forests and trees give (n, f, classes) in probability; binary
    (hist) gradient boosting gives (n, f) in log-odds of classes_[1]; regression gives (n, f).
    """
    values = np.stack(raw, axis=-1) if isinstance(raw, list) else np.asarray(raw)
    expected = np.atleast_1d(np.asarray(expected, dtype=float))
    if values.ndim == 3:
        index = 0 if context.task == "regression" else context.class_index
        return values[:, :, index], float(expected[index])
    if context.task != "regression" and context.class_index == 0:   # log-odds of the other class
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


# ---------------------------------------------------------------------------- features

@dataclass
class _FeatureSources:
    features: list[str]          # input-level features, in input order
    matrix: np.ndarray           # (encoded outputs, features) 0/1: which output sums into which feature
    sources: list[str]           # per encoded output, its feature


def _get_feature_sources(context: _Context) -> _FeatureSources:
    preprocessor = context.preprocessor
    step = preprocessor[-1] if len(preprocessor.steps) == 1 else preprocessor
    out_names = [str(n) for n in preprocessor.get_feature_names_out()]
    mapping = _fallback_output_feature_sources(step, [str(c) for c in context.X.columns])
    try:
        from core.features.preprocessing import get_output_feature_sources
        mapping.update({str(k): str(v) for k, v in get_output_feature_sources(step).items()})
    except Exception:   # not importable or another preprocessor shape: the fallback covers it
        pass
    sources = [mapping.get(name, name) for name in out_names]
    input_order = {str(c): i for i, c in enumerate(context.X.columns)}
    features = sorted(dict.fromkeys(sources), key=lambda f: (input_order.get(f, len(input_order)), f))
    column_of = {f: i for i, f in enumerate(features)}
    matrix = np.zeros((len(out_names), len(features)))
    for row, source in enumerate(sources):
        matrix[row, column_of[source]] = 1.0
    return _FeatureSources(features=features, matrix=matrix, sources=sources)


def _fallback_output_feature_sources(preprocessor: Any, input_columns: list[str]) -> dict[str, str]:
    """Map each output name to its input column by the longest matching column name.

    With a ColumnTransformer only the columns of the transformer that made the output are
    candidates; otherwise the "<transformer>__" prefix is stripped and all inputs compete.
    """
    out_names = [str(n) for n in preprocessor.get_feature_names_out()]
    if isinstance(preprocessor, ColumnTransformer) and hasattr(preprocessor, "output_indices_"):
        mapping: dict[str, str] = {}
        names_in = [str(c) for c in getattr(preprocessor, "feature_names_in_", input_columns)]
        for name, _, columns in preprocessor.transformers_:
            candidates = _resolve_columns(columns, names_in)
            for out in out_names[preprocessor.output_indices_[name]]:
                mapping[out] = _match_input_column(out, candidates, preprocessor.verbose_feature_names_out)
        return mapping
    return {out: _match_input_column(out, input_columns, True) for out in out_names}


def _resolve_columns(columns: Any, names_in: list[str]) -> list[str]:
    if isinstance(columns, slice):
        return names_in[columns]
    if callable(columns) or isinstance(columns, str):
        return [columns] if isinstance(columns, str) else names_in
    columns = list(columns)
    if columns and all(isinstance(c, (bool, np.bool_)) for c in columns):
        return [n for n, keep in zip(names_in, columns) if keep]
    return [names_in[c] if isinstance(c, (int, np.integer)) else str(c) for c in columns]


def _match_input_column(out_name: str, candidates: list[str], strip_prefix: bool) -> str:
    if len(candidates) == 1:
        return candidates[0]
    name = out_name.split("__", 1)[1] if strip_prefix and "__" in out_name else out_name
    matches = [c for c in candidates if name == c or name.startswith(f"{c}_")]
    return max(matches, key=len) if matches else name


def _used_input_features(context: _Context) -> list[str]:
    """The input columns the model uses (dropped ones would only cost permutation time)."""
    try:
        sources = _get_feature_sources(context).features
    except Exception:   # a preprocessor without feature names: treat every column as used
        return [str(c) for c in context.X.columns]
    used = [str(c) for c in context.X.columns if str(c) in set(sources)]
    return used or [str(c) for c in context.X.columns]


def _transform(context: _Context, positions: np.ndarray) -> np.ndarray:
    encoded = context.preprocessor.transform(context.X.iloc[positions])
    if hasattr(encoded, "toarray"):
        encoded = encoded.toarray()
    return np.asarray(encoded, dtype=float)


def _aggregate(values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Sum the SHAP values of the encoded columns of each input feature (SHAP is additive)."""
    return np.asarray(values, dtype=float) @ matrix


def _encode_as_codes(context: _Context, features: list[str], positions: np.ndarray
                     ) -> tuple[np.ndarray, Callable[[np.ndarray], pd.DataFrame]]:
    """Each used column as integer codes of its values, so shap's masker only copies values.

    Works for every dtype (text, numbers with gaps, dates) and keeps the dtypes when decoding.
    """
    rows = context.X.iloc[positions]
    codes = np.empty((len(rows), len(features)))
    uniques = {}
    for j, feature in enumerate(features):
        codes[:, j], uniques[feature] = pd.factorize(rows[feature], use_na_sentinel=False)
    template = rows.iloc[[0]]
    columns = list(getattr(context.pipeline, "feature_names_in_", context.X.columns))

    def decode(code_rows: np.ndarray) -> pd.DataFrame:
        code_rows = np.asarray(code_rows)
        frame = {}
        for column in columns:
            if column in uniques:
                j = features.index(column)
                frame[column] = uniques[column].take(code_rows[:, j].astype(int))
            else:   # unused by the model: any value will do
                frame[column] = template[column].repeat(len(code_rows)).to_numpy()
        return pd.DataFrame(frame)

    return codes, decode


def _get_input_values_df(context: _Context, positions: np.ndarray, features: list[str]) -> pd.DataFrame:
    """The explained rows' input values; a feature made inside the preprocessor gets its encoded value."""
    rows = context.X.iloc[positions]
    derived = [f for f in features if f not in rows.columns]
    columns = {f: rows[f] for f in features if f in rows.columns}
    if derived:
        sources = _get_feature_sources(context)
        encoded = _transform(context, positions)
        for feature in derived:
            outputs = [i for i, s in enumerate(sources.sources) if s == feature]
            values = encoded[:, outputs[0]] if len(outputs) == 1 else np.full(len(positions), np.nan)
            columns[feature] = pd.Series(values, index=rows.index)
    return pd.DataFrame({f: columns[f] for f in features}, index=rows.index)


def _build_note(explained: int, available: int, max_rows: int, part: _Part, task: str, class_label: Any) -> str:
    if explained == available:
        sample = f"Explained all {available:,} rows"
    else:
        sample = f"Explained a random sample of {explained:,} of {available:,} rows"
        if part.capped:
            sample += " (fewer rows to keep the explanation fast)"
        elif explained < min(max_rows, available):
            sample += " (model-agnostic SHAP is slow, so only a few rows)"
    sentences = [f"{sample}; {part.method_note}."]
    if part.explainer in (EXPLAINER_TREE, EXPLAINER_LINEAR):
        sentences.append("Effects of one-hot columns are summed back to their source column.")
    if task == "multiclass":
        sentences.append(f"Explains class {class_label} against the others.")
    return " ".join(sentences)


# ============================================================================ importance

def get_importance_df(expl: Explanation) -> pd.DataFrame:
    """One row per feature: mean |SHAP|, its share of the total, and which way it pushes.

    Columns: feature, mean_abs_shap, share (0-1), kind (numeric/categorical), direction (text),
    correlation (numeric features: of value with SHAP), top_category (categorical features:
    the value with the highest average SHAP). Sorted by mean_abs_shap, largest first.
    """
    shap_df, values_df = expl.shap_df, expl.values_df
    mean_abs = shap_df.abs().mean(axis=0)
    total = float(mean_abs.sum())
    rows = []
    for feature in shap_df.columns:
        kind, numeric = _feature_numeric_values(values_df[feature]) if feature in values_df else ("numeric", None)
        correlation, top_category, direction = np.nan, None, "no effect"
        if mean_abs[feature] > 0:
            if kind == "numeric" and numeric is not None:
                correlation = _correlation(numeric, shap_df[feature].to_numpy())
                direction = _numeric_direction(correlation)
            elif kind == "categorical":
                top_category = _top_category(values_df[feature], shap_df[feature])
                direction = f"{feature} = {top_category} pushes the prediction up most"
        rows.append({
            "feature": feature,
            "mean_abs_shap": float(mean_abs[feature]),
            "share": float(mean_abs[feature] / total) if total > 0 else 0.0,
            "kind": kind,
            "direction": direction,
            "correlation": correlation,
            "top_category": top_category,
        })
    importance = pd.DataFrame(rows, columns=["feature", "mean_abs_shap", "share", "kind", "direction",
                                             "correlation", "top_category"])
    return importance.sort_values("mean_abs_shap", ascending=False, kind="stable").reset_index(drop=True)


def _feature_numeric_values(values: pd.Series) -> tuple[str, np.ndarray | None]:
    """("numeric", floats) for numbers and dates; ("categorical", None) for everything else."""
    if pd.api.types.is_bool_dtype(values):
        return "categorical", None
    if pd.api.types.is_numeric_dtype(values):
        return "numeric", pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    if pd.api.types.is_datetime64_any_dtype(values):
        return "numeric", _datetime_as_float(values)
    present = values.dropna()
    if len(present) and present.nunique() > 20:   # many distinct texts: dates written as text?
        parsed = pd.to_datetime(present, errors="coerce", format="mixed")
        if parsed.notna().mean() >= 0.9:
            return "numeric", _datetime_as_float(pd.to_datetime(values, errors="coerce", format="mixed"))
    return "categorical", None


def _datetime_as_float(values: pd.Series) -> np.ndarray:
    seconds = (values - pd.Timestamp("1970-01-01")).dt.total_seconds()
    return seconds.to_numpy(dtype=float, na_value=np.nan)


def _correlation(values: np.ndarray, shap_values: np.ndarray) -> float:
    keep = ~np.isnan(values)
    if keep.sum() < 3 or np.std(values[keep]) == 0 or np.std(shap_values[keep]) == 0:
        return float("nan")
    return float(np.corrcoef(values[keep], shap_values[keep])[0, 1])


def _numeric_direction(correlation: float) -> str:
    if math.isnan(correlation) or abs(correlation) < 0.2:
        return "mixed: no single direction"
    return "higher values push the prediction up" if correlation > 0 else "higher values push the prediction down"


def _top_category(values: pd.Series, shap_values: pd.Series) -> str:
    labels = values.astype(object).where(values.notna(), "missing").astype(str)
    means = shap_values.groupby(labels.to_numpy()).mean()
    return str(means.idxmax())


def plot_importance(importance_df: pd.DataFrame, top: int = 15) -> go.Figure:
    """Horizontal bars of mean |SHAP| per feature, the most important at the top."""
    shown = importance_df.head(top).iloc[::-1]
    figure = go.Figure(go.Bar(
        x=shown["mean_abs_shap"], y=plot_texts(shown["feature"]), orientation="h",
        text=[f"{share:.0%}" for share in shown["share"]], textposition="outside",
        marker_color="#3366cc", cliponaxis=False,
        hovertemplate="%{y}: mean |effect| %{x:.3g}<br>%{text} of the total effect<extra></extra>",
    ))
    # Headroom for the percentage labels printed outside the longest bar.
    figure.update_xaxes(range=[0, float(shown["mean_abs_shap"].max() or 1) * 1.15])
    figure.update_layout(
        template=_TEMPLATE, title="Which features drive the prediction (mean |SHAP|)",
        xaxis_title="average size of the effect on the prediction", yaxis_title=None,
        height=min(450, 120 + 24 * len(shown)), margin={"l": 10, "r": 40, "t": 50, "b": 40},
    )
    return figure


def caption_importance(importance_df: pd.DataFrame, expl: Explanation) -> str:
    if expl.explainer == EXPLAINER_BASELINE or importance_df.empty or importance_df["mean_abs_shap"].max() <= 0:
        return ("The baseline model ignores every feature and predicts the same value for every row, "
                "so no feature has any effect; compare it with a real model.")
    ranked = importance_df[importance_df["mean_abs_shap"] > 0]
    first = ranked.iloc[0]
    followers = list(ranked["feature"].iloc[1:3])
    text = f"{first['feature']} drives the {expl.output} most ({first['share']:.0%} of the total effect)"
    if followers:
        text += ", followed by " + " and ".join(followers)
    return text + "."


# ============================================================================ beeswarm

def get_beeswarm_df(expl: Explanation, top: int = 10, seed: int = 0) -> pd.DataFrame:
    """Long table, one row per (explained row, top feature): SHAP, value, colour 0-1, y position.

    Colour is the feature value scaled to 0-1 by rank for numeric features, the category code
    (alphabetical) scaled to 0-1 for categorical ones; NaN when the value is missing.
    """
    features = list(get_importance_df(expl)["feature"].head(top))
    rng = np.random.default_rng(seed)
    parts = []
    for position, feature in enumerate(features):
        values = expl.values_df[feature] if feature in expl.values_df else pd.Series(np.nan, index=expl.shap_df.index)
        kind, numeric = _feature_numeric_values(values)
        if kind == "numeric":
            colour = pd.Series(numeric).rank(pct=True).to_numpy()
        else:
            labels = values.astype(object).where(values.notna(), None)
            codes, uniques = pd.factorize(labels.astype(str).where(labels.notna()), sort=True)
            colour = np.where(codes < 0, np.nan, codes / max(len(uniques) - 1, 1))
        parts.append(pd.DataFrame({
            "feature": feature,
            "y": len(features) - 1 - position + rng.uniform(-_JITTER_WIDTH, _JITTER_WIDTH, len(values)),
            "shap": expl.shap_df[feature].to_numpy(),
            "value": [_format_value(v) for v in values],
            "colour": colour,
            "kind": kind,
        }))
    columns = ["feature", "y", "shap", "value", "colour", "kind"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def plot_beeswarm(expl: Explanation, top: int = 10) -> go.Figure:
    """One strip of dots per feature: each dot a row, placed by its effect, coloured by its value."""
    data = get_beeswarm_df(expl, top)
    features = list(dict.fromkeys(data["feature"]))
    present, missing = data[data["colour"].notna()], data[data["colour"].isna()]
    figure = go.Figure()
    figure.add_trace(go.Scatter(
        x=present["shap"], y=present["y"], mode="markers", name="rows",
        marker={"color": present["colour"], "colorscale": "RdBu_r", "cmin": 0, "cmax": 1, "size": 6, "opacity": 0.75,
                "colorbar": {"title": "feature value", "tickvals": [0, 1], "ticktext": ["low / first", "high / last"],
                             "thickness": 12}},
        customdata=(np.stack([plot_texts(present["feature"]), plot_texts(present["value"])], axis=-1)
                    if len(present) else None),
        hovertemplate="%{customdata[0]} = %{customdata[1]}<br>effect %{x:+.3g}<extra></extra>",
        showlegend=False,
    ))
    if len(missing):
        figure.add_trace(go.Scatter(
            x=missing["shap"], y=missing["y"], mode="markers", name="missing value",
            marker={"color": "#aaaaaa", "size": 6, "opacity": 0.75},
            customdata=plot_texts(missing["feature"]),
            hovertemplate="%{customdata} missing<br>effect %{x:+.3g}<extra></extra>",
        ))
    figure.add_vline(x=0, line_color="#888888", line_width=1)
    figure.update_layout(
        template=_TEMPLATE, title=plot_text(f"Effect of each feature on each row ({expl.output})"),
        xaxis_title=plot_text(f"effect on the {expl.output} (SHAP value)"),
        yaxis={"tickvals": list(range(len(features)))[::-1], "ticktext": plot_texts(features),
               "range": [-0.6, len(features) - 0.4]},
        height=min(450, 140 + 30 * len(features)), margin={"l": 10, "r": 10, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def caption_beeswarm(expl: Explanation, importance_df: pd.DataFrame) -> str:
    if expl.explainer == EXPLAINER_BASELINE or importance_df["mean_abs_shap"].max() <= 0:
        return "Every dot sits at zero: the baseline model gives every row the same prediction whatever its features."
    first = importance_df.iloc[0]
    feature = first["feature"]
    effects = expl.shap_df[feature]
    spread = (f"each dot is one of the {expl.rows_explained:,} explained rows; {feature} moves the "
              f"{expl.output} the most, from {effects.min():+.2g} to {effects.max():+.2g}")
    if first["kind"] == "numeric" and not math.isnan(first["correlation"]) and abs(first["correlation"]) >= 0.2:
        way = "up" if first["correlation"] > 0 else "down"
        spread += f", and high values (red) push it {way}"
    elif first["kind"] == "categorical" and first["top_category"] is not None:
        spread += f", and {feature} = {first['top_category']} pushes it up most"
    return spread[0].upper() + spread[1:] + "."


# ============================================================================ waterfall

def get_waterfall_df(expl: Explanation, row: int, top: int = 10) -> pd.DataFrame:
    """The contributions of one explained row (position ``row`` in ``shap_df``), largest first.

    Columns: feature, value (as text), shap, label. Beyond ``top`` features the rest is one
    "other N features" line. ``attrs`` holds base_value, prediction, output and the row's index.
    """
    if not 0 <= row < len(expl.shap_df):
        raise ConfigError(f"The row to explain must be between 0 and {len(expl.shap_df) - 1}; got {row} instead.")
    effects = expl.shap_df.iloc[row]
    values = expl.values_df.iloc[row] if len(expl.values_df.columns) else pd.Series(dtype=object)
    order = effects.abs().sort_values(ascending=False, kind="stable").index
    rows = []
    for feature in order[:top]:
        value = _format_value(values.get(feature, np.nan))
        rows.append({"feature": feature, "value": value, "shap": float(effects[feature]),
                     "label": f"{feature} = {value}"})
    rest = order[top:]
    if len(rest):
        rows.append({"feature": "other features", "value": "", "shap": float(effects[rest].sum()),
                     "label": f"{len(rest)} other features"})
    waterfall = pd.DataFrame(rows, columns=["feature", "value", "shap", "label"])
    waterfall.attrs.update({"base_value": float(expl.base_value),
                            "prediction": float(expl.base_value + effects.sum()),
                            "output": expl.output, "row_index": _json_safe(expl.shap_df.index[row])})
    return waterfall


def plot_waterfall(waterfall_df: pd.DataFrame, base_value: float) -> go.Figure:
    """From the average prediction, through each feature's push, to this row's prediction."""
    prediction = base_value + float(waterfall_df["shap"].sum())
    labels = ["average prediction", *waterfall_df["label"], "this row's prediction"]
    figure = go.Figure(go.Waterfall(
        orientation="h",
        y=plot_texts(labels),
        x=[base_value, *waterfall_df["shap"], prediction],
        measure=["absolute", *["relative"] * len(waterfall_df), "total"],
        text=[f"{base_value:.3g}", *[f"{v:+.3g}" for v in waterfall_df["shap"]], f"{prediction:.3g}"],
        textposition="outside",
        increasing={"marker": {"color": "#d62728"}},
        decreasing={"marker": {"color": "#1f77b4"}},
        totals={"marker": {"color": "#7f7f7f"}},
        connector={"line": {"color": "#bbbbbb"}},
    ))
    output = waterfall_df.attrs.get("output", "prediction")
    figure.update_layout(
        template=_TEMPLATE, title=plot_text(f"Why this row gets its prediction ({output})"),
        xaxis_title=plot_text(output), yaxis={"autorange": "reversed"},
        height=min(450, 140 + 24 * len(labels)), margin={"l": 10, "r": 40, "t": 50, "b": 40},
    )
    return figure


def caption_waterfall(waterfall_df: pd.DataFrame, base_value: float, prediction: float | None = None) -> str:
    if prediction is None:
        prediction = base_value + float(waterfall_df["shap"].sum())
    output = waterfall_df.attrs.get("output", "prediction")
    start = f"For this row the {output} starts from the average {base_value:.3g} and ends at {prediction:.3g}"
    features = waterfall_df[waterfall_df["feature"] != "other features"]
    ups, downs = features[features["shap"] > 0], features[features["shap"] < 0]
    if ups.empty and downs.empty:
        return start + ": no feature changes it."
    parts = []
    if not ups.empty:
        parts.append(f"{ups.iloc[0]['label']} pushes it up most ({ups.iloc[0]['shap']:+.2g})")
    if not downs.empty:
        parts.append(f"{downs.iloc[0]['label']} pulls it down most ({downs.iloc[0]['shap']:+.2g})")
    return start + ": " + ", while ".join(parts) + "."


# ============================================================================ helpers

def _format_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return "missing"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    return str(value)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return None if pd.isna(value) else pd.Timestamp(value).isoformat()
    if value is None or isinstance(value, (str, int)):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _column_kind(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values):
        return "bool"
    if pd.api.types.is_integer_dtype(values):
        return "integer"
    if pd.api.types.is_numeric_dtype(values):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    return "text"


def _frame_to_json(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "index": _json_safe(list(frame.index)),
        "columns": [{"name": str(c), "kind": _column_kind(frame[c]), "values": _json_safe(list(frame[c]))}
                    for c in frame.columns],
    }


def _frame_from_json(data: dict[str, Any]) -> pd.DataFrame:
    index = pd.Index(data["index"])
    columns = {}
    for column in data["columns"]:
        values = column["values"]
        if column["kind"] == "integer" and None not in values:
            series = pd.Series(values, dtype="int64")
        elif column["kind"] in ("numeric", "integer"):
            series = pd.Series([np.nan if v is None else v for v in values], dtype=float)
        elif column["kind"] == "datetime":
            series = pd.to_datetime(pd.Series(values))
        elif column["kind"] == "bool":
            series = pd.Series(values, dtype=bool if None not in values else object)
        else:
            series = pd.Series(values, dtype="str")
        columns[column["name"]] = series.set_axis(index)
    return pd.DataFrame(columns, index=index)
