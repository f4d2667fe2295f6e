"""core.data.cleaning: suggested recipes resolve their parameters, replay deterministically, respect serving mode."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data.cleaning import (
    CleaningRecipe,
    CleaningStep,
    StepReport,
    apply_recipe,
    find_impossible_bounds,
    get_before_after_df,
    suggest_recipe,
)
from core.workspace.errors import ConfigError

TELCO = Path(__file__).resolve().parents[3] / "sample_data" / "telco_churn.csv"


@pytest.fixture(scope="module")
def dirty() -> pd.DataFrame:
    """A small telco-like table with every planted flaw, built in the test."""
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame(
        {
            "customer_id": [f"C{i:04d}" for i in range(n)],
            "tenure_months": rng.integers(0, 73, n),
            "monthly_charges": rng.uniform(18, 119, n).round(2),
            "total_charges": pd.Series([f"{v:.2f}" for v in rng.uniform(20, 8000, n)], dtype="str"),
            "contract": pd.Series(
                rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.25, 0.2]), dtype="str"
            ),
            "satisfaction_score": rng.integers(1, 11, n).astype(float),
            "churn": pd.Series(rng.choice(["Yes", "No"], n, p=[0.3, 0.7]), dtype="str"),
        }
    )
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
        "month-to-month": "Month-to-month",
        "Month to month": "Month-to-month",
        "two year": "Two year",
    }
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
    assert (
        out["satisfaction_score"].iloc[:5].tolist()
        == [_step(recipe, "impute", "satisfaction_score").params["value"]] * 5
    )


def test_serving_mode_keeps_every_row_but_still_transforms_values(dirty):
    recipe = suggest_recipe(dirty, "churn")
    out, reports = apply_recipe(dirty, recipe, training=False)
    assert len(out) == len(dirty)
    assert out["tenure_months"].max() == 999  # row filters are training-only
    assert set(out["contract"].dropna()) == {"Month-to-month", "One year", "Two year"}
    assert out["total_charges"].dtype == "float64"
    assert out["satisfaction_score"].isna().sum() == 0
    skipped = [r for r in reports if r.op in ("drop_duplicates", "drop_outlier_rows", "drop_missing_target")]
    assert skipped and all(
        r.summary.startswith("Skipped on new data") and r.rows_before == r.rows_after for r in skipped
    )


def test_missing_columns_are_skipped_with_a_note(dirty):
    recipe = suggest_recipe(dirty, "churn").with_step(
        CleaningStep("drop_columns", {"columns": ["gone", "customer_id"]})
    )
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
    with pytest.raises(ConfigError, match="The 'op' of a cleaning step must be one of .*; got 'bogus' instead"):
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
    recipe = CleaningRecipe(
        (
            CleaningStep("clip_outliers", {"column": "x", "lower": 2, "upper": 10}),
            CleaningStep("to_datetime", {"columns": ["d"], "format": None}),
        )
    )
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
    from core.data.reader import read_path

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


# --------------------------------------------------------------------------------------
# Every op: values, wording, serving mode, absent columns, validation, JSON
# --------------------------------------------------------------------------------------

from core.data.cleaning import (  # noqa: E402
    OPS,
    ROW_REMOVING_OPS,
    apply_step,
    describe_step,
    make_group_rare_step,
    make_impute_step,
    make_outlier_step,
    preview_recipe,
    recipe_from_json,
    recipe_to_json,
    summarize_reports,
    validate_step,
)


def _one(df: pd.DataFrame, op: str, training: bool = True, **params) -> tuple[pd.DataFrame, StepReport]:
    return apply_step(df, CleaningStep(op, params), training=training)


def test_rename_columns_renames_and_notes_absent_and_clashing_names():
    df = pd.DataFrame({"cust": [1], "sat": [2], "score": [3]})
    out, report = _one(df, "rename_columns", mapping={"cust": "customer_id", "gone": "x", "sat": "score"})
    assert list(out.columns) == ["customer_id", "sat", "score"]
    assert report.summary == (
        "Renamed 1 column: cust -> customer_id. Skipped gone: not in this table. "
        "Did not rename sat to score: score already exists."
    )
    assert report.status == "applied"


@pytest.mark.parametrize(
    "values, decimal, thousands, expected",
    [
        (["1.234,5", "12,5", " 7 ", "-1.000.000,25"], ",", ".", [1234.5, 12.5, 7.0, -1000000.25]),
        (["12 500", "1 234 567.5", "12\u00a0500", "3"], ".", " ", [12500.0, 1234567.5, 12500.0, 3.0]),
        (["3'400", "1'234'567.8", "12"], ".", "'", [3400.0, 1234567.8, 12.0]),
        (["1,234.5", "-2,000", "0.5"], ".", ",", [1234.5, -2000.0, 0.5]),
        (["1.5", "2", "-3e2"], ".", None, [1.5, 2.0, -300.0]),
    ],
)
def test_to_numeric_reads_thousands_separators_and_decimal_commas(values, decimal, thousands, expected):
    df = pd.DataFrame({"x": pd.Series(values, dtype="str")})
    out, report = _one(df, "to_numeric", columns=["x"], decimal=decimal, thousands=thousands)
    assert out["x"].dtype == "float64" and out["x"].tolist() == expected
    assert report.summary == "Converted x to numbers." and report.cells_changed == len(values)


def test_to_numeric_reports_unreadable_values_and_does_not_misread_bad_groups():
    df = pd.DataFrame({"x": pd.Series(["1,5", "1,234", "n/a", "n/a", " ", None], dtype="str")})
    out, report = _one(df, "to_numeric", columns=["x"], decimal=".", thousands=",")
    assert out["x"].isna().tolist() == [True, False, True, True, True, True]  # "1,5" is not 15
    assert out["x"].iloc[1] == 1234.0
    assert (
        report.summary == "Converted x to numbers (4 blank or unreadable values now missing, e.g. 'n/a', ' ', '1,5')."
    )


def test_to_numeric_without_thousands_keeps_the_old_decimal_comma_behaviour():
    df = pd.DataFrame({"x": pd.Series(["1.234,5", "3,25"], dtype="str")})
    out, _ = _one(df, "to_numeric", columns=["x"], decimal=",")  # recipes saved before 'thousands'
    assert out["x"].tolist() == [1234.5, 3.25]


def test_to_datetime_with_a_chosen_format():
    df = pd.DataFrame({"d": pd.Series(["03/02/2024", "31/12/2023", "2024-13-45"], dtype="str")})
    out, report = _one(df, "to_datetime", columns=["d"], format="%d/%m/%Y")
    assert out["d"].tolist()[:2] == [pd.Timestamp("2024-02-03"), pd.Timestamp("2023-12-31")]
    assert pd.isna(out["d"].iloc[2])
    assert report.summary == "Converted d to dates (%d/%m/%Y) (1 unreadable value now missing, e.g. '2024-13-45')."


def test_to_boolean_reads_every_spelling_and_reports_unknown_ones():
    spellings = [
        "Yes",
        " no",
        "Y",
        "n",
        "TRUE",
        "false",
        "1",
        "0",
        "Si",
        "ja",
        "Nein",
        "oui",
        "NON",
        "X",
        "",
        None,
        "maybe",
    ]
    df = pd.DataFrame({"b": pd.Series(spellings, dtype="str")})
    out, report = _one(df, "to_boolean", columns=["b"])
    assert out["b"].dtype == "boolean"
    expected = [
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
        True,
        True,
        False,
        True,
        False,
        True,
        False,
        None,
        None,
    ]
    assert [None if pd.isna(v) else bool(v) for v in out["b"]] == expected
    assert report.summary == (
        "Converted b to true/false (8 true, 7 false, 2 missing); "
        "1 value in unknown spellings (e.g. 'maybe') are now missing."
    )


def test_to_boolean_on_numbers_and_x_marks():
    df = pd.DataFrame({"n": [1, 0, 1, 2], "x": pd.Series(["x", None, "X", None], dtype="str")})
    out, _ = apply_recipe(
        df,
        CleaningRecipe(
            (
                CleaningStep("to_boolean", {"columns": ["n"]}),
                CleaningStep("to_boolean", {"columns": ["x"], "missing_as_false": True}),
            )
        ),
    )
    assert out["n"].tolist()[:3] == [True, False, True] and pd.isna(out["n"].iloc[3])
    assert out["x"].tolist() == [True, False, True, False]
    again, report = _one(out, "to_boolean", columns=["x"])
    assert report.summary == "Kept x: it already holds true/false." and report.status == "no_change"


def test_trim_whitespace_trims_collapses_and_blanks_become_missing():
    df = pd.DataFrame(
        {"city": pd.Series([" Berlin", "New  York ", "Paris", "  ", None], dtype="str"), "n": [1, 2, 3, 4, 5]}
    )
    out, report = _one(df, "trim_whitespace", columns=["city", "n"])
    assert out["city"].tolist()[:3] == ["Berlin", "New York", "Paris"] and out["city"].isna().tolist()[3:] == [
        True,
        True,
    ]
    assert report.summary == "Trimmed stray spaces in 3 city values (1 blank cell now missing). Skipped n: not text."
    assert report.cells_changed == 3
    again, second = _one(out, "trim_whitespace", columns=["city"])
    assert second.status == "no_change" and again is not None


def test_group_rare_keeps_the_resolved_categories_on_new_data():
    train = pd.DataFrame({"city": pd.Series(["A"] * 50 + ["B"] * 45 + ["C", "D", "E", "F", "G"], dtype="str")})
    step = make_group_rare_step(train, "city", min_share=0.05, other_label="Other")
    assert step.params == {"column": "city", "min_share": 0.05, "other_label": "Other", "keep": ["A", "B"]}
    out, report = apply_step(train, step)
    assert out["city"].value_counts().to_dict() == {"A": 50, "B": 45, "Other": 5}
    assert report.summary == (
        "Grouped 5 city values in 5 rare categories (e.g. 'C', 'D', 'E') into 'Other'; kept 2 common categories."
    )
    # a batch where C is common still maps C (rare in training) and a new Z to Other: deterministic
    batch = pd.DataFrame({"city": pd.Series(["C"] * 10 + ["Z", "A", None], dtype="str")})
    replayed, _ = apply_step(batch, step, training=False)
    assert replayed["city"].tolist()[:12] == ["Other"] * 11 + ["A"] and pd.isna(replayed["city"].iloc[12])


def test_impute_every_strategy():
    df = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0, 10.0, None, None], "c": pd.Series(["a", "b", "b", None, "a", "b"], dtype="str")}
    )
    assert make_impute_step(df, "x", "median").params["value"] == 2.5
    assert make_impute_step(df, "x", "mean").params["value"] == 4
    assert make_impute_step(df, "c", "mode").params["value"] == "b"
    assert make_impute_step(df, "c", "indicator").params["value"] == "b"
    out, report = apply_step(df, make_impute_step(df, "x", "mean"))
    assert out["x"].tolist() == [1, 2, 3, 10, 4, 4] and report.summary == "Filled 2 missing x values with the mean, 4."
    out, report = _one(df, "impute", column="c", strategy="constant", value="(none)")
    assert out["c"].tolist()[3] == "(none)" and report.summary == "Filled 1 missing c value with '(none)'."
    out, report = apply_step(df, make_impute_step(df, "x", "indicator"))
    assert list(out.columns) == ["x", "x_was_missing", "c"]
    assert out["x_was_missing"].tolist() == [0, 0, 0, 0, 1, 1] and out["x"].tolist()[4:] == [2.5, 2.5]
    assert (
        report.summary
        == "Filled 2 missing x values with the median, 2.5, and marked them with 1 in the new column x_was_missing."
    )


def test_impute_indicator_adds_the_flag_even_when_nothing_is_missing():
    step = CleaningStep("impute", {"column": "x", "strategy": "indicator", "value": 2.5})
    out, report = apply_step(pd.DataFrame({"x": [1.0, 2.0]}), step, training=False)
    assert out["x_was_missing"].tolist() == [0, 0]  # production columns match training
    assert "x_was_missing (all 0)" in report.summary


def test_impute_a_non_integer_mean_into_whole_numbers():
    df = pd.DataFrame({"n": pd.array([1, 2, None], dtype="Int64")})
    out, _ = _one(df, "impute", column="n", strategy="mean", value=1.5)
    assert out["n"].tolist() == [1.0, 2.0, 1.5]


def test_make_outlier_step_iqr_and_zscore_clip_and_drop():
    x = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6, 7, 8, 100]})
    clip = make_outlier_step(x, "x", method="iqr", action="clip")
    assert clip.op == "clip_outliers" and (clip.params["lower"], clip.params["upper"]) == (-3, 13)
    assert clip.params["method"] == "iqr" and clip.params["k"] == 1.5
    out, report = apply_step(x, clip)
    assert out["x"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 13] and report.summary == "Clipped 1 x value to -3 to 13."
    drop = make_outlier_step(x, "x", method="zscore", k=2, action="drop")
    assert drop.op == "drop_outlier_rows"
    mean, std = x["x"].mean(), x["x"].std()
    assert drop.params["lower"] == pytest.approx(mean - 2 * std) and drop.params["upper"] == pytest.approx(
        mean + 2 * std
    )
    out, report = apply_step(x, drop)
    assert out["x"].tolist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert report.summary.startswith("Removed 1 row with outlying x values (100; kept")
    assert describe_step(drop).endswith("(2 standard deviations from the mean) (training data only)")


def test_make_outlier_step_refuses_what_it_cannot_do():
    df = pd.DataFrame({"x": [1.0] * 10 + [5.0], "t": pd.Series(["a"] * 11, dtype="str")})
    with pytest.raises(ConfigError, match="IQR is 0"):
        make_outlier_step(df, "x")
    with pytest.raises(
        ConfigError, match="The 'column' of outliers must be a numeric column; got 't \\(str\\)' instead."
    ):
        make_outlier_step(df, "t")
    with pytest.raises(ConfigError, match="The 'method' of outliers must be 'iqr' or 'zscore'; got 'mad' instead."):
        make_outlier_step(df, "x", method="mad")
    with pytest.raises(ConfigError, match="The 'action' of outliers must be 'clip' or 'drop'; got 'cap' instead."):
        make_outlier_step(df, "x", action="cap")


def test_drop_duplicates_by_subset():
    df = pd.DataFrame({"customer_id": ["a", "b", "a", "c", "b"], "v": [1, 2, 3, 4, 5]})
    out, report = _one(df, "drop_duplicates", subset=["customer_id"])
    assert out["v"].tolist() == [1, 2, 4]
    assert report.summary == "Removed 2 duplicate rows by customer_id (kept the first of each)."
    out, report = _one(df, "drop_duplicates", subset=["nope"])
    assert len(out) == 5 and report.status == "skipped" and "nope not in this table" in report.summary


FILTER_DF = pd.DataFrame(
    {
        "age": [10.0, 20.0, None, 40.0],
        "country": pd.Series(["DE", "FR", None, "IT"], dtype="str"),
        "day": pd.to_datetime(["2024-01-01", "2024-02-01", None, "2024-03-01"]),
        "flag": pd.array([True, False, None, True], dtype="boolean"),
    }
)


@pytest.mark.parametrize(
    "column, operator, value, kept",
    [
        ("age", "==", 20, [20.0]),
        ("age", "!=", 20, [10.0, None, 40.0]),  # missing is "not equal"
        ("age", "<", 20, [10.0]),
        ("age", "<=", 20, [10.0, 20.0]),
        ("age", ">", 20, [40.0]),
        ("age", ">=", "20", [20.0, 40.0]),  # text from a form is read as a number
        ("age", "in", [10, 40], [10.0, 40.0]),
        ("age", "not_in", [10], [20.0, None, 40.0]),
        ("age", "is_missing", None, [None]),
        ("age", "not_missing", None, [10.0, 20.0, 40.0]),
        ("country", "==", "FR", [20.0]),
        ("country", "in", ["DE", "IT"], [10.0, 40.0]),
        ("country", "not_in", ["DE"], [20.0, None, 40.0]),
        ("day", ">=", "2024-02-01", [20.0, 40.0]),
        ("flag", "==", "yes", [10.0, 40.0]),
    ],
)
def test_filter_rows_operators(column, operator, value, kept):
    out, report = _one(FILTER_DF, "filter_rows", column=column, operator=operator, value=value)
    assert [None if pd.isna(v) else v for v in out["age"]] == kept
    removed = 4 - len(kept)
    assert report.rows_before - report.rows_after == removed
    if removed:
        assert f"removed {removed} of 4 rows" in report.summary


def test_filter_rows_wording_and_bad_values():
    _, report = _one(FILTER_DF, "filter_rows", column="age", operator=">=", value=18)
    assert report.summary == "Kept rows where age >= 18: removed 2 of 4 rows (50.0%)."
    _, report = _one(FILTER_DF, "filter_rows", column="age", operator=">", value=1000)
    assert report.summary.endswith("No rows are left; check the condition.")
    with pytest.raises(
        ConfigError,
        match="The 'value' of filter_rows must be a number for the numeric column 'age'; got 'old' instead.",
    ):
        _one(FILTER_DF, "filter_rows", column="age", operator=">", value="old")
    with pytest.raises(ConfigError, match="The 'value' of filter_rows must be a date"):
        _one(FILTER_DF, "filter_rows", column="day", operator=">", value="soon")
    with pytest.raises(
        ConfigError, match="The 'operator' of filter_rows must be '==' or '!=' for the true/false column 'flag'"
    ):
        _one(FILTER_DF, "filter_rows", column="flag", operator="<", value=True)


def test_filter_rows_never_evaluates_code():
    df = pd.DataFrame({"a": pd.Series(["__import__('os').system('x')", "b"], dtype="str")})
    out, _ = _one(df, "filter_rows", column="a", operator="==", value="__import__('os').system('x')")
    assert out["a"].tolist() == ["__import__('os').system('x')"]  # compared as text, nothing ran


def _every_op_recipe() -> CleaningRecipe:
    return CleaningRecipe(
        (
            CleaningStep("drop_missing_target", {"column": "churn"}),
            CleaningStep("drop_duplicates", {"subset": ["customer_id"]}),
            CleaningStep("rename_columns", {"mapping": {"sat": "satisfaction_score"}}),
            CleaningStep("trim_whitespace", {"columns": ["city"]}),
            CleaningStep("unify_categories", {"column": "contract", "mapping": {"two year": "Two year"}}),
            CleaningStep("to_numeric", {"columns": ["amount"], "decimal": ",", "thousands": "."}),
            CleaningStep("to_datetime", {"columns": ["signup"], "format": "%d.%m.%Y"}),
            CleaningStep("to_boolean", {"columns": ["newsletter"], "missing_as_false": False}),
            CleaningStep(
                "group_rare", {"column": "city", "min_share": 0.2, "other_label": "Other", "keep": ["Berlin"]}
            ),
            CleaningStep("impute", {"column": "satisfaction_score", "strategy": "indicator", "value": 7}),
            CleaningStep("impute", {"column": "amount", "strategy": "median", "value": 1234.5}),
            CleaningStep("clip_outliers", {"column": "amount", "lower": 0, "upper": 5000, "method": "iqr", "k": 1.5}),
            CleaningStep("drop_outlier_rows", {"column": "tenure", "lower": 0, "upper": 100}),
            CleaningStep("filter_rows", {"column": "tenure", "operator": ">=", "value": 1}),
            CleaningStep("mask_values", {"columns": ["notes"], "keep": 2}),
            CleaningStep("drop_columns", {"columns": ["notes"]}),
        )
    )


KEYED_OPS = {"hash_values"}  # needs a workspace's secret key: tests/unit/security/test_masking_ops.py


def _raw_customers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.Series(["c1", "c2", "c2", "c3", "c4", "c5"], dtype="str"),
            "sat": [5.0, None, None, 9.0, None, 8.0],
            "city": pd.Series([" Berlin", "Paris ", "Paris ", "Berlin", "Rome", "Berlin"], dtype="str"),
            "contract": pd.Series(
                ["two year", "Two year", "Two year", "One year", "One year", "TWO YEAR"], dtype="str"
            ),
            "amount": pd.Series(["1.234,5", "99.999,0", "99.999,0", None, "10", "12,5"], dtype="str"),
            "signup": pd.Series(
                ["01.02.2024", "15.03.2024", "15.03.2024", "xx", "01.01.2023", "02.02.2022"], dtype="str"
            ),
            "newsletter": pd.Series(["ja", "nein", "nein", "Yes", "vielleicht", None], dtype="str"),
            "tenure": [12, 0, 0, 500, 3, 24],
            "notes": pd.Series(["=HYPERLINK()", "", "", "", "", ""], dtype="str"),
            "churn": pd.Series(["No", "Yes", "Yes", None, "No", "No"], dtype="str"),
        }
    )


def test_every_op_applies_with_values_asserted():
    out, reports = apply_recipe(_raw_customers(), _every_op_recipe())
    assert [r.op for r in reports] == [s.op for s in _every_op_recipe().steps]
    assert out["customer_id"].tolist() == ["c1", "c4", "c5"]  # c2 duplicate / tenure 0, c3 no target
    assert "notes" not in out.columns and "sat" not in out.columns
    assert out["satisfaction_score"].tolist() == [5.0, 7.0, 8.0] and out["satisfaction_score_was_missing"].tolist() == [
        0,
        1,
        0,
    ]
    assert out["city"].tolist() == ["Berlin", "Other", "Berlin"]
    assert out["contract"].tolist() == ["Two year", "One year", "Two year"]
    assert out["amount"].tolist() == [1234.5, 10.0, 12.5]
    assert out["signup"].tolist() == [
        pd.Timestamp("2024-02-01"),
        pd.Timestamp("2023-01-01"),
        pd.Timestamp("2022-02-02"),
    ]
    assert [None if pd.isna(v) else bool(v) for v in out["newsletter"]] == [True, None, None]
    summaries = {r.op: r.summary for r in reports}
    assert summaries["drop_duplicates"] == "Removed 1 duplicate row by customer_id (kept the first of each)."
    assert summaries["drop_missing_target"] == "Removed 1 row where the target churn is missing."
    assert summaries["clip_outliers"] == "Clipped 1 amount value to 0 to 5,000."
    assert summaries["filter_rows"] == "Kept rows where tenure >= 1: removed 1 of 4 rows (25.0%)."


def test_serving_mode_per_op_removes_no_row_but_fixes_values():
    raw = _raw_customers()
    out, reports = apply_recipe(raw, _every_op_recipe(), training=False)
    assert len(out) == len(raw)
    by_op = {r.op: r for r in reports}
    for op in ROW_REMOVING_OPS:
        assert by_op[op].status == "skipped" and by_op[op].summary.startswith("Skipped on new data")
        assert by_op[op].rows_before == by_op[op].rows_after
    for op in set(OPS) - ROW_REMOVING_OPS - KEYED_OPS:
        assert by_op[op].status == "applied", op
    assert ROW_REMOVING_OPS == {"drop_duplicates", "drop_outlier_rows", "drop_missing_target", "filter_rows"}
    assert out["amount"].max() == 5000  # clip still applies
    assert out["satisfaction_score"].isna().sum() == 0


def test_every_op_skips_an_absent_column_with_a_note():
    empty = pd.DataFrame({"other": [1, 2]})
    out, reports = apply_recipe(empty, _every_op_recipe())
    assert out.equals(empty)
    for r in reports:
        assert r.status == "skipped", r
        assert "not in this table" in r.summary, r.summary


def test_recipe_with_every_op_round_trips_through_json():
    recipe = _every_op_recipe()
    assert set(s.op for s in recipe.steps) == set(OPS) - KEYED_OPS
    text = recipe_to_json(recipe)
    assert text.startswith('{\n  "recipe_format": 1,')
    assert recipe_from_json(text) == recipe
    assert recipe_from_json(text.encode()) == recipe
    assert CleaningRecipe.from_dict(json.loads(json.dumps(recipe.to_dict()))) == recipe
    assert recipe.to_dict().keys() == {"steps"}  # stored JSON keeps its old shape
    pd.testing.assert_frame_equal(
        apply_recipe(_raw_customers(), recipe_from_json(text))[0], apply_recipe(_raw_customers(), recipe)[0]
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "The recipe file is not valid JSON"),
        ("42", "The recipe file must hold an object with 'steps'; got int instead."),
        ('{"nope": []}', "The recipe file must have a 'steps' list"),
        (
            '{"recipe_format": 9, "steps": []}',
            "The 'recipe_format' of the recipe file must be at most 1; got 9 instead.",
        ),
        (
            '{"steps": [{"op": "impute", "params": {"column": "x", "strategy": "magic"}}]}',
            "The 'strategy' of impute must be one of 'median', 'mean', 'mode', 'constant', 'indicator'; got 'magic' instead.",
        ),
    ],
)
def test_recipe_from_json_errors(text, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        recipe_from_json(text)


@pytest.mark.parametrize(
    "op, params, message",
    [
        ("bogus", {}, "The 'op' of a cleaning step must be one of drop_columns, "),
        (
            "drop_columns",
            {"columns": []},
            "The 'columns' of drop_columns must be a non-empty list of column names; got [] instead.",
        ),
        (
            "rename_columns",
            {"mapping": {}},
            "The 'mapping' of rename_columns must be a non-empty object {old: new} of names; got {} instead.",
        ),
        (
            "rename_columns",
            {"mapping": {"a": "x", "b": "x"}},
            "The 'mapping' of rename_columns must be an object whose new names are all different",
        ),
        (
            "to_numeric",
            {"columns": ["a"], "decimal": ";"},
            "The 'decimal' of to_numeric must be one of '.', ','; got ';' instead.",
        ),
        (
            "to_numeric",
            {"columns": ["a"], "thousands": "_"},
            "The 'thousands' of to_numeric must be one of None, ',', '.', ' ', \"'\"; got '_' instead.",
        ),
        (
            "to_numeric",
            {"columns": ["a"], "decimal": ",", "thousands": ","},
            "The 'thousands' of to_numeric must be different from the decimal mark ','; got ',' instead.",
        ),
        (
            "to_datetime",
            {"columns": ["a"], "format": "dd/mm/yyyy"},
            "The 'format' of to_datetime must be null (detect) or a strftime format such as '%d/%m/%Y'; got 'dd/mm/yyyy' instead.",
        ),
        (
            "to_boolean",
            {"columns": ["a"], "missing_as_false": "yes"},
            "The 'missing_as_false' of to_boolean must be true or false; got 'yes' instead.",
        ),
        (
            "trim_whitespace",
            {},
            "The 'columns' of trim_whitespace must be a non-empty list of column names; got None instead.",
        ),
        (
            "unify_categories",
            {"column": "a", "mapping": None},
            "The 'mapping' of unify_categories must be an object {variant: canonical}; got None instead.",
        ),
        (
            "group_rare",
            {"column": "a", "min_share": 5},
            "The 'min_share' of group_rare must be a share between 0 and 1 (e.g. 0.01 for 1 %); got 5 instead.",
        ),
        (
            "group_rare",
            {"column": "a", "other_label": ""},
            "The 'other_label' of group_rare must be a non-empty label; got '' instead.",
        ),
        (
            "group_rare",
            {"column": "a", "keep": "A"},
            "The 'keep' of group_rare must be null or a list of the categories to keep; got 'A' instead.",
        ),
        ("impute", {"strategy": "median"}, "The 'column' of impute must be a column name; got None instead."),
        (
            "impute",
            {"column": "a", "strategy": "magic"},
            "The 'strategy' of impute must be one of 'median', 'mean', 'mode', 'constant', 'indicator'; got 'magic' instead.",
        ),
        (
            "impute",
            {"column": "a", "strategy": "constant"},
            "The 'value' of impute must be given for strategy 'constant'; got None instead.",
        ),
        (
            "clip_outliers",
            {"column": "a", "lower": "low"},
            "The 'lower' of clip_outliers must be a number or null; got 'low' instead.",
        ),
        (
            "clip_outliers",
            {"column": "a"},
            "The 'lower' of clip_outliers must be a number when 'upper' is null (give at least one bound); got None instead.",
        ),
        (
            "drop_outlier_rows",
            {"column": "a", "lower": 5, "upper": 1},
            "The 'upper' of drop_outlier_rows must be at least the lower bound 5; got 1 instead.",
        ),
        (
            "drop_duplicates",
            {"subset": []},
            "The 'subset' of drop_duplicates must be a non-empty list of column names; got [] instead.",
        ),
        (
            "filter_rows",
            {"column": "a", "operator": "~", "value": 1},
            "The 'operator' of filter_rows must be one of '==', '!=', '<', '<=', '>', '>=', 'in', 'not_in', 'is_missing', 'not_missing'; got '~' instead.",
        ),
        (
            "filter_rows",
            {"column": "a", "operator": "in", "value": 3},
            "The 'value' of filter_rows must be a non-empty list of values for operator 'in'; got 3 instead.",
        ),
        (
            "filter_rows",
            {"column": "a", "operator": ">", "value": None},
            "The 'value' of filter_rows must be a number, text or true/false for operator '>'; got None instead.",
        ),
        ("drop_missing_target", {}, "The 'column' of drop_missing_target must be a column name; got None instead."),
    ],
)
def test_every_config_error_message(op, params, message):
    step = CleaningStep(op, params)
    with pytest.raises(ConfigError, match=re.escape(message)):
        validate_step(step)
    with pytest.raises(ConfigError, match=re.escape(message)):  # apply validates before any work
        apply_recipe(pd.DataFrame({"a": [1.0]}), CleaningRecipe((step,)))
    with pytest.raises(ConfigError):  # an uploaded recipe is checked on load
        CleaningRecipe.from_dict({"steps": [{"op": op, "params": params}]})


def test_factories_validate_their_column():
    df = pd.DataFrame({"x": [1.0, None], "t": pd.Series(["a", "b"], dtype="str")})
    with pytest.raises(ConfigError, match="The 'column' of impute must be a column of the table"):
        make_impute_step(df, "nope")
    with pytest.raises(ConfigError, match="The median of 't' cannot be computed because it is not numeric"):
        make_impute_step(df, "t", "median")
    with pytest.raises(
        ConfigError,
        match="The 'column' of group_rare must be a text \\(category\\) column; got 'x \\(float64\\)' instead.",
    ):
        make_group_rare_step(df, "x")


def test_preview_apply_step_and_undo():
    raw = _raw_customers()
    recipe = _every_op_recipe()
    after_two, reports = preview_recipe(raw, recipe, upto=2)
    assert len(reports) == 2 and len(after_two) == 4 and list(after_two.index) == [0, 1, 2, 3]
    nothing, none = preview_recipe(raw, recipe, upto=0)
    assert none == [] and nothing.equals(raw)
    # undo = remove the step and re-apply: the duplicate comes back
    undone, _ = preview_recipe(raw, recipe.without_step(1), upto=1)
    assert len(undone) == 5
    with pytest.raises(ConfigError, match="The 'upto' of preview_recipe must be between 0 and 16; got 17 instead."):
        preview_recipe(raw, recipe, upto=17)
    out, report = apply_step(after_two, recipe.steps[2])
    assert "satisfaction_score" in out.columns and report.summary == "Renamed 1 column: sat -> satisfaction_score."


def test_progress_is_called_per_step():
    calls = []
    apply_recipe(_raw_customers(), _every_op_recipe(), progress=lambda f, m: calls.append((f, m)))
    assert len(calls) == 17 and calls[0][0] == 0 and calls[-1][0] == 1.0
    assert calls[1][1] == "Step 2 of 16: Drop rows repeating the customer_id of an earlier row (training data only)"
    assert all(a[0] <= b[0] for a, b in zip(calls, calls[1:]))


@pytest.mark.parametrize(
    "op, params, line",
    [
        ("drop_columns", {"columns": ["a", "b"]}, "Drop a, b"),
        ("rename_columns", {"mapping": {"cust": "customer_id"}}, "Rename cust to customer_id"),
        (
            "to_numeric",
            {"columns": ["amount"], "decimal": ",", "thousands": "."},
            "Convert amount to numbers (decimal comma, thousands separator '.')",
        ),
        ("to_datetime", {"columns": ["d"], "format": "%d/%m/%Y"}, "Convert d to dates (format %d/%m/%Y)"),
        ("to_boolean", {"columns": ["b"]}, "Convert b to true/false"),
        ("trim_whitespace", {"columns": ["city"]}, "Trim stray spaces in city"),
        (
            "unify_categories",
            {"column": "contract", "mapping": {"two year": "Two year"}},
            "Unify 1 spelling in contract (e.g. 'two year' -> 'Two year')",
        ),
        (
            "group_rare",
            {"column": "city", "min_share": 0.01, "keep": ["A", "B"]},
            "Group city categories other than the 2 common ones into 'Other'",
        ),
        (
            "impute",
            {"column": "satisfaction_score", "strategy": "median", "value": 7.0},
            "Fill missing satisfaction_score with the median (7)",
        ),
        (
            "impute",
            {"column": "x", "strategy": "indicator", "value": 2.5},
            "Fill missing x with 2.5 and flag them in x_was_missing",
        ),
        (
            "clip_outliers",
            {"column": "x", "lower": -5, "upper": 15, "method": "iqr", "k": 1.5},
            "Clip x to the range -5 to 15 (1.5 × IQR fences)",
        ),
        (
            "drop_outlier_rows",
            {"column": "x", "lower": 0, "upper": None},
            "Drop rows with x below 0 (training data only)",
        ),
        ("clip_outliers", {"column": "x", "upper": 1000}, "Clip x to at most 1,000"),
        (
            "drop_outlier_rows",
            {"column": "x", "lower": None, "upper": 1000},
            "Drop rows with x above 1,000 (training data only)",
        ),
        ("drop_duplicates", {}, "Drop duplicate rows (training data only)"),
        (
            "filter_rows",
            {"column": "age", "operator": "in", "value": [1, 2]},
            "Keep rows where age is one of 1, 2 (training data only)",
        ),
        (
            "filter_rows",
            {"column": "age", "operator": "is_missing"},
            "Keep rows where age is missing (training data only)",
        ),
        (
            "drop_missing_target",
            {"column": "churn"},
            "Drop rows without a value for the target churn (training data only)",
        ),
    ],
)
def test_describe_step(op, params, line):
    assert describe_step(CleaningStep(op, params)) == line


def test_summarize_reports_in_one_paragraph():
    _, reports = apply_recipe(_raw_customers(), _every_op_recipe())
    text = summarize_reports(reports)
    assert (
        "Removed 1 duplicate row by customer_id" in text
        and "Filled 2 missing satisfaction_score values with the median, 7" in text
    )
    assert text.endswith("The table went from 6 to 3 rows.")
    _, idle = apply_recipe(pd.DataFrame({"a": [1]}), CleaningRecipe((CleaningStep("drop_duplicates", {}),)))
    assert summarize_reports(idle) == "1 step found nothing to change. Every row was kept (1 in all)."
    assert summarize_reports([]) == "The recipe has no steps; the table is unchanged."


def test_replay_is_deterministic_on_new_data():
    train = pd.DataFrame(
        {"city": pd.Series(["A"] * 60 + ["B"] * 38 + ["C", "D"], dtype="str"), "x": list(np.arange(99.0)) + [None]}
    )
    recipe = CleaningRecipe(
        (
            make_group_rare_step(train, "city", 0.05),
            make_impute_step(train, "x", "mean"),
            make_outlier_step(train, "x", "zscore", k=1, action="clip"),
        )
    )
    batch = pd.DataFrame({"city": pd.Series(["C", "C", "B", "E"], dtype="str"), "x": [None, 1000.0, -1000.0, 50.0]})
    first, _ = apply_recipe(batch, recipe, training=False)
    second, _ = apply_recipe(batch, recipe_from_json(recipe_to_json(recipe)), training=False)
    pd.testing.assert_frame_equal(first, second)
    low, high = recipe.steps[2].params["lower"], recipe.steps[2].params["upper"]
    assert first["city"].tolist() == ["Other", "Other", "B", "Other"]  # batch's own shares are ignored
    assert first["x"].tolist() == [49.0, high, low, 50.0]  # the training mean, training bounds


def test_suggest_adds_trim_and_group_rare_but_leaves_yes_no_as_categories():
    rng = np.random.default_rng(5)
    n = 3000
    common = [f"city {i}" for i in range(8)]
    rare = [f"village {i}" for i in range(30)]
    cities = rng.choice(common + rare, n, p=[0.11] * 8 + [0.12 / 30] * 30)
    df = pd.DataFrame(
        {
            "city": pd.Series(cities, dtype="str"),
            "store_id": pd.Series(cities, dtype="str"),  # same shape, but named like an ID: left alone
            "plan": pd.Series(rng.choice([" basic", "premium ", "basic"], n), dtype="str"),
            "newsletter": pd.Series(rng.choice(["yes", "no"], n), dtype="str"),
            "y": rng.integers(0, 2, n),
            "x": rng.normal(size=n),
        }
    )
    recipe = suggest_recipe(df, "y")
    assert _step(recipe, "trim_whitespace").params == {"columns": ["plan"]}
    group = _step(recipe, "group_rare", "city").params
    assert (
        group["keep"] == sorted(common, key=lambda c: (-int((cities == c).sum()), c))
        and group["other_label"] == "Other"
    )
    assert not any(s.op == "group_rare" and s.params["column"] == "store_id" for s in recipe.steps)
    assert "to_boolean" not in _ops(recipe)
    clean, _ = apply_recipe(df, recipe)
    assert set(clean["plan"]) == {"basic", "premium"}
    assert set(clean["city"]) == set(common) | {"Other"}


# --------------------------------------------------------------------------------------
# Nothing lost silently: steps that remove many rows, drop columns or blank values are offered
# --------------------------------------------------------------------------------------

from core.data.cleaning import (  # noqa: E402
    CleaningOffer,
    get_cleaning_warnings,
    suggest_cleaning,
    with_offer,
)

# The Titanic's passengers and crew (R's datasets::Titanic): class, sex, age -> survived, as counts.
_TITANIC = {
    "No": {
        "Child": {"Male": (0, 0, 35, 0), "Female": (0, 0, 17, 0)},
        "Adult": {"Male": (118, 154, 387, 670), "Female": (4, 13, 89, 3)},
    },
    "Yes": {
        "Child": {"Male": (5, 11, 13, 0), "Female": (1, 13, 14, 0)},
        "Adult": {"Male": (57, 14, 75, 192), "Female": (140, 80, 76, 20)},
    },
}


def titanic() -> pd.DataFrame:
    """The contingency table expanded into one row per person: 2,201 rows, only 24 distinct."""
    rows = [
        (cls, sex, age, survived)
        for survived, by_age in _TITANIC.items()
        for age, by_sex in by_age.items()
        for sex, counts in by_sex.items()
        for cls, n in zip(("1st", "2nd", "3rd", "Crew"), counts)
        for _ in range(n)
    ]
    return pd.DataFrame(rows, columns=["class", "sex", "age", "survived"]).astype("str")


def test_genuine_identical_rows_are_kept_and_dropping_them_is_only_offered():
    df = titanic()
    assert len(df) == 2201 and len(df.drop_duplicates()) == 24
    suggestion = suggest_cleaning(df, "survived")
    assert "drop_duplicates" not in _ops(suggestion.recipe)
    clean, _ = apply_recipe(df, suggestion.recipe)
    assert len(clean) >= 0.95 * len(df)
    offer = next(o for o in suggestion.offers if o.step.op == "drop_duplicates")
    assert (offer.rows_before, offer.rows_removed, offer.columns_dropped) == (2201, 2177, ())
    assert offer.sentence().startswith(
        "Suggested but not applied: drop duplicate rows (training data only) would "
        "remove 2,177 of 2,201 rows (98.9%). No ID column tells these rows apart"
    )
    assert suggest_recipe(df, "survived") == suggestion.recipe  # existing callers get the safe recipe
    # The user may still add it, and then it does what the offer said.
    added, reports = apply_recipe(df, with_offer(suggestion.recipe, offer))
    assert len(added) == 24 and reports[0].summary == "Removed 2,177 duplicate rows."


def test_duplicates_are_suggested_when_rare_or_when_an_id_says_they_are_one_record():
    rng = np.random.default_rng(1)
    n = 400
    base = pd.DataFrame(
        {
            "order_id": [f"O{i:05d}" for i in range(n)],
            "amount": rng.gamma(2, 30, n).round(2),
            "channel": pd.Series(rng.choice(["web", "shop"], n), dtype="str"),
            "returned": rng.integers(0, 2, n),
        }
    )
    rare = pd.concat([base, base.iloc[:10]], ignore_index=True)  # 10 copies: 2.4 %
    assert _ops(suggest_recipe(rare, "returned"))[0] == "drop_duplicates"
    assert not suggest_cleaning(rare, "returned").offers
    # An export that wrote 200 orders twice: the ID says they are copies, but 1 row in 3 is a lot to drop unasked.
    many = pd.concat([base, base.iloc[:200]], ignore_index=True)
    suggestion = suggest_cleaning(many, "returned")
    assert "drop_duplicates" not in _ops(suggestion.recipe)
    [offer] = [o for o in suggestion.offers if o.step.op == "drop_duplicates"]
    assert offer.rows_removed == 200 and "repeat even order_id, which differs" in offer.why
    # Without the ID, the same 10 copies are still rare enough to drop.
    assert _ops(suggest_recipe(rare.drop(columns="order_id"), "returned"))[0] == "drop_duplicates"


def test_an_empty_column_is_offered_for_dropping_and_never_filled():
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=300),
            "notes": pd.Series([None] * 300, dtype="str"),
            "blank": np.nan,
            "y": rng.integers(0, 2, 300),
        }
    )
    suggestion = suggest_cleaning(df, "y")
    assert suggestion.recipe.steps == ()
    [offer] = suggestion.offers
    assert offer.step == CleaningStep("drop_columns", {"columns": ["notes", "blank"]})
    assert offer.columns_dropped == ("notes", "blank") and offer.rows_removed == 0
    assert "would drop the columns notes, blank" in offer.sentence()


def test_suggested_row_removals_together_stay_under_five_percent():
    # Eight columns with a rare impossible code each (0.8 % of rows, different rows): 6.4 % together.
    rng = np.random.default_rng(3)
    n = 1000
    df = pd.DataFrame({f"m{i}": rng.integers(1, 60, n).astype(float) for i in range(8)})
    for i in range(8):
        df.loc[i * 8 : i * 8 + 7, f"m{i}"] = -999.0
    df["y"] = rng.integers(0, 2, n)
    suggestion = suggest_cleaning(df, "y")
    clean, _ = apply_recipe(df, suggestion.recipe)
    assert 0.95 * n <= len(clean) < n
    applied = [s.params["column"] for s in suggestion.recipe.steps if s.op == "drop_outlier_rows"]
    offered = [o.step.params["column"] for o in suggestion.offers if o.step.op == "drop_outlier_rows"]
    assert len(applied) == 6 and sorted(applied + offered) == [f"m{i}" for i in range(8)]
    assert all(o.rows_removed == 8 and "more than 5% of the rows" in o.why for o in suggestion.offers)


def test_number_conversion_uses_the_decimal_mark_the_reader_detected():
    values = ["1,5", "2,25", "3", "10,75", "0,5"] * 20
    df = pd.DataFrame({"price": pd.Series(values, dtype="str"), "y": [0, 1] * 50})
    for read_info in ({"decimal": ",", "thousands": None}, None):  # detected, or read off the values
        step = _step(suggest_recipe(df, "y", read_info), "to_numeric")
        assert step.params == {"columns": ["price"], "decimal": ",", "thousands": None}
        clean, _ = apply_recipe(df, CleaningRecipe((step,)))
        assert clean["price"].tolist()[:4] == [1.5, 2.25, 3.0, 10.75]
    grouped = pd.DataFrame({"v": pd.Series(["1.234,5", "12,5", "7"] * 10, dtype="str"), "y": [0, 1, 1] * 10})
    step = _step(suggest_recipe(grouped, "y", {"decimal": ",", "thousands": "."}), "to_numeric")
    assert (step.params["decimal"], step.params["thousands"]) == (",", ".")
    assert apply_recipe(grouped, CleaningRecipe((step,)))[0]["v"].tolist()[:3] == [1234.5, 12.5, 7.0]


def test_a_conversion_that_would_blank_many_values_is_offered_with_the_count():
    cells = [f"{v},5" for v in range(90)] + ["ver obs."] * 10
    df = pd.DataFrame({"visit": range(100), "dose": pd.Series(cells, dtype="str"), "y": [0, 1] * 50})
    suggestion = suggest_cleaning(df, "y", {"decimal": ",", "thousands": None})
    assert "to_numeric" not in _ops(suggestion.recipe)
    [offer] = suggestion.offers
    assert offer.step.params == {"columns": ["dose"], "decimal": ",", "thousands": None}
    assert offer.cells_to_missing == 10 and "would turn 10 values into missing values" in offer.sentence()
    assert "10 of 100 values are not numbers (e.g. 'ver obs.')" in offer.why


def test_a_step_that_blanks_most_of_a_column_says_so_before_it_is_saved():
    df = pd.DataFrame({"renda": pd.Series([f"{v},25" for v in range(900)], dtype="str")})
    _, report = apply_step(df, CleaningStep("to_numeric", {"columns": ["renda"], "decimal": "."}))
    assert report.warning.startswith(
        "Careful: 900 of 900 renda values (100%) become missing with the decimal "
        "mark '.'; with ',' they read as numbers."
    )
    _, report = apply_step(df, CleaningStep("to_numeric", {"columns": ["renda"], "decimal": ","}))
    assert report.warning == ""
    half = pd.DataFrame({"c": pd.Series(["a", "b", "c", "d"], dtype="str")})
    _, report = apply_step(half, CleaningStep("filter_rows", {"column": "c", "operator": "==", "value": "a"}))
    assert report.warning == ""  # removing rows is said by the summary, not as values turned missing
    _, report = apply_step(
        pd.DataFrame({"d": pd.Series(["2024-01-05", "soon", "later", "never"], dtype="str")}),
        CleaningStep("to_datetime", {"columns": ["d"]}),
    )
    assert "3 of 4 d values (75.0%) become missing" in report.warning


def test_cleaning_warnings_count_rows_without_a_target_and_list_the_offers():
    df = titanic()
    df.loc[:99, "survived"] = np.nan
    suggestion = suggest_cleaning(df, "survived")
    assert _ops(suggestion.recipe) == ["drop_missing_target"]  # always applied: nothing can learn from them
    _, reports = apply_recipe(df, suggestion.recipe)
    warnings = get_cleaning_warnings(reports, suggestion.offers)
    assert warnings[0] == (
        "Cleaning removed 100 of 2,201 rows (4.5%): Removed 100 rows where the target survived is missing."
    )
    assert warnings[1].startswith("Suggested but not applied: drop duplicate rows")
    assert isinstance(suggestion.offers[0], CleaningOffer) and suggestion.offers[0].to_dict()["rows_removed"] > 2000


def test_with_offer_puts_the_step_where_a_suggestion_would():
    recipe = CleaningRecipe(
        (
            CleaningStep("drop_missing_target", {"column": "y"}),
            CleaningStep("trim_whitespace", {"columns": ["a"]}),
            CleaningStep("impute", {"column": "a", "strategy": "mode", "value": "x"}),
            CleaningStep("rename_columns", {"mapping": {"a": "b"}}),
        )
    )
    dedupe = CleaningStep("drop_duplicates", {})
    assert _ops(with_offer(recipe, dedupe)) == [
        "drop_missing_target",
        "drop_duplicates",
        "trim_whitespace",
        "impute",
        "rename_columns",
    ]
    drop = CleaningStep("drop_columns", {"columns": ["c"]})
    assert _ops(with_offer(recipe, drop))[2] == "drop_columns"  # before the fills
    assert _ops(with_offer(CleaningRecipe(), drop)) == ["drop_columns"]


# --------------------------------------------------------------------------------------
# The whole pipeline, with offers left out and a Portuguese export
# --------------------------------------------------------------------------------------


def _portuguese_export(n: int = 600) -> tuple[bytes, np.ndarray]:
    """';', decimal comma, thousands '.', Latin-1, and 'N/D', '?', '-' in the column that drives the target."""
    rng = np.random.default_rng(8)
    renda = rng.gamma(3, 1500, n)
    comprou = renda + rng.normal(0, 600, n) > 4500
    cells = [f"{v:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".") for v in renda]
    for i in range(0, n, 60):
        cells[i], cells[i + 1], cells[i + 2] = "N/D", "?", "-"
    regiao = rng.choice(["Sudeste", "Nordeste", "Sul"], n)
    lines = ["região;renda média (R$);idade;comprou"] + [
        f"{r};{c};{rng.integers(18, 80)};{'sim' if y else 'não'}" for r, c, y in zip(regiao, cells, comprou)
    ]
    return "\n".join(lines).encode("latin-1"), renda


@pytest.mark.slow
def test_a_portuguese_export_keeps_its_strongest_column_through_cleaning_and_training(tmp_path):
    from core.data import datasets
    from core.data.reader import read_table
    from core.pipeline import PipelineConfig, run_pipeline
    from core.training import tracking
    from core.workspace.database import Workspace

    data, renda = _portuguese_export()
    raw, info = read_table(data)
    column = "renda média (R$)"
    assert (info.delimiter, info.decimal, info.thousands) == (";", ",", ".") and raw[column].dtype == "float64"
    clean, _ = apply_recipe(raw, suggest_recipe(raw, "comprou", info))
    assert column in clean.columns and clean[column].notna().all()
    assert clean[column].iloc[3] == pytest.approx(round(renda[3], 2))

    ws = Workspace(tmp_path / "ws")
    summary = run_pipeline(
        ws,
        raw,
        info,
        PipelineConfig(target="comprou", project_name="vendas", cv_folds=3, windows=1, rows_per_window=100),
    )
    assert summary["rows_used"] >= 0.99 * 600  # 3 rows that agree on every value (a missing income) may go
    cleaned = datasets.load_dataset(ws, tracking.latest_experiment(ws, 1)["dataset_id"])
    assert cleaned[column].dtype == "float64"
    board = {e["model"]: e["test_metrics"]["roc_auc"] for e in summary["leaderboard"]}
    assert board[summary["best_model"]] > 0.9 > 0.6 > board["baseline"]  # only the income column can do that


@pytest.mark.slow
def test_the_pipeline_trains_with_the_offered_steps_left_out(tmp_path):
    from core.pipeline import PipelineConfig, run_pipeline, stage_clean, stage_ingest
    from core.workspace.database import Workspace

    df = titanic().assign(comment=pd.Series([None] * 2201, dtype="str"), score=np.nan)
    ws = Workspace(tmp_path / "ws")
    summary = run_pipeline(
        ws,
        df,
        None,
        PipelineConfig(target="survived", project_name="titanic", cv_folds=3, windows=1, rows_per_window=200),
    )
    assert summary["rows_used"] == 2201  # the identical rows are people, not copies
    board = {e["model"]: e["test_metrics"]["roc_auc"] for e in summary["leaderboard"]}
    assert board[summary["best_model"]] > 0.7
    raw = stage_ingest(ws, 1, df, None, "titanic.csv")
    out = stage_clean(ws, 1, raw["id"], target="survived")
    assert out["dataset"]["rows"] == 2201 and {"comment", "score"} <= set(datasets_columns(ws, out))
    assert [o.step.op for o in out["offers"]] == ["drop_duplicates", "drop_columns"]
    assert any("would remove 2,177 of 2,201 rows" in w for w in out["warnings"])
    assert any("would drop the columns comment, score" in w for w in out["warnings"])


def datasets_columns(ws, out) -> list[str]:
    from core.data import datasets

    return list(datasets.load_dataset(ws, out["dataset"]["id"]).columns)
