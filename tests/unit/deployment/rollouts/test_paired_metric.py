"""The shadow's comparison on the project's own metric: paired, on the same labelled requests."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from core.deployment.rollouts.paired_metric import compare_on_project_metric
from core.deployment.rollouts.shadow import shadow_readout


def _fraud_like(n: int = 1200, seed: int = 0) -> pd.DataFrame:
    """Both models answer yes/no alike on nearly every request (few scores cross 0.5), but the shadow ranks
    the frauds better: accuracy ties, ROC-AUC does not."""
    rng = np.random.default_rng(seed)
    fraud = rng.random(n) < 0.1
    champion = np.clip(0.05 + 0.25 * fraud * rng.random(n) + 0.2 * rng.random(n), 0, 0.49)
    shadow = np.clip(0.05 + 0.40 * fraud + 0.05 * rng.random(n), 0, 0.49)
    label = np.where(fraud, "yes", "no")
    return pd.DataFrame(
        {
            "prediction": "no",
            "score": champion,
            "shadow_prediction": "no",
            "shadow_score": shadow,
            "label": label,
        }
    )


def test_a_better_ranking_shows_on_roc_auc_while_accuracy_ties():
    rows = _fraud_like()
    result = compare_on_project_metric(rows, "roc_auc", "yes")
    assert result["name"] == "ROC-AUC" and result["labelled"] == len(rows)
    assert result["champion"] == pytest.approx(roc_auc_score(rows["label"] == "yes", rows["score"]))
    assert result["shadow"] == pytest.approx(roc_auc_score(rows["label"] == "yes", rows["shadow_score"]))
    assert result["shadow_better"] and result["p_value"] == 0.001  # every resample: the floor, never 0
    assert 0 < result["difference_low"] < result["difference_high"]
    readout = shadow_readout(
        rows.assign(error=""),
        pd.DataFrame({"x": np.arange(len(rows))}),
        rows["shadow_score"].to_numpy(),
        rows,
        kind="proportion",
        higher_is_better=True,
        metric="roc_auc",
        positive_class="yes",
    )
    assert readout["metric"]["p_value"] == 1.0  # the same answers: McNemar sees nothing
    assert readout["verdict"] == "promote the shadow"
    assert (
        "ROC-AUC champion" in readout["sentence"] and "(paired bootstrap, p ≤ 0.001); accuracy" in readout["sentence"]
    )
    assert "(McNemar exact test, p = 1)" in readout["sentence"]


def test_the_same_scores_are_no_difference():
    rows = _fraud_like().assign(shadow_score=lambda d: d["score"])
    result = compare_on_project_metric(rows, "roc_auc", "yes")
    assert result["difference_low"] == result["difference_high"] == 0 and not result["shadow_better"]
    assert result["p_value"] == 1.0


@pytest.mark.parametrize(
    ("metric", "positive", "rows"),
    [
        (None, "yes", 1200),  # no project metric given
        ("accuracy", "yes", 1200),  # what the rollout reads anyway
        ("roc_auc", None, 1200),  # a ranking metric without a yes/no model's scores
        ("roc_auc", "yes", 20),  # too few labelled requests
        ("no_such_metric", "yes", 1200),
    ],
)
def test_no_comparison_where_it_would_add_nothing_or_say_little(metric, positive, rows):
    assert compare_on_project_metric(_fraud_like().head(rows), metric, positive) is None


def test_one_class_among_the_labels_is_no_comparison():
    rows = _fraud_like().assign(label="no")
    assert compare_on_project_metric(rows, "roc_auc", "yes") is None


def test_regression_and_label_metrics_compare_predictions():
    rng = np.random.default_rng(1)
    truth = rng.normal(size=300)
    rows = pd.DataFrame(
        {
            "prediction": (truth + rng.normal(scale=1.0, size=300)).astype(str),
            "shadow_prediction": (truth + rng.normal(scale=0.3, size=300)).astype(str),
            "score": np.nan,
            "shadow_score": np.nan,
            "label": truth.astype(str),
        }
    )
    rmse = compare_on_project_metric(rows, "rmse", None)
    assert rmse["shadow_better"] and rmse["shadow"] < rmse["champion"] and rmse["p_value"] < 0.05
    classes = pd.DataFrame(
        {
            "prediction": ["a", "b", "c"] * 20,
            "shadow_prediction": ["a", "b", "b"] * 20,
            "score": np.nan,
            "shadow_score": np.nan,
            "label": ["a", "b", "c"] * 20,
        }
    )
    f1 = compare_on_project_metric(classes, "f1_macro", None)
    assert f1["champion"] == pytest.approx(1.0) and not f1["shadow_better"]
