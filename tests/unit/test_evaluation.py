"""Tests of core.evaluation: compute functions, plotly builders and captions."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from core.evaluation import (
    caption_confusion,
    caption_leaderboard,
    caption_residuals,
    caption_roc,
    get_confusion_df,
    get_residuals_df,
    get_roc_df,
    plot_confusion,
    plot_leaderboard,
    plot_residuals,
    plot_roc,
)


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
    assert df.loc[(df["actual"] == "Yes") & (df["predicted"] == "Yes"), "share_of_actual"].item() == pytest.approx(2 / 3)
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
    return pd.DataFrame({
        "model": ["Logistic regression", "Gradient boosting", "Baseline"],
        "key": ["logistic", "hist_gb", "baseline"],
        "cv_score": [0.80, 0.84, 0.50],  # deliberately not sorted
        "cv_std": [0.01, 0.02, 0.0],
    })


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
    rmse = pd.DataFrame({"model": ["Ridge regression", "Baseline"], "key": ["ridge", "baseline"],
                         "cv_score": [30_000.0, 52_000.0], "cv_std": [1000.0, 0.0]})
    assert caption_leaderboard(rmse, "rmse", "the average (477,500)") == (
        "Ridge regression ranks first with a cross-validated RMSE of 30,000, "
        "22,000 lower (better) than the baseline that always predicts the average (477,500)."
    )
    useless = board.assign(cv_score=[0.49, 0.48, 0.50])
    assert "no better than the baseline" in caption_leaderboard(useless, "roc_auc")
