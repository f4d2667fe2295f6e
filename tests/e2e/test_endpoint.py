"""The real endpoint from the browser: on a project built by the demo pipeline, "Start endpoint" on
Deploy, real HTTP requests (good, rule-breaking and bad) with urllib, the answers in Deploy's
prediction log and on Monitor's live-traffic panel, then "Stop endpoint". The teardown stops the
endpoint whatever happens. Screenshots (endpoint_*.png) are for a human to look at."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.unit.deployment.endpoint.conftest import api_key_headers

from .conftest import assert_no_exception, click_key, dataframe_rows, goto, main_text, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _post(url: str, body: bytes, key: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json", **key})
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_start_endpoint_send_real_requests_see_them_on_deploy_and_monitor(page, start_fresh_server):
    from core import pipeline
    from core.deployment import serving
    from core.deployment.endpoint import process
    from core.pipeline import get_request_examples, run_demo
    from core.workspace.database import Workspace
    from core.workspace.jsonable import to_strict_json

    server = start_fresh_server()
    ws = Workspace(server.workspace)
    run_demo(ws)
    key = api_key_headers(ws, 1)  # the endpoint answers /predict and /feedback only with an API key
    try:
        goto(page, server.base_url, "/Deploy?project=1")
        assert_no_exception(page, "Deploy")
        assert "HTTP endpoint" in main_text(page)
        click_key(page, "start_endpoint", timeout=90_000)
        assert_no_exception(page, "after Start endpoint")
        row = process.get_endpoint(ws, 1)
        assert row is not None and row["status"] == "running", row
        text = main_text(page)
        assert f"Running at {row['url']}" in text and "/health answers ready" in text, text[:1500]
        codes = page.locator("[data-testid=stMain] [data-testid=stCode]")
        assert codes.filter(has_text=f"{row['url']}/predict").count() == 1
        assert codes.filter(has_text=f"{row['url']}/feedback").count() == 1
        assert page.get_by_role("link", name="API docs (/docs)").get_attribute("href") == f"{row['url']}/docs"
        shot(page, "endpoint_01_deploy_running")

        # Real HTTP: two good rows (one sent as a client who knows its ids), then bad bodies.
        deployment = serving.get_active_deployment(ws, 1)
        served = serving.load_served(ws, serving.get_serving_version(ws, deployment)["id"])
        rows = to_strict_json(get_request_examples(ws, served).head(2).to_dict(orient="records"))
        good = {"rows": rows, "request_ids": ["e2e-1", "e2e-2"], "user_ids": ["e2e-user-1", "e2e-user-2"]}
        status, answer = _post(row["url"] + "/predict", json.dumps(good).encode(), key)
        assert status == 200, answer
        assert [r["request_id"] for r in answer["results"]] == ["e2e-1", "e2e-2"]
        column = next(c for c in served.required_columns if served.input_kinds.get(c) == "numeric")
        bad_rows = [dict(rows[0], **{column: "lots"}), {k: v for k, v in rows[0].items() if k != column}]
        status, bad = _post(row["url"] + "/predict", json.dumps({"rows": bad_rows}).encode(), key)
        assert status == 422, bad
        assert [e["loc"] for e in bad["detail"]] == [["body", "rows", 0, column], ["body", "rows", 1, column]]
        body = json.dumps({"rows": [dict(rows[0], **{column: "__NAN__"})]}).replace('"__NAN__"', "NaN")
        status, nan = _post(row["url"] + "/predict", body.encode(), key)
        assert status == 422 and nan["detail"][0]["type"] == "not_finite", nan
        status, labelled = _post(
            row["url"] + "/feedback", json.dumps({"request_id": "e2e-1", "label": "Yes"}).encode(), key
        )
        assert status == 200 and labelled["labelled"] == 1

        # Deploy's prediction log shows the HTTP answers (newest first), keyed by the client's user ids.
        goto(page, server.base_url, "/Deploy?project=1")
        log = page.locator("[data-testid=stMain] [data-testid=stDataFrame]").last
        log.scroll_into_view_if_needed()
        cells = dataframe_rows(log, until=lambda r: any("e2e-user-2" in c for row in r for c in row))
        assert any("e2e-user-1" in c for row in cells for c in row), cells[:5]
        # the two refused bodies left their trace, the latest first
        assert "2 requests refused with 422 (newest first)" in main_text(page)
        shot(page, "endpoint_02_deploy_log")

        # Monitor's live-traffic panel: the HTTP traffic of the served version, its label counted.
        goto(page, server.base_url, "/Monitor?project=1")
        assert_no_exception(page, "Monitor")
        text = main_text(page)
        assert "Live traffic" in text
        assert f"{served.label} over HTTP: 2 answers in 1 request;" in text, text[:2000]
        assert "50% labelled so far" in text
        assert "2 requests were refused with 422" in text
        # per arm: the simulator's requests (a few rows each) and the client's one request of two rows
        simulated = int(pipeline.latest_monitoring(ws, 1)["report"].system_df["requests"].sum())
        assert "Each version on live traffic" in text and f"{served.label} (answered as the champion): " in text
        assert f" rows in {simulated + 1:,} requests; half the requests answered within" in text
        # system health of real traffic (not the simulator's), and the label sent to /feedback
        assert "System health of live traffic" in text
        assert "1 of 2 answers (50%) have their true label from /feedback, in 1 of 1 windows of a minute (1)" in text
        shot(page, "endpoint_03_monitor_live")

        goto(page, server.base_url, "/Deploy?project=1")
        click_key(page, "stop_endpoint")
        assert process.get_endpoint(ws, 1)["status"] == "stopped"
        assert page.locator(".st-key-start_endpoint button").count() == 1
        assert process.get_health(row)["http_status"] == 0
        shot(page, "endpoint_04_deploy_stopped")
    finally:
        process.stop_endpoint(ws, 1)
