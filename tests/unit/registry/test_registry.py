"""Model registry: versions, aliases, promotion, rollback, audit trail, concurrency, integrity.

Runs are made directly in the database with a tiny fitted model, so these tests exercise the
registry alone (training is tested elsewhere) and stay fast.
"""

import hashlib
import json
import threading

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from core import registry
from core.workspace.database import now
from core.workspace.errors import ConfigError, IntegrityError, NotFoundError
from core.workspace.projects import create_project

MODEL = "churn"


def _make_run(ws, project_id: int, slope: float = 1.0, cv_score: float = 0.8, problem: dict | None = None) -> int:
    """A recorded run with a real fitted (tiny) model artifact; returns the run id."""
    X = np.array([[0.0], [1.0], [2.0], [3.0]]) * slope
    model = LogisticRegression().fit(X, [0, 0, 1, 1])
    artifact_id = ws.save_model(model)
    with ws.transaction() as conn:
        exp_id = conn.execute(
            """INSERT INTO experiments (project_id, dataset_id, feature_set_id, problem_json, config_json,
               validation, gate_json, created_at) VALUES (?,?,?,?,?,?,?,?)""",
            (
                project_id,
                1,
                1,
                json.dumps(problem or {}),
                "{}",
                "stratified-kfold",
                json.dumps({"passed": True}),
                now(),
            ),
        ).lastrowid
        run_id = conn.execute(
            """INSERT INTO runs (experiment_id, project_id, model_key, model_name, cv_score, test_metrics_json,
               model_artifact_id, created_at) VALUES (?,?,?,?,?,?,?,?)""",
            (
                exp_id,
                project_id,
                "logistic",
                "Logistic regression",
                cv_score,
                json.dumps({"roc_auc": cv_score}),
                artifact_id,
                now(),
            ),
        ).lastrowid
    return int(run_id)


@pytest.fixture
def project(ws):
    return create_project(ws, "registry test")["id"]


def _register(ws, pid, alias=None, slope=1.0):
    return registry.register_model(ws, pid, _make_run(ws, pid, slope), model_name=MODEL, alias=alias)


def _actions(ws, pid) -> list[str]:
    return registry.get_audit_df(ws, pid)["action"].tolist()[::-1]  # oldest first


def _alias_ids(ws, pid) -> dict[str, int | None]:
    out = {}
    for alias in registry.ALIASES:
        version = registry.get_alias_version(ws, pid, MODEL, alias)
        out[alias] = version["id"] if version else None
    return out


# -- versions -------------------------------------------------------------------------------------
def test_versions_number_up_and_record_the_artifact_hash(ws, project):
    versions = [_register(ws, project, slope=s) for s in (1.0, 2.0, 3.0)]
    assert [v["version"] for v in versions] == [1, 2, 3]
    for v in versions:
        info = ws.artifact_info(v["artifact_id"])
        on_disk = hashlib.sha256((ws.artifact_dir / info["path"]).read_bytes()).hexdigest()
        assert v["sha256"] == on_disk == info["sha256"]
        assert v["model_name"] == MODEL
        assert json.loads(v["lineage_json"])["run_id"] == v["run_id"]
    df = registry.get_versions_df(ws, project)
    assert sorted(df["version"]) == [1, 2, 3]
    assert registry.get_model_name(ws, project) == MODEL


def test_version_numbers_are_per_model_name(ws, project):
    registry.register_model(ws, project, _make_run(ws, project), model_name="a")
    registry.register_model(ws, project, _make_run(ws, project), model_name="a")
    other = registry.register_model(ws, project, _make_run(ws, project), model_name="b")
    assert other["version"] == 1


def test_register_unknown_run_or_bad_alias(ws, project):
    with pytest.raises(NotFoundError, match="Run 12345"):
        registry.register_model(ws, project, 12345, model_name=MODEL)
    with pytest.raises(ConfigError, match="champion, challenger"):
        registry.register_model(ws, project, _make_run(ws, project), model_name=MODEL, alias="production")
    assert registry.get_versions_df(ws, project).empty


def test_register_run_of_another_project_is_refused(ws, project):
    other = create_project(ws, "other")["id"]
    run_id = _make_run(ws, other)
    with pytest.raises(NotFoundError):
        registry.register_model(ws, project, run_id, model_name=MODEL)


# -- aliases, promotion, rollback ---------------------------------------------------------------
def test_aliases_set_at_registration_and_moved(ws, project):
    v1 = _register(ws, project, alias="champion")
    v2 = _register(ws, project, alias="challenger")
    assert _alias_ids(ws, project) == {"champion": v1["id"], "challenger": v2["id"]}
    v3 = _register(ws, project)
    registry.set_alias(ws, project, MODEL, "challenger", v3["id"], reason="newer")
    assert _alias_ids(ws, project) == {"champion": v1["id"], "challenger": v3["id"]}
    aliases = dict(
        zip(registry.get_versions_df(ws, project)["version"], registry.get_versions_df(ws, project)["aliases"])
    )
    assert aliases == {1: "champion", 2: "", 3: "challenger"}


def test_set_alias_refuses_unknown_alias_or_version(ws, project):
    v1 = _register(ws, project)
    with pytest.raises(ConfigError, match="got 'staging'"):
        registry.set_alias(ws, project, MODEL, "staging", v1["id"])
    with pytest.raises(NotFoundError, match="999"):
        registry.set_alias(ws, project, MODEL, "champion", 999)


def test_promote_challenger_moves_it_to_champion_and_clears_challenger(ws, project):
    _register(ws, project, alias="champion")
    v2 = _register(ws, project, alias="challenger")
    promoted = registry.promote_challenger(ws, project, MODEL, reason="better on fresh data")
    assert promoted["id"] == v2["id"]
    assert _alias_ids(ws, project) == {"champion": v2["id"], "challenger": None}
    with pytest.raises(NotFoundError, match="no challenger"):
        registry.promote_challenger(ws, project, MODEL)


def test_rollback_returns_the_previous_champion(ws, project):
    v1 = _register(ws, project, alias="champion")
    v2 = _register(ws, project, alias="challenger")
    registry.promote_challenger(ws, project, MODEL)
    back = registry.rollback_champion(ws, project, MODEL, reason="complaints")
    assert back["id"] == v1["id"]
    assert _alias_ids(ws, project)["champion"] == v1["id"]
    # The version rolled back from leaves production without being deleted: still listed, no alias left.
    versions = registry.get_versions_df(ws, project, MODEL).set_index("id")
    assert list(versions.index) == [v2["id"], v1["id"]]
    assert versions.loc[v1["id"], "aliases"] == "champion" and versions.loc[v2["id"], "aliases"] == ""


def test_rollback_without_history_is_not_found(ws, project):
    with pytest.raises(NotFoundError, match="no champion"):
        registry.rollback_champion(ws, project, MODEL)
    _register(ws, project, alias="champion")
    with pytest.raises(NotFoundError, match="no earlier champion"):
        registry.rollback_champion(ws, project, MODEL)


def test_rolling_back_again_goes_further_back_never_forward(ws, project):
    v1 = _register(ws, project, alias="champion")
    v2 = _register(ws, project, alias="challenger")
    registry.promote_challenger(ws, project, MODEL)
    v3 = _register(ws, project, alias="challenger")
    registry.promote_challenger(ws, project, MODEL)
    assert _alias_ids(ws, project)["champion"] == v3["id"]
    assert registry.rollback_champion(ws, project, MODEL)["id"] == v2["id"]
    assert registry.rollback_champion(ws, project, MODEL)["id"] == v1["id"]  # not back to v3
    with pytest.raises(NotFoundError, match="no earlier champion"):
        registry.rollback_champion(ws, project, MODEL)
    # A new champion after rollbacks starts from where the rollbacks left off.
    v4 = _register(ws, project, alias="challenger")
    registry.promote_challenger(ws, project, MODEL)
    assert _alias_ids(ws, project)["champion"] == v4["id"]
    assert registry.rollback_champion(ws, project, MODEL)["id"] == v1["id"]


def test_every_change_is_in_the_audit_log(ws, project):
    v1 = _register(ws, project, alias="champion")
    v2 = _register(ws, project)
    registry.set_alias(ws, project, MODEL, "challenger", v2["id"], reason="try it")
    registry.promote_challenger(ws, project, MODEL, reason="wins")
    registry.rollback_champion(ws, project, MODEL, reason="regret")
    actions = _actions(ws, project)
    assert actions == [
        "project.created",
        "model.registered",
        "alias.set",
        "model.registered",
        "alias.set",
        "alias.set",
        "model.promoted",
        "alias.set",
        "model.rolled_back",
    ]
    details = [json.loads(d) for d in registry.get_audit_df(ws, project)["detail"]][::-1]
    promoted_alias = details[5]
    assert promoted_alias == {
        "model": MODEL,
        "alias": "champion",
        "version_id": v2["id"],
        "previous_version_id": v1["id"],
        "reason": "wins",
    }
    assert details[-1] == {"model": MODEL, "from_version_id": v2["id"], "to_version_id": v1["id"], "reason": "regret"}
    registered = details[1]
    assert registered["sha256"] == v1["sha256"] and registered["version"] == 1


# -- concurrency ----------------------------------------------------------------------------------
def _run_together(*calls):
    """Start the calls at the same moment in threads; return (results, errors) in call order. The
    barrier and the joins have timeouts, so a deadlock fails the test instead of hanging it."""
    barrier = threading.Barrier(len(calls), timeout=30)
    results, errors = [None] * len(calls), [None] * len(calls)

    def worker(i, fn):
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - recorded for the assertions
            errors[i] = exc

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a concurrent call did not finish within 60 s"
    return results, errors


def test_two_sessions_registering_the_same_run_make_one_version(ws):
    """Both sessions pass the early check at the same moment; the check inside the write transaction
    (and the unique index under it) lets exactly one of them register."""
    pid = create_project(ws, "double click")["id"]
    for round_ in range(6):
        run_id = _make_run(ws, pid, slope=1.0 + round_)
        results, errors = _run_together(
            lambda run_id=run_id: registry.register_model(ws, pid, run_id, model_name=MODEL, note="session A"),
            lambda run_id=run_id: registry.register_model(ws, pid, run_id, model_name=MODEL, note="session B"),
        )
        winners = [r for r in results if r is not None]
        losers = [e for e in errors if e is not None]
        assert len(winners) == 1, f"round {round_}: {len(winners)} versions of run {run_id}"
        assert len(losers) == 1 and isinstance(losers[0], ConfigError), losers
        assert f"already registered as {MODEL} v{winners[0]['version']}" in str(losers[0])
        assert ws.query_one("SELECT COUNT(*) AS n FROM model_versions WHERE run_id = ?", (run_id,))["n"] == 1
    assert sorted(registry.get_versions_df(ws, pid)["version"]) == [1, 2, 3, 4, 5, 6]


def _one_per_run_migration() -> int:
    from core.workspace.schema import MIGRATIONS

    return next(i for i, m in enumerate(MIGRATIONS, start=1) if any("model_versions_one_per_run" in s for s in m))


def test_the_one_version_per_run_migration_keeps_duplicates_made_before_it(tmp_path, monkeypatch):
    """A workspace made by the old code may already hold two versions of one run: the migration keeps
    both (aliases and deployments may point at either), marks the later one, and refuses new ones."""
    import sqlite3

    from core.workspace import database as workspace
    from core.workspace import schema

    number = _one_per_run_migration()
    monkeypatch.setattr(workspace, "MIGRATIONS", schema.MIGRATIONS[: number - 1])
    old = workspace.Workspace(tmp_path / "ws")
    pid = create_project(old, "old workspace")["id"]
    run_id = _make_run(old, pid)
    first = registry.register_model(old, pid, run_id, model_name=MODEL, alias="champion")
    with old.transaction() as conn:  # what the race used to leave behind: a second version of the run
        conn.execute(
            """INSERT INTO model_versions (project_id, model_name, version, run_id, artifact_id, sha256,
                        metrics_json, lineage_json, note, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)""",
            (
                pid,
                MODEL,
                2,
                run_id,
                first["artifact_id"],
                first["sha256"],
                first["metrics_json"],
                first["lineage_json"],
                "",
                now(),
            ),
        )
    monkeypatch.setattr(workspace, "MIGRATIONS", schema.MIGRATIONS)
    ws = workspace.Workspace(tmp_path / "ws")  # migrates
    versions = registry.get_versions_df(ws, pid).set_index("version")
    assert list(versions.index) == [2, 1]
    assert "duplicate registration of run" in versions.loc[2, "note"]
    assert registry.get_alias_version(ws, pid, MODEL, "champion")["id"] == first["id"]
    assert registry.get_version_of_run(ws, pid, run_id)["id"] == first["id"]
    with pytest.raises(ConfigError, match="already registered as churn v1"):
        registry.register_model(ws, pid, run_id, model_name=MODEL)
    with pytest.raises(sqlite3.IntegrityError), ws.transaction() as conn:  # the index itself
        conn.execute(
            """INSERT INTO model_versions (project_id, model_name, version, run_id, artifact_id, sha256,
                        created_at) VALUES (?,?,?,?,?,?,?)""",
            (pid, MODEL, 3, run_id, first["artifact_id"], first["sha256"], now()),
        )


def test_two_concurrent_promotions_exactly_one_wins(ws):
    for round_ in range(8):
        pid = create_project(ws, f"race {round_}")["id"]
        _register(ws, pid, alias="champion")
        v2 = _register(ws, pid, alias="challenger")
        results, errors = _run_together(
            lambda pid=pid: registry.promote_challenger(ws, pid, MODEL, reason="A"),
            lambda pid=pid: registry.promote_challenger(ws, pid, MODEL, reason="B"),
        )
        winners = [r for r in results if r is not None]
        assert len(winners) == 1 and winners[0]["id"] == v2["id"]
        loser_error = [e for e in errors if e is not None]
        assert len(loser_error) == 1 and isinstance(loser_error[0], NotFoundError), loser_error
        assert _alias_ids(ws, pid) == {"champion": v2["id"], "challenger": None}
        assert _actions(ws, pid).count("model.promoted") == 1


def test_concurrent_promote_and_set_alias_leave_a_consistent_state(ws):
    for round_ in range(8):
        pid = create_project(ws, f"mixed {round_}")["id"]
        _register(ws, pid, alias="champion")
        v2 = _register(ws, pid, alias="challenger")
        v3 = _register(ws, pid)
        results, errors = _run_together(
            lambda pid=pid: registry.promote_challenger(ws, pid, MODEL, reason="promote"),
            lambda pid=pid, v3=v3: registry.set_alias(ws, pid, MODEL, "challenger", v3["id"], reason="new challenger"),
        )
        assert errors == [None, None]
        final = _alias_ids(ws, pid)
        # Serialised either way round: promote first (v2 champion, v3 challenger), or the alias
        # first (v3 promoted, no challenger). Anything else means the two interleaved.
        assert final in ({"champion": v2["id"], "challenger": v3["id"]}, {"champion": v3["id"], "challenger": None})
        assert results[0]["id"] == final["champion"]
        details = [json.loads(d) for d in registry.get_audit_df(ws, pid)["detail"]]
        actions = registry.get_audit_df(ws, pid)["action"].tolist()
        assert actions.count("model.promoted") == 1
        assert any(
            a == "alias.set" and d.get("reason") == "new challenger" and d["version_id"] == v3["id"]
            for a, d in zip(actions, details)
        )


# -- integrity ------------------------------------------------------------------------------------
def test_load_version_model_loads_the_registered_model(ws, project):
    v1 = _register(ws, project)
    model = registry.load_version_model(ws, v1["id"])
    assert model.predict(np.array([[0.0], [3.0]])).tolist() == [0, 1]


def test_tampered_artifact_is_refused(ws, project):
    v1 = _register(ws, project)
    path = ws.artifact_dir / ws.artifact_info(v1["artifact_id"])["path"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="SHA-256"):
        registry.load_version_model(ws, v1["id"])


def test_missing_artifact_is_refused(ws, project):
    v1 = _register(ws, project)
    (ws.artifact_dir / ws.artifact_info(v1["artifact_id"])["path"]).unlink()
    with pytest.raises(IntegrityError, match="missing"):
        registry.load_version_model(ws, v1["id"])


def test_unknown_version_is_not_found(ws):
    with pytest.raises(NotFoundError, match="42"):
        registry.get_version(ws, 42)


def test_set_alias_refuses_a_version_of_another_project(ws, project):
    _register(ws, project, alias="champion")
    other = create_project(ws, "other")["id"]
    foreign = registry.register_model(ws, other, _make_run(ws, other), model_name="fraud")
    with pytest.raises((ConfigError, NotFoundError)):
        registry.set_alias(ws, project, MODEL, "champion", foreign["id"])


# -- each version remembers its problem -------------------------------------------------------------
CHURN = {"target": "churn", "task": "binary", "positive_class": "Yes", "metric": "roc_auc", "threshold": 0.75}
TENURE = {"target": "tenure", "task": "regression", "metric": "r2", "threshold": 0.6}


def _register_for(ws, pid, problem: dict, model_name: str, alias=None, frozen: bool = True):
    """A version of a run whose experiment has ``problem``; ``frozen`` also puts it in the lineage, as
    registration does now (versions registered before did not)."""
    run_id = _make_run(ws, pid, problem=problem)
    return registry.register_model(
        ws, pid, run_id, model_name=model_name, alias=alias, extra_lineage={"problem": problem} if frozen else {}
    )


def test_a_version_reads_back_its_frozen_problem_not_the_project_s(ws, project):
    from core.problem.definition import ProblemConfig
    from core.problem.store import set_problem

    v1 = _register_for(ws, project, CHURN, MODEL, alias="champion")
    set_problem(ws, project, ProblemConfig(**TENURE))
    with ws.transaction() as conn:  # even if its experiment's record were edited, the version keeps its own
        conn.execute("UPDATE experiments SET problem_json = ?", (json.dumps(TENURE),))
    problem = registry.get_version_problem(ws, registry.get_version(ws, v1["id"]))
    assert (problem.target, problem.task, problem.positive_class, problem.metric) == (
        "churn",
        "binary",
        "Yes",
        "roc_auc",
    )


def test_a_version_registered_before_problems_were_frozen_falls_back_to_its_experiment(ws, project):
    old = _register_for(ws, project, CHURN, MODEL, frozen=False)
    assert "problem" not in json.loads(old["lineage_json"])
    assert registry.get_version_problem(ws, old).target == "churn"
    nothing = registry.register_model(ws, project, _make_run(ws, project), model_name="unknown")
    with pytest.raises(NotFoundError, match="no recorded problem"):
        registry.get_version_problem(ws, nothing)


def test_the_pages_show_the_model_of_the_current_problem_else_the_newest(ws, project):
    from core.problem.definition import ProblemConfig
    from core.problem.store import set_problem

    set_problem(ws, project, ProblemConfig(**CHURN))
    _register_for(ws, project, CHURN, "churn", alias="champion")
    assert registry.get_model_name(ws, project) == "churn"
    set_problem(ws, project, ProblemConfig(**TENURE))  # changed, nothing registered for it yet: the newest
    assert registry.get_model_name(ws, project) == "churn"
    assert registry.find_model_name(ws, project, ProblemConfig(**TENURE)) is None
    _register_for(ws, project, TENURE, "churn-tenure", alias="champion")
    assert registry.get_model_names(ws, project) == ["churn-tenure", "churn"]
    assert registry.get_model_name(ws, project) == "churn-tenure"
    set_problem(ws, project, ProblemConfig(**{**CHURN, "threshold": 0.8, "metric": "f1_macro"}))  # same question
    assert registry.get_model_name(ws, project) == "churn"
    set_problem(ws, project, ProblemConfig(**{**CHURN, "positive_class": "No"}))  # another question
    assert registry.get_model_name(ws, project) == "churn-tenure"  # none answers it: the newest
    assert registry.get_versions_df(ws, project, "churn")["predicts"].tolist() == ["churn"]


# -- promotion and rollback serve the new champion at once ------------------------------------------
def _deploy(ws, pid, model_name=MODEL, strategy="single"):
    from core.deployment.routing import RoutingConfig
    from core.pipeline import stage_deploy

    return stage_deploy(ws, pid, RoutingConfig(strategy), model_name=model_name)


def _live_champion(ws, pid) -> int:
    from core.deployment import serving

    return serving.get_active_deployment(ws, pid)["champion_version_id"]


def test_promotion_and_rollback_redeploy_the_model_the_endpoint_serves(ws, project):
    from core.pipeline import stage_promote, stage_rollback

    v1 = _register(ws, project, alias="champion")
    v2 = _register(ws, project, alias="challenger")
    first = _deploy(ws, project, strategy="canary")
    promoted = stage_promote(ws, project, MODEL, reason="wins")
    assert promoted["deployment"]["id"] != first["id"]
    assert _live_champion(ws, project) == v2["id"] == _alias_ids(ws, project)["champion"]
    assert promoted["deployment"]["routing"].strategy == "single"  # the canary's challenger is gone
    assert "churn v2 is now the champion; the endpoint serves it now" in promoted["message"]
    back = stage_rollback(ws, project, MODEL, reason="complaints")
    assert _live_champion(ws, project) == v1["id"] == _alias_ids(ws, project)["champion"]
    assert back["message"].startswith("Rolled back: churn v1 is the champion again; the endpoint serves it now")
    audit = registry.get_audit_df(ws, project)
    assert "rollback of churn" in audit.loc[audit["action"] == "deployment.created", "detail"].iloc[0]


def test_promotion_without_a_deployment_or_of_another_model_says_what_the_endpoint_serves(ws, project):
    from core.deployment import serving
    from core.pipeline import stage_promote

    _register(ws, project, alias="champion")
    _register(ws, project, alias="challenger")
    done = stage_promote(ws, project, MODEL)
    assert done["deployment"] is None and "Nothing is deployed yet" in done["message"]
    other = registry.register_model(ws, project, _make_run(ws, project), model_name="other", alias="champion")
    registry.register_model(ws, project, _make_run(ws, project), model_name="other", alias="challenger")
    live = _deploy(ws, project, model_name="churn")
    done = stage_promote(ws, project, "other")
    assert done["deployment"] is None
    assert serving.get_active_deployment(ws, project)["id"] == live["id"]  # still churn v2
    assert "still serves deployment" in done["message"] and "churn v2" in done["message"]
    assert other["model_name"] == "other"
