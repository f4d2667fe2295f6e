"""One trained project for the endpoint's tests: champion = the best run, challenger = another family."""

import numpy as np
import pandas as pd
import pytest

from core.pipeline import PipelineConfig, run_pipeline, stage_register
from core.training import tracking
from core.workspace.database import Workspace


def make_table(n: int = 600, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.uniform(0, 10, n)
    color = rng.choice(["red", "green", "blue"], n)
    logit = 1.5 * x1 + 1.5 * (color == "red") - 0.2 * x2
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame({"cust_id": [f"C{i:05d}" for i in range(n)], "x1": x1, "x2": x2, "color": color, "y": y})


@pytest.fixture(scope="package")
def trained(tmp_path_factory):
    """(workspace, project id, challenger version) of a project deployed with 'single'."""
    ws = Workspace(tmp_path_factory.mktemp("endpoint") / "ws")
    run_pipeline(
        ws,
        make_table(),
        None,
        PipelineConfig(target="y", project_name="serve", cv_folds=3, windows=2, rows_per_window=100),
    )
    experiment = tracking.latest_experiment(ws, 1)
    runs = tracking.get_runs_df(ws, 1, experiment["id"])
    other = runs[(runs["run"] != experiment["best_run_id"]) & (runs["key"] != "baseline")]
    challenger = stage_register(ws, 1, int(other.iloc[0]["run"]), alias="challenger", override_reason="test")
    return ws, 1, challenger


def api_key_headers(ws, project_id: int) -> dict[str, str]:
    """The header of a new API key of the project: the endpoint answers /predict and /feedback only with one."""
    from core.security.keys import create_key

    workspace = ws if isinstance(ws, Workspace) else Workspace(ws)
    return {"Authorization": f"Bearer {create_key(workspace, project_id, name='tests')[0]}"}
