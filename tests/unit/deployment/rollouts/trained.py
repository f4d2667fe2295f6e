"""A small trained project for the rollout tests: champion = the leaderboard's best run, challenger =
the runner-up (a fair, good model)."""

from pathlib import Path

import numpy as np
import pandas as pd

from core.pipeline import PipelineConfig, run_pipeline, stage_register
from core.training import tracking
from core.workspace.database import Workspace


def make_table(n: int = 800, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.uniform(0, 10, n)
    color = rng.choice(["red", "green", "blue"], n)
    logit = 2.0 * x1 + 1.5 * (color == "red") - 0.3 * (x2 - 5)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": x2, "color": color, "y": y})


def make_trained_project(path: Path) -> dict:
    """Train project 1 ("roll") in a workspace at ``path``; returns the challenger's version."""
    ws = Workspace(path)
    config = PipelineConfig(target="y", project_name="roll", cv_folds=3, windows=2, rows_per_window=100)
    run_pipeline(ws, make_table(), None, config)
    experiment = tracking.latest_experiment(ws, 1)
    runs = tracking.get_runs_df(ws, 1, experiment["id"])
    other = runs[(runs["run"] != experiment["best_run_id"]) & (runs["key"] != "baseline")]
    return stage_register(ws, 1, int(other.iloc[0]["run"]), alias="challenger", override_reason="test")
