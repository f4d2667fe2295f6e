"""Every page renders on a project where the whole loop has run, and its main actions work."""

import json

import pytest

from core.style import unwrap_title

pytestmark = pytest.mark.slow  # every page on a workspace where the full demo ran (conftest's demo_workspace)


def open_page(at, page: str):
    at.run()
    assert not at.exception, at.exception
    at.switch_page(page)
    at.run()
    return at


def no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def plotly_specs(at):
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_home_shows_every_stage_done(app):
    at = app()
    at.run()
    no_errors(at)
    diagram = at.get("html")[0].proto.body  # the lesson's diagram: every stage node done (tuning: when needed)
    assert diagram.count('data-status="done"') == 12
    assert at.button(key="run_demo").label == "Run full demo"


def test_home_without_project_offers_demo_and_creation(fresh):
    from core.workspace import projects

    make, ws = fresh  # its own empty workspace: the shared demo workspace stays as the other tests expect
    at = make()
    at.run()
    no_errors(at)
    assert at.button(key="run_demo").label == "Run full demo"
    at.text_input(key="new_project_name").input("Alice")
    at.button(key="create_project").click().run()
    no_errors(at)
    [created] = projects.list_projects(ws)
    assert created["name"] == "Alice"
    # The new project opens on the Data page, selected in the sidebar's picker under its name.
    assert at.query_params["project"] in (str(created["id"]), [str(created["id"])])
    assert at.title[0].value.endswith("Data")
    picker = at.sidebar.selectbox(key="project_picker")
    assert picker.value == created["id"]
    assert picker.format_func(picker.value) == "Alice"


def test_bad_project_name_is_a_plain_error(app):
    at = app(project=None)
    at.run()
    at.text_input(key="new_project_name").input("   ")
    at.button(key="create_project").click().run()
    assert not at.exception
    assert "project name" in at.error[0].value


@pytest.mark.parametrize("page", ["pages/1_Data.py", "pages/3_Features.py"])
def test_data_and_features_pages_render(app, page):
    at = open_page(app(), page)
    no_errors(at)
    assert len(at.dataframe) >= 1


def test_data_page_profiles_and_alerts(app):
    at = open_page(app(), "pages/1_Data.py")
    assert "telco_churn.csv" in " ".join(h.value for h in at.subheader)
    specs = plotly_specs(at)
    assert len(specs) >= 2
    assert all(c.value for c in at.caption)  # every chart has its sentence


def test_problem_page_saves_definition(app):
    at = open_page(app(), "pages/2_Problem.py")
    assert at.selectbox(key="target").value == "churn"
    at.button(key="save_problem").click().run()
    no_errors(at)
    assert "Saved" in at.success[0].value


def test_train_page_shows_leaderboard_gate_and_roc(app):
    at = open_page(app(), "pages/4_Train.py")
    no_errors(at)
    assert any("GO" in m.value for m in at.metric)
    assert at.dataframe and "Baseline" in at.dataframe[0].value["model"].tolist()
    at.radio(key="train_section").set_value("evaluate").run()
    no_errors(at)
    titles = [s["layout"]["title"]["text"] for s in plotly_specs(at) if s["layout"].get("title")]
    assert any("ROC" in t for t in titles), titles


def test_explain_page_draws_the_shap_charts(app):
    at = open_page(app(), "pages/5_Explain.py")
    no_errors(at)
    specs = plotly_specs(at)
    assert len(specs) >= 3
    assert any(d.get("type") == "waterfall" for s in specs for d in s["data"])


def test_registry_page_shows_champion_and_audit(app):
    at = open_page(app(), "pages/6_Registry.py")
    no_errors(at)
    assert at.metric[0].value == "v1"
    assert at.metric[1].value == "v2"  # the retrained challenger from the demo
    versions = next(d.value for d in at.dataframe if "aliases" in d.value.columns)
    assert 0 < versions["decision threshold"].min() < 0.5  # the demo's costs: a missed churner costs 10x
    audit = next(d.value for d in at.dataframe if {"action", "what", "who"} <= set(d.value.columns))
    assert "churn-demo v1 registered from run" in " ".join(audit["what"])
    assert "The challenger of churn-demo is now v2" in " ".join(audit["what"])


def test_deploy_page_answers_requests_and_logs_them(app):
    at = open_page(app(), "pages/7_Deploy.py")
    no_errors(at)
    at.button(key="send_rows").click().run()
    no_errors(at)
    answered = next(d.value for d in at.dataframe if "arm" in d.value.columns)
    assert len(answered) == 5 and set(answered["arm"]) == {"champion"}
    assert answered["prediction"].isin(["Yes", "No"]).all()


@pytest.mark.parametrize("edit", [None, ""], ids=["cleared", "empty text"])
def test_deploy_page_answers_the_only_row_with_an_empty_category(app, edit):
    """It crashed with an IndexError in validation when the only row sent had an empty category."""
    at = open_page(app(), "pages/7_Deploy.py")
    at.slider(key="n_rows").set_value(1).run()
    no_errors(at)
    sent = at.data_editor(key="rows_1").value
    category = next(c for c in sent.columns if sent[c].dtype == object or str(sent[c].dtype) == "str")
    at.session_state["rows_1"] = {"edited_rows": {0: {category: edit}}, "added_rows": [], "deleted_rows": []}
    at.button(key="send_rows").click().run()
    no_errors(at)
    answered = next(d.value for d in at.dataframe if "arm" in d.value.columns)
    assert len(answered) == 1 and answered["prediction"].isin(["Yes", "No"]).all()
    assert (answered["error"] == "").all()
    # People read each row's problems in words (an emptied category may break a learned rule), never structures.
    assert answered["problems"].map(lambda words: isinstance(words, str)).all()
    assert f"{category} (100% missing)" in at.warning[0].value  # answered, and the violation is shown


def test_deploy_page_says_which_rows_got_no_answer(app):
    at = open_page(app(), "pages/7_Deploy.py")
    sent = at.data_editor(key="rows_5").value
    number = next(c for c in sent.columns if str(sent[c].dtype).startswith("float"))
    # The editor reads what is typed into a number cell with float(): "inf" gets through.
    at.session_state["rows_5"] = {"edited_rows": {1: {number: "inf"}}, "added_rows": [], "deleted_rows": []}
    at.button(key="send_rows").click().run()
    no_errors(at)
    answered = next(d.value for d in at.dataframe if "arm" in d.value.columns)
    assert len(answered) == 5 and (answered["error"] != "").tolist() == [False, True, False, False, False]
    assert f"{number} must be a finite number" in answered["error"].iloc[1]
    assert "1 of 5 rows got no answer" in at.warning[0].value


def test_monitor_page_shows_decision_and_drift(app):
    at = open_page(app(), "pages/8_Monitor.py")
    assert not at.exception
    # The demo's sudden shift called for retraining, and the demo retrained: the headline tells both,
    # and what to do next, instead of still asking for a retraining that was done.
    headline = at.info[0].value
    assert "Retrained: challenger v2 is ready." in headline and "drifted" in headline and "promote it" in headline
    assert not [w for w in at.warning if "Retrain recommended" in w.value]
    assert at.button(key="promote_retrained").label == "Promote challenger v2 to champion and redeploy"
    specs = plotly_specs(at)
    assert any(d.get("type") == "heatmap" for s in specs for d in s["data"])


def test_promoting_the_retrained_challenger_makes_it_serve_and_the_story_follows(demo_workspace, tmp_path, monkeypatch):
    import shutil

    from core import registry
    from core.deployment import serving
    from core.registry import approvals
    from core.workspace.database import Workspace
    from tests.pages.conftest import project_app_factory

    shutil.copytree(demo_workspace[0], tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    at = open_page(project_app_factory(tmp_path / "ws", monkeypatch)(), "pages/8_Monitor.py")
    at.button(key="promote_retrained").click().run()  # by default a person needs a reviewer's approval
    assert any("needs a reviewer's approval" in e.value for e in at.error), [e.value for e in at.error]
    assert registry.get_version(ws, serving.get_active_deployment(ws, 1)["champion_version_id"])["version"] == 1
    approvals.set_policy(ws, 1, approvals.RegistryPolicy(people_need_approval=False))
    at.button(key="promote_retrained").click().run()
    assert not at.exception  # (critical drift alerts are drawn as errors: they are the evidence)
    assert any("v2 is now the champion" in s.value for s in at.success)
    live = registry.get_version(ws, serving.get_active_deployment(ws, 1)["champion_version_id"])
    assert live["version"] == 2
    at.run()
    assert "v2 now serves." in at.success[0].value and "This report watched v1" in at.success[0].value
    assert not [b for b in at.button if b.key == "promote_retrained"]


def test_pages_without_a_project_point_home(app):
    for page in ["pages/1_Data.py", "pages/4_Train.py", "pages/8_Monitor.py"]:
        at = open_page(app(project=None), page)
        assert not at.exception
        assert "No project is open" in at.info[0].value


def test_monitor_page_shows_the_multivariate_check_and_drift_by_importance(app):
    at = open_page(app(), "pages/8_Monitor.py")
    assert not at.exception
    titles = [unwrap_title(s["layout"]["title"]["text"]) for s in plotly_specs(at) if "title" in s["layout"]]
    assert "Multivariate drift (ROC-AUC)" in titles
    assert "Drift against what the model uses (last window)" in titles
    captions = " ".join(c.value for c in at.caption)
    # The demo's sudden shift moves the rows as a whole, and the demo explained the model it watches.
    assert "A model tells window" in captions and "apart from the training data" in captions
    assert "of the model's importance" in captions
