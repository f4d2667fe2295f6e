"""Monitor's Autopilot section: the saved policy fills the form, Start runs the loop as a job (the page
is not blocked), and once it ends the timeline shows every step down to the rollout's verdict."""

from dataclasses import replace

import pytest

from core.monitoring import autopilot as timeline
from core.monitoring.autopilot import AutopilotPolicy
from core.workspace import jobs
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory
from tests.pages.test_pages import no_errors, open_page

pytestmark = pytest.mark.slow  # a trained and deployed project, then a round of the loop

POLICY = AutopilotPolicy(scenario="sudden", rounds=1, windows=3, rows_per_window=300, drift_start=2)


def test_start_runs_the_loop_in_the_background_and_the_timeline_reaches_the_verdict(rollout_copy, monkeypatch):
    ws = Workspace(rollout_copy)
    timeline.save_policy(ws, 1, POLICY)
    at = open_page(project_app_factory(rollout_copy, monkeypatch)(), "pages/8_Monitor.py")
    no_errors(at)
    assert at.slider(key="autopilot_windows").value == 3 and at.selectbox(key="autopilot_scenario").value == "sudden"
    assert at.button(key="autopilot_stop").disabled
    at.radio(key="autopilot_release").set_value("canary")
    at.button(key="autopilot_start").click().run()
    no_errors(at)
    run = timeline.latest_run(ws, 1)
    # the form's values (the release just chosen), saved as the project's policy
    assert run is not None and run["policy"] == replace(POLICY, release="canary")
    assert at.button(key="autopilot_start").disabled  # while it runs: one autopilot per project
    job = jobs.wait_for_job(ws, run["job_id"], timeout=300)
    assert job["status"] == "succeeded", job["error"]
    at.run()
    assert not at.exception, at.exception  # (the report's alerts are drawn as errors: the scenario drifts)
    steps = next(d.value for d in at.dataframe if "what happened" in d.value.columns)
    assert steps["step"].tolist()[-3:] == ["evidence", "verdict", "end"], steps["what happened"].tolist()
    verdict = steps["what happened"].tolist()[-2]
    assert verdict.startswith(("Promoted:", "Rejected by the canary"))
    shown = [box.value for box in (*at.success, *at.warning)]
    assert any(text.startswith("Autopilot finished 1 round") for text in shown), shown
    assert not at.button(key="autopilot_start").disabled
