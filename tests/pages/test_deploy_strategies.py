"""Deploy's strategy panels in AppTest: each strategy runs on simulated traffic as a job and ends in a
verdict with its evidence and charts; the bad challenger's canary rolls back by itself."""

import json
import re
import shutil

import pytest

from core.deployment import serving
from core.registry import approvals
from core.workspace import jobs
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory


@pytest.fixture
def deploy(demo_workspace, monkeypatch, tmp_path):
    """(open the Deploy page, workspace) on a copy of the demo workspace: strategies change aliases."""
    path = tmp_path / "ws"
    shutil.copytree(demo_workspace[0], path)
    # The strategies' own promotions are checked here; sign-off has its own tests (test_signoff.py).
    approvals.set_policy(Workspace(path), 1, approvals.RegistryPolicy(people_need_approval=False))
    make = project_app_factory(path, monkeypatch)

    def open_deploy():
        at = make()
        at.run()
        at.switch_page("pages/7_Deploy.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_deploy, Workspace(path)


def _run_strategy(at, ws, strategy: str, requests: int, scenario: str | None = None):
    at.radio(key="rollout_strategy").set_value(strategy).run()
    if scenario:
        at.selectbox(key="rollout_scenario").set_value(scenario).run()
    at.number_input(key=f"rollout_requests_{strategy}").set_value(requests).run()
    at.button(key="run_rollout").click().run()
    job = jobs.latest_job(ws, 1, "rollout")
    assert job is not None, [e.value for e in at.error]
    done = jobs.wait_for_job(ws, job["id"], timeout=180)
    assert done["status"] == "succeeded", done["error"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return done["result"]


def _chart_titles(at):
    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def _texts(at):
    return [e.value for e in (*at.success, *at.error, *at.warning, *at.info)]


def test_canary_bad_challenger_rolls_back_and_says_why(deploy):
    open_deploy, ws = deploy
    at = open_deploy()
    result = _run_strategy(at, ws, "canary", 540, scenario="bad_challenger")
    assert result["verdict"] == "rolled back"
    verdict = next(e.value for e in at.error if "rolled back" in e.value)
    assert re.search(r"score distribution guardrails? failed", verdict)
    titles = _chart_titles(at)
    assert any("Canary ramp" in t for t in titles) and any("Champion vs challenger" in t for t in titles)
    guardrails = next(d.value for d in at.dataframe if "guardrail" in d.value.columns)
    assert not guardrails.loc[guardrails["guardrail"] == "score distribution", "holds"].iloc[0]
    assert serving.get_active_deployment(ws, 1)["routing"].strategy == "single"


def test_ab_shows_the_readout(deploy):
    open_deploy, ws = deploy
    at = open_deploy()
    result = _run_strategy(at, ws, "ab", 1000)
    assert result["verdict"] in ("ship B", "keep A", "keep running")
    assert any(result["sentence"] in t for t in _texts(at))
    assert any("A/B" in t for t in _chart_titles(at))
    arms = next(d.value for d in at.dataframe if "arm" in d.value.columns and "low" in d.value.columns)
    assert len(arms) == 2
    assert any("p = " in c.value for c in at.caption)


def test_shadow_shows_the_comparison_and_promotes_with_evidence(deploy):
    open_deploy, ws = deploy
    at = open_deploy()
    _run_strategy(at, ws, "shadow", 400)
    titles = _chart_titles(at)
    assert any("Shadow minus champion" in t for t in titles) and any("disagrees most" in t for t in titles)
    at.button(key="promote_shadow").click().run()
    assert not at.exception
    assert any("comparison is attached" in s.value for s in at.success)
    entry = ws.query_one("SELECT detail_json FROM audit_log WHERE action = 'rollout.shadow_promoted'")
    assert "agreement" in json.loads(entry["detail_json"])


def test_blue_green_shows_the_stream_across_the_switch(deploy):
    open_deploy, ws = deploy
    at = open_deploy()
    result = _run_strategy(at, ws, "blue_green", 30)
    assert result["verdict"] == "no gap"
    assert any("Blue-green" in t for t in _chart_titles(at))
    assert any("All 30 requests got an answer" in t for t in _texts(at))
    assert any("dashed line" in c.value for c in at.caption)


def test_a_bad_ramp_is_refused_plainly(deploy):
    open_deploy, ws = deploy
    at = open_deploy()
    at.text_input(key="rollout_steps").set_value("50,x").run()
    at.button(key="run_rollout").click().run()
    assert not at.exception
    assert any("such as 5,25,50,100" in e.value for e in at.error)
    assert jobs.latest_job(ws, 1, "rollout") is None


def test_a_live_shadow_decides_on_its_own_traffic(deploy):
    from core.deployment.routing import RoutingConfig
    from core.pipeline import get_request_examples, stage_deploy

    open_deploy, ws = deploy
    live = stage_deploy(ws, 1, RoutingConfig("shadow"), reason="test")
    served = serving.load_served(ws, live["champion_version_id"])
    rows = get_request_examples(ws, served).head(200)
    ids = [f"client-{i}" for i in range(len(rows))]
    serving.predict(ws, live, rows, request_ids=ids, source="http")
    at = open_deploy()
    at.button(key="check_live").click().run()
    done = jobs.wait_for_job(ws, jobs.latest_job(ws, 1, "rollout")["id"], timeout=120)
    assert done["status"] == "succeeded", done["error"]
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert done["result"]["source"] == "live traffic" and done["result"]["verdict"] == "keep watching"
    assert any("(on the live traffic)" in t for t in _texts(at))
    assert any("disagrees most" in t for t in _chart_titles(at))
