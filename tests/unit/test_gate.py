"""Tests of core.gate: GO / NO-GO for higher- and lower-is-better metrics, with the baseline check."""

import json

import numpy as np

from core.gate import check_gate
from core.problem import ProblemConfig
from core.training import ModelResult


def result(key, **metrics):
    return ModelResult(
        key=key, name=key.title(), cv_scores=[], cv_score=0.0, test_metrics=metrics, fit_seconds=0.0,
        predict_ms_per_row=0.0, params={}, pipeline=None, test_scores=np.array([]), test_pred=np.array([]),
    )


AUC = ProblemConfig(target="churn", task="binary", positive_class="Yes", metric="roc_auc", threshold=0.75)
RMSE = ProblemConfig(target="price", task="regression", metric="rmse", threshold=30_000)


def test_higher_is_better_pass():
    gate = check_gate(AUC, result("hist_gb", roc_auc=0.84), result("baseline", roc_auc=0.5))
    assert gate.passed and gate.decision == "GO"
    assert (gate.metric, gate.threshold, gate.value, gate.baseline_value) == ("roc_auc", 0.75, 0.84, 0.5)
    assert gate.checks[0]["sentence"] == "ROC-AUC on unseen data is 0.84, above the 0.75 the business asked for: GO."
    assert gate.checks[1] == {"name": "beats_baseline", "passed": True,
                              "sentence": "It beats the baseline, which scores 0.50, by 0.34."}


def test_higher_is_better_fail_below_threshold():
    gate = check_gate(AUC, result("logistic", roc_auc=0.70), result("baseline", roc_auc=0.5))
    assert not gate.passed and gate.decision == "NO-GO"
    assert gate.checks[0]["sentence"] == "ROC-AUC on unseen data is 0.70, below the 0.75 the business asked for: NO-GO."
    assert gate.checks[1]["passed"]


def test_above_threshold_but_not_better_than_baseline_fails():
    # An accuracy gate on imbalanced data: the baseline already scores 0.90.
    problem = ProblemConfig(target="fraud", task="binary", positive_class="1", metric="accuracy", threshold=0.85)
    gate = check_gate(problem, result("tree", accuracy=0.88), result("baseline", accuracy=0.90))
    assert gate.checks[0]["passed"] and not gate.checks[1]["passed"]
    assert not gate.passed
    assert "does not beat the baseline" in gate.sentence


def test_lower_is_better_pass_and_fail():
    good = check_gate(RMSE, result("ridge", rmse=25_000.0), result("baseline", rmse=80_000.0))
    assert good.passed
    assert good.checks[0]["sentence"] == "RMSE on unseen data is 25,000, below the 30,000 the business allows: GO."

    bad = check_gate(RMSE, result("ridge", rmse=35_000.0), result("baseline", rmse=80_000.0))
    assert not bad.passed
    assert bad.checks[0]["sentence"] == "RMSE on unseen data is 35,000, above the 30,000 the business allows: NO-GO."

    worse_than_baseline = check_gate(RMSE, result("ridge", rmse=29_000.0), result("baseline", rmse=28_000.0))
    assert not worse_than_baseline.passed


def test_without_baseline_only_the_threshold_counts():
    gate = check_gate(AUC, result("hist_gb", roc_auc=0.9), None)
    assert gate.passed and len(gate.checks) == 1 and gate.baseline_value is None


def test_undefined_metric_is_no_go_and_json_safe():
    gate = check_gate(AUC, result("hist_gb", roc_auc=float("nan")), result("baseline", roc_auc=0.5))
    assert not gate.passed
    data = gate.to_dict()
    assert {"metric", "threshold", "value", "passed"} <= set(data)
    assert data["value"] is None
    json.dumps(data, allow_nan=False)
