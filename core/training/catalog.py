"""The model catalog: a few well-understood estimators per task, each with a plain description.

Choices made on purpose:
- Forests (random forest, extra trees) have bounded depth (max_depth=10, min_samples_leaf=5):
  tree SHAP on an unbounded forest takes minutes, on this one seconds, and accuracy barely changes.
- The SVM is a *linear* SVM (``LinearSVC``/``LinearSVR``): a kernel ``SVC`` costs O(rows²) and,
  with probabilities, five extra fits; the linear one trains in a fraction of a second on 10k rows.
  ``CalibratedClassifierCV`` turns its margins into probabilities (ROC-AUC and the gate need them).
  The regression SVM learns a standardised target: ``LinearSVR`` cannot fit values like 450,000.
- k-nearest neighbours is opt-in (``ModelSpec.default`` is False): its prediction cost grows with
  rows² (measured: +4 s on 20k rows, +24 s on 60k rows, 5-fold), and it rarely beats the others.
- Class weights are off by default (``TrainConfig.class_weight``): the default gate metric
  (ROC-AUC) ranks by probability and does not need them, and balanced weights distort the
  predicted probabilities shown to users. ``make(..., class_weight="balanced")`` turns them on
  for every family that has the parameter.
- ``n_jobs`` ≤ 2: the machine is shared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import TransformedTargetRegressor
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC, LinearSVR
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from core.i18n import N_, _
from core.workspace.errors import ConfigError

CLASSIFICATION_TASKS = ("binary", "multiclass")
REGRESSION_TASKS = ("regression",)
ALL_TASKS = CLASSIFICATION_TASKS + REGRESSION_TASKS
BASELINE_KEY = "baseline"
CLASS_WEIGHTS = (None, "balanced")
N_JOBS = 2
KNN_NEIGHBOURS = 15


@dataclass(frozen=True)
class ModelSpec:
    key: str
    name: str
    description: str
    tasks: tuple[str, ...]
    explainer: str  # "tree" | "linear" | "kernel": which SHAP explainer suits the fitted model
    factory: Callable[[str, int], Any] = field(repr=False, compare=False)
    default: bool = True  # trained when the user picks no models (the default leaderboard)

    def make(self, task: str, seed: int, class_weight: str | None = None) -> Any:
        """A fresh, unfitted estimator for ``task``; ``class_weight`` is applied where the family has it."""
        if task not in self.tasks:
            raise ConfigError(
                _("The model '{key}' does not support the task '{task}'; choose another model.").format(
                    key=self.key, task=task
                )
            )
        if class_weight not in CLASS_WEIGHTS:
            raise ConfigError(
                _("The class weight must be 'balanced' or None; got {value} instead.").format(value=repr(class_weight))
            )
        estimator = self.factory(task, seed)
        if class_weight is not None and task in CLASSIFICATION_TASKS:
            names = _class_weight_params(estimator)
            if names:
                estimator.set_params(**{name: class_weight for name in names})
        return estimator

    def supports_class_weight(self, task: str) -> bool:
        """Whether ``class_weight="balanced"`` changes this family (kNN, naive Bayes, the baseline: no)."""
        return task in CLASSIFICATION_TASKS and task in self.tasks and bool(_class_weight_params(self.factory(task, 0)))

    @property
    def is_baseline(self) -> bool:
        return self.key == BASELINE_KEY


def _class_weight_params(estimator: Any) -> list[str]:
    """The estimator's ``class_weight`` parameters, also inside wrappers (``estimator__class_weight``)."""
    return [name for name in estimator.get_params() if name == "class_weight" or name.endswith("__class_weight")]


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


def _knn(task: str, seed: int) -> Any:
    # Distance weights: the closest of the 15 neighbours count most. Training reduces the
    # neighbours to the rows available when a fold is smaller than 15 (see core.training.trainer).
    if _is_classification(task):
        return KNeighborsClassifier(n_neighbors=KNN_NEIGHBOURS, weights="distance")
    return KNeighborsRegressor(n_neighbors=KNN_NEIGHBOURS, weights="distance")


def _svm(task: str, seed: int) -> Any:
    if _is_classification(task):
        # Sigmoid (Platt) calibration on 3 folds: probabilities from the SVM's margins.
        return CalibratedClassifierCV(LinearSVC(C=1.0, random_state=seed), method="sigmoid", cv=3)
    return TransformedTargetRegressor(
        regressor=LinearSVR(C=1.0, epsilon=0.0, max_iter=5000, random_state=seed), transformer=StandardScaler()
    )


def _decision_tree(task: str, seed: int) -> Any:
    if _is_classification(task):
        return DecisionTreeClassifier(max_depth=6, min_samples_leaf=5, random_state=seed)
    return DecisionTreeRegressor(max_depth=6, min_samples_leaf=5, random_state=seed)


def _forest_params(seed: int) -> dict[str, Any]:
    return dict(n_estimators=150, max_depth=10, min_samples_leaf=5, n_jobs=N_JOBS, random_state=seed)


def _random_forest(task: str, seed: int) -> Any:
    if _is_classification(task):
        return RandomForestClassifier(**_forest_params(seed))
    return RandomForestRegressor(**_forest_params(seed))


def _extra_trees(task: str, seed: int) -> Any:
    if _is_classification(task):
        return ExtraTreesClassifier(**_forest_params(seed))
    return ExtraTreesRegressor(**_forest_params(seed))


def _hist_gb(task: str, seed: int) -> Any:
    if _is_classification(task):
        return HistGradientBoostingClassifier(random_state=seed)
    return HistGradientBoostingRegressor(random_state=seed)


def _naive_bayes(task: str, seed: int) -> Any:
    return GaussianNB()


_CATALOG: tuple[ModelSpec, ...] = (
    ModelSpec(
        BASELINE_KEY,
        N_("Baseline"),
        N_("Always predicts the most common class (or the average value), the bar every real model must beat."),
        ALL_TASKS,
        "kernel",
        _baseline,
    ),
    ModelSpec(
        "logistic",
        N_("Logistic regression"),
        N_("Adds up one weight per feature to estimate the chance of each class, easy to read and quick to train."),
        CLASSIFICATION_TASKS,
        "linear",
        _linear,
    ),
    ModelSpec(
        "ridge",
        N_("Ridge regression"),
        N_("Adds up one weight per feature to predict the value, with the weights kept small to avoid overfitting."),
        REGRESSION_TASKS,
        "linear",
        _linear,
    ),
    ModelSpec(
        "knn",
        N_("k-nearest neighbours"),
        N_("Looks up the 15 most similar rows seen in training and lets them vote, the closest counting most."),
        ALL_TASKS,
        "kernel",
        _knn,
        default=False,
    ),
    ModelSpec(
        "svm",
        N_("Support vector machine"),
        N_(
            "Draws the straight boundary that keeps the widest margin to the nearest rows (a linear SVM, "
            "because the curved kernel version takes minutes beyond a few thousand rows)."
        ),
        ALL_TASKS,
        "kernel",
        _svm,
    ),
    ModelSpec(
        "naive_bayes",
        N_("Naive Bayes"),
        N_(
            "Scores each class by how typical every feature value is for it, as if the features were "
            "independent, a very fast first guess."
        ),
        CLASSIFICATION_TASKS,
        "kernel",
        _naive_bayes,
    ),
    ModelSpec(
        "decision_tree",
        N_("Decision tree"),
        N_("Asks up to six yes/no questions about the features, a model you can draw on a whiteboard."),
        ALL_TASKS,
        "tree",
        _decision_tree,
    ),
    ModelSpec(
        "random_forest",
        N_("Random forest"),
        N_("Averages 150 decision trees, each trained on a random sample of rows, which makes it robust to noise."),
        ALL_TASKS,
        "tree",
        _random_forest,
    ),
    ModelSpec(
        "extra_trees",
        N_("Extra trees"),
        N_(
            "Averages 150 decision trees whose split points are drawn at random, smoother and faster than a random forest."
        ),
        ALL_TASKS,
        "tree",
        _extra_trees,
    ),
    ModelSpec(
        "hist_gb",
        N_("Gradient boosting"),
        N_(
            "Builds trees one after another, each correcting the mistakes of the previous ones, often the most accurate."
        ),
        ALL_TASKS,
        "tree",
        _hist_gb,
    ),
)


def get_catalog(task: str, *, default_only: bool = False) -> list[ModelSpec]:
    """The models available for ``task``, baseline first; ``default_only`` → the default leaderboard."""
    if task not in ALL_TASKS:
        raise ConfigError(
            _("The task must be one of {tasks}; got '{task}' instead.").format(tasks=", ".join(ALL_TASKS), task=task)
        )
    return [spec for spec in _CATALOG if task in spec.tasks and (spec.default or not default_only)]


def get_model_spec(task: str, key: str) -> ModelSpec:
    for spec in get_catalog(task):
        if spec.key == key:
            return spec
    valid = ", ".join(spec.key for spec in get_catalog(task))
    raise ConfigError(
        _("The model '{key}' is not available for a {task} task; choose one of: {valid}.").format(
            key=key, task=task, valid=valid
        )
    )
