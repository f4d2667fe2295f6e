"""The fast reader of plain JSON rows gives the same answers as the general (pandas) reader: both run
on many generated bodies (good rows, missing values and keys, NaN, text in numbers, decimal commas,
unseen categories and spellings, stray spaces, dates good and bad, unicode, out-of-range and huge
numbers) under several cleaning recipes, and every answer (prediction, score, status, problems,
error) must be identical, while the fast reader does take the plain rows."""

import copy
import math

import numpy as np
import pandas as pd
import pytest

from core.data.cleaning.recipe import CleaningRecipe, CleaningStep
from core.deployment import serving
from core.deployment.fast_reader import FastReader
from core.deployment.request import read_request
from core.deployment.routing import RoutingConfig
from core.pipeline import PipelineConfig, run_pipeline, stage_deploy
from core.workspace.database import Workspace


def _table(n: int = 500, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    amount = rng.integers(0, 5000, n).astype(float)
    color = rng.choice(["red", "green", "blue"], n)
    plan = rng.choice(["Month-to-month", "One year", "Two year"], n)
    since = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    logit = 1.2 * x1 + 1.0 * (color == "red") - 0.0002 * amount
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame(
        {"x1": x1, "amount": amount, "color": color, "plan": plan, "since": since.strftime("%Y-%m-%d"), "y": y}
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("fast") / "ws")
    run_pipeline(
        ws, _table(), None, PipelineConfig(target="y", project_name="fast", cv_folds=2, windows=1, rows_per_window=50)
    )
    deployment = stage_deploy(ws, 1, RoutingConfig("single"))
    return ws, deployment, serving.load_served(ws, deployment["champion_version_id"])


RECIPES = {
    "cleaning": [
        CleaningStep("drop_duplicates", {}),
        CleaningStep("trim_whitespace", {"columns": ["color", "plan"]}),
        CleaningStep("unify_categories", {"column": "plan", "mapping": {"month to month": "Month-to-month"}}),
        CleaningStep("impute", {"column": "x1", "strategy": "median", "value": 0.25}),
        CleaningStep("clip_outliers", {"column": "amount", "lower": 0.0, "upper": 4000.0}),
        CleaningStep("group_rare", {"column": "color", "keep": ["red", "green"], "other_label": "Other"}),
    ],
    "decimal comma": [
        CleaningStep("to_numeric", {"columns": ["amount"], "decimal": ",", "thousands": "."}),
        CleaningStep("drop_columns", {"columns": ["customer_id"]}),
        CleaningStep("rename_columns", {"mapping": {"colour": "color"}}),
    ],
    "constant and dates": [
        CleaningStep("impute", {"column": "color", "strategy": "constant", "value": "red"}),
        CleaningStep("to_datetime", {"columns": ["since"], "format": None}),
    ],
}

# What a cell may be replaced with (by column kind); None means "the key is left out".
NUMBER_CELLS = [0, 7, -3.5, 1e6, 12345678901234567890, 1e308, None, float("nan"), "12.5", "12,5", "1.234,5", " 3 ",
                "", "abc", True, 2.0, "Infinity"]  # fmt: skip
CATEGORY_CELLS = ["red", "green", "blue", "Red", "purple", " red", "red ", "", None, 3, 2.0, True, "Ünïcode ✓",
                  "Month to month", "month to month", "Other", "a  b", "\tred"]  # fmt: skip
DATE_CELLS = ["2021-06-01", "2021-06-01 13:45", "2021-06-01T13:45:00+02:00", "1999-01-01", "2030-12-31", "not a date",
              " 2021-06-01", "", None, 20210601, "2021-02-30", "01/06/2021"]  # fmt: skip
MISSING = object()


def _bodies(base: pd.DataFrame, count: int, seed: int = 11) -> list[list[dict]]:
    rng = np.random.default_rng(seed)
    records = base.drop(columns=["y"]).to_dict(orient="records")
    cells = {"x1": NUMBER_CELLS, "amount": NUMBER_CELLS, "color": CATEGORY_CELLS, "plan": CATEGORY_CELLS}
    cells["since"] = DATE_CELLS
    bodies = []
    for b in range(count):
        size = int(rng.choice([1, 1, 1, 2, 3, 5, 20]))
        rows = [copy.deepcopy(records[int(i)]) for i in rng.integers(0, len(records), size)]
        mutate = b % 4 != 0  # a quarter of the bodies stay plain and good
        for row in rows:
            for column, choices in cells.items():
                if mutate and rng.random() < 0.25:
                    value = choices[int(rng.integers(0, len(choices)))]
                    if value is None and rng.random() < 0.3:
                        row.pop(column)  # the key left out
                    else:
                        row[column] = value
            if mutate and rng.random() < 0.1:
                row["customer_id"] = "C-1"  # an extra column
        bodies.append(rows)
    return bodies


def _same(fast: pd.DataFrame, general: pd.DataFrame) -> None:
    assert list(fast["prediction"]) == list(general["prediction"])
    np.testing.assert_array_equal(fast["score"].to_numpy(dtype=float), general["score"].to_numpy(dtype=float))
    assert list(fast["status"]) == list(general["status"])
    assert list(fast["error"]) == list(general["error"])
    assert list(fast["problems"]) == list(general["problems"])


@pytest.mark.parametrize("recipe", [None, *RECIPES])
def test_the_fast_reader_answers_as_the_general_one(served, recipe):
    _, _, model = served
    original = model.recipe, model._fast
    if recipe is not None:
        model.recipe = CleaningRecipe(tuple(RECIPES[recipe]))
        model._fast = FastReader(model.recipe, model.input_columns, model.input_kinds, model.required_columns)
    try:
        assert model._fast_ok
        taken = 0
        for rows in _bodies(_table(50, seed=8), 120):
            try:
                general = model.answer(read_request(copy.deepcopy(rows)))  # a table: never the fast reader
            except Exception as exc:  # a request error: the fast reader must not answer it either
                with pytest.raises(type(exc)):
                    model.answer(copy.deepcopy(rows))
                continue
            taken += model._fast.read(copy.deepcopy(rows)) is not None
            _same(model.answer(copy.deepcopy(rows)), general)
            _same(model.answer(copy.deepcopy(rows), validate=False), model.answer(read_request(rows), validate=False))
        # The plain bodies (and some mutated ones) were read fast; a recipe that converts a column
        # every request sends (to_datetime) leaves every body to the general reader.
        assert taken >= 15 if recipe != "constant and dates" else taken == 0
    finally:
        model.recipe, model._fast = original


def test_serving_answers_json_rows_as_it_answers_a_table(served):
    ws, deployment, _ = served
    for rows in _bodies(_table(50, seed=9), 40, seed=3):
        ids = [f"r{i}" for i in range(len(rows))]
        try:
            general = serving.predict(ws, deployment, read_request(copy.deepcopy(rows)), request_ids=ids, log=False)
        except Exception as exc:
            with pytest.raises(type(exc)):
                serving.predict(ws, deployment, rows, request_ids=ids, log=False)
            continue
        fast = serving.predict(ws, deployment, copy.deepcopy(rows), request_ids=ids, log=False)
        _same(fast, general)
        assert list(fast["request_id"]) == ids and list(fast["version"]) == list(general["version"])


def test_rows_the_fast_reader_leaves_to_the_general_one(served):
    _, _, model = served
    good = _table(3, seed=5).drop(columns=["y"]).to_dict(orient="records")
    assert model._fast.read(copy.deepcopy(good)) is not None
    for change in ({"x1": "1.5"}, {"x1": math.nan}, {"color": ["red"]}, {"since": " 2021-06-01"}):
        rows = copy.deepcopy(good)
        rows[1].update(change)
        assert model._fast.read(rows) is None, change
    uneven = copy.deepcopy(good)
    uneven[2].pop("plan")
    assert model._fast.read(uneven) is None


def test_a_logged_json_row_reads_as_the_table_of_it_would():
    """One JSON row is logged from its cells directly; the text must be what its table gives."""
    from core.deployment.prediction_log import _key, _row_json, inputs_json

    for rows in _bodies(_table(50, seed=7), 60, seed=5):
        for row in rows:
            row = {**row, "note": "x" * 300, 5: None} if len(row) % 2 else row  # cut text, a number as a key
            direct = _row_json([_key(c, i) for i, c in enumerate(row)], list(row.values()))
            assert direct == inputs_json(read_request([row]))[0]
