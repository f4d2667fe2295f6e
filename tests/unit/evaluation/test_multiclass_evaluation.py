"""Evaluating a model that picks among several classes: the report against scikit-learn computed by
hand, per-class scores, and a caption that names the class left behind."""

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from core.evaluation.charts import caption_per_class, plot_per_class
from core.evaluation.multiclass import get_multiclass_report, get_per_class_df

CLASSES = ["bronze", "gold", "silver"]
TRUTH = np.array(["gold", "gold", "gold", "silver", "silver", "bronze", "bronze", "bronze"])
PRED = np.array(["gold", "gold", "silver", "silver", "gold", "bronze", "bronze", "silver"])
PROBA = np.array(
    [
        [0.1, 0.8, 0.1],
        [0.2, 0.7, 0.1],
        [0.1, 0.3, 0.6],
        [0.2, 0.2, 0.6],
        [0.1, 0.5, 0.4],
        [0.7, 0.2, 0.1],
        [0.6, 0.1, 0.3],
        [0.3, 0.2, 0.5],
    ]
)


def test_report_matches_the_definitions():
    report = get_multiclass_report(TRUTH, PRED, PROBA, CLASSES)
    assert report["accuracy"] == pytest.approx(5 / 8)
    # Recall per class: gold 2/3, silver 1/2, bronze 2/3; balanced accuracy is their mean.
    assert report["balanced_accuracy"] == pytest.approx((2 / 3 + 1 / 2 + 2 / 3) / 3)
    assert report["recall_macro"] == pytest.approx(report["balanced_accuracy"])
    # Precision per class: gold 2/3 (of 3 called gold), silver 1/3, bronze 2/2.
    assert report["precision_macro"] == pytest.approx((2 / 3 + 1 / 3 + 1) / 3)
    assert report["log_loss"] == pytest.approx(log_loss(TRUTH, PROBA, labels=CLASSES))
    assert report["roc_auc_ovr"] == pytest.approx(roc_auc_score(TRUTH, PROBA, multi_class="ovr", labels=CLASSES))


def test_without_probabilities_or_with_a_class_missing_the_probability_scores_are_nan():
    assert np.isnan(get_multiclass_report(TRUTH, PRED, None, CLASSES)["roc_auc_ovr"])
    no_silver = TRUTH != "silver"
    report = get_multiclass_report(TRUTH[no_silver], PRED[no_silver], PROBA[no_silver], CLASSES)
    assert np.isnan(report["roc_auc_ovr"]) and np.isfinite(report["log_loss"])


def test_per_class_table_and_its_sentence_name_the_weakest_class():
    table = get_per_class_df(TRUTH, PRED, CLASSES).set_index("class")
    assert table["rows"].to_dict() == {"bronze": 3, "gold": 3, "silver": 2}
    assert table.loc["silver", "recall"] == pytest.approx(0.5)
    assert table.loc["bronze", "precision"] == pytest.approx(1.0)
    sentence = caption_per_class(table.reset_index())
    assert "only 50% of the 'silver' ones (2 test rows)" in sentence
    fig = plot_per_class(table.reset_index())
    assert [t.name for t in fig.data] == ["Precision", "Recall", "F1"]


def test_a_class_never_predicted_scores_zero_and_a_perfect_model_leaves_none_behind():
    table = get_per_class_df(["a", "b", "c"], ["a", "b", "b"], ["a", "b", "c"]).set_index("class")
    assert table.loc["c", "recall"] == 0 and table.loc["c", "precision"] == 0
    perfect = get_per_class_df(["a", "b"], ["a", "b"], ["a", "b"])
    assert caption_per_class(perfect) == "It finds 100% of the rows of every class: no class is left behind."
