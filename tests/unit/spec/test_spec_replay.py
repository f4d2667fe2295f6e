"""The headless replay: the same spec, data and seed give the same leaderboard and the same model file
(its SHA-256); the CI gate decides GO / NO-GO by the spec's checks."""

import pytest

from core.spec import gate_spec, load_spec, run_spec
from core.spec.replay import decide_gate
from core.workspace.database import Workspace

SPEC = """
project: {name: Tumours}
problem: {target: target, metric: f1_macro, threshold: 0.8}
training: {models: [logistic, decision_tree], cv_folds: 2, seed: 5}
monitoring: {windows: 3, rows_per_window: 60}
"""


def _leaderboard(summary):
    return [(e["model"], e["cv_score"], e["test_metrics"]) for e in summary["leaderboard"]]


@pytest.mark.slow
def test_same_spec_data_and_seed_give_the_same_leaderboard_and_model_hash(tmp_path, breast_cancer_csv):
    spec = load_spec(SPEC)
    first = run_spec(Workspace(tmp_path / "a"), spec, data_path=breast_cancer_csv)
    second = run_spec(Workspace(tmp_path / "b"), spec, data_path=breast_cancer_csv)
    assert _leaderboard(first) == _leaderboard(second)
    assert first["registry"]["sha256"] and first["registry"]["sha256"] == second["registry"]["sha256"]
    assert {e["model"] for e in first["leaderboard"]} == {"baseline", "logistic", "decision_tree"}
    assert first["project"] == "Tumours" and first["spec"]["spec_version"] == 1
    # Another seed is another run: the replay does not merely return a stored answer.
    other = run_spec(
        Workspace(tmp_path / "c"),
        spec.model_copy(update={"training": spec.training.model_copy(update={"seed": 6})}),
        data_path=breast_cancer_csv,
    )
    assert _leaderboard(other) != _leaderboard(first)


@pytest.mark.slow
def test_a_time_column_gives_a_time_split(tmp_path):
    spec = load_spec(
        'data: {source: "sample:telco_churn"}\n'
        "problem: {target: churn, time_column: signup_date, costs: {false_negative: 500, false_positive: 50}}\n"
        "training: {models: [logistic], cv_folds: 2}\nmonitoring: {windows: 3, rows_per_window: 60}"
    )
    summary = run_spec(Workspace(tmp_path / "ws"), spec)
    assert summary["validation"] == "time-split"
    assert "decision_threshold" in summary["registry"]


@pytest.mark.slow
def test_gate_go_and_no_go(tmp_path, breast_cancer_csv):
    ws = Workspace(tmp_path / "ws")
    go = gate_spec(ws, load_spec(SPEC), data_path=breast_cancer_csv)
    assert go.passed and go.decision == "GO"
    assert ws.query_one("SELECT COUNT(*) AS n FROM model_versions")["n"] == 0  # the gate registers nothing
    too_high = load_spec(SPEC.replace("threshold: 0.8", "threshold: 0.999"))
    no_go = gate_spec(ws, too_high, data_path=breast_cancer_csv)
    assert not no_go.passed and no_go.decision == "NO-GO"
    assert [c["name"] for c in no_go.to_dict()["checks"] if not c["passed"]][0] == "threshold"


def test_only_the_specs_checks_decide():
    from core.evaluation.gate import GateResult

    gate = GateResult(
        metric="roc_auc",
        threshold=0.7,
        value=0.8,
        passed=False,
        baseline_value=0.5,
        checks=({"name": "threshold", "passed": True}, {"name": "latency", "passed": False}),
    )
    assert decide_gate(gate, ["threshold", "beats_baseline"]).passed
    assert not decide_gate(gate, ["threshold", "latency"]).passed
    assert [c["decides"] for c in decide_gate(gate, ["threshold"]).checks] == [True, False]
