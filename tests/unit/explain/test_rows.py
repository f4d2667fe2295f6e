"""Choosing the row to explain: the ID column, readable summaries and search, the typed-row form
and the frame it builds, and the what-if comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from core.explain.explanations import explain_model
from core.explain.probability import format_output_pair, to_probability, with_probabilities
from core.explain.rows import (
    KIND_BOOL,
    KIND_CATEGORY,
    KIND_DATE,
    KIND_INTEGER,
    KIND_NUMBER,
    build_row,
    find_id_column,
    get_input_schema,
    get_row_choices_df,
    get_search_placeholder,
    get_training_categories,
    row_defaults,
    search_rows,
)
from core.explain.whatif import caption_whatif, format_whatif_df, get_whatif_df
from core.workspace.errors import ConfigError, DataError
from tests.unit.explain.test_explain import make_binary, make_pipeline_for


def customers(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "tenure": rng.integers(0, 72, n),
            "customer_id": pd.Series([f"C{i:04d}" for i in range(n)], dtype="str"),
            "contract": pd.Series(rng.choice(["month-to-month", "two-year"], n), dtype="str"),
            "charges": rng.uniform(20, 120, n).round(2),
            "senior": rng.random(n) < 0.2,
            "signup": pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 400, n), unit="D"),
            "churn": pd.Series(rng.choice(["yes", "no"], n), dtype="str"),
        }
    )


def test_find_id_column_prefers_the_key_and_ignores_quantities():
    frame = customers()
    assert find_id_column(frame) == "customer_id"
    assert find_id_column(frame.drop(columns="customer_id")) is None


def test_row_summaries_name_id_features_and_target_and_search_finds_them():
    frame = customers()
    choices = get_row_choices_df(frame, ["contract", "tenure", "charges", "senior"], "churn", "customer_id")
    first = choices.iloc[0]["label"]
    assert first.startswith("customer_id C0000: contract ")
    assert "tenure " in first and "charges " in first and "churn " in first
    assert "senior" not in first  # only the three most important features
    assert len(search_rows(choices, "c0003")) == 1
    two_words = search_rows(choices, "two-year CHURN YES")
    assert len(two_words) == ((frame["contract"] == "two-year") & (frame["churn"] == "yes")).sum()
    assert len(search_rows(choices, "  ")) == len(choices)
    without_id = get_row_choices_df(frame.set_axis(range(17, 57)), ["contract"], "churn")
    assert without_id.iloc[0]["label"].startswith("row 17: contract ")


def test_input_schema_kinds_ranges_and_options():
    frame = customers().drop(columns="churn")
    fields = {f.name: f for f in get_input_schema(frame, list(frame.columns), used=["tenure", "contract"])}
    assert fields["tenure"].kind == KIND_INTEGER and fields["tenure"].minimum == frame["tenure"].min()
    assert fields["charges"].kind == KIND_NUMBER
    assert fields["contract"].kind == KIND_CATEGORY
    assert set(fields["contract"].options) == {"month-to-month", "two-year"}
    assert fields["senior"].kind == KIND_BOOL
    assert fields["signup"].kind == KIND_DATE
    assert fields["tenure"].used and not fields["charges"].used


def test_typed_row_form_builds_a_frame_with_the_references_types():
    frame = customers().drop(columns="churn")
    fields = get_input_schema(frame, list(frame.columns))
    values = row_defaults(fields, None) | {"tenure": 5.0, "contract": "two-year", "signup": "2024-03-01"}
    row = build_row(fields, values, frame)
    assert list(row.columns) == list(frame.columns) and len(row) == 1
    for column in frame.columns:
        assert row[column].dtype == frame[column].dtype, column
    assert row.iloc[0]["tenure"] == 5 and row.iloc[0]["contract"] == "two-year"
    assert row.iloc[0]["signup"] == pd.Timestamp("2024-03-01")
    # the row's own values are the defaults of an edit form
    assert row_defaults(fields, frame.iloc[[3]])["customer_id"] == "C0003"
    with pytest.raises(DataError, match="'tenure'"):
        build_row(fields, values | {"tenure": 2.5}, frame)
    with pytest.raises(DataError, match="'charges'"):
        build_row(fields, values | {"charges": "lots"}, frame)


def _logistic_whatif():
    X, y = make_binary(300)
    pipeline = make_pipeline_for(LogisticRegression(max_iter=1000)).fit(X, y)

    def explain(row):
        frame = pd.concat([row, X], ignore_index=True)
        expl = explain_model(pipeline, frame, "binary", target_name="target", rows=[0], max_rows=1)
        return with_probabilities(expl, pipeline, frame)  # the model's own scale (log-odds)

    return X, pipeline, explain


def test_whatif_moves_the_prediction_and_says_so():
    X, pipeline, explain = _logistic_whatif()
    before_row = X.iloc[[0]].copy()
    after_row = before_row.copy()
    after_row["x1"] = before_row["x1"] + 3.0
    native_before, native_after = explain(before_row), explain(after_row)
    before, after = to_probability(native_before), to_probability(native_after)
    assert after.predictions.iloc[0] > before.predictions.iloc[0]
    assert after.predictions.iloc[0] == pytest.approx(pipeline.predict_proba(after_row)[0, 1])
    comparison = get_whatif_df(before, after, before_row, after_row)
    assert comparison.iloc[0]["feature"] == "x1" and comparison.iloc[0]["changed"]
    assert comparison["changed"].sum() == 1
    sentence = caption_whatif(native_before, native_after, before_row, after_row)
    assert sentence.startswith("After changing x1 from ")
    assert ", the probability of target = yes moves from " in sentence
    assert "In the model's own scale (log-odds), x1's effect changed by +" in sentence
    assert "every other feature's effect stays as it was" in sentence
    table = format_whatif_df(comparison, "probability")
    assert list(table["feature"]) == ["x1"] and table.iloc[0]["change in effect"].endswith(" pts")
    unchanged = caption_whatif(native_before, native_before, before_row, before_row)
    assert unchanged.startswith("Nothing was changed yet")


def test_whatif_leads_with_the_edit_not_a_re_split_share_and_warns_outside_the_data():
    """An edit that saturates the probability: in probability points the change is re-split, so an
    unchanged feature's share 'moves most'; the sentence names the edited feature, and warns that
    the value is beyond anything in the data."""
    X, pipeline, explain = _logistic_whatif()
    before_row = X.iloc[[0]].copy()
    after_row = before_row.copy()
    after_row["x1"] = 1e9
    native_before, native_after = explain(before_row), explain(after_row)
    shares = get_whatif_df(to_probability(native_before), to_probability(native_after), before_row, after_row)
    assert (shares.loc[~shares["changed"], "change in effect"].abs() > 1e-3).any()  # why not in probability
    fields = get_input_schema(X, list(X.columns))
    sentence = caption_whatif(native_before, native_after, before_row, after_row, fields)
    assert sentence.startswith("After changing x1 from ")
    assert "x1's effect changed by +" in sentence and "every other feature's effect stays as it was" in sentence
    assert "Careful: x1 = 1,000,000,000 is outside the values the data holds (" in sentence
    assert "c1" not in sentence and "n1" not in sentence


def test_a_change_under_one_point_is_written_with_one_decimal_on_both_ends():
    assert format_output_pair(0.5734, 0.5721, "probability") == ("57.3%", "57.2%")
    assert format_output_pair(0.57341, 0.57339, "probability") == ("57.341%", "57.339%")
    assert format_output_pair(0.57, 0.12, "probability") == ("57%", "12%")


def test_missing_values_stay_missing_through_the_form():
    frame = customers().drop(columns="churn")
    frame["charges"] = frame["charges"].where(frame.index != 2)
    frame["contract"] = frame["contract"].where(frame.index != 2)
    fields = get_input_schema(frame, list(frame.columns))
    defaults = row_defaults(fields, frame.iloc[[2]])
    assert defaults["charges"] is None and defaults["contract"] is None
    row = build_row(fields, defaults | {"tenure": ""}, frame)
    assert row[["charges", "contract", "tenure"]].isna().all(axis=None)
    assert row["charges"].dtype == frame["charges"].dtype and row["contract"].dtype == frame["contract"].dtype


def test_form_offers_the_categories_learned_in_training():
    X, y = make_binary(300)
    pipeline = make_pipeline_for(LogisticRegression(max_iter=1000)).fit(X, y)
    learned = get_training_categories(pipeline)
    assert learned == {"c1": ["a", "b", "c"], "c2": ["p", "q", "r", "s"]}
    holdout = X[X["c1"] != "c"].head(50)  # a holdout that happens to lack one category
    fields = {f.name: f for f in get_input_schema(holdout, list(X.columns), training_categories=learned)}
    assert set(fields["c1"].options) == {"a", "b", "c"} and fields["c1"].options[-1] == "c"


def test_explain_row_explains_exactly_the_given_row_against_the_holdout():
    from core.problem.definition import ProblemConfig
    from core.stages.explain import RunInputs, explain_row

    X, y = make_binary(300)
    pipeline = make_pipeline_for(LogisticRegression(max_iter=1000)).fit(X, y)
    inputs = RunInputs(
        run_id=1,
        pipeline=pipeline,
        holdout=X.assign(target=y),
        problem=ProblemConfig(target="target", task="binary", positive_class="yes"),
        model_key="logistic",
    )
    fields = get_input_schema(inputs.X, inputs.input_columns)
    typed = build_row(fields, row_defaults(fields, None) | {"x1": 2.0, "c1": "a"}, inputs.X)
    expl = explain_row(inputs, typed)
    assert len(expl.shap_df) == 1 and expl.rows_available == len(X) + 1
    points = to_probability(expl)
    assert points.predictions.iloc[0] == pytest.approx(pipeline.predict_proba(typed)[0, 1])
    assert points.output == "probability of target = yes"
    with pytest.raises(ConfigError):
        explain_row(inputs, X.head(2))


def test_the_search_hint_comes_from_the_data():
    frame = customers()
    hint = get_search_placeholder(frame, ["tenure", "contract", "charges"], "churn", "customer_id")
    top = frame["contract"].mode().iloc[0]
    assert hint == f"e.g. a customer_id or a value such as {top}"
    assert get_search_placeholder(frame, ["tenure", "charges"], "churn") == "words from a row's summary"
