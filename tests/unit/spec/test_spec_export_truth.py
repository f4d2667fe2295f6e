"""The export tells the truth: whether the project retrains when monitoring recommends it (read from what
the UI records: a retraining against a report that recommended one), and an uploaded file as an upload
(its name and hash), which a replay needs given again and checks against. Nothing is trained here."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.spec import SpecError, create_project_from_spec, dump_spec, export_spec, load_spec, read_spec_data
from core.workspace.database import Workspace, now

ROOT = Path(__file__).resolve().parents[3]
SPEC = "problem: {target: cancelou, positive_class: sim}"


@pytest.fixture
def uploaded(tmp_path, portuguese_csv):
    ws = Workspace(tmp_path / "ws")
    pid = create_project_from_spec(
        ws, load_spec(SPEC), data_bytes=portuguese_csv.read_bytes(), data_name="clientes.csv"
    )
    return ws, pid


def _report(ws, pid, recommended: bool, retrained: bool) -> None:
    with ws.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO monitoring_reports (project_id, traffic_json, report_artifact_id, retrain_recommended, "
            "created_at) VALUES (?, '{}', 0, ?, ?)",
            (pid, int(recommended), now()),
        )
        if retrained:
            conn.execute(
                "INSERT INTO retrainings (project_id, report_id, outcome_json, created_at) VALUES (?, ?, '{}', ?)",
                (pid, cur.lastrowid, now()),
            )


def test_retrain_when_recommended_is_read_from_what_was_done(uploaded):
    ws, pid = uploaded
    assert export_spec(ws, pid).monitoring.retraining.when_recommended is False  # as the spec said
    _report(ws, pid, recommended=False, retrained=False)
    assert export_spec(ws, pid).monitoring.retraining.when_recommended is False
    _report(ws, pid, recommended=True, retrained=True)  # the Retrain button on a recommending report
    assert export_spec(ws, pid).monitoring.retraining.when_recommended is True
    _report(ws, pid, recommended=False, retrained=False)  # a quiet window since: still the choice made
    assert export_spec(ws, pid).monitoring.retraining.when_recommended is True
    _report(ws, pid, recommended=True, retrained=False)  # recommended, and left alone
    assert export_spec(ws, pid).monitoring.retraining.when_recommended is False


def test_an_uploaded_source_is_an_upload_and_round_trips(uploaded, portuguese_csv):
    ws, pid = uploaded
    text = dump_spec(export_spec(ws, pid))
    assert "upload: clientes.csv" in text and hashlib.sha256(portuguese_csv.read_bytes()).hexdigest() in text
    assert dump_spec(load_spec(text)) == text
    spec = load_spec(text)
    with pytest.raises(SpecError, match="uploaded file \\(clientes.csv\\).*give the table with --data"):
        read_spec_data(spec)
    assert read_spec_data(spec, portuguese_csv).note is None  # the same bytes: nothing to say
    other = portuguese_csv.parent / "other.csv"
    other.write_bytes(portuguese_csv.read_bytes() + "1000,00;30;Belém;01/01/2023;não\n".encode("latin-1"))
    note = read_spec_data(spec, other).note
    assert note is not None and "other.csv has other contents" in note and "clientes.csv" in note


def _cli(*args: str, workspace: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLOPS_STUDIO_WORKSPACE": str(workspace)}
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_run_spec_of_an_upload_without_data_says_it_needs_data(uploaded, tmp_path):
    ws, pid = uploaded
    spec_file = tmp_path / "pipeline.yaml"
    spec_file.write_text(dump_spec(export_spec(ws, pid)), encoding="utf-8")
    proc = _cli("run", "--spec", str(spec_file), workspace=tmp_path / "other")
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: data.source: this spec was made from an uploaded file (clientes.csv)")
    assert len(proc.stderr.splitlines()) == 1 and "--data" in proc.stderr
    as_json = _cli("spec", "--project", str(pid), "--json", workspace=ws.root)
    assert json.loads(as_json.stdout)["data"]["source"]["upload"] == "clientes.csv"
