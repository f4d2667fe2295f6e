"""The vocabulary every explainer shares: the tasks, the explainer names, what an explainer is given
(``ExplainContext``) and what it hands back (``PartialExplanation``). A module of its own so the
explainers, the feature bookkeeping and ``explain_model`` can all use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

TASKS = ("binary", "multiclass", "regression")
EXPLAINER_TREE = "tree (exact)"
EXPLAINER_LINEAR = "linear"
EXPLAINER_PERMUTATION = "permutation"
EXPLAINER_BASELINE = "none (baseline)"


@dataclass
class ExplainContext:
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
class PartialExplanation:
    """What one explainer produced, before it becomes an Explanation."""

    positions: np.ndarray  # positions in X of the explained rows
    shap_values: np.ndarray  # (rows, features) at input level
    features: list[str]
    base_value: float
    explainer: str
    output: str
    method_note: str
    capped: bool = False
