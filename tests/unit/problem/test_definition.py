"""Tests of core.problem.definition: task detection, suggestions, refusals, target encoding."""

import numpy as np
import pandas as pd
import pytest

from core.problem.definition import (
    ProblemConfig,
    detect_task,
    encode_target,
    format_metric_value,
    is_higher_better,
    suggest_problem,
    validate_problem,
)
from core.workspace.errors import ConfigError, DataError, StudioError


def make_frame(n=40, target=None):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=n), "city": rng.choice(["A", "B"], size=n)})
    df["churn"] = target if target is not None else ["Yes" if i % 4 == 0 else "No" for i in range(n)]
    return df


@pytest.mark.parametrize(
    "values, expected",
    [
        (["Yes", "No"] * 20, "binary"),
        ([0, 1, 1, 0] * 10, "binary"),
        ([True, False] * 20, "binary"),
        (["a", "b", "c"] * 10, "multiclass"),
        ([1, 2, 3, 4, 5] * 8, "multiclass"),
        (list(np.linspace(0.5, 100.5, 40)), "regression"),
        (list(range(1000, 1100)), "regression"),  # whole numbers, but > 30 distinct values
    ],
)
def test_detect_task(values, expected):
    assert detect_task(pd.Series(values, name="y")) == expected


def test_detect_task_ignores_missing_and_refuses_dates():
    assert detect_task(pd.Series([1.0, 0.0, np.nan] * 10)) == "binary"
    with pytest.raises(DataError, match="dates"):
        detect_task(pd.Series(pd.date_range("2024-01-01", periods=30), name="when"))


def test_suggest_problem_binary_picks_minority_positive_and_default_gate():
    problem = suggest_problem(make_frame(), "churn")
    assert problem.task == "binary"
    assert problem.positive_class == "Yes"
    assert (problem.metric, problem.threshold) == ("roc_auc", 0.75)
    assert problem.time_column is None
    assert problem.family == "classification"


def test_suggest_problem_numeric_positive_class_and_other_tasks():
    fraud = make_frame(target=[1.0 if i % 10 == 0 else 0.0 for i in range(40)])
    fraud.loc[3, "churn"] = np.nan  # float with NaN: labels must still read "1", not "1.0"
    assert suggest_problem(fraud, "churn").positive_class == "1"

    multi = make_frame(target=["a", "b", "c", "d"] * 10)
    assert (suggest_problem(multi, "churn").metric, suggest_problem(multi, "churn").threshold) == ("f1_macro", 0.6)

    reg = make_frame(target=np.linspace(10, 500, 40))
    problem = suggest_problem(reg, "churn")
    assert (problem.task, problem.metric, problem.threshold, problem.family) == ("regression", "r2", 0.6, "regression")
    assert problem.positive_class is None


def test_problem_config_round_trips_through_dict():
    problem = ProblemConfig(target="churn", task="binary", positive_class="Yes", time_column="signup_date")
    assert ProblemConfig.from_dict(problem.to_dict()) == problem
    assert ProblemConfig.from_dict({**problem.to_dict(), "unknown": 1}) == problem


def test_validate_accepts_a_good_problem():
    validate_problem(make_frame(), suggest_problem(make_frame(), "churn"))


def test_validate_refuses_missing_target_and_lists_columns():
    with pytest.raises(DataError, match=r"'label' is not a column.*'x', 'city', 'churn'"):
        validate_problem(make_frame(), ProblemConfig(target="label", task="binary"))


def test_validate_refuses_all_missing_target():
    df = make_frame(target=[np.nan] * 40)
    with pytest.raises(DataError, match="missing in every row"):
        validate_problem(df, ProblemConfig(target="churn", task="binary"))


def test_validate_refuses_single_class_and_names_it():
    df = make_frame(target=["No"] * 40)
    with pytest.raises(DataError, match=r"only one class \('No'\); choose a target with at least two"):
        validate_problem(df, ProblemConfig(target="churn", task="binary"))


def test_validate_refuses_non_numeric_regression_target():
    with pytest.raises(DataError, match=r"'churn' is not numeric \(values like 'Yes', 'No'\)"):
        validate_problem(make_frame(), ProblemConfig(target="churn", task="regression", metric="r2", threshold=0.5))


def test_validate_refuses_unknown_positive_class():
    with pytest.raises(
        DataError, match=r"positive class 'yes' is not a value of the target 'churn'; choose one of: 'No', 'Yes'"
    ):
        validate_problem(make_frame(), ProblemConfig(target="churn", task="binary", positive_class="yes"))


def test_validate_refuses_metric_of_another_task():
    with pytest.raises(ConfigError, match="'r2' does not apply to a binary task; choose one of: roc_auc"):
        validate_problem(make_frame(), ProblemConfig(target="churn", task="binary", metric="r2", threshold=0.5))
    with pytest.raises(StudioError, match="between 0 and 1"):
        validate_problem(make_frame(), ProblemConfig(target="churn", task="binary", threshold=75))


def test_validate_refuses_too_few_rows():
    df = make_frame(n=19)
    with pytest.raises(DataError, match="Only 19 rows.*at least 20"):
        validate_problem(df, ProblemConfig(target="churn", task="binary"))


def test_validate_refuses_a_class_with_one_row_and_says_which():
    df = make_frame(target=["a", "b"] * 19 + ["a", "lonely"])
    with pytest.raises(DataError, match="'lonely'.*fewer than 2 rows"):
        validate_problem(df, ProblemConfig(target="churn", task="multiclass", metric="f1_macro", threshold=0.5))


def test_validate_refuses_missing_time_column():
    with pytest.raises(DataError, match="time column 'when'"):
        validate_problem(make_frame(), ProblemConfig(target="churn", task="binary", time_column="when"))


def test_encode_target_per_task():
    y = pd.Series(["Yes", "No", "No", None, "Yes"])
    binary = encode_target(y, ProblemConfig(target="y", task="binary", positive_class="Yes"))
    assert binary.tolist() == [1, 0, 0, 0, 1]

    numeric = pd.Series([1.0, 0.0, 1.0, 0.0])  # float labels match the string positive class "1"
    assert encode_target(numeric, ProblemConfig(target="y", task="binary", positive_class="1")).tolist() == [1, 0, 1, 0]
    assert encode_target(numeric, ProblemConfig(target="y", task="binary", positive_class=1.0)).tolist() == [1, 0, 1, 0]

    multi = encode_target(pd.Series([1, 2, 3]), ProblemConfig(target="y", task="multiclass", metric="f1_macro"))
    assert multi.tolist() == ["1", "2", "3"]

    reg = encode_target(pd.Series([1, 2, 3]), ProblemConfig(target="y", task="regression", metric="r2"))
    assert reg.dtype == np.float64 and reg.tolist() == [1.0, 2.0, 3.0]


def test_metric_direction_and_formatting():
    assert is_higher_better("roc_auc") and is_higher_better("r2")
    assert not is_higher_better("rmse") and not is_higher_better("mae")
    assert format_metric_value("roc_auc", 0.8412) == "0.84"
    assert format_metric_value("rmse", 34567.8) == "34,568"
    assert format_metric_value("mae", float("nan")) == "n/a"


def test_group_column_round_trips_and_old_dicts_still_load():
    problem = ProblemConfig(target="churn", task="binary", positive_class="Yes", group_column="city")
    assert problem.to_dict()["group_column"] == "city"
    assert ProblemConfig.from_dict(problem.to_dict()) == problem
    saved_before_groups = {
        "target": "churn",
        "task": "binary",
        "positive_class": "Yes",
        "metric": "roc_auc",
        "threshold": 0.75,
        "time_column": None,
    }
    assert ProblemConfig.from_dict(saved_before_groups).group_column is None


def test_validate_checks_the_group_column():
    df = make_frame()
    validate_problem(df, ProblemConfig(target="churn", task="binary", group_column="city"))
    with pytest.raises(DataError, match="group column 'customer' is not a column"):
        validate_problem(df, ProblemConfig(target="churn", task="binary", group_column="customer"))
    with pytest.raises(ConfigError, match="group column cannot be the target"):
        validate_problem(df, ProblemConfig(target="churn", task="binary", group_column="churn"))
    df["same"] = "x"
    with pytest.raises(DataError, match="group column 'same' has fewer than 2 distinct values"):
        validate_problem(df, ProblemConfig(target="churn", task="binary", group_column="same"))


def test_new_metrics_have_readable_labels():
    from core.problem.definition import get_metric_label

    assert get_metric_label("pr_auc") == "PR-AUC"
    assert get_metric_label("balanced_accuracy") == "balanced accuracy"
