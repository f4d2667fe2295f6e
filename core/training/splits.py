"""Validation splits: the holdout (random, stratified, latest rows or whole groups) and the
cross-validation splitter over the training rows, chosen from the problem (``choose_validation``):
- ``time-split`` when the problem has a time column: the holdout is the latest rows and every
  CV fold trains only on rows strictly earlier than the rows it is scored on;
- ``group-kfold`` when rows share an entity (``ProblemConfig.group_column``, e.g. a customer ID):
  no entity is ever on both sides of the holdout or of a fold;
- ``stratified-kfold`` (classification) / ``kfold`` (regression) otherwise, with plain-sentence
  warnings (``caveats``) when a date column or a repeated ID suggests that a random split flatters the score.
How rows are split and nothing else: its own module so a new strategy touches one place.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    StratifiedGroupKFold,
    StratifiedKFold,
    TimeSeriesSplit,
    train_test_split,
)

from core.data.dates import parse_datetimes
from core.i18n import _
from core.problem.definition import (
    ProblemConfig,
    describe_id_like_target,
    to_label_strings,
)
from core.training.caveats import get_validation_warnings, suggest_group_column
from core.training.config import TrainConfig
from core.workspace.errors import ConfigError, DataError


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
            _(
                "The splitter was made for {n} rows but got {n2}; make it again from these rows (its {what} are bound to the rows it was made from)."
            ).format(n=len(bound), n2=len(X), what=what)
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
            _(
                "A group k-fold needs a group column (an ID shared by several rows, such as a customer ID) and none was found; choose one in the problem or another validation."
            )
        )
    return replace(problem, group_column=column)


def choose_validation(df: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> ValidationPlan:
    """How this data is validated: the holdout, the CV splitter (over the holdout's training rows,
    in ``holdout.train_index`` order), its name and plain-sentence warnings about leaky splits."""
    problem = with_group_column(df, problem, config)
    known = df[df[problem.target].notna()]
    holdout = split_holdout(known, problem, config)
    return plan_cross_validation(known, known.loc[holdout.train_index], problem, config, holdout)


def plan_cross_validation(
    known: pd.DataFrame, train: pd.DataFrame, problem: ProblemConfig, config: TrainConfig, holdout: HoldoutSplit
) -> ValidationPlan:
    splitter, name = choose_cv(train, problem, config)
    id_target = describe_id_like_target(known[problem.target])
    return ValidationPlan(
        holdout, splitter, name, ([id_target] if id_target else []) + get_validation_warnings(known, problem, name)
    )


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
                known.index,
                test_size=n_test,
                random_state=config.seed,
                stratify=to_label_strings(known[problem.target]),
            )
            return HoldoutSplit(pd.Index(train), pd.Index(test), "stratified-split")
        except ValueError:
            pass  # a class too small to appear on both sides: fall back to a plain random split
    train, test = train_test_split(known.index, test_size=n_test, random_state=config.seed)
    return HoldoutSplit(pd.Index(train), pd.Index(test), "random-split")


def _check_enough_rows(n_rows: int, n_test: int) -> None:
    if n_rows - n_test < 2:
        raise DataError(
            _("Only {n_rows} rows have a target; too few to hold out a test set. Add more data.").format(n_rows=n_rows)
        )


def _split_by_time(known: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> HoldoutSplit:
    times = parse_datetimes(known[problem.time_column]).dropna().sort_values(kind="stable")
    n_test = max(1, math.ceil(config.test_size * len(times)))
    n_train = 0
    if len(times) - n_test >= 2:
        # Rows sharing the boundary time all go to the test set: training never sees that moment.
        n_train = int(np.searchsorted(times.to_numpy(), times.to_numpy()[len(times) - n_test], side="left"))
    if n_train < 2:
        raise DataError(
            _(
                "Only {n_train} of the {n} rows with both a target and a readable '{time_column}' are earlier than the latest ones; too few for a time split. Add data or remove the time column."
            ).format(n_train=n_train, n=len(times), time_column=problem.time_column)
        )
    return HoldoutSplit(pd.Index(times.index[:n_train]), pd.Index(times.index[n_train:]), "time-split")


def _split_by_group(known: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> HoldoutSplit:
    """Whole groups held out: stratified by class when possible, so a rare class reaches the test set."""
    assert problem.group_column is not None  # group-kfold is resolved only with one (with_group_column)
    groups = get_group_values(known, problem.group_column)
    n_groups = len(set(groups))
    if n_groups < 3:
        raise DataError(
            _(
                "The group column '{group_column}' has only {n_groups} distinct values among the rows with a target; at least 3 are needed to hold out whole groups. Choose a column that identifies more entities."
            ).format(group_column=problem.group_column, n_groups=n_groups)
        )
    positions = np.arange(len(known))
    splits = []
    if problem.family == "classification":
        n_splits = min(max(2, round(1 / config.test_size)), n_groups)
        labels = to_label_strings(known[problem.target]).to_numpy()
        try:
            splits.append(
                next(
                    StratifiedGroupKFold(n_splits, shuffle=True, random_state=config.seed).split(
                        positions, labels, groups
                    )
                )
            )
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
    assert problem.group_column is not None  # group-kfold is resolved only with one (with_group_column)
    groups = get_group_values(df_train, problem.group_column)
    n_groups = len(set(groups))
    if n_groups < 2:
        raise DataError(
            _(
                "The training rows hold only {n_groups} value of the group column '{group_column}'; group k-fold needs at least 2. Choose a column that identifies more entities, or another validation."
            ).format(n_groups=n_groups, group_column=problem.group_column)
        )
    folds = min(config.cv_folds, n_groups)
    if problem.family == "classification":
        smallest_class = int(to_label_strings(df_train[problem.target]).value_counts().min())
        if smallest_class >= folds:
            return GroupedSplit(StratifiedGroupKFold(folds, shuffle=True, random_state=config.seed), groups)
    return GroupedSplit(GroupKFold(folds, shuffle=True, random_state=config.seed), groups)
