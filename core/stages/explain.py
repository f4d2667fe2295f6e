"""The Explain stage: SHAP for a run, saved so pages show it again without recomputing; one row
(from the holdout, typed in, or edited in a what-if) explained on demand against the same holdout."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from core.explain.explanations import explain_model
from core.explain.importance import get_importance_df
from core.explain.probability import has_probabilities, with_probabilities
from core.explain.result import Explanation
from core.i18n import _
from core.problem.definition import ProblemConfig
from core.problem.store import get_experiment_problem, get_problem
from core.registry.versions import predicts_same
from core.training import tracking
from core.workspace.database import Workspace, now
from core.workspace.errors import ConfigError


@dataclass(frozen=True, eq=False)
class RunInputs:
    """What explaining a run's rows needs: its fitted pipeline, its holdout and its problem."""

    run_id: int
    pipeline: Any
    holdout: pd.DataFrame  # the cleaned holdout rows, target included
    problem: ProblemConfig
    model_key: str | None

    @cached_property
    def X(self) -> pd.DataFrame:
        """The holdout's model inputs (no target); shared, never mutate it."""
        return self.holdout.drop(columns=[self.problem.target], errors="ignore")

    @property
    def input_columns(self) -> list[str]:
        """The columns the pipeline takes, in its order (some may be dropped inside it, e.g. IDs)."""
        names = getattr(self.pipeline, "feature_names_in_", None)
        return [str(c) for c in names] if names is not None else [str(c) for c in self.X.columns]


def load_run_inputs(ws: Workspace, run_id: int) -> RunInputs:
    run = tracking.get_run(ws, run_id)
    experiment = tracking.get_experiment(ws, run["experiment_id"])
    return RunInputs(
        run_id=run_id,
        pipeline=tracking.load_run_model(ws, run_id),
        holdout=tracking.load_holdout(ws, experiment),
        problem=get_experiment_problem(experiment),
        model_key=run["model_key"],
    )


def _explain(inputs: RunInputs, X: pd.DataFrame, **kwargs: Any) -> Explanation:
    problem = inputs.problem
    expl = explain_model(
        inputs.pipeline,
        X,
        problem.task,
        model_key=inputs.model_key,
        target_name=problem.target,
        class_name=str(problem.positive_class) if problem.task == "binary" else None,
        **kwargs,
    )
    return with_probabilities(expl, inputs.pipeline, X)


def stage_explain(ws: Workspace, project_id: int, run_id: int, *, max_rows: int = 200) -> Explanation:
    """SHAP for one run on its holdout rows; saved so the page shows it again without recomputing.

    A classification explanation also carries the model's probability of each explained row
    (``core.explain.probability``); one saved before that existed gets them added on reading."""
    cached = ws.query_one("SELECT artifact_id FROM explanations WHERE run_id = ? ORDER BY id DESC LIMIT 1", (run_id,))
    if cached:
        expl = Explanation.from_dict(ws.load_json(cached["artifact_id"]))
        if expl.meta.get("task") != "regression" and not has_probabilities(expl):
            inputs = load_run_inputs(ws, run_id)
            expl = with_probabilities(expl, inputs.pipeline, inputs.X)
        return expl
    inputs = load_run_inputs(ws, run_id)
    expl = _explain(inputs, inputs.X, max_rows=max_rows)
    artifact_id = ws.save_json(expl.to_dict(), kind="explanation")
    with ws.transaction() as conn:
        conn.execute(
            "INSERT INTO explanations (run_id, artifact_id, created_at) VALUES (?,?,?)", (run_id, artifact_id, now())
        )
    return expl


def explain_row(inputs: RunInputs, row: pd.DataFrame) -> Explanation:
    """SHAP for one row of model inputs (from the holdout, typed in or edited) against the run's
    holdout as background; exact for every row count, so it is fast (one row). Not saved."""
    if len(row) != 1:
        raise ConfigError(_("One row is explained at a time; got {n} rows instead.").format(n=len(row)))
    X = inputs.X
    frame = pd.concat([row.reindex(columns=X.columns), X], ignore_index=True)
    expl = _explain(inputs, frame, rows=[0], max_rows=1, time_budget_seconds=None)
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


def describe_problem_change(ws: Workspace, project_id: int, experiment: dict[str, Any]) -> str | None:
    """A sentence when the project's problem now asks for another prediction (target, task or positive
    class) than the one ``experiment``'s models were trained for, else None: Explain still explains
    what these models predict, the old target."""
    current, trained = get_problem(ws, project_id), get_experiment_problem(experiment)
    if current is None or predicts_same(current, trained):
        return None
    what = (
        f"'{trained.target}'"
        if current.target != trained.target
        else _("'{column}' as a {task} problem").format(column=trained.target, task=trained.task)
        + (
            _(" with '{positive_class}' as the positive class").format(positive_class=trained.positive_class)
            if trained.positive_class is not None
            else ""
        )
    )
    return _(
        "The project's problem now predicts '{target}', but these models were trained to predict {what}: everything below explains that old prediction. To explain the new problem, train models for it (Train & compare), then come back here."
    ).format(target=current.target, what=what)
