"""Background jobs: state in the database, progress, failures, double starts, interrupted jobs."""

import threading

import pytest

from core.workspace import jobs
from core.workspace.database import now
from core.workspace.errors import DataError, NotFoundError
from core.workspace.projects import create_project


@pytest.fixture
def project(ws):
    return create_project(ws, "jobs")["id"]


def test_job_runs_in_a_thread_and_records_progress_and_result(ws, project):
    started, release = threading.Event(), threading.Event()
    caller = threading.get_ident()
    seen = {}

    def work(progress):
        seen["thread"] = threading.get_ident()
        progress(0.5, "Half way")
        started.set()
        assert release.wait(10)
        return {"rows": 3, "score": 0.91}

    job_id = jobs.start_job(ws, project, "train", work)
    assert started.wait(10)
    running = jobs.get_job(ws, job_id)
    assert running["status"] == "running"
    assert running["progress"] == pytest.approx(0.5)
    assert running["message"] == "Half way"
    assert running["result"] is None
    release.set()
    done = jobs.wait_for_job(ws, job_id, timeout=10)
    assert seen["thread"] != caller
    assert done["status"] == "succeeded"
    assert done["progress"] == 1.0
    assert done["result"] == {"rows": 3, "score": 0.91}
    assert done["error"] is None


def test_progress_is_clamped_to_0_1(ws, project):
    gate = threading.Event()

    def work(progress):
        progress(7.0, "overshoot")
        gate.wait(10)

    job_id = jobs.start_job(ws, project, "clamp", work)
    try:
        for _ in range(100):
            row = jobs.get_job(ws, job_id)
            if row["message"] == "overshoot":
                break
            threading.Event().wait(0.02)
        assert row["progress"] == 1.0
    finally:
        gate.set()
        jobs.wait_for_job(ws, job_id, timeout=10)


def test_studio_error_message_is_recorded_as_is(ws, project):
    message = "The target 'y' has only one class ('No'); choose a target with at least two classes."

    def work(progress):
        raise DataError(message)

    job = jobs.wait_for_job(ws, jobs.start_job(ws, project, "train", work), timeout=10)
    assert job["status"] == "failed"
    assert job["error"] == message
    assert job["result"] is None


def test_unexpected_exception_records_a_plain_message(ws, project):
    def work(progress):
        {}["missing key"]  # a programming error deep inside the work

    job = jobs.wait_for_job(ws, jobs.start_job(ws, project, "train", work), timeout=10)
    assert job["status"] == "failed"
    assert "KeyError" in job["error"] and "try again" in job["error"]
    assert "Traceback" not in job["error"]
    assert 'File "' not in job["error"] and "line " not in job["error"]
    assert "\n" not in job["error"]


def test_second_start_while_running_returns_the_same_job(ws, project):
    hold = threading.Event()
    calls = []

    def work(progress):
        calls.append(1)
        hold.wait(10)
        return "first"

    first = jobs.start_job(ws, project, "train", work)
    second = jobs.start_job(ws, project, "train", work)
    assert second == first
    other_kind = jobs.start_job(ws, project, "tune", lambda p: "tune")
    assert other_kind != first
    hold.set()
    assert jobs.wait_for_job(ws, first, timeout=10)["result"] == "first"
    assert jobs.wait_for_job(ws, other_kind, timeout=10)["result"] == "tune"
    assert len(calls) == 1
    assert ws.query_one("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'train'")["n"] == 1
    # Once finished, a new start is a new job.
    third = jobs.start_job(ws, project, "train", lambda p: "again")
    assert third != first
    assert jobs.wait_for_job(ws, third, timeout=10)["result"] == "again"


def test_same_kind_in_another_project_is_a_separate_job(ws, project):
    other = create_project(ws, "other")["id"]
    hold = threading.Event()
    a = jobs.start_job(ws, project, "train", lambda p: hold.wait(10))
    b = jobs.start_job(ws, other, "train", lambda p: hold.wait(10))
    hold.set()
    assert a != b
    assert jobs.wait_for_job(ws, a)["status"] == jobs.wait_for_job(ws, b)["status"] == "succeeded"


def test_jobs_without_project_are_never_merged(ws):
    hold = threading.Event()
    a = jobs.start_job(ws, None, "demo", lambda p: hold.wait(10))
    b = jobs.start_job(ws, None, "demo", lambda p: hold.wait(10))
    hold.set()
    assert a != b
    jobs.wait_for_job(ws, a)
    jobs.wait_for_job(ws, b)


def _insert_orphan(ws, project_id, kind="train") -> int:
    """A row a stopped server left behind: 'running', with no thread in this process."""
    with ws.transaction() as conn:
        return conn.execute(
            "INSERT INTO jobs (project_id, kind, status, progress, message, created_at, updated_at) "
            "VALUES (?, ?, 'running', 0.4, 'Training', ?, ?)",
            (project_id, kind, now(), now()),
        ).lastrowid


def test_running_row_without_live_thread_reads_as_interrupted(ws, project):
    job_id = _insert_orphan(ws, project)
    job = jobs.get_job(ws, job_id)
    assert job["status"] == "interrupted"
    assert "start it again" in job["error"]
    assert jobs.latest_job(ws, project, "train")["status"] == "interrupted"
    assert jobs.wait_for_job(ws, job_id, timeout=1)["status"] == "interrupted"


def test_start_after_interrupted_job_starts_a_new_one(ws, project):
    orphan = _insert_orphan(ws, project)
    fresh = jobs.start_job(ws, project, "train", lambda p: 42)
    assert fresh != orphan
    assert jobs.wait_for_job(ws, fresh, timeout=10)["result"] == 42


def test_unknown_job_is_not_found(ws):
    with pytest.raises(NotFoundError, match="Job 77"):
        jobs.get_job(ws, 77)
    assert jobs.latest_job(ws, 1, "train") is None


def test_running_jobs_of_a_project_are_listed_until_they_end(ws, project):
    other = create_project(ws, "other")["id"]
    release = threading.Event()
    job_id = jobs.start_job(ws, project, "demo", lambda progress: release.wait(10) and {})
    elsewhere = jobs.start_job(ws, other, "train", lambda progress: release.wait(10) and {})
    with ws.transaction() as conn:  # a job a stopped server left "running": not running any more
        conn.execute(
            "INSERT INTO jobs (project_id, kind, status, progress, created_at, updated_at) "
            "VALUES (?, 'train', 'running', 0.3, ?, ?)",
            (project, now(), now()),
        )
    try:
        assert [j["id"] for j in jobs.list_running_jobs(ws, project)] == [job_id]
    finally:
        release.set()
    jobs.wait_for_job(ws, job_id, timeout=10)
    jobs.wait_for_job(ws, elsewhere, timeout=10)
    assert jobs.list_running_jobs(ws, project) == []


def _owner_of(pid: int, started: int | None = None) -> str:
    """The owner text another process would have recorded."""
    import json
    import socket

    from core.workspace import owner

    return json.dumps(
        {
            "host": socket.gethostname(),
            "pid": pid,
            "boot": owner._boot_id(),
            "started": owner._process_start(pid) if started is None else started,
        },
        sort_keys=True,
    )


def _insert_owned(ws, project_id, owner_text, kind="train") -> int:
    with ws.transaction() as conn:
        return conn.execute(
            "INSERT INTO jobs (project_id, kind, status, progress, message, created_at, updated_at, owner) "
            "VALUES (?, ?, 'running', 0.4, 'Training', ?, ?, ?)",
            (project_id, kind, now(), now(), owner_text),
        ).lastrowid


def test_a_job_another_live_process_runs_is_shown_running_not_interrupted(ws, project):
    import os

    other = _insert_owned(ws, project, _owner_of(os.getppid()))  # pytest's parent: alive, not us
    assert jobs.get_job(ws, other)["status"] == "running"
    from core.workspace.database import Workspace

    Workspace(ws.root)  # start-up leaves it alone
    assert jobs.get_job(ws, other)["status"] == "running"
    assert [j["id"] for j in jobs.list_running_jobs(ws, project)] == [other]
    # A second start of the same work joins it instead of running it twice.
    assert jobs.start_job(ws, project, "train", lambda p: 1) == other


def test_a_job_whose_process_is_gone_is_marked_interrupted_for_good(ws, project):
    import os

    reused = _insert_owned(ws, project, _owner_of(os.getppid(), started=1))  # the pid now runs something else
    vanished = _insert_owned(ws, project, _owner_of(2**22 + 12345, started=1))  # no such process
    from core.workspace.database import Workspace

    Workspace(ws.root)  # start-up marks both, in the database
    rows = {r["id"]: r["status"] for r in ws.query("SELECT id, status FROM jobs")}
    assert rows == {reused: "interrupted", vanished: "interrupted"}
    job = jobs.get_job(ws, reused)
    assert job["status"] == "interrupted" and "start it again" in job["error"]
    assert jobs.list_running_jobs(ws, project) == []
