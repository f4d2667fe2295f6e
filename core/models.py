"""The model catalog: a few well-understood estimators per task, each with a plain description.

Choices made on purpose:
- Random forests have bounded depth (max_depth=10, min_samples_leaf=5): tree SHAP on an
  unbounded forest takes minutes, on this one seconds, and accuracy barely changes.
- No ``class_weight="balanced"``: the default gate metric (ROC-AUC) ranks by probability and does
  not need it, and balanced weights distort the predicted probabilities shown to users.
- ``n_jobs`` ≤ 2: the machine is shared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from core.errors import ConfigError

CLASSIFICATION_TASKS = ("binary", "multiclass")
REGRESSION_TASKS = ("regression",)
ALL_TASKS = CLASSIFICATION_TASKS + REGRESSION_TASKS
BASELINE_KEY = "baseline"
N_JOBS = 2


@dataclass(frozen=True)
class ModelSpec:
    key: str
    name: str
    description: str
    tasks: tuple[str, ...]
    explainer: str  # "tree" | "linear" | "kernel": which SHAP explainer suits the fitted model
    factory: Callable[[str, int], Any] = field(repr=False, compare=False)

    def make(self, task: str, seed: int) -> Any:
        """A fresh, unfitted estimator for ``task``."""
        if task not in self.tasks:
            raise ConfigError(f"The model '{self.key}' does not support the task '{task}'; choose another model.")
        return self.factory(task, seed)

    @property
    def is_baseline(self) -> bool:
        return self.key == BASELINE_KEY


def _is_classification(task: str) -> bool:
    return task in CLASSIFICATION_TASKS


def _baseline(task: str, seed: int) -> Any:
    if _is_classification(task):
        return DummyClassifier(strategy="most_frequent")
    return DummyRegressor(strategy="mean")


def _linear(task: str, seed: int) -> Any:
    if _is_classification(task):
        return LogisticRegression(max_iter=1000)
    return Ridge(alpha=1.0)


def _decision_tree(task: str, seed: int) -> Any:
    if _is_classification(task):
        return DecisionTreeClassifier(max_depth=6, min_samples_leaf=5, random_state=seed)
    return DecisionTreeRegressor(max_depth=6, min_samples_leaf=5, random_state=seed)


def _random_forest(task: str, seed: int) -> Any:
    params = dict(n_estimators=150, max_depth=10, min_samples_leaf=5, n_jobs=N_JOBS, random_state=seed)
    if _is_classification(task):
        return RandomForestClassifier(**params)
    return RandomForestRegressor(**params)


def _hist_gb(task: str, seed: int) -> Any:
    if _is_classification(task):
        return HistGradientBoostingClassifier(random_state=seed)
    return HistGradientBoostingRegressor(random_state=seed)


_CATALOG: tuple[ModelSpec, ...] = (
    ModelSpec(
        BASELINE_KEY, "Baseline",
        "Always predicts the most common class (or the average value), the bar every real model must beat.",
        ALL_TASKS, "kernel", _baseline,
    ),
    ModelSpec(
        "logistic", "Logistic regression",
        "Adds up one weight per feature to estimate the chance of each class, easy to read and quick to train.",
        CLASSIFICATION_TASKS, "linear", _linear,
    ),
    ModelSpec(
        "ridge", "Ridge regression",
        "Adds up one weight per feature to predict the value, with the weights kept small to avoid overfitting.",
        REGRESSION_TASKS, "linear", _linear,
    ),
    ModelSpec(
        "decision_tree", "Decision tree",
        "Asks up to six yes/no questions about the features, a model you can draw on a whiteboard.",
        ALL_TASKS, "tree", _decision_tree,
    ),
    ModelSpec(
        "random_forest", "Random forest",
        "Averages 150 decision trees, each trained on a random sample of rows, which makes it robust to noise.",
        ALL_TASKS, "tree", _random_forest,
    ),
    ModelSpec(
        "hist_gb", "Gradient boosting",
        "Builds trees one after another, each correcting the mistakes of the previous ones, often the most accurate.",
        ALL_TASKS, "tree", _hist_gb,
    ),
)


def get_catalog(task: str) -> list[ModelSpec]:
    """The models available for ``task``, baseline first."""
    if task not in ALL_TASKS:
        raise ConfigError(f"The task must be one of {', '.join(ALL_TASKS)}; got '{task}' instead.")
    return [spec for spec in _CATALOG if task in spec.tasks]


def get_model_spec(task: str, key: str) -> ModelSpec:
    for spec in get_catalog(task):
        if spec.key == key:
            return spec
    valid = ", ".join(spec.key for spec in get_catalog(task))
    raise ConfigError(f"The model '{key}' is not available for a {task} task; choose one of: {valid}.")
