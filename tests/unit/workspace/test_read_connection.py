"""The per-thread read connection of Workspace.query: reused, yet every read sees every commit."""

import gc
import os
import shutil
import threading
from pathlib import Path

import pytest

from core.workspace import database
from core.workspace.database import Workspace, close_read_connection


@pytest.fixture
def connects(monkeypatch):
    """Counts the connections Workspace opens."""
    counter = {"n": 0}
    original = Workspace._connect

    def counting(self):
        counter["n"] += 1
        return original(self)

    monkeypatch.setattr(Workspace, "_connect", counting)
    return counter


def _counter(ws: Workspace) -> int:
    return int(ws.query_one("SELECT source FROM projects WHERE name='counter'")["source"])


def _make_counter(ws: Workspace) -> None:
    with ws.transaction() as conn:
        conn.execute("INSERT INTO projects (name, created_at, source) VALUES ('counter', 0, '0')")


def test_reads_in_one_thread_share_one_connection(ws, connects):
    close_read_connection()
    for _i in range(10):
        ws.query("SELECT * FROM projects")
    assert connects["n"] == 1


def test_a_reused_read_connection_sees_commits_of_other_threads(ws, connects):
    _make_counter(ws)
    assert _counter(ws) == 0  # this thread now holds its read connection

    def write(value: int) -> None:
        with ws.transaction() as conn:
            conn.execute("UPDATE projects SET source = ? WHERE name='counter'", (str(value),))

    for value in (1, 2, 3):
        writer = threading.Thread(target=write, args=(value,))
        writer.start()
        writer.join()
        assert _counter(ws) == value
    opened = connects["n"]
    _counter(ws)
    assert connects["n"] == opened  # the read reused its connection


def test_readers_holding_connections_never_block_writers_nor_read_stale_data(ws):
    """Four threads read between 4 x 20 read-modify-write transactions: no lost update, no error,
    and what each reader sees never goes back in time."""
    _make_counter(ws)
    errors: list[BaseException] = []
    seen: list[list[int]] = [[] for _i in range(4)]

    def work(i: int) -> None:
        try:
            for _j in range(20):
                seen[i].append(_counter(ws))
                with ws.transaction() as conn:
                    value = int(conn.execute("SELECT source FROM projects WHERE name='counter'").fetchone()[0])
                    conn.execute("UPDATE projects SET source = ? WHERE name='counter'", (str(value + 1),))
                after = _counter(ws)
                assert after >= value + 1  # our own commit is visible at once to our read connection
                seen[i].append(after)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _counter(ws) == 80
    for values in seen:
        assert values == sorted(values)


def test_reading_another_database_closes_the_previous_connection(tmp_path, connects):
    a, b = Workspace(tmp_path / "a"), Workspace(tmp_path / "b")
    a.query("SELECT 1")
    held = database._read_connection.held[1]
    b.query("SELECT 1")
    with pytest.raises(Exception, match="closed"):
        held.execute("SELECT 1")


def test_a_database_replaced_at_the_same_path_is_read_afresh(tmp_path):
    ws = Workspace(tmp_path / "w")
    _make_counter(ws)
    assert _counter(ws) == 0
    shutil.rmtree(tmp_path / "w")
    fresh = Workspace(tmp_path / "w")
    assert fresh.query("SELECT * FROM projects") == []
    assert ws.query("SELECT * FROM projects") == []


def test_a_failed_query_leaves_reads_working(ws):
    with pytest.raises(Exception, match="no such table"):
        ws.query("SELECT * FROM no_such_table")
    assert ws.query("SELECT COUNT(*) AS n FROM projects") == [{"n": 0}]


def _open_files(path) -> int:
    """How many files of this process are the database (or its -wal/-shm): Linux only."""
    fds = Path("/proc/self/fd")
    links = [os.readlink(fd) for fd in fds.iterdir() if fd.is_symlink()] if fds.is_dir() else []
    return sum(link.startswith(str(path)) for link in links)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc")
def test_the_connection_closes_with_its_thread(tmp_path):
    ws = Workspace(tmp_path)
    before = _open_files(ws.db_path)

    def read() -> None:
        ws.query("SELECT 1")
        assert _open_files(ws.db_path) > before

    reader = threading.Thread(target=read)
    reader.start()
    reader.join()
    gc.collect()
    assert _open_files(ws.db_path) == before


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_never_uses_its_parents_connection(ws):
    ws.query("SELECT 1")
    parent = database._read_connection.held[1]
    pid = os.fork()
    if pid == 0:  # the child: its own connection, the parent's left open
        ok = False
        try:
            ok = ws.query("SELECT COUNT(*) AS n FROM projects") == [{"n": 0}]
            ok = ok and database._read_connection.held[1] is not parent
        finally:
            os._exit(0 if ok else 1)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert ws.query("SELECT 1 AS one") == [{"one": 1}]
    assert database._read_connection.held[1] is parent
