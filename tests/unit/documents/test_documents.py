"""core.documents: one Document, two renderings; every text escaped in the HTML and drawn in the PDF."""

import io

import pytest

from core.documents import Document, Section, Table, document_text, make_table, render_html, render_pdf

HOSTILE = "<script>alert('x')</script> **bold** [link](https://evil.example) & \"quoted\""


def _doc(**overrides) -> Document:
    fields = {
        "title": "Model card: churn v3",
        "subtitle": "churn v3 · generated 2026-12-05 01:10 UTC",
        "verdict": "GO: ROC-AUC 0.84 ≥ 0.80 the business asked for",
        "summary": ("The model predicts churn for São Paulo's clients (ação, €12,400, −3).",),
        "sections": (
            Section(
                heading="Data",
                paragraphs=("1,204 rows from telco.csv.",),
                bullets=("Dropped 3 duplicate rows.", "Filled 12 missing values of tenure."),
                tables=(make_table(["column", "kind"], [["tenure", "number"], ["contract", None]], caption="Two."),),
            ),
        ),
    }
    fields.update(overrides)
    return Document(**fields)


def _pdf_text(data: bytes) -> str:
    pypdf = pytest.importorskip("pypdf")
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())  # the reader may double a space after a wide glyph


def test_make_table_turns_cells_into_text():
    table = make_table(["a", 2], [[1, None], (2.5, "x")], caption="c")
    assert table == Table(columns=("a", "2"), rows=(("1", ""), ("2.5", "x")), caption="c")


def test_document_text_lists_every_text_in_reading_order():
    text = document_text(_doc())
    assert text.index("Model card") < text.index("GO:") < text.index("Data") < text.index("tenure | number")


def test_html_is_self_contained_and_holds_every_text():
    page = render_html(_doc())
    assert page.startswith("<!DOCTYPE html>")
    assert "GO: ROC-AUC 0.84 ≥ 0.80" in page and "São Paulo" in page and "Dropped 3 duplicate rows." in page
    assert "<th>column</th>" in page and "<td>tenure</td>" in page and "Two." in page
    for external in ("<script", "src=", "href=", "@import", "url("):
        assert external not in page


def test_html_escapes_hostile_text_everywhere():
    doc = _doc(
        title=HOSTILE,
        subtitle=HOSTILE,
        verdict=HOSTILE,
        summary=(HOSTILE,),
        sections=(Section(HOSTILE, (HOSTILE,), (HOSTILE,), (make_table([HOSTILE], [[HOSTILE]], caption=HOSTILE),)),),
    )
    page = render_html(doc)
    assert "<script" not in page and "</script>" not in page
    assert page.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") == 11  # <title> and 10 places in the body
    assert "**bold** [link](https://evil.example) &amp; &quot;quoted&quot;" in page  # shown as typed, not Markdown


def test_pdf_opens_and_contains_the_verdict_and_unicode_text():
    data = render_pdf(_doc())
    assert data.startswith(b"%PDF-")
    text = _pdf_text(data)
    assert "GO: ROC-AUC 0.84 ≥ 0.80 the business asked for" in text
    assert "São Paulo's clients (ação, €12,400, −3)" in text
    assert "churn v3 · generated" in text
    assert "tenure" in text and "Filled 12 missing values of tenure." in text


def test_pdf_draws_hostile_text_as_text():
    data = render_pdf(_doc(verdict=HOSTILE))
    assert "<script>alert('x')</script> **bold**" in _pdf_text(data)


def test_pdf_uncompressed_keeps_its_streams_readable():
    compressed, plain = render_pdf(_doc()), render_pdf(_doc(), compress=False)
    assert b"BT" in plain and b"BT" not in compressed  # the page's text objects are readable only uncompressed
    assert len(plain) > len(compressed)


def test_pdf_of_a_long_document_breaks_pages_and_numbers_them():
    rows = [[f"row {i}", "x" * 80] for i in range(150)]
    doc = _doc(sections=(Section("Long", tables=(make_table(["name", "value"], rows),)),) * 2)
    text = _pdf_text(render_pdf(doc))
    assert "row 149" in text and "page 1/" in text and "page 2/" in text


def test_an_empty_document_renders():
    empty = Document(title="Nothing yet")
    assert "Nothing yet" in render_html(empty)
    assert "Nothing yet" in _pdf_text(render_pdf(empty))


def test_pdf_marks_characters_the_font_cannot_draw():
    data = render_pdf(_doc(title="Clientes 名前 🚀 São", verdict="GO ✓"))
    text = _pdf_text(data)
    assert "Clientes ?? ? São" in text and "GO ✓" in text


def test_pdf_table_headers_break_at_spaces_only():
    """The card's "In production" table broke "repor / t" and "decisio / n" when a long sentence shared
    the row: every column is at least as wide as its longest word, drawn in its font."""
    sentence = "New rows still look like the training data: no column drifted and the error rate held. " * 4
    table = make_table(
        ["report", "when", "decision", "what it found"],
        [["#12", "2026-12-05 01:10 UTC", "keep", sentence], ["#13", "2026-12-05 02:10 UTC", "retrain", sentence]],
    )
    words = _pdf_text(render_pdf(_doc(sections=(Section("In production", tables=(table,)),)))).split()
    assert {"report", "when", "decision", "found", "retrain", "2026-12-05"} <= set(words)
    assert not {"repor", "decisio", "t", "n"} & set(words)
