"""Alert rules as data: the defaults give exactly the alerts monitoring gave before (frozen on the sample
scenarios), validation, comparisons, scope, cool-down, system signals, evidence and retrain reasons."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.monitoring.alerts import get_retrain_decision
from core.monitoring.drift import DriftConfig
from core.monitoring.evaluation import WindowTables, add_rule_reasons, decision_drift_config, evaluate_rules
from core.monitoring.performance import PERFORMANCE_WINDOWS_SCHEMA
from core.monitoring.reports import run_monitoring
from core.monitoring.rules import SIGNALS, AlertRule, get_default_rules, new_rule_id, validate_rules, with_changes
from core.monitoring.simulation import TrafficConfig, simulate_traffic
from core.monitoring.windows import (
    PERFORMANCE_SCHEMA,
    PREDICTION_DRIFT_SCHEMA,
    apply_schema,
    get_feature_drift_schema,
)
from core.workspace.errors import ConfigError

# Made by data/make_alerts_today.py on the code before rules were data: each case's tables and its alerts.
TODAY = json.loads((Path(__file__).parent / "data" / "alerts_today.json").read_text())


def tables_of(case: dict, **extra) -> WindowTables:
    config = DriftConfig.from_dict(case["config"])
    return WindowTables(
        apply_schema(pd.DataFrame(case["feature_drift"]), get_feature_drift_schema(config)),
        apply_schema(pd.DataFrame(case["prediction_drift"]), PREDICTION_DRIFT_SCHEMA),
        apply_schema(pd.DataFrame(case["performance"]), PERFORMANCE_SCHEMA),
        apply_schema(pd.DataFrame(case["performance_windows"]), PERFORMANCE_WINDOWS_SCHEMA),
        window_rows={int(k): v for k, v in case["window_rows"].items()},
        **extra,
    )


@pytest.mark.parametrize("case", TODAY, ids=[c["case"] for c in TODAY])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_default_rules_give_the_same_alerts_as_before_on_the_sample_scenarios(case, task):
    got = evaluate_rules(get_default_rules(task, "roc_auc"), tables_of(case), DriftConfig.from_dict(case["config"]))
    assert [(a.level, a.window, a.kind, a.message) for a in got] == [
        (a["level"], a["window"], a["kind"], a["message"]) for a in case["alerts"]
    ]
    assert all(a.rule and a.chart and a.evidence["window"] == a.window for a in got)


def test_the_frozen_cases_cover_every_kind_and_both_severities():
    seen = {(a["kind"], a["level"]) for case in TODAY for a in case["alerts"]}
    assert {"data_drift", "new_values", "prediction_drift", "performance", "performance_decay"} <= {k for k, _ in seen}
    assert ("data_drift", "warning") in seen and ("data_drift", "critical") in seen


def case_named(prefix: str) -> dict:
    return next(c for c in TODAY if c["case"].startswith(prefix))


def test_each_alert_names_its_rule_its_chart_and_its_evidence():
    case = case_named("card_fraud-new_category")
    alerts = evaluate_rules(get_default_rules("binary", "roc_auc"), tables_of(case))
    new = next(a for a in alerts if a.kind == "new_values")
    assert new.rule == "new_values" and new.chart == "drift_heatmap" and new.level == "critical"
    assert new.evidence["threshold"] == 0.05 and new.evidence["rows"] == 500
    assert new.evidence["value"] == max(new.evidence["features"].values()) >= 0.05
    bar = next(a for a in alerts if a.kind == "performance")
    assert bar.chart == "performance" and bar.evidence["value"] < bar.evidence["threshold"] == 0.95
    json.dumps([a.to_dict() for a in alerts], allow_nan=False)


def test_raising_a_threshold_silences_the_alerts_below_it():
    case = case_named("house_prices-sudden")
    rules = get_default_rules("regression", "mae")
    before = [a for a in evaluate_rules(rules, tables_of(case)) if a.kind == "prediction_drift"]
    assert before
    highest = max(a.evidence["value"] for a in before)
    edited = [with_changes(r, threshold=highest + 0.01) if r.id == "prediction_drift" else r for r in rules]
    assert not [a for a in evaluate_rules(edited, tables_of(case)) if a.kind == "prediction_drift"]
    off = [with_changes(r, enabled=False) if r.id == "business_bar" else r for r in rules]
    assert not [a for a in evaluate_rules(off, tables_of(case)) if a.kind == "performance"]


def window_table(psi: list[float]) -> WindowTables:
    windows = list(range(1, len(psi) + 1))
    prediction = pd.DataFrame({"window": windows, "psi": psi, "label": ["major drift"] * len(psi), "mean_score": 0.5})
    empty_drift = apply_schema(
        pd.DataFrame(columns=list(get_feature_drift_schema(DriftConfig()))), get_feature_drift_schema(DriftConfig())
    )
    bar = apply_schema(pd.DataFrame(columns=list(PERFORMANCE_SCHEMA)), PERFORMANCE_SCHEMA)
    return WindowTables(
        empty_drift, apply_schema(prediction, PREDICTION_DRIFT_SCHEMA), bar, window_rows=dict.fromkeys(windows, 100)
    )


def test_cool_down_keeps_a_rule_quiet_unless_severity_rises():
    warn = AlertRule("scores", "Scores shifted", "prediction_psi", ">=", 0.25, severity="warning", cooldown=2)
    tables = window_table([0.3, 0.3, 0.3, 0.3, 0.3, 0.3])
    assert [a.window for a in evaluate_rules([warn], tables)] == [1, 4]
    crit = AlertRule(
        "scores_major", "Scores shifted a lot", "prediction_psi", ">=", 1.0, severity="critical", cooldown=2
    )
    tables = window_table([0.3, 1.5, 0.3, 0.3, 1.5, 0.3])
    alerts = evaluate_rules([warn, crit], tables)
    # 1 warns; 2 rises to critical despite the warning's cool-down; 3-4 stay quiet (the critical cools
    # down, and a warning is no rise); 5: the critical rule fires again after its cool-down.
    assert [(a.window, a.level) for a in alerts] == [(1, "warning"), (2, "critical"), (5, "critical")]
    assert [a.rule for a in alerts] == ["scores", "scores_major", "scores_major"]


def test_a_rule_scoped_to_the_last_windows_looks_only_there():
    rule = AlertRule("scores", "Scores shifted", "prediction_psi", ">=", 0.25, last_windows=2)
    assert [a.window for a in evaluate_rules([rule], window_table([0.3] * 5))] == [4, 5]


def test_min_features_counts_the_features_that_meet_the_comparison():
    case = case_named("card_fraud-new_category")
    drift = tables_of(case).feature_drift_df
    window = int(drift.loc[drift["psi"].idxmax(), "window"])
    count = int((drift.loc[drift["window"] == window, "psi"] >= 0.1).sum())
    rule = AlertRule("moved", "Features moved", "psi", ">=", 0.1, min_features=count)
    assert window in [a.window for a in evaluate_rules([rule], tables_of(case))]
    stricter = with_changes(rule, min_features=count + 1)
    assert window not in [a.window for a in evaluate_rules([stricter], tables_of(case))]
    pvalue = AlertRule("test", "Drift test fails at 1%", "drift_pvalue", "<", 0.01)
    flagged = evaluate_rules([pvalue], tables_of(case))
    assert flagged and all(a.kind == "data_drift" and a.evidence["value"] < 0.01 for a in flagged)


SYSTEM = pd.DataFrame(
    {
        "window": [1, 2, 3],
        "version": ["m v1"] * 3,
        "requests": [25, 25, 25],
        "rows": [500, 500, 500],
        "latency_p50_ms": [2.0, 3.0, 40.0],
        "latency_p95_ms": [9.0, 12.0, 900.0],
        "throughput_rps": [50.0, 48.0, 3.0],
        "error_rate": [0.0, 0.02, 0.0],
        "rejection_rate": [0.0, 0.0, 0.5],
    }
)


def test_system_rules_speak_only_when_the_report_has_the_system_table():
    rules = [r for r in get_default_rules("binary", "roc_auc") if SIGNALS[r.signal].system]
    assert evaluate_rules(rules, window_table([0.0, 0.0, 0.0])) == []
    tables = WindowTables(**{**window_table([0.0, 0.0, 0.0]).__dict__, "system_df": SYSTEM})
    alerts = evaluate_rules(rules, tables)
    assert [(a.window, a.kind, a.level) for a in alerts] == [
        (2, "error_rate", "critical"),
        (3, "latency", "warning"),
        (3, "rejection_rate", "warning"),
    ]
    assert alerts[1].message.startswith("In window 3, the slowest 5% of answers from m v1 took 900 ms")
    assert "2.0% of the rows sent to m v1 got an error" in alerts[0].message and alerts[0].chart == "system_health"


def test_a_system_alert_in_a_canary_window_names_the_worse_version():
    rules = [r for r in get_default_rules("binary", "roc_auc") if r.signal == "latency_p95_ms"]
    canary = pd.concat([SYSTEM, SYSTEM.assign(version="m v2", latency_p95_ms=[9.0, 2500.0, 10.0])])
    tables = WindowTables(**{**window_table([0.0, 0.0, 0.0]).__dict__, "system_df": canary})
    alerts = evaluate_rules(rules, tables)
    assert [a.window for a in alerts] == [2]  # window 3 (v1's 900 ms) falls in the rule's cool-down
    assert alerts[0].message.startswith("In window 2, the slowest 5% of answers from m v2 took 2,500 ms")
    assert alerts[0].evidence["version"] == "m v2" and alerts[0].evidence["value"] == 2500.0


def test_multivariate_rule_is_off_by_default_and_says_which_columns_drive_it():
    case = case_named("card_fraud-sudden")
    domain = pd.DataFrame(case["multivariate_drift"])
    features = pd.DataFrame(case["multivariate_features"])
    assert domain["drifted"].any()
    tables = tables_of(case, domain_drift_df=domain, domain_features_df=features)
    defaults = get_default_rules("binary", "roc_auc")
    assert not [a for a in evaluate_rules(defaults, tables) if a.kind == "multivariate_drift"]
    on = [with_changes(r, enabled=True) if r.id == "multivariate_drift" else r for r in defaults]
    alerts = [a for a in evaluate_rules(on, tables) if a.kind == "multivariate_drift"]
    assert [a.window for a in alerts] == sorted(domain.loc[domain["drifted"], "window"].tolist())
    assert "the inputs drifted together" in alerts[0].message and alerts[0].chart == "domain_drift"


def test_estimated_decay_warns_only_for_unlabelled_windows_and_only_when_switched_on():
    case = case_named("card_fraud-concept-seed2")
    windows = pd.DataFrame(case["performance_windows"])
    last = windows["window"].max()
    windows.loc[windows["window"] == last, ["estimate_decayed", "labelled", "decayed"]] = [True, False, False]
    tables = tables_of({**case, "performance_windows": windows.to_dict(orient="records")})
    delayed = get_default_rules("binary", "roc_auc", labels_delayed=True)
    (alert,) = [a for a in evaluate_rules(delayed, tables) if a.kind == "estimated_decay"]
    assert alert.window == last and alert.level == "warning" and "labels have not arrived" in alert.message
    assert not [
        a for a in evaluate_rules(get_default_rules("binary", "roc_auc"), tables) if a.kind == "estimated_decay"
    ]
    # Multi-class and regression are estimated too (CBPE, a model of the errors): their rule exists, on when labels lag.
    for task, metric in (("regression", "rmse"), ("multiclass", "accuracy")):
        (rule,) = [r for r in get_default_rules(task, metric, labels_delayed=True) if r.signal == "estimated_decay"]
        assert rule.enabled


def test_a_rule_marked_as_a_retrain_reason_adds_one():
    rule = AlertRule("scores", "Scores shifted", "prediction_psi", ">=", 0.25, retrain_reason=True)
    alerts = evaluate_rules([rule], window_table([0.0, 0.3]))
    retrain, reason = add_rule_reasons(False, "ROC-AUC is 0.9 in window 2: keep monitoring.", alerts, [rule], 2)
    assert retrain and "rule 'Scores shifted' counts as a reason to retrain" in reason
    assert add_rule_reasons(False, "keep monitoring.", alerts, [with_changes(rule, retrain_reason=False)], 2) == (
        False,
        "keep monitoring.",
    )
    assert add_rule_reasons(False, "keep.", evaluate_rules([rule], window_table([0.3, 0.0])), [rule], 2)[0] is False


def test_the_strong_drift_rule_sets_what_the_retrain_decision_calls_strong_drift():
    config = DriftConfig()
    defaults = get_default_rules("binary", "roc_auc", config=config)
    assert decision_drift_config(defaults, config) == config  # the defaults decide as before
    major = next(r for r in defaults if r.id == "data_drift_major")
    raised = [with_changes(r, threshold=1.5) if r is major else r for r in defaults]
    assert decision_drift_config(raised, config).psi_threshold == 1.5
    off = [with_changes(r, enabled=False) if r is major else r for r in defaults]
    assert decision_drift_config(off, config).psi_threshold == float("inf")  # strong drift alone: no retraining
    drift = pd.DataFrame(
        {
            "window": [1, 1],
            "feature": ["a", "b"],
            "psi": [0.9, 0.8],
            "drifted": [True, True],
            "new_share": [0.0, 0.0],
        }
    )
    performance = pd.DataFrame(columns=["window", "metric", "value", "threshold", "passed"])
    assert get_retrain_decision(drift, performance, decision_drift_config(defaults, config), latest=1)[0]
    assert not get_retrain_decision(drift, performance, decision_drift_config(raised, config), latest=1)[0]


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"signal": "nope"}, "'signal' of alert rule 'r' must be one of"),
        ({"comparison": "<"}, "'comparison' of alert rule 'r' must be one of >=, >"),
        ({"threshold": None}, "'threshold' of alert rule 'r' must be a number"),
        ({"threshold": -1.0}, "'threshold' of alert rule 'r' must be a number of at least 0"),
        ({"severity": "urgent"}, "'severity' of alert rule 'r' must be warning or critical"),
        ({"cooldown": 1.5}, "'cooldown' of alert rule 'r' must be a whole number"),
        ({"last_windows": 0}, "'last_windows' of alert rule 'r' must be empty"),
        ({"id": "Has Space"}, "'id' of an alert rule must be"),
        ({"name": " "}, "'name' of alert rule 'r' must be"),
    ],
)
def test_invalid_rules_are_refused_with_what_to_do(changes, words):
    rule = AlertRule("r", "Scores", "prediction_psi", ">=", 0.25)
    with pytest.raises(ConfigError, match=words.replace("(", r"\(")):
        with_changes(rule, **changes)


def test_rules_round_trip_and_refuse_unknown_fields_and_twin_ids():
    for rule in get_default_rules("binary", "roc_auc"):
        assert AlertRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule
        assert rule.describe().startswith(rule.severity.capitalize())
    with pytest.raises(ConfigError, match="unknown fields"):
        AlertRule.from_dict({**get_default_rules("binary", "roc_auc")[0].to_dict(), "colour": "red"})
    rule = AlertRule("r", "Scores", "prediction_psi", ">=", 0.25)
    with pytest.raises(ConfigError, match="Two alert rules have the id 'r'"):
        validate_rules([rule, rule])
    assert new_rule_id("Latency p95 > 800 ms!", {"latency_p95_800_ms"}) == "latency_p95_800_ms_2"


def test_run_monitoring_uses_the_rules_the_system_table_and_a_marked_reason():
    """The wiring: run_monitoring's alerts come from the rules it is given, its system table feeds the
    system rules, and a marked rule that fires in the last window turns 'keep monitoring' into 'retrain'."""
    rng = np.random.default_rng(0)
    pool = pd.DataFrame({"x": rng.normal(size=2000), "y": rng.integers(0, 2, 2000)})
    traffic = simulate_traffic(pool, "y", "classification", TrafficConfig(windows=3, rows_per_window=200, seed=1))

    def monitor(rules, system_df=None):
        return run_monitoring(
            pool,
            traffic,
            feature_columns=["x"],
            predict_scores=lambda rows: 1 / (1 + np.exp(-rows["x"].to_numpy())),
            reference_scores=1 / (1 + np.exp(-pool["x"].to_numpy())),
            target="y",
            task="classification",
            metric="roc_auc",
            threshold=0.0,
            domain=None,
            rules=rules,
            system_df=system_df,
        )

    calm = monitor(None)
    assert not calm.alerts and not calm.retrain_recommended
    slow = AlertRule("slow", "Slow answers", "latency_p95_ms", ">=", 500.0, severity="critical", retrain_reason=True)
    assert monitor([slow]).alerts == []  # no system table: the system rule is not evaluated
    report = monitor([slow], SYSTEM)
    assert [(a.window, a.rule, a.evidence["rows"]) for a in report.alerts] == [(3, "slow", 200)]
    assert report.retrain_recommended and "rule 'Slow answers' counts as a reason to retrain" in report.reason
