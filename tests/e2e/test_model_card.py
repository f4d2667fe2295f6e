"""The model card in a real browser: on Registry, "Download model card (PDF)" downloads a PDF that opens
and holds the card's verdict; the HTML download is the same card. A screenshot (model_card.png) is for
a human to look at."""

from __future__ import annotations

import io

import pytest

from .conftest import assert_no_exception, goto, main_text, new_server, shot

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_server(tmp_path):
    """A server on a workspace where the full demo has run (champion v1 and challenger v2)."""
    from core.pipeline import run_demo
    from core.workspace.database import Workspace

    server = new_server(tmp_path, "card")
    run_demo(Workspace(server.workspace))
    server.start()
    yield server
    server.stop()


def _champion_verdict(workspace) -> str:
    from core.reports.card import build_model_card, resolve_card_version
    from core.workspace.database import Workspace

    ws = Workspace(workspace)
    return build_model_card(ws, resolve_card_version(ws, 1)["id"]).verdict


def _download(page, label: str, tmp_path):
    button = page.locator("[data-testid=stDownloadButton] button").filter(has_text=label)
    assert button.count() == 1, main_text(page)[:2000]
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=60_000) as info:
        button.click()
    download = info.value
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    return download.suggested_filename, target.read_bytes()


def test_registry_downloads_the_model_card_as_pdf_with_its_verdict(page, demo_server, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    goto(page, demo_server.base_url, "/Registry?project=1")
    assert_no_exception(page, "Registry")
    verdict = _champion_verdict(demo_server.workspace)
    assert verdict.startswith("GO: ") and verdict in main_text(page)
    shot(page, "model_card")

    name, data = _download(page, "Download model card (PDF)", tmp_path)
    assert name == "model-card-churn-demo-v1.pdf"
    assert data.startswith(b"%PDF-")
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages).split())
    assert verdict in text and "Model card: churn-demo v1" in text

    name, data = _download(page, "Download model card (HTML)", tmp_path)
    assert name == "model-card-churn-demo-v1.html"
    assert verdict in data.decode("utf-8")
    assert_no_exception(page, "after the downloads")
