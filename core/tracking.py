"""Experiment tracking: every training session (experiment) and every model fit in it (run) is
recorded with its parameters, fold scores, holdout metrics, timings and the data/feature versions."""
from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from core.errors import NotFoundError
from core.gate import GateResult
from core.training import TrainResult
from core.workspace import Workspace, dumps, now


def record_experiment(
    ws: Workspace, project_id: int, dataset_id: int, feature_set_id: int, result: TrainResult, gate: GateResult,
    holdout_df: pd.DataFrame, note: str = "",
) -> dict[str, Any]:
    """Persist the experiment, one run per model (with its fitted pipeline and holdout predictions),
    the holdout rows themselves, and the gate verdict."""
    model_ids: dict[str, tuple[int | None, int | None]] = {}
    for r in result.results:
        if getattr(r, "error", None) or r.pipeline is None:
            model_ids[r.key] = (None, None)
            continue
        preds = pd.DataFrame({"score": np.asarray(r.test_scores, dtype=float), "pred": _as_str(r.test_pred)})
        model_ids[r.key] = (ws.save_model(r.pipeline), ws.save_frame(preds, kind="predictions"))
    holdout_id = ws.save_frame(holdout_df.reset_index(drop=True), kind="holdout")
    best_key = result.best.key
    with ws.transaction() as conn:
        cur = conn.execute(
            """INSERT INTO experiments (project_id, dataset_id, feature_set_id, problem_json, config_json,
               validation, gate_json, holdout_artifact_id, note, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)""",
            (project_id, dataset_id, feature_set_id, dumps(result.problem.to_dict()), dumps(result.config.to_dict()),
             result.validation, dumps(gate.to_dict()), holdout_id, note, now()),
        )
        exp_id = cur.lastrowid
        best_run_id = None
        for r in result.results:
            model_art, pred_art = model_ids[r.key]
            run = conn.execute(
                """INSERT INTO runs (experiment_id, project_id, model_key, model_name, params_json, cv_scores_json,
                   cv_score, test_metrics_json, fit_seconds, predict_ms_per_row, error, model_artifact_id,
                   predictions_artifact_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (exp_id, project_id, r.key, r.name, dumps(r.params), dumps(list(r.cv_scores)),
                 _finite(r.cv_score), dumps(r.test_metrics), r.fit_seconds, r.predict_ms_per_row,
                 getattr(r, "error", None), model_art, pred_art, now()),
            )
            if r.key == best_key:
                best_run_id = run.lastrowid
        conn.execute("UPDATE experiments SET best_run_id = ? WHERE id = ?", (best_run_id, exp_id))
        ws.audit(conn, project_id, "experiment.recorded",
                 {"experiment_id": exp_id, "best_run_id": best_run_id, "gate": gate.to_dict()})
    return get_experiment(ws, exp_id)


def _as_str(values) -> list[str]:
    return [str(v) for v in np.asarray(values).tolist()]


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def get_experiment(ws: Workspace, experiment_id: int) -> dict[str, Any]:
    return ws.get_row("experiments", experiment_id,
                      f"Experiment {experiment_id} does not exist; train models on the Train page.")


def latest_experiment(ws: Workspace, project_id: int) -> dict[str, Any] | None:
    return ws.query_one("SELECT * FROM experiments WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project_id,))


def load_holdout(ws: Workspace, experiment: dict[str, Any]) -> pd.DataFrame:
    """The cleaned rows the experiment was evaluated on (target included), in prediction order."""
    return ws.load_frame(experiment["holdout_artifact_id"])


def load_run_predictions(ws: Workspace, run_id: int) -> pd.DataFrame:
    """Holdout predictions of a run: columns score and pred, aligned with load_holdout."""
    run = get_run(ws, run_id)
    if run["predictions_artifact_id"] is None:
        raise NotFoundError(f"Run {run_id} ({run['model_name']}) failed to train, so it has no predictions.")
    return ws.load_frame(run["predictions_artifact_id"])


def list_experiments(ws: Workspace, project_id: int) -> list[dict[str, Any]]:
    """Experiments newest first, each with a label for pickers."""
    rows = ws.query(
        """SELECT e.*, (SELECT COUNT(*) FROM runs r WHERE r.experiment_id = e.id) AS n_runs
           FROM experiments e WHERE e.project_id = ? ORDER BY e.id DESC""", (project_id,))
    for row in rows:
        row["label"] = f"Experiment {row['id']}: {row['n_runs']} models" + (f" — {row['note']}" if row["note"] else "")
    return rows


def get_run(ws: Workspace, run_id: int) -> dict[str, Any]:
    return ws.get_row("runs", run_id, f"Run {run_id} does not exist; train models on the Train page.")


def load_run_model(ws: Workspace, run_id: int):
    run = get_run(ws, run_id)
    if run["model_artifact_id"] is None:
        raise NotFoundError(f"Run {run_id} ({run['model_name']}) failed to train, so it has no model to load.")
    return ws.load_model(run["model_artifact_id"])


def get_runs_df(ws: Workspace, project_id: int, experiment_id: int | None = None) -> pd.DataFrame:
    """All runs, newest experiment first, with holdout metrics spread into columns."""
    sql = "SELECT * FROM runs WHERE project_id = ?"
    params: list[Any] = [project_id]
    if experiment_id is not None:
        sql += " AND experiment_id = ?"
        params.append(experiment_id)
    rows = ws.query(sql + " ORDER BY experiment_id DESC, cv_score DESC", params)
    records = []
    for r in rows:
        rec = {"run": r["id"], "experiment": r["experiment_id"], "model": r["model_name"], "key": r["model_key"],
               "cv_score": r["cv_score"], "cv_folds": json.loads(r["cv_scores_json"] or "[]"),
               "fit_seconds": r["fit_seconds"], "error": r["error"]}
        rec.update(json.loads(r["test_metrics_json"] or "{}"))
        records.append(rec)
    return pd.DataFrame(records)
