"""The autopilot in a real browser: on Monitor, start it on the demo project and watch the timeline fill
(the section refreshes itself while the run goes) through one full loop to the rollout's verdict:
promoted or rejected. Screenshots (autopilot_*.png) are for a human to look at."""

from __future__ import annotations

import time

import pytest

from .conftest import SCREENSHOT_DIR, assert_no_exception, click_key, goto, main_text, new_server, shot

pytestmark = pytest.mark.browser

LOOP_TIMEOUT_S = 300


@pytest.fixture
def demo_server(tmp_path):
    """A server on a workspace where the full demo has run, with a one-round autopilot policy saved."""
    from core.monitoring.autopilot import AutopilotPolicy, save_policy
    from core.pipeline import run_demo
    from core.workspace.database import Workspace

    server = new_server(tmp_path, "autopilot")
    ws = Workspace(server.workspace)
    run_demo(ws)
    policy = AutopilotPolicy(
        scenario="sudden", release="canary", rounds=1, windows=3, rows_per_window=300, drift_start=2
    )
    save_policy(ws, 1, policy)
    server.start()
    yield server
    server.stop()


def test_autopilot_runs_one_full_loop_to_the_promote_or_reject_sentence(page, demo_server):
    goto(page, demo_server.base_url, "/Monitor?project=1")
    assert_no_exception(page, "Monitor")
    click_key(page, "autopilot_start")
    section = page.locator("[data-testid=stMain]")
    deadline = time.monotonic() + LOOP_TIMEOUT_S
    seen_running = False
    while time.monotonic() < deadline:
        assert_no_exception(page, "while the autopilot runs")
        text = main_text(page)
        seen_running |= "Round 1 of 1:" in text  # the live progress line, redrawn by the fragment
        if "Autopilot finished 1 round" in text:
            break
        page.wait_for_timeout(1000)
    else:
        raise AssertionError(f"the autopilot did not finish in {LOOP_TIMEOUT_S} s; main text: {main_text(page)[:2000]}")
    assert seen_running
    text = main_text(page)
    assert "Promoted:" in text or "Rejected by the canary" in text, text[:3000]
    ended = section.locator("[data-testid=stAlert]").filter(has_text="Autopilot finished 1 round").first
    assert "round 1: promoted" in ended.inner_text() or "round 1: rejected" in ended.inner_text()
    shot(page, "autopilot_1_done")
    steps = page.locator(".st-key-autopilot_steps")
    assert "Round 1 · verdict" in steps.inner_text()
    steps.screenshot(path=str(SCREENSHOT_DIR / "autopilot_2_timeline.png"))
    ended.screenshot(path=str(SCREENSHOT_DIR / "autopilot_3_verdict.png"))
