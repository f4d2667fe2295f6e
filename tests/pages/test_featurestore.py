"""The feature store on the Features page (AppTest): the catalog (search, define with a bad field and
with good ones, reuse in a second project, remove) and the point-in-time lesson (both numbers, the naive
join looking better in validation, Portuguese)."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from core.data.datasets import save_dataset
from core.featurestore import catalog
from core.featurestore.lesson import LESSON_PROJECT, SAMPLE_DIR
from core.workspace import jobs
from core.workspace.database import Workspace
from core.workspace.projects import create_project, get_project
from tests.pages.conftest import ROOT
from ui.featurestore_lesson import JOB_KIND, lesson_work
from ui.text import escape_markdown


@pytest.fixture(scope="module")
def lesson_base(tmp_path_factory):
    """A workspace where the lesson ran as a job (its project keeps the account events, the catalog its
    four features) and a second project holds the card transactions."""
    path = tmp_path_factory.mktemp("fs_base")
    ws = Workspace(path)
    job_id = jobs.start_job(ws, None, JOB_KIND, lesson_work(ws))
    job = jobs.wait_for_job(ws, job_id, timeout=300)
    assert job["status"] == "succeeded", job["error"]
    fraud = create_project(ws, "Card fraud")
    transactions = pd.read_csv(SAMPLE_DIR / "card_fraud.csv")
    save_dataset(ws, int(fraud["id"]), transactions, kind="raw", name="card_fraud.csv")
    return path


@pytest.fixture
def workspace(lesson_base, tmp_path, monkeypatch):
    """A copy of the base workspace for one test (tests define and add features)."""
    path = tmp_path / "ws"
    shutil.copytree(lesson_base, path)
    monkeypatch.setenv("MLOPS_STUDIO_WORKSPACE", str(path))
    monkeypatch.chdir(ROOT)
    return Workspace(path)


def _features(ws: Workspace, project: str, view: str = "catalog", lang: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.query_params["project"] = str(get_project(ws, project)["id"])
    if lang:
        at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/3_Features.py")
    at.session_state["fs_view"] = view
    return _ok(at.run())


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def _catalog_names(at) -> list[str]:
    (table,) = [d for d in at.dataframe if "feature name" in d.value.columns or "nome da feature" in d.value.columns]
    return list(table.value.iloc[:, 0])


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


# -- The catalog ---------------------------------------------------------------------------------------------
def test_the_catalog_lists_every_feature_with_its_lineage_and_users(workspace):
    at = _features(workspace, "Card fraud")
    assert sorted(_catalog_names(at)) == [
        "account_events_7d",
        "card_blocks",
        "chargebacks_30d",
        "new_device_logins_24h",
    ]
    assert "4 features in this workspace's catalog" in _captions(at)
    at.selectbox(key="fs_pick").set_value("chargebacks_30d").run()
    _ok(at)
    text = _markdown(at)
    assert "**chargebacks_30d** · version 1 · owner: MLOps Studio lesson" in text
    assert "Lineage: table card_events.csv version 1 of project Point-in-time lesson" in text
    assert "sum of equals(kind, 'chargeback') per customer_id, in the 30 days before the moment" in _captions(at)
    assert at.button(key="fs_add").label == "Add to this project"


def test_search_finds_by_name_entity_and_description(workspace):
    at = _features(workspace, "Card fraud")
    at.text_input(key="fs_search").input("chargeback").run()
    assert _catalog_names(_ok(at)) == ["chargebacks_30d"]
    at.text_input(key="fs_search").input("CUSTOMER_ID").run()  # the entity, any case
    assert len(_catalog_names(_ok(at))) == 4
    at.text_input(key="fs_search").input("new device").run()  # words of the description
    assert _catalog_names(_ok(at)) == ["new_device_logins_24h"]
    at.text_input(key="fs_search").input("[no](such) feature").run()
    _ok(at)
    assert [w.value for w in at.warning] == [
        "No feature matches {search}.".format(search=escape_markdown("'[no](such) feature'"))
    ]


def _fill_form(at, **values):
    for key in ("fs_name", "fs_expression", "fs_owner"):
        if key in values:
            at.text_input(key=key).input(values[key])
    if "fs_description" in values:
        at.text_area(key="fs_description").input(values["fs_description"])
    for key in ("fs_entity", "fs_timestamp", "fs_aggregate", "fs_window"):
        if key in values:
            at.selectbox(key=key).set_value(values[key])
    return at


GOOD = {
    "fs_name": "calls_7d",
    "fs_entity": "customer_id",
    "fs_timestamp": "timestamp",
    "fs_expression": "equals(kind, 'customer_call')",
    "fs_aggregate": "sum",
    "fs_window": "7d",
    "fs_owner": "Ana",
    "fs_description": "Calls to the bank in the 7 days before the moment.",
}


def test_a_bad_field_gives_one_line_naming_it_and_nothing_is_lost(workspace):
    at = _features(workspace, LESSON_PROJECT, "define")
    _fill_form(at, **{**GOOD, "fs_window": "30d", "fs_name": "Calls 7d"})
    at.button(key="fs_define_submit").click().run()
    _ok(at)
    (error,) = at.error
    assert error.value.startswith("The 'name' of feature definition 'Calls 7d' must be lowercase letters")
    assert "\n" not in error.value
    # Every field keeps what was typed or chosen.
    assert at.text_input(key="fs_name").value == "Calls 7d"
    assert at.text_input(key="fs_expression").value == "equals(kind, 'customer_call')"
    assert at.text_area(key="fs_description").value == GOOD["fs_description"]
    assert at.selectbox(key="fs_entity").value == "customer_id"
    assert at.selectbox(key="fs_window").value == "30d"
    assert catalog.list_definitions(workspace)["name"].tolist().count("calls_7d") == 0
    # A second mistake: an expression outside the safe set names the expression.
    at.text_input(key="fs_name").input("calls_7d")
    at.text_input(key="fs_expression").input("eval(kind)")
    at.button(key="fs_define_submit").click().run()
    (error,) = _ok(at).error
    assert error.value.startswith("The 'expression.op' of feature definition 'calls_7d' must be one of column, ratio")
    # An empty description names the description.
    at.text_input(key="fs_expression").input(GOOD["fs_expression"])
    at.text_area(key="fs_description").input("  ")
    at.button(key="fs_define_submit").click().run()
    (error,) = _ok(at).error
    assert "'description'" in error.value


def test_define_then_reuse_in_a_second_project_then_remove(workspace):
    at = _features(workspace, LESSON_PROJECT, "define")
    _fill_form(at, **GOOD)
    at.button(key="fs_define_submit").click().run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == ["Feature calls_7d version 1 is in the catalog."]
    assert catalog.users_of(workspace, "calls_7d") == [LESSON_PROJECT]
    stored = catalog.get_definition(workspace, "calls_7d")
    assert stored["owner"] == "Ana" and stored["definition"].window == "7d"

    other = _features(workspace, "Card fraud")
    other.selectbox(key="fs_pick").set_value("calls_7d").run()
    other.button(key="fs_add").click().run()
    _ok(other)
    assert [s.value for s in other.success] == ["Feature calls_7d added to this project."]
    assert catalog.users_of(workspace, "calls_7d") == ["Card fraud", LESSON_PROJECT]
    assert "This project uses version 1." in _captions(other)
    assert "projects Card fraud, Point-in-time lesson" in _markdown(other)
    other.button(key="fs_remove").click().run()
    _ok(other)
    assert catalog.users_of(workspace, "calls_7d") == [LESSON_PROJECT]
    assert other.button(key="fs_add").label == "Add to this project"


def test_a_second_definition_of_a_name_is_its_next_version_with_history(workspace):
    at = _features(workspace, LESSON_PROJECT, "define")
    _fill_form(at, **GOOD)
    at.button(key="fs_define_submit").click().run()
    _fill_form(_ok(at), fs_window="30d")
    at.button(key="fs_define_submit").click().run()
    assert [s.value for s in _ok(at).success] == ["Feature calls_7d version 2 is in the catalog."]
    at.session_state["fs_view"] = "catalog"
    at.run()
    at.selectbox(key="fs_pick").set_value("calls_7d").run()
    history = [d.value for d in _ok(at).dataframe if "computed as" in d.value.columns and "version" in d.value.columns]
    assert history and history[-1]["version"].tolist() == [1, 2]
    assert "Every version of calls_7d" in _captions(at)


# -- The lesson ----------------------------------------------------------------------------------------------
def _scores(at) -> dict[str, float]:
    return {m.label: float(m.value.replace(",", ".")) for m in at.metric}


def test_the_lesson_shows_both_numbers_side_by_side(workspace):
    at = _features(workspace, "Card fraud", "lesson")
    metrics = at.metric
    assert [m.label for m in metrics] == [
        "ROC-AUC in validation",
        "ROC-AUC on the later months",
        "ROC-AUC in validation",
        "ROC-AUC on the later months",
    ]
    pit_validation, pit_later, naive_validation, naive_later = (float(m.value) for m in metrics)
    assert naive_validation > pit_validation  # the leak looks good in validation…
    assert naive_later < pit_later  # …and does worse in use
    bold = [m.value for m in at.markdown if m.value.startswith("**")]
    assert "**Point-in-time join**" in bold and "**Naive join (newest values)**" in bold
    assert len(at.get("plotly_chart")) == 2
    captions = _captions(at)
    assert "The naive model looks better in validation" in captions
    assert "Each point is one of customer" in captions
    (why,) = at.info[-1:]
    assert why.value.startswith("The naive join gave customer")
    assert at.button(key="fs_lesson_run").label == "Run the lesson again"


def test_the_lesson_runs_as_a_job_from_its_button(workspace):
    before = jobs.latest_job(workspace, None, JOB_KIND)
    at = _features(workspace, "Card fraud", "lesson")
    at.button(key="fs_lesson_run").click().run()
    _ok(at)
    job = jobs.latest_job(workspace, None, JOB_KIND)
    assert job is not None and before is not None and job["id"] > before["id"]
    done = jobs.wait_for_job(workspace, job["id"], timeout=300)
    assert done["status"] == "succeeded", done["error"]
    _ok(at.run())
    assert len(at.metric) == 4
    assert not at.button(key="fs_lesson_run").disabled


def test_the_feature_store_speaks_portuguese(workspace):
    at = _features(workspace, "Card fraud", "lesson", lang="pt")
    labels = [m.label for m in at.metric]
    assert "ROC-AUC na validação" in labels
    assert "Feature store: definições compartilhadas por todos os projetos" in [h.value for h in at.subheader]
    assert any(m.value == "**Junção point-in-time**" for m in at.markdown)
    assert any("," in m.value for m in at.metric)  # 0,81: a decimal comma
    at.session_state["fs_view"] = "catalog"
    _ok(at.run())
    assert "4 features no catálogo deste workspace" in _captions(at)
    at.session_state["fs_view"] = "define"
    _ok(at.run())
    assert at.button(key="fs_define_submit").label == "Definir feature"


def test_a_newer_version_can_replace_the_one_a_project_uses(workspace):
    at = _features(workspace, LESSON_PROJECT, "define")
    _fill_form(at, **GOOD)
    at.button(key="fs_define_submit").click().run()
    other = _features(workspace, "Card fraud")
    other.selectbox(key="fs_pick").set_value("calls_7d").run()
    other.button(key="fs_add").click().run()
    _fill_form(_ok(at), fs_window="30d")  # version 2, used at once by the project that defines it
    at.button(key="fs_define_submit").click().run()
    _ok(at)
    lesson_id, fraud_id = (int(get_project(workspace, p)["id"]) for p in (LESSON_PROJECT, "Card fraud"))
    assert [d["version"] for d in catalog.project_definitions(workspace, lesson_id) if d["name"] == "calls_7d"] == [2]
    other.run()
    assert "This project uses version 1." in _captions(_ok(other))
    other.button(key="fs_upgrade").click().run()
    _ok(other)
    assert [d["version"] for d in catalog.project_definitions(workspace, fraud_id) if d["name"] == "calls_7d"] == [2]
    assert other.success[0].value.startswith("This project now uses calls_7d version 2")


HOSTILE_OWNER, HOSTILE_DESCRIPTION = "**p** [p](https://evil.example)", ":red[boom] $f^2$ <b>f</b>"
HOSTILE_ENTITY, HOSTILE_TIME = "[x](https://evil.example)", ":red[t]"


def test_user_text_in_the_catalog_is_shown_as_typed(workspace):
    from core.featurestore.definitions import Expression, FeatureDefinition
    from tests.pages.test_hostile_text import markdown_texts

    project = create_project(workspace, "[q](https://evil.example) **q**")
    events = pd.DataFrame(
        {
            HOSTILE_ENTITY: ["a", "b", "a"],
            HOSTILE_TIME: pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]),
            "**amount**": [1.0, 2.0, 3.0],
        }
    )
    dataset = save_dataset(workspace, int(project["id"]), events, kind="raw", name="<b>events</b> $x$.csv")
    catalog.register_definition(
        workspace,
        FeatureDefinition(
            name="hostile_sum",
            entity=HOSTILE_ENTITY,
            timestamp=HOSTILE_TIME,
            expression=Expression("column", ("**amount**",)),
            aggregate="sum",
            owner=HOSTILE_OWNER,
            description=HOSTILE_DESCRIPTION,
            source_dataset_id=int(dataset["id"]),
        ),
    )
    tokens = ["**p**", "[p](https://evil.example)", ":red[boom]", "$f^2$", "<b>f</b>", HOSTILE_ENTITY, ":red[t]"]
    tokens += ["**amount**", "<b>events</b>", "$x$", "[q](https://evil.example)", "**q**"]
    at = _features(workspace, project["name"])
    at.selectbox(key="fs_pick").set_value("hostile_sum").run()
    for view in ("catalog", "define", "online"):
        at.session_state["fs_view"] = view
        _ok(at.run())
        texts = markdown_texts(at)
        for where, text in texts:
            for token in tokens:
                assert not re.search(r"(?<!\\)" + re.escape(token), text), (view, where, token, text)
    at.session_state["fs_view"] = "catalog"
    _ok(at.run())
    shown = "\n".join(text for _where, text in markdown_texts(at))
    assert escape_markdown(HOSTILE_DESCRIPTION) in shown and escape_markdown(HOSTILE_OWNER) in shown
