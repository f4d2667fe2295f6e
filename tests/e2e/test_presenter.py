"""Presenter mode on a projector: every page of a demo project at 1024×768 with ``?present=1``.

Checks, on each page: the body text is at least 18 px and chart text at least 14 px; every chart
title (``.gtitle``) lies inside its chart and the viewport; no text element in the main area
overflows its box (dataframes and code scroll by design); no word is broken mid-word (a text
element whose line breaks fall inside a word); Home's pipeline diagram fits the main area without
scrolling sideways; the lineage chart's names do not print over each other, nor any chart's legend
over its x axis title (Monitor's latency chart). Screenshots go to /tmp/presenter_shots/<page>.png.
Once more in Portuguese (``&lang=pt``), whose words are longer.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import (
    REPO_ROOT,
    StreamlitServer,
    assert_no_exception,
    goto,
    new_server,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROJECTOR = {"width": 1024, "height": 768}
SHOTS = Path("/tmp/presenter_shots")
PAGES = [
    ("/", "home"),
    ("/Data", "data"),
    ("/Problem", "problem"),
    ("/Features", "features"),
    ("/Train", "train"),
    ("/Explain", "explain"),
    ("/Registry", "registry"),
    ("/Deploy", "deploy"),
    ("/Monitor", "monitor"),
]

# Everything measured in one pass in the page (the main area scrolls inside stMain, so positions
# are read relative to the viewport's width only; heights may run past the fold).
MEASURE = r"""
() => {
  const main = document.querySelector('[data-testid=stMain]');
  const vw = window.innerWidth;
  const out = {titles: [], overflow: [], midword: [], chartText: [], body: null, faded: []};
  const skip = el => el.closest('[data-testid=stDataFrame], [data-testid=stTable], pre, code, '
    + '[data-testid=stCode], [data-testid=stJson], [data-testid=stSidebar], .js-plotly-plot, [data-baseweb=select], '
    + '[data-testid=stTooltipContent], [role=tooltip]');
  const visible = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const p = main.querySelector('[data-testid=stMarkdownContainer] p');
  if (p) out.body = parseFloat(getComputedStyle(p).fontSize);
  // Captions: dark and opaque (Streamlit fades them to 60 % by default).
  out.faded = [...main.querySelectorAll('[data-testid=stCaptionContainer]')]
    .filter(c => visible(c) && parseFloat(getComputedStyle(c).opacity) < 0.95)
    .map(c => c.textContent.slice(0, 60));
  for (const chart of main.querySelectorAll('.js-plotly-plot')) {
    if (!visible(chart)) continue;
    const box = chart.getBoundingClientRect();
    for (const t of chart.querySelectorAll('.gtitle')) {
      const r = t.getBoundingClientRect();
      if (!r.width) continue;
      out.titles.push({text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
        cl: box.left, cr: box.right, ct: box.top, cb: box.bottom, vw});
    }
    for (const t of chart.querySelectorAll('text')) {
      if (!t.textContent.trim() || !visible(t)) continue;
      const size = parseFloat(t.style.fontSize || getComputedStyle(t).fontSize);
      out.chartText.push({text: t.textContent.slice(0, 40), size});
    }
  }
  // Home's diagram fits the main area (it scrolled sideways at 1024 px with the sidebar open).
  out.diagram = [...main.querySelectorAll('.pipeline-diagram')].filter(visible).map(d => {
    const r = d.getBoundingClientRect();
    return {left: r.left, right: r.right, sw: d.scrollWidth, cw: d.clientWidth, vw};
  });
  // Chart texts that must not print over each other: the lineage chart's names, and each chart's
  // x axis title against its legend (the presenter legend sat on Monitor's latency axis title).
  const boxOf = e => { const r = e.getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom}; };
  const hits = (a, b) => a.l < b.r - 1 && b.l < a.r - 1 && a.t < b.b - 1 && b.t < a.b - 1;
  out.overprint = [];
  for (const chart of main.querySelectorAll('.js-plotly-plot')) {
    if (!visible(chart)) continue;
    const name = (chart.querySelector('.gtitle') || {textContent: ''}).textContent.slice(0, 40);
    const legend = chart.querySelector('.legend');
    for (const xt of chart.querySelectorAll('.g-xtitle text, .xtitle')) {
      if (legend && visible(legend) && visible(xt) && hits(boxOf(legend), boxOf(xt)))
        out.overprint.push({chart: name, a: 'legend', b: xt.textContent});
    }
  }
  for (const chart of main.querySelectorAll('.st-key-lineage .js-plotly-plot')) {
    const labels = [...chart.querySelectorAll('.textpoint text')].filter(t => t.textContent.trim() && visible(t));
    out.lineageLabels = labels.length;
    for (let i = 0; i < labels.length; i++)
      for (let j = i + 1; j < labels.length; j++)
        if (hits(boxOf(labels[i]), boxOf(labels[j])))
          out.overprint.push({chart: 'lineage', a: labels[i].textContent, b: labels[j].textContent});
  }
  const range = document.createRange();
  // Text cut off by a box that hides its overflow (a column narrower than its word).
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || skip(el) || !visible(el)) continue;
    range.selectNodeContents(node);
    const text = range.getBoundingClientRect();
    if (!text.width) continue;
    for (let box = el; box && box !== main; box = box.parentElement) {
      const ox = getComputedStyle(box).overflowX;
      if (ox === 'visible') continue;
      if (ox === 'auto' || ox === 'scroll') break;  // it scrolls: nothing is lost
      const r = box.getBoundingClientRect();
      if (text.right > r.right + 1 || text.left < r.left - 1)
        out.overflow.push({tag: el.tagName, text: node.textContent.slice(0, 60), clippedBy: box.getAttribute('data-testid') || box.tagName});
      break;
    }
  }
  for (const el of main.querySelectorAll('p, li, span, label, button, h1, h2, h3, h4, div')) {
    if (skip(el) || !visible(el)) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const style = getComputedStyle(el);
    if (style.overflowX === 'auto' || style.overflowX === 'scroll') continue;
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0)
      out.overflow.push({tag: el.tagName, text: el.textContent.slice(0, 60), sw: el.scrollWidth, cw: el.clientWidth});
    // A word broken across lines: two characters of one word with different line tops.
    for (const node of el.childNodes) {
      if (node.nodeType !== 3) continue;
      const text = node.textContent;
      const re = /[\p{L}\p{N}]{2,}/gu;
      let m;
      while ((m = re.exec(text)) !== null) {
        range.setStart(node, m.index); range.setEnd(node, m.index + 1);
        const first = range.getBoundingClientRect();
        range.setStart(node, m.index + m[0].length - 1); range.setEnd(node, m.index + m[0].length);
        const last = range.getBoundingClientRect();
        if (first.height && last.height && last.top > first.top + first.height / 2)
          out.midword.push({word: m[0], in: text.slice(0, 60)});
      }
    }
  }
  return out;
}
"""


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StreamlitServer]:
    """A server on a workspace where the full demo has run (the CLI runs it; a minute or two)."""
    from .conftest import require_chromium

    require_chromium()
    server = new_server(tmp_path_factory.mktemp("e2e-presenter"), "presenter")
    result = subprocess.run(
        [sys.executable, "-m", "core.cli", "demo", "--workspace", str(server.workspace)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"the demo failed:\n{result.stderr[-2000:]}"
    server.start()
    yield server
    server.stop()


@pytest.fixture
def projector(browser, request):
    context = browser.new_context(viewport=PROJECTOR)
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    """The main area, whole, at the projector's width (the viewport grows to the content)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size(
        {"width": PROJECTOR["width"], "height": max(PROJECTOR["height"], min(int(height) + 50, 9000))}
    )
    page.wait_for_timeout(500)
    page.locator("[data-testid=stMain]").screenshot(path=str(path), timeout=20_000)
    page.set_viewport_size(PROJECTOR)
    page.wait_for_timeout(300)
    return path


def check_page(page, where: str, presenter: bool = True) -> list[str]:
    """What is wrong on the page as it stands (empty when nothing). Presenter mode asks for larger
    text (body ≥ 18 px, chart text ≥ 14 px) and opaque captions; both modes for titles inside their
    charts, chart text of at least 12 px, no overflowing text and no word broken mid-word."""
    found = page.evaluate(MEASURE)
    problems = []
    if presenter and (found["body"] is None or found["body"] < 18):
        problems.append(f"{where}: body text is {found['body']} px (want ≥ 18)")
    for t in found["titles"]:
        inside = (
            t["left"] >= t["cl"] - 1
            and t["right"] <= t["cr"] + 1
            and t["top"] >= t["ct"] - 1
            and t["bottom"] <= t["cb"] + 1
        )
        if not inside or t["right"] > t["vw"]:
            problems.append(f"{where}: chart title {t['text']!r} runs out of its chart or the screen: {t}")
    if presenter and found["faded"]:
        problems.append(f"{where}: faded (light grey) captions: {found['faded'][:3]}")
    least = 14 if presenter else 12
    small = [c for c in found["chartText"] if c["size"] < least]
    if small:
        problems.append(f"{where}: chart text under {least} px: {small[:5]}")
    for d in found["diagram"]:
        if d["sw"] > d["cw"] + 1 or d["right"] > d["vw"] or d["left"] < 0:
            problems.append(f"{where}: the pipeline diagram does not fit the main area (it scrolls sideways): {d}")
    if found["overprint"]:
        problems.append(f"{where}: chart texts print over each other: {found['overprint'][:5]}")
    if found["overflow"]:
        problems.append(f"{where}: text overflows its box: {found['overflow'][:5]}")
    if found["midword"]:
        problems.append(f"{where}: words broken mid-word: {found['midword'][:5]}")
    return problems


def project_query(server: StreamlitServer) -> str:
    """?project=<id> of the demo's project (the only one in the workspace)."""
    from core.workspace import projects
    from core.workspace.database import Workspace

    ws = Workspace(str(server.workspace))
    return f"project={projects.list_projects(ws)[0]['id']}"


def visit_all(page, server: StreamlitServer, extra: str, suffix: str, presenter: bool = True) -> list[str]:
    problems: list[str] = []
    query = f"{project_query(server)}&present={int(presenter)}{extra}"
    for path, name in PAGES:
        goto(page, server.base_url, f"{path}?{query}")
        page.wait_for_timeout(1500)  # plotly draws after the script ends
        assert_no_exception(page, f"{name}{suffix}")
        # The checks below must have something to measure (elements arrive a moment after "idle").
        if name == "home":
            page.locator(".pipeline-diagram").first.wait_for(timeout=30_000)
        if name == "data":
            page.wait_for_function(
                "() => document.querySelectorAll('.st-key-lineage .textpoint text').length >= 8", timeout=30_000
            )
        problems += check_page(page, name + suffix, presenter)  # measured before the screenshot resizes the page
        screenshot(page, name + suffix)
    return problems


def test_every_page_reads_on_a_projector(projector, demo_server):
    problems = visit_all(projector, demo_server, "", "")
    assert not problems, "\n".join(problems)


def test_every_page_reads_on_a_projector_in_portuguese(projector, demo_server):
    problems = visit_all(projector, demo_server, "&lang=pt", "_pt")
    assert not problems, "\n".join(problems)


def test_every_page_fits_1024_in_normal_mode(projector, demo_server):
    """Without presenter mode too: chart titles inside their charts (Monitor's were cut), chart text
    of at least 12 px, nothing overflowing or broken mid-word."""
    problems = visit_all(projector, demo_server, "", "_normal", presenter=False)
    assert not problems, "\n".join(problems)


def test_the_toggle_turns_presenter_mode_off_and_on(projector, demo_server):
    goto(projector, demo_server.base_url, f"/Monitor?{project_query(demo_server)}&present=1")
    # The styling arrives with the run's elements, a moment after the script reports idle: wait for the
    # size itself (reading it once failed after a page in normal mode had just been shown).
    size = "parseFloat(getComputedStyle(document.documentElement).fontSize)"
    projector.wait_for_function(f"() => {size} >= 18", timeout=30_000)
    toggle = projector.locator(".st-key-presenter_toggle label").first
    toggle.click()
    projector.wait_for_function(f"() => {size} < 18", timeout=30_000)  # off: the large text is gone
    projector.wait_for_function("() => !location.search.includes('present=1')", timeout=30_000)
    toggle.click()
    projector.wait_for_function(f"() => {size} >= 18", timeout=30_000)


# The words a person sees in each file uploader's dropzone: text nodes drawn at a size above zero, and
# the ``::after`` boxes that write the translation (ui.uploader_text).
DROPZONE_WORDS = r"""
() => [...document.querySelectorAll('[data-testid=stFileUploaderDropzone]')].map(zone => {
  const seen = [];
  const walker = document.createTreeWalker(zone, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || el.closest('[data-testid=stIconMaterial]')) continue;
    if (parseFloat(getComputedStyle(el).fontSize) > 0) seen.push(node.textContent.trim());
  }
  for (const el of zone.querySelectorAll('*')) {
    const after = getComputedStyle(el, '::after');
    if (after.content && after.content !== 'none' && after.content !== 'normal' && parseFloat(after.fontSize) > 0)
      seen.push(JSON.parse(after.content));
  }
  const key = (zone.closest('[class*=st-key-]') || {className: ''}).className.match(/st-key-(\S+)/);
  return {key: key ? key[1] : null, words: seen.join(' | '), width: zone.getBoundingClientRect().width};
})
"""


@pytest.mark.parametrize(("path", "least"), [("/", 2), ("/Data", 2)])
def test_uploader_words_follow_the_language(projector, demo_server, path, least):
    """Streamlit's own dropzone words (not settable from Python in 1.67) read in Portuguese at
    1024×768 in presenter mode, and stay Streamlit's in English."""
    name = "home" if path == "/" else "data"
    count = "document.querySelectorAll('[data-testid=stFileUploaderDropzone]').length"
    goto(projector, demo_server.base_url, f"{path}?{project_query(demo_server)}&present=1&lang=pt")
    projector.wait_for_function(f"() => {count} >= {least}", timeout=30_000)
    projector.wait_for_timeout(500)
    zones = projector.evaluate(DROPZONE_WORDS)
    assert len(zones) >= least, zones
    for zone in zones:
        words = zone["words"]
        assert "por arquivo" in words and "Enviar arquivo" in words, zone
        assert "per file" not in words and "Upload" not in words, zone
    if path == "/":
        assert any("YAML, YML, JSON" in z["words"] for z in zones), zones  # the spec uploader's own types
    if path == "/Data":  # the table's uploader is on the second tab
        projector.get_by_role("tab").nth(1).click()
    shot = SHOTS / f"uploader_{name}_pt.png"
    SHOTS.mkdir(parents=True, exist_ok=True)
    projector.locator("[data-testid=stFileUploaderDropzone]:visible").first.screenshot(path=str(shot))
    goto(projector, demo_server.base_url, f"{path}?{project_query(demo_server)}&present=1&lang=en")
    projector.wait_for_function(f"() => {count} >= {least}", timeout=30_000)
    projector.wait_for_timeout(500)
    for zone in projector.evaluate(DROPZONE_WORDS):
        assert "per file" in zone["words"] and "Upload" in zone["words"], zone
        assert "por arquivo" not in zone["words"], zone
