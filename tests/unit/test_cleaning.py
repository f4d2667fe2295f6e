"""core.cleaning: suggested recipes resolve their parameters, replay deterministically, respect serving mode."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cleaning import (
    CleaningRecipe,
    CleaningStep,
    StepReport,
    apply_recipe,
    find_impossible_bounds,
    get_before_after_df,
    suggest_recipe,
)
from core.errors import ConfigError

TELCO = Path(__file__).resolve().parents[2] / "sample_data" / "telco_churn.csv"


@pytest.fixture(scope="module")
def dirty() -> pd.DataFrame:
    """A small telco-like table with every planted flaw, built in the test."""
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({
        "customer_id": [f"C{i:04d}" for i in range(n)],
        "tenure_months": rng.integers(0, 73, n),
        "monthly_charges": rng.uniform(18, 119, n).round(2),
        "total_charges": pd.Series([f"{v:.2f}" for v in rng.uniform(20, 8000, n)], dtype="str"),
        "contract": pd.Series(rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.25, 0.2]), dtype="str"),
        "satisfaction_score": rng.integers(1, 11, n).astype(float),
        "churn": pd.Series(rng.choice(["Yes", "No"], n, p=[0.3, 0.7]), dtype="str"),
    })
    df.loc[[1, 2], "tenure_months"] = [999, -1]
    df.loc[5, "monthly_charges"] = 9999.0
    df.loc[[7, 8, 9], "contract"] = ["month-to-month", "Month to month", "two year"]
    df.loc[[10, 11], "total_charges"] = " "
    df.loc[12:40, "satisfaction_score"] = np.nan
    df.loc[41, "churn"] = np.nan
    return pd.concat([df, df.iloc[[50, 51, 52]]], ignore_index=True)  # 3 exact duplicates


def _ops(recipe: CleaningRecipe) -> list[str]:
    return [s.op for s in recipe.steps]


def _step(recipe: CleaningRecipe, op: str, column: str | None = None) -> CleaningStep:
    return next(s for s in recipe.steps if s.op == op and (column is None or s.params.get("column") == column))


def test_suggest_resolves_every_parameter(dirty):
    recipe = suggest_recipe(dirty, "churn")
    assert _ops(recipe)[:3] == ["drop_missing_target", "drop_duplicates", "unify_categories"]
    unify = _step(recipe, "unify_categories", "contract")
    assert unify.params["mapping"] == {
        "month-to-month": "Month-to-month", "Month to month": "Month-to-month", "two year": "Two year"}
    assert _step(recipe, "to_numeric").params["columns"] == ["total_charges"]
    tenure = _step(recipe, "drop_outlier_rows", "tenure_months").params
    assert tenure["lower"] == 0 and 72 < tenure["upper"] < 999
    charges = _step(recipe, "drop_outlier_rows", "monthly_charges").params
    assert charges["lower"] is None and 119 < charges["upper"] < 9999
    impute = _step(recipe, "impute", "satisfaction_score").params
    assert impute["strategy"] == "median" and isinstance(impute["value"], (int, float))
    assert _step(recipe, "impute", "total_charges").params["strategy"] == "median"
    assert "customer_id" not in json.dumps(recipe.to_dict())  # IDs are the features stage's job
    assert not any(s.op == "drop_outlier_rows" and s.params["column"] == "churn" for s in recipe.steps)


def test_apply_cleans_and_reports_in_plain_words(dirty):
    recipe = suggest_recipe(dirty, "churn")
    clean, reports = apply_recipe(dirty, recipe)
    assert all(isinstance(r, StepReport) for r in reports) and len(reports) == len(recipe.steps)
    by_op = {r.op: r for r in reports}
    assert by_op["drop_duplicates"].summary == "Removed 3 duplicate rows."
    assert by_op["drop_duplicates"].rows_before - by_op["drop_duplicates"].rows_after == 3
    assert by_op["drop_missing_target"].summary == "Removed 1 row where the target churn is missing."
    assert clean["tenure_months"].between(0, 72).all()
    assert clean["monthly_charges"].max() < 119
    assert set(clean["contract"]) == {"Month-to-month", "One year", "Two year"}
    assert clean["total_charges"].dtype == "float64"
    assert clean.isna().sum().sum() == 0
    assert clean["customer_id"].is_unique and len(clean) == len(dirty) - 3 - 1 - 3
    fill = next(r for r in reports if r.op == "impute" and "satisfaction_score" in r.summary)
    value = _step(recipe, "impute", "satisfaction_score").params["value"]
    assert fill.summary == f"Filled 29 missing satisfaction_score values with the median, {value:g}."
    assert fill.cells_changed == 29
    assert list(clean.index) == list(range(len(clean)))


def test_replay_on_new_data_uses_the_recorded_values(dirty):
    recipe = suggest_recipe(dirty, "churn")
    first, _ = apply_recipe(dirty, recipe)
    again, _ = apply_recipe(dirty, recipe)
    pd.testing.assert_frame_equal(first, again)
    # a new batch with different statistics gets the training median, not its own
    batch = dirty.iloc[100:140].copy()
    batch["satisfaction_score"] = [np.nan] * 5 + [1.0] * 35
    out, _ = apply_recipe(batch, recipe, training=False)
    assert out["satisfaction_score"].iloc[:5].tolist() == [_step(recipe, "impute", "satisfaction_score").params["value"]] * 5


def test_serving_mode_keeps_every_row_but_still_transforms_values(dirty):
    recipe = suggest_recipe(dirty, "churn")
    out, reports = apply_recipe(dirty, recipe, training=False)
    assert len(out) == len(dirty)
    assert out["tenure_months"].max() == 999  # row filters are training-only
    assert set(out["contract"].dropna()) == {"Month-to-month", "One year", "Two year"}
    assert out["total_charges"].dtype == "float64"
    assert out["satisfaction_score"].isna().sum() == 0
    skipped = [r for r in reports if r.op in ("drop_duplicates", "drop_outlier_rows", "drop_missing_target")]
    assert skipped and all(r.summary.startswith("Skipped on new data") and r.rows_before == r.rows_after for r in skipped)


def test_missing_columns_are_skipped_with_a_note(dirty):
    recipe = suggest_recipe(dirty, "churn").with_step(CleaningStep("drop_columns", {"columns": ["gone", "customer_id"]}))
    scoring = dirty.drop(columns=["churn", "contract", "satisfaction_score"])  # no target, fewer features
    out, reports = apply_recipe(scoring, recipe, training=False)
    assert "customer_id" not in out.columns and len(out) == len(scoring)
    notes = " ".join(r.summary for r in reports)
    assert "Skipped: column contract is not in this table." in notes
    assert "Skipped gone: not in this table." in notes


def test_unify_also_catches_new_variants_of_known_categories():
    recipe = CleaningRecipe((CleaningStep("unify_categories", {"column": "c", "mapping": {"two year": "Two year"}}),))
    out, reports = apply_recipe(pd.DataFrame({"c": ["TWO YEAR", "two year", "Two year", "other"]}), recipe)
    assert out["c"].tolist() == ["Two year", "Two year", "Two year", "other"]
    assert reports[0].cells_changed == 2


def test_unknown_op_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match="Unknown cleaning step 'bogus'"):
        apply_recipe(pd.DataFrame({"a": [1]}), CleaningRecipe((CleaningStep("bogus", {}),)))
    with pytest.raises(ConfigError, match="'bogus'"):
        CleaningRecipe.from_dict({"steps": [{"op": "bogus", "params": {}}]})


def test_bad_parameters_are_config_errors():
    df = pd.DataFrame({"a": [1.0, None]})
    with pytest.raises(ConfigError, match="strategy"):
        apply_recipe(df, CleaningRecipe((CleaningStep("impute", {"column": "a", "strategy": "magic"}),)))
    with pytest.raises(ConfigError, match="'columns'"):
        apply_recipe(df, CleaningRecipe((CleaningStep("drop_columns", {}),)))


def test_recipe_json_round_trip_and_editing(dirty):
    recipe = suggest_recipe(dirty, "churn")
    text = json.dumps(recipe.to_dict())
    again = CleaningRecipe.from_dict(json.loads(text))
    assert again == recipe
    pd.testing.assert_frame_equal(apply_recipe(dirty, again)[0], apply_recipe(dirty, recipe)[0])
    shorter = recipe.without_step(0)
    assert len(shorter.steps) == len(recipe.steps) - 1 and shorter.steps == recipe.steps[1:]
    assert recipe.with_step(CleaningStep("drop_columns", {"columns": ["x"]})).steps[-1].op == "drop_columns"
    with pytest.raises(ConfigError, match="no step 99"):
        recipe.without_step(99)


def test_clip_and_to_datetime_steps():
    df = pd.DataFrame({"x": [1, 5, 100], "d": ["2024-01-02", "bad", None]})
    recipe = CleaningRecipe((
        CleaningStep("clip_outliers", {"column": "x", "lower": 2, "upper": 10}),
        CleaningStep("to_datetime", {"columns": ["d"], "format": None}),
    ))
    out, reports = apply_recipe(df, recipe)
    assert out["x"].tolist() == [2, 5, 10] and reports[0].cells_changed == 2
    assert out["d"].iloc[0] == pd.Timestamp("2024-01-02") and out["d"].isna().tolist() == [False, True, True]
    assert "1 unreadable" in reports[1].summary


def test_impossible_bounds_leave_natural_tails_alone():
    rng = np.random.default_rng(0)
    assert find_impossible_bounds(pd.Series(rng.lognormal(3, 1.2, 20_000))) is None  # e.g. amounts
    assert find_impossible_bounds(pd.Series(rng.poisson(2, 5_000))) is None  # e.g. support calls
    ages = pd.Series(np.concatenate([rng.integers(18, 90, 2_000), [-999, 999]]))
    lower, upper = find_impossible_bounds(ages)
    assert lower == 0 and 89 < upper < 999


def test_classification_target_is_never_filtered_for_outliers():
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x": rng.normal(size=500), "label": [0] * 495 + [1] * 5})
    recipe = suggest_recipe(df, "label")
    assert not any(s.params.get("column") == "label" for s in recipe.steps if s.op == "drop_outlier_rows")


def test_before_after(dirty):
    clean, _ = apply_recipe(dirty, suggest_recipe(dirty, "churn"))
    table = get_before_after_df(dirty, clean).set_index("column")
    rows = table.loc["(rows)"]
    assert (rows["distinct_before"], rows["distinct_after"]) == (len(dirty), len(clean))
    assert "removed" in rows["change"]
    sat = table.loc["satisfaction_score"]
    assert sat["missing_before"] == 29 and sat["missing_after"] == 0
    tc = table.loc["total_charges"]
    assert (tc["dtype_before"], tc["dtype_after"]) == ("str", "float64")
    assert table.loc["contract", "distinct_before"] == 6 and table.loc["contract", "distinct_after"] == 3


def test_telco_sample_when_present():
    if not TELCO.exists():
        pytest.skip("sample data not generated yet")
    from core.reader import read_path

    raw, _ = read_path(TELCO)
    recipe = suggest_recipe(raw, "churn")
    clean, reports = apply_recipe(raw, recipe)
    assert "Removed 70 duplicate rows." in [r.summary for r in reports]
    assert not clean.duplicated().any()
    assert clean["tenure_months"].between(0, 72).all()
    assert clean["monthly_charges"].max() <= 118.75
    assert set(clean["contract"]) == {"Month-to-month", "One year", "Two year"}
    assert clean.drop(columns="churn").isna().sum().sum() == 0
    assert len(clean) == 7070 - 70 - 5 - 3
    # the same recipe replayed on the raw file (as pandas reads it) gives the same cleaned table
    plain = pd.read_csv(TELCO, dtype={"total_charges": "str"}, parse_dates=["signup_date"])
    plain = plain.assign(total_charges=plain["total_charges"].str.strip().replace("", np.nan).astype("float64"))
    again, _ = apply_recipe(plain, recipe)
    pd.testing.assert_frame_equal(clean, again, check_dtype=False)
    # production batch: no rows dropped
    batch, _ = apply_recipe(raw.head(500), recipe, training=False)
    assert len(batch) == 500
