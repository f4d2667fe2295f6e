"""The gate's personal-data check: a raw identifier among the features is NO-GO, a date of birth or an
address only flagged, hashed columns pass; the check's sentence is said again in Portuguese."""

from __future__ import annotations

import pandas as pd

from core.evaluation.gate import check_gate, describe_check
from core.i18n import use_language
from core.security.masking import hash_text
from core.security.pii import personal_features
from tests.unit.evaluation.test_gate import AUC, result

PEOPLE = pd.DataFrame(
    {
        "email": ["ana@mail.com", "joao@uol.com.br", "bia@gmail.com"],
        "data_nascimento": ["12/03/1985", "01/11/1990", "25/07/1978"],
        "tenure": [1, 5, 9],
        "churn": ["Yes", "No", "No"],
    }
)


def _gate(personal):
    return check_gate(AUC, result("hist_gb", roc_auc=0.84), result("baseline", roc_auc=0.5), personal=personal)


def test_a_raw_email_among_the_features_is_no_go():
    personal = personal_features(PEOPLE, "churn")
    assert personal == [{"column": "email", "kind": "email"}, {"column": "data_nascimento", "kind": "birth_date"}]
    gate = _gate(personal)
    assert not gate.passed
    check = gate.checks[-1]
    assert check["name"] == "personal_data" and not check["passed"]
    assert check["sentence"].startswith("Trained on raw personal data: email.")
    with use_language("pt"):
        assert "dados pessoais" in describe_check(check)


def test_a_date_of_birth_alone_is_flagged_not_blocking():
    gate = _gate(personal_features(PEOPLE, "churn", dropped=["email"]))
    assert gate.passed and gate.checks[-1]["informational"] and "data_nascimento" in gate.checks[-1]["sentence"]


def test_hashed_identifiers_pass():
    hashed = PEOPLE.assign(email=[hash_text(e, b"k" * 32) for e in PEOPLE["email"]]).drop(columns="data_nascimento")
    assert personal_features(hashed, "churn") == []
    assert _gate([]).passed and _gate([]).checks[-1]["sentence"] == "No feature holds raw personal data."


def test_without_the_information_no_check_is_added():
    assert [c["name"] for c in _gate(None).checks] == ["threshold", "beats_baseline"]
