"""The canary "bad challenger" demo in a real browser: on Deploy, run the canary with a deliberately
weak challenger and watch it roll back by itself, naming the guardrail that failed. Screenshots
(canary_*.png) are for a human to look at."""

from __future__ import annotations

import re
import time

import pytest

from .conftest import (
    SCREENSHOT_DIR,
    assert_no_exception,
    click_key,
    error_texts,
    goto,
    main_text,
    new_server,
    select_option,
    shot,
    wait_idle,
)

pytestmark = pytest.mark.browser

ROLLOUT_TIMEOUT_S = 180


@pytest.fixture
def demo_server(tmp_path):
    """A server on a workspace where the full demo has run (champion and challenger registered)."""
    from core.pipeline import run_demo
    from core.workspace.database import Workspace

    server = new_server(tmp_path, "canary")
    run_demo(Workspace(server.workspace))
    server.start()
    yield server
    server.stop()


def wait_for_verdict(page, text: str) -> str:
    """Poll until an alert containing ``text`` shows (the job ends and the page reruns)."""
    deadline = time.monotonic() + ROLLOUT_TIMEOUT_S
    alerts = page.locator("[data-testid=stMain] [data-testid=stAlert]").filter(has_text=text)
    while time.monotonic() < deadline:
        assert_no_exception(page, "while the canary runs")
        if alerts.count():
            return alerts.first.inner_text()
        page.wait_for_timeout(1000)
    raise AssertionError(f"no '{text}' verdict in {ROLLOUT_TIMEOUT_S} s; main text: {main_text(page)[:1500]}")


def test_bad_challenger_canary_rolls_back_by_itself(page, demo_server):
    goto(page, demo_server.base_url, "/Deploy?project=1")
    assert_no_exception(page, "Deploy")
    select_option(page, "rollout_scenario", "bad_challenger")
    box = page.locator(".st-key-rollout_requests_canary input").first
    box.fill("540")
    box.press("Tab")
    wait_idle(page)
    shot(page, "canary_1_before")
    click_key(page, "run_rollout")
    verdict = wait_for_verdict(page, "rolled back")
    wait_idle(page)
    assert re.search(r"score distribution guardrails? failed", verdict)
    assert "The champion answers every request again" in verdict
    assert not [e for e in error_texts(page) if "rolled back" not in e]
    text = main_text(page)
    assert "Live now:" in text and "(single)" in text
    charts = page.locator("[data-testid=stMain] [data-testid=stPlotlyChart]")
    assert charts.count() >= 2
    shot(page, "canary_2_rolled_back")
    alert = page.locator("[data-testid=stMain] [data-testid=stAlert]").filter(has_text="rolled back").first
    alert.screenshot(path=str(SCREENSHOT_DIR / "canary_3_verdict.png"))
    charts.first.screenshot(path=str(SCREENSHOT_DIR / "canary_4_ramp.png"))
