"""The attacks panel on Deploy and the security alerts on Monitor, in English and in Portuguese, on a
copy of the demo workspace with an evasion measurement, an adversarial training and the extraction
demo already run (the page shows saved results; the buttons start jobs)."""

from __future__ import annotations

import shutil

import pytest

from core.i18n import use_language
from core.security import attacks
from core.security.attacks_extraction import run_extraction_demo
from core.security.evasion import EvasionBudget
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def attacked(demo_workspace, tmp_path_factory):
    """A copy of the demo workspace where every attack has run once (small, to stay quick)."""
    path = tmp_path_factory.mktemp("attacked") / "ws"
    shutil.copytree(demo_workspace[0], path)
    ws = Workspace(path)
    budget = EvasionBudget(
        numeric={"tenure_months": 0.3, "monthly_charges": 0.3},
        categorical={"contract": ("Month-to-month", "One year", "Two year")},
    )
    attacks.stage_evasion(ws, 1, budget, max_rows=10)
    attacks.stage_adversarial_training(ws, 1, budget, max_rows=10)
    run_extraction_demo(ws, 1, 400)
    return path


def _open(path, monkeypatch, page: str, language: str | None = None):
    at = project_app_factory(path, monkeypatch)()
    if language:
        at.query_params["lang"] = language
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [w.value for w in at.warning] + [e.value for e in at.error] + [m.label for m in at.metric]
    return "\n".join(str(p) for p in parts)


def test_deploy_shows_the_attacks_and_their_results(attacked, monkeypatch):
    at = _open(attacked, monkeypatch, "pages/7_Deploy.py")
    text = _text(at)
    assert "Attacks, shown and defended" in text
    assert "get it with a change inside the budget" in text  # the evasion measurement's sentence
    assert "Before adversarial training" in text  # the side-by-side comparison's sentence
    assert "a copy trained on the answers agrees with the model" in text
    assert "The monitor flagged key extraction-demo" in text
    assert at.button(key="sec_measure") and at.button(key="sec_harden") and at.button(key="sec_extract")


def test_monitor_shows_the_extraction_alert(attacked, monkeypatch):
    at = _open(attacked, monkeypatch, "pages/8_Monitor.py")
    assert "Security alerts" in [s.value for s in at.subheader]
    assert any("extraction-demo" in e.value and "copying the model" in e.value for e in at.error)


def test_both_pages_in_portuguese(attacked, monkeypatch):
    with use_language("pt"):
        deploy = _text(_open(attacked, monkeypatch, "pages/7_Deploy.py", "pt"))
        monitor = _open(attacked, monkeypatch, "pages/8_Monitor.py", "pt")
    assert "Ataques: demonstrados e defendidos" in deploy
    assert "Antes do treinamento adversarial" in deploy
    assert "Attacks, shown and defended" not in deploy
    assert "Alertas de segurança" in [s.value for s in monitor.subheader]
    assert any("copiando o modelo" in e.value for e in monitor.error)
