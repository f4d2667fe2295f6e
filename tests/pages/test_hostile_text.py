"""Names from the user's data are shown as plain text on every page: a file, columns, category values
and a project named with Markdown, KaTeX, colour directives and HTML render as typed, never as a
link, a formula, red text or bold. Every page is walked after a full pipeline run on such a table."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from ui.text import escape_markdown

pytestmark = pytest.mark.slow  # a full pipeline run on a table of hostile names


ROOT_FILE = "[f](https://evil.example) $f^2$ :red[f] <b>f</b>.csv"
PROJECT = "[p](https://evil.example) $p^2$ :red[p] **p**"
LINK_COLUMN, MATH_COLUMN, COLOUR_COLUMN = "[x](https://evil.example)", "$x^2$", ":red[boom] :smile:"
SLASH_COLUMN, TARGET = "back\\slash _under_", "**target** www.evil.example"
CATEGORIES = ["**bold**", "<b>b</b>", "`tick`", "# h1"]
CLASSES = ["<i>yes</i>", "[no](https://evil.example)"]
# What must never reach Markdown unescaped (a backslash before it means escaped).
TOKENS = [
    "[f](https://evil.example)",
    "$f^2$",
    ":red[f]",
    "<b>f</b>",
    "[p](https://evil.example)",
    "$p^2$",
    ":red[p]",
    "**p**",
    LINK_COLUMN,
    MATH_COLUMN,
    ":red[boom]",
    ":smile:",
    "back\\slash",
    "_under_",
    "**target**",
    "www.evil.example",
    *CATEGORIES,
    *CLASSES,
]
PLOTLY_TOKENS = ["<b>b</b>", "<i>yes</i>", "<b>f</b>"]  # plotly draws HTML: these must arrive as &lt;…&gt;
# Element fields Streamlit renders as Markdown (radio options too; selectbox options are plain text).
MARKDOWN_FIELDS = {"body", "label", "help", "text", "captions"}
PLAIN_ELEMENTS = {"text", "code", "json", "divider"}


def hostile_table(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    category = rng.choice(CATEGORIES, n)
    x = rng.normal(size=n)
    y = np.where(x + 1.5 * (category == CATEGORIES[0]) + rng.normal(scale=0.6, size=n) > 0.5, *CLASSES)
    return pd.DataFrame(
        {
            LINK_COLUMN: x,
            MATH_COLUMN: rng.normal(size=n),
            COLOUR_COLUMN: category,
            SLASH_COLUMN: rng.normal(size=n),
            TARGET: y,
        }
    )


@pytest.fixture(scope="module")
def hostile_workspace(tmp_path_factory):
    from core.pipeline import PipelineConfig, run_pipeline
    from core.workspace.database import Workspace

    path = tmp_path_factory.mktemp("hostile_ws")
    config = PipelineConfig(
        target=TARGET,
        project_name=PROJECT,
        cv_folds=2,
        windows=3,
        rows_per_window=100,
        scenario="sudden",
        retrain_when_recommended=True,
    )
    run_pipeline(Workspace(path), hostile_table(), None, config, source_name=ROOT_FILE)
    return path


@pytest.fixture
def hostile_app(hostile_workspace, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.pages.conftest import ROOT

    monkeypatch.setenv("MLOPS_STUDIO_WORKSPACE", str(hostile_workspace))
    monkeypatch.chdir(ROOT)

    def open_page(page: str):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.query_params["project"] = "1"
        at.run()
        if page != "app.py":
            at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_page


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def _strings(message, fields: set[str], path=""):
    """(field path, text) of every string in ``fields`` of a protobuf message, nested ones included."""
    for field, value in message.ListFields():
        where = f"{path}.{field.name}"
        repeated = (
            not isinstance(value, (str, bytes)) and not hasattr(value, "ListFields") and hasattr(value, "__len__")
        )
        values = value if repeated else [value]
        for item in values:
            if isinstance(item, str) and field.name in fields:
                yield where, item
            elif hasattr(item, "ListFields"):
                yield from _strings(item, fields, where)


def markdown_texts(at) -> list[tuple[str, str]]:
    """Every text the page hands to Streamlit's Markdown renderer, with where it is."""
    texts = []
    for node in _nodes(at._tree):
        proto, kind = getattr(node, "proto", None), getattr(node, "type", "")
        if proto is None or kind in PLAIN_ELEMENTS or kind == "plotly_chart":
            continue
        fields = MARKDOWN_FIELDS | ({"options"} if kind == "radio" else set())
        texts += [(f"{kind}{where}", text) for where, text in _strings(proto, fields)]
    return texts


def assert_no_user_markup(at) -> list[str]:
    texts = markdown_texts(at)
    for where, text in texts:
        for token in TOKENS:
            # A heading marker is Markdown only at the start of a line (a list item's included).
            pattern = (r"(?m)^\s*(?:[-*+>]\s+)*" if token.startswith("#") else r"(?<!\\)") + re.escape(token)
            assert not re.search(pattern, text), (where, token, text)
    for spec in (json.loads(chart.proto.spec) for chart in at.get("plotly_chart")):
        shown = json.dumps(spec, ensure_ascii=False)
        for token in PLOTLY_TOKENS:
            assert json.dumps(token)[1:-1] not in shown, (token, spec.get("layout", {}).get("title"))
    return [text for _, text in texts]


def shown_somewhere(texts: list[str], user_text: str) -> bool:
    return any(escape_markdown(user_text) in t for t in texts)


def plotly_strings(at) -> str:
    return " ".join(json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("plotly_chart"))


def test_home(hostile_app):
    texts = assert_no_user_markup(hostile_app("app.py"))
    assert shown_somewhere(texts, PROJECT)  # the caption, the rename expander and the delete confirmation


def test_data_page_and_an_upload_with_a_hostile_file_name(hostile_app):
    at = hostile_app("pages/1_Data.py")
    texts = assert_no_user_markup(at)
    assert any(escape_markdown(ROOT_FILE) in h.value for h in at.subheader)
    assert shown_somewhere(texts, TARGET) or shown_somewhere(texts, LINK_COLUMN)  # a chart's sentence
    assert "&lt;b&gt;b&lt;/b&gt;" in plotly_strings(at) or "&lt;i&gt;yes&lt;/i&gt;" in plotly_strings(at)
    data = hostile_table(50).to_csv(sep=";", index=False).encode()
    at.file_uploader(key="upload").set_value((ROOT_FILE, data, "text/csv")).run()
    assert not at.exception
    assert_no_user_markup(at)
    assert at.success and "delimiter ';'" in at.success[0].value


def test_problem_page(hostile_app):
    at = hostile_app("pages/2_Problem.py")
    texts = assert_no_user_markup(at)
    assert shown_somewhere(texts, CLASSES[0]) or shown_somewhere(texts, CLASSES[1])  # cost label, caption
    assert "&lt;i&gt;yes&lt;/i&gt;" in plotly_strings(at)


@pytest.mark.parametrize("section", ["leaderboard", "tune", "runs", "evaluate", "gate"])
def test_train_page(hostile_app, section):
    at = hostile_app("pages/4_Train.py")
    at.radio(key="train_section").set_value(section).run()
    assert not at.exception, [e.value for e in at.exception]
    assert_no_user_markup(at)
    if section == "evaluate":  # the groups of a hostile sensitive column, compared
        fairness = next(s for s in at.selectbox if s.key and s.key.startswith("sensitive_"))
        fairness.set_value(COLOUR_COLUMN).run()
        assert not at.exception, [e.value for e in at.exception]
        texts = assert_no_user_markup(at)
        assert any(escape_markdown(c) in t for c in CATEGORIES for t in texts)
        assert "&lt;b&gt;b&lt;/b&gt;" in plotly_strings(at)


@pytest.mark.parametrize(
    "page", ["pages/3_Features.py", "pages/5_Explain.py", "pages/6_Registry.py", "pages/8_Monitor.py"]
)
def test_other_pages(hostile_app, page):
    assert_no_user_markup(hostile_app(page))


def test_explain_page_typed_row_form_and_search(hostile_app):
    """The typed-row form's labels and choices are hostile column and category names; a search is
    typed text quoted back."""
    at = hostile_app("pages/5_Explain.py")
    source = next(r.key for r in at.radio if r.key and r.key.startswith("explain_source_"))
    search = source.replace("explain_source_", "explain_search_")
    at.text_input(key=search).input(LINK_COLUMN).run()
    assert not at.exception, [e.value for e in at.exception]
    assert_no_user_markup(at)
    at.radio(key=source).set_value("A row typed in by hand").run()
    assert not at.exception, [e.value for e in at.exception]
    assert_no_user_markup(at)


def test_deploy_page_and_its_answers(hostile_app):
    at = hostile_app("pages/7_Deploy.py")
    assert_no_user_markup(at)
    at.button(key="send_rows").click().run()
    assert not at.exception, [e.value for e in at.exception]
    texts = assert_no_user_markup(at)
    assert shown_somewhere(texts, CLASSES[0]) or shown_somewhere(texts, CLASSES[1])  # "answers '<i>yes</i>'"


def test_a_cleaning_step_the_table_refuses_says_so_in_plain_text(hostile_app):
    """The error of a step tried before it is added quotes the column and the typed value: it was
    rendered as Markdown (a live link, KaTeX)."""
    import os

    from core.data import datasets
    from core.workspace.database import Workspace

    raw_id = datasets.latest_dataset(Workspace(os.environ["MLOPS_STUDIO_WORKSPACE"]), 1, "raw")["id"]
    at = hostile_app("pages/1_Data.py")
    at.selectbox(key=f"add_op_{raw_id}").set_value("filter_rows").run()
    at.selectbox(key=f"filter_rows_{raw_id}_col").set_value(MATH_COLUMN).run()
    at.selectbox(key=f"filter_rows_{raw_id}_op").set_value(">").run()
    at.text_input(key=f"filter_rows_{raw_id}_value").input(LINK_COLUMN).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("must be a number" in e.value for e in at.error), [e.value for e in at.error]
    assert_no_user_markup(at)
