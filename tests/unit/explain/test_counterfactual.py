"""Counterfactuals (core.explain.counterfactual): every returned row really flips the model, binary and
multiclass and regression; immutable features stay as they are; no counterfactual -> a clear message."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core.explain.charts_local import caption_counterfactuals, describe_counterfactual, get_counterfactual_df
from core.explain.counterfactual import CounterfactualResult, DecisionModel, Outcome, find_counterfactuals
from core.workspace.errors import ConfigError


def churn_like(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Short tenure and a monthly contract drive churn; age and noise do not change it much."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "tenure": rng.integers(0, 72, n).astype("int64"),
            "contract": pd.Series(rng.choice(["Month-to-month", "One year", "Two year"], n), dtype="str"),
            "age": rng.integers(18, 80, n).astype("int64"),
            "noise": rng.normal(size=n),
        }
    )
    logit = 2.0 - 0.08 * X["tenure"] + 2.5 * (X["contract"] == "Month-to-month") - 1.5 * (X["contract"] == "Two year")
    logit = logit + 0.03 * (X["age"] - 50)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y.to_numpy()


def churn_pipeline(X: pd.DataFrame, y: np.ndarray) -> Pipeline:
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["tenure", "age", "noise"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["contract"]),
        ]
    )
    return Pipeline([("pre", pre), ("model", LogisticRegression(max_iter=1000))]).fit(X, y)


@pytest.fixture(scope="module")
def churn():
    X, y = churn_like()
    pipeline = churn_pipeline(X, y)
    model = DecisionModel.from_pipeline(pipeline, "binary", class_names=["stays", "churns"], threshold=0.5)
    scores = pipeline.predict_proba(X)[:, 1]
    row = X.iloc[[int(np.argmin(np.abs(scores - 0.8)))]]  # a customer the model says churns, not extremely
    return X, pipeline, model, row


def decide(pipeline: Pipeline, rows: pd.DataFrame, threshold: float = 0.5) -> np.ndarray:
    """The decision, computed here without the module under test."""
    return np.where(pipeline.predict_proba(rows)[:, 1] >= threshold, "churns", "stays")


def test_binary_counterfactuals_really_flip_the_model(churn):
    X, pipeline, model, row = churn
    assert decide(pipeline, row)[0] == "churns"
    result = find_counterfactuals(model, row, X, actionable=list(X.columns))
    assert result.counterfactuals, result.message
    assert result.original.label == "churns" and result.goal == "'stays'"
    for cf in result.counterfactuals:
        assert decide(pipeline, cf.row)[0] == "stays"  # re-predicted independently: it flips
        assert cf.outcome.label == "stays" and cf.outcome.probabilities["churns"] < 0.5
        changed = [c for c in X.columns if not _same(cf.row[c].iloc[0], row[c].iloc[0])]
        assert sorted(changed) == sorted(c.feature for c in cf.changes) and 1 <= len(changed) <= 3
        assert list(cf.row.dtypes) == list(row.dtypes)  # the model read the same kinds of values
    # fewest changes first, and no change was needed beyond those listed (pruned)
    sizes = [len(cf.changes) for cf in result.counterfactuals]
    assert sizes == sorted(sizes)
    for cf in result.counterfactuals:
        for change in cf.changes:
            if len(cf.changes) > 1:
                reverted = cf.row.assign(**{change.feature: row[change.feature].to_numpy()})
                assert decide(pipeline, reverted)[0] == "churns"


def test_numbers_move_no_further_than_needed_and_stay_whole(churn):
    X, pipeline, model, _ = churn
    row = pd.DataFrame({"tenure": [5], "contract": pd.Series(["One year"], dtype="str"), "age": [50], "noise": [0.0]})
    assert decide(pipeline, row)[0] == "churns"
    result = find_counterfactuals(model, row, X, actionable=["tenure"])
    assert len(result.counterfactuals) == 1, result.message
    (cf,) = result.counterfactuals
    (change,) = cf.changes
    assert float(change.after).is_integer() and change.after > change.before
    one_less = cf.row.assign(tenure=[int(change.after) - 1])
    assert decide(pipeline, one_less)[0] == "churns"  # the smallest whole tenure that flips it


def test_immutable_features_are_kept(churn):
    X, pipeline, model, row = churn
    result = find_counterfactuals(model, row, X, actionable=["age", "noise", "contract"])
    assert result.counterfactuals
    for cf in result.counterfactuals:
        assert cf.row["tenure"].iloc[0] == row["tenure"].iloc[0]
        assert {c.feature for c in cf.changes} <= {"age", "noise", "contract"}
        assert decide(pipeline, cf.row)[0] == "stays"


def test_none_found_gives_a_clear_message(churn):
    X, pipeline, model, row = churn
    result = find_counterfactuals(model, row, X, actionable=["noise"])
    assert result.counterfactuals == ()
    assert "makes the model say 'stays'" in result.message and "allow more features to change" in result.message
    assert "allow more features" in caption_counterfactuals(result)
    nothing = find_counterfactuals(model, row, X, actionable=[])
    assert nothing.counterfactuals == () and "tick at least one feature" in nothing.message
    already = find_counterfactuals(model, row, X, actionable=["tenure"], desired_class="churns")
    assert already.counterfactuals == () and "already says 'churns'" in already.message


def test_bad_requests_are_config_errors(churn):
    X, _, model, row = churn
    with pytest.raises(ConfigError, match="must be one of stays, churns"):
        find_counterfactuals(model, row, X, actionable=["tenure"], desired_class="maybe")
    with pytest.raises(ConfigError, match="not inputs of the model: height"):
        find_counterfactuals(model, row, X, actionable=["height"])


def test_multiclass_flips_to_the_chosen_class():
    data = load_iris(as_frame=True)
    X = data.data
    y = data.target.map(dict(enumerate(data.target_names))).astype(str)
    pipeline = make_pipeline(StandardScaler(), HistGradientBoostingClassifier(max_iter=50, random_state=0)).fit(X, y)
    model = DecisionModel.from_pipeline(pipeline, "multiclass")
    row = X.iloc[[0]]  # a setosa
    for desired in ("versicolor", "virginica"):
        result = find_counterfactuals(model, row, X, actionable=list(X.columns), desired_class=desired)
        assert result.counterfactuals, result.message
        for cf in result.counterfactuals:
            assert pipeline.predict(cf.row)[0] == desired
            assert cf.outcome.label == desired
    default = find_counterfactuals(model, row, X, actionable=list(X.columns))
    assert default.goal in ("'versicolor'", "'virginica'")  # the next most likely class


def test_regression_reaches_the_target_value():
    rng = np.random.default_rng(3)
    X = pd.DataFrame({"rooms": rng.integers(1, 8, 400).astype(float), "area": rng.uniform(30, 200, 400)})
    y = 20 * X["rooms"] + 1.5 * X["area"]
    pipeline = make_pipeline(StandardScaler(), LinearRegression()).fit(X, y)
    model = DecisionModel.from_pipeline(pipeline, "regression", target_name="price")
    row = X.iloc[[0]]
    now = float(pipeline.predict(row)[0])
    result = find_counterfactuals(model, row, X, actionable=["area"], target_value=now + 30)
    assert result.counterfactuals, result.message
    for cf in result.counterfactuals:
        assert pipeline.predict(cf.row)[0] >= now + 30
    down = find_counterfactuals(model, row, X, actionable=["area", "rooms"], target_value=now - 20)
    assert all(pipeline.predict(cf.row)[0] <= now - 20 for cf in down.counterfactuals) and down.counterfactuals
    assert down.goal.startswith("at most")
    sentence = describe_counterfactual(down.counterfactuals[0], down)
    assert sentence.startswith("Had ") and ", the model would have given a predicted price of " in sentence
    with pytest.raises(ConfigError, match="value the prediction should reach"):
        find_counterfactuals(model, row, X, actionable=["area"])


def test_sentences_say_what_would_change(churn):
    X, _, model, row = churn
    result = find_counterfactuals(model, row, X, actionable=["contract"])
    (cf,) = result.counterfactuals
    sentence = describe_counterfactual(cf, result)
    before = row["contract"].iloc[0]
    assert sentence.startswith(
        f"Had contract been '{cf.changes[0].after}' instead of '{before}', the model would have said 'stays' ("
    )
    assert "probability of 'churns')" in sentence
    table = get_counterfactual_df(result)
    assert list(table.columns) == ["option", "changes", "the model would say", "distance"] and len(table) == 1
    assert "→" in table["changes"].iloc[0]
    assert "the smallest change found that makes it say 'stays'" in caption_counterfactuals(result)


def _same(a, b) -> bool:
    return (pd.isna(a) and pd.isna(b)) or a == b


def test_values_read_without_scientific_notation():
    from core.explain.charts_local import format_effect, format_value

    assert format_value(0.00001234) == "0.00001234"
    assert format_value(1234567.0) == "1,234,567"
    assert format_value(14.0) == "14" and format_value(0.0612) == "0.0612" and format_value("Two year") == "'Two year'"
    assert format_value(float("nan")) == "missing"
    assert format_effect(-0.096, "probability") == "−9.6 points"
    assert format_effect(40000.0, "price") == "+40,000"


def test_probabilities_near_the_threshold_show_the_side_they_are_on():
    # Explain said "would have said 'No' (9% probability of 'Yes')" with the model saying 'Yes' from 9%.
    flipped = Outcome("No", 0.9101, {"No": 0.9101, "Yes": 0.0899})
    result = CounterfactualResult(
        original=Outcome("Yes", 0.0912, {"No": 0.9088, "Yes": 0.0912}),
        goal="'No'",
        task="binary",
        actionable=("tenure",),
        counterfactuals=(),
        message="none",
        positive_class="Yes",
        threshold=0.09,
    )
    from core.explain.charts_local import describe_outcome

    assert describe_outcome(flipped, result) == "'No' (8.99% probability of 'Yes')"
    caption = caption_counterfactuals(result)
    assert caption.startswith("The model says 'Yes' (9.1% probability of 'Yes') for this row.")
    assert "The model says 'Yes' from 9.0%." in caption
