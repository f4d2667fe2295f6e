"""`mlops-studio erase`: erases one person and says where from, prints no value, exits 2 with one line
on a bad project; the Data and the audit entry agree."""

from __future__ import annotations

import json

import pandas as pd

from core.cli import main
from core.data import datasets
from core.stages.data import stage_ingest
from core.workspace.database import Workspace
from core.workspace.projects import create_project


def _workspace(tmp_path) -> Workspace:
    ws = Workspace(tmp_path / "ws")
    pid = create_project(ws, "clientes")["id"]
    stage_ingest(
        ws, pid, pd.DataFrame({"cpf": ["529.982.247-25", "111.444.777-35"], "valor": [1.0, 2.0]}), None, "c.csv"
    )
    return ws


def test_erase_prints_counts_and_no_value(tmp_path, capsys):
    ws = _workspace(tmp_path)
    code = main(
        ["erase", "--project", "clientes", "--column", "cpf", "--value", "529.982.247-25", "--workspace", str(ws.root)]
    )
    out = capsys.readouterr().out
    assert code == 0 and "datasets: 1 row(s) from 1 version(s)" in out and "529.982.247-25" not in out
    assert datasets.load_dataset(ws, 1)["cpf"].tolist() == ["111.444.777-35"]


def test_erase_json_and_nothing_found(tmp_path, capsys):
    ws = _workspace(tmp_path)
    code = main(["erase", "--project", "1", "--column", "cpf", "--value", "000", "--workspace", str(ws.root), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["found"] is False and out["dataset_rows"] == 0 and out["project"] == "clientes"


def test_erase_on_an_unknown_project_is_one_error_line(tmp_path, capsys):
    ws = _workspace(tmp_path)
    code = main(["erase", "--project", "nope", "--column", "cpf", "--value", "1", "--workspace", str(ws.root)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1
