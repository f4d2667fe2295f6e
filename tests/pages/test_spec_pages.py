"""Home's template gallery, "Start from a spec" and the spec export (Home and Registry), in English and
Portuguese: a template makes its project and offers the one-click run; a refused spec says one line and
nothing is lost; a spec's own text is never Markdown; a path in an uploaded spec is never read."""

from __future__ import annotations

import pytest

from core.data import datasets
from core.i18n import use_language
from core.spec import create_project_from_spec, dump_spec, export_spec, load_spec
from core.spec.templates import get_template, list_templates
from core.workspace import jobs
from core.workspace.projects import list_projects
from tests.pages.conftest import ROOT
from tests.pages.test_hostile_text import markdown_texts
from ui.text import escape_markdown

YAML = "application/x-yaml"


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def _home(fresh, lang: str | None = None):
    make, ws = fresh
    at = make()
    if lang:
        at.query_params["lang"] = lang
    return at, ws


def _iris_csv() -> bytes:
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame["species"] = frame.pop("target").map(dict(enumerate(load_iris().target_names)))
    return frame.to_csv(index=False).encode()


def _texts(at) -> str:
    return "\n".join(t.value for t in at.text)


# -- The gallery ---------------------------------------------------------------------------------------------
def test_the_gallery_shows_one_card_per_template_with_its_paragraph(fresh):
    at, _ws = _home(fresh)
    _ok(at.run())
    assert "New project from a template" in [h.value for h in at.subheader]
    bodies = "\n".join(m.value for m in at.markdown)
    for template in list_templates():
        assert f"**{template.title}**" in bodies
        assert template.describe() in bodies
        assert at.button(key=f"template_create_{template.code}").label == "Create project"
    assert at.button(key="template_create_blank").disabled  # no table uploaded yet
    assert not at.button(key="template_create_churn").disabled


def test_the_gallery_speaks_portuguese(fresh):
    at, _ws = _home(fresh, "pt")
    with use_language("pt"):
        _ok(at.run())
    headings = [h.value for h in at.subheader]
    assert "Novo projeto a partir de um template" in headings
    assert "Começar de uma especificação" in headings
    assert at.button(key="template_create_churn").label == "Criar projeto"
    bodies = "\n".join(m.value for m in at.markdown)
    assert "**Rotatividade de clientes: quem está prestes a sair?**" in bodies


def test_a_template_makes_its_project_and_offers_the_one_click_run(fresh):
    at, ws = _home(fresh)
    _ok(at.run())
    at.button(key="template_create_churn").click().run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    (project,) = list_projects(ws)
    assert project["name"] == "Customer churn"
    assert at.query_params["project"] == str(project["id"])
    assert "Created project Customer churn" in at.success[0].value
    run = at.button(key="template_run_churn")
    assert run.label == "Run it to a monitored deployment" and not run.disabled
    # The project holds what the spec chose: its export says the same problem and costs.
    exported = export_spec(ws, project["id"])
    assert exported.problem.target == "churn" and exported.problem.time_column == "signup_date"
    assert exported.problem.costs is not None and exported.problem.costs.false_negative == 500.0


def test_the_blank_template_takes_an_uploaded_table_and_its_target(fresh):
    at, ws = _home(fresh)
    _ok(at.run())
    at.file_uploader(key="template_data_blank").set_value(("iris.csv", _iris_csv(), "text/csv")).run()
    _ok(at)
    assert at.button(key="template_create_blank").disabled  # the target is not chosen yet
    at.selectbox(key="template_target_blank").select("species").run()
    at.button(key="template_create_blank").click().run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    (project,) = list_projects(ws)
    assert project["name"] == "iris"  # named after the uploaded file
    assert export_spec(ws, project["id"]).problem.target == "species"
    assert at.button(key="template_run_blank").label == "Run it to a monitored deployment"


# -- The templates themselves ---------------------------------------------------------------------------------
SAMPLED = [t for t in list_templates() if not t.needs_data]


@pytest.mark.parametrize("template", SAMPLED, ids=lambda t: t.code)
def test_every_template_makes_its_project_and_exports_what_it_chose(tmp_path, template):
    from core.workspace.database import Workspace

    ws = Workspace(tmp_path)
    assert dump_spec(load_spec(dump_spec(template.spec))) == dump_spec(template.spec)
    pid = create_project_from_spec(ws, template.spec)
    exported = export_spec(ws, pid)
    assert exported.data.source == template.spec.data.source
    assert exported.problem.target == template.spec.problem.target
    assert exported.problem.time_column == template.spec.problem.time_column
    assert exported.cleaning.recipe == template.spec.cleaning.recipe


def test_each_template_holds_what_its_paragraph_promises():
    churn, fraud, houses = (get_template(code).spec for code in ("churn", "card_fraud", "house_prices"))
    assert churn.problem.costs is not None and churn.problem.costs.false_negative > churn.problem.costs.false_positive
    assert churn.problem.time_column == "signup_date" and churn.problem.threshold == 0.75
    assert fraud.problem.time_column == "timestamp" and fraud.training.class_weight == "balanced"
    assert fraud.problem.costs is not None and fraud.deployment.strategy == "canary"
    assert houses.problem.task == "regression" and houses.problem.metric == "r2"
    assert any(step["params"].get("column") == "price" for step in houses.cleaning.recipe or [])


def test_the_blank_template_is_only_defaults():
    from core.spec import PipelineSpec, spec_to_dict

    blank = get_template("blank")
    assert blank.needs_data and blank.spec.data.source is None and blank.spec.problem.target is None
    assert spec_to_dict(blank.spec) == spec_to_dict(PipelineSpec())


@pytest.mark.parametrize("template", list_templates(), ids=lambda t: t.code)
def test_every_paragraph_has_three_to_five_sentences_in_both_languages(template):
    import re

    from core.i18n import _

    for language in ("en", "pt"):
        with use_language(language):
            paragraph = _(template.paragraph)
        if language == "pt":
            assert paragraph != template.paragraph, "untranslated"
        sentences = [s for s in re.split(r"(?<=[.?!])\s+(?=[A-Z])", paragraph) if s]
        assert 3 <= len(sentences) <= 5, sentences


# -- Start from a spec ------------------------------------------------------------------------------------
def _upload_spec(at, text: str, name: str = "pipeline.yaml"):
    at.file_uploader(key="spec_upload").set_value((name, text.encode(), YAML)).run()
    return _ok(at)


@pytest.mark.parametrize(
    "text, path",
    [
        ("problem:\n  metric: acc\n", "problem.metric"),
        ("spec_version: 1\ntraining:\n  cv_folds: 1\n", "training.cv_folds"),
        ("spec_version: 1\nwhat: is this\n", "what"),
        ("problem: [unclosed\n", ""),
    ],
)
def test_a_refused_spec_says_one_line_and_nothing_is_made(fresh, text, path):
    at, ws = _home(fresh)
    _ok(at.run())
    _upload_spec(at, text)
    (error,) = at.error
    assert "\n" not in error.value and path in error.value
    assert "Traceback" not in error.value
    assert not list_projects(ws)
    assert at.file_uploader(key="spec_upload").value is not None  # still there, to be fixed and sent again


def test_a_spec_in_latin1_is_refused_in_one_line(fresh):
    at, ws = _home(fresh)
    _ok(at.run())
    at.file_uploader(key="spec_upload").set_value(("p.yaml", "project:\n  name: Análise\n".encode("latin-1"), YAML))
    _ok(at.run())
    assert "not UTF-8" in at.error[0].value
    assert not list_projects(ws)


def test_a_spec_makes_its_project_then_offers_the_run(fresh):
    at, ws = _home(fresh)
    _ok(at.run())
    _upload_spec(at, get_template("house_prices").text)
    assert "Target: price" in _texts(at)
    at.text_input(key="spec_project_name").input("Casas – turma B")
    at.button(key="spec_create").click().run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    (project,) = list_projects(ws)
    assert project["name"] == "Casas – turma B"
    assert at.button(key="spec_run").label == "Run it to a monitored deployment"


def test_a_path_in_an_uploaded_spec_is_never_read_on_the_server(fresh, tmp_path):
    secret = tmp_path / "server_side.csv"
    secret.write_text("a,b\n1,2\n3,4\n")
    at, ws = _home(fresh)
    _ok(at.run())
    _upload_spec(at, f"project:\n  name: Sneaky\ndata:\n  source: {secret}\nproblem:\n  target: b\n")
    assert at.button(key="spec_create").disabled  # the table must be uploaded
    assert any("not read on this server" in c.value for c in at.caption)
    at.file_uploader(key="spec_data_upload").set_value(("iris.csv", _iris_csv(), "text/csv")).run()
    at.button(key="spec_create").click().run()
    _ok(at)
    # The uploaded table was used, not the server's file: its columns have no 'b'.
    assert "problem.target" in at.error[0].value and "sepal length (cm)" in at.error[0].value
    assert not list_projects(ws)


def test_a_spec_without_a_target_asks_for_one_among_the_uploaded_columns(fresh):
    at, ws = _home(fresh)
    _ok(at.run())
    _upload_spec(at, "spec_version: 1\ntraining:\n  cv_folds: 3\n")
    assert at.button(key="spec_create").disabled  # no table yet
    at.file_uploader(key="spec_data_upload").set_value(("iris.csv", _iris_csv(), "text/csv")).run()
    assert at.button(key="spec_create").disabled  # no target yet
    at.selectbox(key="spec_target").select("species").run()
    at.button(key="spec_create").click().run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    (project,) = list_projects(ws)
    exported = export_spec(ws, project["id"])
    assert exported.problem.target == "species" and exported.training.cv_folds == 3
    assert at.button(key="spec_run").label == "Run it to a monitored deployment"
    # Another spec uploaded in its place is not this project's: it offers to create, not to run.
    _upload_spec(at, get_template("churn").text, name="other.yaml")
    assert not [b for b in at.button if b.key == "spec_run"]
    assert at.button(key="spec_create")


def test_a_specs_own_text_is_never_markdown(fresh):
    hostile = "[p](https://evil.example) **p** :red[p] $p^2$"
    text = (
        f"project:\n  name: '{hostile}'\n  description: '<b>d</b> [d](https://evil.example)'\n"
        "data:\n  source: sample:house_prices\nproblem:\n  target: price\n"
    )
    at, ws = _home(fresh)
    _ok(at.run())
    _upload_spec(at, text)
    assert hostile in _texts(at) and "<b>d</b> [d](https://evil.example)" in _texts(at)
    at.button(key="spec_create").click().run()
    _ok(at)
    for where, shown in markdown_texts(at):
        assert "[p](https://evil.example)" not in shown, where
        assert "**p**" not in shown, where
    assert escape_markdown(hostile) in at.success[0].value
    assert list_projects(ws)[0]["name"] == hostile


def test_start_from_a_spec_in_portuguese(fresh):
    at, _ws = _home(fresh, "pt")
    with use_language("pt"):
        _ok(at.run())
        _upload_spec(at, "problem:\n  metric: acc\n")
    assert "problem.metric" in at.error[0].value
    assert any("Corrija essa linha" in c.value for c in at.caption)


# -- Export -------------------------------------------------------------------------------------------------
def _download_labels(at) -> list[str]:
    return [element.proto.label for element in at.get("download_button")]


def test_home_exports_the_open_projects_spec(fresh):
    from ui.spec_panel import export_bytes, spec_file_name

    at, ws = _home(fresh)
    pid = create_project_from_spec(ws, get_template("card_fraud").spec)
    at.query_params["project"] = str(pid)
    _ok(at.run())
    assert "Export this project's spec (YAML)" in _download_labels(at)
    assert spec_file_name("Card fraud") == "pipeline-card-fraud.yaml"
    # What the button hands out: the project's spec, which loads back to itself.
    text = export_bytes(ws, pid).decode()
    assert dump_spec(load_spec(text)) == text
    assert load_spec(text).deployment.strategy == "canary"


def test_home_without_a_project_has_nothing_to_export(fresh):
    at, _ws = _home(fresh)
    _ok(at.run())
    assert not _download_labels(at)
    assert any("Open a project to export" in c.value for c in at.caption)


def test_registry_offers_the_export_in_both_languages(app):
    at = app()
    at.switch_page(str(ROOT / "pages" / "6_Registry.py"))
    _ok(at.run())
    assert "Export this project's spec (YAML)" in _download_labels(at)
    at = app()
    at.query_params["lang"] = "pt"
    at.switch_page(str(ROOT / "pages" / "6_Registry.py"))
    with use_language("pt"):
        _ok(at.run())
    assert "Exportar a especificação deste projeto (YAML)" in _download_labels(at)


def test_spec_file_names_keep_only_plain_characters():
    from ui.spec_panel import spec_file_name

    assert spec_file_name("Churn – Alice [v2]") == "pipeline-churn-alice-v2.yaml"
    assert spec_file_name("../../etc/passwd") == "pipeline-etc-passwd.yaml"
    assert spec_file_name("Análise") == "pipeline-an-lise.yaml"
    assert spec_file_name("***") == "pipeline.yaml"


# -- One click to a monitored deployment ---------------------------------------------------------------------
@pytest.mark.slow
def test_one_click_runs_the_template_to_monitor(fresh):
    at, ws = _home(fresh)
    _ok(at.run())
    at.button(key="template_create_churn").click().run()
    pid = list_projects(ws)[0]["id"]
    at.button(key="template_run_churn").click().run()
    _ok(at)
    job = jobs.latest_job(ws, pid, "spec_run")
    assert job is not None
    done = jobs.wait_for_job(ws, job["id"], timeout=600)
    assert done["status"] == "succeeded", done["error"]
    assert done["result"]["summary"]["registry"]["alias"] == "champion"
    at.run()  # the run this session watched lands on Monitor
    _ok(at)
    assert at.query_params["project"] == str(pid)
    assert any("Monitor" in h.value for h in at.title) or any("monitor" in h.value.lower() for h in at.header)


@pytest.mark.slow
def test_the_blank_template_runs_on_the_target_chosen_at_creation(tmp_path):
    from core.spec.templates.oneclick import run_in_project
    from core.workspace.database import Workspace
    from ui.spec_panel import with_target

    ws = Workspace(tmp_path)
    blank = get_template("blank").spec
    pid = create_project_from_spec(ws, with_target(blank, "species"), data_bytes=_iris_csv(), data_name="iris.csv")
    summary = run_in_project(ws, blank, pid)  # the spec itself names no target: the project's is used
    assert summary["target"] == "species" and summary["registry"]["alias"] == "champion"
    kinds = [d["kind"] for d in datasets.list_datasets(ws, pid)]
    assert kinds.count("raw") == 1  # the run reused the project's table
    assert kinds.count("cleaned") == 1  # … and its cleaned version: no second one saved
    recipes = ws.query_one("SELECT COUNT(*) AS n FROM recipes WHERE project_id = ?", (pid,))["n"]
    assert recipes == 1


# -- The Train page reads what the spec applied ---------------------------------------------------------------
TRAIN_SPEC = """
data: {source: "sample:telco_churn"}
problem: {target: churn}
training: {models: [logistic, decision_tree], cv_folds: 4, test_size: 0.3, validation: kfold,
           class_weight: balanced, seed: 7}
tuning: {method: random, model: decision_tree, budget: 7, max_seconds: 60}
"""


def _train_page(fresh, project_id: int, lang: str | None = None):
    at, _ws = _home(fresh, lang)
    at.query_params["project"] = str(project_id)
    _ok(at.run())
    at.switch_page("pages/4_Train.py")
    return _ok(at.run())


def test_train_opens_with_the_specs_training_and_tuning_choices(fresh):
    _make, ws = fresh
    pid = create_project_from_spec(ws, load_spec(TRAIN_SPEC))
    at = _train_page(fresh, pid)
    assert at.multiselect(key="models").value == ["logistic", "decision_tree"]
    assert at.slider(key="folds").value == 4 and at.slider(key="test_size").value == 0.3
    assert at.selectbox(key="validation").value == "kfold"
    assert at.toggle(key="class_weight").value is True
    assert at.number_input(key="train_seed").value == 7
    assert any("the spec this project was made from" in c.value for c in at.caption)
    # A change made on the page is kept across reruns: the spec preselects once.
    at.slider(key="folds").set_value(6).run()
    assert at.slider(key="folds").value == 6 and at.number_input(key="train_seed").value == 7
    at.radio(key="train_section").set_value("tune")
    _ok(at.run())
    assert at.session_state["tune_method"] == "random" and at.session_state["tune_family"] == "decision_tree"
    assert at.session_state["tune_trials"] == 7 and at.session_state["tune_seconds"] == 60


def test_train_reads_the_spec_in_portuguese_and_leaves_a_ui_project_alone(fresh):
    from core.data.reader import read_path
    from core.pipeline import SAMPLE_DIR, stage_clean, stage_features, stage_ingest, stage_problem
    from core.workspace.projects import create_project

    _make, ws = fresh
    pid = create_project_from_spec(ws, load_spec(TRAIN_SPEC))
    at = _train_page(fresh, pid, lang="pt")
    assert at.slider(key="folds").value == 4 and at.number_input(key="train_seed").value == 7
    assert any("especificação de origem deste projeto" in c.value for c in at.caption), [c.value for c in at.caption]

    by_hand = create_project(ws, "By hand")["id"]
    df, info = read_path(SAMPLE_DIR / "telco_churn.csv")
    raw = stage_ingest(ws, by_hand, df, info, "telco_churn.csv")
    cleaned = stage_clean(ws, by_hand, raw["id"], target="churn")
    stage_problem(ws, by_hand, cleaned["dataset"]["id"], "churn")
    stage_features(ws, by_hand, cleaned["dataset"]["id"])
    other = _train_page(fresh, by_hand)
    assert other.slider(key="folds").value == 5 and other.number_input(key="train_seed").value == 42
    assert not any("the spec this project was made from" in c.value for c in other.caption)


# -- A first model deploys directly, and says so ----------------------------------------------------------------
def test_a_canary_templates_first_model_is_said_to_deploy_directly(fresh):
    at, ws = _home(fresh)
    _ok(at.run())
    at.button(key="template_create_card_fraud").click().run()
    _ok(at)
    notes = [c.value for c in at.caption if "First model: deployed directly" in c.value]
    assert notes and "canary applies from the next model" in notes[0]
    at.query_params["lang"] = "pt"
    _ok(at.run())
    assert any("Primeiro modelo" in c.value for c in at.caption), [c.value for c in at.caption]


def test_the_first_model_note_only_when_a_rollout_has_no_incumbent(tmp_path):
    from core.spec.replay import first_model_note
    from core.workspace.database import Workspace

    ws = Workspace(tmp_path)
    canary = get_template("card_fraud").spec
    assert canary.deployment.strategy == "canary"
    assert first_model_note(ws, canary) is not None  # a new project: no champion
    direct = canary.model_copy(update={"deployment": canary.deployment.model_copy(update={"strategy": "direct"})})
    assert first_model_note(ws, direct) is None
