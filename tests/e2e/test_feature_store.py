"""The feature store in a real browser: a feature defined on the Features page of one project (the
account events), reused by another (the card transactions), materialised as a job, and a request scored
by entity id (only the customer id and the request-time fields sent; the endpoint's own path fills in the
feature from the online store).

Training and deploying the second project is not what this test is about: between the browser steps the
test trains and deploys it with the pipeline's own steps (a logistic regression, 3 folds), as the Train
and Deploy pages would. Screenshots (feature_store_*.png) are for a human to look at.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from core.data.datasets import save_dataset
from core.featurestore import catalog, online
from core.featurestore.lesson import SAMPLE_DIR
from core.workspace.database import Workspace
from core.workspace.projects import create_project
from tests.pages.test_featurestore_online import train_and_deploy

from .conftest import assert_no_exception, click_key, error_texts, fill_text, goto, main_text, select_option, shot

pytestmark = pytest.mark.browser

FEATURE = "disputes_30d"


def choose_view(page, label: str) -> None:
    """Pick one of the feature store's views (the horizontal radio) by its label."""
    page.locator(".st-key-fs_view label").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).first.click()
    from .conftest import wait_idle

    wait_idle(page)


def wait_for_text(page, text: str, timeout_s: int = 120) -> None:
    for _i in range(timeout_s):
        assert_no_exception(page, f"waiting for {text!r}")
        if text in main_text(page):
            return
        assert not error_texts(page), error_texts(page)
        page.wait_for_timeout(1000)
    raise AssertionError(f"{text!r} did not appear in {timeout_s} s; main text: {main_text(page)[:1500]}")


def test_define_reuse_materialise_and_score_by_entity_id(page, app_server):
    ws = Workspace(app_server.workspace)
    accounts = create_project(ws, "Accounts (feature store)")
    events = pd.read_csv(SAMPLE_DIR / "card_events.csv")
    save_dataset(ws, accounts["id"], events, kind="raw", name="card_events.csv")
    fraud = create_project(ws, "Card fraud (feature store)")

    # 1. Define the feature on the account events' project.
    goto(page, app_server.base_url, f"/Features?project={accounts['id']}")
    assert_no_exception(page, "Features of the accounts project")
    choose_view(page, "Define a feature")
    fill_text(page, "fs_name", FEATURE)
    select_option(page, "fs_entity", "customer_id", exact=True)
    select_option(page, "fs_timestamp", "timestamp", exact=True)
    fill_text(page, "fs_expression", "equals(kind, 'chargeback')")
    select_option(page, "fs_aggregate", "sum", exact=True)
    select_option(page, "fs_window", "last 30 days", exact=True)
    fill_text(page, "fs_owner", "Risk team")
    fill_text(page, "fs_description", "Chargebacks the customer filed in the 30 days before the moment.")
    shot(page, "feature_store_01_define")
    click_key(page, "fs_define_submit")
    wait_for_text(page, f"Feature {FEATURE} version 1 is in the catalog.")
    assert catalog.users_of(ws, FEATURE) == [accounts["name"]]

    # 2. Reuse it in the card transactions' project, found by searching the catalog.
    goto(page, app_server.base_url, f"/Features?project={fraud['id']}")
    choose_view(page, "Catalog")
    fill_text(page, "fs_search", "chargebacks the customer")
    select_option(page, "fs_pick", FEATURE, exact=True)
    assert "Lineage: table card_events.csv version 1 of project Accounts (feature store)" in main_text(page)
    click_key(page, "fs_add")
    wait_for_text(page, f"Feature {FEATURE} added to this project.")
    assert catalog.users_of(ws, FEATURE) == [accounts["name"], fraud["name"]]
    shot(page, "feature_store_02_reused")

    # (The project trains and deploys a model that takes the feature, joined point-in-time.)
    train_and_deploy(ws, fraud["id"])

    # 3. Materialise it: a job with progress, then its freshness and health.
    goto(page, app_server.base_url, f"/Features?project={fraud['id']}")
    choose_view(page, "Materialise and monitor")
    click_key(page, "fs_materialise")
    wait_for_text(page, f"Feature {FEATURE} version 1 materialised:")
    assert "The online store holds the latest value of" in main_text(page)
    assert page.locator("[data-testid=stMain] [data-testid=stPlotlyChart]").count() >= 1
    shot(page, "feature_store_03_materialised")

    # 4. Score a request by entity id.
    choose_view(page, "Score by entity id")
    customer = next(
        c for c in ("C00007", "C00042", "C00100") if online.online_features(ws, [FEATURE], [c]).notna().all(axis=None)
    )
    fill_text(page, "fs_score_entity", customer)
    click_key(page, "fs_score")
    wait_for_text(page, f"customer_id {customer}: prediction ")
    sent = re.sub(r"\s+", " ", page.locator("[data-testid=stCode]").last.inner_text())  # wrapped lines joined
    assert '"customer_id": "' + customer + '"' in sent, sent  # the request as sent
    assert not error_texts(page), error_texts(page)
    shot(page, "feature_store_04_scored")


@pytest.fixture
def projector(browser):
    from .test_presenter import PROJECTOR

    context = browser.new_context(viewport=PROJECTOR)
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("lang", ["en", "pt"])
def test_every_feature_store_view_fits_a_projector(projector, start_fresh_server, lang):
    """Presenter mode at 1024×768: each view of the section (the lesson with its two charts, the health
    chart, a scored request) has large text, chart titles inside their charts, nothing overflowing."""
    from core.workspace import jobs
    from tests.pages.test_featurestore_online import deploy_with_catalog_features
    from ui.featurestore_lesson import JOB_KIND, lesson_work

    from .test_presenter import check_page, screenshot

    server = start_fresh_server()
    ws = Workspace(server.workspace)
    project = deploy_with_catalog_features(ws, rows=3000)
    job = jobs.wait_for_job(ws, jobs.start_job(ws, None, JOB_KIND, lesson_work(ws)), timeout=300)
    assert job["status"] == "succeeded", job["error"]
    online.materialise(ws, "card_blocks")
    labels = {
        "en": ["Catalog", "Define a feature", "Point-in-time lesson", "Materialise and monitor", "Score by entity id"],
        "pt": [
            "Catálogo",
            "Definir uma feature",
            "Lição point-in-time",
            "Materializar e monitorar",
            "Pontuar pelo id da entidade",
        ],
    }[lang]
    goto(projector, server.base_url, f"/Features?project={project['id']}&present=1&lang={lang}")
    problems: list[str] = []
    for code, label in zip(("catalog", "define", "lesson", "online", "score"), labels):
        choose_view(projector, label)
        if code == "score":
            click_key(projector, "fs_score")
        projector.wait_for_timeout(1500)  # plotly draws after the script ends
        assert_no_exception(projector, f"{code} ({lang})")
        problems += check_page(projector, f"feature store {code} ({lang})")
        screenshot(projector, f"feature_store_{code}_{lang}")
    assert not problems, "\n".join(problems)
