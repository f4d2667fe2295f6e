"""Tests of core.evaluation.fairness: metrics per group, the largest gaps, and the worst error segments."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from core.evaluation.charts_checks import (
    caption_error_segments,
    caption_fairness,
    plot_error_segments,
    plot_group_metrics,
)
from core.evaluation.fairness import get_error_segments_df, get_fairness_gaps, get_group_metrics_df, to_segments
from core.workspace.errors import DataError


def assert_readable_figure(fig):
    assert isinstance(fig, go.Figure)
    assert fig.layout.template.layout.paper_bgcolor == "white"
    assert fig.layout.height <= 450
    assert fig.layout.title.text


def crafted_binary():
    """A: 20 positives (16 flagged) + 20 negatives (4 flagged) → flagged 50%, TPR 0.8, FPR 0.2, accuracy 0.8.
    B: 20 positives (10 flagged) + 20 negatives (2 flagged) → flagged 30%, TPR 0.5, FPR 0.1, accuracy 0.7.
    C: 5 positives, all flagged (too small to trust)."""
    y = [1] * 20 + [0] * 20 + [1] * 20 + [0] * 20 + [1] * 5
    pred = [1] * 16 + [0] * 4 + [1] * 4 + [0] * 16 + [1] * 10 + [0] * 10 + [1] * 2 + [0] * 18 + [1] * 5
    groups = pd.Series(["A"] * 40 + ["B"] * 40 + ["C"] * 5)
    return np.array(y), np.array(pred), groups


def test_group_metrics_on_a_crafted_case():
    y, pred, groups = crafted_binary()
    df = get_group_metrics_df(y, pred, groups, "binary")
    assert df["group"].tolist() == ["A", "B", "C"]
    assert df["rows"].tolist() == [40, 40, 5]
    assert df["reliable"].tolist() == [True, True, False]
    assert df["share"].tolist() == pytest.approx([40 / 85, 40 / 85, 5 / 85])
    a, b = df.iloc[0], df.iloc[1]
    assert (a["positive_rate"], a["tpr"], a["fpr"], a["accuracy"], a["actual_rate"]) == pytest.approx(
        (0.5, 0.8, 0.2, 0.8, 0.5)
    )
    assert (b["positive_rate"], b["tpr"], b["fpr"], b["accuracy"]) == pytest.approx((0.3, 0.5, 0.1, 0.7))
    assert np.isnan(df.iloc[2]["fpr"])  # C has no negatives


def test_fairness_gaps_ignore_small_groups_and_name_the_groups():
    y, pred, groups = crafted_binary()
    gaps = get_fairness_gaps(get_group_metrics_df(y, pred, groups, "binary"))
    assert gaps["positive_rate"] == pytest.approx(
        {
            "gap": 0.2,
            "low_group": "B",
            "low": 0.3,
            "high_group": "A",
            "high": 0.5,
            "ratio": 0.6,
            "reliable": True,
        }
    )
    assert gaps["tpr"]["gap"] == pytest.approx(0.3)  # C's TPR of 1.0 would make it 0.5 if it counted
    assert (gaps["fpr"]["gap"], gaps["accuracy"]["gap"]) == pytest.approx((0.1, 0.1))


def test_caption_fairness_states_the_rates_and_the_largest_gap():
    y, pred, groups = crafted_binary()
    df = get_group_metrics_df(y, pred, groups, "binary")
    assert caption_fairness(df, get_fairness_gaps(df), "gender") == (
        "'A' and 'B' are flagged at very different rates (50% vs 30%, below the four-fifths rule of thumb); "
        "the largest gap is in recall (share of real positives caught): 0.50 for 'B' vs 0.80 for 'A'; "
        "'C' has too few rows to judge."
    )
    similar = get_group_metrics_df(y[:80], np.r_[pred[:40], pred[:40]], groups[:80], "binary")
    assert caption_fairness(similar, get_fairness_gaps(similar)).startswith(
        "'A' and 'B' are flagged at similar rates (50% vs 50%)"
    )


def test_group_metrics_with_scores_and_many_groups():
    rng = np.random.default_rng(0)
    groups = pd.Series(np.repeat(["x", "y", "z"], 100))
    y = (rng.random(300) < 0.4).astype(int)
    score = np.where(groups == "z", rng.random(300), 0.4 + 0.4 * (y - 0.4) + rng.normal(0, 0.1, 300))
    pred = (score >= 0.5).astype(int)
    df = get_group_metrics_df(y, pred, groups, "binary", score=score)
    z = df.set_index("group").loc["z"]
    assert 0.35 < z["roc_auc"] < 0.65  # random scores in group z
    assert df.set_index("group").loc["x", "roc_auc"] > 0.9
    gaps = get_fairness_gaps(df)
    caption = caption_fairness(df, gaps, "region")
    assert caption.startswith("Across the 3 groups of region, rows are flagged at ")
    assert f"the largest gap is in ROC-AUC: {gaps['roc_auc']['low']:.2f} for 'z'" in caption


def test_regression_groups_compare_the_typical_error():
    groups = pd.Series(["north"] * 30 + ["south"] * 30)
    y = np.full(60, 100.0)
    pred = np.r_[np.full(30, 90.0), np.full(30, 130.0)]
    df = get_group_metrics_df(y, pred, groups, "regression")
    assert df.set_index("group")["mae"].to_dict() == {"north": 10.0, "south": 30.0}
    assert df.set_index("group")["mean_error"].to_dict() == {"north": 10.0, "south": -30.0}
    gaps = get_fairness_gaps(df)
    assert (gaps["mae"]["high_group"], gaps["mae"]["gap"]) == ("south", 20.0)
    assert caption_fairness(df, gaps, "area") == (
        "The typical error is largest for 'south' (30.00) and smallest for 'north' (10.00) across the groups of area."
    )
    fig = plot_group_metrics(df)
    assert_readable_figure(fig)
    assert [list(trace.y) for trace in fig.data] == [[10.0], [30.0]]


def test_group_metrics_plot_fades_small_groups():
    y, pred, groups = crafted_binary()
    fig = plot_group_metrics(get_group_metrics_df(y, pred, groups, "binary"))
    assert_readable_figure(fig)
    assert [trace.name for trace in fig.data] == ["A", "B", "C (only 5 rows: unreliable)"]
    assert list(fig.data[0].y[:4]) == pytest.approx([0.5, 0.8, 0.2, 0.8])
    assert fig.data[2].opacity < fig.data[0].opacity


def test_single_group_and_misaligned_input():
    df = get_group_metrics_df([0, 1], [0, 1], pd.Series(["only", "only"]), "binary")
    assert caption_fairness(df, get_fairness_gaps(df), "gender") == (
        "The test rows hold a single group of gender ('only'), so there is nothing to compare."
    )
    with pytest.raises(DataError, match="sensitive column"):
        get_group_metrics_df([0, 1, 1], [0, 1, 1], pd.Series(["a", "b"]), "binary")


def test_segments_label_numbers_dates_and_missing_values():
    ages = pd.Series([18, 25, 33, 41, 52, 60, 67, 75, None], dtype="Int64")
    labels = to_segments(ages).tolist()
    assert labels[-1] == "(missing)"
    assert labels[:2] == ["18–25", "18–25"] and labels[-3:-1] == ["67–75", "67–75"]
    assert to_segments(pd.Series([-5.0, -1.0, 2.0, 4.0, 6.0, 8.0, 9.0, 10.0]))[0] == "−5 to −1"
    assert to_segments(pd.Series([1, 2, 2, None])).tolist() == ["1", "2", "2", "(missing)"]  # few values: as is
    assert to_segments(pd.Series(["a", None])).tolist() == ["a", "(missing)"]
    dates = pd.Series(
        pd.to_datetime(["2020-01-01", "2020-06-01", "2021-01-01", "2021-06-01", "2022-01-01", "2022-06-01"])
    )
    assert to_segments(dates, bins=2)[0] == "2020-01-01 – 2021-01-01"


# ---------------------------------------------------------------- error analysis


def planted_table():
    """400 rows; east rows are wrong every second time, the others every tenth: overall 20%."""
    rng = np.random.default_rng(1)
    region = np.repeat(["north", "south", "east", "west"], 100)
    position = np.tile(np.arange(100), 4)
    wrong = np.where(region == "east", position % 2 == 0, position % 10 == 0)
    X = (
        pd.DataFrame(
            {
                "customer_id": [f"C{i:04d}" for i in range(400)],  # an ID: never a segment
                "region": region,
                "age": rng.integers(18, 80, 400),
                "vip": rng.random(400) < 0.5,
            }
        )
        .sample(frac=1.0, random_state=0)
        .reset_index(drop=True)
    )
    wrong = pd.Series(wrong).sample(frac=1.0, random_state=0).to_numpy()
    y_true = np.zeros(400, dtype=int)
    return X, y_true, wrong.astype(int)


def test_error_segments_find_the_planted_bad_segment():
    X, y_true, y_pred = planted_table()
    df = get_error_segments_df(X, y_true, y_pred, "binary")
    worst = df.iloc[0]
    assert (worst["column"], worst["segment"], worst["label"], worst["rows"]) == (
        "region",
        "east",
        "region = east",
        100,
    )
    assert (worst["error"], worst["overall_error"], worst["lift"]) == pytest.approx((0.5, 0.2, 2.5))
    assert "customer_id" not in set(df["column"])
    assert df["lift"].is_monotonic_decreasing and len(df) <= 10
    assert (df["rows"] >= 30).all()
    assert caption_error_segments(df, "binary") == (
        "The model errs most for region = east (100 rows): 50% wrong vs 20% overall, 2.5 times the average."
    )
    fig = plot_error_segments(df, "binary")
    assert_readable_figure(fig)
    assert list(fig.data[0].y) == df["label"].tolist() and list(fig.data[0].x) == df["error"].tolist()


def test_error_segments_for_regression_find_a_numeric_bin():
    rng = np.random.default_rng(2)
    income = rng.uniform(10_000, 100_000, 400)
    X = pd.DataFrame({"income": income, "city": rng.choice(["a", "b"], 400)})
    y = income * 3
    pred = y + np.where(income > np.quantile(income, 0.75), 40_000, 5_000) * rng.choice([-1, 1], 400)
    df = get_error_segments_df(X, y, pred, "regression", top=3)
    worst = df.iloc[0]
    assert worst["column"] == "income" and worst["rows"] == 100
    assert worst["label"].startswith("income ") and worst["label"].endswith(f"{income.max():,.0f}")
    assert worst["error"] == pytest.approx(40_000)
    assert worst["overall_error"] == pytest.approx(13_750)
    assert len(df) == 3
    assert caption_error_segments(df, "regression").startswith(
        f"The model errs most for {worst['label']} (100 rows): a typical miss of 40,000 vs 13,750 overall, 2.9 times"
    )


def test_error_segments_min_rows_and_no_mistakes():
    X, y_true, y_pred = planted_table()
    assert get_error_segments_df(X, y_true, y_pred, "binary", min_rows=150).query("column == 'region'").empty
    perfect = get_error_segments_df(X, y_true, y_true, "binary")
    assert perfect.empty
    assert caption_error_segments(perfect, "binary").startswith("No segment of at least 30 test rows stands out")
    with pytest.raises(DataError, match="predictions"):
        get_error_segments_df(X, y_true[:10], y_pred[:10], "binary")
