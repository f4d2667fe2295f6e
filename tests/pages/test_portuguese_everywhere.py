"""Every page of the demo project in Portuguese (issue 13): no text a person reads still reads as
English. A text element (title, header, caption, Markdown, a button's or a widget's label, a metric's
label, an alert, an expander, a tab) fails when, once the user's own data (column, category and
project names) is taken out, it still holds three or more common English function words.

The demo runs in Portuguese, as a class runs it from the Home page: what a stage writes down when it
runs (a gate's sentences, an explanation's note, a monitoring report's decision) is in the language
of whoever ran it. Sentences an English run stored are re-said in Portuguese only where they are
kept as codes and values (the gate's checks, audit entries)."""

import re

import pandas as pd
import pytest

from ui.frame import PAGES

pytestmark = pytest.mark.slow  # every page on a workspace where the full demo ran, in Portuguese

# Words a Portuguese sentence does not use ("a", "e", "o" are Portuguese words too: left out).
ENGLISH_WORDS = frozenset(
    "the of and is to in for with are on it this that be by from its was has have not you your will can "
    "than which when what how there their these those been were or an at".split()
)
ENOUGH = 3
_WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:'[a-z]+)?")
_CODE = re.compile(r"`[^`]*`")


def user_words(workspace_path) -> set[str]:
    """The demo's own names: column names, category values and project names (they stay as typed)."""
    from core.stages.data import DEFAULT_SAMPLE, SAMPLE_DIR
    from core.workspace import projects
    from core.workspace.database import Workspace

    df = pd.read_csv(SAMPLE_DIR / DEFAULT_SAMPLE)
    words = set(map(str, df.columns))
    for column in df.select_dtypes(exclude="number").columns:
        values = df[column].dropna().astype(str).unique()
        if len(values) <= 60:
            words |= set(values)
    words |= {p["name"] for p in projects.list_projects(Workspace(workspace_path))}
    return words


def english_words(text: str, names: set[str]) -> list[str]:
    text = _CODE.sub(" ", text)
    for name in sorted(names, key=len, reverse=True):
        if len(name) > 2:
            text = text.replace(name, " ")
    return [w for w in _WORD.findall(text) if w.lower() in ENGLISH_WORDS]


def texts_of(at) -> list[tuple[str, str]]:
    """(kind, text) of every element a person reads."""
    found: list[tuple[str, str]] = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error", "success"):
        found += [(kind, str(e.value)) for e in getattr(at, kind)]
    for kind in ("button", "text_input", "selectbox", "multiselect", "radio", "checkbox", "toggle", "slider",
                 "number_input", "select_slider", "text_area", "date_input", "expander", "tabs", "metric"):  # fmt: skip
        found += [(kind, str(e.label)) for e in getattr(at, kind)]
    found += [("page_link", link.proto.label) for link in at.get("page_link")]
    return found


@pytest.fixture(scope="module")
def demo_workspace_pt(tmp_path_factory):
    from core.i18n import use_language
    from core.pipeline import run_demo
    from core.workspace.database import Workspace

    path = tmp_path_factory.mktemp("demo_ws_pt")
    with use_language("pt"):
        summary = run_demo(Workspace(path))
    return path, summary


@pytest.fixture
def app_pt(demo_workspace_pt, monkeypatch):
    from tests.pages.conftest import project_app_factory

    return project_app_factory(demo_workspace_pt[0], monkeypatch)


def open_in_portuguese(app, page: str):
    at = app()
    at.query_params["lang"] = "pt"
    at.run()
    if page != "app.py":
        at.switch_page(page)
        at.run()
    return at


@pytest.mark.parametrize("page", [script for script, *_rest in PAGES])
def test_page_reads_in_portuguese(app_pt, demo_workspace_pt, page):
    at = open_in_portuguese(app_pt, page)
    assert not at.exception, [e.value for e in at.exception]
    names = user_words(demo_workspace_pt[0])
    english = []
    for kind, text in texts_of(at):
        words = english_words(text, names)
        if len(words) >= ENOUGH:
            english.append(f"{kind}: {text[:160]!r} ({' '.join(words[:6])})")
    assert not english, f"{page} still reads as English in {len(english)} place(s):\n" + "\n".join(english[:40])


def test_the_detector_tells_english_from_portuguese_and_ignores_user_names():
    names = {"the tenure of the contract and fee"}
    assert len(english_words("Train the models and compare them on the holdout", set())) >= ENOUGH
    assert len(english_words("Treine os modelos e compare-os no conjunto de teste", set())) < ENOUGH
    assert len(english_words("A coluna the tenure of the contract and fee tem 3 valores ausentes", names)) < ENOUGH
    assert len(english_words("Rode `python -m core run --data the file and this`", set())) < ENOUGH
