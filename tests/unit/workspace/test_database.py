import threading

import pandas as pd
import pytest

from core.workspace.database import Workspace
from core.workspace.errors import IntegrityError
from core.workspace.schema import MIGRATIONS


def test_migrations_are_recorded_once(tmp_path):
    Workspace(tmp_path)
    again = Workspace(tmp_path)
    rows = again.query("SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in rows] == list(range(1, len(MIGRATIONS) + 1))
    assert again.query_one("PRAGMA journal_mode")["journal_mode"] == "wal"


def test_frame_round_trip_keeps_types(ws):
    df = pd.DataFrame({"zip": ["01234", "99999"], "x": [1.5, None], "when": pd.to_datetime(["2024-01-01", None])})
    loaded = ws.load_frame(ws.save_frame(df))
    pd.testing.assert_frame_equal(loaded, df, check_dtype=False)
    assert loaded["zip"].tolist() == ["01234", "99999"]


def test_tampered_artifact_is_refused_before_unpickling(ws):
    artifact_id = ws.save_model({"weights": [1, 2, 3]})
    path = ws.artifact_dir / ws.artifact_info(artifact_id)["path"]
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01  # one flipped bit
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="changed or corrupted"):
        ws.load_model(artifact_id)


def test_missing_artifact_says_what_to_do(ws):
    artifact_id = ws.save_json({"a": 1})
    (ws.artifact_dir / ws.artifact_info(artifact_id)["path"]).unlink()
    with pytest.raises(IntegrityError, match="missing"):
        ws.load_json(artifact_id)


def test_atomic_write_leaves_no_temp_files(ws):
    for i in range(5):
        ws.save_json({"i": i})
    leftovers = [p for p in ws.artifact_dir.rglob(".tmp-*")]
    assert leftovers == []


def test_failed_transaction_rolls_back(ws):
    with pytest.raises(RuntimeError):
        with ws.transaction() as conn:
            conn.execute("INSERT INTO projects (name, created_at) VALUES ('x', 0)")
            raise RuntimeError("boom")
    assert ws.query("SELECT * FROM projects") == []


def test_concurrent_writers_serialise(ws):
    """BEGIN IMMEDIATE: concurrent read-modify-write transactions never lose an update."""
    with ws.transaction() as conn:
        conn.execute("INSERT INTO projects (name, created_at, source) VALUES ('counter', 0, '0')")

    def bump():
        for _ in range(20):
            with ws.transaction() as conn:
                value = int(conn.execute("SELECT source FROM projects WHERE name='counter'").fetchone()[0])
                conn.execute("UPDATE projects SET source = ? WHERE name='counter'", (str(value + 1),))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ws.query_one("SELECT source FROM projects WHERE name='counter'")["source"] == "80"


def test_an_older_workspace_is_migrated_forward(tmp_path, monkeypatch):
    import core.workspace.database as workspace_module

    monkeypatch.setattr(workspace_module, "MIGRATIONS", MIGRATIONS[:1])
    Workspace(tmp_path)  # a workspace made by the first release
    monkeypatch.setattr(workspace_module, "MIGRATIONS", MIGRATIONS)
    upgraded = Workspace(tmp_path)
    columns = [r["name"] for r in upgraded.query("PRAGMA table_info(experiments)")]
    assert "note" in columns


def test_a_fresh_workspace_opened_by_many_sessions_at_once_opens_for_all(tmp_path):
    """A class opening the app on a new server: switching a new database to WAL answers "database is
    locked" at once (no busy wait) while another connection opens it, which once failed sessions."""
    errors: list[str] = []
    for attempt in range(15):
        barrier = threading.Barrier(6)

        def open_it(path=tmp_path / f"ws{attempt}", barrier=barrier):
            try:
                barrier.wait(timeout=60)
                Workspace(path)
            except Exception as exc:  # collected: an exception in a thread would otherwise go unseen
                errors.append(repr(exc))

        threads = [threading.Thread(target=open_it) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    assert errors == []
    assert Workspace(tmp_path / "ws0").query_one("PRAGMA journal_mode")["journal_mode"] == "wal"


def test_migration_14_adds_actors_to_an_old_workspace_and_keeps_its_entries(tmp_path, monkeypatch):
    """A workspace made before migration 14 keeps its audit entries (who: not recorded) and records the
    actor of every entry written after it."""
    from core.registry import approvals, lifecycle
    from core.registry.versions import get_audit_df
    from core.workspace import database
    from core.workspace.actor import REVIEWER, Actor, acting_as
    from core.workspace.projects import create_project

    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS[:13])
    old = Workspace(tmp_path)
    pid = create_project(old, "before sign-off")["id"]
    columns = {r["name"] for r in old.query("PRAGMA table_info(audit_log)")}
    assert "actor" not in columns
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS)
    new = Workspace(tmp_path)
    assert {"actor", "actor_role", "on_behalf_of"} <= {r["name"] for r in new.query("PRAGMA table_info(audit_log)")}
    assert new.query_one("SELECT COUNT(*) AS n FROM promotion_requests")["n"] == 0
    assert approvals.get_policy(new, pid) == approvals.RegistryPolicy()
    assert lifecycle.get_stages(new, pid) == {}
    with acting_as(Actor("Bo", REVIEWER)):
        approvals.set_policy(new, pid, approvals.RegistryPolicy(people_need_approval=False))
    audit = get_audit_df(new, pid)
    assert audit["who"].tolist() == ["Bo (reviewer)", "not recorded"]
    assert audit["action"].tolist() == ["registry.policy", "project.created"]
