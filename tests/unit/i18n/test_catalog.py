"""The catalogs are complete and consistent, and translation follows the language asked for."""

import textwrap

import pytest

import core.i18n as i18n
from core.i18n import _, catalog, current_language, ngettext, normalize_language, use_language


def test_catalogs_match_the_code_and_are_fully_translated():
    problems = catalog.check()
    assert not problems, "Run `make i18n` and translate; then:\n" + "\n".join(map(str, problems[:60]))


def _mini_repo(tmp_path, code):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "stage.py").write_text(textwrap.dedent(code), encoding="utf-8")
    (tmp_path / "app.py").write_text('st.title(_("Home"))\n', encoding="utf-8")
    return tmp_path


def _set(tmp_path, translations):
    found = catalog.read_catalog("pt", tmp_path)
    for message in found:
        if message.id in translations:
            message.string = translations[message.id]
    catalog.write_catalog(found, "pt", tmp_path)


def test_update_adds_new_strings_and_check_names_every_kind_of_problem(tmp_path):
    root = _mini_repo(
        tmp_path,
        """
        TITLE = N_("Canary deployment")
        def caption(n, name):
            return _("Model {name} drifted").format(name=name) + ngettext("{n} row", "{n} rows", n).format(n=n)
        """,
    )
    assert catalog.update(root) == {"pt": (4, 4)}
    kinds = {p.kind for p in catalog.check(root)}
    assert kinds == {"untranslated"}
    _set(
        root,
        {
            "Home": "Início",
            "Canary deployment": "Implantação gradual",  # not the glossary's term
            "Model {name} drifted": "O modelo {nome} desviou",  # a renamed placeholder
            ("{n} row", "{n} rows"): ("{n} linha", "{n} linhas"),
        },
    )
    problems = {(p.kind, p.message) for p in catalog.check(root)}
    assert problems == {("glossary", "Canary deployment"), ("placeholders", "Model {name} drifted")}

    (root / "app.py").write_text('st.title(_("Start"))\n', encoding="utf-8")
    problems = {(p.kind, p.message) for p in catalog.check(root)}
    assert ("missing", "Start") in problems and ("stale", "Home") in problems
    catalog.update(root)  # drops the stale entry, adds the new one untranslated
    problems = {(p.kind, p.message) for p in catalog.check(root)}
    assert ("untranslated", "Start") in problems and not any(m == "Home" for _k, m in problems)


def test_an_update_that_adds_nothing_leaves_the_file_unchanged(tmp_path):
    root = _mini_repo(tmp_path, 'X = _("Deploy")\n')
    catalog.update(root)
    before = catalog.catalog_path("pt", root).read_bytes()
    catalog.update(root)
    assert catalog.catalog_path("pt", root).read_bytes() == before


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("pt", "pt"),
        ("pt-BR", "pt"),
        ("PT_br", "pt"),
        ("en-GB", "en"),
        ("fr", None),
        ("", None),
        ("../../etc", None),
        (None, None),
        (["pt"], None),
        ("pt" * 1000, None),
    ],
)
def test_language_codes_from_urls_and_browsers_are_normalised(value, expected):
    assert normalize_language(value) == expected


def test_translation_follows_the_language_and_english_is_the_default(monkeypatch):
    translated = [m for m in catalog.read_catalog("pt") if m.id and isinstance(m.id, str) and m.string]
    if not translated:
        pytest.skip("the catalog has no translations yet")
    entry = translated[0]
    assert current_language() == "en" and _(entry.id) == entry.id
    with use_language("pt"):
        assert current_language() == "pt" and _(entry.id) == entry.string
    assert _(entry.id) == entry.id
    monkeypatch.setattr(i18n, "_resolver", lambda: "pt-BR")
    assert _(entry.id) == entry.string
    monkeypatch.setattr(i18n, "_resolver", lambda: 1 / 0)  # a resolver outside its session
    assert current_language() == "en"


def test_english_plurals_and_unknown_messages_pass_through():
    assert ngettext("{n} row", "{n} rows", 1) == "{n} row"
    assert ngettext("{n} row", "{n} rows", 2) == "{n} rows"
    with use_language("pt"):
        assert _("A sentence no catalog has") == "A sentence no catalog has"


def test_todo_and_fill_round_trip_plurals_and_refuse_unknown_keys(tmp_path):
    root = _mini_repo(tmp_path, 'def f(n):\n    return ngettext("{n} model", "{n} models", n)\n')
    catalog.update(root)
    todo = catalog.untranslated("pt", root)
    assert todo == {"Home": "", "{n} model\u0000{n} models": ["", ""]}
    assert catalog.fill("pt", {"Home": "Início", "{n} model\u0000{n} models": ["{n} modelo", "{n} modelos"]}, root) == 2
    assert catalog.untranslated("pt", root) == {} and catalog.check(root) == []
    with pytest.raises(KeyError, match="not in the catalog"):
        catalog.fill("pt", {"Hme": "Início"}, root)
