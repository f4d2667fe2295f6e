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

This module chooses the explainer and assembles the ``Explanation``; the explainers live in
``explainers``, the summing back to input columns in ``feature_sources``, the tables in
``importance`` and the figures in ``charts``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from core.explain.context import (
    EXPLAINER_BASELINE,
    EXPLAINER_LINEAR,
    EXPLAINER_PERMUTATION,
    EXPLAINER_TREE,
    TASKS,
    ExplainContext,
    PartialExplanation,
)
from core.explain.explainers import (
    DEFAULT_TIME_BUDGET_SECONDS,
    MIN_ROWS,
    PERMUTATION_MAX_ROWS,
    explain_baseline,
    explain_linear,
    explain_permutation,
    explain_tree,
    get_model_family,
)
from core.explain.feature_sources import get_input_values_df
from core.explain.result import Explanation
from core.formatting import format_count
from core.i18n import _
from core.workspace.errors import ConfigError, DataError

__all__ = [
    "DEFAULT_TIME_BUDGET_SECONDS",
    "EXPLAINER_BASELINE",
    "EXPLAINER_LINEAR",
    "EXPLAINER_PERMUTATION",
    "EXPLAINER_TREE",
    "MIN_ROWS",
    "PERMUTATION_MAX_ROWS",
    "TASKS",
    "Explanation",
    "explain_model",
]


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
    rows: Sequence[int] | None = None,
) -> Explanation:
    """Explain a random sample of at most ``max_rows`` rows of ``X`` (the features, no target).

    ``rows`` (positions in ``X``) explains exactly those rows instead of a sample; the rest of ``X``
    is still the background (e.g. one typed-in row followed by the holdout).

    ``time_budget_seconds`` caps the rows of slow explainers (big forests, permutation);
    pass None to explain all ``max_rows`` rows whatever it costs (e.g. in a background job).
    ``class_name`` names the explained class when the model was trained on encoded labels (0/1).
    """
    started = time.perf_counter()
    _validate_arguments(pipeline, X, task, max_rows, background_rows, time_budget_seconds)
    preprocessor, estimator = pipeline[:-1], pipeline[-1]
    family = get_model_family(estimator, model_key)
    class_label = _get_class_label(estimator, task, positive_class_index)
    if class_name is not None and task != "regression":
        class_label = class_name
    label = f"{target_name} = {class_label}" if target_name else f"class {class_label}"
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(X))  # random order: any prefix is a random sample
    if rows is not None:
        order = np.asarray(rows, dtype=int)
        if order.size == 0 or order.min() < 0 or order.max() >= len(X):
            raise ConfigError(
                _("The rows to explain must be positions between 0 and {value}; got {list}.").format(
                    value=len(X) - 1, list=list(rows)
                )
            )
    context = ExplainContext(
        pipeline,
        preprocessor,
        estimator,
        X,
        task,
        positive_class_index,
        label,
        target_name,
        background_rows,
        rng,
        seed,
        time_budget_seconds,
    )

    if family == "baseline":
        part = explain_baseline(context, order[:max_rows])
    elif family == "tree":
        part = explain_tree(context, order[:max_rows])
    elif family == "linear":
        part = explain_linear(context, order[:max_rows])
    else:
        part = explain_permutation(context, order[: min(max_rows, PERMUTATION_MAX_ROWS)])

    positions = np.sort(part.positions)  # show rows in their original order
    resort = np.argsort(part.positions)
    index = X.index[positions]
    shap_df = pd.DataFrame(part.shap_values[resort], index=index, columns=part.features)
    values_df = get_input_values_df(context, positions, part.features)
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
        meta={
            "model_key": model_key,
            "family": family,
            "task": task,
            "explained_class": None if task == "regression" else str(class_label),
            "target": target_name,
            "model": type(estimator).__name__,
            "class_index": None if task == "regression" else int(positive_class_index),
        },
    )


def _validate_arguments(
    pipeline: Any, X: Any, task: str, max_rows: int, background_rows: int, time_budget_seconds: float | None
) -> None:
    if task not in TASKS:
        raise ConfigError(
            _("The 'task' of an explanation must be one of {join}; got {task} instead.").format(
                join=", ".join(TASKS), task=f"{task!r}"
            )
        )
    if not isinstance(pipeline, Pipeline) or len(pipeline.steps) < 2:
        raise ConfigError(
            _(
                "Only a fitted pipeline of preprocessing and model can be explained; train the model with the Train stage first."
            )
        )
    if not hasattr(pipeline[-1], "n_features_in_"):
        raise ConfigError(_("The model has not been trained yet; train it before asking for explanations."))
    if not isinstance(X, pd.DataFrame) or X.empty:
        raise DataError(_("There are no rows to explain; use a holdout table with at least one row."))
    if max_rows < 1 or background_rows < 1:
        raise ConfigError(
            _(
                "The 'max_rows' and 'background_rows' of an explanation must be at least 1; got {max_rows} and {background_rows} instead."
            ).format(max_rows=max_rows, background_rows=background_rows)
        )
    if time_budget_seconds is not None and time_budget_seconds <= 0:
        raise ConfigError(
            _(
                "The 'time_budget_seconds' of an explanation must be positive or None; got {time_budget_seconds} instead."
            ).format(time_budget_seconds=time_budget_seconds)
        )


def _get_class_label(estimator: Any, task: str, positive_class_index: int) -> Any:
    if task == "regression":
        return None
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        raise ConfigError(
            _(
                "The task is {task} but the model is not a classifier; train a classification model or choose regression."
            ).format(task=task)
        )
    if not 0 <= positive_class_index < len(classes):
        raise ConfigError(
            _(
                "The 'positive_class_index' must be between 0 and {value} (classes: {join}); got {positive_class_index} instead."
            ).format(
                value=len(classes) - 1, join=", ".join(map(str, classes)), positive_class_index=positive_class_index
            )
        )
    return classes[positive_class_index]


def _build_note(
    explained: int, available: int, max_rows: int, part: PartialExplanation, task: str, class_label: Any
) -> str:
    if explained == available:
        sample = _("Explained all {available} rows").format(available=format_count(available))
    else:
        sample = _("Explained a random sample of {explained} of {available} rows").format(
            explained=format_count(explained), available=format_count(available)
        )
        if part.capped:
            sample += _(" (fewer rows to keep the explanation fast)")
        elif explained < min(max_rows, available):
            sample += _(" (model-agnostic SHAP is slow, so only a few rows)")
    sentences = [f"{sample}; {part.method_note}."]
    if part.explainer in (EXPLAINER_TREE, EXPLAINER_LINEAR):
        sentences.append(_("Effects of one-hot columns are summed back to their source column."))
    if task == "multiclass":
        sentences.append(_("Explains class {class_label} against the others.").format(class_label=class_label))
    return " ".join(sentences)
