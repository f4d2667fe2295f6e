"""The Train page's "Where training runs" in a real browser: a project made from a spec (one family, 3
folds), the local cluster chosen, a small leaderboard trained as a job, and the page shows it finished —
with the cluster now running in the server (the page says "already running"). Screenshots
cluster_*.png are for a human to look at."""

from __future__ import annotations

import time

import pytest

from .conftest import StreamlitServer, assert_no_exception, click_key, error_texts, goto, main_text, shot, wait_idle

pytestmark = pytest.mark.browser

TRAIN_TIMEOUT_S = 300  # the cluster's start (seconds) and one family's 3 folds, on a loaded 2-core machine
SPEC = """
project: {name: Cluster in the browser}
data: {source: "sample:telco_churn"}
problem: {target: churn}
training: {models: [logistic], cv_folds: 3}
"""


def test_a_leaderboard_on_the_local_cluster_finishes(page, app_server: StreamlitServer):
    from core.spec import create_project_from_spec, load_spec
    from core.workspace.database import Workspace

    pid = create_project_from_spec(Workspace(app_server.workspace), load_spec(SPEC))
    goto(page, app_server.base_url, f"/Train?project={pid}&section=leaderboard")
    assert_no_exception(page, "Train")
    page.get_by_text("Where training runs").first.click()
    page.get_by_text("A local cluster of worker processes").first.click()
    wait_idle(page)
    assert "started on the first training" in main_text(page)
    shot(page, "cluster_01_chosen")

    click_key(page, "train")
    deadline = time.monotonic() + TRAIN_TIMEOUT_S
    while time.monotonic() < deadline:
        assert_no_exception(page, "while the leaderboard trains on the cluster")
        assert not error_texts(page), error_texts(page)
        if "Leaderboard — experiment" in main_text(page):
            break
        page.wait_for_timeout(1000)
    else:
        raise AssertionError(f"no leaderboard after {TRAIN_TIMEOUT_S} s: {main_text(page)[:800]}")
    text = main_text(page)
    assert "Logistic regression" in text
    assert "already running" in text  # the job ran on the local cluster the page started
    shot(page, "cluster_02_leaderboard")
