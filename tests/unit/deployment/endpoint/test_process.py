"""The endpoint in its own process: start, health, predict over real HTTP, stop; it exits when its
owner is killed; a port in use is a clear error; `mlops-studio serve`'s errors follow the CLI contract."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.deployment.endpoint import process
from core.deployment.routing import RoutingConfig
from core.pipeline import stage_deploy
from core.workspace.errors import ConfigError
from tests.unit.deployment.endpoint.conftest import api_key_headers

ROOT = Path(__file__).resolve().parents[4]


def _post(url: str, body: dict, key: dict[str, str]) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **key}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def _gone(pid: int, within_s: float = 20.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not process._is_endpoint_process(pid):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def deployed(trained):
    ws, pid, _ = trained
    stage_deploy(ws, pid, RoutingConfig("single"))
    yield ws, pid
    process.stop_endpoint(ws, pid)


def test_start_health_predict_over_http_then_stop(deployed):
    ws, pid = deployed
    row = process.start_endpoint(ws, pid)
    try:
        assert row["status"] == "running" and row["pid"] and row["url"].startswith("http://127.0.0.1:")
        assert process.start_endpoint(ws, pid)["id"] == row["id"]  # a second start returns the running one
        health = process.get_health(row)
        assert health["http_status"] == 200 and health["pid"] == row["pid"] and health["project_id"] == pid
        key = api_key_headers(ws, pid)
        answer = _post(
            row["url"] + "/predict", {"rows": [{"x1": 1, "x2": 2, "color": "red"}], "request_ids": ["p-1"]}, key
        )
        assert answer["results"][0]["request_id"] == "p-1" and answer["results"][0]["prediction"] in ("yes", "no")
        # The answer returns before its log row is written (a background writer); the endpoint's own
        # readers write what is queued first, so feedback for the id just answered finds it.
        assert _post(row["url"] + "/feedback", {"request_id": "p-1", "label": "yes"}, key)["labelled"] == 1
        logged = ws.query_one("SELECT source, label FROM predictions WHERE request_id = 'p-1'")
        assert logged == {"source": "http", "label": "yes"}
    finally:
        stopped = process.stop_endpoint(ws, pid)
    assert stopped is not None and stopped["status"] == "stopped" and stopped["stopped_at"]
    assert _gone(row["pid"], within_s=1.0)
    assert process.get_health(stopped)["http_status"] == 0
    assert process.stop_endpoint(ws, pid) is None


def test_a_dead_endpoint_is_never_shown_as_running(deployed):
    ws, pid = deployed
    row = process.start_endpoint(ws, pid)
    os.killpg(row["pid"], signal.SIGKILL)
    assert _gone(row["pid"])
    assert process.get_endpoint(ws, pid)["status"] == "exited"


OWNER = """
import sys, time
sys.path.insert(0, {root!r})
from core.workspace.database import Workspace
from core.deployment.endpoint import process
row = process.start_endpoint(Workspace({ws!r}), {pid})
print(row["pid"], flush=True)
time.sleep(600)
"""


def test_the_endpoint_exits_when_its_owner_is_killed(deployed):
    ws, pid = deployed
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER.format(root=str(ROOT), ws=str(ws.root), pid=pid)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        endpoint_pid = int(owner.stdout.readline())
        assert process._is_endpoint_process(endpoint_pid)
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait(timeout=10)
        assert _gone(endpoint_pid), "the endpoint outlived its owner"
        assert process.get_endpoint(ws, pid)["status"] == "exited"
    finally:
        if owner.poll() is None:
            os.kill(owner.pid, signal.SIGKILL)
            owner.wait(timeout=10)


def test_a_port_in_use_is_a_clear_error(deployed):
    ws, pid = deployed
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"Port {port} on 127.0.0.1 is in use"):
            process.start_endpoint(ws, pid, port=port)
    assert (process.get_endpoint(ws, pid) or {}).get("status") not in process.LIVE


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "core", "serve", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_serve_cli_errors_are_one_line_and_exit_2(trained, tmp_path):
    ws, _, _ = trained
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        cases = [
            (["--project", "nope", "--workspace", str(ws.root)], "Project 'nope' does not exist"),
            (["--project", "999", "--workspace", str(ws.root)], "Project '999' does not exist"),
            (
                ["--project", "serve", "--workspace", str(ws.root), "--port", port],
                f"Port {port} on 127.0.0.1 is in use",
            ),
            (["--project", "1", "--workspace", str(ws.root), "--port", "70000"], "between 1 and 65535"),
            (["--project", "serve", "--workspace", str(ws.root), "--port", "x"], "invalid int value"),
            (["--workspace", str(ws.root)], "--project"),
            (
                ["--project", "serve", "--workspace", str(ws.root), "--host", "no.such.host.invalid"],
                "cannot be resolved",
            ),
        ]
        for args, expected in cases:
            result = _cli(*args)
            assert result.returncode == 2, (args, result.stderr)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], (args, result.stderr)
            assert "Traceback" not in result.stderr


def test_serve_cli_prints_its_url_and_serves_by_name_or_id(trained):
    ws, _, _ = trained
    for key in ("serve", "1"):
        server = subprocess.Popen(
            [sys.executable, "-m", "core", "serve", "--project", key, "--workspace", str(ws.root), "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            first = server.stdout.readline()
            assert first.startswith("Serving project serve (id 1) at http://127.0.0.1:")
            url = first.split(" at ")[1].split(";")[0]
            with urllib.request.urlopen(url + "/health", timeout=10) as resp:
                assert json.loads(resp.read())["project"] == "serve"
        finally:
            os.killpg(server.pid, signal.SIGINT)  # Ctrl-C: the normal way to stop it
            assert server.wait(timeout=15) == 0
            assert server.stdout.read().strip().endswith("The endpoint stopped.")
