"""Tests of core.evaluation.gate: GO / NO-GO for higher- and lower-is-better metrics, with the baseline check."""

import json

import numpy as np

from core.evaluation.gate import check_gate
from core.problem.definition import ProblemConfig
from core.training.results import ModelResult


def result(key, **metrics):
    return ModelResult(
        key=key,
        name=key.title(),
        cv_scores=[],
        cv_score=0.0,
        test_metrics=metrics,
        fit_seconds=0.0,
        predict_ms_per_row=0.0,
        params={},
        pipeline=None,
        test_scores=np.array([]),
        test_pred=np.array([]),
    )


AUC = ProblemConfig(target="churn", task="binary", positive_class="Yes", metric="roc_auc", threshold=0.75)
RMSE = ProblemConfig(target="price", task="regression", metric="rmse", threshold=30_000)


def test_higher_is_better_pass():
    gate = check_gate(AUC, result("hist_gb", roc_auc=0.84), result("baseline", roc_auc=0.5))
    assert gate.passed and gate.decision == "GO"
    assert (gate.metric, gate.threshold, gate.value, gate.baseline_value) == ("roc_auc", 0.75, 0.84, 0.5)
    assert gate.checks[0]["sentence"] == "ROC-AUC on unseen data is 0.84, above the 0.75 the business asked for: GO."
    assert {k: gate.checks[1][k] for k in ("name", "passed", "sentence")} == {
        "name": "beats_baseline",
        "passed": True,
        "sentence": "It beats the baseline, which scores 0.50, by 0.34.",
    }


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


# -- the lab's extra checks: current champion, latency, fairness -------------------------------------
class Scored:
    """The least the gate reads from a model: its holdout metrics and its key."""

    def __init__(self, key, **metrics):
        self.key, self.test_metrics = key, metrics


FAIR = {
    "column": "region",
    "measure": "recall",
    "gap": 0.08,
    "low_group": "south",
    "high_group": "north",
    "reliable": True,
}
STRICT = ProblemConfig(
    target="churn",
    task="binary",
    positive_class="Yes",
    metric="roc_auc",
    threshold=0.75,
    max_latency_ms=50.0,
    max_fairness_gap=0.10,
)


def names(gate):
    return [c["name"] for c in gate.checks]


def test_a_better_champion_is_no_go_and_named():
    gate = check_gate(
        STRICT,
        Scored("hist_gb", roc_auc=0.84),
        Scored("baseline", roc_auc=0.5),
        champion={"name": "churn v3", "value": 0.88},
    )
    assert not gate.passed and gate.decision == "NO-GO"
    assert names(gate) == ["threshold", "beats_baseline", "beats_champion"]
    found = gate.checks[2]
    assert not found["passed"]
    assert found["sentence"] == (
        "On the same unseen rows the current champion (churn v3) scores 0.88, better than "
        "this model: replacing it would be a step back: NO-GO."
    )
    assert "churn v3" in gate.sentence


def test_an_equal_or_worse_champion_passes():
    for value in (0.84, 0.80):
        gate = check_gate(STRICT, Scored("hist_gb", roc_auc=0.84), None, champion={"name": "churn v1", "value": value})
        assert gate.passed and gate.checks[-1]["passed"]
        assert "this model is at least as good" in gate.checks[-1]["sentence"]


def test_champion_with_lower_is_better_metric():
    worse = check_gate(RMSE, Scored("ridge", rmse=25_000.0), None, champion={"name": "price v2", "value": 20_000.0})
    assert not worse.passed and "scores 20,000, better than this model" in worse.checks[-1]["sentence"]
    better = check_gate(RMSE, Scored("ridge", rmse=25_000.0), None, champion={"name": "price v2", "value": 27_000.0})
    assert better.passed


def test_a_champion_that_could_not_be_scored_is_not_compared():
    gate = check_gate(
        STRICT,
        Scored("hist_gb", roc_auc=0.84),
        None,
        champion={"name": "churn v3", "error": "columns are missing: {'plan'}"},
    )
    assert gate.passed and gate.checks[-1]["name"] == "beats_champion" and gate.checks[-1]["passed"]
    assert "churn v3" in gate.checks[-1]["sentence"] and "not compared" in gate.checks[-1]["sentence"]
    undefined = check_gate(
        STRICT, Scored("hist_gb", roc_auc=0.84), None, champion={"name": "churn v3", "value": float("nan")}
    )
    assert undefined.passed and "not compared" in undefined.checks[-1]["sentence"]


def test_latency_over_the_limit_is_no_go():
    slow = check_gate(STRICT, Scored("hist_gb", roc_auc=0.84), None, latency_ms=75.0)
    assert not slow.passed and names(slow) == ["threshold", "latency"]
    assert slow.checks[-1]["sentence"] == "It answers one request in 75.0 ms, over the 50 ms the service allows: NO-GO."
    at_limit = check_gate(STRICT, Scored("hist_gb", roc_auc=0.84), None, latency_ms=50.0)
    assert at_limit.passed and "within the 50 ms" in at_limit.checks[-1]["sentence"]
    unknown = check_gate(STRICT, Scored("hist_gb", roc_auc=0.84), None, latency_ms=float("nan"))
    assert unknown.passed and names(unknown) == ["threshold"]  # not measured: no check


def test_fairness_gap_above_the_limit_is_no_go_and_below_is_go():
    unfair = check_gate(STRICT, Scored("hist_gb", roc_auc=0.84), None, fairness={**FAIR, "gap": 0.25})
    assert not unfair.passed and names(unfair) == ["threshold", "fairness"]
    assert unfair.checks[-1]["sentence"] == (
        "Fairness: its recall differs by 0.25 between 'north' and 'south' of region, more than the 0.10 allowed: NO-GO."
    )
    fair = check_gate(STRICT, Scored("hist_gb", roc_auc=0.84), None, fairness=FAIR)
    assert fair.passed and fair.decision == "GO"
    assert fair.checks[-1]["sentence"] == (
        "Fairness: its recall differs by 0.08 between 'north' and 'south' of region, within the 0.10 allowed."
    )
    rough = check_gate(STRICT, Scored("hist_gb", roc_auc=0.84), None, fairness={**FAIR, "reliable": False})
    assert "rough estimate" in rough.checks[-1]["sentence"]
    relative = check_gate(
        STRICT,
        Scored("hist_gb", roc_auc=0.84),
        None,
        fairness={**FAIR, "measure": "typical error", "gap": 0.3, "relative": True},
    )
    assert not relative.passed and "differs by 30%" in relative.checks[-1]["sentence"]
    assert "more than the 10% allowed" in relative.checks[-1]["sentence"]


def test_every_check_passing_is_go_and_one_failing_is_no_go():
    best, baseline = Scored("hist_gb", roc_auc=0.84), Scored("baseline", roc_auc=0.5)
    extras = {"champion": {"name": "churn v1", "value": 0.80}, "latency_ms": 12.0, "fairness": FAIR}
    gate = check_gate(STRICT, best, baseline, **extras)
    assert names(gate) == ["threshold", "beats_baseline", "beats_champion", "latency", "fairness"]
    assert all(c["passed"] for c in gate.checks) and gate.passed and gate.decision == "GO"
    assert gate.model == "hist_gb"
    json.dumps(gate.to_dict(), allow_nan=False)
    for key, bad in (
        ("champion", {"name": "churn v1", "value": 0.9}),
        ("latency_ms", 500.0),
        ("fairness", {**FAIR, "gap": 0.5}),
    ):
        failing = check_gate(STRICT, best, baseline, **{**extras, key: bad})
        assert not failing.passed and [c["name"] for c in failing.checks if not c["passed"]] == [
            {"champion": "beats_champion", "latency_ms": "latency", "fairness": "fairness"}[key]
        ]


def test_the_champion_check_uses_the_bootstrap_interval_when_given():
    problem = ProblemConfig(target="y", task="binary", metric="roc_auc", threshold=0.5)
    model = type("M", (), {"key": "new", "test_metrics": {"roc_auc": 0.80}})()
    tied = check_gate(problem, model, None, champion={"name": "m v1", "value": 0.81, "ci_low": -0.03, "ci_high": 0.01})
    assert tied.passed and "practically tied" in tied.checks[-1]["sentence"]
    worse = check_gate(
        problem, model, None, champion={"name": "m v1", "value": 0.85, "ci_low": -0.08, "ci_high": -0.02}
    )
    assert not worse.passed and "really better than this model" in worse.checks[-1]["sentence"]
    better = check_gate(problem, model, None, champion={"name": "m v1", "value": 0.75, "ci_low": 0.01, "ci_high": 0.09})
    assert better.passed and "at least as good" in better.checks[-1]["sentence"]
