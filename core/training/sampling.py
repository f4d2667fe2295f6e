"""Large tables: the stratified sample of rows the models compete on, and the sentence that says
so. (Refitting the best model on every row afterwards is the trainer's: ``refit_on_all_training_rows``.)"""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from core.formatting import format_count
from core.i18n import _
from core.problem.definition import ProblemConfig, to_label_strings


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
    sample = _("a stratified sample") if problem.family == "classification" else _("a random sample")
    parts = []
    if n_train < n_train_all:
        parts.append(
            _("the models learned from {sample} of {n_train} of the {n_train_all} training rows (tuning too)").format(
                sample=sample, n_train=format_count(n_train), n_train_all=format_count(n_train_all)
            )
        )
    if n_test < n_test_all:
        parts.append(
            (
                _("were scored on {n_test} of the {n_test_all} held-out rows")
                if parts
                else _("the models were scored on {n_test} of the {n_test_all} held-out rows")
            ).format(n_test=format_count(n_test), n_test_all=format_count(n_test_all))
        )
    return _(
        "The table is large, so {join}; the scores stay honest, as the held-out rows are never learned from."
    ).format(join=_(" and ").join(parts))
