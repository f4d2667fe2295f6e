"""The guided demo in a real browser, in Portuguese: "Rodar a demo passo a passo" on Home, then Próximo
from the first step to the last, each step's page opened beside its narration. Screenshots of every
step go to /tmp/guide_shots/ (for a human to look at)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from core.guide import steps
from core.i18n import use_language

from .conftest import assert_no_exception, click_key, error_texts, goto, shot, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = Path("/tmp/guide_shots")
STEP_TIMEOUT_S = 600  # a loaded machine: monitoring simulates traffic window by window
PANEL = ".st-key-guide_panel"


def url_path(script: str) -> str:
    return "/" + script.rsplit("/", 1)[-1].removesuffix(".py").split("_", 1)[-1]


def save_shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = shot(page, "guide_" + name)
    (SHOTS / (name + ".png")).write_bytes(path.read_bytes())


def done_text(text: str, index: int) -> bool:
    """The panel shows step ``index`` done, with nothing running."""
    heading = f"passo {index + 1} de {len(steps.STEPS)}"
    return heading in text and "Este passo está feito" in text and not page_is_running(text)


def page_is_running(text: str) -> bool:
    return any(word in text for word in ("Preparing", "Simulando", "Treinando", "Retreinamento com"))


def wait_for_step(page, index: int) -> str:
    """Wait until the guide shows step ``index`` done, on its page; returns the panel's text."""
    step = steps.STEPS[index]
    deadline = time.monotonic() + STEP_TIMEOUT_S
    panel_text = ""
    while time.monotonic() < deadline:
        assert_no_exception(page, f"step {index + 1}")
        errors = error_texts(page)
        assert not errors, f"step {index + 1} reported an error: {errors}"
        on_page = url_path(step.page) in page.url and f"guide={index + 1}" in page.url
        panel = page.locator(PANEL)
        panel_text = panel.first.inner_text() if panel.count() else ""
        if on_page and done_text(panel_text, index):
            # Two steps can share a page: what showed may be the last step's, until the rerun ends.
            wait_idle(page)
            panel_text = page.locator(PANEL).first.inner_text()
            if done_text(panel_text, index):
                return panel_text
        page.wait_for_timeout(1000)
    raise AssertionError(f"step {index + 1} did not finish on its page in {STEP_TIMEOUT_S} s: {page.url}\n{panel_text}")


def test_guided_demo_walked_in_portuguese(page, base_url):
    goto(page, base_url, "/?lang=pt")
    assert_no_exception(page, "home")
    page.locator(".pipeline-diagram a.node").first.wait_for(state="attached", timeout=30_000)  # drawn after idle
    assert page.locator(".pipeline-diagram a.node").count() == 13
    save_shot(page, "00_inicio")
    click_key(page, "run_guided_demo")
    for index, step in enumerate(steps.STEPS):
        if index > 0:
            next_button = page.locator(".st-key-guide_next button").first
            assert "Próximo" in next_button.inner_text()
            next_button.click()
        text = wait_for_step(page, index)
        with use_language("pt"):
            narration = step.texts()
        assert f"passo {index + 1} de {len(steps.STEPS)}" in text
        for part in ("title", "what", "why", "look"):
            assert narration[part][:40] in text, (part, text)
        assert "O que acontece." in text and "Por que importa." in text
        save_shot(page, f"{index + 1:02d}_{step.key}")
    assert page.locator(".st-key-guide_next").count() == 0  # the last step has no Next
    assert re.search(r"último passo", page.locator(PANEL).first.inner_text())
    # A refresh keeps the step (it is in the URL).
    page.reload()
    wait_idle(page, timeout=60_000)
    assert f"passo {len(steps.STEPS)} de {len(steps.STEPS)}" in page.locator(PANEL).first.inner_text()
