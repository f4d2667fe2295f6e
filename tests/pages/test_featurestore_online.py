"""The feature store's online side on the Features page (AppTest): Materialise as a job, the feature's
health and the skew check, and scoring a request by entity id (only the id and the request-time fields
sent) on a project whose deployed model takes two catalog features."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from core.featurestore import online, project_features
from core.featurestore.lesson import LESSON_PROJECT, SAMPLE_DIR, run_point_in_time_lesson
from core.pipeline import STEPS, PipelineConfig, PipelineRun
from core.training.config import TrainConfig
from core.workspace import jobs
from core.workspace.database import Workspace
from core.workspace.progress import no_progress
from core.workspace.projects import create_project, get_project
from tests.pages.conftest import ROOT

FEATURES = ("card_blocks", "chargebacks_30d")
DEPLOY_STEPS = ("data", "clean", "problem", "features", "train", "register", "deploy")


def train_and_deploy(ws: Workspace, project_id: int, rows: int = 4000) -> None:
    """Train (a logistic regression, 3 folds) and deploy the project on the first ``rows`` card
    transactions: the data-to-deploy steps of the pipeline, with the catalog features it uses."""
    table = pd.read_csv(SAMPLE_DIR / "card_fraud.csv").head(rows)
    config = PipelineConfig(target="is_fraud", project_name="Card fraud", time_column="timestamp")
    run = PipelineRun(
        ws,
        project_id,
        config,
        table,
        None,
        "card_fraud.csv",
        train_config=TrainConfig(models=("logistic",), cv_folds=3),
        progress=no_progress,
    )
    for step in STEPS:
        if step.key in DEPLOY_STEPS:
            step.work(run)


def deploy_with_catalog_features(ws: Workspace, rows: int = 4000) -> dict:
    """The lesson's catalog, and a project "Card fraud" (the first ``rows`` transactions) that adds two
    of its features and deploys a logistic regression trained with them."""
    run_point_in_time_lesson(ws)
    project = create_project(ws, "Card fraud")
    for name in FEATURES:
        project_features.add_to_project(ws, project["id"], name)
    train_and_deploy(ws, project["id"], rows)
    return project


@pytest.fixture(scope="module")
def deployed_base(tmp_path_factory):
    path = tmp_path_factory.mktemp("fs_online")
    deploy_with_catalog_features(Workspace(path))
    return path


@pytest.fixture
def workspace(deployed_base, tmp_path, monkeypatch):
    path = tmp_path / "ws"
    shutil.copytree(deployed_base, path)
    monkeypatch.setenv("MLOPS_STUDIO_WORKSPACE", str(path))
    monkeypatch.chdir(ROOT)
    return Workspace(path)


def _features(ws: Workspace, project: str, view: str, lang: str | None = None):
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


def _materialise_all(ws: Workspace) -> None:
    for name in FEATURES:
        online.materialise(ws, name)


def test_materialise_runs_as_a_job_then_health_and_skew_show(workspace):
    at = _features(workspace, "Card fraud", "online")
    texts = "\n".join(m.value for m in at.markdown)
    assert "Not materialised yet: the online store holds no value of this feature." in texts
    assert at.selectbox(key="fs_online_pick").value == "card_blocks"  # this project's features first
    at.button(key="fs_materialise").click().run()
    _ok(at)
    job = jobs.latest_job(workspace, get_project(workspace, "Card fraud")["id"], online.JOB_KIND)
    assert job is not None
    assert jobs.wait_for_job(workspace, job["id"], timeout=120)["status"] == "succeeded"
    _ok(at.run())
    (success,) = at.success
    assert success.value.startswith("Feature card_blocks version 1 materialised:")
    texts = "\n".join(m.value for m in at.markdown)
    assert "The online store holds the latest value of 1,996 entities" in texts
    assert len(at.get("plotly_chart")) == 1
    captions = "\n".join(c.value for c in at.caption)
    assert "Feature card_blocks: in its last period" in captions
    at.button(key="fs_skew").click().run()
    _ok(at)
    assert "No skew: for all 50 entities sampled" in "\n".join(s.value for s in at.success)


def test_a_request_with_only_the_entity_id_is_scored_with_online_values(workspace):
    _materialise_all(workspace)
    at = _features(workspace, "Card fraud", "score")
    fields = json.loads(at.text_area(key="fs_score_fields").value)
    assert "customer_id" not in fields and not set(FEATURES) & set(fields) and "is_fraud" not in fields
    at.text_input(key="fs_score_entity").input("C00007").run()
    at.button(key="fs_score").click().run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    (answer,) = at.success
    assert answer.value.startswith("customer_id C00007: prediction ")
    sent = json.loads(at.code[0].value)
    assert sent["rows"][0]["customer_id"] == "C00007" and not set(FEATURES) & set(sent["rows"][0])
    fetched = [d.value for d in at.dataframe if "card_blocks" in d.value.columns][-1]
    expected = online.online_features(workspace, list(FEATURES), ["C00007"])
    assert fetched["card_blocks"].tolist() == expected["card_blocks"].tolist() == [1.0]


def test_an_unknown_entity_is_one_line_and_bad_json_too(workspace):
    _materialise_all(workspace)
    at = _features(workspace, "Card fraud", "score")
    at.text_input(key="fs_score_entity").input("C99999").run()
    at.button(key="fs_score").click().run()
    (error,) = _ok(at).error
    assert error.value == (
        "The online store knows nothing of customer_id C99999: materialise the features, or send their values in "
        "the request."
    )
    at.text_area(key="fs_score_fields").input('{"amount": ').run()
    at.button(key="fs_score").click().run()
    (error,) = _ok(at).error
    assert error.value.startswith("The request-time fields are not JSON")


def test_a_project_without_a_deployment_is_told_what_to_do(workspace):
    at = _features(workspace, LESSON_PROJECT, "score")
    assert [i.value for i in at.info][-1].startswith("Nothing is deployed in this project yet")


def test_scoring_by_entity_speaks_portuguese(workspace):
    _materialise_all(workspace)
    at = _features(workspace, "Card fraud", "score", lang="pt")
    assert at.button(key="fs_score").label == "Pontuar esta requisição"
    at.text_input(key="fs_score_entity").input("C00007").run()
    at.button(key="fs_score").click().run()
    (answer,) = _ok(at).success
    assert answer.value.startswith("customer_id C00007: previsão ")
    at.session_state["fs_view"] = "online"
    _ok(at.run())
    assert "O armazenamento online guarda o valor mais recente de 1.996 entidades" in "\n".join(
        m.value for m in at.markdown
    )


def test_removing_a_feature_the_deployed_model_takes_still_scores_by_id(workspace):
    """Going back: the project drops a catalog feature after deploying; the endpoint still fetches it for
    the served model, and the panel says so."""
    _materialise_all(workspace)
    fraud = get_project(workspace, "Card fraud")
    project_features.remove_from_project(workspace, fraud["id"], "chargebacks_30d")
    at = _features(workspace, "Card fraud", "score")
    assert any(
        i.value.startswith("The deployed model still takes chargebacks_30d, which this project no longer uses")
        for i in at.info
    )
    at.text_input(key="fs_score_entity").input("C00007").run()
    at.button(key="fs_score").click().run()
    (answer,) = _ok(at).success
    assert answer.value.startswith("customer_id C00007: prediction ")
    fetched = [d.value for d in at.dataframe if "chargebacks_30d" in d.value.columns][-1]
    assert list(fetched.columns) == ["customer_id", "card_blocks", "chargebacks_30d"]
