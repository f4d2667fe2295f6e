"""core.data.datasets: a saved recipe version and what its steps did, read back for the Data page."""

import pandas as pd

from core.data import datasets
from core.data.cleaning import CleaningRecipe, CleaningStep, apply_recipe
from core.workspace.projects import create_project


def test_a_saved_recipe_gives_back_its_row_and_the_reports_of_its_steps(ws):
    pid = create_project(ws, "p")["id"]
    raw = datasets.save_dataset(ws, pid, pd.DataFrame({"x": [1.0, None, 3.0]}), kind="raw", name="t.csv")
    recipe = CleaningRecipe((CleaningStep("impute", {"column": "x", "strategy": "median", "value": 2}),))
    _, reports = apply_recipe(datasets.load_dataset(ws, raw["id"]), recipe)
    saved = datasets.save_recipe(ws, pid, recipe, reports, raw["id"])

    row = datasets.get_recipe(ws, saved["id"])
    assert row == saved and row["version"] == 1
    assert [r["summary"] for r in datasets.get_step_reports(row)] == [reports[0].summary]
    assert datasets.get_recipe(ws, saved["id"] + 1) is None
    assert datasets.get_step_reports(None) == []
