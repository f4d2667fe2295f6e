"""Every page on a project whose target has three classes (a table the sample data never shows):
no page fails, and Evaluate reports each class, not only the overall accuracy."""

import numpy as np
import pandas as pd
import pytest

from core.pipeline import PipelineConfig, run_pipeline
from core.style import unwrap_title
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory
from tests.pages.test_pages import no_errors, open_page, plotly_specs

pytestmark = pytest.mark.slow  # a full pipeline run on a three-class table

PAGES = [
    "pages/1_Data.py",
    "pages/2_Problem.py",
    "pages/3_Features.py",
    "pages/4_Train.py",
    "pages/5_Explain.py",
    "pages/6_Registry.py",
    "pages/7_Deploy.py",
    "pages/8_Monitor.py",
]


@pytest.fixture(scope="module")
def tiers_workspace(tmp_path_factory):
    rng = np.random.default_rng(1)
    n = 450
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "z": rng.normal(size=n), "plan": rng.choice(["a", "b"], n)})
    df["tier"] = np.where(x + rng.normal(scale=0.6, size=n) > 0.5, "gold", np.where(x < -0.5, "bronze", "silver"))
    path = tmp_path_factory.mktemp("tiers")
    run_pipeline(
        Workspace(path),
        df,
        None,
        PipelineConfig(target="tier", project_name="tiers", cv_folds=3, scenario="sudden", rows_per_window=150),
    )
    return path


@pytest.fixture
def tiers_app(tiers_workspace, monkeypatch):
    return project_app_factory(tiers_workspace, monkeypatch)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_on_three_classes(tiers_app, page):
    at = open_page(tiers_app(), page)
    if page.endswith("Monitor.py"):  # the simulated drift is reported in red alerts, by design
        assert not at.exception, [e.value for e in at.exception]
        assert all(e.value.startswith("In window") for e in at.error), [e.value for e in at.error]
    else:
        no_errors(at)


def test_evaluate_reports_every_metric_and_each_class(tiers_app):
    at = open_page(tiers_app(), "pages/4_Train.py")
    at.radio(key="train_section").set_value("evaluate").run()
    no_errors(at)
    metrics = {m.label: m.value for m in at.metric}
    for label in (
        "Accuracy",
        "Balanced accuracy",
        "F1 (macro)",
        "ROC-AUC (each class vs the rest)",
        "Log loss",
    ):
        assert label in metrics and metrics[label] != "n/a", (label, metrics)
    titles = [unwrap_title(s["layout"]["title"]["text"]) for s in plotly_specs(at) if s["layout"].get("title")]
    assert "Precision, recall and F1 of each class (test set)" in titles
    per_class = next(
        s
        for s in plotly_specs(at)
        if unwrap_title(s["layout"].get("title", {}).get("text", "")).startswith("Precision, recall and F1 of each")
    )
    assert sorted(per_class["data"][0]["x"]) == ["bronze", "gold", "silver"]
    assert any("of the '" in c.value and "rows but only" in c.value for c in at.caption), [c.value for c in at.caption]
