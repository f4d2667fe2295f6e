"""The Explain stage's note when the project's problem moved on since its models were trained."""

from __future__ import annotations

import json

from core.problem.definition import ProblemConfig
from core.problem.store import set_problem
from core.stages.explain import describe_problem_change
from core.workspace.database import Workspace
from core.workspace.projects import create_project

CHURN = ProblemConfig(target="churn", task="binary", positive_class="Yes")


def test_a_changed_target_is_named_and_the_same_one_is_not(tmp_path):
    ws = Workspace(tmp_path)
    pid = create_project(ws, "churn")["id"]
    experiment = {"problem_json": json.dumps(CHURN.to_dict())}
    set_problem(ws, pid, CHURN)
    assert describe_problem_change(ws, pid, experiment) is None
    set_problem(ws, pid, ProblemConfig(target="partner", task="binary", positive_class="Yes"))
    note = describe_problem_change(ws, pid, experiment)
    assert note is not None
    assert note.startswith(
        "The project's problem now predicts 'partner', but these models were trained to predict 'churn':"
    )
    set_problem(ws, pid, ProblemConfig(target="churn", task="binary", positive_class="No"))
    assert "with 'Yes' as the positive class" in (describe_problem_change(ws, pid, experiment) or "")
