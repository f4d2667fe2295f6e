"""Tests of core.evaluation.reports: compute functions, plotly builders and captions."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from sklearn.metrics import average_precision_score, log_loss, roc_auc_score

from core.evaluation.charts import (
    caption_calibration,
    caption_confusion,
    caption_leaderboard,
    caption_pr,
    caption_predicted_vs_actual,
    caption_regression_report,
    caption_residuals,
    caption_roc,
    plot_calibration,
    plot_confusion,
    plot_leaderboard,
    plot_pr,
    plot_predicted_vs_actual,
    plot_residuals,
    plot_roc,
)
from core.evaluation.charts_threshold import (
    caption_cost_curve,
    caption_threshold,
    plot_cost_curve,
    plot_threshold_metrics,
)
from core.evaluation.reports import (
    CostMatrix,
    get_best_threshold,
    get_calibration_df,
    get_classification_report,
    get_confusion_at_threshold,
    get_confusion_df,
    get_pr_df,
    get_regression_report,
    get_residuals_df,
    get_roc_df,
    get_threshold_df,
    get_threshold_row,
)
from core.formatting import format_money
from core.workspace.errors import ConfigError, DataError


def assert_readable_figure(fig):
    assert isinstance(fig, go.Figure)
    assert fig.layout.template.layout.paper_bgcolor == "white"  # plotly_white
    assert fig.layout.height <= 450
    assert fig.layout.title.text


def test_roc_df_and_plot():
    roc = get_roc_df([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert list(roc.columns) == ["fpr", "tpr", "threshold"]
    assert (roc["fpr"].iloc[0], roc["tpr"].iloc[0]) == (0.0, 0.0)
    assert (roc["fpr"].iloc[-1], roc["tpr"].iloc[-1]) == (1.0, 1.0)
    assert roc["fpr"].is_monotonic_increasing and roc["tpr"].is_monotonic_increasing
    assert np.isnan(roc["threshold"].iloc[0])  # sklearn's +inf start is not JSON-friendly
    fig = plot_roc(roc, 0.75)
    assert_readable_figure(fig)
    assert "0.75" in fig.layout.title.text
    assert list(fig.data[1].x) == roc["fpr"].tolist()


def test_caption_roc():
    assert caption_roc(0.84, "Yes") == (
        "The model ranks a randomly chosen 'Yes' case above a randomly chosen other one 84% of the time "
        "(ROC-AUC 0.84): good separation."
    )
    assert "barely better than guessing" in caption_roc(0.55)
    assert "only one" in caption_roc(float("nan"))


def test_confusion_df_counts_and_binary_caption():
    y_true = [1, 1, 1, 0, 0, 0, 0]
    y_pred = [1, 1, 0, 1, 0, 0, 0]
    df = get_confusion_df(y_true, y_pred, labels=[0, 1], names=["No", "Yes"])
    cells = {(r.actual, r.predicted): r.count for r in df.itertuples()}
    assert cells == {("No", "No"): 3, ("No", "Yes"): 1, ("Yes", "No"): 1, ("Yes", "Yes"): 2}
    assert df.loc[(df["actual"] == "Yes") & (df["predicted"] == "Yes"), "share_of_actual"].item() == pytest.approx(
        2 / 3
    )
    assert caption_confusion(df, "Yes") == (
        "Of the 3 test rows that really are 'Yes', the model catches 2 (67%) and misses 1; "
        "it also raises 1 false alarms among the 4 others."
    )
    fig = plot_confusion(df)
    assert_readable_figure(fig)
    assert fig.data[0].z.tolist() == [[0.75, 0.25], [1 / 3, 2 / 3]]


def test_confusion_caption_for_multiclass_names_the_worst_mix_up():
    y_true = ["a", "a", "b", "b", "b", "c"]
    y_pred = ["a", "b", "a", "a", "b", "c"]
    df = get_confusion_df(y_true, y_pred, labels=["a", "b", "c"])
    assert caption_confusion(df) == (
        "The model labels 50% of the 6 test rows correctly; its most common mistake is calling 'b' 'a' (2 times)."
    )


def test_residuals_df_plot_and_captions():
    df = get_residuals_df([100.0, 200.0, 300.0, 400.0], [110.0, 190.0, 305.0, 395.0])
    assert df["residual"].tolist() == [-10.0, 10.0, -5.0, 5.0]  # actual − predicted
    assert caption_residuals(df) == (
        "Half of the predictions are within 7.50 of the true value, and the errors are balanced: "
        "the model is not systematically too high or too low."
    )
    low = get_residuals_df([120_000.0, 250_000.0, 300_000.0], [100_000.0, 230_000.0, 290_000.0])
    assert caption_residuals(low) == (
        "Half of the predictions are within 20,000 of the true value, but the model predicts too low by 16,667 on average."
    )
    fig = plot_residuals(df)
    assert_readable_figure(fig)
    assert list(fig.data[0].y) == df["residual"].tolist()


@pytest.fixture
def board():
    return pd.DataFrame(
        {
            "model": ["Logistic regression", "Gradient boosting", "Baseline"],
            "key": ["logistic", "hist_gb", "baseline"],
            "cv_score": [0.80, 0.84, 0.50],  # deliberately not sorted
            "cv_std": [0.01, 0.02, 0.0],
        }
    )


def test_leaderboard_plot_orders_best_first_and_greys_the_baseline(board):
    fig = plot_leaderboard(board, "roc_auc")
    assert_readable_figure(fig)
    assert list(fig.data[0].y) == ["Gradient boosting", "Logistic regression", "Baseline"]
    colors = list(fig.data[0].marker.color)
    assert colors[-1] != colors[0] and colors[-1] != colors[1]
    assert "higher is better" in fig.layout.title.text


def test_caption_leaderboard(board):
    assert caption_leaderboard(board, "roc_auc", "'No'") == (
        "Gradient boosting ranks first with a cross-validated ROC-AUC of 0.84, "
        "0.34 above the baseline that always predicts 'No'."
    )
    rmse = pd.DataFrame(
        {
            "model": ["Ridge regression", "Baseline"],
            "key": ["ridge", "baseline"],
            "cv_score": [30_000.0, 52_000.0],
            "cv_std": [1000.0, 0.0],
        }
    )
    assert caption_leaderboard(rmse, "rmse", "the average (477,500)") == (
        "Ridge regression ranks first with a cross-validated RMSE of 30,000, "
        "22,000 lower (better) than the baseline that always predicts the average (477,500)."
    )
    useless = board.assign(cv_score=[0.49, 0.48, 0.50])
    assert "no better than the baseline" in caption_leaderboard(useless, "roc_auc")


# ---------------------------------------------------------------- binary report, PR curve


def noisy_scores(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    score = np.clip(0.3 + 0.35 * (y - 0.3) + rng.normal(0, 0.18, n), 0, 1)
    return y, score


def test_classification_report_on_a_hand_computed_case():
    y = [0, 0, 0, 1, 1, 1]
    score = [0.1, 0.6, 0.2, 0.7, 0.4, 0.9]
    # flagged at 0.5: rows 2, 4, 6 → tp 2 (0.7, 0.9), fp 1 (0.6), fn 1 (0.4), tn 2
    report = get_classification_report(y, score)
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["precision"] == pytest.approx(2 / 3)
    assert report["recall"] == pytest.approx(2 / 3)
    assert report["f1"] == pytest.approx(2 / 3)
    assert report["balanced_accuracy"] == pytest.approx(2 / 3)
    assert report["roc_auc"] == pytest.approx(roc_auc_score(y, score))
    assert report["log_loss"] == pytest.approx(log_loss(y, score))
    # a threshold of 0.3 flags 0.4 too: recall 1
    assert get_classification_report(y, score, threshold=0.3)["recall"] == 1.0
    one_class = get_classification_report([0, 0], [0.2, 0.3])
    assert np.isnan(one_class["roc_auc"]) and np.isnan(one_class["pr_auc"])


def test_report_refuses_labels_that_are_not_0_1():
    with pytest.raises(DataError, match="0/1"):
        get_classification_report(["No", "Yes"], [0.2, 0.8])


def test_pr_auc_equals_sklearn_average_precision_and_pr_plot():
    y, score = noisy_scores()
    report = get_classification_report(y, score)
    assert report["pr_auc"] == pytest.approx(average_precision_score(y, score))
    pr = get_pr_df(y, score)
    assert list(pr.columns) == ["recall", "precision", "threshold"]
    assert pr["recall"].is_monotonic_increasing
    assert (pr["recall"].iloc[0], pr["recall"].iloc[-1]) == (0.0, 1.0)
    # the area under the step curve (precision at each recall step) is the average precision
    assert float(np.sum(np.diff(pr["recall"]) * pr["precision"].iloc[1:])) == pytest.approx(report["pr_auc"])
    fig = plot_pr(pr, report["pr_auc"], y.mean())
    assert_readable_figure(fig)
    assert list(fig.data[1].x) == pr["recall"].tolist()
    assert f"{report['pr_auc']:.2f}" in fig.layout.title.text
    caption = caption_pr(pr, report["pr_auc"], y.mean(), "Yes")
    best_at_80 = pr.loc[pr["recall"] >= 0.8, "precision"].max()
    assert caption == (
        f"To catch 80% of the 'Yes' rows, the model must flag rows of which {best_at_80:.0%} really are 'Yes' "
        f"(PR-AUC {report['pr_auc']:.2f}; guessing would give {y.mean():.2f})."
    )


# ---------------------------------------------------------------- cost matrix and threshold

# Six rows, scores and truth:      0.1  0.3  0.4  0.6  0.8  0.9
#                                   no  YES   no   no  YES  YES
# A missed YES costs 10, a false alarm 2. Flag rows scoring ≥ t:
#   t ≤ 0.1        flag all 6:  fp 3, fn 0 → cost  6
#   0.1 < t ≤ 0.3  flag 5:      fp 2, fn 0 → cost  4   ← cheapest; closest to 0.5 is t = 0.3
#   0.3 < t ≤ 0.4  flag 4:      fp 2, fn 1 → cost 14
#   0.4 < t ≤ 0.6  flag 3:      fp 1, fn 1 → cost 12   (the default 0.5)
#   0.6 < t ≤ 0.8  flag 2:      fp 0, fn 1 → cost 10
#   0.8 < t ≤ 0.9  flag 1:      fp 0, fn 2 → cost 20
#   t > 0.9        flag none:   fn 3       → cost 30
HAND_Y = [0, 1, 0, 0, 1, 1]
HAND_SCORE = [0.1, 0.3, 0.4, 0.6, 0.8, 0.9]
HAND_COST = CostMatrix(fn_cost=10, fp_cost=2)


def test_cost_optimal_threshold_on_a_hand_computed_case():
    df = get_threshold_df(HAND_Y, HAND_SCORE, HAND_COST)
    assert df["threshold"].is_monotonic_increasing and df["threshold"].iloc[0] == 0 and df["threshold"].iloc[-1] == 1
    assert set(HAND_SCORE) <= set(df["threshold"])  # every distinct score is a candidate
    expected = {0.0: 6, 0.1: 6, 0.2: 4, 0.3: 4, 0.35: 14, 0.4: 14, 0.5: 12, 0.6: 12, 0.7: 10, 0.85: 20, 0.95: 30}
    for threshold, cost in expected.items():
        assert get_threshold_row(df, threshold)["cost"] == cost, threshold
    assert get_best_threshold(df) == pytest.approx(0.3)
    at_default = get_threshold_row(df, 0.5)
    assert (at_default["tp"], at_default["fp"], at_default["fn"], at_default["tn"]) == (2, 1, 1, 2)
    assert at_default["precision"] == pytest.approx(2 / 3) and at_default["recall"] == pytest.approx(2 / 3)
    assert caption_cost_curve(df, 0.3) == (
        "Flagging the test rows scored 0.30 or more costs least: €4 on these 6 test rows, €8 less than the default 0.50."
    )


def test_costs_of_right_decisions_count_too():
    # An offer costs 1 whoever gets it: tp and fp both pay it, a missed churner still costs 10.
    cost = CostMatrix(fn_cost=10, fp_cost=1, tp_cost=1)
    df = get_threshold_df(HAND_Y, HAND_SCORE, cost)
    # flag all: 3 tp + 3 fp = 6; flag 5 (t = 0.3): 3 tp + 2 fp = 5; flag 2 (t = 0.8): 2 + 10 = 12
    assert [get_threshold_row(df, t)["cost"] for t in (0.1, 0.3, 0.8)] == [6, 5, 12]
    assert get_best_threshold(df) == pytest.approx(0.3)


def test_best_threshold_ties_go_to_the_one_closest_to_half():
    df = get_threshold_df([0, 1], [0.2, 0.8], CostMatrix(fn_cost=1, fp_cost=1))
    # every t in (0.2, 0.8] costs 0
    assert get_best_threshold(df) == 0.5
    assert get_best_threshold(df, by="f1") == 0.5
    with pytest.raises(ConfigError, match="Problem page"):
        get_best_threshold(get_threshold_df([0, 1], [0.2, 0.8]))


def test_threshold_df_agrees_with_the_confusion_matrix():
    y, score = noisy_scores()
    df = get_threshold_df(y, score)
    assert df["cost"].isna().all()
    assert df["flagged"].is_monotonic_decreasing
    assert (df[["tp", "fp", "fn", "tn"]].sum(axis=1) == len(y)).all()
    row = get_threshold_row(df, 0.42)
    confusion = get_confusion_at_threshold(y, score, 0.42, names=["No", "Yes"])
    cells = {(r.actual, r.predicted): r.count for r in confusion.itertuples()}
    assert (cells[("Yes", "Yes")], cells[("No", "Yes")], cells[("Yes", "No")], cells[("No", "No")]) == (
        row["tp"],
        row["fp"],
        row["fn"],
        row["tn"],
    )
    assert row["tp"] == int(((score >= 0.42) & (y == 1)).sum())
    assert caption_threshold(df, 0.42, "Yes") == (
        f"At 0.42 the model flags {int(row['flagged'])} rows: it catches {row['recall']:.0%} of the 'Yes' rows, "
        f"and {row['precision']:.0%} of the rows it flags really are 'Yes'."
    )


def test_cost_matrix_round_trip_and_validation():
    cost = CostMatrix(fn_cost=500, fp_cost=50, tp_cost=50)
    assert CostMatrix.from_dict(cost.to_dict()) == cost
    assert CostMatrix.from_dict({"fn_cost": 3, "fp_cost": 1, "unknown": 0}) == CostMatrix(3, 1)
    with pytest.raises(ConfigError, match="fp_cost"):
        CostMatrix.from_dict({"fn_cost": 3})
    with pytest.raises(ConfigError, match="missed positive"):
        CostMatrix.from_dict({"fn_cost": 1, "fp_cost": 1, "tp_cost": 5})
    with pytest.raises(ConfigError, match="finite number"):
        CostMatrix.from_dict({"fn_cost": float("nan"), "fp_cost": 1})
    with pytest.raises(ConfigError, match="false alarm"):
        get_threshold_df([0, 1], [0.2, 0.8], CostMatrix(fn_cost=1, fp_cost=0, tn_cost=2))


def test_money_format():
    assert format_money(12400) == "€12,400"
    assert format_money(-3100.4) == "−€3,100"
    assert format_money(4.5, "$") == "$4.50"


def test_cost_and_threshold_plots_carry_the_data():
    df = get_threshold_df(HAND_Y, HAND_SCORE, HAND_COST)
    fig = plot_cost_curve(df, best_threshold=0.3, threshold=0.5)
    assert_readable_figure(fig)
    assert list(fig.data[0].y) == df["cost"].tolist()
    assert {shape.x0 for shape in fig.layout.shapes} == {0.3, 0.5}
    fig = plot_threshold_metrics(df, threshold=0.5)
    assert_readable_figure(fig)
    assert [trace.name for trace in fig.data] == ["Precision", "Recall", "F1"]
    assert list(fig.data[1].y) == df["recall"].tolist()


def test_caption_cost_curve_when_the_default_is_already_cheapest():
    df = get_threshold_df([0, 1], [0.2, 0.8], CostMatrix(fn_cost=1, fp_cost=1))
    assert caption_cost_curve(df, 0.5, noun="customers") == (
        "Flagging the customers scored 0.50 or more costs least: €0 on these 2 customers, "
        "the same as the default threshold 0.50."
    )
    assert "Problem page" in caption_cost_curve(get_threshold_df([0, 1], [0.2, 0.8]), 0.5)


# ---------------------------------------------------------------- calibration


def test_calibration_bins_have_equal_counts_and_ordered_scores():
    rng = np.random.default_rng(3)
    score = rng.random(105)
    y = (score > 0.5).astype(int)
    df = get_calibration_df(y, score)
    assert df["count"].tolist() == [11] * 5 + [10] * 5
    assert df["count"].sum() == 105
    assert (df["min_score"].iloc[1:].to_numpy() >= df["max_score"].iloc[:-1].to_numpy()).all()
    assert df["observed_rate"].iloc[0] == 0.0 and df["observed_rate"].iloc[-1] == 1.0
    assert df["mean_predicted"].iloc[3] == pytest.approx(np.sort(score)[33:44].mean())
    assert len(get_calibration_df([0, 1, 1], [0.1, 0.5, 0.9])) == 3  # fewer rows than bins


def test_calibration_captions_and_plot():
    rng = np.random.default_rng(4)
    score = rng.random(5000)
    calibrated = (rng.random(5000) < score).astype(int)
    df = get_calibration_df(calibrated, score)
    assert caption_calibration(df).startswith("The predicted chances match reality: on average they are ")
    overconfident = (rng.random(5000) < score / 2).astype(int)  # the model says 80%, 40% happen
    df_high = get_calibration_df(overconfident, score)
    caption = caption_calibration(df_high)
    worst = df_high.loc[(df_high["mean_predicted"] - df_high["observed_rate"]).abs().idxmax()]
    assert caption.startswith("The predicted chances run too high: on average 2")  # ≈ 25 points
    assert f"rows predicted {worst['mean_predicted']:.0%} were really {worst['observed_rate']:.0%}" in caption
    fig = plot_calibration(df_high)
    assert_readable_figure(fig)
    assert list(fig.data[1].y) == df_high["observed_rate"].tolist()


# ---------------------------------------------------------------- regression


def test_regression_report_leaves_zero_targets_out_of_mape():
    report = get_regression_report([0.0, 100.0, 200.0], [10.0, 110.0, 180.0])
    assert report["mape"] == pytest.approx(0.1)  # (10/100 + 20/200) / 2; the 0 row is skipped
    assert report["mape_skipped_rows"] == 1
    assert report["rmse"] == pytest.approx(np.sqrt((100 + 100 + 400) / 3))
    assert report["mae"] == pytest.approx(40 / 3)
    assert caption_regression_report(report).startswith(
        "Predictions miss by 13.33 on average (MAE), 10% of the true value (MAPE, leaving out 1 rows whose true value is 0)"
    )
    assert np.isnan(get_regression_report([0.0, 0.0], [1.0, 2.0])["mape"])


def test_regression_caption_states_explained_variation():
    rng = np.random.default_rng(5)
    y = rng.normal(300_000, 80_000, 500)
    report = get_regression_report(y, y + rng.normal(0, 20_000, 500))
    assert caption_regression_report(report).endswith(
        f"; the model explains {report['r2']:.0%} of the variation in the target (R² {report['r2']:.2f})."
    )
    assert "no better than always predicting the average" in caption_regression_report(
        get_regression_report(y, np.full(500, y.mean() + 50_000))
    )


def test_predicted_vs_actual_plot_and_caption():
    rng = np.random.default_rng(6)
    actual = rng.uniform(100, 1000, 200)
    predicted = np.where(actual > 900, actual * 0.7, actual * 1.02)  # fine, except the highest values
    df = get_residuals_df(actual, predicted)
    fig = plot_predicted_vs_actual(df)
    assert_readable_figure(fig)
    assert list(fig.data[1].x) == df["actual"].tolist() and list(fig.data[1].y) == df["predicted"].tolist()
    within = (np.abs(actual - predicted) <= 0.1 * actual).mean()
    caption = caption_predicted_vs_actual(df)
    assert caption.startswith(f"Dots on the diagonal are perfect predictions: {within:.0%} of the test rows")
    assert "the model under-predicts the highest 10% of values by" in caption
