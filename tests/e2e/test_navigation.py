"""Every page opens: by deep link on a fresh server, by the sidebar links, and after a refresh."""

from __future__ import annotations

import re
import time

import pytest

from .conftest import (
    STAGES,
    assert_no_exception,
    click_key,
    fill_text,
    goto,
    project_id_from_url,
    selected_option,
    sidebar_link,
    wait_idle,
)

pytestmark = pytest.mark.browser


def assert_title(page, stage: str) -> None:
    """The page's own title (st.title, an h1 in the main area) names the stage."""
    assert_no_exception(page, f"{stage} page")
    title = page.locator("[data-testid=stMain] h1").first
    title.wait_for(state="visible", timeout=10_000)
    text = title.inner_text()
    assert stage.lower() in text.lower(), f"expected the {stage!r} page, its title is {text!r}"


def test_deep_links_right_after_server_start(page, start_fresh_server):
    """Each stage's URL as the very first request a server ever gets renders that stage.

    Guards a Streamlit fallback: with st.navigation, a deep link served before app.py ever ran
    used the legacy pages/ discovery instead. One fresh server per stage, since only the first
    request of a server takes that path.
    """
    failures = []
    for path, stage in STAGES:
        server = start_fresh_server()
        started = time.monotonic()
        try:
            goto(page, server.base_url, path)
            assert_title(page, stage)
            assert_no_exception(page, f"deep link {path}")
            assert page.url.rstrip("/").endswith(path), f"{path} redirected to {page.url}"
        except AssertionError as exc:
            failures.append(f"{path}: {exc}\nserver log:\n{server.log_tail(15)}")
        finally:
            server.stop()
        print(f"{path}: first load {time.monotonic() - started:.1f} s")
    assert not failures, "\n\n".join(failures)


def test_sidebar_links_open_every_page(page, base_url):
    goto(page, base_url, "/")
    assert_title(page, "MLOps Studio")
    assert_no_exception(page, "home")
    for path, stage in [*STAGES, ("/", "Home")]:
        link = sidebar_link(page, stage)
        assert link.count() >= 1, f"no sidebar link for {stage!r}"
        link.first.click()
        page.wait_for_url(re.compile(re.escape(path) + r"(\?.*)?$"), timeout=30_000)
        wait_idle(page)
        assert_title(page, "MLOps Studio" if stage == "Home" else stage)
        assert_no_exception(page, f"sidebar link {stage}")


def test_refresh_keeps_the_project(page, base_url):
    name = f"Refresh check {int(time.time())}"
    goto(page, base_url, "/")
    fill_text(page, "new_project_name", name)
    click_key(page, "create_project")
    page.wait_for_url(re.compile(r"[?&]project=\d+"), timeout=30_000)
    wait_idle(page)
    assert_no_exception(page, "after creating a project")
    project_id = project_id_from_url(page.url)
    assert project_id, f"creating a project did not put it in the URL: {page.url}"
    assert selected_option(page, "project_picker") == name

    # Another stage through the sidebar keeps the project too.
    sidebar_link(page, "Train").first.click()
    page.wait_for_url(re.compile(r"/Train\?.*project=" + project_id), timeout=30_000)
    wait_idle(page)

    page.reload(wait_until="domcontentloaded")
    wait_idle(page)
    assert project_id_from_url(page.url) == project_id, f"the refresh lost the project: {page.url}"
    assert "/Train" in page.url
    assert selected_option(page, "project_picker") == name
    assert_no_exception(page, "after refresh")

    # A shared link in a brand-new session (no session state) opens the same project.
    other = page.context.new_page()
    goto(other, base_url, f"/Data?project={project_id}")
    assert selected_option(other, "project_picker") == name
    assert_no_exception(other, "shared link")
    other.close()
