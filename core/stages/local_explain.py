"""One row, explained locally: the smallest changes that would flip a run's decision on it
(counterfactuals) and a second local method beside its SHAP values. Loads the run's model and its
training rows (the distribution the search and the perturbations draw from), and
calls ``core.explain.counterfactual`` and ``core.explain.local_surrogate``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from core import registry
from core.data import datasets
from core.explain.counterfactual import CounterfactualResult, DecisionModel, find_counterfactuals
from core.explain.immutable import default_immutable
from core.explain.local_surrogate import (
    Agreement,
    LocalSurrogate,
    compare_local_methods,
    explain_row,
    fit_local_surrogate,
    get_used_features,
)
from core.i18n import _
from core.problem.definition import ProblemConfig
from core.problem.store import get_experiment_problem, get_problem
from core.stages.release import get_class_labels, suggest_decision_threshold
from core.training import tracking
from core.workspace.database import Workspace
from core.workspace.errors import DataError

REFERENCE_ROWS = 2000  # training rows the search's quantiles and the surrogate's samples come from


@dataclass(frozen=True)
class RunModel:
    """A run's model as it decides, and the training rows its rows are compared with."""

    pipeline: Any
    model: DecisionModel
    problem: ProblemConfig
    reference: pd.DataFrame  # training rows, the model's input columns
    input_columns: list[str]  # every input column, in the model's order
    features: list[str]  # the input columns the model uses (what may be changed)
    fixed_by_default: list[str] = field(default_factory=list)  # kept unless the user ticks them (age, gender...)


def load_run_model(ws: Workspace, project_id: int, run_id: int) -> RunModel:
    """The run's model with its decision threshold and class names, and a sample of its training rows."""
    run = tracking.get_run(ws, run_id)
    experiment = tracking.get_experiment(ws, run["experiment_id"])
    problem = get_experiment_problem(experiment)
    pipeline = tracking.load_run_model(ws, run_id)
    data = datasets.load_dataset(ws, experiment["dataset_id"])
    columns = [str(c) for c in getattr(pipeline, "feature_names_in_", data.drop(columns=[problem.target]).columns)]
    threshold = 0.5
    if problem.task == "binary":
        version = registry.get_version_of_run(ws, project_id, run_id)
        threshold = (
            registry.get_decision_threshold(version)
            if version is not None
            else suggest_decision_threshold(ws, experiment, run_id)
        )
    model = DecisionModel.from_pipeline(
        pipeline,
        problem.task,
        class_names=get_class_labels(data, problem) if problem.task == "binary" else None,
        threshold=threshold,
        target_name=problem.target,
    )
    used = get_used_features(pipeline, columns)
    current = get_problem(ws, project_id)
    sensitive = [problem.sensitive_column, current.sensitive_column if current is not None else None]
    fixed = default_immutable(used, sensitive, data)
    return RunModel(pipeline, model, problem, sample_reference(data, columns), columns, used, fixed)


def _one_row(loaded: RunModel, row: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in loaded.input_columns if c not in row.columns]
    if len(row) != 1 or missing:
        raise DataError(
            _("Explain one row with every input of the model")
            + (_("; missing: {join}.").format(join=", ".join(missing[:5])) if missing else _("; choose one row."))
        )
    return row[loaded.input_columns]


def sample_reference(data: pd.DataFrame, features: list[str], rows: int = REFERENCE_ROWS) -> pd.DataFrame:
    """Up to ``rows`` training rows (a seeded sample), the model's input columns only."""
    present = [f for f in features if f in data.columns]
    frame = data[present]
    if len(frame) > rows:
        frame = frame.iloc[np.sort(np.random.default_rng(0).choice(len(frame), rows, replace=False))]
    return frame.reset_index(drop=True)


def stage_counterfactual(
    ws: Workspace,
    project_id: int,
    run_id: int,
    row: pd.DataFrame,
    *,
    actionable: Sequence[str],
    desired_class: str | None = None,
    target_value: float | None = None,
) -> CounterfactualResult:
    """The smallest changes to the actionable features of one row (a one-row table of the model's
    inputs: a holdout row or one typed in) that make the run's model say ``desired_class`` (or reach
    ``target_value``), each checked against the model."""
    return counterfactual_for(
        load_run_model(ws, project_id, run_id),
        row,
        actionable=actionable,
        desired_class=desired_class,
        target_value=target_value,
    )


def counterfactual_for(
    loaded: RunModel,
    row: pd.DataFrame,
    *,
    actionable: Sequence[str],
    desired_class: str | None = None,
    target_value: float | None = None,
) -> CounterfactualResult:
    """``stage_counterfactual`` with the run's model already loaded (a page keeps it between reruns)."""
    return find_counterfactuals(
        loaded.model,
        _one_row(loaded, row),
        loaded.reference,
        actionable=actionable,
        desired_class=desired_class,
        target_value=target_value,
    )


@dataclass(frozen=True)
class LocalMethods:
    shap: pd.Series  # per input column, in ``units``
    base_value: float
    surrogate: LocalSurrogate
    agreement: Agreement
    units: str  # "probability" or the regression target's name
    explained: str  # what the numbers are of: "probability of 'Yes'", "predicted price"


def stage_local_methods(ws: Workspace, project_id: int, run_id: int, row: pd.DataFrame) -> LocalMethods:
    """SHAP and a LIME-style local surrogate for one row, in the same units (the probability of the
    positive or predicted class, or the predicted value), and where they agree."""
    return local_methods_for(load_run_model(ws, project_id, run_id), row)


def local_methods_for(loaded: RunModel, row: pd.DataFrame) -> LocalMethods:
    """``stage_local_methods`` with the run's model already loaded."""
    return explain_locally(loaded.pipeline, loaded.model, _one_row(loaded, row), loaded.reference)


def explain_locally(pipeline: Any, model: DecisionModel, row: pd.DataFrame, reference: pd.DataFrame) -> LocalMethods:
    """``stage_local_methods`` for any fitted pipeline, row and training rows."""
    task = model.task
    if task == "regression":
        index, explained = 0, f"predicted {model.target_name or 'value'}"

        def predict(frame: pd.DataFrame) -> np.ndarray:
            return np.asarray(pipeline.predict(frame), dtype=float)

    else:
        labels, _scores = model.decide(row)
        index = 1 if task == "binary" else model.class_names.index(str(labels[0]))
        explained = f"probability of '{model.class_names[index]}'"  # i18n: skip (a code: output_words shows it)

        def predict(frame: pd.DataFrame) -> np.ndarray:
            return np.asarray(pipeline.predict_proba(frame), dtype=float)[:, index]

    with threadpool_limits(limits=1):  # a few model calls on small tables: threads only add overhead
        shap, base = explain_row(pipeline, row, reference, task, class_index=index)
        surrogate = fit_local_surrogate(predict, row, reference, features=list(shap.index))
    units = model.target_name or "value" if task == "regression" else "probability"
    return LocalMethods(shap, base, surrogate, compare_local_methods(shap, surrogate.contributions), units, explained)
