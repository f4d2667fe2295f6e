"""The gate's check sentences keep their English template and values, so a gate computed in English
(the CLI, a job) is shown in the reader's language, and the other way round."""

from core.evaluation.gate import check_gate, describe_check
from core.i18n import use_language
from core.problem.definition import ProblemConfig
from tests.unit.evaluation.test_gate import result

AUC = ProblemConfig(target="churn", task="binary", positive_class="Yes", metric="roc_auc", threshold=0.75)


def test_a_gate_computed_in_english_reads_in_portuguese():
    gate = check_gate(AUC, result("hist_gb", roc_auc=0.84), result("baseline", roc_auc=0.5))
    first = gate.checks[0]
    assert first["sentence"] == "ROC-AUC on unseen data is 0.84, above the 0.75 the business asked for: GO."
    assert describe_check(first) == first["sentence"]
    with use_language("pt"):
        shown = describe_check(first)
        baseline = describe_check(gate.checks[1])
    assert shown.startswith("ROC-AUC nos dados não vistos é 0.84, acima dos 0.75 que o negócio pediu")
    assert shown.endswith(": GO.")  # go/no-go stays English in class (the glossary)
    assert baseline == "Supera a referência (baseline), que marca 0.50, por 0.34."


def test_a_gate_computed_in_portuguese_reads_in_english_and_old_gates_show_as_stored():
    with use_language("pt"):
        gate = check_gate(AUC, result("hist_gb", roc_auc=0.70), result("baseline", roc_auc=0.5))
    assert "abaixo" in gate.checks[0]["sentence"]
    assert describe_check(gate.checks[0]).startswith("ROC-AUC on unseen data is 0.70, below the 0.75")
    old = {"name": "latency", "passed": True, "sentence": "It answers one request in 3.0 ms."}
    with use_language("pt"):
        assert describe_check(old) == old["sentence"]
