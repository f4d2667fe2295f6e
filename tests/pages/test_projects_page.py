"""Projects on the Home page: any printable name, a refused form keeps what was typed, rename,
delete with a confirmation, and projects a pipeline run left half-made marked as such."""

import json

import pytest

from core.workspace.projects import create_project, get_project, list_projects
from tests.pages.test_hostile_text import _nodes
from ui.text import escape_markdown


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("name", ["Churn – Alice", "Análise — São Paulo 👩‍💻", "[x](https://evil.example) $x^2$"])
def test_a_project_with_the_placeholders_own_kind_of_name_is_created(fresh, name):
    make, ws = fresh
    at = _ok(make())
    at.run()
    assert at.text_input(key="new_project_name").placeholder == "e.g. Churn – Alice"
    at.text_input(key="new_project_name").input(name)
    at.button(key="create_project").click().run()
    _ok(at)
    assert not at.error, [e.value for e in at.error]
    assert [p["name"] for p in list_projects(ws)] == [name]
    assert at.query_params["project"] == "1"  # and the Data page of the new project is open
    assert any(h.value == "1 · Load a table" for h in at.subheader)


@pytest.mark.parametrize(
    "name, message", [("Taken", "already exists"), ("x" * 61, "at most 60 characters"), ("   ", "must not be blank")]
)
def test_a_refused_name_stays_in_the_field_with_the_reason(fresh, name, message):
    make, ws = fresh
    create_project(ws, "Taken")
    at = make()
    at.run()
    at.text_input(key="new_project_name").input(name)
    at.button(key="create_project").click().run()
    _ok(at)
    assert message in at.error[0].value
    assert at.text_input(key="new_project_name").value == name  # what was typed, to be corrected
    assert len(list_projects(ws)) == 1


def test_rename_then_delete_the_open_project(fresh):
    make, ws = fresh
    keep = create_project(ws, "keep")["id"]
    pid = create_project(ws, "Churn - Alice")["id"]
    at = make()
    at.query_params["project"] = str(pid)
    at.run()
    at.text_input(key=f"rename_{pid}").input("Churn – Alice [v2]")
    at.button(key="rename_project").click().run()
    _ok(at)
    assert get_project(ws, pid)["name"] == "Churn – Alice [v2]"
    assert at.success[0].value == f"Renamed the project to {escape_markdown('Churn – Alice [v2]')}."
    assert at.selectbox(key="project_picker").value == pid

    # Delete needs the confirmation first.
    assert at.button(key="delete_project").disabled
    at.checkbox(key=f"confirm_delete_{pid}").check().run()
    at.button(key="delete_project").click().run()
    _ok(at)
    assert [p["id"] for p in list_projects(ws)] == [keep]
    assert at.success[0].value.startswith(f"Deleted project {escape_markdown('Churn – Alice [v2]')}")
    assert "project" not in at.query_params  # no project open: the deleted one is gone from the URL
    actions = [r["action"] for r in ws.query("SELECT action FROM audit_log WHERE project_id = ?", (pid,))]
    assert actions == ["project.created", "project.renamed", "project.deleted"]


def test_a_half_made_project_is_marked_in_the_picker_and_on_home(fresh):
    make, ws = fresh
    pid = create_project(ws, "half")["id"]
    create_project(ws, "by hand")
    gone = json.dumps({"host": __import__("socket").gethostname(), "pid": 2**22 + 99, "started": 1, "boot": None})
    with ws.transaction() as conn:
        conn.execute(
            "UPDATE projects SET build_state = 'building', build_stage = 'train', owner = ? WHERE id = ?", (gone, pid)
        )
    at = make()
    at.query_params["project"] = str(pid)
    at.run()
    _ok(at)
    picker = at.selectbox(key="project_picker")
    labels = picker.options  # as shown
    assert "half — incomplete: stopped after training" in labels and "by hand" in labels
    assert "incomplete: stopped after training" in at.warning[0].value
    table = at.dataframe[0].value
    assert table.set_index("project").loc["half", "state"] == "incomplete: stopped after training"
    assert table.set_index("project").loc["by hand", "state"] == "made in the app"


def test_the_create_form_does_not_clear_what_was_typed(fresh):
    make, _ = fresh
    at = make()
    at.run()
    form = next(
        n for n in _nodes(at._tree) if getattr(n, "type", "") == "form" and n.proto.form.form_id == "new_project"
    )
    assert not form.proto.form.clear_on_submit  # the browser would empty the field on a refused name


@pytest.mark.slow
def test_a_tuning_study_whose_process_died_is_shown_as_interrupted(fresh):
    import numpy as np
    import pandas as pd

    from core.pipeline import PipelineConfig, run_pipeline

    make, ws = fresh
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    table = pd.DataFrame({"x": x, "z": rng.normal(size=200), "y": np.where(x + rng.normal(size=200) > 0, "a", "b")})
    run_pipeline(
        ws, table, None, PipelineConfig(target="y", project_name="tuned", cv_folds=2, windows=2, rows_per_window=50)
    )
    gone = json.dumps({"host": __import__("socket").gethostname(), "pid": 2**22 + 99, "started": 1, "boot": None})
    with ws.transaction() as conn:
        study = conn.execute(
            "INSERT INTO studies (project_id, feature_set_id, config_json, train_config_json, metric, status, "
            "created_at, owner) VALUES (1, 1, ?, '{}', 'roc_auc', 'running', 0, ?)",
            (json.dumps({"model": "logistic", "method": "random", "max_trials": 50}), gone),
        ).lastrowid
        for number, score in enumerate([0.71, 0.74]):
            conn.execute(
                "INSERT INTO trials (study_id, number, params_json, cv_scores_json, cv_score, seconds, "
                "created_at) VALUES (?, ?, '{\"C\": 1.0}', '[0.7, 0.72]', ?, 0.1, 0)",
                (study, number, score),
            )
    at = make()
    at.query_params["project"] = "1"
    at.run()
    at.switch_page("pages/4_Train.py").run()
    _ok(at)
    at.radio(key="train_section").set_value("tune").run()
    _ok(at)
    warning = next(w.value for w in at.warning if "interrupted" in w.value)
    assert f"Tuning study {study}" in warning and "after 2 trials" in warning
    assert ws.query_one("SELECT status FROM studies WHERE id = ?", (study,))["status"] == "interrupted"


def test_a_project_a_live_run_is_building_is_not_called_unfinished(fresh):
    """A refresh in the middle of the demo: the run still goes on, so Home must not say it did not finish
    nor advise deleting the project (it lands on Monitor a few seconds later)."""
    from core.workspace import owner

    make, ws = fresh
    pid = create_project(ws, "Churn demo")["id"]
    with ws.transaction() as conn:
        conn.execute(
            "UPDATE projects SET build_state = 'building', build_stage = 'features', owner = ? WHERE id = ?",
            (owner.this_process(), pid),
        )
    at = make()
    at.query_params["project"] = str(pid)
    at.run()
    _ok(at)
    shown = " ".join(m.value for m in [*at.warning, *at.info])
    assert "being built by a pipeline run (last finished: building the features)" in shown
    assert "did not finish" not in shown and "delete it" not in shown
