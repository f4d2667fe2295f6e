"""Every page reads as words and numbers a person knows: no raw snake_case metric, strategy or column
names (``roc_auc``, ``blue_green``, ``mean_latency_ms``) and no scientific notation (``4.24e+05``) in
what is shown — markdown, captions, metrics, table headers, choices and the text inside charts.

Runs every page (and every section of Train) on the demo workspace, where the whole loop has run:
trained, registered, deployed and monitored; and every page on a regression project whose target is a
price in the hundreds of thousands, with a year column and a tiny-valued one (where "4.24e+05" and
"2,021" used to appear). The Explain page is scanned too."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from core.pipeline import PipelineConfig, run_pipeline
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory

pytestmark = pytest.mark.slow  # every page on the demo workspace (conftest's demo_workspace)

# The raw names people were shown: metric keys, strategy keys, validation keys and the
# system-health columns. A word boundary on both sides so "roc_auc" inside a URL-ish id is
# still caught but "ROC-AUC" is not.
RAW_NAMES = [
    "roc_auc",
    "pr_auc",
    "f1_macro",
    "f1_weighted",
    "balanced_accuracy",
    "log_loss",
    "neg_log_loss",
    "r2_score",
    "mean_absolute_error",
    "blue_green",
    "ab_test",
    "stratified_kfold",
    "group_kfold",
    "time_series",
    "mean_latency_ms",
    "p95_latency_ms",
    "p50_latency_ms",
    "p99_latency_ms",
    "error_rate",
    "requests_per_second",
    "decision_threshold",
    "latency_p95_ms",
    "rejection_rate",
    "drift_pvalue",
    "cv_score",
    "fit_seconds",
    "predict_ms_per_row",
    "best_so_far",
    "stratified-kfold",
    "group-kfold",
    "time-split",
]
RAW = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(RAW_NAMES) + r")(?![A-Za-z0-9_])")
E_NOTATION = re.compile(r"(?<![A-Za-z0-9_])\d\.?\d*e[+-]\d+", re.IGNORECASE)

PAGES = [
    None,  # home
    "pages/1_Data.py",
    "pages/2_Problem.py",
    "pages/3_Features.py",
    "pages/4_Train.py",
    "pages/5_Explain.py",
    "pages/6_Registry.py",
    "pages/7_Deploy.py",
    "pages/8_Monitor.py",
]
TRAIN_SECTIONS = ["leaderboard", "tune", "runs", "evaluate", "gate"]


def _chart_texts(spec: dict) -> list[str]:
    """Titles, axis titles, annotations, legend/trace names and tick labels a chart draws."""
    layout = spec.get("layout", {})
    out: list[str] = []

    def title(obj):
        t = obj.get("title") if isinstance(obj, dict) else None
        if isinstance(t, dict):
            return t.get("text") or ""
        return t or ""

    out.append(title(layout))
    for key, value in layout.items():
        if re.fullmatch(r"[xy]axis\d*|coloraxis", key) and isinstance(value, dict):
            out.append(title(value))
            out.extend(str(t) for t in value.get("ticktext") or [])
            if value.get("colorbar"):
                out.append(title(value["colorbar"]))
    out.extend(str(a.get("text", "")) for a in layout.get("annotations") or [])
    for trace in spec.get("data", []):
        if trace.get("showlegend") is not False:
            out.append(str(trace.get("name") or ""))
        for axis in ("x", "y"):
            values = trace.get(axis)
            if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
                out.extend(values)  # category labels drawn as ticks
        text = trace.get("text")
        if isinstance(text, list):
            out.extend(str(t) for t in text if isinstance(t, str))
        elif isinstance(text, str):
            out.append(text)
    return [t for t in out if t]


def visible_text(at) -> list[tuple[str, str]]:
    """(where, text) for everything a person reads on the rendered page."""
    found: list[tuple[str, str]] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error"):
        found += [(kind, str(e.value)) for e in at.get(kind)]
    for m in at.metric:
        found += [("metric label", m.label), ("metric value", str(m.value)), ("metric delta", str(m.delta or ""))]
    for kind in ("selectbox", "radio", "multiselect"):
        for w in at.get(kind):
            found.append((f"{kind} label", w.label))
            found += [(f"{kind} option", str(o)) for o in w.options]
    for e in at.get("expander"):
        found.append(("expander", e.label))
    for t in at.get("tab"):
        found.append(("tab", t.label))
    for d in at.dataframe:
        frame = d.value
        found += [("table column", str(c)) for c in frame.columns]
        for col in frame.columns:
            if frame[col].dtype == object or str(frame[col].dtype).startswith(("string", "str")):
                found += [("table cell", str(v)) for v in frame[col].dropna().head(50)]
    for chart in at.get("plotly_chart"):
        found += [("chart", t) for t in _chart_texts(json.loads(chart.proto.spec))]
    return found


SNAKE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)+")


def user_columns(path) -> set[str]:
    """Every column name of the project's tables: the user's own names, shown as they typed them."""
    from core.data import datasets

    ws = Workspace(path)
    return {str(c) for d in datasets.list_datasets(ws, 1) for c in datasets.load_dataset(ws, d["id"]).columns}


def offending(at, own: set[str] = frozenset()) -> list[str]:
    """Raw names and e-notation anywhere; and any snake_case table header or radio choice that is not
    one of the user's own column names (``own``): those are our keys, shown instead of words."""
    bad = []
    for where, text in visible_text(at):
        for pattern in (RAW, E_NOTATION):
            match = pattern.search(text)
            if match:
                bad.append(f"{where}: {match.group(0)!r} in {text[:160]!r}")
        if where in ("table column", "radio option") and SNAKE.fullmatch(text) and text not in own:
            bad.append(f"{where}: {text!r} is a key, not words")
    return bad


def _render(app, page, section=None):  # app: a factory of AppTests on one project
    at = app()
    if section:
        at.query_params["section"] = section
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def prices_workspace(tmp_path_factory):
    """A house-price table: a target around 424,000-844,000, a year, a rate of 0.0001-ish."""
    rng = np.random.default_rng(7)
    n = 400
    area = rng.uniform(60, 220, n)
    df = pd.DataFrame(
        {
            "area_m2": area.round(1),
            "year_built": rng.integers(1950, 2022, n),
            "radon_level": rng.uniform(0.00005, 0.0003, n),
            "district": rng.choice(["north", "south", "east"], n),
        }
    )
    df["price"] = (2500 * area + 300 * (df["year_built"] - 1950) + 300_000 + rng.normal(0, 15_000, n)).round(-2)
    path = tmp_path_factory.mktemp("prices")
    run_pipeline(Workspace(path), df, None, PipelineConfig(target="price", project_name="prices", cv_folds=3))
    return path


def test_scanner_catches_raw_names_and_e_notation():
    """The scanner itself: it flags what the issue quotes and lets readable text through."""
    for text in ["roc_auc 0.91", "strategy blue_green", "4.24e+05 … 8.44e+05", "1e-05", "mean_latency_ms"]:
        assert RAW.search(text) or E_NOTATION.search(text), text
    for text in ["ROC-AUC 0.91", "blue-green", "424,000", "mean latency (ms)", "2021", "v1e2 release"]:
        assert not (RAW.search(text) or E_NOTATION.search(text)), text


@pytest.mark.parametrize(
    "page,section",
    [(p, None) for p in PAGES if p != "pages/4_Train.py"] + [("pages/4_Train.py", s) for s in TRAIN_SECTIONS],
)
def test_page_text_is_readable(app, demo_workspace, page, section):
    at = _render(app, page, section)
    texts = visible_text(at)
    assert texts, "nothing was scanned"
    bad = offending(at, user_columns(demo_workspace[0]))
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("page", PAGES)
def test_page_text_is_readable_on_large_numbers(prices_workspace, monkeypatch, page):
    make = project_app_factory(prices_workspace, monkeypatch)
    at = _render(make, page)
    bad = offending(at, user_columns(prices_workspace))
    assert not bad, "\n".join(bad)
