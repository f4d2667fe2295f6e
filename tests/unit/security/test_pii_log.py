"""The prediction log keeps no personal value in clear: a request with an email (or CPF) column is
logged with that column hashed, on every path (one JSON row, a small table, a large batch stored once),
and no byte of the database holds the email. The caps on stored inputs are explicit and hold."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.deployment import prediction_log, serving, stored_inputs
from core.deployment.routing import RoutingConfig
from core.pipeline import PipelineConfig, run_pipeline, stage_deploy
from core.security.masking import hash_text, pii_key
from core.security.pii_log import protect_inputs
from core.workspace.database import Workspace
from tests.unit.deployment.test_serve_policy import _table

EMAILS = ["ana.souza@mail.com", "joao.lima@uol.com.br", "bia.costa@gmail.com", "rui.m@terra.com.br"]
CPFS = ["529.982.247-25", "111.444.777-35", "390.533.447-05", "050.423.674-11"]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    ws = Workspace(tmp_path_factory.mktemp("pii_log") / "ws")
    run_pipeline(
        ws, _table(), None, PipelineConfig(target="y", project_name="pii", cv_folds=2, windows=1, rows_per_window=20)
    )
    return ws, stage_deploy(ws, 1, RoutingConfig("single"))


def _inputs(ws, deployment_id) -> list[dict]:
    found = ws.query("SELECT id, input_json FROM predictions WHERE deployment_id = ? ORDER BY id", (deployment_id,))
    if not found:
        return []
    log = pd.DataFrame(found)
    return [json.loads(t) for t in prediction_log.fill_input_json(ws, log)["input_json"]]


def _database_bytes(ws) -> bytes:
    ws.query("SELECT 1")  # every read writes what the log's writer has queued first
    return b"".join(p.read_bytes() for p in ws.root.glob("studio.db*"))


@pytest.mark.slow  # a (small) full pipeline to deploy
@pytest.mark.parametrize("n", [1, 5, 80])  # one row, a few rows (JSON per row), a batch stored once
def test_a_request_with_an_email_column_logs_no_email(deployed, n):
    ws, dep = deployed
    rows = _table(n, seed=n).drop(columns=["y"])
    rows["email"] = [EMAILS[i % 4] for i in range(n)]
    rows["cpf"] = [CPFS[i % 4] for i in range(n)]
    before = len(_inputs(ws, dep["id"]))
    body = rows.to_dict("records") if n == 1 else rows
    serving.predict(ws, dep, body)
    logged = _inputs(ws, dep["id"])[before:]
    key = pii_key(ws.root)
    assert len(logged) == n
    assert [r["email"] for r in logged] == [hash_text(e, key) for e in rows["email"]]
    assert all(r["cpf"] == hash_text(c, key) for r, c in zip(logged, rows["cpf"]))
    assert logged[0]["color"] == rows["color"].iloc[0]  # the other inputs as they were
    data = _database_bytes(ws)
    for secret in EMAILS + CPFS:
        assert secret.encode() not in data


def test_protect_inputs_leaves_the_callers_rows_alone():
    rows = [{"email": "ana@mail.com", "x": 1}]
    out = protect_inputs(rows, b"k" * 32)
    assert rows[0]["email"] == "ana@mail.com" and out[0]["email"] == hash_text("ana@mail.com", b"k" * 32)
    assert out[0]["x"] == 1
    assert protect_inputs(pd.DataFrame({"x": [1.0]}), b"k" * 32).equals(pd.DataFrame({"x": [1.0]}))


def test_a_wide_row_is_not_stored_as_a_frame_so_the_row_cap_holds():
    frame = pd.DataFrame({f"c{i}": ["z" * 150] * 100 for i in range(20)})  # rows of ~3 KB
    assert stored_inputs.encode_inputs(frame, stored_inputs.MAX_CELL_CHARS) is None
    narrow = pd.DataFrame({"a": np.arange(100.0), "b": ["x"] * 100})
    assert stored_inputs.encode_inputs(narrow, stored_inputs.MAX_CELL_CHARS) is not None
    texts = prediction_log.inputs_json(frame)
    assert all(len(t) <= stored_inputs.MAX_ROW_CHARS and json.loads(t)["_truncated"] for t in texts)


def test_a_request_past_the_total_cap_keeps_only_a_mark_for_the_rest():
    row = json.dumps({"a": "x" * 1000})
    n = stored_inputs.MAX_REQUEST_CHARS // len(row) + 5
    capped = prediction_log.cap_request([row] * n)
    assert sum(len(t) for t in capped if t) <= stored_inputs.MAX_REQUEST_CHARS + 20 * 5
    assert capped[0] == row and json.loads(capped[-1]) == {"_truncated": True}


def test_without_a_key_the_personal_cells_are_dropped_not_kept():
    rows = protect_inputs([{"email": "ana@mail.com", "x": 1}], None)
    assert rows == [{"email": None, "x": 1}]
    frame = protect_inputs(pd.DataFrame({"email": ["ana@mail.com", "b@c.org"], "x": [1, 2]}), None)
    assert frame["email"].isna().all() and frame["x"].tolist() == [1, 2]
