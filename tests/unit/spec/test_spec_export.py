"""A project's choices as a spec, and a project made from one: export → import → export is identical, on
the studio's sample, a scikit-learn table and a Portuguese CSV. Nothing is trained here."""

import hashlib

import pytest

from core.data import datasets
from core.problem.store import get_problem
from core.spec import SpecError, create_project_from_spec, dump_spec, export_spec, load_spec
from core.spec.models import UploadSource
from core.workspace.database import Workspace
from core.workspace.projects import list_projects


def _round_trip(tmp_path, spec_text: str, data_path=None) -> tuple[str, str]:
    first, second = Workspace(tmp_path / "a"), Workspace(tmp_path / "b")
    pid = create_project_from_spec(first, load_spec(spec_text), data_path=data_path)
    exported = dump_spec(export_spec(first, pid))
    pid2 = create_project_from_spec(second, load_spec(exported), data_path=data_path)
    return exported, dump_spec(export_spec(second, pid2))


def test_sample_round_trip_is_identical_and_keeps_every_choice(tmp_path):
    text = """
project: {name: Churn from a spec, description: Who leaves next}
data: {source: "sample:telco_churn"}
problem: {target: churn, time_column: signup_date, costs: {false_negative: 500, false_positive: 50}}
features: {numeric_scaling: minmax, one_hot: true, max_categories: 10, date_parts: false}
training: {cv_folds: 3, models: [logistic, hist_gb], class_weight: balanced, seed: 11}
tuning: {method: random, budget: 4}
gate: {checks: [threshold, beats_baseline], register_on_no_go: false}
deployment: {strategy: canary, canary_steps: [10, 50, 100]}
monitoring: {scenario: sudden, windows: 4, retraining: {when_recommended: true, trigger: schedule}}
"""
    exported, again = _round_trip(tmp_path, text)
    assert exported == again
    spec = load_spec(exported)
    assert spec.data.source == "sample:telco_churn"
    assert spec.problem.time_column == "signup_date" and spec.problem.positive_class == "Yes"
    assert spec.problem.costs is not None and spec.problem.costs.false_positive == 50
    assert spec.cleaning.recipe, "the suggested cleaning is written out, step by step"
    assert spec.features is not None and spec.features.numeric_scaling == "minmax" and not spec.features.date_parts
    assert spec.training.models == ["logistic", "hist_gb"] and spec.training.seed == 11
    assert spec.tuning.method == "random" and spec.gate.checks == ["threshold", "beats_baseline"]
    assert spec.deployment.strategy == "canary" and spec.deployment.canary_steps == [10.0, 50.0, 100.0]
    assert spec.monitoring.retraining.trigger == "schedule" and spec.monitoring.retraining.when_recommended
    assert spec.project.description == "Who leaves next"


def test_the_project_is_made_as_if_chosen_in_the_ui(tmp_path):
    ws = Workspace(tmp_path / "ws")
    spec = load_spec('data: {source: "sample:house_prices"}\nproblem: {target: price, metric: mae, threshold: 50000}')
    pid = create_project_from_spec(ws, spec, name="Houses")
    problem = get_problem(ws, pid)
    assert problem is not None and (problem.task, problem.metric, problem.threshold) == ("regression", "mae", 50000)
    assert datasets.latest_dataset(ws, pid, "cleaned") is not None
    assert [p["name"] for p in list_projects(ws)] == ["Houses"]
    assert ws.query_one("SELECT COUNT(*) AS n FROM experiments")["n"] == 0  # nothing trained


def test_scikit_learn_table_round_trip(tmp_path, wine_csv):
    exported, again = _round_trip(
        tmp_path, f"data: {{source: '{wine_csv}'}}\nproblem: {{target: target, metric: accuracy}}"
    )
    assert exported == again
    spec = load_spec(exported)
    assert spec.problem.task == "multiclass" and spec.data.source == str(wine_csv)


def test_portuguese_csv_round_trip_keeps_how_it_was_read(tmp_path, portuguese_csv):
    exported, again = _round_trip(
        tmp_path, "problem: {target: cancelou, positive_class: sim, time_column: data_adesão}", data_path=portuguese_csv
    )
    assert exported == again
    spec = load_spec(exported)
    assert (spec.data.delimiter, spec.data.decimal) == (";", ",")
    assert spec.data.encoding is not None and spec.data.encoding.lower().replace("-", "") in (
        "latin1",
        "iso88591",
        "cp1252",
    )
    assert spec.problem.positive_class == "sim" and spec.problem.time_column == "data_adesão"


def test_a_spec_that_does_not_fit_the_table_leaves_no_project(tmp_path):
    ws = Workspace(tmp_path / "ws")
    for text, expected in [
        (
            'data: {source: "sample:telco_churn"}\nproblem: {target: churned}',
            "problem.target: 'churned' is not a column",
        ),
        ('data: {source: "sample:telco_churn"}\nproblem: {target: churn, metric: r2}', "problem.metric:"),
        (
            'data: {source: "sample:house_prices"}\nproblem: {target: price}\ntraining: {models: [naive_bayes]}',
            "training.models[0]:",
        ),
        ("problem: {target: churn}", "data.source: is empty"),
    ]:
        with pytest.raises(SpecError, match=None) as info:
            create_project_from_spec(ws, load_spec(text))
        assert expected in str(info.value)
    assert list_projects(ws) == []


def test_export_of_a_project_made_in_the_ui_without_a_spec(ws):
    from core.data.reader import read_path
    from core.pipeline import SAMPLE_DIR, stage_clean, stage_features, stage_ingest, stage_problem
    from core.workspace.projects import create_project

    pid = create_project(ws, "By hand")["id"]
    df, info = read_path(SAMPLE_DIR / "card_fraud.csv")
    raw = stage_ingest(ws, pid, df, info, "card_fraud.csv")
    cleaned = stage_clean(ws, pid, raw["id"], target="is_fraud")
    stage_problem(ws, pid, cleaned["dataset"]["id"], "is_fraud")
    stage_features(ws, pid, cleaned["dataset"]["id"])
    spec = export_spec(ws, pid)
    assert spec.data.source == "sample:card_fraud" and spec.problem.target == "is_fraud"
    assert dump_spec(load_spec(dump_spec(spec))) == dump_spec(spec)


def test_an_uploaded_file_makes_the_project_as_a_path_does(tmp_path, portuguese_csv):
    """The Home page's "Start from a spec" hands the uploaded table's bytes, not a path."""
    spec = load_spec("problem: {target: cancelou, positive_class: sim}")
    by_path = Workspace(tmp_path / "a")
    by_bytes = Workspace(tmp_path / "b")
    pid = create_project_from_spec(by_path, spec, data_path=portuguese_csv)
    pid2 = create_project_from_spec(by_bytes, spec, data_bytes=portuguese_csv.read_bytes(), data_name="clientes.csv")
    from_path, from_upload = export_spec(by_path, pid), export_spec(by_bytes, pid2)
    # The upload is named as what it is (a name and a hash), not as a path to read; the rest is the same.
    assert from_upload.data.source == UploadSource(
        upload="clientes.csv", sha256=hashlib.sha256(portuguese_csv.read_bytes()).hexdigest()
    )
    assert dump_spec(from_path.model_copy(update={"data": from_path.data.model_copy(update={"source": None})})) == (
        dump_spec(from_upload.model_copy(update={"data": from_upload.data.model_copy(update={"source": None})}))
    )
    assert dump_spec(load_spec(dump_spec(from_upload))) == dump_spec(from_upload)
    raw = datasets.latest_dataset(by_bytes, pid2, "raw")
    assert datasets.load_upload(by_bytes, raw["id"]) == portuguese_csv.read_bytes()


def test_changing_ones_mind_after_the_spec_shows_in_the_export(ws):
    """A project made from a spec, then its target changed on the Problem page: the export says what it chose last."""
    from core.pipeline import stage_problem

    pid = create_project_from_spec(ws, load_spec('data: {source: "sample:house_prices"}\nproblem: {target: price}'))
    dataset = datasets.latest_dataset(ws, pid, "cleaned")
    stage_problem(ws, pid, dataset["id"], "bedrooms")
    spec = export_spec(ws, pid)
    assert spec.problem.target == "bedrooms" and spec.problem.task == "multiclass"
    assert dump_spec(load_spec(dump_spec(spec))) == dump_spec(spec)
