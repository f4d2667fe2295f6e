"""core.glossary: the names people read for our keys, and one plain sentence per term."""

import json

import pandas as pd
import plotly.graph_objects as go
import pytest

from core.glossary import GLOSSARY, column_label, explain, readable_columns, strategy_label, validation_label
from core.problem.definition import METRIC_LABELS, get_metric_heading, get_metric_label
from core.style import number_axes


@pytest.mark.parametrize(
    "key, label",
    [("roc_auc", "ROC-AUC"), ("f1_macro", "F1 (macro)"), ("pr_auc", "PR-AUC"), ("r2", "R²"), ("log_loss", "log loss")],
)
def test_metric_labels(key, label):
    assert get_metric_label(key) == label


def test_metric_heading_capitalises_only_the_first_letter():
    assert get_metric_heading("accuracy") == "Accuracy"
    assert get_metric_heading("roc_auc") == "ROC-AUC"
    assert get_metric_heading("log_loss") == "Log loss"


@pytest.mark.parametrize(
    "key, label", [("blue_green", "blue-green"), ("ab", "A/B test"), ("canary", "canary"), ("shadow", "shadow")]
)
def test_strategy_labels(key, label):
    assert strategy_label(key) == label


def test_validation_labels():
    assert validation_label("stratified-kfold") == "stratified k-fold"
    assert validation_label("time-split") == "time split"


@pytest.mark.parametrize(
    "column, header",
    [
        ("mean_latency_ms", "mean latency (ms)"),
        ("p95_latency_ms", "95th percentile latency (ms)"),
        ("roc_auc", "ROC-AUC"),
        ("queue_wait_ms", "queue wait (ms)"),
        ("error_rate", "error rate"),
        ("best_so_far", "best so far"),
        ("Monthly Charges", "Monthly Charges"),  # a user's own name stays as typed
        ("model", "model"),
    ],
)
def test_column_label(column, header):
    assert column_label(column) == header


def test_readable_columns_keeps_the_users_columns():
    df = pd.DataFrame(columns=["mean_latency_ms", "tenure_months"])
    assert list(readable_columns(df, keep=["tenure_months"]).columns) == ["mean latency (ms)", "tenure_months"]


def test_every_metric_and_strategy_has_a_sentence():
    for key in ("roc_auc", "f1_macro", "accuracy", "r2", "rmse", "mae", "pr_auc", "balanced_accuracy"):
        assert explain(key), key
    for key in ("canary", "shadow", "blue_green", "ab", "single"):
        assert explain(key), key
    for term in ("PSI", "drift", "champion", "challenger", "gate", "SHAP", "calibration"):
        assert explain(term) and explain(term.lower()), term
    assert explain("no such term") is None
    assert all(s.endswith(".") and "_" not in s for s in GLOSSARY.values())
    assert set(METRIC_LABELS) >= {"roc_auc", "f1_macro", "r2"}


def test_number_axes_sets_readable_formats_in_the_figure_json():
    fig = go.Figure(go.Bar(x=["a", "b"], y=[424_000, 844_000]))
    fig.add_trace(go.Scatter(x=[2019, 2020, 2021], y=[0.0001, 0.0002, 0.0003], xaxis="x2", yaxis="y2"))
    fig.update_layout(xaxis2={"anchor": "y2"}, yaxis2={"anchor": "x2"})
    spec = json.loads(number_axes(fig).to_json())["layout"]
    assert spec["yaxis"]["tickformat"] == ",~r" and spec["yaxis"]["hoverformat"] == ",~r"
    assert "tickformat" not in spec.get("xaxis", {})  # categories stay as they are
    assert spec["xaxis2"]["tickformat"] == "d"  # years as years
    assert spec["yaxis2"]["tickformat"] == ",~r"


def test_number_axes_leaves_dates_and_chosen_formats_alone():
    fig = go.Figure(go.Scatter(x=pd.date_range("2024-01-01", periods=3), y=[0.1, 0.2, 0.3]))
    fig.update_yaxes(tickformat=".0%")
    spec = json.loads(number_axes(fig).to_json())["layout"]
    assert "tickformat" not in spec.get("xaxis", {}) and spec["yaxis"]["tickformat"] == ".0%"
