"""Streamlit's own uploader words in Portuguese (issue 13): the CSS that replaces them, and the list of
uploaders it knows kept in step with every ``st.file_uploader`` in pages/ and ui/."""

import ast
from pathlib import Path

import pytest

from core.i18n import use_language
from ui.uploader_text import UPLOADER_TYPES, css_string, limit_line, uploader_css

ROOT = Path(__file__).resolve().parents[2]


def test_english_keeps_streamlits_words():
    assert uploader_css("en") == ""


def test_portuguese_replaces_the_size_line_the_button_and_the_drag_words():
    with use_language("pt"):
        css = uploader_css()
        assert limit_line(("csv", "tsv")).endswith("MB por arquivo • CSV, TSV")
    assert css.startswith("<style>") and css.rstrip().endswith("</style>")
    assert '"Enviar arquivo"' in css and '"Solte o arquivo aqui"' in css
    assert "por arquivo • YAML, YML, JSON" in css  # the spec uploader's own types
    assert '[class*="st-key-template_data_"]' in css  # every template card
    assert css.count("font-size: 0 !important") == len(UPLOADER_TYPES) + 3


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ('say "hi"', '"say \\22 hi\\22 "'),
        ("a\\b", '"a\\5c b"'),
        ("</style>", '"\\3c /style\\3e "'),
        ("R$ 4,50", '"R$ 4,50"'),
    ],
)
def test_css_strings_cannot_end_the_rule_or_the_style(text, escaped):
    assert css_string(text) == escaped


def _uploader_calls():
    """(file, key or key prefix, types) of every st.file_uploader call in pages/ and ui/."""
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("ui/*.py"), ROOT / "app.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {
            t.id: node.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "file_uploader"):
                continue
            args = {k.arg: k.value for k in node.keywords}
            key = args.get("key")
            if isinstance(key, ast.Constant):
                key_text = key.value
            elif isinstance(key, ast.JoinedStr) and isinstance(key.values[0], ast.Constant):
                key_text = key.values[0].value  # f"template_data_{code}" -> the prefix
            else:
                key_text = None
            types = args.get("type")
            if isinstance(types, ast.Name):
                types = constants.get(types.id) or _imported_constant(types.id)
            yield path.name, key_text, tuple(ast.literal_eval(types)) if types is not None else None


def _imported_constant(name):
    import ui.spec_panel

    value = getattr(ui.spec_panel, name)
    return ast.parse(repr(list(value)), mode="eval").body


def test_every_uploader_in_the_app_is_known_with_its_types():
    calls = list(_uploader_calls())
    assert len(calls) >= 5  # Data (2), Home's spec (2) and template cards
    for where, key, types in calls:
        assert key in UPLOADER_TYPES, f"{where}: the uploader {key!r} is missing from ui.uploader_text.UPLOADER_TYPES"
        assert UPLOADER_TYPES[key] == types, (
            f"{where}: {key!r} accepts {types}, UPLOADER_TYPES says {UPLOADER_TYPES[key]}"
        )
