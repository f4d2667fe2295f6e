"""The audit log in words: each kind of entry gets a plain sentence; an unknown or older entry
still reads as its fields, never an error."""

import pytest

from core.registry.audit import describe_audit_entry

VERSIONS = {7: 3, 5: 2}  # model-version id → version number


@pytest.mark.parametrize(
    "action, detail, sentence",
    [
        ("project.created", {"name": "Churn"}, "Project 'Churn' created."),
        (
            "dataset.cleaned",
            {"dataset_id": 3, "name": "telco (cleaned)", "rows": 7070, "parent_id": 2},
            "Cleaned data saved as dataset 3 ('telco (cleaned)', 7,070 rows, made from dataset 2).",
        ),
        (
            "dataset.raw",
            {"dataset_id": 1, "name": "telco.csv", "rows": 12, "parent_id": None},
            "Raw data saved as dataset 1 ('telco.csv', 12 rows).",
        ),
        (
            "problem.set",
            {"target": "churn", "task": "binary", "metric": "roc_auc", "threshold": 0.75},
            "Problem set: predict 'churn' (binary); the gate needs ROC-AUC of at least 0.75.",
        ),
        (
            "problem.set",
            {"target": "price", "task": "regression", "metric": "rmse", "threshold": 25000.0},
            "Problem set: predict 'price' (regression); the gate needs RMSE of at most 25,000.",
        ),
        (
            "feature_set.saved",
            {"feature_set_id": 2, "version": 2, "dataset_id": 3},
            "Feature set version 2 built from dataset 3.",
        ),
        (
            "experiment.recorded",
            {"experiment_id": 4, "kind": "tuning", "gate": {"metric": "roc_auc", "value": 0.912, "passed": True}},
            "Experiment 4 recorded (tuning); the gate said GO (ROC-AUC 0.91).",
        ),
        (
            "model.registered",
            {
                "model": "churn",
                "version": 3,
                "run_id": 14,
                "sha256": "ab",
                "note": "override: demo",
                "decision_threshold": 0.13,
            },
            "churn v3 registered from run 14, answering yes from a score of 0.13; note: override: demo.",
        ),
        (
            "alias.set",
            {"model": "churn", "alias": "champion", "version_id": 7, "previous_version_id": 5, "reason": "promoted"},
            "The champion of churn is now v3 (was v2): promoted.",
        ),
        (
            "model.rolled_back",
            {"model": "churn", "from_version_id": 7, "to_version_id": 5, "reason": "too slow"},
            "churn rolled back from v3 to v2: too slow.",
        ),
        (
            "deployment.created",
            {
                "deployment_id": 2,
                "routing": {"strategy": "canary"},
                "champion_version_id": 5,
                "challenger_version_id": 7,
            },
            "Deployment 2 went live (canary) with champion v2 and challenger v3.",
        ),
        (
            "monitoring.report",
            {"report_id": 1, "scenario": "sudden", "retrain_recommended": True},
            "Monitoring report 1 on 'sudden' traffic: retraining recommended.",
        ),
        (
            "monitoring.retrained",
            {
                "report_id": 1,
                "experiment_id": 4,
                "registered": {"model": "churn", "version": 2, "alias": "challenger", "id": 9},
            },
            "Retrained after monitoring report 1 (experiment 4): registered churn v2 as challenger.",
        ),
        (
            "monitoring.retrained",
            {"report_id": 1, "experiment_id": 4, "registered": None},
            "Retrained after monitoring report 1 (experiment 4): the gate said no, so nothing was registered.",
        ),
    ],
)
def test_each_kind_of_entry_reads_as_a_sentence(action, detail, sentence):
    assert describe_audit_entry(action, detail, VERSIONS) == sentence


def test_an_unknown_version_id_is_named_as_an_id():
    text = describe_audit_entry("model.promoted", {"model": "m", "version_id": 99, "reason": ""}, VERSIONS)
    assert text == "m version id 99 promoted to champion."


@pytest.mark.parametrize(
    "action, detail, sentence",
    [
        ("something.new", {"a": 1, "b": None}, "something.new: a: 1."),
        ("alias.set", {"model": "m"}, "alias.set: model: m."),  # an older entry missing fields
        ("something.empty", {}, "something.empty."),
    ],
)
def test_unknown_or_incomplete_entries_list_their_fields(action, detail, sentence):
    assert describe_audit_entry(action, detail) == sentence
