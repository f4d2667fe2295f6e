"""Comparable scores of two multi-class models. A multi-class answer's score is the probability of the
class it predicts, so when the two models predict different classes their scores are probabilities of
different things: a challenger 0.9 sure of "b" against a champion 0.6 sure of "a" is not "0.3 more
confident". The shadow's score difference and the canary's score guardrail compare instead the
probability each model gives the champion's predicted class (the champion's own score is already that)."""

from __future__ import annotations

from typing import Any

import numpy as np

from core.deployment.served_model import ServedModel


def class_probabilities(model: ServedModel, rows: Any, classes: Any) -> np.ndarray:
    """Per row, the probability ``model`` gives the class named on that row of ``classes``; NaN where
    it cannot read the row or has never seen the class (a champion's error: an empty class)."""
    X, problems = model.read(rows)
    n = len(X)
    out = np.full(n, np.nan)
    usable = np.ones(n, dtype=bool)
    usable[[p.row for p in problems if p.row is not None]] = False
    if not usable.any():
        return out
    try:
        proba = np.asarray(model.pipeline.predict_proba(X.loc[usable]), dtype=float)
    except ValueError:  # a value too large to compute with: only its own answer says so
        return out
    column = {str(c): j for j, c in enumerate(model.pipeline.classes_)}
    wanted = np.array([column.get(str(c), -1) for c in np.asarray(classes, dtype=object)[usable]], dtype=int)
    picked = proba[np.arange(len(wanted)), np.maximum(wanted, 0)]
    out[usable] = np.where(wanted >= 0, picked, np.nan)
    return out


def challenger_scores_of_champion_class(
    champion: ServedModel, challenger: ServedModel, rows: Any, champion_predictions: Any, challenger_scores: Any
) -> np.ndarray:
    """The challenger's scores to set beside the champion's: for multi-class models its probability of
    the champion's predicted class on each row; for others (P(positive), a value) its own scores as given."""
    if champion.task != "multiclass":
        return np.asarray(challenger_scores, dtype=float)
    return class_probabilities(challenger, rows, champion_predictions)
