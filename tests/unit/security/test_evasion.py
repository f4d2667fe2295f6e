"""Evasion within a budget: every reported flip is scored again by the model, stays inside the budget
and never touches an immutable feature."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from core.explain.counterfactual import DecisionModel
from core.security.evasion import (
    EvasionBudget,
    EvasionResult,
    bounds_of,
    check_budget,
    default_budget,
    measure_evasion,
    perturb,
    within_budget,
)
from core.workspace.errors import ConfigError


def make_table(n: int = 900, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, n).round(1)
    debt = rng.integers(0, 40, n)
    age = rng.integers(18, 80, n)
    job = rng.choice(["clerk", "engineer", "artist"], n)
    logit = 0.12 * (income - 50) - 0.1 * (debt - 20) + 0.8 * (job == "engineer") + 0.02 * (age - 45)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "approved", "rejected")
    return pd.DataFrame({"income": income, "debt": debt, "age": age, "job": job, "y": y})


@pytest.fixture(scope="module")
def fitted():
    df = make_table()
    X, y = df.drop(columns="y"), (df["y"] == "approved").astype(int)
    pipe = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["job"]), (StandardScaler(), ["income", "debt", "age"])
        ),
        LogisticRegression(max_iter=500),
    )
    pipe.fit(X[:600], y[:600])
    model = DecisionModel.from_pipeline(pipe, "binary", class_names=["rejected", "approved"])
    return model, X[600:].reset_index(drop=True), X[:600].reset_index(drop=True)


def test_every_flip_is_scored_again_and_stays_inside_the_budget(fitted):
    model, rows, reference = fitted
    budget = EvasionBudget(numeric={"income": 0.3, "debt": 0.3}, categorical={"job": ("engineer",)}, max_changes=2)
    result = measure_evasion(model, rows, reference, budget, immutable=["age"], max_rows=25)
    assert result.desired == "approved"
    assert result.tried == min(25, result.attacked) and result.attacked > 0
    assert 0 < result.flipped <= result.tried
    assert result.flips == sorted(result.flips, key=lambda f: (f.cost, f.row))
    bounds = bounds_of(reference, budget)
    for flip in result.flips:
        original = rows.iloc[[flip.row]].copy()
        assert model.decide(original)[0][0] == "rejected"
        changed = original.copy()
        for feature, before, after in flip.changes:
            assert feature != "age"
            assert original[feature].iloc[0] == before
            changed[feature] = pd.Series([after], index=changed.index).astype(original[feature].dtype)
        assert model.decide(changed)[0][0] == "approved"  # re-scored by the model here, in the test
        assert within_budget(flip.changes, EvasionBudget.from_dict(result.budget), bounds)
        assert flip.after == "approved" and flip.after_probability >= 0.5 > flip.before_probability


def test_a_bigger_budget_flips_at_least_as_many_rows(fitted):
    model, rows, reference = fitted
    small = measure_evasion(model, rows, reference, EvasionBudget(numeric={"income": 0.05}), max_rows=30)
    large = measure_evasion(model, rows, reference, EvasionBudget(numeric={"income": 1.0}), max_rows=30)
    assert small.tried == large.tried == 30
    assert large.flipped > small.flipped


def test_immutable_features_are_never_changed(fitted):
    model, rows, reference = fitted
    result = measure_evasion(
        model, rows, reference, EvasionBudget(numeric={"age": 3.0}), immutable=["age"], max_rows=10
    )
    assert result.flipped == 0 and result.skipped_immutable == ["age"]
    assert result.budget["numeric"] == {}


def test_the_result_round_trips_through_json(fitted):
    import json

    model, rows, reference = fitted
    result = measure_evasion(model, rows, reference, EvasionBudget(numeric={"income": 0.5}), max_rows=8)
    again = EvasionResult.from_dict(json.loads(json.dumps(result.to_dict(), default=float)))
    assert again.flipped == result.flipped and again.rate == result.rate
    assert [f.changes for f in again.flips] == [[tuple(c) for c in f.changes] for f in result.flips]


def test_a_bad_budget_gets_one_clear_message(fitted):
    model, rows, reference = fitted
    with pytest.raises(ConfigError, match="not inputs of the model"):
        check_budget(EvasionBudget(numeric={"salary": 0.1}), rows.columns, [])
    with pytest.raises(ConfigError, match="budget of 'income'"):
        check_budget(EvasionBudget(numeric={"income": 0.0}), rows.columns, [])
    with pytest.raises(ConfigError, match="must be one of"):
        measure_evasion(model, rows, reference, EvasionBudget(numeric={"income": 0.1}), desired_class="maybe")


def test_default_budget_leaves_immutable_and_dates_out():
    df = make_table(50).assign(signup=pd.date_range("2024-01-01", periods=50))
    budget = default_budget(df, ["income", "debt", "age", "job", "signup"], ["age"], fraction=0.2)
    assert budget.numeric == {"income": 0.2, "debt": 0.2}
    assert set(budget.categorical["job"]) == {"clerk", "engineer", "artist"}


def test_perturbations_stay_inside_the_budget_and_leave_other_columns():
    df = make_table(300).drop(columns="y")
    budget = EvasionBudget(numeric={"income": 0.2, "debt": 0.5}, categorical={"job": ("artist",)})
    out = perturb(df, df, budget, seed=1)
    bounds = bounds_of(df, budget)
    assert (out["age"] == df["age"]).all()
    assert out["debt"].dtype == df["debt"].dtype
    for feature in ("income", "debt"):
        moved = (out[feature] - df[feature]).abs()
        assert (moved <= budget.numeric[feature] * bounds.spread[feature] + 1e-9).all()
        assert moved.gt(0).any()
    switched = out["job"] != df["job"]
    assert switched.any() and (out.loc[switched, "job"] == "artist").all()
