"""Evasion and adversarial training on a deployed model: measured, run as a job, saved by run id."""

from __future__ import annotations

import pytest

from core.security import attacks
from core.security.evasion import EvasionBudget
from core.workspace.database import Workspace
from core.workspace.errors import NotFoundError
from core.workspace.jobs import wait_for_job

pytestmark = pytest.mark.slow


def test_nothing_deployed_is_one_clear_message(ws):
    from core.workspace.projects import create_project

    project = create_project(ws, "empty")
    with pytest.raises(NotFoundError, match="Nothing is deployed"):
        attacks.load_deployed(ws, project["id"] if isinstance(project, dict) else project)


def test_evasion_then_adversarial_training_as_jobs(rollout_copy):
    ws = Workspace(rollout_copy)
    deployed = attacks.load_deployed(ws, 1)
    budget = EvasionBudget(numeric={"x1": 0.5, "x2": 0.5}, categorical={"color": ("red",)}, max_changes=2)
    job = wait_for_job(ws, attacks.start_evasion_job(ws, 1, budget, desired_class="yes", max_rows=12), timeout=300)
    assert job["status"] == "succeeded", job["error"]
    saved = attacks.get_saved(ws, deployed.run_id, attacks.EVASION)
    assert saved is not None and saved["result"]["tried"] == 12 and saved["result"]["flipped"] > 0

    job = wait_for_job(ws, attacks.start_adversarial_job(ws, 1, budget, desired_class="yes", max_rows=12), timeout=600)
    assert job["status"] == "succeeded", job["error"]
    saved = attacks.get_saved(ws, deployed.run_id, attacks.ADVERSARIAL)
    assert saved["before"]["tried"] == saved["after"]["tried"] == 12
    assert saved["added_rows"] >= saved["training_rows"]
    assert 0 < saved["metric_after"] <= 1 and 0 < saved["accuracy_before"] <= 1
    assert saved["training_rows"] + len(deployed.holdout) <= 800
