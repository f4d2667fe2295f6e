"""Experiment tracking: every training session (experiment) and every model fit in it (run) is
recorded with its parameters, fold scores, holdout metrics, timings and the data/feature versions."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from core.i18n import N_, _, ngettext
from core.problem.definition import is_higher_better
from core.training.results import TrainResult
from core.workspace.database import Workspace, dumps, inserted_id, now
from core.workspace.errors import NotFoundError


def record_experiment(
    ws: Workspace,
    project_id: int,
    dataset_id: int,
    feature_set_id: int,
    result: TrainResult,
    gate: dict[str, Any],
    holdout_df: pd.DataFrame,
    note: str = "",
    kind: str = "leaderboard",
    rerun_of: int | None = None,
) -> dict[str, Any]:
    """Persist the experiment, one run per model (with its fitted pipeline and holdout predictions),
    the holdout rows themselves, the gate verdict, the validation warnings and the library versions.
    ``rerun_of`` marks the runs as re-runs of a recorded run (to compare their scores)."""
    artifacts: list[tuple[int | None, int | None]] = []
    for r in result.results:
        if getattr(r, "error", None) or r.pipeline is None:
            artifacts.append((None, None))
            continue
        preds = _predictions_frame(r.test_scores, r.test_pred)
        artifacts.append((ws.save_model(r.pipeline), ws.save_frame(preds, kind="predictions")))
    holdout_id = ws.save_frame(holdout_df.reset_index(drop=True), kind="holdout")
    best = result.best
    with ws.transaction() as conn:
        cur = conn.execute(
            """INSERT INTO experiments (project_id, dataset_id, feature_set_id, problem_json, config_json,
               validation, gate_json, holdout_artifact_id, note, created_at, warnings_json, kind, environment_json)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            (
                project_id,
                dataset_id,
                feature_set_id,
                dumps(result.problem.to_dict()),
                dumps({**result.config.to_dict(), "holdout": result.holdout}),
                result.validation,
                dumps(gate),
                holdout_id,
                note,
                now(),
                dumps(list(result.warnings)),
                kind,
                dumps(get_environment()),
            ),
        )
        exp_id = inserted_id(cur)
        best_run_id = None
        for r, (model_art, pred_art) in zip(result.results, artifacts):
            run = conn.execute(
                """INSERT INTO runs (experiment_id, project_id, model_key, model_name, params_json, cv_scores_json,
                   cv_score, test_metrics_json, fit_seconds, predict_ms_per_row, error, model_artifact_id,
                   predictions_artifact_id, created_at, rerun_of) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (
                    exp_id,
                    project_id,
                    r.key,
                    r.name,
                    dumps(r.params),
                    dumps(list(r.cv_scores)),
                    _finite(r.cv_score),
                    dumps(r.test_metrics),
                    r.fit_seconds,
                    r.predict_ms_per_row,
                    getattr(r, "error", None),
                    model_art,
                    pred_art,
                    now(),
                    rerun_of if r is best else None,
                ),
            )
            if r is best:
                best_run_id = run.lastrowid
        conn.execute("UPDATE experiments SET best_run_id = ? WHERE id = ?", (best_run_id, exp_id))
        ws.audit(
            conn,
            project_id,
            "experiment.recorded",
            {"experiment_id": exp_id, "best_run_id": best_run_id, "kind": kind, "gate": gate},
        )
    return get_experiment(ws, exp_id)


def get_environment() -> dict[str, str]:
    """The versions that decide whether a run can be reproduced bit for bit."""
    import platform

    import sklearn

    versions = {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }
    try:
        import optuna

        versions["optuna"] = optuna.__version__
    except ImportError:  # pragma: no cover - optuna is a dependency; the record should not depend on it
        pass
    return versions


def get_experiment_warnings(experiment: dict[str, Any]) -> list[str]:
    return json.loads(experiment.get("warnings_json") or "[]")


def _predictions_frame(scores, predictions) -> pd.DataFrame:
    """score (binary: P(positive); regression: the prediction; multiclass: the probability of the
    predicted class) and pred; multiclass also keeps every class's probability (proba_0, proba_1, …)."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 2:
        frame = pd.DataFrame(scores, columns=[f"proba_{i}" for i in range(scores.shape[1])])
        frame.insert(0, "score", scores.max(axis=1) if scores.shape[1] else np.nan)
    else:
        frame = pd.DataFrame({"score": scores})
    frame["pred"] = _as_str(predictions)
    return frame


def _as_str(values) -> list[str]:
    return [str(v) for v in np.asarray(values).tolist()]


def _finite(value: float | None) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def get_experiment(ws: Workspace, experiment_id: int) -> dict[str, Any]:
    return ws.get_row(
        "experiments",
        experiment_id,
        _("Experiment {id} does not exist; train models on the Train page.").format(id=experiment_id),
    )


def latest_experiment(ws: Workspace, project_id: int) -> dict[str, Any] | None:
    return ws.query_one("SELECT * FROM experiments WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project_id,))


def load_holdout(ws: Workspace, experiment: dict[str, Any]) -> pd.DataFrame:
    """The cleaned rows the experiment was evaluated on (target included), in prediction order."""
    return ws.load_frame(experiment["holdout_artifact_id"])


def load_run_predictions(ws: Workspace, run_id: int) -> pd.DataFrame:
    """Holdout predictions of a run: columns score and pred, aligned with load_holdout."""
    run = get_run(ws, run_id)
    if run["predictions_artifact_id"] is None:
        raise NotFoundError(
            _("Run {run_id} ({model_name}) failed to train, so it has no predictions.").format(
                run_id=run_id, model_name=run["model_name"]
            )
        )
    return ws.load_frame(run["predictions_artifact_id"])


# What made an experiment, in words: the Train page's leaderboard, a tuning study, a re-run of a
# recorded run, or a retraining after a monitoring report.
EXPERIMENT_KINDS = {
    "leaderboard": N_("leaderboard"),
    "tuning": N_("tuning study"),
    "rerun": N_("re-run"),
    "retraining": N_("retraining after monitoring"),
}


def list_experiments(ws: Workspace, project_id: int) -> list[dict[str, Any]]:
    """Experiments newest first, each with a label for pickers."""
    rows = ws.query(
        """SELECT e.*, (SELECT COUNT(*) FROM runs r WHERE r.experiment_id = e.id) AS n_runs
           FROM experiments e WHERE e.project_id = ? ORDER BY e.id DESC""",
        (project_id,),
    )
    for row in rows:
        kind = row.get("kind") or "leaderboard"
        what = (
            ngettext("{n} model", "{n} models", row["n_runs"]).format(n=row["n_runs"])
            if kind == "leaderboard"
            else _(EXPERIMENT_KINDS[kind])
            if kind in EXPERIMENT_KINDS
            else kind
        )
        row["label"] = _("Experiment {id}: {what}").format(id=row["id"], what=what) + (
            f" — {row['note']}" if row["note"] else ""
        )
    return rows


def get_run(ws: Workspace, run_id: int) -> dict[str, Any]:
    return ws.get_row("runs", run_id, _("Run {id} does not exist; train models on the Train page.").format(id=run_id))


def load_run_model(ws: Workspace, run_id: int):
    run = get_run(ws, run_id)
    if run["model_artifact_id"] is None:
        raise NotFoundError(
            _("Run {run_id} ({model_name}) failed to train, so it has no model to load.").format(
                run_id=run_id, model_name=run["model_name"]
            )
        )
    return ws.load_model(run["model_artifact_id"])


def load_run_probabilities(ws: Workspace, run_id: int) -> tuple[np.ndarray, list[str]] | None:
    """A multiclass run's holdout probabilities (one column per class) and the class of each column
    (the fitted model's ``classes_``); None when the run kept no per-class probabilities."""
    preds = load_run_predictions(ws, run_id)
    columns = [c for c in preds.columns if c.startswith("proba_")]
    if not columns:
        return None
    classes = [str(c) for c in load_run_model(ws, run_id).classes_]
    return preds[columns].to_numpy(dtype=float), classes


def get_runs_df(ws: Workspace, project_id: int, experiment_id: int | None = None) -> pd.DataFrame:
    """All runs, newest experiment first and within it best CV score first (the lowest for an error
    metric such as RMSE), with holdout metrics spread into columns and what the experiment was
    (kind: leaderboard | tuning | rerun), its validation, data and feature versions, seed."""
    sql = """SELECT r.*, e.kind AS experiment_kind, e.validation, e.dataset_id, e.feature_set_id, e.config_json,
                    e.problem_json, d.recipe_id
             FROM runs r JOIN experiments e ON e.id = r.experiment_id LEFT JOIN datasets d ON d.id = e.dataset_id
             WHERE r.project_id = ?"""
    params: list[Any] = [project_id]
    if experiment_id is not None:
        sql += " AND r.experiment_id = ?"
        params.append(experiment_id)
    rows = ws.query(sql + " ORDER BY r.experiment_id DESC, r.id", params)
    rows.sort(key=lambda r: (-r["experiment_id"], *_rank_of(r)))  # stable: ties keep training order
    records = []
    for r in rows:
        rec = {
            "run": r["id"],
            "experiment": r["experiment_id"],
            "model": r["model_name"],
            "key": r["model_key"],
            "cv_score": r["cv_score"],
            "cv_folds": json.loads(r["cv_scores_json"] or "[]"),
            "fit_seconds": r["fit_seconds"],
            "error": r["error"],
        }
        rec.update(json.loads(r["test_metrics_json"] or "{}"))
        rec.update(
            {
                "predict_ms_per_row": r["predict_ms_per_row"],
                "kind": r["experiment_kind"],
                "validation": r["validation"],
                "dataset": r["dataset_id"],
                "recipe": r["recipe_id"],
                "feature_set": r["feature_set_id"],
                "seed": json.loads(r["config_json"] or "{}").get("seed"),
                "rerun_of": r["rerun_of"],
            }
        )
        records.append(rec)
    return pd.DataFrame(records)


def _rank_of(run: dict[str, Any]) -> tuple[bool, float]:
    """Sort key of a run within its experiment: runs without a score last, then the best score first
    in the direction of the experiment's metric."""
    score = run["cv_score"]
    if score is None or math.isnan(score):
        return (True, 0.0)
    metric = json.loads(run["problem_json"] or "{}").get("metric", "")
    return (False, -score if is_higher_better(metric) else score)


def load_run_outputs(ws: Workspace, run_id: int, problem: Any) -> SimpleNamespace:
    """A stored run shaped like a ``ModelResult`` for the comparison and fairness functions: name,
    key, cv_scores, test_scores, test_pred (binary: 0/1 like ``TrainResult.y_test``), pipeline."""
    run = get_run(ws, run_id)
    preds = load_run_predictions(ws, run_id)
    pred = preds["pred"].to_numpy()
    if problem.task == "binary":
        pred = pd.to_numeric(preds["pred"], errors="coerce").fillna(0).astype(int).to_numpy()
    elif problem.task == "regression":
        pred = preds["score"].to_numpy(dtype=float)
    return SimpleNamespace(
        id=run_id,
        key=run["model_key"],
        name=run["model_name"],
        cv_scores=json.loads(run["cv_scores_json"] or "[]"),
        test_scores=preds["score"].to_numpy(dtype=float),
        test_pred=pred,
        ok=True,
        is_baseline=run["model_key"] == "baseline",
        predict_ms_per_row=run["predict_ms_per_row"],
    )


def get_params_comparison_df(ws: Workspace, run_ids: list[int]) -> pd.DataFrame:
    """Settings of several runs side by side: one row per setting, one column per run, and
    ``differs`` = True where the runs do not all share the value."""
    columns: dict[str, dict[str, Any]] = {}
    for run_id in run_ids:
        run = get_run(ws, run_id)
        experiment = get_experiment(ws, run["experiment_id"])
        config = json.loads(experiment["config_json"] or "{}")
        dataset = ws.query_one("SELECT recipe_id FROM datasets WHERE id = ?", (experiment["dataset_id"],)) or {}
        values = {
            "model": run["model_name"],
            "experiment": run["experiment_id"],
            "data version": experiment["dataset_id"],
            "recipe": dataset.get("recipe_id"),
            "feature set": experiment["feature_set_id"],
            "validation": experiment["validation"],
            "folds": config.get("cv_folds"),
            "seed": config.get("seed"),
            "class weight": config.get("class_weight") or "none",
        }
        values.update(json.loads(experiment.get("environment_json") or "{}"))
        values.update({k: v for k, v in sorted(json.loads(run["params_json"] or "{}").items())})
        columns[f"run {run_id}"] = values
    return get_settings_table(columns)


def get_settings_table(columns: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """{column: {setting: value}} as text, one row per setting, with ``differs``."""
    table = pd.DataFrame(columns)
    differs = table.apply(lambda row: len({str(v) for v in row}) > 1, axis=1)  # exact, before rounding
    # Text throughout: a column mixes numbers, words and None (shown as "—"); long decimals shortened.
    table = table.map(_setting_text)
    table["differs"] = differs
    return table


def _setting_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4g}"
    return str(value)
