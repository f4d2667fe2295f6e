"""escape_markdown: user text inside Streamlit's Markdown shows exactly as typed.

What Markdown makes of a string is modelled here: CommonMark backslash escapes, then the patterns
Streamlit's renderer (1.67) rewrites in text after parsing (emoji and icon shortcodes, colour
directives, bare-address autolinks, typographic arrows). The real renderer was checked by hand in
chromium on the same strings (see the report of issue 8)."""

import random
import re

import pytest

from ui.text import WORD_JOINER, escape_markdown

HOSTILE = [
    "[x](https://evil.example)",
    "$x^2$",
    "$$\\int x$$",
    ":red[boom]",
    "**bold**",
    "<b>b</b>",
    "# h1",
    "`tick`",
    "_under_",
    "back\\slash",
    ":smile: :material/home: :streamlit:",
    "www.evil.example",
    "a@b.co",
    "https://evil.example",
    "a -> b <- c -- d >= e <= f ~= g <-> h",
    "2024. x",
    "1) x",
    "- item",
    "+ x",
    "* x",
    "> quote",
    "= x",
    "---",
    "***",
    "___",
    "&amp; &#36; &lt;",
    "a:red",
    "|a|b|",
    "~~s~~",
    "~s~",
    "x_y_z snake_case",
    "![i](https://evil.example/i.png)",
    "<https://evil.example>",
    "[ref]: https://evil.example",
    "[^1]",
    "    indented",
    "\tindented",
    "a\nb",
    "a\r\n\r\nb",
    ":::red",
    "x * y * z",
    "\\*",
    "\\",
    "\\\\`",
    "Churn – Alice",
    "Análise — São Paulo 👩‍💻",
    ":+1: :-1:",
    "col:name",
    "price (€)",
    "10:30",
    "100%",
    "a < b > c",
    "<!-- c -->",
    ":blue-background[x]",
    ":color[x]{foreground=red}",
    "",
    " ",
    ":",
]
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: a backslash before ASCII punctuation


def shown(markdown: str) -> str:
    """The text a Markdown paragraph made only of text and escapes shows."""
    return _ESCAPE.sub(r"\1", markdown).replace(WORD_JOINER, "")


def unescaped(markdown: str) -> str:
    """The source with its escape pairs removed: what is left is read as Markdown syntax."""
    return _ESCAPE.sub("", markdown)


def expected(text: str) -> str:
    return " ".join(text.splitlines()).lstrip()


@pytest.mark.parametrize("text", HOSTILE)
def test_what_the_user_sees_is_what_they_typed(text):
    assert shown(escape_markdown(text)) == expected(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_no_markdown_syntax_is_left(text):
    escaped = escape_markdown(text)
    bare = unescaped(escaped)
    assert not set(bare) & set("\\`*[]<>&~$|"), bare  # code, emphasis, links, HTML, entities, KaTeX, tables
    assert not re.search(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])", bare)  # emphasis by underscores
    assert not re.match(r"\s*([#+\-=>*]|\d+[.)])", bare)  # a heading, quote, list or rule
    assert "\n" not in escaped and "\r" not in escaped


@pytest.mark.parametrize("text", HOSTILE)
def test_nothing_streamlit_rewrites_after_parsing_is_left(text):
    escaped = escape_markdown(text)
    after_parsing = _ESCAPE.sub(r"\1", escaped)  # escapes are resolved before these rewrites run
    assert ":material/" not in escaped
    assert not re.search(r":(?!material/|streamlit:)[\w+-][\w_+-]*:", escaped)  # emoji plugin loaded
    assert not re.search(r":\+1:|:-1:|:[\w-]+:|:material_\w+:|:streamlit:", after_parsing)  # emoji, icon, logo
    assert not re.search(r":[A-Za-z]", after_parsing)  # a text directive (colour, badge, small)
    assert not re.search(r"(?i)https?://|www\.|@[-\w]", after_parsing)  # bare-address autolinks
    assert not re.search(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)", after_parsing)  # typographic symbols


def test_random_punctuation_round_trips_and_leaves_no_syntax():
    rng = random.Random(8)
    alphabet = "\\`*_[]()<>&~$|#+-=.!:@/ aZ09\n\té–👩‍💻"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        escaped = escape_markdown(text)
        assert shown(escaped) == expected(text), (text, escaped)
        assert not set(unescaped(escaped)) & set("\\`*[]<>&~$|"), (text, escaped)


def test_plain_prose_is_left_readable():
    # Only what could be Markdown is touched: a sentence with its numbers and punctuation stays as is.
    sentence = "Saved: predict 'churn' (binary); the gate asks for roc_auc ≥ 0.8 on 1,000 rows."
    assert escape_markdown(sentence) == sentence
    assert escape_markdown(42) == "42"


@pytest.mark.parametrize("text", ["07:07 UTC", "gerado em 05/12/2026 07:07 UTC", "placar 3:1", "10:30"])
def test_a_time_of_day_carries_no_invisible_joiner(text):
    """U+2060 travels with a copied text: it goes only where Streamlit would rewrite something."""
    assert WORD_JOINER not in escape_markdown(text)


@pytest.mark.parametrize("text", ["10:30:45", ":100:", "col:name", "https://x.example"])
def test_a_colon_that_could_open_a_shortcode_still_gets_one(text):
    assert WORD_JOINER in escape_markdown(text)
