"""The prediction log's background writer: answers return before the write, yet nothing queued is
lost (exit, readers, a database that refuses), the order is kept and the queue stays bounded."""

import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from core.deployment import log_writer, serving
from core.deployment.log_writer import LogUnavailable, LogWriter
from core.deployment.routing import RoutingConfig
from core.pipeline import PipelineConfig, run_pipeline, stage_deploy
from core.workspace.database import Workspace, flush_pending_writes

ROOT = Path(__file__).resolve().parents[3]
INSERT = "INSERT INTO t (batch, i) VALUES (?, ?)"


def _db(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, batch INTEGER, i INTEGER)")
    return path


def _rows(path: Path) -> list[tuple[int, int]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT batch, i FROM t ORDER BY id").fetchall()


def _batch(b: int, n: int):
    return n, lambda: [(b, i) for i in range(n)]


@pytest.fixture
def slow_flush(monkeypatch):
    """The writer waits long before writing: whatever is read back was flushed by the reader."""
    monkeypatch.setattr(log_writer, "FLUSH_EVERY_S", 30.0)
    monkeypatch.setattr(log_writer, "FLUSH_ROWS", 10**9)


def test_queued_rows_are_written_at_interpreter_exit(tmp_path):
    db = _db(tmp_path / "log.db")
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from core.deployment import log_writer
        log_writer.FLUSH_EVERY_S = 600.0  # the writer would not write before the end of the process
        writer = log_writer.writer_for(Path({str(db)!r}), {INSERT!r})
        for b in range(3):
            writer.submit(4, lambda b=b: [(b, i) for i in range(4)])
        assert writer.pending == 12
        """
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)
    assert _rows(db) == [(b, i) for b in range(3) for i in range(4)]


def test_mlops_studio_flushes_before_its_hard_exit(tmp_path):
    """`mlops-studio` leaves with os._exit (no atexit): it writes the queue first."""
    db = _db(tmp_path / "log.db")
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from core.deployment import log_writer
        from core.workspace.database import flush_pending_writes
        log_writer.FLUSH_EVERY_S = 600.0
        log_writer.writer_for(Path({str(db)!r}), {INSERT!r}).submit(2, lambda: [(7, 0), (7, 1)])
        flush_pending_writes()
        os._exit(0)
        """
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=60)
    assert _rows(db) == [(7, 0), (7, 1)]


def test_a_flush_writes_everything_queued_in_order(tmp_path, slow_flush):
    writer = LogWriter(_db(tmp_path / "log.db"), INSERT)
    for b in range(5):
        writer.submit(*_batch(b, 3))
    assert writer.pending == 15 and _rows(tmp_path / "log.db") == []
    writer.flush()
    assert writer.pending == 0 and _rows(tmp_path / "log.db") == [(b, i) for b in range(5) for i in range(3)]


def test_a_batch_stored_once_knows_the_ids_of_its_rows_in_statements_of_many_rows(tmp_path, slow_flush):
    db = _db(tmp_path / "log.db")
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE once (id INTEGER PRIMARY KEY, what TEXT, first INTEGER, last INTEGER)")
    writer = LogWriter(db, INSERT, "INSERT INTO once (what, first, last) VALUES (?, ?, ?)")
    sizes = [2, log_writer.CHUNK_ROWS * 2 + 7, 1, log_writer.CHUNK_ROWS, 3]  # whole statements, a rest, plain ones
    for b, n in enumerate(sizes):
        stored = b % 2 == 1
        writer.submit(
            n,
            lambda b=b, n=n, stored=stored: (
                log_writer.ColumnBatch([log_writer.Same(b), list(range(n))], n, (f"batch {b}",))
                if stored
                else [(b, i) for i in range(n)]
            ),
        )
    writer.flush()
    assert _rows(db) == [(b, i) for b, n in enumerate(sizes) for i in range(n)]
    with sqlite3.connect(db) as conn:
        once = conn.execute("SELECT what, first, last FROM once ORDER BY id").fetchall()
        ids = {b: conn.execute("SELECT MIN(id), MAX(id) FROM t WHERE batch = ?", (b,)).fetchone() for b in (1, 3)}
    assert once == [("batch 1", *ids[1]), ("batch 3", *ids[3])]


def test_the_writer_writes_by_itself_within_milliseconds(tmp_path):
    db = _db(tmp_path / "log.db")
    writer = LogWriter(db, INSERT)
    writer.submit(*_batch(0, 3))
    done = threading.Event()
    for _ in range(500):  # waits for the writer thread, at most ~5 s on a busy machine
        if writer.pending == 0:
            done.set()
            break
        done.wait(0.01)
    assert done.is_set() and _rows(db) == [(0, 0), (0, 1), (0, 2)]


def test_the_queue_is_bounded(tmp_path, monkeypatch, slow_flush):
    """Past MAX_QUEUED_ROWS a submit waits for the writer to make room (it does not grow the queue)."""
    monkeypatch.setattr(log_writer, "MAX_QUEUED_ROWS", 10)
    db = _db(tmp_path / "log.db")
    writer = LogWriter(db, INSERT)
    most = 0
    for b in range(6):
        writer.submit(*_batch(b, 5))
        most = max(most, writer.pending)
    assert most <= 10 + 5
    writer.flush()
    assert _rows(db) == [(b, i) for b in range(6) for i in range(5)]


def test_a_database_that_refuses_keeps_the_rows_and_the_next_submit_says_so(tmp_path, monkeypatch, slow_flush):
    monkeypatch.setattr(log_writer, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(log_writer, "RETRY_PAUSE_S", 0.0)
    db = _db(tmp_path / "log.db")
    writer = LogWriter(db, INSERT)
    writer.submit(*_batch(0, 2))
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    try:
        with pytest.raises(LogUnavailable, match="cannot be written.*2 logged answer"):
            writer.flush()
        assert writer.failure is not None and writer.pending == 2
        # The next batch is refused with a clear error, not queued behind a log that cannot be written.
        with pytest.raises(LogUnavailable, match="wait in memory"):
            writer.submit(*_batch(1, 3))
        assert writer.pending == 2
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    writer.submit(*_batch(2, 1))  # the database accepts writes again: the kept rows go first
    writer.flush()
    assert writer.failure is None and _rows(db) == [(0, 0), (0, 1), (2, 0)]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    x1 = rng.normal(size=300)
    color = rng.choice(["red", "green"], 300)
    y = np.where(x1 + (color == "red") > 0.5, "yes", "no")
    table = pd.DataFrame({"x1": x1, "color": color, "y": y})
    ws = Workspace(tmp_path_factory.mktemp("logwriter") / "ws")
    run_pipeline(
        ws, table, None, PipelineConfig(target="y", project_name="log", cv_folds=2, windows=1, rows_per_window=50)
    )
    deployment = stage_deploy(ws, 1, RoutingConfig("single"))
    return ws, deployment, table.drop(columns=["y"]).head(4)


def test_readers_see_the_answers_given_just_before(deployed, slow_flush):
    ws, deployment, rows = deployed
    out = serving.predict(ws, deployment, rows)
    assert log_writer.writer_for(ws.db_path, "").pending == len(rows)  # not written yet
    log = serving.get_prediction_log_df(ws, deployment["id"], limit=len(rows))
    assert sorted(log["request_id"]) == sorted(out["request_id"])
    answered = serving.predict(ws, deployment, rows.head(1))
    assert serving.record_feedback(ws, 1, answered["request_id"].iloc[0], "yes") == 1  # an id just answered
    summary = serving.get_traffic_summary_df(ws, deployment["id"])
    count = ws.query_one("SELECT COUNT(*) AS n FROM predictions WHERE deployment_id = ?", (deployment["id"],))
    assert summary["requests"].sum() == count["n"]


def test_a_reader_inside_a_transaction_does_not_wait_on_itself(deployed, slow_flush):
    """A query run while this thread holds a write transaction must not flush (the flush would wait
    for the lock this thread holds)."""
    ws, deployment, rows = deployed
    with ws.transaction() as conn:
        serving.predict(ws, deployment, rows.head(2))
        ws.query("SELECT COUNT(*) AS n FROM predictions")
        conn.execute("SELECT 1")
    assert log_writer.writer_for(ws.db_path, "").pending == 2
    flush_pending_writes(ws.db_path)
    assert log_writer.writer_for(ws.db_path, "").pending == 0


@pytest.mark.parametrize("rows", [1, 7, log_writer.CHUNK_ROWS, log_writer.CHUNK_ROWS * 2 + 3])
def test_a_batch_written_column_by_column_holds_the_rows_its_records_hold(tmp_path, slow_flush, rows):
    """Values the same in every row are bound once a statement; the rows read back are those a
    row-by-row insert writes, types kept (1, 1.0 and True are equal in Python, not in SQLite)."""
    db = tmp_path / "log.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE w (id INTEGER PRIMARY KEY, a, b, c, d, e, f)")
        conn.execute("CREATE TABLE once (id INTEGER PRIMARY KEY, what TEXT, first INTEGER, last INTEGER)")
    insert = "INSERT INTO w (a, b, c, d, e, f) VALUES (?, ?, ?, ?, ?, ?)"
    writer = LogWriter(db, insert, "INSERT INTO once (what, first, last) VALUES (?, ?, ?)")
    columns = [
        log_writer.Same(7),
        [f"r{i}" for i in range(rows)],
        log_writer.column_of([1.5] * rows),
        log_writer.column_of([None] * rows),
        log_writer.column_of([1, 1.0, True][: min(rows, 3)] + [1] * max(0, rows - 3)),
        [i / 3 for i in range(rows)],
    ]
    batch = log_writer.ColumnBatch(columns, rows, ("the batch",))
    expected = batch.records()
    writer.submit(2, lambda: [(0, 0, 0, 0, 0, 0), (1, 1, 1, 1, 1, 1)])  # a plain batch before it
    writer.submit(rows, lambda: batch)
    writer.flush()
    with sqlite3.connect(db) as conn:
        written = conn.execute("SELECT a, b, c, d, e, f, typeof(e) FROM w ORDER BY id").fetchall()
        once = conn.execute("SELECT what, first, last FROM once").fetchall()
    assert [r[:6] for r in written[2:]] == expected
    kinds = [r[6] for r in written[2:]]
    assert kinds[:3] == ["integer", "real", "integer"][: min(rows, 3)]  # True is stored as 1, as sqlite3 binds it
    assert once == [("the batch", 3, 2 + rows)]
    assert isinstance(columns[2], log_writer.Same) and isinstance(columns[3], log_writer.Same)
    assert rows == 1 or not isinstance(columns[4], log_writer.Same)
