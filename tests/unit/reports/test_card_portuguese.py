"""The model card in Brazilian Portuguese: headings, verdict and summary in the session's language,
the HTML page marked pt-BR and the PDF drawn with its accents; the default (and the `card` CLI,
which sets no language) stays English."""

import io

import pytest

from core.documents import render_html, render_pdf
from core.i18n import use_language
from core.reports.card import build_model_card, resolve_card_version
from core.workspace.database import Workspace


@pytest.fixture
def ws(rollout_copy):
    return Workspace(rollout_copy)


def test_card_in_portuguese(ws):
    version_id = resolve_card_version(ws, 1)["id"]
    with use_language("pt"):
        doc = build_model_card(ws, version_id)
        html = render_html(doc)
        pdf = render_pdf(doc)
    headings = [s.heading for s in doc.sections]
    assert doc.title.startswith("Cartão do modelo: ")
    assert "Uso previsto" in headings and "O portão: bom o bastante?" in headings and "Linhagem" in headings
    assert "Intended use" not in headings
    assert doc.verdict.startswith(("GO", "NO-GO", "SEM "))  # GO / NO-GO are said in English in class
    assert "É o campeão" in " ".join(doc.summary)
    # The gate ran in English (the fixture's pipeline sets no language); the card re-says it in Portuguese.
    at_the_gate = next(line for line in doc.summary if line.startswith("No portão:"))
    assert " on unseen " not in at_the_gate and "dados não vistos é 0,84" in at_the_gate
    assert '<html lang="pt-BR">' in html and "Limitações e avisos" in html
    pypdf = pytest.importorskip("pypdf")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Cartão do modelo" in " ".join(text.split())


def test_card_defaults_to_english(ws):
    doc = build_model_card(ws, resolve_card_version(ws, 1)["id"])
    assert doc.title.startswith("Model card: ")
    assert '<html lang="en">' in render_html(doc)
