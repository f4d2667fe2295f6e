"""Sign-off in a real browser, two people in two browser sessions: Ana (data scientist) signs in and
requests the challenger's promotion; Bo (reviewer) signs in, reads what he signs off (the model card)
and approves; the version becomes champion and the audit log names both. Screenshots (signoff_*.png)
are for a human to look at."""

from __future__ import annotations

import pytest

from .conftest import (
    VIEWPORT,
    assert_no_exception,
    click_key,
    dataframe_rows,
    error_texts,
    fill_text,
    goto,
    main_text,
    new_server,
    shot,
    wait_idle,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_server(tmp_path):
    """A server on a workspace where the full demo has run (champion v1, challenger v2)."""
    from core.pipeline import run_demo
    from core.workspace.database import Workspace

    server = new_server(tmp_path, "signoff")
    run_demo(Workspace(server.workspace))
    server.start()
    yield server
    server.stop()


def sign_in(page, name: str, role_label: str) -> None:
    """The sidebar's sign-in: a name, a role, the button."""
    fill_text(page, "sign_in_name", name)
    page.locator(".st-key-sign_in_role label").filter(has_text=role_label).first.click()
    wait_idle(page)
    click_key(page, "sign_in")
    sidebar = page.locator("[data-testid=stSidebar]").inner_text()
    assert f"Signed in as {name}" in sidebar, sidebar[:1000]


def test_one_person_requests_another_approves_and_the_audit_log_names_both(page, browser, demo_server):
    from core import registry
    from core.workspace.database import Workspace

    ws = Workspace(demo_server.workspace)
    model = registry.get_model_name(ws, 1)
    challenger = registry.get_alias_version(ws, 1, model, "challenger")
    assert challenger is not None

    # Ana, data scientist, requests the promotion of the challenger.
    goto(page, demo_server.base_url, "/Registry?project=1")
    assert_no_exception(page, "Registry")
    sign_in(page, "Ana Lima", "Data scientist")
    assert "as=Ana+Lima" in page.url or "as=Ana%20Lima" in page.url, page.url
    fill_text(page, "request_reason", "Recall is better on the last month's rows; the gate's checks hold.")
    click_key(page, "request_submit")
    assert_no_exception(page, "after the request")
    assert not error_texts(page), error_texts(page)
    request = ws.query_one("SELECT id, requested_by, status FROM promotion_requests ORDER BY id DESC")
    assert request["requested_by"] == "Ana Lima" and request["status"] == "pending"
    shot(page, "signoff_1_requested")

    # Bo, reviewer, in his own browser session: reads the card, approves, promotes.
    other = browser.new_context(viewport=VIEWPORT)
    try:
        bo = other.new_page()
        goto(bo, demo_server.base_url, "/Registry?project=1")
        sign_in(bo, "Bo Reis", "Reviewer")
        box = bo.locator(f".st-key-review_{request['id']}")
        text = box.inner_text()
        assert "asked by Ana Lima (data scientist)" in text and "Recall is better" in text, text[:1500]
        downloads = box.locator("[data-testid=stDownloadButton]").all_inner_texts()
        assert any("model card (PDF)" in d for d in downloads), f"no model card beside the request: {downloads}"
        fill_text(bo, f"review_comment_{request['id']}", "Card read: fairness within bounds, lineage complete.")
        click_key(bo, f"approve_{request['id']}")
        assert not error_texts(bo), error_texts(bo)
        assert "approved by Bo Reis" in main_text(bo)
        click_key(bo, f"carry_out_{request['id']}")
        assert_no_exception(bo, "after the promotion")
        assert not error_texts(bo), error_texts(bo)
        champion = registry.get_alias_version(ws, 1, model, "champion")
        assert champion["id"] == challenger["id"]
        metric = bo.locator("[data-testid=stMetric]").filter(has_text="Champion").first.inner_text()
        assert f"v{challenger['version']}" in metric, metric
        audit = bo.locator("[data-testid=stDataFrame]").last
        audit.scroll_into_view_if_needed()
        rows = dataframe_rows(audit, until=lambda r: any("Ana Lima" in " ".join(row) for row in r))
        cells = " ".join(" ".join(row) for row in rows)
        assert "Ana Lima (data scientist)" in cells and "Bo Reis (reviewer)" in cells, cells[:2000]
        shot(bo, "signoff_2_approved_and_promoted")
    finally:
        other.close()
