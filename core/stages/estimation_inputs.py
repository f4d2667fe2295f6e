"""What a served model gives the estimate of its performance before labels (``monitoring.estimation``),
row by row: a multi-class model's probability of every class, a regression's encoded inputs. Both read
the rows as the endpoint does (``ServedModel.read``: the recipe's value fixes, numbers and dates)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from joblib import parallel_config
from sklearn.pipeline import Pipeline

from core.deployment.served_model import ServedModel


def class_probability_reader(model: ServedModel) -> Callable[[pd.DataFrame], np.ndarray]:
    """rows → their probability of each class (n × k), the columns in ``model.classes``' order."""

    def read(rows: pd.DataFrame) -> np.ndarray:
        X, _labels = model.read(rows)
        with parallel_config(backend="sequential"):  # forests: the same sums every run (see predict_scores)
            proba = np.asarray(model.pipeline.predict_proba(X), dtype=float)
        fitted = [str(c) for c in model.pipeline.classes_]
        return proba[:, [fitted.index(c) for c in model.classes]]

    return read


def encoded_input_reader(model: ServedModel) -> Callable[[pd.DataFrame], np.ndarray]:
    """rows → the model's inputs as its last step sees them (after its preprocessing), as numbers."""
    pipeline = model.pipeline
    encode = pipeline[:-1] if isinstance(pipeline, Pipeline) and len(pipeline.steps) > 1 else None

    def read(rows: pd.DataFrame) -> np.ndarray:
        X, _labels = model.read(rows)
        if encode is None:
            return X.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
        features = encode.transform(X)
        return np.asarray(features.toarray() if hasattr(features, "toarray") else features, dtype=float)

    return read
