"""Monitoring per arm in the browser: a canary deployment of the demo project answers real traffic
(logged as HTTP, some labelled); Monitor shows each version's drift, labelled metric and latency per
request, and Deploy the champion-vs-challenger chart. Screenshots (arms_*.png) are for a human to look at."""

from __future__ import annotations

import pytest

from .conftest import assert_no_exception, goto, main_text, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_monitor_and_deploy_follow_each_arm_of_a_canary(page, start_fresh_server):
    from core import registry
    from core.deployment import serving
    from core.deployment.routing import RoutingConfig
    from core.pipeline import get_request_examples, run_demo, stage_deploy, stage_register
    from core.training import tracking
    from core.workspace.database import Workspace

    server = start_fresh_server()
    ws = Workspace(server.workspace)
    run_demo(ws)
    champion = registry.get_alias_version(ws, 1, registry.get_model_name(ws, 1), "champion")
    if registry.get_alias_version(ws, 1, champion["model_name"], "challenger") is None:
        experiment = tracking.latest_experiment(ws, 1)
        runs = tracking.get_runs_df(ws, 1, experiment["id"])
        other = runs[(runs["run"] != champion["run_id"]) & (runs["key"] != "baseline")]
        stage_register(ws, 1, int(other.iloc[0]["run"]), alias="challenger", override_reason="e2e arms")
    deployment = stage_deploy(ws, 1, RoutingConfig("canary", 0.5))
    rows = get_request_examples(ws, serving.load_served(ws, deployment["champion_version_id"])).head(200)
    out = serving.predict(ws, deployment, rows, source="http", seed=1)
    for i in range(3):  # three one-row requests beside the 200-row batch
        serving.predict(ws, deployment, rows.iloc[[i]], source="http", seed=i)
    for request_id, prediction in zip(out["request_id"][:60], out["prediction"][:60]):
        serving.record_feedback(ws, 1, request_id, prediction)  # labels that agree: accuracy 1.00 on those

    goto(page, server.base_url, "/Monitor?project=1")
    assert_no_exception(page, "Monitor")
    text = main_text(page)
    assert "Each version on live traffic" in text, text[:2000]
    assert "(answered as the champion):" in text and "(answered as the challenger):" in text
    assert "accuracy 1.00 on" in text and "per request" in text
    assert "(answered as the challenger) against" in text  # the overview chart's sentence
    page.get_by_text("Each version on live traffic", exact=True).first.scroll_into_view_if_needed()
    assert page.locator("[data-testid=stMain] .stPlotlyChart").count() >= 2
    shot(page, "arms_01_monitor")

    goto(page, server.base_url, "/Deploy?project=1")
    assert_no_exception(page, "Deploy")
    text = main_text(page)
    assert "Champion vs challenger on this deployment's traffic" in text, text[:2000]
    assert "(answered as the challenger) against" in text
    shot(page, "arms_02_deploy")
