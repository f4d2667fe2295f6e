"""Classroom load test: N students on one server, each clicking through the pages.

    python -m tests.load [--sessions 40] [--url http://host:port] [--json out.json]

Without ``--url`` it makes a workspace with the full demo (``mlops-studio demo``) and starts
``streamlit run app.py`` on a free port, then stops it at the end. Every student works on that same
demo project, read only, as a class does when it follows the instructor's project: a project of their
own each would mean 40 demo pipelines first (minutes of training jobs on 2 cores) and measures the
same page scripts. Prints p50/p95/max and errors per page, and writes them as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from tests.load.report import format_table, summarize
from tests.load.student import THINK_S, Student

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = REPO_ROOT / ".venv" / "bin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.read().strip() == b"ok"
    except OSError:
        return False


def prepare_workspace(root: Path) -> tuple[Path, int]:
    """A workspace holding the full demo; returns it and the demo project's id."""
    workspace = root / "workspace"
    subprocess.run(
        [str(BIN / "mlops-studio"), "demo", "--workspace", str(workspace), "--json"],
        cwd=REPO_ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    with sqlite3.connect(workspace / "studio.db") as db:
        (project_id,) = db.execute("SELECT id FROM projects ORDER BY id DESC LIMIT 1").fetchone()
    return workspace, int(project_id)


def start_server(workspace: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ, MLOPS_STUDIO_WORKSPACE=str(workspace), PYTHONUNBUFFERED="1")
    command = [
        str(BIN / "streamlit"), "run", "app.py", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        if _healthy(url):
            return process, url
        time.sleep(0.25)
    stop_server(process)
    raise SystemExit(f"error: the Streamlit server did not start; see {log_path}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


async def run_class(
    url: str, query_string: str, sessions: int, rounds: int, think_s: tuple[float, float], ramp_s: float, seed: int
) -> list[Student]:
    """Warm the server with one student (the first session imports sklearn and plotly; a class
    opens the app after the instructor did), then let the class in over `ramp_s` seconds."""
    warm = Student(-1, url, query_string, think_s=(0.0, 0.0), rounds=1, seed=seed)
    await warm.run()
    students = [Student(i, url, query_string, think_s, rounds, seed) for i in range(sessions)]

    async def arrive(student: Student) -> None:
        await asyncio.sleep(ramp_s * student.number / max(sessions, 1))
        await student.run()

    await asyncio.gather(*(arrive(s) for s in students))
    return students


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=40, help="students at once (default 40)")
    parser.add_argument("--rounds", type=int, default=1, help="times each student visits every page (default 1)")
    parser.add_argument(
        "--think", type=float, nargs=2, default=THINK_S, metavar=("MIN", "MAX"),
        help="seconds a student reads a page before the next click, uniform in [MIN, MAX] (default "
        f"{THINK_S[0]:g} {THINK_S[1]:g}: a student following the teacher reads each chart and its sentence)",
    )  # fmt: skip
    parser.add_argument("--ramp", type=float, default=20.0, help="seconds over which students arrive (default 20)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--url", help="an app already running (its workspace must hold a project)")
    parser.add_argument("--project", type=int, help="project id with --url (default: the demo's)")
    parser.add_argument("--json", type=Path, default=Path("loadtest.json"), help="where to write the results")
    args = parser.parse_args(argv)

    process = None
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="mlops-load-") as tmp:
        if args.url:
            url, project_id = args.url.rstrip("/"), args.project or 1
        else:
            print("preparing the demo project…", flush=True)
            workspace, project_id = prepare_workspace(Path(tmp))
            process, url = start_server(workspace, Path(tmp) / "streamlit.log")
        load_before = os.getloadavg()[0]
        print(f"{args.sessions} students on {url}, project {project_id} (load average {load_before:.1f})", flush=True)
        try:
            students = asyncio.run(
                run_class(
                    url, f"project={project_id}", args.sessions, args.rounds, tuple(args.think), args.ramp, args.seed
                )
            )
        finally:
            if process is not None:
                stop_server(process)
    timings = [t for s in students for t in s.timings]
    summary = summarize(timings)
    summary["meta"] = {
        "sessions": args.sessions, "rounds": args.rounds, "think_s": list(args.think), "ramp_s": args.ramp,
        "url": url, "cpus": os.cpu_count(), "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2), "seconds": round(time.time() - started, 1),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }  # fmt: skip
    print(format_table(summary))
    args.json.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"written: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
