"""What Monitor says about a report once someone acted on it (core.monitoring.retraining)."""

from core.monitoring.retraining import describe_monitoring_outcome

REASON = "2 features drifted strongly (a, b) in window 6: retrain."
RETRAINED = {
    "retrained_metric_on_fresh": 0.853,
    "champion_metric_on_fresh": 0.848,
    "fresh_rows_eval": 1000,
    "registered": {"model": "churn", "version": 2, "alias": "challenger", "id": 2},
}


def test_a_report_nobody_acted_on_is_its_own_decision():
    keep = describe_monitoring_outcome(False, "No drift.", "roc_auc", None, monitored_version=1, live_version=1)
    assert (keep.level, keep.headline) == ("success", "Keep monitoring.")
    retrain = describe_monitoring_outcome(True, REASON, "roc_auc", None, monitored_version=1, live_version=1)
    assert (retrain.level, retrain.headline) == ("warning", "Retrain recommended.")
    assert retrain.text.startswith(REASON)


def test_after_a_retraining_it_says_what_was_registered_and_what_to_do_next():
    verdict = describe_monitoring_outcome(True, REASON, "roc_auc", RETRAINED, monitored_version=1, live_version=1)
    assert (verdict.level, verdict.headline) == ("info", "Retrained: challenger v2 is ready.")
    assert "ROC-AUC 0.853 against the champion's 0.848 (better)" in verdict.text  # 3 decimals: 2 look equal
    assert "1,000 fresh production rows" in verdict.text and "promote it" in verdict.text


def test_a_retraining_the_gate_refused_says_nothing_was_registered():
    refused = {**RETRAINED, "registered": None, "retrained_metric_on_fresh": 0.80}
    verdict = describe_monitoring_outcome(True, REASON, "roc_auc", refused, monitored_version=1, live_version=1)
    assert verdict.level == "warning" and "did not pass the gate" in verdict.headline
    assert "0.80 against the champion's 0.85" in verdict.text and "nothing was registered" in verdict.text


def test_lower_is_better_metrics_compare_the_right_way():
    errors = {**RETRAINED, "retrained_metric_on_fresh": 1200.0, "champion_metric_on_fresh": 1500.0}
    verdict = describe_monitoring_outcome(True, REASON, "rmse", errors, monitored_version=1, live_version=1)
    assert "RMSE 1,200 against the champion's 1,500 (better)" in verdict.text


def test_once_another_version_serves_the_report_is_about_the_old_one():
    verdict = describe_monitoring_outcome(True, REASON, "roc_auc", RETRAINED, monitored_version=1, live_version=2)
    assert verdict.headline == "v2 now serves."
    assert "This report watched v1" in verdict.text and "Simulate traffic again" in verdict.text


def test_a_registered_challenger_that_lost_its_alias_is_not_offered_for_promotion():
    verdict = describe_monitoring_outcome(
        True, REASON, "roc_auc", RETRAINED, monitored_version=1, live_version=1, registered_is_challenger=False
    )
    assert verdict.headline == "Retrained: v2 was registered, but it is no longer the challenger."
    assert "promote it" not in verdict.text and "v1 serves" in verdict.text
