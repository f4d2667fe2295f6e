"""Cards of whole pipeline runs on tables we did not generate: scikit-learn's wine (multiclass) and
diabetes (regression), and a table whose column names are hostile text."""

import io

import numpy as np
import pandas as pd
import pytest

from core.documents import document_text, render_html, render_pdf
from core.pipeline import PipelineConfig, run_pipeline
from core.reports.card import build_model_card, resolve_card_version
from core.workspace.database import Workspace

pytestmark = pytest.mark.slow


def _card(tmp_path, df, target, name):
    ws = Workspace(tmp_path / "ws")
    config = PipelineConfig(target=target, project_name=name, cv_folds=3, windows=2, rows_per_window=100)
    summary = run_pipeline(ws, df, None, config)
    project_id = ws.query_one("SELECT id FROM projects WHERE name = ?", (summary["project"],))["id"]
    return build_model_card(ws, resolve_card_version(ws, project_id)["id"]), summary


def _pdf_text(data: bytes) -> str:
    pypdf = pytest.importorskip("pypdf")
    return " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages).split())


def test_card_of_a_multiclass_model_on_wine(tmp_path):
    from sklearn.datasets import load_wine

    df = load_wine(as_frame=True).frame
    df["target"] = df["target"].map({0: "barolo", 1: "grignolino", 2: "barbera"})
    doc, summary = _card(tmp_path, df, "target", "wine")
    assert "one of several classes: 'barbera', 'barolo', 'grignolino'" in doc.summary[0]
    assert doc.verdict.split(":")[0] in ("GO", "NO-GO", "NO-GO, registered anyway")
    assert "F1 (macro)" in doc.verdict
    assert doc.verdict in _pdf_text(render_pdf(doc))


def test_card_of_a_regression_model_on_diabetes(tmp_path):
    from sklearn.datasets import load_diabetes

    doc, summary = _card(tmp_path, load_diabetes(as_frame=True, scaled=False).frame, "target", "diabetes")
    assert "'target' as a number" in doc.summary[0]
    assert "R²" in doc.verdict
    text = document_text(doc)
    assert "RMSE" in text and "e+" not in text


def test_hostile_column_names_are_escaped_in_the_html_and_drawn_in_the_pdf(tmp_path):
    rng = np.random.default_rng(3)
    n = 400
    script, bold = "<script>alert(1)</script>", "**x** [y](https://evil.example)"
    df = pd.DataFrame({script: rng.normal(size=n), bold: rng.choice(["a", "b"], n)})
    df["yes <b>"] = np.where(df[script] + (df[bold] == "a") + rng.normal(0, 0.5, n) > 0.5, "yes", "no")
    doc, _ = _card(tmp_path, df, "yes <b>", "<img src=x onerror=alert(2)>")
    page = render_html(doc)
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "**x** [y](https://evil.example)" in page  # as typed: no Markdown, no link
    text = _pdf_text(render_pdf(doc))
    assert doc.verdict in text and "&lt;" not in text
