"""Train & compare and Explain in Brazilian Portuguese (``?lang=pt``) on the demo workspace: the
pages render without an exception, their titles, captions under charts, buttons and an error for bad
input read in Portuguese (their English gone), and a widget changed in Portuguese still works."""

import pytest

from core.i18n import use_language
from tests.pages.test_pages import no_errors, open_page

pytestmark = pytest.mark.slow  # on the workspace where the full demo ran (conftest's demo_workspace)


def in_portuguese(at):
    at.query_params["lang"] = "pt"
    return at


def texts(at) -> list[str]:
    shown = [t.value for t in at.title] + [s.value for s in at.subheader] + [c.value for c in at.caption]
    return shown + [m.value for m in at.markdown] + [i.value for i in at.info] + [e.value for e in at.error]


def test_train_page_speaks_portuguese_and_its_sections_still_switch(app):
    at = open_page(in_portuguese(app()), "pages/4_Train.py")
    no_errors(at)
    shown = texts(at)
    assert any("Treinar e comparar" in t.value for t in at.title)
    # The caption under the leaderboard chart (core.evaluation.charts.caption_leaderboard).
    assert any("fica em primeiro lugar" in t for t in shown), shown
    assert not any("ranks first" in t for t in shown)
    assert "Treinar e comparar" in [b.label for b in at.button]
    assert "Train and compare" not in [b.label for b in at.button]
    # The section radio keeps its codes: switching it in Portuguese opens the evaluation. (AppTest
    # formats the chosen option in the test's thread, so the test speaks Portuguese there too.)
    assert "Avaliar" in at.radio(key="train_section").options
    with use_language("pt"):
        at.radio(key="train_section").set_value("evaluate").run()
    no_errors(at)
    subheaders = [s.value for s in at.subheader]
    assert "Onde traçar a linha" in subheaders and "Where to draw the line" not in subheaders
    assert any("Equidade" in s for s in subheaders)


def test_a_bad_search_space_is_refused_in_portuguese(app):
    at = open_page(in_portuguese(app()), "pages/4_Train.py")
    with use_language("pt"):  # every later run formats the radio's choice in the test's thread
        at.radio(key="train_section").set_value("tune").run()
        no_errors(at)
        assert "Começar o ajuste" in [b.label for b in at.button]
        at.session_state["tune_space_logistic"] = {
            "edited_rows": {0: {"lowest": 0.0}},
            "added_rows": [],
            "deleted_rows": [],
        }
        at.button(key="tune_start").click().run()
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any("escala logarítmica" in e for e in errors), errors
    assert not any("log scale" in e for e in errors)


def test_explain_page_speaks_portuguese(app):
    at = open_page(in_portuguese(app()), "pages/5_Explain.py")
    no_errors(at)
    assert any("Explicar" in t.value for t in at.title)
    captions = [c.value for c in at.caption]
    # The sentence under the waterfall of one row (core.explain.charts.caption_waterfall).
    assert any(c.startswith("A estimativa do modelo para churn = Yes vai de ") for c in captions), captions
    assert not any(c.startswith("The model's estimate of") for c in captions)
    assert "Uma previsão, explicada" in [s.value for s in at.subheader]
    assert "E se?" in [s.value for s in at.subheader]
