"""Attacks shown and defended, in the browser, on the demo project: the evasion measurement before and
after adversarial training, then the extraction demo to its alert on Deploy and on Monitor.
Screenshots (security_*.png) are for a human to look at."""

from __future__ import annotations

import time

import pytest

from .conftest import assert_no_exception, click_key, goto, main_text, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

JOB_TIMEOUT_S = 300


def wait_for_text(page, text: str, where: str) -> str:
    """Poll until the main area shows ``text`` (a job finished and the page reran), failing early on an
    exception."""
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while time.monotonic() < deadline:
        assert_no_exception(page, where)
        shown = main_text(page)
        if text in shown:
            return shown
        page.wait_for_timeout(1000)
    raise AssertionError(f"'{text}' did not appear {where} in {JOB_TIMEOUT_S} s; main text: {main_text(page)[-1500:]}")


def test_evasion_before_and_after_hardening_then_extraction_to_its_alert(page, start_fresh_server):
    from core.pipeline import run_demo
    from core.workspace.database import Workspace

    server = start_fresh_server()
    run_demo(Workspace(server.workspace))

    goto(page, server.base_url, "/Deploy?project=1")
    assert_no_exception(page, "Deploy")
    assert "Attacks, shown and defended" in main_text(page)

    click_key(page, "sec_measure")
    text = wait_for_text(page, "get it with a change inside the budget", "after measuring evasion")
    assert "Rejected rows that flip" in text
    shot(page, "security_01_evasion")

    click_key(page, "sec_harden")
    text = wait_for_text(page, "Before adversarial training", "after adversarial training")
    assert "It cost:" in text
    shot(page, "security_02_hardened")

    click_key(page, "sec_extract")
    text = wait_for_text(page, "The monitor flagged key extraction-demo", "after the extraction demo")
    assert "a copy trained on the answers agrees with the model" in text
    shot(page, "security_03_extraction")

    goto(page, server.base_url, "/Monitor?project=1")
    assert_no_exception(page, "Monitor")
    text = main_text(page)
    assert "Security alerts" in text
    assert "Key extraction-demo:" in text and "It looks like someone copying the model" in text, text[-2000:]
    shot(page, "security_04_monitor")
