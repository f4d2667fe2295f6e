"""The spec as text: YAML/JSON in, stable YAML out, the published JSON Schema, and one clear line per bad value."""

import json
from pathlib import Path

import pytest

from core.spec import PipelineSpec, SpecError, dump_spec, json_schema, json_schema_text, load_spec

ROOT = Path(__file__).resolve().parents[3]

FULL = """
project: {name: Churn, description: Who leaves next quarter}
data: {source: "sample:telco_churn", delimiter: ",", encoding: utf-8}
cleaning: {recipe: [{op: drop_duplicates, params: {}}]}
problem:
  target: churn
  task: binary
  positive_class: "Yes"
  metric: roc_auc
  threshold: 0.7
  time_column: signup_date
  costs: {false_negative: 500, false_positive: 50}
  max_latency_ms: 150
features: {numeric_scaling: minmax, one_hot: false, drop_columns: [customer_id]}
training: {models: [logistic, hist_gb], cv_folds: 3, class_weight: balanced, seed: 7}
tuning: {method: random, model: hist_gb, budget: 5}
gate: {checks: [threshold, beats_baseline], max_fairness_gap: 0.2, register_on_no_go: false}
deployment: {strategy: canary, canary_steps: [10, 50, 100], min_challenger_requests: 50}
monitoring:
  scenario: sudden
  windows: 4
  alert_rules:
    - {id: drifted, name: Drifted features, signal: psi, comparison: ">=", threshold: 0.2, min_features: 2}
  retraining: {when_recommended: true, trigger: schedule, every_windows: 3}
"""


def test_defaults_round_trip_exactly():
    text = dump_spec(PipelineSpec())
    assert dump_spec(load_spec(text)) == text
    assert text.startswith("# MLOps Studio pipeline spec")


def test_a_full_spec_round_trips_and_keeps_every_choice():
    spec = load_spec(FULL)
    text = dump_spec(spec)
    assert dump_spec(load_spec(text)) == text
    assert spec.problem.costs is not None and spec.problem.costs.false_negative == 500
    assert spec.training.models == ["logistic", "hist_gb"]
    assert spec.deployment.strategy == "canary"
    assert spec.monitoring.alert_rules is not None and spec.monitoring.alert_rules[0]["id"] == "drifted"
    # Sections in the model's order, fields too: a diff of two specs reads section by section.
    keys = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith((" ", "#", "-"))]
    assert keys == list(PipelineSpec.model_fields)


def test_json_is_read_as_well():
    spec = load_spec(FULL)
    assert load_spec(json.dumps(spec.model_dump(mode="json"))) == spec


def test_a_yes_no_label_written_bare_in_yaml_stays_the_studio_label():
    assert load_spec("problem: {positive_class: yes}").problem.positive_class == "True"
    assert load_spec("problem: {positive_class: 1}").problem.positive_class == "1"


def test_the_published_schema_is_current():
    """docs/pipeline-spec.schema.json is `mlops-studio spec --json-schema`: regenerate it when the model changes."""
    published = (ROOT / "docs" / "pipeline-spec.schema.json").read_text(encoding="utf-8")
    assert published == json_schema_text()


def test_every_field_is_documented_in_the_schema():
    schema = json_schema()
    undocumented = []
    for name, definition in [("PipelineSpec", schema), *schema["$defs"].items()]:
        for field, prop in definition.get("properties", {}).items():
            if not prop.get("description"):
                undocumented.append(f"{name}.{field}")
    assert not undocumented


# One bad value per section: one line naming the path, the value and what is allowed.
BAD = {
    "spec_version": ("spec_version: 2", "spec_version: 2 is not supported"),
    "unknown section": ("pipeline: {}", "pipeline: is not a field"),
    "project": ("project: {name: 3}", "project.name: 3"),
    "data": ("data: {decimal: ';'}", "data.decimal: ';' is not one of ., ,"),
    "data source": (
        'data: {source: "sample:titanic"}',
        "data.source: 'sample:titanic' is not one of sample:telco_churn",
    ),
    "data unknown field": ("data: {delim: ';'}", "data.delim: is not a field of this section; the fields are source"),
    "cleaning": ("cleaning: {recipe: [{op: melt_everything}]}", "cleaning.recipe:"),
    "problem metric": ("problem: {metric: acc}", "problem.metric: 'acc' is not one of roc_auc, f1_macro"),
    "problem metric for task": ("problem: {task: regression, metric: roc_auc}", "problem.metric: The metric 'roc_auc'"),
    "problem threshold": ("problem: {task: binary, threshold: 3}", "problem.threshold:"),
    "problem costs": ("problem: {costs: {false_negative: -1, false_positive: 2}}", "problem.costs.false_negative: -1"),
    "problem costs on regression": (
        "problem: {task: regression, costs: {false_negative: 1, false_positive: 2}}",
        "problem.costs: only apply to a yes/no",
    ),
    "features": ("features: {numeric_scaling: robust}", "features.numeric_scaling: 'robust' is not one of standard"),
    "training folds": ("training: {cv_folds: 1}", "training.cv_folds: 1"),
    "training model": ("training: {models: [gpt]}\nproblem: {task: binary}", "training.models[0]: The model 'gpt'"),
    "training time split": ("training: {validation: time-split}", "training.validation: a time split needs"),
    "tuning": ("tuning: {method: anneal}", "tuning.method: 'anneal' is not one of none, grid, random, bayes"),
    "tuning space": ("tuning: {space: [{name: C, kind: cubic}]}", "tuning.space[0]:"),
    "gate": ("gate: {checks: [vibes]}", "gate.checks[0]: 'vibes' is not one of threshold"),
    "gate gap": ("gate: {max_fairness_gap: 0}", "gate.max_fairness_gap:"),
    "deployment": ("deployment: {strategy: yolo}", "deployment.strategy: 'yolo' is not one of direct, canary"),
    "deployment steps": ("deployment: {canary_steps: [50, 10]}", "deployment.canary_steps:"),
    "monitoring": ("monitoring: {scenario: tsunami}", "monitoring.scenario: 'tsunami' is not one of none"),
    "monitoring rule": ("monitoring: {alert_rules: [{id: Bad Id}]}", "monitoring.alert_rules[0]:"),
    "retraining": ("monitoring: {retraining: {trigger: hourly}}", "monitoring.retraining.trigger: 'hourly'"),
    "drift start after the last window": ("monitoring: {windows: 2}", "monitoring.drift_start: The 'drift_start'"),
    "not a mapping": ("- a\n- b", "A spec must be a mapping"),
    "not yaml": ("problem: {target: [", "not valid YAML or JSON (line"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_value_is_one_line_that_names_the_field(case):
    text, expected = BAD[case]
    with pytest.raises(SpecError) as info:
        load_spec(text)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert "Traceback" not in message and "pydantic" not in message.lower()
