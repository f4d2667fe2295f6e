"""Monitoring per arm on the live log: each version that answered (or shadowed) the project's traffic,
with the feature drift of the rows it answered against its own training reference, the metric on its
labelled answers and its latency per request. The stage joins what monitoring computes (from the
prediction log) with what deployment and the registry know (each version's inputs, task and training
rows), as the layers allow only here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core import registry
from core.deployment import serving
from core.deployment.prediction_log import fill_input_json
from core.monitoring.arms import ARM_COLUMNS, get_arm_drift_df, get_arm_log_df, get_arms_df, logged_inputs, stack_drift
from core.monitoring.drift import DriftConfig
from core.monitoring.windows import get_non_signal_columns
from core.training import tracking
from core.workspace.database import Workspace
from core.workspace.errors import StudioError

REFERENCE_ROWS = 5000  # the training reference is sampled to this many rows, as the monitoring report does
DRIFT_ROWS = 5000  # the newest answered rows per version whose inputs are read back for drift


@dataclass(frozen=True)
class ArmsReport:
    """What each version did on live traffic: ``arms`` (monitoring.arms.ARM_COLUMNS, one row per
    version), ``drift`` (one row per version and feature), which deployment (None: the project's
    whole log) and how many logged answers were read (a shadow's silent scores not counted)."""

    arms: pd.DataFrame
    drift: pd.DataFrame
    deployment_id: int | None
    log_rows: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "deployment_id": self.deployment_id,
            "log_rows": self.log_rows,
            "arms": self.arms.to_dict(orient="records"),
            "drift": self.drift.to_dict(orient="records"),
        }


def stage_arms(
    ws: Workspace, project_id: int, deployment_id: int | None = None, config: DriftConfig = DriftConfig()
) -> ArmsReport:
    """Each version on the newest logged answers of the project (of one deployment when given)."""
    log = get_arm_log_df(ws, project_id, deployment_id)
    if log.empty:
        empty = pd.DataFrame(columns=ARM_COLUMNS)
        return ArmsReport(empty, stack_drift({}, empty), deployment_id, 0)
    tasks: dict[int, str] = {}
    drift: dict[int, pd.DataFrame] = {}
    drift_rows: dict[int, int] = {}
    references: dict[int, pd.DataFrame] = {}
    for version_id in log["version_id"].unique().tolist():
        version = registry.get_version(ws, int(version_id))
        tasks[version_id] = json.loads(version["lineage_json"] or "{}").get("task", "regression")
        reference, columns = _reference(ws, version, references)
        # The newest rows this version answered (or scored silently), the rows it could not read
        # included: what was sent to it is what drifts.
        answered = log[log["version_id"] == version_id].head(DRIFT_ROWS)
        rows = logged_inputs(fill_input_json(ws, answered, id_column="prediction_id"))
        drift_rows[version_id] = len(rows)
        if reference is not None:
            drift[version_id] = get_arm_drift_df(reference, rows, columns, config)
    arms = get_arms_df(log, tasks, drift, drift_rows)
    answers = int((log["arm"] != "shadow").sum())  # a shadow's silent scores are copies of answered rows
    return ArmsReport(arms, stack_drift(drift, arms), deployment_id, answers)


def _reference(
    ws: Workspace, version: dict[str, Any], cache: dict[int, pd.DataFrame]
) -> tuple[pd.DataFrame | None, list[str]]:
    """(the unseen rows the version was evaluated on, sampled; the inputs that are drift signals),
    or (None, []) when the version keeps no such rows (a version registered by hand)."""
    lineage = json.loads(version["lineage_json"] or "{}")
    experiment_id = lineage.get("experiment_id")
    try:
        served = serving.load_served(ws, version["id"])
        if experiment_id is None:
            return None, []
        if experiment_id not in cache:
            pool = tracking.load_holdout(ws, tracking.get_experiment(ws, experiment_id))
            cache[experiment_id] = pool.sample(REFERENCE_ROWS, random_state=0) if len(pool) > REFERENCE_ROWS else pool
    except StudioError:  # an artifact gone or failing its hash check: the version is shown without drift
        return None, []
    reference = cache[experiment_id]
    used = [c for c in served.required_columns if c in reference.columns]
    problem = registry.get_version_problem(ws, version)
    excluded = get_non_signal_columns(
        reference,
        used,
        time_columns=[c for c in (problem.time_column,) if c],
        id_columns=[c for c in (problem.group_column,) if c],
    )
    return reference, [c for c in used if c not in excluded]
