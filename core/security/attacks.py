"""Evasion and adversarial training as stages, on the project's deployed model.

``stage_evasion`` measures how easily the deployed model's rejected holdout rows flip within a budget
(``core.security.evasion``). ``stage_adversarial_training`` retrains the same model family (a clone
of the run's pipeline, same settings) on its training rows plus perturbed copies inside the budget and
the flips the search finds on training rows, each with its true label kept, then measures both models
the same way, side by side with the project's metric (and accuracy) on the same holdout. Both run as
jobs with progress; results are saved by run id (a row of ``evaluation_checks``, like the lab's
checks), so a refresh or another session shows them again without recomputing. The hardened model is
a result to compare, not a registered version: to deploy it, retrain with the same idea in Train.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from core.data import datasets
from core.deployment import serving
from core.explain.counterfactual import DecisionModel
from core.i18n import _
from core.problem.definition import encode_target
from core.security.evasion import (
    DEFAULT_MAX_ROWS,
    EvasionBudget,
    EvasionResult,
    check_budget,
    default_budget,
    measure_evasion,
    perturb,
)
from core.stages.local_explain import RunModel, load_run_model
from core.training import tracking
from core.training.metrics import compute_metric, predict_scores
from core.workspace.database import Workspace, now
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.jobs import start_job
from core.workspace.progress import Progress

EVASION = "evasion"
ADVERSARIAL = "adversarial"
EVASION_JOB = "security-evasion"
ADVERSARIAL_JOB = "security-adversarial"
TRAINING_ROWS_SEARCHED = 25  # training rows the search hardens the model against (each costs a search)
REPEAT_FOUND = 5  # copies of each flip found on a training row added to the training rows


@dataclass(frozen=True)
class Deployed:
    """The model that answers the project's live deployment, loaded for an attack."""

    run_id: int
    version: dict[str, Any]
    loaded: RunModel
    holdout: pd.DataFrame  # the run's holdout rows, target included

    @property
    def X(self) -> pd.DataFrame:
        return self.holdout[[c for c in self.loaded.input_columns if c in self.holdout.columns]]


def load_deployed(ws: Workspace, project_id: int) -> Deployed:
    """The deployed model (the version answering the live deployment) with its run's holdout; a
    NotFoundError when nothing is deployed."""
    deployment = serving.get_active_deployment(ws, project_id)
    if deployment is None:
        raise NotFoundError(_("Nothing is deployed for this project yet; deploy a model on the Deploy page first."))
    version = serving.get_serving_version(ws, deployment)
    run_id = int(version["run_id"])
    loaded = load_run_model(ws, project_id, run_id)
    if loaded.problem.task == "regression":
        raise ConfigError(
            _("Evasion is measured for a model that decides between classes; this one predicts a number (regression).")
        )
    experiment = tracking.get_experiment(ws, tracking.get_run(ws, run_id)["experiment_id"])
    return Deployed(run_id, version, loaded, tracking.load_holdout(ws, experiment))


def suggested_budget(deployed: Deployed, fraction: float = 0.1) -> EvasionBudget:
    """Every number the person may change moves ``fraction`` of its spread; every category may change;
    immutable features (age, gender, dates, the sensitive column) never."""
    loaded = deployed.loaded
    return default_budget(loaded.reference, loaded.features, loaded.fixed_by_default, fraction=fraction)


def measure_deployed(
    deployed: Deployed,
    budget: EvasionBudget,
    *,
    desired_class: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    progress: Progress | None = None,
    model: DecisionModel | None = None,
) -> EvasionResult:
    loaded = deployed.loaded
    with threadpool_limits(limits=1):
        return measure_evasion(
            model or loaded.model,
            deployed.X,
            loaded.reference,
            budget,
            desired_class=desired_class,
            immutable=loaded.fixed_by_default,
            max_rows=max_rows,
            progress=progress,
        )


def stage_evasion(
    ws: Workspace,
    project_id: int,
    budget: EvasionBudget,
    *,
    desired_class: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Measure the deployed model's evasion and save it by run id; returns ``{"run_id", "result"}``."""
    deployed = load_deployed(ws, project_id)
    result = measure_deployed(deployed, budget, desired_class=desired_class, max_rows=max_rows, progress=progress)
    saved = {"run_id": deployed.run_id, "version_id": deployed.version["id"], "result": result.to_dict()}
    _save(ws, deployed.run_id, EVASION, saved)
    return saved


def training_rows(ws: Workspace, deployed: Deployed) -> pd.DataFrame:
    """The rows the run was trained on: its dataset's labelled rows that are not in its holdout."""
    run = tracking.get_run(ws, deployed.run_id)
    experiment = tracking.get_experiment(ws, run["experiment_id"])
    data = datasets.load_dataset(ws, experiment["dataset_id"])
    target = deployed.loaded.problem.target
    data = data[data[target].notna()].reset_index(drop=True)
    common = [c for c in data.columns if c in deployed.holdout.columns]
    held = set(pd.util.hash_pandas_object(deployed.holdout[common], index=False).tolist())
    keys = pd.util.hash_pandas_object(data[common], index=False).to_numpy()
    return data[~np.isin(keys, list(held))].reset_index(drop=True)


def stage_adversarial_training(
    ws: Workspace,
    project_id: int,
    budget: EvasionBudget,
    *,
    desired_class: str | None = None,
    max_rows: int = DEFAULT_MAX_ROWS,
    progress: Progress | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Retrain the deployed run's model family on its training rows augmented with perturbations inside
    ``budget`` (labels kept), then measure evasion and the project's metric for both models on the same
    holdout. Saved by run id; returns the saved dict (``before``, ``after``, ``metric``, …)."""
    report = progress or (lambda fraction, message: None)
    deployed = load_deployed(ws, project_id)
    loaded = deployed.loaded
    problem = loaded.problem
    budget = check_budget(budget, loaded.input_columns, loaded.fixed_by_default)
    report(0.02, _("Measuring the deployed model…"))
    before = measure_deployed(
        deployed, budget, desired_class=desired_class, max_rows=max_rows, progress=_part(report, 0.02, 0.35)
    )
    train = training_rows(ws, deployed)
    X_train = train[loaded.input_columns]
    y_train = encode_target(train[problem.target], problem)
    report(0.35, _("Looking for flips on training rows to learn from…"))
    found = _flips_on_training_rows(deployed, X_train, y_train, budget, before.desired, seed)
    perturbed = perturb(X_train, loaded.reference, budget, seed=seed)
    X_aug = pd.concat([X_train, perturbed, *([found[0]] * REPEAT_FOUND)], ignore_index=True)
    y_aug = np.concatenate([y_train, y_train, *([found[1]] * REPEAT_FOUND)])
    report(0.55, _("Retraining the same model on {rows} rows…").format(rows=len(X_aug)))
    with threadpool_limits(limits=1):
        hardened = clone(loaded.pipeline).fit(X_aug, y_aug)
    model = DecisionModel.from_pipeline(
        hardened, problem.task, class_names=loaded.model.class_names, threshold=loaded.model.threshold
    )
    report(0.65, _("Measuring the retrained model…"))
    after = measure_deployed(
        deployed,
        budget,
        desired_class=before.desired,
        max_rows=max_rows,
        progress=_part(report, 0.65, 0.98),
        model=model,
    )
    metric = problem.metric
    saved = {
        "run_id": deployed.run_id,
        "version_id": deployed.version["id"],
        "budget": budget.to_dict(),
        "metric": metric,
        "metric_before": _holdout_metric(deployed, loaded.pipeline, loaded.model, metric),
        "metric_after": _holdout_metric(deployed, hardened, model, metric),
        "accuracy_before": _holdout_metric(deployed, loaded.pipeline, loaded.model, "accuracy"),
        "accuracy_after": _holdout_metric(deployed, hardened, model, "accuracy"),
        "training_rows": len(X_train),
        "added_rows": len(X_aug) - len(X_train),
        "flips_learned": len(found[0]),
        "before": before.to_dict(),
        "after": after.to_dict(),
        "message": _("Adversarial training done."),
    }
    _save(ws, deployed.run_id, ADVERSARIAL, saved)
    report(1.0, _("Adversarial training done."))
    return saved


def _flips_on_training_rows(
    deployed: Deployed, X: pd.DataFrame, y: np.ndarray, budget: EvasionBudget, desired: str, seed: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Training rows whose true label is not ``desired`` that the budget flips, changed as the search
    found, with their true label: the examples adversarial training adds."""
    names = list(deployed.loaded.model.class_names)
    labels = np.asarray(names, dtype=object)[y] if deployed.loaded.problem.task == "binary" else y.astype(str)
    undesired = np.flatnonzero(labels != desired)
    if undesired.size == 0:
        return X.iloc[:0], y[:0]
    rows = X.iloc[undesired]
    result = measure_evasion(
        deployed.loaded.model,
        rows,
        deployed.loaded.reference,
        budget,
        desired_class=desired,
        immutable=deployed.loaded.fixed_by_default,
        max_rows=TRAINING_ROWS_SEARCHED,
        seed=seed,
    )
    changed, targets = [], []
    base = rows.reset_index(drop=True)
    for flip in result.flips:
        row = base.iloc[[flip.row]].copy()
        for feature, _before, after in flip.changes:
            row[feature] = pd.Series([after], index=row.index).astype(row[feature].dtype)
        changed.append(row)
        targets.append(y[undesired[flip.row]])
    if not changed:
        return X.iloc[:0], y[:0]
    return pd.concat(changed, ignore_index=True), np.asarray(targets, dtype=y.dtype)


def _holdout_metric(deployed: Deployed, pipeline: Any, model: DecisionModel, metric: str) -> float | None:
    problem = deployed.loaded.problem
    y_true = encode_target(deployed.holdout[problem.target], problem)
    predictions, scores = predict_scores(problem, pipeline, deployed.X)
    if problem.task == "binary":
        predictions = (np.asarray(scores) >= model.threshold).astype(int)  # the deployed decision threshold
    value = compute_metric(metric, y_true, predictions, scores)
    return None if not np.isfinite(value) else float(value)


def _part(report: Progress, start: float, end: float) -> Progress:
    def inner(fraction: float, message: str) -> None:
        report(start + (end - start) * fraction, message)

    return inner


def _save(ws: Workspace, run_id: int, kind: str, data: dict[str, Any]) -> None:
    artifact_id = ws.save_json(data, kind=f"security-{kind}")
    with ws.transaction() as conn:
        conn.execute(
            "INSERT INTO evaluation_checks (run_id, kind, other_run_id, artifact_id, created_at) VALUES (?,?,?,?,?)",
            (run_id, kind, None, artifact_id, now()),
        )


def get_saved(ws: Workspace, run_id: int, kind: str) -> dict[str, Any] | None:
    """The newest saved evasion measurement (``EVASION``) or adversarial training (``ADVERSARIAL``) of a
    run, or None."""
    row = ws.query_one(
        "SELECT artifact_id FROM evaluation_checks WHERE run_id = ? AND kind = ? ORDER BY id DESC LIMIT 1",
        (run_id, kind),
    )
    return None if row is None else ws.load_json(row["artifact_id"])


def start_evasion_job(
    ws: Workspace, project_id: int, budget: EvasionBudget, *, desired_class: str | None, max_rows: int
) -> int:
    return start_job(
        ws,
        project_id,
        EVASION_JOB,
        lambda progress: (
            stage_evasion(ws, project_id, budget, desired_class=desired_class, max_rows=max_rows, progress=progress)
            | {"message": _("Evasion measured.")}
        ),
    )


def start_adversarial_job(
    ws: Workspace, project_id: int, budget: EvasionBudget, *, desired_class: str | None, max_rows: int
) -> int:
    return start_job(
        ws,
        project_id,
        ADVERSARIAL_JOB,
        lambda progress: stage_adversarial_training(
            ws, project_id, budget, desired_class=desired_class, max_rows=max_rows, progress=progress
        ),
    )
