"""Numbers in sentences a person reads, in Portuguese (issue 13, session 25): the rollouts, training,
tuning, sampling, fairness, robustness, stages and audit sentences that formatted numbers by hand now go
through core.formatting (decimal comma, thousands point); and the gate's NO-GO sentence shows enough
digits to be true (never "below the 1.00" for a bar of 0.9999)."""

import pytest

from core.deployment.rollouts.canary import CanaryPlan
from core.evaluation.gate import _threshold_check, describe_check
from core.formatting import english_numerals, format_beside_bar
from core.i18n import use_language
from core.problem.definition import ProblemConfig
from core.registry.audit import describe_audit_entry
from core.stages.lab import describe_rerun
from core.training.sampling import describe_sample
from core.training.trainer import _duration
from core.training.tuning import describe_gain
from core.workspace.errors import StudioError


def test_the_bar_is_written_with_the_digits_that_make_the_sentence_true():
    assert format_beside_bar(0.84, 0.8, "0.84", "0.80") == ("0.84", "0.80")  # nothing to add
    assert format_beside_bar(0.98, 0.9999, "0.98", "1.00") == ("0.9800", "0.9999")
    assert format_beside_bar(0.9995, 1.0, "1.00", "1.00") == ("0.9995", "1.0000")
    assert format_beside_bar(0.8, 0.8, "0.80", "0.80") == ("0.80", "0.80")  # equal: "at the 0.80"
    assert format_beside_bar(1500.5, 1500.25, "1,500", "1,500") == ("1,500.50", "1,500.25")
    with use_language("pt"):
        assert format_beside_bar(0.98, 0.9999, "0,98", "1,00") == ("0,9800", "0,9999")
        with english_numerals():  # the gate keeps English numerals in its record
            assert format_beside_bar(0.98, 0.9999, "0.98", "1.00") == ("0.9800", "0.9999")


def test_a_no_go_sentence_never_rounds_its_bar():
    check = _threshold_check("roc_auc", 0.98, 0.9999)
    assert not check["passed"]
    assert "0.9800, below the 0.9999" in check["sentence"], check["sentence"]
    with use_language("pt"):
        said = describe_check(check)
    assert "0,9999" in said and "1,00" not in said, said
    # The usual case keeps two decimals.
    assert "0.91, above the 0.80" in _threshold_check("roc_auc", 0.9123, 0.8)["sentence"]


def test_training_sentences_in_portuguese():
    problem = ProblemConfig(target="y", task="binary")
    with use_language("pt"):
        said = describe_sample(5000, 12000, 2000, 3000, problem)
        assert said is not None and "5.000" in said and "12.000" in said and "3.000" in said, said
        assert _duration(45.4).startswith("45") and _duration(600) == "10 min"
        gain = describe_gain("roc_auc", 0.8442, 0.84)
        assert "0,0042" in gain, gain
    assert "12,000" in (describe_sample(5000, 12000, 2000, 3000, problem) or "")


def test_stage_and_audit_sentences_in_portuguese():
    rerun = {"run_id": 7, "reproduced": False, "original_cv_scores": [0.81, 0.82], "rerun_cv_scores": [0.81, 0.8325]}
    with use_language("pt"):
        said = describe_rerun(rerun)
        assert "0,013" in said, said
        entry = describe_audit_entry(
            "rollout.canary_step", {"deployment_id": 3, "share": 2.5, "decision": "advance"}, {}
        )
        assert "2,5%" in entry, entry
    assert "2.5%" in describe_audit_entry(
        "rollout.canary_step", {"deployment_id": 3, "share": 2.5, "decision": "advance"}, {}
    )


def test_a_canary_error_in_portuguese_writes_decimal_commas():
    with use_language("pt"), pytest.raises(StudioError) as raised:
        CanaryPlan(steps=(2.5, 1.0)).validate()
    assert "2,5, 1" in str(raised.value), str(raised.value)
