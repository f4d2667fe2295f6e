"""Projects: creating, naming, finding, and the per-stage status shown on the pipeline diagram."""

import re

import numpy as np
import pandas as pd
import pytest

from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.projects import (
    STAGES,
    create_project,
    create_unique_project,
    delete_project,
    get_build_note,
    get_project,
    get_stage_status,
    list_projects,
    rename_project,
    validate_project_name,
)


def test_create_then_get_by_id_and_by_name(ws):
    created = create_project(ws, "Churn study", source="telco.csv")
    assert created["name"] == "Churn study"
    assert created["source"] == "telco.csv"
    by_id = get_project(ws, created["id"])
    by_name = get_project(ws, "Churn study")
    assert by_id["id"] == by_name["id"] == created["id"]
    with pytest.raises(NotFoundError):  # text is always a name: "1" is not project 1
        get_project(ws, str(created["id"]))


def test_name_is_stripped(ws):
    assert create_project(ws, "  Padded  ")["name"] == "Padded"


def test_list_projects_newest_first(ws):
    for name in ("first", "second", "third"):
        create_project(ws, name)
    assert [p["name"] for p in list_projects(ws)] == ["third", "second", "first"]


def test_duplicate_name_is_a_config_error_naming_it(ws):
    create_project(ws, "Fraud")
    with pytest.raises(ConfigError, match="'Fraud' already exists"):
        create_project(ws, "Fraud")
    assert len(list_projects(ws)) == 1


@pytest.mark.parametrize(
    "bad, rule",
    [
        ("", "must not be blank"),
        ("   ", "must not be blank"),
        (None, "must not be blank"),
        ("x" * 61, "at most 60 characters; got 61"),
        ("tab\there", "U+0009"),
        ("new\nline", "U+000A"),
        ("nul\x00", "U+0000"),
        ("bidi \u202eecila", "U+202E"),
        ("zero\u200bwidth", "U+200B"),
    ],
)
def test_invalid_names_are_refused_with_the_rule(ws, bad, rule):
    with pytest.raises(ConfigError, match=re.escape(rule)):
        create_project(ws, bad)
    assert list_projects(ws) == []


@pytest.mark.parametrize(
    "name",
    [
        "Churn – Alice",  # the placeholder's own example: an en dash
        "Q3 churn-model_v2.1 (draft)",
        "Análise de churn — São Paulo",
        "客户流失",
        "churn/2024; v2",
        "<script>",
        "[x](https://evil.example)",
        "$x^2$",
        ":red[boom]",
        "👩‍💻 team",
        "Ωmega & co.",
        "x" * 60,
    ],
)
def test_any_printable_name_is_allowed_and_kept_as_typed(ws, name):
    made = create_project(ws, name)
    assert made["name"] == name
    assert get_project(ws, made["id"])["name"] == get_project(ws, name)["name"] == name


def test_names_that_look_alike_are_alike():
    decomposed = "Ana\u0301lise"  # 'A' + 'na' + combining acute: looks like "Análise"
    assert validate_project_name(decomposed) == "Análise"


def test_unknown_project_is_not_found(ws):
    with pytest.raises(NotFoundError, match="'nope' does not exist"):
        get_project(ws, "nope")
    with pytest.raises(NotFoundError):
        get_project(ws, 999)


def test_all_digit_project_name_can_be_created_and_found(ws):
    create_project(ws, "alpha")  # id 1
    made = create_project(ws, "1")  # a name the regex allows
    assert made["name"] == "1"
    assert get_project(ws, "1")["name"] == "1"


def test_unique_project_name_stays_a_valid_name(ws):
    base = "b" * 60
    create_project(ws, base)
    candidate = create_unique_project(ws, base)["name"]
    assert candidate == "b" * 56 + " (2)"
    validate_project_name(candidate)


def _tiny_table(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    color = rng.choice(["red", "blue"], n)
    y = np.where(x + (color == "red") + rng.normal(scale=0.5, size=n) > 0.5, "yes", "no")
    return pd.DataFrame({"x": x, "z": rng.normal(size=n), "color": color, "y": y})


def test_stage_status_flips_as_each_stage_runs(ws):
    from core import pipeline
    from core.deployment.routing import RoutingConfig
    from core.monitoring.simulation import TrafficConfig
    from core.training.config import TrainConfig

    pid = create_project(ws, "stages")["id"]
    status = get_stage_status(ws, pid)
    assert set(status) == set(STAGES)
    assert not any(status.values())

    done: set[str] = set()

    def expect(new: str | None) -> None:
        if new:
            done.add(new)
        now = get_stage_status(ws, pid)
        assert {k for k, v in now.items() if v} == done

    raw = pipeline.stage_ingest(ws, pid, _tiny_table(), None, "tiny.csv")
    expect(None)  # raw data alone is not the Data stage's result: that is a cleaned table
    cleaned = pipeline.stage_clean(ws, pid, raw["id"], target="y")
    expect("data")
    dataset_id = cleaned["dataset"]["id"]
    pipeline.stage_problem(ws, pid, dataset_id, "y")
    expect("problem")
    fs = pipeline.stage_features(ws, pid, dataset_id)
    expect("features")
    trained = pipeline.stage_train(ws, pid, fs["id"], TrainConfig(models=("logistic",), cv_folds=2))
    expect("train")
    run_id = trained["experiment"]["best_run_id"]
    pipeline.stage_explain(ws, pid, run_id, max_rows=30)
    expect("explain")
    pipeline.stage_register(ws, pid, run_id, alias="champion", override_reason="test")
    expect("registry")
    pipeline.stage_deploy(ws, pid, RoutingConfig("single"))
    expect("deploy")
    pipeline.stage_monitor(ws, pid, TrafficConfig(windows=2, rows_per_window=50))
    expect("monitor")
    assert done == set(STAGES)


def test_stage_status_is_per_project(ws):
    from core import pipeline

    a = create_project(ws, "a")["id"]
    b = create_project(ws, "b")["id"]
    raw = pipeline.stage_ingest(ws, a, _tiny_table(50), None, "tiny.csv")
    pipeline.stage_clean(ws, a, raw["id"], target="y")
    assert get_stage_status(ws, a)["data"] is True
    assert get_stage_status(ws, b)["data"] is False


def test_create_unique_project_counts_up(ws):
    assert create_unique_project(ws, "run", source="a.csv")["name"] == "run"
    assert create_unique_project(ws, "run")["name"] == "run (2)"
    create_project(ws, "run (3)")
    assert create_unique_project(ws, "run")["name"] == "run (4)"
    assert create_unique_project(ws, "bad/name")["name"] == "bad/name"
    assert create_unique_project(ws, "tab\tand\nnewline")["name"] == "tab and newline"


def test_projects_created_at_once_with_one_name_all_get_their_own(tmp_path):
    """Two CLI runs of one file start together: each claims a name with its insert, so neither is
    told the name is taken (the check-then-create race CI once hit)."""
    from concurrent.futures import ThreadPoolExecutor

    from core.workspace.database import Workspace

    Workspace(tmp_path / "ws")  # made once: a fresh workspace opened at once is test_database's concern
    barrier = __import__("threading").Barrier(6)

    def create(_):
        ws = Workspace(tmp_path / "ws")  # a handle of its own, as a separate process has
        barrier.wait(timeout=60)  # a thread that failed breaks the barrier instead of hanging the others
        return create_unique_project(ws, "oneclass")["name"]

    with ThreadPoolExecutor(6) as pool:
        names = list(pool.map(create, range(6)))
    assert sorted(names) == sorted(["oneclass"] + [f"oneclass ({n})" for n in range(2, 7)])


# -- Renaming and deleting -------------------------------------------------------------------------
def _full_project(ws, name: str, table: pd.DataFrame | None = None) -> int:
    """A project through every stage, quickly (one model family, small traffic)."""
    from core import pipeline
    from core.deployment.routing import RoutingConfig
    from core.monitoring.simulation import TrafficConfig
    from core.training.config import TrainConfig

    pid = create_project(ws, name)["id"]
    raw = pipeline.stage_ingest(ws, pid, _tiny_table() if table is None else table, None, "tiny.csv")
    dataset_id = pipeline.stage_clean(ws, pid, raw["id"], target="y")["dataset"]["id"]
    pipeline.stage_problem(ws, pid, dataset_id, "y")
    fs = pipeline.stage_features(ws, pid, dataset_id)
    trained = pipeline.stage_train(ws, pid, fs["id"], TrainConfig(models=("logistic",), cv_folds=2))
    run_id = trained["experiment"]["best_run_id"]
    pipeline.stage_explain(ws, pid, run_id, max_rows=30)
    pipeline.stage_register(ws, pid, run_id, alias="champion", override_reason="test")
    pipeline.stage_deploy(ws, pid, RoutingConfig("single"))
    pipeline.stage_monitor(ws, pid, TrafficConfig(windows=2, rows_per_window=50))
    return pid


def test_rename_keeps_the_project_and_records_it(ws):
    pid = create_project(ws, "Churn - Alice")["id"]
    create_project(ws, "Taken")
    renamed = rename_project(ws, pid, "  Churn – Alice (v2)  ")
    assert renamed["id"] == pid and renamed["name"] == "Churn – Alice (v2)"
    assert get_project(ws, "Churn – Alice (v2)")["id"] == pid
    with pytest.raises(NotFoundError):
        get_project(ws, "Churn - Alice")
    with pytest.raises(ConfigError, match="'Taken' already exists"):
        rename_project(ws, pid, "Taken")
    with pytest.raises(ConfigError, match="must not be blank"):
        rename_project(ws, pid, " ")
    assert get_project(ws, pid)["name"] == "Churn – Alice (v2)"  # a refused rename changes nothing
    entries = ws.query("SELECT action, detail_json FROM audit_log WHERE project_id = ? ORDER BY id", (pid,))
    assert [e["action"] for e in entries] == ["project.created", "project.renamed"]
    from core.registry.audit import describe_audit_entry

    sentence = describe_audit_entry("project.renamed", __import__("json").loads(entries[1]["detail_json"]))
    assert sentence == "Project renamed from 'Churn - Alice' to 'Churn – Alice (v2)'."


def test_a_renamed_project_keeps_one_model_history(ws):
    from core import pipeline, registry
    from core.training.config import TrainConfig

    pid = _full_project(ws, "before")
    first = registry.get_model_name(ws, pid)
    rename_project(ws, pid, "after — renamed")
    fs = ws.query_one("SELECT id FROM feature_sets WHERE project_id = ?", (pid,))
    run_id = pipeline.stage_train(ws, pid, fs["id"], TrainConfig(models=("logistic",), cv_folds=2))["experiment"][
        "best_run_id"
    ]
    version = pipeline.stage_register(ws, pid, run_id, alias="challenger", override_reason="test")
    assert version["model_name"] == first and version["version"] == 2


def _project_table_counts(ws, pid: int) -> dict[str, int]:
    tables = [r["name"] for r in ws.query("SELECT name FROM sqlite_master WHERE type = 'table'")]
    counts = {}
    for table in tables:
        columns = [c["name"] for c in ws.query(f"PRAGMA table_info({table})")]
        if "project_id" in columns and table != "audit_log":
            counts[table] = ws.query_one(f"SELECT COUNT(*) AS n FROM {table} WHERE project_id = ?", (pid,))["n"]
    return counts


def test_delete_removes_the_projects_data_and_files_and_keeps_the_audit_trail(ws):
    from core import registry
    from core.data import datasets
    from core.training import tracking

    keep = _full_project(ws, "keep")
    gone = _full_project(ws, "gone")  # the same raw table: its upload file is shared with "keep"
    # Artifacts are stored by content, and the same table on the same seeds can make every file of
    # "gone" identical to one of "keep": a table of its own guarantees files that are only its own.
    from core import pipeline

    pipeline.stage_ingest(ws, gone, _tiny_table(120), None, "own.csv")
    files_before = {p for p in ws.artifact_dir.rglob("*") if p.is_file()}
    hashes = [
        r["sha256"] for r in ws.query("SELECT sha256 FROM model_versions WHERE project_id = ? ORDER BY id", (gone,))
    ]
    assert sum(_project_table_counts(ws, gone).values()) > 10
    deployment = ws.query_one("SELECT id FROM deployments WHERE project_id = ?", (gone,))["id"]
    assert ws.query_one("SELECT COUNT(*) AS n FROM predictions WHERE deployment_id = ?", (deployment,))["n"] > 0

    removed = delete_project(ws, gone)

    with pytest.raises(NotFoundError):
        get_project(ws, gone)
    assert [p["name"] for p in list_projects(ws)] == ["keep"]
    assert not any(_project_table_counts(ws, gone).values())  # every table, the ones added later too
    assert ws.query_one("SELECT COUNT(*) AS n FROM predictions WHERE deployment_id = ?", (deployment,))["n"] == 0
    files_after = {p for p in ws.artifact_dir.rglob("*") if p.is_file()}
    assert files_after < files_before and removed["files"] == len(files_before - files_after) > 0
    # Every artifact row left points at a file, and the other project loads everything it had.
    for artifact in ws.query("SELECT id FROM artifacts"):
        ws.read_artifact(artifact["id"])
    assert len(datasets.load_dataset(ws, datasets.latest_dataset(ws, keep, "raw")["id"])) == 300
    tracking.load_run_model(
        ws, registry.get_alias_version(ws, keep, registry.get_model_name(ws, keep), "champion")["run_id"]
    )
    # The audit log keeps what happened, the deletion included, with the model hashes.
    actions = [r["action"] for r in ws.query("SELECT action FROM audit_log WHERE project_id = ? ORDER BY id", (gone,))]
    assert actions[0] == "project.created" and actions[-1] == "project.deleted" and "model.registered" in actions
    entry = ws.query_one("SELECT detail_json FROM audit_log WHERE action = 'project.deleted'")
    detail = __import__("json").loads(entry["detail_json"])
    assert detail["name"] == "gone"
    assert [m["sha256"] for m in detail["model_versions"]] == hashes and len(hashes) == 1
    assert create_project(ws, "gone")["name"] == "gone"  # the name is free again


def test_a_new_project_never_gets_a_deleted_projects_id(ws):
    """SQLite reuses the id of a deleted newest project: the next one opened old links to it
    (?project=2) and showed its audit log (registrations, the deletion) as its own."""
    create_project(ws, "keep")
    gone = create_project(ws, "Churn - Alice")["id"]
    delete_project(ws, gone)
    new = create_project(ws, "Churn - Bob")
    assert new["id"] > gone
    actions = [r["action"] for r in ws.query("SELECT action FROM audit_log WHERE project_id = ?", (new["id"],))]
    assert actions == ["project.created"]
    with pytest.raises(NotFoundError):
        get_project(ws, gone)


def test_delete_is_refused_while_work_runs_in_the_project(ws):
    import threading

    from core.workspace import jobs

    pid = create_project(ws, "busy")["id"]
    release = threading.Event()
    job = jobs.start_job(ws, pid, "train", lambda progress: release.wait(10))
    try:
        with pytest.raises(ConfigError, match="has work running"):
            delete_project(ws, pid)
        assert get_project(ws, pid)["name"] == "busy"
    finally:
        release.set()
        jobs.wait_for_job(ws, job, timeout=10)
    delete_project(ws, pid)
    assert list_projects(ws) == []


def test_delete_is_refused_while_the_projects_endpoint_runs(ws):
    """An endpoint answers for the project until its starter (the app) stops: deleting under it would
    leave a process serving a project that no longer exists."""
    import json

    from core.workspace import owner
    from core.workspace.database import now

    pid = create_project(ws, "serving")["id"]
    gone = json.dumps({**json.loads(owner.this_process()), "started": -1})  # a starter that has exited
    with ws.transaction() as conn:
        conn.execute(
            "INSERT INTO endpoints (project_id, host, port, pid, owner, status, started_at) VALUES (?,?,?,?,?,?,?)",
            (pid, "127.0.0.1", 8000, 1, owner.this_process(), "running", now()),
        )
    with pytest.raises(ConfigError, match="has its HTTP endpoint running; stop it on the Deploy page"):
        delete_project(ws, pid)
    with ws.transaction() as conn:
        conn.execute("UPDATE endpoints SET owner = ? WHERE project_id = ?", (gone, pid))
    delete_project(ws, pid)
    assert list_projects(ws) == [] and ws.query("SELECT * FROM endpoints") == []


# -- Projects a pipeline run builds --------------------------------------------------------------------
@pytest.mark.slow
def test_a_run_that_fails_midway_leaves_its_project_marked_incomplete(ws, monkeypatch):
    from core import pipeline
    from core.workspace.errors import DataError

    def broken_train(*args, **kwargs):
        raise DataError("The target has one class.")

    monkeypatch.setattr(pipeline, "stage_train", broken_train)
    with pytest.raises(DataError):
        pipeline.run_pipeline(ws, _tiny_table(), None, pipeline.PipelineConfig(target="y", project_name="half"))
    project = get_project(ws, "half")
    assert project["build_state"] == "failed" and project["build_stage"] == "train"
    assert get_build_note(project) == "incomplete: failed during training"
    assert "one class" in project["build_error"]


@pytest.mark.slow
def test_a_finished_run_leaves_a_complete_project(ws):
    from core import pipeline

    pipeline.run_pipeline(
        ws,
        _tiny_table(),
        None,
        pipeline.PipelineConfig(target="y", project_name="whole", cv_folds=2, windows=2, rows_per_window=50),
    )
    project = get_project(ws, "whole")
    assert project["build_state"] == "complete" and get_build_note(project) is None


def test_a_project_made_by_hand_has_no_build_note(ws):
    assert get_build_note(create_project(ws, "by hand")) is None


def _claim_build(ws, pid: int, owner_text: str | None, stage: str | None) -> None:
    with ws.transaction() as conn:
        conn.execute(
            "UPDATE projects SET build_state = 'building', build_stage = ?, owner = ? WHERE id = ?",
            (stage, owner_text, pid),
        )


def test_build_notes_say_whether_the_run_still_goes(ws, tmp_path):
    import json
    import os

    from core.workspace import owner
    from core.workspace.database import Workspace

    live = create_project(ws, "live")["id"]
    _claim_build(ws, live, owner.this_process(), "train")
    dead = create_project(ws, "dead")["id"]
    gone_owner = json.loads(owner.this_process())
    gone_owner["started"] = -1  # this pid, but another process's start: the pid was reused
    _claim_build(ws, dead, json.dumps(gone_owner), "train")
    early = create_project(ws, "early")["id"]
    _claim_build(ws, early, None, None)  # recorded before owners were kept
    assert get_build_note(get_project(ws, live)) == "being built by a pipeline run (last finished: training)"
    assert get_build_note(get_project(ws, dead)) == "incomplete: stopped after training"
    assert get_build_note(get_project(ws, early)) == "incomplete: stopped before its first stage finished"
    reopened = Workspace(ws.root)  # start-up marks what dead processes left
    assert get_project(reopened, dead)["build_state"] == get_project(reopened, early)["build_state"] == "stopped"
    assert get_project(reopened, live)["build_state"] == "building"
    assert os.getpid() == gone_owner["pid"]


def test_stage_status_is_one_query_and_refuses_an_unknown_project(ws, monkeypatch):
    pid = create_project(ws, "one-query")["id"]
    sqls: list[str] = []
    original = Workspace.query

    def recording(self, sql, params=()):
        sqls.append(sql)
        return original(self, sql, params)

    monkeypatch.setattr(Workspace, "query", recording)
    assert not any(get_stage_status(ws, pid).values())
    assert len(sqls) == 1
    with pytest.raises(NotFoundError):
        get_stage_status(ws, pid + 1000)
