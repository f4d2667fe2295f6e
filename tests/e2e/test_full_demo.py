"""The instructor's button: "Run full demo" takes the sample to a monitored deployment, and every
stage page then shows that project's results. Screenshots (01_home.png …) are for a human to look at."""

from __future__ import annotations

import re
import time

import pytest

from .conftest import (
    MAIN_CHARTS,
    assert_no_exception,
    click_key,
    error_texts,
    goto,
    main_text,
    project_id_from_url,
    selected_option,
    shot,
    sidebar_link,
    wait_for_monitor_charts,
    wait_idle,
)

pytestmark = pytest.mark.browser

DEMO_TIMEOUT_S = 240
TABLES = "[data-testid=stMain] [data-testid=stDataFrame], [data-testid=stMain] [data-testid=stTable]"
CHARTS = MAIN_CHARTS


def metric_value(page, label: str) -> str:
    """The value shown by the st.metric whose label contains ``label``."""
    box = page.locator("[data-testid=stMain] [data-testid=stMetric]").filter(has_text=label).first
    return box.locator("[data-testid=stMetricValue]").inner_text(timeout=30_000).strip()


def wait_for_demo(page) -> None:
    wait_for_monitor_charts(page, DEMO_TIMEOUT_S, "the demo")


def test_full_demo_then_every_stage(page, base_url):
    goto(page, base_url, "/")
    assert_no_exception(page, "home")
    shot(page, "01_home")

    started = time.monotonic()
    click_key(page, "run_demo")
    wait_for_demo(page)
    wait_idle(page)
    print(f"full demo reached Monitor in {time.monotonic() - started:.0f} s")

    project_id = project_id_from_url(page.url)
    assert project_id, f"the Monitor page after the demo has no ?project= in its URL: {page.url}"
    assert "monitor" in page.locator("[data-testid=stMain] h1").first.inner_text().lower()
    assert_no_exception(page, "monitor after demo")
    shot(page, "10_monitor_after_demo")

    def visit(path: str, shot_name: str, errors_allowed: bool = False) -> None:
        goto(page, base_url, f"{path}?project={project_id}")
        assert project_id_from_url(page.url) == project_id, f"{path} lost the project: {page.url}"
        assert_no_exception(page, path)
        if not errors_allowed:
            assert not error_texts(page), f"{path} shows an error after the demo: {error_texts(page)}"
        shot(page, shot_name)

    # Home: the pipeline status says every stage is done.
    visit("/", "01_home_after_demo")
    assert "stages done" in main_text(page)

    # Data: the sample's profile and the cleaned version.
    visit("/Data", "02_data")
    text = main_text(page)
    assert "telco_churn" in text and "Cleaned version" in text, text[:600]
    assert page.locator(CHARTS).count() >= 1

    # Problem: the target of the sample is chosen.
    visit("/Problem", "03_problem")
    assert selected_option(page, "target") == "churn"

    # Features: the feature store lists the saved set.
    visit("/Features", "04_features")
    assert "Feature store" in main_text(page)

    # Train: a leaderboard table and the gate's verdict on the demo's best model (it passes).
    visit("/Train", "05_train")
    assert page.locator(TABLES).count() >= 1, "the Train page shows no leaderboard table"
    assert re.search(r"leaderboard", main_text(page), re.I), "no leaderboard on the Train page"
    assert metric_value(page, "Verdict") == "GO", "the Train page does not show the demo's gate verdict GO"

    # Explain: the page computes (or loads) the SHAP values itself; its three keyed charts appear.
    visit("/Explain", "06_explain")
    for key in ("importance", "beeswarm", "waterfall"):
        page.locator(f".st-key-{key} [data-testid=stPlotlyChart]").first.wait_for(timeout=120_000)

    # Registry: the demo registered v1 as champion, and its retraining v2 as challenger.
    visit("/Registry", "07_registry")
    assert metric_value(page, "Champion") == "v1", "the Registry page does not show v1 as the champion"
    assert metric_value(page, "Challenger") == "v2", "the Registry page does not show the retrained v2"

    # Deploy: sending rows to the deployed model shows predictions.
    visit("/Deploy", "08_deploy")
    tables_before = page.locator(TABLES).count()
    click_key(page, "send_rows", timeout=120_000)
    assert_no_exception(page, "deploy: send rows")
    assert not error_texts(page), f"sending rows failed: {error_texts(page)}"
    page.get_by_text("Each row's answer").first.wait_for(timeout=30_000)
    assert page.locator(TABLES).count() > tables_before, "no prediction table appeared after sending rows"
    shot(page, "08_deploy_after_send")

    # Monitor: drift charts.
    # (A drift verdict "Retrain recommended" is a decision shown in red, not a failure.)
    visit("/Monitor", "09_monitor", errors_allowed=True)
    assert page.locator(CHARTS).count() >= 1, "the Monitor page shows no drift chart"
    assert re.search(r"drift", main_text(page), re.I)


def test_refresh_during_the_demo_loses_nothing(page, base_url):
    """In class, someone refreshes while the demo runs: the job goes on and the page still lands
    on the Monitor page of the demo project."""
    goto(page, base_url, "/")
    click_key(page, "run_demo")
    page.wait_for_url(re.compile(r"[?&]project=\d+"), timeout=30_000)  # the demo's project, made first
    project_id = project_id_from_url(page.url)
    progress = page.locator("[data-testid=stProgress]")
    try:
        progress.first.wait_for(timeout=20_000)
    except Exception:
        pass  # a very fast demo may already be done; the refresh below must still be harmless
    page.reload(wait_until="domcontentloaded")
    assert project_id_from_url(page.url) == project_id, f"the refresh dropped the demo's project: {page.url}"
    wait_idle(page)
    # While the job runs, a second start is impossible (read both in one go: the job may just end).
    running, disabled = page.evaluate(
        "() => [document.querySelectorAll('[data-testid=stMain] [data-testid=stProgress]').length > 0,"
        " !!document.querySelector('.st-key-run_demo button')?.disabled]"
    )
    if running:
        assert disabled, "the 'Run full demo' button is enabled while the demo job runs"
    wait_for_demo(page)
    assert_no_exception(page, "monitor after a refresh during the demo")
    assert project_id_from_url(page.url) == project_id, f"the demo landed in another project: {page.url}"


def test_a_page_switch_during_the_demo_loses_nothing(page, base_url):
    """Home → Data → Home while the demo runs: every page says the demo is running, and it still lands."""
    goto(page, base_url, "/")
    click_key(page, "run_demo")
    page.wait_for_url(re.compile(r"[?&]project=\d+"), timeout=30_000)
    project_id = project_id_from_url(page.url)
    sidebar_progress = page.locator("[data-testid=stSidebar] [data-testid=stProgress]")
    sidebar_progress.first.wait_for(timeout=30_000)
    sidebar_link(page, "Data").click()
    page.wait_for_url(re.compile(r"/Data"), timeout=30_000)
    wait_idle(page)
    if "/Monitor" not in page.url:  # (unless it has just finished)
        assert "Full demo" in page.locator("[data-testid=stSidebar]").inner_text(), (
            "the Data page does not say the demo is running"
        )
        page.locator("[data-testid=stSidebar]").screenshot(
            path=str(shot(page, "11_data_while_demo_runs").with_name("11_sidebar_while_demo_runs.png"))
        )
        sidebar_link(page, "Home").click()
    wait_for_demo(page)
    assert_no_exception(page, "monitor after a page switch during the demo")
    assert project_id_from_url(page.url) == project_id
