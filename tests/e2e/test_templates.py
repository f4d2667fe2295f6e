"""The case study's one-click deploy in a real browser: Home's template gallery creates a project from the
churn template, one click runs it to a monitored deployment (a job with progress), and the app lands on
Monitor with the deployed model. Screenshots (templates_*.png) are for a human to look at."""

from __future__ import annotations

import time

import pytest

from .conftest import (
    assert_no_exception,
    click_key,
    error_texts,
    goto,
    main_text,
    project_id_from_url,
    shot,
    wait_for_monitor_charts,
    wait_idle,
)

pytestmark = pytest.mark.browser

RUN_TIMEOUT_S = 360  # about a minute on a quiet machine (three families, 3 folds); the shared CI box is slower


def wait_for_monitor(page) -> None:
    wait_for_monitor_charts(page, RUN_TIMEOUT_S, "the template's run")


def test_a_template_and_one_click_reach_a_monitored_deployment(page, base_url):
    goto(page, base_url, "/")
    assert_no_exception(page, "home")
    gallery = page.locator(".st-key-template_card_churn")
    gallery.wait_for(state="visible", timeout=30_000)
    assert "Customer churn: who is about to leave?" in gallery.inner_text()
    shot(page, "templates_01_gallery")

    click_key(page, "template_create_churn")
    assert_no_exception(page, "after creating the project")
    assert not error_texts(page), error_texts(page)
    project_id = project_id_from_url(page.url)
    assert project_id, f"no ?project= after creating from the template: {page.url}"
    assert "Created project Customer churn" in main_text(page)

    started = time.monotonic()
    click_key(page, "template_run_churn")
    wait_for_monitor(page)
    wait_idle(page)
    print(f"the churn template reached Monitor in {time.monotonic() - started:.0f} s")

    assert project_id_from_url(page.url) == project_id, f"Monitor opened another project: {page.url}"
    assert "monitor" in page.locator("[data-testid=stMain] h1").first.inner_text().lower()
    text = main_text(page)
    assert "customer-churn" in text, text[:1500]  # the deployed model, by its registered name
    assert_no_exception(page, "monitor after the template's run")
    shot(page, "templates_02_monitor")
