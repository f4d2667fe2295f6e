import numpy as np
import pandas as pd
import pytest

from core.data.charts import caption_lineage, plot_lineage
from core.data.lineage import get_ancestors, get_lineage_graph
from core.pipeline import PipelineConfig, run_pipeline

pytestmark = pytest.mark.slow  # a full pipeline run with retraining, traced back


@pytest.fixture(scope="module")
def looped(tmp_path_factory):
    """A project that went round the whole loop once, retraining included."""
    from core.workspace.database import Workspace

    rng = np.random.default_rng(0)
    n = 900
    x = rng.normal(size=n)
    df = pd.DataFrame(
        {"id": [f"C{i:04d}" for i in range(n)], "x": x, "z": rng.normal(size=n), "plan": rng.choice(["a", "b", "c"], n)}
    )
    # Both numbers carry the signal: the sudden shift moves two features the model uses, which calls for
    # retraining (drift in a feature the model barely uses is no reason to).
    df["y"] = np.where(x + df["z"] + rng.normal(scale=0.7, size=n) > 0, "yes", "no")
    ws = Workspace(tmp_path_factory.mktemp("lineage"))
    run_pipeline(
        ws,
        df,
        None,
        PipelineConfig(
            target="y",
            project_name="loop",
            scenario="sudden",
            cv_folds=3,
            retrain_when_recommended=True,
            rows_per_window=200,
        ),
    )
    return ws


def test_every_stage_is_a_node_linked_to_its_inputs(looped):
    nodes, edges = get_lineage_graph(looped, 1)
    assert {
        "raw data",
        "recipe",
        "cleaned data",
        "feature set",
        "experiment",
        "model version",
        "deployment",
        "monitoring",
    } <= set(nodes["layer"])
    assert set(edges["source"]) | set(edges["target"]) <= set(nodes["node"])
    hashed = nodes[nodes["layer"].isin(["raw data", "recipe", "cleaned data", "model version"])]
    assert (hashed["sha256"].str.len() == 12).all()  # every data file, recipe and model carries its hash


def test_the_retrained_model_traces_back_through_monitoring_to_the_raw_upload(looped):
    nodes, edges = get_lineage_graph(looped, 1)
    versions = nodes[nodes["layer"] == "model version"]["node"].tolist()
    assert len(versions) == 2  # the sudden shift calls for retraining, and the retrained model passes
    ancestors = get_ancestors(edges, versions[-1])
    assert any(a.startswith("monitoring:") for a in ancestors)
    assert "dataset:1" in ancestors
    assert "raw data v1" in caption_lineage(nodes, edges)


def test_lineage_plot_has_a_marker_per_node(looped):
    nodes, edges = get_lineage_graph(looped, 1)
    fig = plot_lineage(nodes, edges)
    assert len(fig.data[-1].x) == len(nodes)
    assert len(fig.data) == len(edges) + 1


def test_empty_project(ws):
    from core.workspace.projects import create_project

    create_project(ws, "empty")
    nodes, edges = get_lineage_graph(ws, 1)
    assert nodes.empty and edges.empty
    assert "Nothing" in caption_lineage(nodes, edges)
