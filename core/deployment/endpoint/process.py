"""The endpoint in a process of its own: started from the app (Deploy's "Start endpoint") as
``python -m core serve … --owner-pid <this process>``, recorded in the ``endpoints`` table, waited
for until ``/health`` answers, stopped by terminating its process group. It never outlives its
owner: it watches the owner's pid and exits when the owner is gone. A row whose process has died is
never shown as running.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from core.deployment.endpoint.server import bind_socket
from core.workspace import owner
from core.workspace.database import Workspace, inserted_id, now
from core.workspace.errors import ConfigError, StudioError

REPO_ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
LIVE = ("starting", "running")

# The processes this process started (so they are reaped, not left as zombies).
_children: dict[int, subprocess.Popen] = {}
_start_lock = threading.Lock()


def endpoint_url(row: dict[str, Any]) -> str:
    """Where a client reaches the endpoint (a wildcard address is reached on this machine's loopback)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(row["host"], row["host"])
    return f"http://{f'[{host}]' if ':' in host else host}:{row['port']}"


def get_endpoint(ws: Workspace, project_id: int) -> dict[str, Any] | None:
    """The project's latest endpoint, with ``url``; one recorded as running whose process is gone is
    marked ``exited`` (in the table too) before it is returned."""
    _reap()
    row = ws.query_one("SELECT * FROM endpoints WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project_id,))
    if row is None:
        return None
    if row["status"] in LIVE and not _is_endpoint_process(row["pid"]):
        with ws.transaction() as conn:
            conn.execute(
                "UPDATE endpoints SET status = 'exited', stopped_at = ? WHERE id = ? AND status IN ('starting', 'running')",
                (now(), row["id"]),
            )
        row = ws.query_one("SELECT * FROM endpoints WHERE id = ?", (row["id"],))
        assert row is not None
    row["url"] = endpoint_url(row)
    return row


def start_endpoint(
    ws: Workspace,
    project_id: int,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    timeout_s: float = START_TIMEOUT_S,
) -> dict[str, Any]:
    """Start the project's endpoint (or return the one already running) and wait until it answers
    ``/health``. ConfigError when the port is in use; StudioError with the endpoint's own message
    when it fails to start."""
    with _start_lock:
        current = get_endpoint(ws, project_id)
        if current is not None and current["status"] in LIVE:
            return current
        project = ws.query_one("SELECT name FROM projects WHERE id = ?", (project_id,))
        if project is None:
            raise ConfigError(f"Project {project_id} does not exist; pick another project.")
        if port is None:
            port = _free_port(host)
        else:
            bind_socket(host, port).close()  # a port in use is told now, in words
        log_path = ws.root / "endpoints" / f"project-{project_id}-{int(time.time() * 1000)}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable, "-m", "core", "serve", f"--project={project['name']}", "--workspace", str(ws.root),
            "--host", host, "--port", str(port), "--owner-pid", str(os.getpid()),
        ]  # fmt: skip
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, env=dict(os.environ, PYTHONUNBUFFERED="1"),
            )  # fmt: skip
        _children[process.pid] = process
        with ws.transaction() as conn:
            endpoint_id = inserted_id(
                conn.execute(
                    """INSERT INTO endpoints (project_id, host, port, pid, owner, status, started_at)
                       VALUES (?, ?, ?, ?, ?, 'starting', ?)""",
                    (project_id, host, port, process.pid, owner.this_process(), now()),
                )
            )
            ws.audit(conn, project_id, "endpoint.started", {"endpoint_id": endpoint_id, "host": host, "port": port})
    url = endpoint_url({"host": host, "port": port})
    error = _wait_healthy(process, url, timeout_s, log_path)
    with ws.transaction() as conn:
        if error is None:
            conn.execute("UPDATE endpoints SET status = 'running' WHERE id = ?", (endpoint_id,))
        else:
            conn.execute(
                "UPDATE endpoints SET status = 'failed', error = ?, stopped_at = ? WHERE id = ?",
                (error, now(), endpoint_id),
            )
    if error is not None:
        _terminate(process.pid)
        raise StudioError(error)
    row = get_endpoint(ws, project_id)
    assert row is not None
    return row


def stop_endpoint(ws: Workspace, project_id: int) -> dict[str, Any] | None:
    """Stop the project's running endpoint (its whole process group); returns its row, or None when
    none was running."""
    row = get_endpoint(ws, project_id)
    if row is None or row["status"] not in LIVE:
        return None
    _terminate(row["pid"])
    with ws.transaction() as conn:
        conn.execute("UPDATE endpoints SET status = 'stopped', stopped_at = ? WHERE id = ?", (now(), row["id"]))
        ws.audit(conn, project_id, "endpoint.stopped", {"endpoint_id": row["id"]})
    return get_endpoint(ws, project_id)


def get_health(row: dict[str, Any], timeout_s: float = 2.0) -> dict[str, Any]:
    """What the endpoint's /health answers now: its JSON and ``http_status`` (0 when it does not answer)."""
    try:
        with urllib.request.urlopen(f"{row['url']}/health", timeout=timeout_s) as resp:
            return {"http_status": resp.status, **json.loads(resp.read())}
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
        except ValueError:
            body = {}
        return {"http_status": exc.code, **(body if isinstance(body, dict) else {})}
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return {"http_status": 0, "detail": f"The endpoint does not answer ({exc})."}


def _wait_healthy(process: subprocess.Popen, url: str, timeout_s: float, log_path: Path) -> str | None:
    """None once /health answers (200, or 503 when nothing is deployed yet); else why it did not."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return _failure(log_path, f"The endpoint exited with status {process.returncode} while starting")
        answer = get_health({"url": url}, timeout_s=1.0)
        if answer["http_status"] == 503 or answer.get("pid") == process.pid:
            return None
        time.sleep(0.1)
    return f"The endpoint did not answer {url}/health within {timeout_s:.0f} s; its log is {log_path}."


def _failure(log_path: Path, fallback: str) -> str:
    """The endpoint's own one-line error (the CLI contract), else the fallback and the log's tail."""
    try:
        lines = log_path.read_text(errors="replace").strip().splitlines()
    except OSError:
        lines = []
    errors = [line[len("error: ") :] for line in lines if line.startswith("error: ")]
    if errors:
        return errors[-1]
    return f"{fallback}; last log lines: {' | '.join(lines[-3:])}" if lines else f"{fallback}."


def _free_port(host: str) -> int:
    sock = bind_socket(host, 0)
    try:
        return sock.getsockname()[1]
    finally:
        sock.close()


def _is_endpoint_process(pid: int | None) -> bool:
    """Whether ``pid`` runs and is an endpoint this code started (`core serve … --owner-pid`): a pid
    reused by another program must neither be shown as the endpoint nor be signalled."""
    if not pid:
        return False
    if not owner.is_alive(owner.process_owner(pid)):
        return False
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return sys.platform != "linux"  # no /proc: trust the live pid
    return b"serve" in args and b"--owner-pid" in args


def _terminate(pid: int) -> None:
    """SIGTERM the endpoint's process group, SIGKILL it if still there after STOP_TIMEOUT_S."""
    if not _is_endpoint_process(pid):
        _reap()
        return
    for sig, wait_s in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            child = _children.get(pid)
            if child is not None and child.poll() is not None or not _is_endpoint_process(pid):
                _reap()
                return
            time.sleep(0.05)
    _reap()


def _reap() -> None:
    for pid, child in list(_children.items()):
        if child.poll() is not None:
            _children.pop(pid, None)
