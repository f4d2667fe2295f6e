"""The Explain stage: SHAP for a run, saved so pages show it again without recomputing."""

from __future__ import annotations

from core.explain.explanations import explain_model
from core.explain.importance import get_importance_df
from core.explain.result import Explanation
from core.problem.store import get_experiment_problem
from core.training import tracking
from core.workspace.database import Workspace, now


def stage_explain(ws: Workspace, project_id: int, run_id: int, *, max_rows: int = 200) -> Explanation:
    """SHAP for one run on its holdout rows; saved so the page shows it again without recomputing."""
    cached = ws.query_one("SELECT artifact_id FROM explanations WHERE run_id = ? ORDER BY id DESC LIMIT 1", (run_id,))
    if cached:
        return Explanation.from_dict(ws.load_json(cached["artifact_id"]))
    run = tracking.get_run(ws, run_id)
    experiment = tracking.get_experiment(ws, run["experiment_id"])
    problem = get_experiment_problem(experiment)
    X = tracking.load_holdout(ws, experiment).drop(columns=[problem.target], errors="ignore")
    pipeline = tracking.load_run_model(ws, run_id)
    expl = explain_model(
        pipeline,
        X,
        problem.task,
        model_key=run["model_key"],
        max_rows=max_rows,
        target_name=problem.target,
        class_name=str(problem.positive_class) if problem.task == "binary" else None,
    )
    artifact_id = ws.save_json(expl.to_dict(), kind="explanation")
    with ws.transaction() as conn:
        conn.execute(
            "INSERT INTO explanations (run_id, artifact_id, created_at) VALUES (?,?,?)", (run_id, artifact_id, now())
        )
    return expl


def get_importance_shares(ws: Workspace, run_id: int) -> dict[str, float]:
    """{input column: its share of the run's importance (mean |SHAP|, summing to 1)}; empty when the
    run was never explained."""
    row = ws.query_one("SELECT artifact_id FROM explanations WHERE run_id = ? ORDER BY id DESC LIMIT 1", (run_id,))
    if row is None:
        return {}
    df = get_importance_df(Explanation.from_dict(ws.load_json(row["artifact_id"])))
    return {str(f): float(s) for f, s in zip(df["feature"], df["share"])}


def get_top_features(ws: Workspace, run_id: int) -> list[str]:
    row = ws.query_one("SELECT artifact_id FROM explanations WHERE run_id = ? ORDER BY id DESC LIMIT 1", (run_id,))
    if row is None:
        return []
    return get_importance_df(Explanation.from_dict(ws.load_json(row["artifact_id"])))["feature"].tolist()
