"""core.data.validation: rules learned from the reference data, checked on requests and per traffic window."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data.validation import (
    ColumnRule,
    ValidationRules,
    Violation,
    caption_violations,
    caption_violations_by_window,
    check_rows,
    check_rows_by_window,
    derive_rules,
    get_violations_df,
)
from core.workspace.errors import ConfigError, DataError

N = 2000
TELCO = Path(__file__).resolve().parents[3] / "sample_data" / "telco_churn.csv"


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    temperature = rng.uniform(-20, 80, N)
    temperature[:2] = [-20.0, 80.0]  # spread exactly 100
    visits = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 101, N), unit="D")
    visits = visits.where(np.arange(N) != 0, pd.Timestamp("2023-01-01")).where(
        np.arange(N) != 1, pd.Timestamp("2023-04-11")
    )
    score = rng.normal(5, 1, N).round(2)
    score[np.arange(N) % 10 == 0] = np.nan  # 10% missing
    return pd.DataFrame(
        {
            "customer_id": pd.Series([f"C{i:05d}" for i in range(N)], dtype="str"),
            "temperature": temperature,
            "visits_count": np.r_[[0, 50], rng.integers(0, 51, N - 2)],
            "plan": pd.Series(rng.choice(["basic", "plus", "pro"], N), dtype="str"),
            "city": pd.Series([f"city_{i % 80}" for i in range(N)], dtype="str"),  # 80 values, 4% of rows
            "visit": visits,
            "score": score,
            "flag": rng.integers(0, 2, N),
            "active": rng.random(N) < 0.5,
            "churn": pd.Series(rng.choice(["Yes", "No"], N), dtype="str"),
        }
    )


@pytest.fixture(scope="module")
def rules(reference) -> ValidationRules:
    return derive_rules(reference, target="churn")


def _by_column(violations: list[Violation]) -> dict[tuple[str, str], Violation]:
    return {(v.column, v.rule): v for v in violations}


# --- deriving ------------------------------------------------------------------------------------


def test_derive_numeric_ranges_are_widened_by_the_margin(rules):
    temperature = rules.get("temperature")
    assert temperature.kind == "numeric" and temperature.required
    assert (temperature.min, temperature.max) == (-30.0, 90.0)  # -20..80 widened by 10% of the spread of 100
    count = rules.get("visits_count")
    assert (count.min, count.max) == (0.0, 55.0)  # never negative in training, so the margin stops at 0
    assert derive_rules(pd.DataFrame({"x": [-20.0, 80.0]}), range_margin=0.25).get("x").max == 105.0


def test_derive_categories_dates_booleans_text_and_missing(rules, reference):
    plan = rules.get("plan")
    assert plan.kind == "categorical" and plan.allowed == ("basic", "plus", "pro")
    city = rules.get("city")
    assert city.kind == "categorical" and city.allowed is None  # more than 50 categories: not listed
    visit = rules.get("visit")
    assert visit.kind == "datetime"
    assert (visit.min, visit.max) == ("2022-12-22T00:00:00", "2023-04-21T00:00:00")  # 100 days +- 10 days
    assert rules.get("flag").kind == "boolean" and rules.get("flag").allowed == ("0", "1")
    assert rules.get("active").allowed == ("False", "True")
    assert rules.get("score").max_missing_share == pytest.approx(0.15)  # 10% observed + 5% slack
    assert rules.get("plan").max_missing_share == pytest.approx(0.05)
    customer = rules.get("customer_id")
    assert customer.kind == "text" and customer.allowed is None and not customer.required
    assert rules.target == "churn" and not rules.get("churn").required and rules.get("churn").allowed == ("No", "Yes")
    assert [r.column for r in rules.columns] == list(reference.columns)


def test_required_columns_can_be_named(reference):
    rules = derive_rules(reference, "churn", required=["temperature", "plan"])
    assert [r.column for r in rules.columns if r.required] == ["temperature", "plan"]
    with pytest.raises(ConfigError, match="required column\\(s\\) nope are not in the reference"):
        derive_rules(reference, required=["nope"])


def test_derive_refuses_bad_input(reference):
    with pytest.raises(ConfigError, match="The target 'nope' is not a column"):
        derive_rules(reference, target="nope")
    with pytest.raises(DataError, match="The reference data is empty"):
        derive_rules(reference.head(0))
    with pytest.raises(ConfigError, match="'range_margin' of derive_rules must be a number >= 0; got -1"):
        derive_rules(reference, range_margin=-1)


def test_json_round_trip_and_plain_descriptions(rules):
    text = json.dumps(rules.to_dict())
    loaded = ValidationRules.from_dict(json.loads(text))
    assert loaded == rules and loaded.get("plan").allowed == ("basic", "plus", "pro")
    described = rules.describe_df().set_index("column")["description"]
    assert list(rules.describe_df().columns) == ["column", "kind", "required", "description"]
    assert described["temperature"] == "temperature: a number between -30 and 90; at most 5% missing"
    assert described["plan"] == "plan: one of 3 categories: 'basic', 'plus', 'pro'; at most 5% missing"
    assert described["visit"] == "visit: a date between 2022-12-22 and 2023-04-21; at most 5% missing"
    assert described["score"].endswith("at most 15% missing")
    assert (
        described["customer_id"]
        == "customer_id: an identifier or free text (any value is accepted); at most 5% missing; optional"
    )
    assert described["churn"].endswith("the target: checked only when labels are included")


def test_malformed_rules_are_config_errors():
    with pytest.raises(ConfigError, match="The 'kind' of the rule of column 'x' must be one of"):
        ColumnRule("x", "number")
    with pytest.raises(ConfigError, match="must be an ISO date"):
        ColumnRule("d", "datetime", min="yesterday")
    with pytest.raises(ConfigError, match="must not exceed its 'max'"):
        ColumnRule("x", "numeric", min=5.0, max=1.0)
    with pytest.raises(ConfigError, match="incomplete or malformed"):
        ValidationRules.from_dict({"columns": [{"column": "x"}]})
    with pytest.raises(ConfigError, match="no list of 'columns'"):
        ValidationRules.from_dict({"target": None})


# --- checking ------------------------------------------------------------------------------------


def test_a_clean_resample_of_the_reference_passes(reference, rules):
    sample = reference.sample(500, replace=True, random_state=3)
    assert check_rows(sample, rules) == []
    assert check_rows(sample, rules, include_target=True) == []
    assert (
        caption_violations([], rows=500, rules=rules)
        == "All 500 rows pass the 9 checks learned from the training data."
    )
    assert caption_violations([], rows=1, rules=rules) == "The row passes the 9 checks learned from the training data."


def test_values_sent_as_text_are_read_before_they_are_checked(reference, rules):
    request = reference.head(50).astype(str)  # a JSON client sends every value as text
    request["score"] = request["score"].replace("nan", "")  # a blank is missing, not a wrong type
    assert check_rows(request, rules) == []


@pytest.fixture(scope="module")
def bad(reference) -> pd.DataFrame:
    bad = reference.head(200).copy()
    bad["temperature"] = bad["temperature"].astype(object)
    bad.loc[bad.index[:3], "temperature"] = ["abc", "abc", "n/a"]
    bad.loc[bad.index[3:6], "temperature"] = [-100.0, -50.0, -100.0]
    bad.loc[bad.index[6], "temperature"] = 500.0
    bad.loc[bad.index[:5], "plan"] = ["Premium", "Premium", "gold", "Premium", " "]  # the blank is missing
    bad.loc[bad.index[:80], "score"] = np.nan  # 40%
    bad["visit"] = bad["visit"].astype(str).astype(object)
    bad.loc[bad.index[:2], "visit"] = ["yesterday", "2030-01-01"]
    bad.loc[bad.index[:2], "flag"] = 2
    bad.loc[bad.index[:4], "churn"] = "Maybe"
    return bad.drop(columns=["visits_count"])


def test_each_violation_fires_with_counts_and_examples(bad, rules):
    found = _by_column(check_rows(bad, rules))
    assert set(found) == {
        ("visits_count", "missing_column"),
        ("temperature", "type"),
        ("temperature", "below_min"),
        ("temperature", "above_max"),
        ("plan", "unknown_category"),
        ("score", "too_many_missing"),
        ("visit", "type"),
        ("visit", "above_max"),
        ("flag", "unknown_category"),
    }
    v = found[("temperature", "type")]
    assert (v.rows, v.examples) == (3, ("abc", "n/a"))
    assert v.message == "temperature has 3 rows (2%) that are not a number: 'abc', 'n/a'."
    v = found[("temperature", "below_min")]
    assert (v.rows, v.examples) == (3, ("-100", "-50"))  # most extreme first
    assert v.message == "temperature has 3 rows (2%) below the lowest value expected from training (-30): -100, -50."
    v = found[("temperature", "above_max")]
    assert (v.rows, v.share, v.examples) == (1, 0.005, ("500",))
    v = found[("plan", "unknown_category")]
    assert (v.rows, v.examples) == (4, ("Premium", "gold"))
    assert v.message == "plan has 4 rows (2%) with categories never seen in training: 'Premium', 'gold'."
    v = found[("score", "too_many_missing")]
    assert v.rows >= 80 and v.share == pytest.approx(v.rows / 200)
    assert v.message.endswith("more than the 15% allowed from the training data.")
    assert found[("visit", "type")].examples == ("yesterday",)
    assert found[("visit", "above_max")].message == (
        "visit has 1 row (0.5%) later than the latest date expected from training (2023-04-21): 2030-01-01."
    )
    assert found[("flag", "unknown_category")].examples == ("2",)
    missing = found[("visits_count", "missing_column")]
    assert (missing.rows, missing.share) == (200, 1.0)
    assert missing.message == "visits_count is missing: the training data had this column, so send it with every row."


def test_the_target_is_checked_only_when_asked(bad, rules, reference):
    assert ("churn", "unknown_category") not in _by_column(check_rows(bad, rules))
    with_target = _by_column(check_rows(bad, rules, include_target=True))
    assert with_target[("churn", "unknown_category")].rows == 4
    no_labels = reference.drop(columns=["churn"]).head(20)
    assert check_rows(no_labels, rules) == []  # serving: requests carry no target
    assert [(v.column, v.rule) for v in check_rows(no_labels, rules, include_target=True)] == [
        ("churn", "missing_column")
    ]


def test_optional_columns_may_be_absent_and_hold_anything(reference, rules):
    request = reference.drop(columns=["customer_id"]).head(10)
    assert check_rows(request, rules) == []
    request = reference.head(10).assign(customer_id=["anything", 42] * 5, extra_column=1)
    assert check_rows(request, rules) == []


def test_infinities_break_the_range_and_one_category_message_is_singular(reference, rules):
    rows = reference.head(10).copy()
    rows.loc[rows.index[0], "temperature"] = np.inf
    rows.loc[rows.index[1], "plan"] = "Three year"
    found = _by_column(check_rows(rows, rules))
    assert found[("temperature", "above_max")].examples == ("inf",)
    assert found[("plan", "unknown_category")].message == (
        "plan has 1 row (10%) with a category never seen in training: 'Three year'."
    )


def test_violations_df_and_caption(bad, rules):
    violations = check_rows(bad, rules)
    df = get_violations_df(violations)
    assert list(df.columns) == ["column", "rule", "rows", "share", "examples", "message"]
    assert df.set_index(["column", "rule"]).loc[("plan", "unknown_category"), "examples"] == "Premium, gold"
    assert get_violations_df([]).empty
    caption = caption_violations(violations, rows=len(bad), rules=rules)
    assert caption == (
        "6 of 9 checks fail: temperature (3 rows of the wrong type, e.g. 'abc'; 3 rows below the training range, "
        "e.g. -100; 1 row above the training range, e.g. 500), visits_count (the column is missing), "
        "plan (4 rows with a category never seen in training, e.g. 'Premium') and 3 more."
    )
    assert Violation.from_dict(json.loads(json.dumps(violations[0].to_dict()))) == violations[0]


def test_check_by_window(reference, rules):
    traffic = reference.sample(600, replace=True, random_state=5).reset_index(drop=True)
    traffic["window"] = np.repeat([1, 2, 3], 200)
    traffic["plan"] = traffic["plan"].where(~((traffic["window"] == 3) & (np.arange(600) % 2 == 0)), "enterprise")
    df = check_rows_by_window(traffic, rules)
    assert list(df.columns) == ["window", "column", "rule", "rows", "share", "message"]
    assert df[["window", "column", "rule", "rows", "share"]].values.tolist() == [
        [3, "plan", "unknown_category", 100, 0.5]
    ]
    assert df["message"].iloc[0] == "plan has 100 rows (50%) with a category never seen in training: 'enterprise'."
    assert caption_violations_by_window(df) == "Production data first breaks the training rules in window 3 (plan)."
    no_temperature = check_rows_by_window(traffic.drop(columns=["temperature"]), rules)
    assert no_temperature.loc[no_temperature["rule"] == "missing_column", "window"].tolist() == [1, 2, 3]
    assert caption_violations_by_window(df.head(0)).startswith("Every window passes")
    with pytest.raises(DataError, match="no 'week' column"):
        check_rows_by_window(traffic, rules, window_column="week")


# --- the sample data -----------------------------------------------------------------------------


def test_telco_rules_after_cleaning():
    if not TELCO.exists():
        pytest.skip("sample data not generated yet")
    from core.data.cleaning import apply_recipe, suggest_recipe
    from core.data.reader import read_path

    raw, _ = read_path(TELCO)
    clean, _ = apply_recipe(raw, suggest_recipe(raw, "churn"))
    rules = derive_rules(clean, "churn")
    assert rules.get("customer_id").kind == "text" and not rules.get("customer_id").required
    assert rules.get("contract").allowed == ("Month-to-month", "One year", "Two year")  # spelling variants unified
    assert rules.get("signup_date").kind == "datetime"
    tenure = rules.get("tenure_months")
    assert tenure.kind == "numeric" and tenure.min == 0 and clean["tenure_months"].max() < tenure.max < 100
    assert rules.get("churn").kind == "boolean" and not rules.get("churn").required
    observed = clean["satisfaction_score"].isna().mean()
    assert rules.get("satisfaction_score").max_missing_share == pytest.approx(observed + 0.05, abs=1e-4)
    assert ValidationRules.from_dict(json.loads(json.dumps(rules.to_dict()))) == rules

    sample = clean.sample(1000, replace=True, random_state=0)
    assert check_rows(sample, rules, include_target=True) == []
    assert (
        caption_violations([], rows=1000, rules=rules)
        == "All 1,000 rows pass the 18 checks learned from the training data."
    )

    request = sample.drop(columns=["churn"]).head(300).reset_index(drop=True)
    request.loc[request.index[:78], "contract"] = "Three year"
    found = _by_column(check_rows(request, rules))
    assert list(found) == [("contract", "unknown_category")]
    assert found[("contract", "unknown_category")].message == (
        "contract has 78 rows (26%) with a category never seen in training: 'Three year'."
    )
    # raw rows replay the recipe's value fixes but not its row filters: impossible values are caught
    served, _ = apply_recipe(raw.drop(columns=["churn"]), suggest_recipe(raw, "churn"), training=False)
    caught = _by_column(check_rows(served, rules))
    assert ("tenure_months", "above_max") in caught and "999" in caught[("tenure_months", "above_max")].examples


# --- the checks a model's inputs get ---------------------------------------------------------------


def test_rules_for_a_models_inputs_leave_out_the_target_and_the_columns_it_does_not_take(reference):
    """Rules learned before the target was chosen name it; a model's own inputs never include it."""
    untargeted = derive_rules(reference)  # learned in the natural order: Data before Problem
    assert untargeted.get("churn").required
    only = untargeted.for_inputs(["plan", "temperature", "customer_id", "not_in_the_rules"])
    assert [r.column for r in only.columns] == ["customer_id", "temperature", "plan"]  # the rules' order
    assert only.target is None
    assert all(r.required for r in only.columns)  # the model needs every input it takes
    request = pd.DataFrame({"temperature": [20.0], "plan": ["pro"], "customer_id": ["C9"]})
    assert check_rows(request, only) == []


# --- what used to crash the checks -----------------------------------------------------------------


def _request(reference: pd.DataFrame, n: int) -> pd.DataFrame:
    """n clean rows as a client sends them (row 0 has no score, more than a request may miss)."""
    return reference.drop(columns=["churn"]).iloc[1 : n + 1].reset_index(drop=True)


def _one_row(reference: pd.DataFrame) -> pd.DataFrame:
    return _request(reference, 1)


@pytest.mark.parametrize("dtype", ["str", object])
@pytest.mark.parametrize("blank", ["", "  ", None])
def test_the_only_row_with_a_blank_category_is_a_missing_value(reference, rules, dtype, blank):
    """The Deploy page crashed (IndexError) when the only row sent had an empty category cell."""
    row = _one_row(reference)
    row["plan"] = pd.Series([blank], dtype=dtype)
    found = _by_column(check_rows(row, rules))
    assert list(found) == [("plan", "too_many_missing")]
    assert found[("plan", "too_many_missing")].message.startswith("plan is missing in 1 row (100%)")


def test_numbers_and_dates_sent_only_as_blanks_are_missing_values(reference, rules):
    row = _one_row(reference)
    row["temperature"] = pd.Series([None], dtype=object)
    row["visit"] = pd.Series([""], dtype=object)
    row["flag"] = pd.Series([None], dtype=object)
    found = _by_column(check_rows(row, rules))
    assert set(found) == {
        ("temperature", "too_many_missing"),
        ("visit", "too_many_missing"),
        ("flag", "too_many_missing"),
    }


def test_a_window_where_every_value_is_missing_and_an_empty_batch(reference, rules):
    batch = reference.drop(columns=["churn"]).head(6).astype(object).map(lambda _: None)
    batch["window"] = [4] * 6
    df = check_rows_by_window(batch, rules)
    assert set(df["rule"]) == {"too_many_missing"} and set(df["window"]) == {4}
    assert set(df["column"]) == {r.column for r in rules.columns if r.column != "churn" and r.max_missing_share < 1}
    empty = check_rows_by_window(batch.head(0), rules)
    assert empty.empty and list(empty.columns) == ["window", "column", "rule", "rows", "share", "message"]
    assert check_rows(batch.head(0).drop(columns=["window"]), rules) == []


def test_lists_and_mappings_in_cells_are_values_of_the_wrong_type(reference, rules):
    rows = _request(reference, 4)
    rows = rows.astype({"temperature": object, "plan": object, "visit": object, "active": object})
    rows.at[0, "temperature"] = [1, 2]
    rows.at[1, "plan"] = {"a": 1}
    rows.at[2, "visit"] = ["2023-01-05"]
    rows.at[3, "active"] = {True}
    found = _by_column(check_rows(rows, rules))
    assert set(found) == {("temperature", "type"), ("plan", "type"), ("visit", "type"), ("active", "type")}
    assert found[("temperature", "type")].message == "temperature has 1 row (25%) that is not a number: '[1, 2]'."
    assert found[("plan", "type")].message == "plan has 1 row (25%) that is not a single value: \"{'a': 1}\"."
    assert found[("visit", "type")].rows == 1 and found[("active", "type")].rows == 1


def test_duplicate_column_names_are_refused_naming_them(reference, rules):
    rows = reference.head(3)
    rows = pd.concat([rows, rows[["plan", "temperature"]]], axis=1)
    with pytest.raises(DataError, match="'temperature', 'plan'|'plan', 'temperature'") as info:
        check_rows(rows, rules)
    assert "once" in str(info.value)
    with pytest.raises(DataError, match="two or more columns named"):
        check_rows_by_window(rows.assign(window=1), rules)


def test_dates_far_beyond_the_nanosecond_range_are_out_of_range_not_a_crash(reference, rules):
    rows = _request(reference, 3)
    rows["visit"] = pd.Series(["9999-12-31", "0001-01-01", "2023-02-01"], dtype=object)
    found = _by_column(check_rows(rows, rules))
    assert found[("visit", "above_max")].examples == ("9999-12-31",)
    assert found[("visit", "below_min")].examples == ("0001-01-01",)
    rows["visit"] = pd.to_datetime(rows["visit"]).astype("datetime64[us]")
    assert set(_by_column(check_rows(rows, rules))) == {("visit", "above_max"), ("visit", "below_min")}


def test_a_huge_value_is_shortened_in_the_message(reference, rules):
    rows = _request(reference, 2)
    rows["plan"] = ["é" * 100_000, "pro"]
    rows["temperature"] = rows["temperature"].astype(object)
    rows.at[0, "temperature"] = "9" * 5000 + "x"
    violations = check_rows(rows, rules)
    assert {(v.column, v.rule) for v in violations} == {("plan", "unknown_category"), ("temperature", "type")}
    assert all(len(v.message) < 300 and all(len(e) <= 60 for e in v.examples) for v in violations)


def test_dates_kept_as_text_are_learned_and_checked_as_dates():
    days = pd.date_range("2021-01-01", periods=400, freq="D")
    reference = pd.DataFrame({"sold": pd.Series(days.strftime("%Y-%m-%d"), dtype="str"), "rooms": np.arange(400) % 5})
    rule = derive_rules(reference).get("sold")
    assert (rule.kind, rule.min, rule.max) == ("datetime", "2020-11-22T00:00:00", "2022-03-16T00:00:00")
    request = pd.DataFrame({"sold": ["2021-06-01", "2030-01-01", "soon"], "rooms": [1, 2, 3]})
    found = _by_column(check_rows(request, derive_rules(reference)))
    assert set(found) == {("sold", "above_max"), ("sold", "type")}


def test_true_and_false_are_the_answers_of_a_0_1_flag(reference, rules):
    rows = _request(reference, 3).astype({"flag": object})
    rows["flag"] = [True, False, 1]
    assert check_rows(rows, rules) == []
    rows["flag"] = ["yes", False, 1]
    assert [(v.column, v.rule) for v in check_rows(rows, rules)] == [("flag", "unknown_category")]


def test_a_repeated_customer_id_is_no_category_so_new_customers_are_no_violation():
    # 40 customers with about five purchases each: a key of an entity, not a list of allowed values.
    rng = np.random.default_rng(3)
    customers = [f"C{i:05d}" for i in range(40)]
    train = pd.DataFrame({"customer_id": rng.choice(customers, 200), "amount": rng.gamma(2, 30, 200)})
    rules = derive_rules(train, target=None)
    batch = pd.DataFrame({"customer_id": ["C90001", "C90002", "C00003"], "amount": [40.0, 55.0, 61.0]})
    assert not [v for v in check_rows(batch, rules) if v.column == "customer_id"]
