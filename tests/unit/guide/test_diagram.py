"""The lesson's diagram: every node of the lesson and both loops, statuses, links; the SVG is escaped,
well-formed XML, and readable (no word broken in the middle)."""

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlparse

from core.guide.diagram import CONCERNS, build_diagram, page_url
from core.guide.svg import fit_label, render_html, render_svg, wrap_words
from core.i18n import use_language

LESSON_NODES = {
    "business_problem",
    "data_collection",
    "preparation",
    "feature_store",
    "model_selection",
    "training",
    "evaluation",
    "gate",
    "tuning",
    "deployment",
    "registry",
    "monitoring",
    "retrain_needed",
}


def edges(diagram):
    return {(e.source, e.target): e.label for e in diagram.edges}


def test_every_lesson_node_and_both_loops():
    diagram = build_diagram({})
    assert {n.key for n in diagram.nodes} == LESSON_NODES
    found = edges(diagram)
    # The gate: no -> tuning -> training; yes -> deployment.
    assert found[("gate", "tuning")] == "no" and ("tuning", "training") in found
    assert found[("gate", "deployment")] == "yes"
    # The registry: store and fetch.
    assert found[("deployment", "registry")] == "store" and found[("registry", "deployment")] == "fetch"
    # Retraining needed? yes -> back to the data; no -> keep monitoring.
    assert found[("retrain_needed", "data_collection")] == "yes"
    assert found[("retrain_needed", "monitoring")] == "no"
    # Every node is reached and leads somewhere.
    assert {s for s, _t in found} == LESSON_NODES and {t for _s, t in found} == LESSON_NODES - {"business_problem"}
    assert [c.key for c in diagram.concerns] == ["security", "compliance", "lifecycle", "explainability"]
    assert {c.page for c in diagram.concerns} == {page for *_rest, page in CONCERNS}


def test_statuses_follow_the_project():
    none = build_diagram({})
    assert none.node("data_collection").status == "next"
    assert none.node("monitoring").status == "todo" and none.node("tuning").status == "loop"
    halfway = build_diagram({"data": True, "problem": True, "features": True})
    assert halfway.node("feature_store").status == "done"
    assert halfway.node("training").status == "next"
    assert halfway.node("deployment").status == "todo"
    done = build_diagram(
        dict.fromkeys(["data", "problem", "features", "train", "explain", "registry", "deploy", "monitor"], True)
    )
    assert all(n.status in ("done", "loop") for n in done.nodes)


def test_links_carry_the_project_and_language():
    diagram = build_diagram({}, {"project": "7", "lang": "pt"})
    url = urlparse(diagram.node("registry").url)
    assert url.path == "./Registry" and parse_qs(url.query) == {"project": ["7"], "lang": ["pt"]}
    assert urlparse(diagram.node("training").url).path == "./Train"
    assert page_url("app.py", {}) == "./"
    assert all(urlparse(c.url).path in {"./Deploy", "./Registry", "./Explain"} for c in diagram.concerns)


def test_svg_is_well_formed_and_escapes_everything():
    hostile = {"project": '3"><script>alert(1)</script>', "lang": "pt&x=<b>"}
    svg = render_svg(build_diagram({"data": True}, hostile), title='<img src=x onerror="alert(1)">')
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag.endswith("svg")
    assert "<script" not in svg and "<img" not in svg
    links = [el for el in root.iter() if el.tag.endswith("}a")]
    assert len(links) == 13 + 4
    html = render_html(build_diagram({}, hostile))
    assert "<script" not in html and html.count('class="node"') == 13 and html.count('class="concern"') == 4


def test_portuguese_labels_and_no_word_broken():
    with use_language("pt"):
        svg = render_svg(build_diagram({}))
    texts = [el.text for el in ET.fromstring(svg).iter() if el.tag.endswith("}text")]
    assert "Coleta de" in texts or "Coleta de dados" in texts
    assert "Monitoramento" in texts
    assert wrap_words("Retraining needed?", 10) == ["Retraining", "needed?"]
    assert wrap_words("Hyperparametertuning", 8) is None  # never cut a word
    size, lines = fit_label("Preparação dos dados")
    assert size >= 20 and " ".join(lines) == "Preparação dos dados"
