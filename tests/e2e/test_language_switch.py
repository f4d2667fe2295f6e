"""Switching language in the sidebar mid-work, in a real browser: nothing crashes and every choice a
widget holds survives (a choice widget sends back the label of what is chosen, which the other
language's run cannot find unless the switch carries the choice over by its value)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from .conftest import REPO_ROOT, StreamlitServer, assert_no_exception, goto, new_server, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


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


def switch_to(page, language: str) -> None:
    page.locator(".st-key-language_switch button", has_text=language).first.click()
    wait_idle(page)


def checked_label(page, key: str) -> str:
    """The label of the checked option of a keyed st.radio ("" when none is)."""
    labels = page.locator(f".st-key-{key} label").evaluate_all(
        "els => els.filter(l => { const i = l.querySelector('input'); return i && i.checked; })"
        ".map(l => l.innerText.trim())"
    )
    return labels[0] if labels else ""


def test_round_trip_between_languages_keeps_every_choice(page, demo_server):
    # Train draws the model-family multiselect (translated chips) on every run: a choice carried over
    # by its label crashed it on the way back to Portuguese.
    goto(page, demo_server.base_url, "/Train?project=1&lang=pt")
    assert_no_exception(page, "Train in Portuguese")
    before_section = checked_label(page, "train_section")
    assert before_section

    switch_to(page, "English")
    assert_no_exception(page, "Train after switching to English")
    assert checked_label(page, "train_section") not in ("", before_section)

    switch_to(page, "Português")
    assert_no_exception(page, "Train after switching back to Portuguese")
    assert checked_label(page, "train_section") == before_section

    goto(page, demo_server.base_url, "/Problem?project=1&lang=pt")
    task_key = page.locator("[class*=st-key-task_]").first.get_attribute("class") or ""
    key = next(c for c in task_key.split() if c.startswith("st-key-task_"))[len("st-key-") :]
    chosen = checked_label(page, key)
    assert chosen
    switch_to(page, "English")
    assert checked_label(page, key) not in ("", chosen)  # the same choice, now said in English
    switch_to(page, "Português")
    assert checked_label(page, key) == chosen
    assert_no_exception(page, "Problem after a round trip")
