"""The lab's checks beyond the leaderboard, as stages: is the best model of an experiment really better
than the runner-up (a paired comparison on the CV folds and a bootstrap on the holdout), and how
fragile is a run (noise on its numbers, each input blanked in turn).

Each takes seconds, so each is computed once and saved by run id (a row of ``evaluation_checks`` and a
JSON artifact), like explanations: a refresh, a page switch or another session shows the saved result
again without recomputing. Pages call these and draw; they compute nothing themselves.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.evaluation.comparison import compare_models
from core.evaluation.robustness import get_robustness_df
from core.problem.definition import encode_target
from core.problem.store import get_experiment_problem
from core.training import tracking
from core.workspace.database import Workspace, now

COMPARISON = "comparison"
ROBUSTNESS = "robustness"


def get_top_two_runs(ws: Workspace, project_id: int, experiment_id: int) -> tuple[int, int] | None:
    """The ids of the experiment's two best trained runs that are not the baseline, in the runs
    table's order; None with fewer than two."""
    runs = tracking.get_runs_df(ws, project_id, experiment_id)
    if runs.empty:
        return None
    real = runs[runs["error"].isna() & (runs["key"] != "baseline")]
    if len(real) < 2:
        return None
    return int(real["run"].iloc[0]), int(real["run"].iloc[1])


def get_saved_comparison(ws: Workspace, best_run_id: int, other_run_id: int) -> dict[str, Any] | None:
    """The saved comparison of the two runs (``compare_models``' result), or None when not yet made."""
    row = ws.query_one(
        "SELECT artifact_id FROM evaluation_checks WHERE run_id = ? AND kind = ? AND other_run_id = ?"
        " ORDER BY id DESC LIMIT 1",
        (best_run_id, COMPARISON, other_run_id),
    )
    return None if row is None else ws.load_json(row["artifact_id"])


def stage_compare_top_two(ws: Workspace, project_id: int, experiment_id: int) -> dict[str, Any] | None:
    """The paired comparison of the experiment's two best models (``{"name_a", "name_b", "metric",
    "cv", "bootstrap"}``, A = the best): the saved one, or computed on the holdout and saved. None when
    the experiment has fewer than two trained models besides the baseline."""
    pair = get_top_two_runs(ws, project_id, experiment_id)
    if pair is None:
        return None
    saved = get_saved_comparison(ws, *pair)
    if saved is not None:
        return saved
    experiment = tracking.get_experiment(ws, experiment_id)
    problem = get_experiment_problem(experiment)
    holdout = tracking.load_holdout(ws, experiment)
    first, second = (tracking.load_run_outputs(ws, run_id, problem) for run_id in pair)
    outcome = compare_models(first, second, encode_target(holdout[problem.target], problem), problem.metric)
    _save(ws, pair[0], COMPARISON, outcome, other_run_id=pair[1])
    return outcome


def get_saved_robustness(ws: Workspace, run_id: int) -> pd.DataFrame | None:
    """The saved robustness table of the run (``get_robustness_df``' columns), or None when not yet made."""
    row = ws.query_one(
        "SELECT artifact_id FROM evaluation_checks WHERE run_id = ? AND kind = ? ORDER BY id DESC LIMIT 1",
        (run_id, ROBUSTNESS),
    )
    if row is None:
        return None
    saved = ws.load_json(row["artifact_id"])
    return pd.DataFrame(saved["rows"], columns=saved["columns"])


def stage_robustness(ws: Workspace, run_id: int) -> pd.DataFrame:
    """The run scored again on its holdout with noise on the numbers and with each input blanked in turn
    (``get_robustness_df``, with the experiment's metric): the saved table, or computed and saved."""
    saved = get_saved_robustness(ws, run_id)
    if saved is not None:
        return saved
    experiment = tracking.get_experiment(ws, tracking.get_run(ws, run_id)["experiment_id"])
    problem = get_experiment_problem(experiment)
    holdout = tracking.load_holdout(ws, experiment)
    table = get_robustness_df(
        tracking.load_run_model(ws, run_id),
        holdout.drop(columns=[problem.target]),
        encode_target(holdout[problem.target], problem),
        problem.metric,
    )
    _save(ws, run_id, ROBUSTNESS, {"columns": list(table.columns), "rows": table.astype(object).to_numpy().tolist()})
    return table


def _save(ws: Workspace, run_id: int, kind: str, result: Any, *, other_run_id: int | None = None) -> None:
    artifact_id = ws.save_json(result, kind=f"{kind}-check")
    with ws.transaction() as conn:
        conn.execute(
            "INSERT INTO evaluation_checks (run_id, kind, other_run_id, artifact_id, created_at) VALUES (?,?,?,?,?)",
            (run_id, kind, other_run_id, artifact_id, now()),
        )
