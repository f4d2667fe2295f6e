"""Presenter mode in the app (AppTest): ``?present=1`` and the sidebar toggle, the projector styling,
and the chart look it gives every figure; in English and in Portuguese."""

from __future__ import annotations

import json

from core.style import PRESENTER, unwrap_title
from tests.pages.test_pages import open_page

MONITOR = "pages/8_Monitor.py"


def _styles(at) -> str:
    return " ".join(h.proto.body for h in at.get("html"))


def _specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def test_present_in_the_url_turns_on_the_projector_look(app):
    make = app
    at = make()
    at.query_params["present"] = "1"
    at = open_page(at, MONITOR)
    assert not at.exception, at.exception
    assert at.toggle(key="presenter_toggle").value is True
    assert at.session_state["presenter_mode"] is True
    assert "font-size: 18px" in _styles(at)
    specs = _specs(at)
    assert specs
    for spec in specs:
        layout = spec["layout"]
        assert layout["font"]["size"] >= PRESENTER.text
        if layout.get("title", {}).get("text"):
            assert layout["title"]["font"]["size"] >= PRESENTER.title
    # A long title in a column is wrapped at word boundaries, and reads as the same sentence.
    titles = [s["layout"].get("title", {}).get("text", "") for s in specs]
    assert any("<br>" in t for t in titles), titles
    assert "Drift against what the model uses (last window)" in [unwrap_title(t) for t in titles]


def test_the_toggle_turns_it_off_and_the_mode_outlives_a_link_without_it(app):
    at = app()
    at.query_params["present"] = "1"
    at = open_page(at, MONITOR)
    at.toggle(key="presenter_toggle").set_value(False).run()
    assert not at.exception, at.exception
    assert at.session_state["presenter_mode"] is False
    assert "present" not in at.query_params
    assert "font-size: 18px" not in _styles(at)
    # On again, then a page reached by a link that does not carry ?present=1 keeps it.
    at.toggle(key="presenter_toggle").set_value(True).run()
    assert at.query_params.get("present") in ("1", ["1"])
    at.switch_page("pages/1_Data.py").run()
    assert not at.exception, at.exception
    assert "font-size: 18px" in _styles(at)


def test_normal_mode_has_dark_chart_text_and_no_projector_css(app):
    at = open_page(app(), MONITOR)
    assert at.toggle(key="presenter_toggle").value is False
    assert "font-size: 18px" not in _styles(at)
    assert "word-break: normal" in _styles(at)  # never broken mid-word, in either mode
    for spec in _specs(at):
        assert spec["layout"]["font"]["size"] >= 12
        assert spec["layout"]["font"]["color"] == "#111827"


def test_presenter_mode_in_portuguese(app):
    at = app()
    at.query_params["present"] = "1"
    at.query_params["lang"] = "pt"
    at = open_page(at, MONITOR)
    assert not at.exception, at.exception
    toggle = at.toggle(key="presenter_toggle")
    assert toggle.label == "Modo apresentação"
    assert "projetor" in (toggle.help or "")
