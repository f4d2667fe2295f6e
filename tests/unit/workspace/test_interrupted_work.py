"""Work whose process is killed (a CLI run stopped midway, a server restarted) is marked interrupted,
while work another live process is doing is shown as running. Real processes, really killed."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.stages import lab
from core.workspace import jobs
from core.workspace.database import Workspace
from core.workspace.projects import get_build_note, get_project, list_projects

ROOT = Path(__file__).resolve().parents[3]
WAIT_S = 300  # the first import of scikit-learn on a busy machine is slow; the test stops as soon as it can


def _table(path: Path, n: int = 300) -> Path:
    rng = np.random.default_rng(1)
    x = rng.normal(size=n)
    color = rng.choice(["red", "blue", "green"], n)
    y = np.where(x + (color == "red") + rng.normal(scale=0.7, size=n) > 0.4, "yes", "no")
    pd.DataFrame({"x": x, "z": rng.normal(size=n), "color": color, "y": y}).to_csv(path, index=False)
    return path


def _wait_for(condition, proc: subprocess.Popen, what: str):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc.poll() is not None:
            raise AssertionError(
                f"the process ended (status {proc.returncode}) before {what}: "
                f"{proc.stderr.read().decode()[-2000:] if proc.stderr else ''}"
            )
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)  # reaped: no zombie left behind


def _study_with_trials(ws: Workspace):
    row = ws.query_one("SELECT s.id FROM studies s JOIN trials t ON t.study_id = s.id LIMIT 1")
    return row and row["id"]


@pytest.mark.slow
def test_a_cli_run_killed_while_tuning_leaves_an_interrupted_study_and_an_incomplete_project(tmp_path):
    data = _table(tmp_path / "killed.csv")
    path = tmp_path / "ws"
    ws = Workspace(path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "core",
            "run",
            "--data",
            str(data),
            "--target",
            "y",
            "--workspace",
            str(path),
            "--folds",
            "2",
            "--tune",
            "random",
            "--budget",
            "500",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        study_id = _wait_for(lambda: _study_with_trials(ws), proc, "the study's first trial")
        # Alive in another process: shown as running, and opening the workspace leaves it alone.
        assert lab.get_study(Workspace(path), study_id)["status"] == "running"
        project = get_project(ws, "killed")
        assert get_build_note(project) == "being built by a pipeline run (last finished: training)"
    finally:
        _kill(proc)

    reopened = Workspace(path)  # a server starting after the kill
    assert reopened.query_one("SELECT status FROM studies WHERE id = ?", (study_id,))["status"] == "interrupted"
    study = lab.get_study(reopened, study_id)
    assert study["status"] == "interrupted" and len(study["trials"]) >= 1  # the trials so far are kept
    assert [get_build_note(p) for p in list_projects(reopened)] == ["incomplete: stopped after training"]


@pytest.mark.slow
def test_a_study_read_after_its_process_died_is_interrupted_without_a_restart(tmp_path):
    data = _table(tmp_path / "read.csv")
    path = tmp_path / "ws"
    ws = Workspace(path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "core",
            "run",
            "--data",
            str(data),
            "--target",
            "y",
            "--workspace",
            str(path),
            "--folds",
            "2",
            "--tune",
            "random",
            "--budget",
            "500",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        study_id = _wait_for(lambda: _study_with_trials(ws), proc, "the study's first trial")
    finally:
        _kill(proc)
    # The same handle, opened before the kill: reading the study is enough.
    assert lab.get_study(ws, study_id)["status"] == "interrupted"
    assert lab.latest_study(ws, get_project(ws, "read")["id"])["status"] == "interrupted"


JOB_SCRIPT = textwrap.dedent("""
    import sys, threading
    from core.workspace import jobs
    from core.workspace.projects import create_project
    from core.workspace.database import Workspace

    ws = Workspace(sys.argv[1])
    pid = create_project(ws, "served elsewhere")["id"]
    job = jobs.start_job(ws, pid, "train", lambda progress: (progress(0.5, "half way"), threading.Event().wait()))
    print(job, flush=True)
    threading.Event().wait()
""")


def test_a_job_of_another_live_server_runs_until_that_server_is_killed(tmp_path):
    path = tmp_path / "ws"
    Workspace(path)
    proc = subprocess.Popen(
        [sys.executable, "-c", JOB_SCRIPT, str(path)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        job_id = int(_wait_for(proc.stdout.readline, proc, "the job to start"))
        ws = Workspace(path)  # this "server" starts while the other one runs the job
        job = jobs.get_job(ws, job_id)
        assert job["status"] == "running" and job["error"] is None
        assert _wait_for(lambda: jobs.get_job(ws, job_id)["message"] == "half way", proc, "progress")
        pid = get_project(ws, "served elsewhere")["id"]
        assert jobs.start_job(ws, pid, "train", lambda p: None) == job_id  # joined, not started twice
    finally:
        _kill(proc)
    job = jobs.get_job(ws, job_id)
    assert job["status"] == "interrupted" and "start it again" in job["error"]
    assert ws.query_one("SELECT status FROM jobs WHERE id = ?", (job_id,))["status"] == "interrupted"


@pytest.mark.parametrize("exists", [True, False])
def test_the_owner_of_a_reaped_or_reused_process_is_gone(exists):
    import json

    from core.workspace import owner

    me = json.loads(owner.this_process())
    assert owner.is_alive(owner.this_process()) and owner.is_this_process(owner.this_process())
    other = dict(me, started=me["started"] + 1) if exists else dict(me, pid=2**22 + 777)
    assert not owner.is_alive(json.dumps(other))
    assert owner.is_alive(json.dumps(dict(me, host="another-machine")))  # cannot be checked: not marked
    assert not owner.is_alive(None) and not owner.is_alive("not json")
