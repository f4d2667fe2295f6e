"""Switching language in the sidebar mid-work, in a real browser: nothing crashes and every choice a
widget holds survives the round trip Portuguese → English → Portuguese (a choice widget sends back the
label of what is chosen, which the other language's run cannot find unless the switch carries the
choice over by its value, see ui/language.py).

Every check waits on what it checks (Playwright's ``expect`` retries until it holds or its timeout
runs out) after the app says its script is idle: the page redraws for a moment after a switch, and
reading a widget then read the old page under load (the test this one replaces failed that way).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from core.i18n import _, use_language
from core.problem.definition import TASK_LABELS, get_metric_label
from core.training.catalog import get_catalog

from .conftest import REPO_ROOT, StreamlitServer, assert_no_exception, goto, new_server, select_option, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SETTLE_MS = 60_000  # generous: on a loaded machine a rerun of Train takes seconds
LANGUAGE_NAMES = {"en": "English", "pt": "Português"}


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    from .conftest import require_chromium

    require_chromium()
    server = new_server(tmp_path_factory.mktemp("e2e-language"), "language")
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "demo", "--workspace", str(server.workspace)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"the demo failed:\n{result.stderr[-2000:]}"
    server.start()
    yield server
    server.stop()


def said_in(language: str, english: str) -> str:
    with use_language(language):
        return _(english)


def settled(page) -> None:
    """The script has finished its rerun (Streamlit's running indicator is gone) and stays idle."""
    from playwright.sync_api import expect

    wait_idle(page, timeout=SETTLE_MS)
    expect(page.locator("[data-testid=stApp]")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=SETTLE_MS
    )


def switch_to(page, language: str, heading_en: str) -> None:
    """Click the sidebar's language switch and wait until the page is drawn in that language."""
    from playwright.sync_api import expect

    switch = page.locator(".st-key-language_switch button", has_text=LANGUAGE_NAMES[language]).first
    switch.click()
    settled(page)
    expect(switch).to_have_attribute("aria-checked", "true", timeout=SETTLE_MS)
    title = said_in(language, heading_en)  # "Problem" is inside "Problema": match the end of the heading
    expect(page.locator("[data-testid=stMain] h1").first).to_have_text(
        re.compile(rf"{re.escape(title)}\s*$"), timeout=SETTLE_MS
    )
    settled(page)
    assert_no_exception(page, f"after switching to {language}")


def radio_option(page, key: str, label: str):
    """The <input> of a keyed st.radio's option shown as ``label``."""
    return page.locator(f".st-key-{key} [data-testid=stRadioOption]").filter(has_text=label).locator("input")


def combobox(page, key: str):
    return page.locator(f".st-key-{key} input[role=combobox]").first


def chips(page, key: str):
    """The chosen options of a keyed st.multiselect (the tags, each named by its label)."""
    return page.locator(f".st-key-{key} [data-testid=stMultiSelectTagsContainer] [data-tag]")


def expect_chips(page, key: str, labels: list[str]) -> None:
    from playwright.sync_api import expect

    expect(chips(page, key)).to_have_count(len(labels), timeout=SETTLE_MS)
    for index, label in enumerate(labels):
        expect(chips(page, key).nth(index)).to_have_attribute("aria-label", label, timeout=SETTLE_MS)


def open_training_settings(page) -> None:
    """Train's settings sit in an expander, collapsed once a leaderboard exists (and drawn anew, so
    collapsed again, when its title changes language)."""
    from playwright.sync_api import expect

    models = page.locator(".st-key-models")
    if not models.is_visible():
        expander = page.locator("[data-testid=stExpander]").filter(has=models).first
        expander.locator("summary").click()
    expect(models).to_be_visible(timeout=SETTLE_MS)


def test_problem_choices_survive_a_round_trip(page, demo_server):
    from playwright.sync_api import expect

    goto(page, demo_server.base_url, "/Problem?project=1&lang=pt")
    settled(page)
    assert_no_exception(page, "Problem in Portuguese")
    # The demo's target is churn, a binary task: pick multiclass instead (radio), then a metric that
    # is not the default of that task (selectbox; its key names the task).
    multiclass_pt = said_in("pt", TASK_LABELS["multiclass"])
    expect(radio_option(page, "task_churn", said_in("pt", TASK_LABELS["binary"]))).to_be_checked(timeout=SETTLE_MS)
    page.locator(".st-key-task_churn [data-testid=stRadioOption]").filter(has_text=multiclass_pt).click()
    settled(page)
    expect(radio_option(page, "task_churn", multiclass_pt)).to_be_checked(timeout=SETTLE_MS)
    with use_language("pt"):
        accuracy_pt = get_metric_label("accuracy")
    select_option(page, "metric_churn_multiclass", accuracy_pt, exact=True)
    settled(page)
    expect(combobox(page, "metric_churn_multiclass")).to_have_value(accuracy_pt, timeout=SETTLE_MS)

    switch_to(page, "en", "Problem")
    expect(radio_option(page, "task_churn", TASK_LABELS["multiclass"])).to_be_checked(timeout=SETTLE_MS)
    with use_language("en"):
        expect(combobox(page, "metric_churn_multiclass")).to_have_value(get_metric_label("accuracy"), timeout=SETTLE_MS)

    switch_to(page, "pt", "Problem")
    expect(radio_option(page, "task_churn", multiclass_pt)).to_be_checked(timeout=SETTLE_MS)
    expect(combobox(page, "metric_churn_multiclass")).to_have_value(accuracy_pt, timeout=SETTLE_MS)
    assert_no_exception(page, "Problem after a round trip")


def test_train_choices_survive_a_round_trip(page, demo_server):
    from playwright.sync_api import expect

    goto(page, demo_server.base_url, "/Train?project=1&lang=pt&section=leaderboard")
    settled(page)
    assert_no_exception(page, "Train in Portuguese")
    open_training_settings(page)
    catalog = get_catalog("binary")
    defaults = [m.key for m in get_catalog("binary", default_only=True)]
    dropped = next(key for key in defaults if key != "baseline")
    names = {language: {m.key: said_in(language, m.name) for m in catalog} for language in ("en", "pt")}
    expect_chips(page, "models", [names["pt"][key] for key in defaults])

    # Multiselect: drop one family. Selectbox: random k-fold instead of automatic.
    chips(page, "models").filter(has_text=names["pt"][dropped]).locator("button").click()
    settled(page)
    kept = [key for key in defaults if key != dropped]
    expect_chips(page, "models", [names["pt"][key] for key in kept])
    kfold_pt = said_in("pt", "k-fold (random folds)")
    select_option(page, "validation", kfold_pt, exact=True)
    settled(page)
    expect(combobox(page, "validation")).to_have_value(kfold_pt, timeout=SETTLE_MS)
    section_pt = said_in("pt", "Leaderboard")
    expect(radio_option(page, "train_section", section_pt)).to_be_checked(timeout=SETTLE_MS)

    switch_to(page, "en", "Train & compare")
    expect(radio_option(page, "train_section", "Leaderboard")).to_be_checked(timeout=SETTLE_MS)
    open_training_settings(page)
    expect_chips(page, "models", [names["en"][key] for key in kept])
    expect(combobox(page, "validation")).to_have_value("k-fold (random folds)", timeout=SETTLE_MS)

    switch_to(page, "pt", "Train & compare")
    expect(radio_option(page, "train_section", section_pt)).to_be_checked(timeout=SETTLE_MS)
    open_training_settings(page)
    expect_chips(page, "models", [names["pt"][key] for key in kept])
    expect(combobox(page, "validation")).to_have_value(kfold_pt, timeout=SETTLE_MS)
    assert_no_exception(page, "Train after a round trip")
