"""The plain sentences a leaderboard carries about its own reliability: a split that leaks (random
folds over dated rows, or over rows that share an entity's ID), a rare class, too few rows. Apart
from the splits so the wording can change without touching how rows are split."""

from __future__ import annotations

import math
import re

import pandas as pd

from core.data.columns import (
    ID_NAME_ENDINGS,
    ID_NAME_WORDS,
    is_named_like_id,
    looks_like_group_id,
)
from core.data.dates import looks_like_datetime
from core.formatting import format_as
from core.i18n import _
from core.problem.definition import (
    ProblemConfig,
    resolve_positive_class,
    to_label_strings,
)

# A class is "rare" below this share of the rows it would have if all classes were equally
# common: 20% for a binary target, 10% of the rows with four classes.
RARE_CLASS_SHARE_OF_FAIR = 0.4
# Fewer rows (training plus holdout) than this and the scores are rough: the leaderboard says so.
FEW_ROWS = 300
_POSITIVE_WORDS = ("1", "yes", "true", "y", "positive", "pos")


# ---------------------------------------------------------------- leak warnings


def suggest_group_column(df: pd.DataFrame, problem: ProblemConfig) -> str | None:
    """The key of an entity with several rows (``columns.looks_like_group_id``), e.g. the customer
    of a transaction, preferring one named like an ID; None when there is none. Rows of one entity
    resemble each other, so they must not be split between training and test."""
    candidates = [
        c for c in df.columns if c not in (problem.target, problem.time_column) and looks_like_group_id(df[c])
    ]
    named = [c for c in candidates if is_named_like_id(c)]
    return (named or candidates or [None])[0]


def _entity_word(column: str) -> str:
    """customer_id → customer; CustomerID → customer; anything else → entity."""
    words = [w for w in re.split(r"[_\-\s]+|(?<=[a-z])(?=[A-Z])", str(column)) if w]
    kept = [w.lower() for w in words if w.lower() not in ID_NAME_WORDS + ID_NAME_ENDINGS]
    return " ".join(kept) if kept else _("entity")


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
                    _(
                        "{column} is the time column but the folds are random, which lets the model learn from the future; choose the validation 'auto' or 'time-split' to evaluate on later rows."
                    ).format(column=column)
                )
            else:
                found.append(
                    _(
                        "{column} looks like a time: a random split lets the model learn from the future; set it as the time column to evaluate on the latest rows."
                    ).format(column=column)
                )
    if validation in ("stratified-kfold", "kfold"):
        column = problem.group_column or suggest_group_column(df, problem)
        if column is not None:
            counts = df[column].dropna().value_counts()
            entity = _entity_word(column)
            found.append(
                _(
                    "{column} repeats: {sum} of its {n} values have several rows, and a random split puts rows of the same {entity} in both training and test, which flatters the score; set it as the group column to keep each {entity} on one side."
                ).format(
                    column=column,
                    sum=format_as(int((counts >= 2).sum()), ","),
                    n=format_as(len(counts), ","),
                    entity=entity,
                )
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
    sentence = _(
        "Only {value} rows were used ({n_train} to train, {n_test} to test): scores from so few rows are rough"
    ).format(value=format_as(n_train + n_test, ","), n_train=format_as(n_train, ","), n_test=format_as(n_test, ","))
    if problem.family == "classification":
        sentence += _(" (a score measured on {n_test} rows can be off by about ±{value})").format(
            n_test=format_as(n_test, ","), value=format_as(1 / math.sqrt(max(n_test, 1)), ".2f")
        )
    return sentence + (
        _(" and the ranking of the models may be chance; collect a few hundred rows or more before relying on them.")
    )


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
        sentence = _(
            "Only {percent} of rows are {what}: accuracy would be {percent2} for a model that never flags anything; judge by PR-AUC and balanced accuracy"
        ).format(percent=_percent(rare_share), what=what, percent2=_percent(1 - rare_share))
    else:
        shares = counts / counts.sum()
        rarest = shares.index[-1]
        if shares.iloc[-1] >= limit:
            return None
        sentence = _(
            "Only {percent} of rows are '{rarest}': always predicting '{value}' would already be {percent2} accurate; judge by macro F1 and balanced accuracy"
        ).format(
            percent=_percent(shares.iloc[-1]), rarest=rarest, value=shares.index[0], percent2=_percent(shares.iloc[0])
        )
    if class_weight == "balanced":
        return sentence + _("; class weights are on, so rare rows count as much as common ones in training.")
    return sentence + _(", and consider class weights.")


def _describe_positive(target: str, positive: str) -> str:
    """is_fraud = 1 → "fraud"; churn = Yes → "churn"; status = Churned → "'Churned'"."""
    if positive.lower() not in _POSITIVE_WORDS:
        return f"'{positive}'"
    name = re.sub(r"^(is|has|was|did)[_\s]+", "", str(target), flags=re.IGNORECASE)
    return name.replace("_", " ")


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%" if share < 0.1 or share > 0.9 else f"{100 * share:.0f}%"
