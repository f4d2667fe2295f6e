"""Long work (training, the full demo) runs as a job: a background thread whose state lives in the
database. A page switch or a refresh does not stop it, a second click does not start it twice, and a
job left "running" by a process that has since stopped is marked interrupted, not shown as running;
a job another live process runs (a second server on the workspace) is shown as running.
"""

from __future__ import annotations

import contextvars
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from core.i18n import N_, _, current_language, use_language
from core.workspace import owner
from core.workspace.database import Workspace, inserted_id, now
from core.workspace.errors import NotFoundError, StudioError
from core.workspace.jsonable import dumps
from core.workspace.progress import Progress

log = logging.getLogger(__name__)


_live: dict[tuple[str, int], threading.Thread] = {}  # (db path, job id) -> thread of this process
_lock = threading.Lock()


def start_job(ws: Workspace, project_id: int | None, kind: str, work: Callable[[Progress], Any]) -> int:
    """Run ``work(progress)`` in a thread; return the job id. If the same kind of job is already running
    for this project in this process, return that job instead of starting another (a double click).
    Jobs without a project (the full demo makes its own) are never merged."""
    with _lock:
        running = latest_job(ws, project_id, kind) if project_id is not None else None
        if running and running["status"] == "running":  # live, here or in another process
            return running["id"]
        with ws.transaction() as conn:
            job_id = inserted_id(
                conn.execute(
                    "INSERT INTO jobs (project_id, kind, status, progress, message, created_at, updated_at, owner) "
                    "VALUES (?, ?, 'running', 0, 'Starting…', ?, ?, ?)",
                    (project_id, kind, now(), now(), owner.this_process()),
                )
            )
        # The work runs in the starter's context, so its audit entries name who started it (actor.py),
        # and in the starter's language, so its progress and messages read as the page that started it.
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run,
            args=(_run_in_language, current_language(), ws, job_id, work),
            name=f"job-{kind}-{job_id}",
            daemon=True,
        )
        _live[(str(ws.db_path), job_id)] = thread
        thread.start()
    return job_id


def _run_in_language(language: str, ws: Workspace, job_id: int, work: Callable[[Progress], Any]) -> None:
    with use_language(language):
        _run(ws, job_id, work)


class JobProgress:
    """The ``progress(fraction, message)`` callback a job's work receives; ``should_stop()`` says
    whether someone pressed Stop (work that can end early, such as tuning, checks it between steps)."""

    def __init__(self, ws: Workspace, job_id: int) -> None:
        self.ws, self.job_id, self._last = ws, job_id, 0.0

    def __call__(self, fraction: float, message: str) -> None:
        # Throttle writes: a progress callback may fire many times a second.
        if time.monotonic() - self._last < 0.2 and fraction < 1:
            return
        self._last = time.monotonic()
        _update(self.ws, self.job_id, progress=max(0.0, min(1.0, fraction)), message=message)

    def should_stop(self) -> bool:
        row = self.ws.query_one("SELECT stop_requested FROM jobs WHERE id = ?", (self.job_id,))
        return bool(row and row["stop_requested"])


def request_stop(ws: Workspace, job_id: int) -> None:
    """Ask a running job to end at its next check; what it has done so far is kept."""
    with ws.transaction() as conn:
        conn.execute(
            "UPDATE jobs SET stop_requested = 1, message = 'Stopping after the current step…' "
            "WHERE id = ? AND status = 'running'",
            (job_id,),
        )


def _run(ws: Workspace, job_id: int, work: Callable[[Progress], Any]) -> None:
    progress = JobProgress(ws, job_id)
    try:
        result = work(progress)
        message = result.get("message", _("Done.")) if isinstance(result, dict) else _("Done.")
        _update(ws, job_id, status="succeeded", progress=1.0, message=message, result_json=dumps(result))
    except StudioError as exc:
        _update(ws, job_id, status="failed", error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a job must record every failure, never die silently
        log.error("job %s failed:\n%s", job_id, traceback.format_exc())
        _update(
            ws,
            job_id,
            status="failed",
            error=_(
                "Unexpected error ({error}). The server log has the details; try again, and report it if it repeats."
            ).format(error=f"{type(exc).__name__}: {exc}"),
        )
    finally:
        with _lock:
            _live.pop((str(ws.db_path), job_id), None)


def _update(ws: Workspace, job_id: int, **fields: Any) -> None:
    fields["updated_at"] = now()
    cols = ", ".join(f"{k} = ?" for k in fields)
    with ws.transaction() as conn:
        conn.execute(f"UPDATE jobs SET {cols} WHERE id = ?", (*fields.values(), job_id))


INTERRUPTED = N_(
    "The process running this job stopped (a restart of the server, say) before it finished; start it again."
)
# What the database records while a job starts or stops (stored in English, translated where shown).
STARTING, STOPPING = N_("Starting…"), N_("Stopping after the current step…")


def _is_live(ws: Workspace, row: dict[str, Any]) -> bool:
    """A running job of this process is live while its thread runs; one of another process while
    that process runs (core/owner.py)."""
    if owner.is_this_process(row["owner"]):
        thread = _live.get((str(ws.db_path), row["id"]))
        return thread is not None and thread.is_alive()
    return owner.is_alive(row["owner"])


def get_job(ws: Workspace, job_id: int) -> dict[str, Any]:
    """The job's row; one left "running" by a process that is gone is marked interrupted here, for
    every later reader too."""
    row = ws.query_one("SELECT * FROM jobs WHERE id = ?", (job_id,))
    if row is None:
        raise NotFoundError(_("Job {job} does not exist.").format(job=job_id))
    if row["status"] == "running" and not _is_live(ws, row):
        with ws.transaction() as conn:
            conn.execute(
                "UPDATE jobs SET status = 'interrupted', updated_at = ? WHERE id = ? AND status = 'running'",
                (now(), job_id),
            )
        row = ws.query_one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        if row is None:  # deleted with its project between the two reads
            raise NotFoundError(_("Job {job} does not exist.").format(job=job_id))
    if row["status"] == "interrupted" and not row["error"]:
        row["error"] = _(INTERRUPTED)
    row["result"] = json.loads(row["result_json"]) if row.get("result_json") else None
    return row


def latest_job(ws: Workspace, project_id: int | None, kind: str) -> dict[str, Any] | None:
    row = ws.query_one(
        "SELECT id FROM jobs WHERE project_id IS ? AND kind = ? ORDER BY id DESC LIMIT 1", (project_id, kind)
    )
    return get_job(ws, row["id"]) if row else None


def list_running_jobs(ws: Workspace, project_id: int) -> list[dict[str, Any]]:
    """The project's jobs that are running now (oldest first), so any page can say what is under way."""
    rows = ws.query("SELECT id FROM jobs WHERE project_id = ? AND status = 'running' ORDER BY id", (project_id,))
    return [job for job in (get_job(ws, r["id"]) for r in rows) if job["status"] == "running"]


def wait_for_job(ws: Workspace, job_id: int, timeout: float = 600, poll: float = 0.2) -> dict[str, Any]:
    """Block until the job ends or ``timeout`` seconds pass (for tests and the CLI); a job of
    another process is polled."""
    deadline = time.monotonic() + timeout
    thread = _live.get((str(ws.db_path), job_id))
    if thread is not None:
        thread.join(timeout)
    job = get_job(ws, job_id)
    while job["status"] == "running" and time.monotonic() < deadline:
        time.sleep(poll)
        job = get_job(ws, job_id)
    return job
