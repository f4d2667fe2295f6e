"""Train and compare models: hold out a test set, cross-validate each catalog model on the rest,
refit it on the whole training split, and score it once on the holdout.

Every fitted model is ``Pipeline([("preprocess", ColumnTransformer), ("model", estimator)])``
taking the cleaned table (minus the target). Preprocessing is fitted once per fold and shared by
all models of that fold (same result as fitting it inside each model's pipeline, several times faster).

Validation fits the data (``choose_validation``):
- ``time-split`` when the problem has a time column: the holdout is the latest rows and every
  CV fold trains only on rows strictly earlier than the rows it is scored on;
- ``group-kfold`` when rows share an entity (``ProblemConfig.group_column``, e.g. a customer ID):
  no entity is ever on both sides of the holdout or of a fold;
- ``stratified-kfold`` (classification) / ``kfold`` (regression) otherwise, with plain-sentence
  warnings when a date column or a repeated ID suggests that a random split flatters the score.
"""

from __future__ import annotations

import copy
import math
import re
import time
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Iterator, NamedTuple

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from core.workspace.errors import ConfigError, DataError
from core.features.preprocessing import FeatureConfig, build_preprocessor, get_feature_kinds
from core.data.dates import looks_like_datetime
from core.training.catalog import BASELINE_KEY, CLASS_WEIGHTS, N_JOBS, ModelSpec, get_catalog, get_model_spec
from core.problem.definition import METRICS, ProblemConfig, describe_id_like_target, encode_target, format_metric_value, is_higher_better, resolve_positive_class, to_label_strings, validate_problem
from core.data.dates import parse_datetimes
from core.data.profiling import ID_NAME_ENDINGS, ID_NAME_WORDS, is_named_like_id, looks_like_group_id
from core.workspace.progress import Progress

VALIDATIONS = ("auto", "stratified-kfold", "kfold", "time-split", "group-kfold")
# What the leaderboard reports on the holdout: the task's gate metrics plus metrics that stay
# honest when one class is rare (balanced accuracy, PR-AUC = average precision).
TEST_METRICS: dict[str, tuple[str, ...]] = {
    "binary": METRICS["binary"] + ("balanced_accuracy", "pr_auc"),
    "multiclass": METRICS["multiclass"] + ("balanced_accuracy",),
    "regression": METRICS["regression"],
}
# A class is "rare" below this share of the rows it would have if all classes were equally
# common: 20% for a binary target, 10% of the rows with four classes.
RARE_CLASS_SHARE_OF_FAIR = 0.4
# Fewer rows (training plus holdout) than this and the scores are rough: the leaderboard says so.
FEW_ROWS = 300
# Large tables: the leaderboard (and tuning) learn from a stratified sample of the training rows and
# are scored on a sample of the held-out rows; the best model is then refit on all training rows
# when that is expected to fit the refit budget. Sizes measured on a 2-core machine (README, development).
MAX_TRAIN_ROWS = 100_000
MAX_TEST_ROWS = 50_000
REFIT_SECONDS = 120.0
_MIN_SAMPLE_ROWS = 100
_REFIT_MARGIN = 1.5
_POSITIVE_WORDS = ("1", "yes", "true", "y", "positive", "pos")


@dataclass(frozen=True)
class TrainConfig:
    models: tuple[str, ...] = ()  # empty = the default catalog; the baseline is always added
    cv_folds: int = 5
    test_size: float = 0.2
    seed: int = 42
    validation: str = "auto"  # auto → time-split / group-kfold / stratified-kfold / kfold, from the problem
    class_weight: str | None = None  # "balanced": rare classes count more in training (families that support it)
    max_train_rows: int = MAX_TRAIN_ROWS  # more training rows: the models compete on a stratified sample
    max_test_rows: int = MAX_TEST_ROWS  # more held-out rows: the models are scored on a stratified sample
    refit_seconds: float = REFIT_SECONDS  # budget to refit the best model on all training rows after a sample

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["models"] = list(self.models)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "models" in values:
            values["models"] = tuple(values["models"])
        return cls(**values)


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


# ---------------------------------------------------------------- validation of the config

def validate_train_config(config: TrainConfig, problem: ProblemConfig) -> None:
    if config.validation not in VALIDATIONS:
        raise ConfigError(f"The validation must be one of {', '.join(VALIDATIONS)}; got '{config.validation}' instead.")
    if not isinstance(config.cv_folds, (int, np.integer)) or config.cv_folds < 2:
        raise ConfigError(f"The number of CV folds must be a whole number ≥ 2; got {config.cv_folds!r} instead.")
    if not 0.05 <= float(config.test_size) <= 0.5:
        raise ConfigError(f"The test size must be between 0.05 and 0.5; got {config.test_size} instead.")
    if config.class_weight not in CLASS_WEIGHTS:
        raise ConfigError(f"The class weight must be 'balanced' or None; got {config.class_weight!r} instead.")
    for name in ("max_train_rows", "max_test_rows"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < _MIN_SAMPLE_ROWS:
            raise ConfigError(f"The '{name}' of TrainConfig must be a whole number of at least {_MIN_SAMPLE_ROWS}; "
                              f"got {value!r} instead.")
    if isinstance(config.refit_seconds, bool) or not isinstance(config.refit_seconds, (int, float)) \
            or not config.refit_seconds >= 0:
        raise ConfigError(f"The 'refit_seconds' of TrainConfig must be a number of seconds ≥ 0 (0: never refit on "
                          f"all rows); got {config.refit_seconds!r} instead.")
    if config.validation == "time-split" and problem.time_column is None:
        raise ConfigError("A time split needs a time column; choose one in the problem or another validation.")
    if config.validation == "stratified-kfold" and problem.task == "regression":
        raise ConfigError("Stratified folds need classes; use 'kfold' for a regression task.")
    for key in config.models:
        get_model_spec(problem.task, key)


# ---------------------------------------------------------------- splitting

class HoldoutSplit(NamedTuple):
    train_index: pd.Index
    test_index: pd.Index
    strategy: str  # stratified-split | random-split | time-split | group-split | provided-test-set


class ValidationPlan(NamedTuple):
    holdout: HoldoutSplit
    splitter: Any  # .split(X_train, y_train) over the holdout's training rows, in train_index order
    name: str  # stratified-kfold | kfold | time-split | group-kfold
    warnings: list[str]


class TimeOrderedSplit:
    """``TimeSeriesSplit`` over rows sorted by time, with equal times kept on one side: every
    fold trains only on rows strictly earlier than all the rows it is scored on.

    ``times`` are the rows' times in the order of the ``X`` given to ``split`` (NaT = oldest).
    Folds whose training part would be empty (all rows share the first time) are skipped.
    """

    def __init__(self, n_splits: int, times: pd.Series | np.ndarray) -> None:
        self.n_splits = n_splits
        self.times = _times_as_int(times)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return self.n_splits

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        _check_bound_length(X, self.times, "times")
        order = np.argsort(self.times, kind="stable")
        ordered_times = self.times[order]
        for train_pos, valid_pos in TimeSeriesSplit(n_splits=self.n_splits).split(order):
            # Rows at the boundary time go to the validation side only.
            cut = int(np.searchsorted(ordered_times, ordered_times[valid_pos[0]], side="left"))
            if cut == 0:
                continue
            yield order[train_pos[:cut]], order[valid_pos]

    def __repr__(self) -> str:
        return f"TimeOrderedSplit(n_splits={self.n_splits})"


class GroupedSplit:
    """A group-aware splitter with its groups bound (in the order of the ``X`` given to ``split``),
    so it splits like any other splitter: ``split(X, y)``."""

    def __init__(self, splitter: Any, groups: np.ndarray) -> None:
        self.splitter = splitter
        self.groups = np.asarray(groups)

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return self.splitter.get_n_splits()

    def split(self, X: Any, y: Any = None, groups: Any = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        _check_bound_length(X, self.groups, "groups")
        yield from self.splitter.split(X, y, self.groups)

    def __repr__(self) -> str:
        return f"GroupedSplit({self.splitter!r})"


def _check_bound_length(X: Any, bound: np.ndarray, what: str) -> None:
    if len(X) != len(bound):
        raise ConfigError(
            f"The splitter was made for {len(bound)} rows but got {len(X)}; make it again from these rows "
            f"(its {what} are bound to the rows it was made from)."
        )


def _times_as_int(times: pd.Series | np.ndarray) -> np.ndarray:
    """Nanoseconds as int64, NaT as the smallest value (the oldest)."""
    parsed = parse_datetimes(pd.Series(times).reset_index(drop=True))
    as_int = parsed.to_numpy(dtype="datetime64[ns]").astype("int64")
    return np.where(parsed.isna().to_numpy(), np.iinfo("int64").min, as_int)


def get_group_values(df: pd.DataFrame, column: str) -> np.ndarray:
    """Each row's group as text; a row without a value is a group of its own (an unknown entity)."""
    values = df[column]
    labels = values.astype(object).map(str).to_numpy(dtype=object)
    missing = values.isna().to_numpy()
    labels[missing] = [f"\x00missing-{i}" for i in np.flatnonzero(missing)]
    return labels


def resolve_validation(problem: ProblemConfig, config: TrainConfig) -> str:
    """The CV strategy a config asks for: ``auto`` → time-split / group-kfold / (stratified-)kfold."""
    if config.validation != "auto":
        return config.validation
    if problem.time_column is not None:
        return "time-split"
    if problem.group_column is not None:
        return "group-kfold"
    return "stratified-kfold" if problem.family == "classification" else "kfold"


def with_group_column(df: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> ProblemConfig:
    """The problem with a group column when ``group-kfold`` is asked without one (the suggested ID)."""
    if config.validation != "group-kfold" or problem.group_column is not None:
        return problem
    column = suggest_group_column(df, problem)
    if column is None:
        raise ConfigError(
            "A group k-fold needs a group column (an ID shared by several rows, such as a customer ID) and none "
            "was found; choose one in the problem or another validation."
        )
    return replace(problem, group_column=column)


def choose_validation(df: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> ValidationPlan:
    """How this data is validated: the holdout, the CV splitter (over the holdout's training rows,
    in ``holdout.train_index`` order), its name and plain-sentence warnings about leaky splits."""
    problem = with_group_column(df, problem, config)
    known = df[df[problem.target].notna()]
    holdout = split_holdout(known, problem, config)
    return _plan_cross_validation(known, known.loc[holdout.train_index], problem, config, holdout)


def _plan_cross_validation(
    known: pd.DataFrame, train: pd.DataFrame, problem: ProblemConfig, config: TrainConfig, holdout: HoldoutSplit
) -> ValidationPlan:
    splitter, name = choose_cv(train, problem, config)
    id_target = describe_id_like_target(known[problem.target])
    return ValidationPlan(holdout, splitter, name, [id_target] * bool(id_target)
                          + get_validation_warnings(known, problem, name))


def split_holdout(df: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> HoldoutSplit:
    """(train index, test index, strategy). Rows without a target are left out of both.

    With a time column the test set is the latest ``test_size`` share of rows (rows without a
    readable time are left out; rows at the boundary time all go to the test set); with group
    k-fold whole groups are held out; otherwise a seeded random split, stratified for classification.
    """
    problem = with_group_column(df, problem, config)
    known = df[df[problem.target].notna()]
    if problem.time_column is not None:
        return _split_by_time(known, problem, config)
    if resolve_validation(problem, config) == "group-kfold":
        return _split_by_group(known, problem, config)
    n_test = max(1, math.ceil(config.test_size * len(known)))
    _check_enough_rows(len(known), n_test)
    if problem.family == "classification":
        try:
            train, test = train_test_split(
                known.index, test_size=n_test, random_state=config.seed, stratify=to_label_strings(known[problem.target])
            )
            return HoldoutSplit(pd.Index(train), pd.Index(test), "stratified-split")
        except ValueError:
            pass  # a class too small to appear on both sides: fall back to a plain random split
    train, test = train_test_split(known.index, test_size=n_test, random_state=config.seed)
    return HoldoutSplit(pd.Index(train), pd.Index(test), "random-split")


def _check_enough_rows(n_rows: int, n_test: int) -> None:
    if n_rows - n_test < 2:
        raise DataError(f"Only {n_rows} rows have a target; too few to hold out a test set. Add more data.")


def _split_by_time(known: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> HoldoutSplit:
    times = parse_datetimes(known[problem.time_column]).dropna().sort_values(kind="stable")
    n_test = max(1, math.ceil(config.test_size * len(times)))
    n_train = 0
    if len(times) - n_test >= 2:
        # Rows sharing the boundary time all go to the test set: training never sees that moment.
        n_train = int(np.searchsorted(times.to_numpy(), times.to_numpy()[len(times) - n_test], side="left"))
    if n_train < 2:
        raise DataError(
            f"Only {n_train} of the {len(times)} rows with both a target and a readable '{problem.time_column}' "
            "are earlier than the latest ones; too few for a time split. Add data or remove the time column."
        )
    return HoldoutSplit(pd.Index(times.index[:n_train]), pd.Index(times.index[n_train:]), "time-split")


def _split_by_group(known: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> HoldoutSplit:
    """Whole groups held out: stratified by class when possible, so a rare class reaches the test set."""
    groups = get_group_values(known, problem.group_column)
    n_groups = len(set(groups))
    if n_groups < 3:
        raise DataError(
            f"The group column '{problem.group_column}' has only {n_groups} distinct values among the rows with a "
            "target; at least 3 are needed to hold out whole groups. Choose a column that identifies more entities."
        )
    positions = np.arange(len(known))
    splits = []
    if problem.family == "classification":
        n_splits = min(max(2, round(1 / config.test_size)), n_groups)
        labels = to_label_strings(known[problem.target]).to_numpy()
        try:
            splits.append(next(StratifiedGroupKFold(n_splits, shuffle=True, random_state=config.seed)
                                .split(positions, labels, groups)))
        except ValueError:
            pass  # fewer rows of a class than folds: an unstratified group split below
    if not splits:
        splitter = GroupShuffleSplit(n_splits=1, test_size=config.test_size, random_state=config.seed)
        splits.append(next(splitter.split(positions, groups=groups)))
    train_pos, test_pos = splits[0]
    _check_enough_rows(len(known), len(test_pos))
    return HoldoutSplit(pd.Index(known.index[train_pos]), pd.Index(known.index[test_pos]), "group-split")


def choose_cv(df_train: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> tuple[Any, str]:
    """The cross-validation splitter over ``df_train`` (in its row order) and its name.

    time-split: ``TimeOrderedSplit`` (every fold validates on rows later than all it trains on);
    group-kfold: ``StratifiedGroupKFold`` (classification) / ``GroupKFold`` with the groups bound.
    Call ``splitter.split(X, y)`` with X in the same row order as ``df_train``.
    """
    problem = with_group_column(df_train, problem, config)
    strategy = resolve_validation(problem, config)
    n_rows = len(df_train)
    if strategy == "time-split":
        return TimeOrderedSplit(min(config.cv_folds, n_rows - 1), df_train[problem.time_column]), "time-split"
    if strategy == "group-kfold":
        return _group_cv(df_train, problem, config), "group-kfold"
    if strategy == "stratified-kfold":
        smallest_class = int(to_label_strings(df_train[problem.target]).value_counts().min())
        if smallest_class >= 2:
            folds = min(config.cv_folds, smallest_class)
            return StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.seed), "stratified-kfold"
    return KFold(n_splits=min(config.cv_folds, n_rows), shuffle=True, random_state=config.seed), "kfold"


def _group_cv(df_train: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> GroupedSplit:
    groups = get_group_values(df_train, problem.group_column)
    n_groups = len(set(groups))
    if n_groups < 2:
        raise DataError(
            f"The training rows hold only {n_groups} value of the group column '{problem.group_column}'; "
            "group k-fold needs at least 2. Choose a column that identifies more entities, or another validation."
        )
    folds = min(config.cv_folds, n_groups)
    if problem.family == "classification":
        smallest_class = int(to_label_strings(df_train[problem.target]).value_counts().min())
        if smallest_class >= folds:
            return GroupedSplit(StratifiedGroupKFold(folds, shuffle=True, random_state=config.seed), groups)
    return GroupedSplit(GroupKFold(folds, shuffle=True, random_state=config.seed), groups)


# ---------------------------------------------------------------- leak warnings

def suggest_group_column(df: pd.DataFrame, problem: ProblemConfig) -> str | None:
    """The key of an entity with several rows (``profiling.looks_like_group_id``), e.g. the customer
    of a transaction, preferring one named like an ID; None when there is none. Rows of one entity
    resemble each other, so they must not be split between training and test."""
    candidates = [c for c in df.columns
                  if c not in (problem.target, problem.time_column) and looks_like_group_id(df[c])]
    named = [c for c in candidates if is_named_like_id(c)]
    return (named or candidates or [None])[0]


def _entity_word(column: str) -> str:
    """customer_id → customer; CustomerID → customer; anything else → entity."""
    words = [w for w in re.split(r"[_\-\s]+|(?<=[a-z])(?=[A-Z])", str(column)) if w]
    kept = [w.lower() for w in words if w.lower() not in ID_NAME_WORDS + ID_NAME_ENDINGS]
    return " ".join(kept) if kept else "entity"


def get_validation_warnings(df: pd.DataFrame, problem: ProblemConfig, validation: str) -> list[str]:
    """Plain sentences when the chosen CV lets information leak: random folds over a table with a
    date column (the model learns from the future), or over rows that share an ID."""
    found = []
    if validation != "time-split":
        for column in df.columns:
            if column == problem.target or not looks_like_datetime(df[column]):
                continue
            if column == problem.time_column:
                found.append(
                    f"{column} is the time column but the folds are random, which lets the model learn from the "
                    "future; choose the validation 'auto' or 'time-split' to evaluate on later rows."
                )
            else:
                found.append(
                    f"{column} looks like a time: a random split lets the model learn from the future; "
                    "set it as the time column to evaluate on the latest rows."
                )
    if validation in ("stratified-kfold", "kfold"):
        column = problem.group_column or suggest_group_column(df, problem)
        if column is not None:
            counts = df[column].dropna().value_counts()
            entity = _entity_word(column)
            found.append(
                f"{column} repeats: {int((counts >= 2).sum()):,} of its {len(counts):,} values have several rows, "
                f"and a random split puts rows of the same {entity} in both training and test, which flatters the "
                f"score; set it as the group column to keep each {entity} on one side."
            )
    return found


# ---------------------------------------------------------------- few rows

def describe_few_rows(n_train: int, n_test: int, problem: ProblemConfig) -> str | None:
    """A plain sentence when fewer than ``FEW_ROWS`` rows train and test the models; None otherwise.

    The margin is about two standard errors of a share measured on the test rows (1/√n at worst):
    what a holdout accuracy can move by from chance alone.
    """
    if n_train + n_test >= FEW_ROWS:
        return None
    sentence = (f"Only {n_train + n_test:,} rows were used ({n_train:,} to train, {n_test:,} to test): "
                "scores from so few rows are rough")
    if problem.family == "classification":
        sentence += f" (a score measured on {n_test:,} rows can be off by about ±{1 / math.sqrt(max(n_test, 1)):.2f})"
    return sentence + (" and the ranking of the models may be chance; collect a few hundred rows or more "
                       "before relying on them.")


# ---------------------------------------------------------------- large tables

def sample_rows(df: pd.DataFrame, n_rows: int, problem: ProblemConfig, seed: int) -> pd.Index:
    """``n_rows`` of ``df``'s rows (all of them when there are no more), seeded; for classification
    stratified by class, so every class keeps its share, a rare class included. In ``df``'s order."""
    if len(df) <= n_rows:
        return pd.Index(df.index)
    labels = to_label_strings(df[problem.target]) if problem.family == "classification" else None
    try:
        chosen = train_test_split(df.index, train_size=n_rows, random_state=seed, stratify=labels)[0]
    except ValueError:  # a class of one row cannot be stratified: a plain random sample
        chosen = train_test_split(df.index, train_size=n_rows, random_state=seed)[0]
    return pd.Index(df.index[df.index.isin(chosen)])


def describe_sample(n_train: int, n_train_all: int, n_test: int, n_test_all: int, problem: ProblemConfig) -> str | None:
    """A plain sentence when the models learned from, or were scored on, a sample of the rows."""
    if n_train >= n_train_all and n_test >= n_test_all:
        return None
    sample = "a stratified sample" if problem.family == "classification" else "a random sample"
    parts = []
    if n_train < n_train_all:
        parts.append(f"the models learned from {sample} of {n_train:,} of the {n_train_all:,} training rows "
                     "(tuning too)")
    if n_test < n_test_all:
        parts.append(f"{'were' if parts else 'the models were'} scored on {n_test:,} of the {n_test_all:,} "
                     "held-out rows")
    return (f"The table is large, so {' and '.join(parts)}; the scores stay honest, as the held-out rows are "
            "never learned from.")


def refit_on_all_training_rows(
    data: PreparedData, model: ModelResult, tracker: _Progress | None = None
) -> tuple[ModelResult, str]:
    """``model`` (fitted on the sample) refit with the same settings on every training row and scored
    again on the holdout, when its fit on the sample suggests that fits ``config.refit_seconds``;
    otherwise ``model`` as it is. With the sentence that says which happened."""
    n_all, n_sample = len(data.all_train), max(len(data.y_train), 1)
    budget = float(data.config.refit_seconds)
    # Fitting grows about linearly with the rows; the margin covers preprocessing all rows as well.
    expected = model.fit_seconds * n_all / n_sample * _REFIT_MARGIN
    if budget <= 0:
        return model, f"{model.name}, the best model, learned from the sample only (refitting on all rows is off)."
    if not expected <= budget:
        return model, (f"{model.name}, the best model, learned from the sample only: refitting it on all "
                       f"{n_all:,} training rows would take about {_duration(expected)}, over the "
                       f"{_duration(budget)} allowed.")
    if tracker is not None:
        tracker.step(f"Refitting {model.name[0].lower() + model.name[1:]} on all {n_all:,} training rows")
    problem = data.problem
    try:
        with _quiet_single_threaded():
            started = time.perf_counter()
            y_all = encode_target(data.all_train[problem.target], problem)
            preprocessor = clone(data.preprocessor)
            Xt_all = preprocessor.fit_transform(data.all_train.drop(columns=[problem.target]), y_all)
            estimator = clone(model.pipeline.named_steps["model"]).fit(Xt_all, y_all)
            fit_seconds = time.perf_counter() - started
            del Xt_all
            started = time.perf_counter()
            test_pred, test_scores = predict_scores(problem, estimator, preprocessor.transform(data.X_test))
            predict_ms_per_row = 1000 * (time.perf_counter() - started) / max(len(data.X_test), 1)
    except Exception as exc:  # keep the sample's model rather than lose the leaderboard
        return model, (f"{model.name}, the best model, learned from the sample only: refitting it on all {n_all:,} "
                       f"training rows failed ({exc}).")
    refit = replace(
        model, test_metrics=compute_metrics(problem, data.y_test, test_pred, test_scores), fit_seconds=fit_seconds,
        predict_ms_per_row=predict_ms_per_row, params=_simple_params(estimator),
        pipeline=Pipeline([("preprocess", preprocessor), ("model", estimator)]),
        test_scores=test_scores, test_pred=test_pred,
    )
    return refit, (f"{model.name}, the best model, was then refit on all {n_all:,} training rows "
                   f"({_duration(fit_seconds)}); its holdout scores are those of the refit model.")


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "under a second"
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


# ---------------------------------------------------------------- class imbalance

def describe_imbalance(y: pd.Series, problem: ProblemConfig, class_weight: str | None = None) -> str | None:
    """A plain sentence when a class is rare (binary: the positive class under 20% of the rows;
    multiclass: the rarest class under 40% of an equal share); None otherwise or for regression."""
    if problem.task == "regression":
        return None
    labels = to_label_strings(pd.Series(y)).dropna()
    counts = labels.value_counts()
    if len(counts) < 2:
        return None
    limit = RARE_CLASS_SHARE_OF_FAIR / len(counts)
    if problem.task == "binary":
        positive = resolve_positive_class(labels, problem)
        rare_share = float((labels == positive).mean())
        if rare_share >= limit:
            return None
        what = _describe_positive(problem.target, positive)
        sentence = (
            f"Only {_percent(rare_share)} of rows are {what}: accuracy would be {_percent(1 - rare_share)} "
            "for a model that never flags anything; judge by PR-AUC and balanced accuracy"
        )
    else:
        shares = counts / counts.sum()
        rarest = shares.index[-1]
        if shares.iloc[-1] >= limit:
            return None
        sentence = (
            f"Only {_percent(shares.iloc[-1])} of rows are '{rarest}': always predicting '{shares.index[0]}' would "
            f"already be {_percent(shares.iloc[0])} accurate; judge by macro F1 and balanced accuracy"
        )
    if class_weight == "balanced":
        return sentence + "; class weights are on, so rare rows count as much as common ones in training."
    return sentence + ", and consider class weights."


def _describe_positive(target: str, positive: str) -> str:
    """is_fraud = 1 → "fraud"; churn = Yes → "churn"; status = Churned → "'Churned'"."""
    if positive.lower() not in _POSITIVE_WORDS:
        return f"'{positive}'"
    name = re.sub(r"^(is|has|was|did)[_\s]+", "", str(target), flags=re.IGNORECASE)
    return name.replace("_", " ")


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%" if share < 0.1 or share > 0.9 else f"{100 * share:.0f}%"


# ---------------------------------------------------------------- metrics

def compute_metric(metric: str, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None) -> float:
    """One metric; NaN when it is undefined (ROC-AUC/PR-AUC with one class, R² with one row)."""
    y_true = np.asarray(y_true)
    if metric in ("roc_auc", "pr_auc"):
        if y_score is None or len(np.unique(y_true)) < 2:
            return float("nan")
        if metric == "pr_auc":
            return float(average_precision_score(y_true, y_score))
        return float(roc_auc_score(y_true, y_score))
    if metric == "accuracy":
        return float(accuracy_score(y_true, y_pred))
    if metric == "balanced_accuracy":
        with warnings.catch_warnings():  # "y_pred contains classes not in y_true": still well defined
            warnings.simplefilter("ignore", category=UserWarning)
            return float(balanced_accuracy_score(y_true, y_pred))
    if metric == "f1_macro":
        return float(f1_score(y_true, y_pred, average="macro", zero_division=0))
    if metric == "r2":
        return float(r2_score(y_true, y_pred)) if len(y_true) >= 2 else float("nan")
    if metric == "rmse":
        return float(root_mean_squared_error(y_true, y_pred))
    if metric == "mae":
        return float(mean_absolute_error(y_true, y_pred))
    raise ConfigError(
        f"Unknown metric '{metric}'; choose one of roc_auc, pr_auc, f1_macro, accuracy, balanced_accuracy, r2, rmse, mae."
    )


def compute_metrics(
    problem: ProblemConfig, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None
) -> dict[str, float]:
    """Every holdout metric of the task (``TEST_METRICS``): binary roc_auc/f1_macro/accuracy/
    balanced_accuracy/pr_auc (y_score = P(positive)), multiclass f1_macro/accuracy/balanced_accuracy,
    regression r2/rmse/mae."""
    return {metric: compute_metric(metric, y_true, y_pred, y_score) for metric in TEST_METRICS[problem.task]}


def predict_scores(problem: ProblemConfig, model: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
    """(predictions, scores): binary scores = P(class 1); multiclass = probabilities; regression = predictions.

    Forests predict in one thread here: with two, the trees' votes are summed in whichever order
    the threads finish, which changes scores in the 17th digit and can flip tied ranks (ROC-AUC)
    between two identical runs.
    """
    with parallel_config(backend="sequential"):
        y_pred = np.asarray(model.predict(X))
        if problem.task == "regression":
            return y_pred, y_pred
        proba = np.asarray(model.predict_proba(X))
    if problem.task == "binary":
        classes = list(model.classes_)
        positive = proba[:, classes.index(1)] if 1 in classes else np.zeros(len(proba))
        return y_pred, positive
    return y_pred, proba


# ---------------------------------------------------------------- training

@dataclass
class _Fold:
    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray


@dataclass
class _Progress:
    callback: Progress | None
    total: int
    done: int = 0

    def step(self, message: str, steps: int = 1) -> None:
        if self.callback is not None:
            self.callback(min(self.done / self.total, 0.99), message)
        self.done += steps

    def finish(self, message: str) -> None:
        if self.callback is not None:
            self.callback(1.0, message)


@dataclass
class PreparedData:
    """Everything the models of one experiment share: the split, the folds (preprocessing fitted
    once per fold) and the preprocessed training and test rows. Training and tuning both start here."""
    problem: ProblemConfig  # positive class and group column resolved
    features: FeatureConfig
    config: TrainConfig
    validation: str
    holdout: HoldoutSplit
    folds: list[_Fold]
    preprocessor: ColumnTransformer  # fitted on all training rows
    Xt_train: np.ndarray
    y_train: np.ndarray
    X_test: pd.DataFrame
    y_test: np.ndarray
    classes: list
    warnings: list[str]
    all_train: pd.DataFrame | None = None  # every training row (target included) when the models learn from a sample

    def to_result(self, results: list[ModelResult], tracker: _Progress | None = None) -> TrainResult:
        """The leaderboard, best first; after a sample, with the best model refit on all training rows
        when that fits ``config.refit_seconds`` (its CV score stays the sample's, its holdout scores are the refit's)."""
        if not any(r.ok for r in results):
            raise DataError(f"No model could be trained. {results[0].error}")
        results = sorted(results, key=lambda r: _rank_key(r, self.problem.metric))
        notes = list(self.warnings)
        best = next((i for i, r in enumerate(results) if r.ok and not r.is_baseline), None)
        if self.all_train is not None and best is not None:
            results[best], note = refit_on_all_training_rows(self, results[best], tracker)
            notes.append(note)
        return TrainResult(
            problem=self.problem, features=self.features, config=self.config, validation=self.validation,
            results=results, train_index=self.holdout.train_index, test_index=self.holdout.test_index,
            y_test=self.y_test, classes=self.classes, holdout=self.holdout.strategy,
            baseline_prediction=_describe_baseline(self.problem, self.y_train, self.classes),
            warnings=notes,
        )


def train_models(
    df: pd.DataFrame,
    problem: ProblemConfig,
    features: FeatureConfig,
    config: TrainConfig = TrainConfig(),
    *,
    test_df: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Cross-validate and holdout-test every chosen model (plus the baseline); never lets one
    failing model sink the leaderboard: its ``error`` is recorded instead.

    ``test_df`` given → it is the holdout (rows without a target dropped) and all of ``df`` trains.
    A non-unique index on ``df`` is replaced by 0..n-1 (the returned indices refer to that).
    """
    specs = _chosen_specs(problem, config)
    data, tracker = prepare_training(df, problem, features, config, test_df=test_df, progress=progress,
                                     n_models=len(specs))
    results = [evaluate_model(spec, data, tracker) for spec in specs]
    result = data.to_result(results, tracker)
    tracker.finish(f"Trained {sum(r.ok for r in results)} models")
    return result


def prepare_training(
    df: pd.DataFrame,
    problem: ProblemConfig,
    features: FeatureConfig,
    config: TrainConfig,
    *,
    test_df: pd.DataFrame | None = None,
    progress: Progress | None = None,
    n_models: int = 1,
) -> tuple[PreparedData, _Progress]:
    """Split, plan the validation and preprocess every fold once; the tracker counts the steps of
    ``n_models`` models still to come (each: one step per fold plus the refit)."""
    validate_problem(df, problem)
    validate_train_config(config, problem)
    if not df.index.is_unique:
        df = df.reset_index(drop=True)
    problem = with_group_column(df, problem, config)
    known = df[df[problem.target].notna()]
    if problem.task == "binary":
        problem = replace(problem, positive_class=resolve_positive_class(known[problem.target], problem))

    if test_df is not None:
        train, test = known, _prepare_test_df(test_df, known, problem, features)
        holdout = HoldoutSplit(pd.Index(train.index), pd.Index(test.index), "provided-test-set")
    else:
        holdout = split_holdout(known, problem, config)
        train, test = known.loc[holdout.train_index], known.loc[holdout.test_index]
    # A large table: the models compete on samples (the holdout's rows stay unseen, so its scores stay
    # honest); the best one is refit on all training rows afterwards when that fits the budget.
    all_train, n_test_all = train, len(test)
    test = test.loc[sample_rows(test, config.max_test_rows, problem, config.seed)]
    train = train.loc[sample_rows(train, config.max_train_rows, problem, config.seed)]
    holdout = holdout._replace(train_index=pd.Index(train.index), test_index=pd.Index(test.index))
    if problem.time_column is not None:
        # Chronological rows (rows without a readable time first, as the oldest); the time splitter
        # does not need it, but the stored training rows read in time order.
        order = parse_datetimes(train[problem.time_column]).sort_values(kind="stable", na_position="first").index
        train = train.loc[order]
        holdout = holdout._replace(train_index=pd.Index(train.index))

    plan = _plan_cross_validation(known, train, problem, config, holdout)
    notes = list(plan.warnings)
    imbalance = describe_imbalance(known[problem.target], problem, config.class_weight)
    if imbalance is not None:
        notes.append(imbalance)
    few_rows = describe_few_rows(len(train), len(test), problem)
    if few_rows is not None:
        notes.append(few_rows)
    sampled = describe_sample(len(train), len(all_train), len(test), n_test_all, problem)
    if sampled is not None:
        notes.append(sampled)
    y_train = encode_target(train[problem.target], problem)
    y_test = encode_target(test[problem.target], problem)
    X_train = train.drop(columns=[problem.target])
    X_test = test[X_train.columns.intersection(test.columns)]

    splits = _usable_splits(plan.splitter, X_train, y_train, problem, plan.name)
    tracker = _Progress(progress, total=(len(splits) + 1) * (1 + n_models))
    preprocessor = build_preprocessor(train, problem, features)
    folds, full_preprocessor, Xt_train, _ = _prepare_folds(preprocessor, splits, X_train, y_train, X_test, tracker)
    data = PreparedData(
        problem=problem, features=features, config=config, validation=plan.name, holdout=holdout, folds=folds,
        preprocessor=full_preprocessor, Xt_train=Xt_train, y_train=y_train, X_test=X_test, y_test=y_test,
        classes=_get_classes(problem, known[problem.target]), warnings=notes,
        all_train=all_train if len(all_train) > len(train) else None,
    )
    return data, tracker


def _chosen_specs(problem: ProblemConfig, config: TrainConfig) -> list[ModelSpec]:
    if not config.models:
        return get_catalog(problem.task, default_only=True)
    keys = [BASELINE_KEY] + [k for k in dict.fromkeys(config.models) if k != BASELINE_KEY]
    return [get_model_spec(problem.task, key) for key in keys]


def _prepare_test_df(
    test_df: pd.DataFrame, train: pd.DataFrame, problem: ProblemConfig, features: FeatureConfig
) -> pd.DataFrame:
    if problem.target not in test_df.columns:
        raise DataError(f"The test table has no target column '{problem.target}'; add it or use a random split.")
    kinds = get_feature_kinds(train, problem, features)
    used = kinds["numeric"] + kinds["categorical"] + kinds["datetime"]
    missing = [c for c in used if c not in test_df.columns]
    if missing:
        shown = ", ".join(f"'{c}'" for c in missing[:10])
        raise DataError(f"The test table lacks the feature columns {shown}; give it the same columns as the training data.")
    test = test_df[test_df[problem.target].notna()]
    if test.empty:
        raise DataError(f"The test table has no row with a value for '{problem.target}'; add labelled rows.")
    if not test.index.is_unique:
        test = test.reset_index(drop=True)
    if problem.task == "regression":
        if pd.to_numeric(test[problem.target], errors="coerce").isna().any():
            raise DataError(f"The test table's '{problem.target}' has values that are not numbers; clean them first.")
    elif problem.task == "binary":
        unseen = set(to_label_strings(test[problem.target]).dropna()) - set(to_label_strings(train[problem.target]).dropna())
        if unseen:
            shown = ", ".join(f"'{c}'" for c in sorted(unseen)[:5])
            raise DataError(
                f"The test table's '{problem.target}' has classes never seen in training ({shown}); "
                "make the labels match (same spelling and case)."
            )
    return test


def _usable_splits(
    splitter: Any, X: pd.DataFrame, y: np.ndarray, problem: ProblemConfig, validation: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    """All folds, minus (for classification) those whose training part has a single class."""
    splits = list(splitter.split(X, y if problem.family == "classification" else None))
    if problem.family == "classification":
        splits = [(tr, va) for tr, va in splits if len(np.unique(y[tr])) >= 2]
    if not splits:
        hint = "use fewer folds or a random split" if validation == "time-split" else "add rows of the rare class"
        raise DataError(f"Every cross-validation fold trains on a single class, so no model can learn; {hint}.")
    return splits


def _prepare_folds(
    preprocessor: ColumnTransformer,
    splits: list[tuple[np.ndarray, np.ndarray]],
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_test: pd.DataFrame,
    tracker: _Progress,
) -> tuple[list[_Fold], ColumnTransformer, np.ndarray, np.ndarray]:
    try:
        folds = []
        for i, (tr, va) in enumerate(splits, start=1):
            tracker.step(f"Preparing features (fold {i}/{len(splits)})")
            fold_pre = clone(preprocessor)
            X_fit = fold_pre.fit_transform(X_train.iloc[tr], y_train[tr])
            folds.append(_Fold(X_fit, y_train[tr], fold_pre.transform(X_train.iloc[va]), y_train[va]))
        tracker.step("Preparing features (all training rows)")
        full = clone(preprocessor)
        Xt_train = full.fit_transform(X_train, y_train)
        Xt_test = full.transform(X_test)
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"The features could not be prepared ({exc}); check the column types in the Data stage."
        ) from exc
    return folds, full, Xt_train, Xt_test


def evaluate_model(
    spec: ModelSpec,
    data: PreparedData,
    tracker: _Progress | None = None,
    *,
    params: dict[str, Any] | None = None,
    name: str | None = None,
) -> ModelResult:
    """Cross-validate ``spec`` (with ``params`` set on top of its defaults) on the shared folds,
    refit it on all training rows and score it once on the holdout. A failure becomes ``error``."""
    tracker = tracker or _Progress(None, 1)
    name = name or spec.name
    label = name[0].lower() + name[1:]
    problem = data.problem
    try:
        tracker.step(f"Cross-validating {label} ({len(data.folds)} folds)", steps=len(data.folds))
        cv_scores = cross_validate(spec, data, params)
        if all(math.isnan(s) for s in cv_scores):
            raise DataError(f"its {problem.metric} is undefined on every fold (a fold holds one class only)")

        tracker.step(f"Refitting {label} on all training rows")
        with _quiet_single_threaded():
            started = time.perf_counter()
            model = make_model(spec, data, params, data.y_train).fit(data.Xt_train, data.y_train)
            fit_seconds = time.perf_counter() - started
            pipeline = Pipeline([("preprocess", copy.deepcopy(data.preprocessor)), ("model", model)])
            started = time.perf_counter()
            # Preprocess once for both predict and predict_proba (as a serving call would).
            test_pred, test_scores = predict_scores(problem, model, data.preprocessor.transform(data.X_test))
            predict_ms_per_row = 1000 * (time.perf_counter() - started) / max(len(data.X_test), 1)
    except Exception as exc:  # one model failing must not sink the leaderboard
        return _failed_result(spec, f"{name} could not be trained: {exc}", name)
    return ModelResult(
        key=spec.key,
        name=name,
        cv_scores=cv_scores,
        cv_score=float(np.nanmean(cv_scores)),
        test_metrics=compute_metrics(problem, data.y_test, test_pred, test_scores),
        fit_seconds=fit_seconds,
        predict_ms_per_row=predict_ms_per_row,
        params=_simple_params(model),
        pipeline=pipeline,
        test_scores=test_scores,
        test_pred=test_pred,
    )


def cross_validate(spec: ModelSpec, data: PreparedData, params: dict[str, Any] | None = None) -> list[float]:
    """The metric on each fold, folds fitted two at a time (both cores). Each fit is single-threaded
    and seeded, so the scores do not depend on which thread ran which fold."""
    def score_fold(fold: _Fold) -> float:
        model = make_model(spec, data, params, fold.y_train)
        if model.get_params().get("n_jobs") not in (None, 1):
            model.set_params(n_jobs=1)  # the folds already run in parallel
        # OpenMP's thread count is per thread: the limit set around the pool does not reach its workers.
        with threadpool_limits(limits=1, user_api="openmp"):
            model.fit(fold.X_train, fold.y_train)
            y_pred, y_score = predict_scores(data.problem, model, fold.X_valid)
        return compute_metric(data.problem.metric, fold.y_valid, y_pred, y_score)

    # The thread-pool limits and warning filters are process-wide: set them once, around all the threads.
    with _quiet_single_threaded():
        return list(Parallel(n_jobs=min(N_JOBS, len(data.folds)), backend="threading")(
            delayed(score_fold)(fold) for fold in data.folds))


@contextmanager
def _quiet_single_threaded() -> Iterator[None]:
    # One OpenMP/BLAS thread per fit: on a shared 2-core machine, multi-threaded gradient boosting
    # spin-waits for busy cores and runs 3-5x slower than single-threaded.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        yield


def make_model(spec: ModelSpec, data: PreparedData, params: dict[str, Any] | None, y: np.ndarray) -> Any:
    """A fresh estimator with ``params`` on top of the family's defaults, shrunk where small data would
    break it: kNN asks for at most as many neighbours as there are rows; the SVM's calibration uses at
    most as many folds as the rarest class has rows."""
    model = spec.make(data.problem.task, data.config.seed, data.config.class_weight)
    if params:
        try:
            model.set_params(**params)
        except ValueError as exc:
            raise ConfigError(f"{spec.name} does not take these settings ({exc}); check the search space.") from None
    current = model.get_params()
    if "n_neighbors" in current and current["n_neighbors"] > len(y):
        model.set_params(n_neighbors=max(1, len(y)))
    if isinstance(current.get("cv"), int) and data.problem.family == "classification":
        smallest_class = int(np.unique(y, return_counts=True)[1].min())
        model.set_params(cv=max(2, min(current["cv"], smallest_class)))
    return model


def _failed_result(spec: ModelSpec, error: str, name: str | None = None) -> ModelResult:
    return ModelResult(
        key=spec.key, name=name or spec.name, cv_scores=[], cv_score=float("nan"), test_metrics={},
        fit_seconds=float("nan"), predict_ms_per_row=float("nan"), params={}, pipeline=None,
        test_scores=np.array([]), test_pred=np.array([]), error=error,
    )


def _simple_params(model: Any) -> dict[str, Any]:
    """The estimator's hyper-parameters that are plain JSON values."""
    return {k: v for k, v in model.get_params().items() if isinstance(v, (bool, int, float, str, type(None)))}


def _rank_key(result: ModelResult, metric: str) -> tuple[bool, float]:
    if not result.ok or math.isnan(result.cv_score):
        return (True, 0.0)
    return (False, -result.cv_score if is_higher_better(metric) else result.cv_score)


def _get_classes(problem: ProblemConfig, y: pd.Series) -> list:
    if problem.task == "regression":
        return []
    labels = sorted(to_label_strings(y).dropna().unique())
    if problem.task == "binary":
        positive = str(problem.positive_class)
        negatives = [c for c in labels if c != positive]
        return [negatives[0] if negatives else "other", positive]
    return labels


def _describe_baseline(problem: ProblemConfig, y_train: np.ndarray, classes: list) -> str:
    """What the baseline always predicts, in words, for captions."""
    if problem.task == "regression":
        return f"the average ({format_metric_value('rmse', float(np.mean(y_train)))})"
    values, counts = np.unique(y_train, return_counts=True)
    most_common = values[np.argmax(counts)]
    label = classes[int(most_common)] if problem.task == "binary" else most_common
    return f"'{label}'"
