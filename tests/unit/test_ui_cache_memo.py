"""ui.cache: the memo of charts and tables (built once per key and language, copies handed out) and
the Data page's cached pieces (same results as computing them)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from core.i18n import use_language
from ui import cache


@pytest.fixture(autouse=True)
def _empty_memo():
    cache._memo.clear()
    yield
    cache._memo.clear()


def test_memo_builds_once_per_key_and_hands_out_copies():
    built = []

    def build():
        built.append(1)
        return go.Figure(go.Bar(x=["a"], y=[1])), "one bar"

    first, sentence = cache.memo(("bars", 1), build)
    first.update_layout(title="changed by one session")
    again, again_sentence = cache.memo(("bars", 1), build)
    assert built == [1]
    assert again_sentence == sentence == "one bar"
    assert again.layout.title.text is None  # the first caller's change did not reach the cache
    cache.memo(("bars", 2), build)
    assert built == [1, 1]


def test_memo_keys_include_the_language():
    def build():
        from core.i18n import _

        return _("Loading the table…")

    assert cache.memo(("text",), build) == "Loading the table…"
    with use_language("pt"):
        assert cache.memo(("text",), build) == "Carregando a tabela…"
    assert cache.memo(("text",), build) == "Loading the table…"


def test_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(cache, "MAX_MEMO_ENTRIES", 3)
    for i in range(5):
        cache.memo(("n", i), lambda i=i: i)
    assert len(cache._memo) == 3
    assert [key[0] for key in cache._memo] == [("n", 2), ("n", 3), ("n", 4)]


def test_data_page_pieces_match_computing_them(ws):
    from core import pipeline
    from core.data import datasets
    from core.data.charts import caption_column_distribution, caption_missing
    from core.data.cleaning import preview_recipe, recipe_to_json
    from core.data.cleaning.ops_rows import count_duplicated
    from core.data.cleaning.recipe import get_before_after_df
    from core.data.profiling import profile_table
    from core.workspace.projects import create_project

    pid = create_project(ws, "cached")["id"]
    table = pd.DataFrame({"x": [1.0, 2.0, None, 2.0, 5.0] * 8, "y": ["a", "b", "a", "b", "a"] * 8})
    raw = pipeline.stage_ingest(ws, pid, table, None, "t.csv")
    df = datasets.load_dataset(ws, raw["id"])
    assert cache.duplicate_count(ws, raw["id"]) == count_duplicated(df) > 0
    recipe = cache.suggested_recipe(ws, raw["id"], "y")
    recipe_json = recipe_to_json(recipe)
    cleaned, _reports = preview_recipe(df, recipe)
    pd.testing.assert_frame_equal(cache.before_after(ws, raw["id"], recipe_json), get_before_after_df(df, cleaned))
    _fig, sentence = cache.missing_chart(ws, raw["id"], "y")
    assert sentence == caption_missing(profile_table(df, target="y"))
    _fig, sentence = cache.column_chart(ws, raw["id"], "x")
    assert sentence == caption_column_distribution(df, "x")
    with use_language("pt"):
        _fig, sentence_pt = cache.column_chart(ws, raw["id"], "x")
        assert sentence_pt == caption_column_distribution(df, "x")
    assert sentence_pt != sentence
    _fig, lineage_sentence = cache.lineage_chart(ws, pid)
    assert lineage_sentence


def test_shared_builds_once_per_key_and_language_and_hands_out_the_same_object():
    cache._shared.clear()
    built = []

    def build():
        from core.i18n import _

        built.append(1)
        return [_("Loading the table…")]

    first = cache.shared(("words", 1), build)
    assert cache.shared(("words", 1), build) is first
    with use_language("pt"):
        assert cache.shared(("words", 1), build) == ["Carregando a tabela…"]
    assert built == [1, 1]
    cache._shared.clear()


def test_built_keys_on_what_the_arguments_hold():
    cache._shared.clear()
    calls = []

    def total(frame: pd.DataFrame, factor: int) -> float:
        calls.append(1)
        return float(frame["x"].sum() * factor)

    frame = pd.DataFrame({"x": [1.0, 2.0]})
    assert cache.built(total, frame, 2) == 6.0
    assert cache.built(total, frame.copy(), 2) == 6.0  # the same content: not built again
    assert calls == [1]
    assert cache.built(total, pd.DataFrame({"x": [1.0, 3.0]}), 2) == 8.0
    assert cache.built(total, frame, 3) == 9.0
    assert calls == [1, 1, 1]
    cache._shared.clear()
