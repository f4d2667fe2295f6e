"""The CI gate (``core.spec.ci_gate``, ``mlops-studio gate``): against the model in production, in a
temporary workspace (no project left behind), with a latency check measured robustly; exit codes 0/1/2."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.spec import gate_spec, load_spec, run_spec
from core.spec.ci_gate import LATENCY_BATCHES, LATENCY_WARMUP_CALLS, measure_latency_ms
from core.workspace.database import Workspace

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION = """
project: {name: Tumours}
problem: {target: target, metric: roc_auc, threshold: 0.5}
training: {models: [logistic], cv_folds: 2, seed: 5}
deployment: {strategy: direct}
monitoring: {windows: 3, rows_per_window: 60}
"""
# A candidate that sees one weak column only: production (every column) is really better on the same rows.
WEAK = """
problem: {target: target, metric: roc_auc, threshold: 0.5}
features: {drop_columns: [mean radius, mean perimeter, mean area, worst radius, worst texture, worst perimeter]}
training: {models: [logistic], cv_folds: 2, seed: 5}
"""
SAME = (
    "problem: {target: target, metric: roc_auc, threshold: 0.5}\ntraining: {models: [logistic], cv_folds: 2, seed: 5}\n"
)


class _Model:
    """A pipeline whose every answer takes a fixed CPU time, and one call in the middle a wall-clock pause."""

    def __init__(self):
        self.calls = 0

    def predict_proba(self, row):
        self.calls += 1
        if self.calls == LATENCY_WARMUP_CALLS + 3:
            import time

            time.sleep(0.3)  # waiting (a busy machine) is not the model's CPU
        return [[0.5, 0.5]]


def test_latency_is_warmed_up_and_a_median_of_batches_in_cpu_time():
    model = _Model()
    took = measure_latency_ms(model, None, "binary")
    assert model.calls > LATENCY_WARMUP_CALLS + LATENCY_BATCHES  # warm-up, then several calls per batch
    assert took < 50  # the 300 ms pause does not count: it is not CPU, and one batch is not the median


def _cli(*args: str, workspace: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLOPS_STUDIO_WORKSPACE": str(workspace)}
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def production(tmp_path_factory, breast_cancer_csv):
    ws_path = tmp_path_factory.mktemp("production")
    run_spec(Workspace(ws_path), load_spec(PRODUCTION), data_path=breast_cancer_csv)
    return ws_path


@pytest.mark.slow
def test_the_gate_leaves_no_project_behind(tmp_path, breast_cancer_csv):
    ws = Workspace(tmp_path / "ws")
    outcome = gate_spec(ws, load_spec(SAME), data_path=breast_cancer_csv)
    assert outcome.passed
    assert ws.query_one("SELECT COUNT(*) AS n FROM projects")["n"] == 0
    latency = {c["name"]: c for c in outcome.checks}["latency"]
    assert "median of" in latency["sentence"] and "CPU time" in latency["sentence"]


@pytest.mark.slow
def test_gate_against_production_exit_codes(tmp_path, production, breast_cancer_csv):
    same, weak = tmp_path / "same.yaml", tmp_path / "weak.yaml"
    same.write_text(SAME, encoding="utf-8")
    weak.write_text(WEAK, encoding="utf-8")
    before = sorted(p.name for p in Path(production).rglob("*"))

    go = _cli("gate", "--spec", str(same), "--data", str(breast_cancer_csv), "--against", "Tumours", "--json",
              workspace=production)  # fmt: skip
    assert go.returncode == 0, go.stderr
    checks = {c["name"]: c for c in json.loads(go.stdout)["checks"]}
    assert checks["beats_champion"]["passed"] and checks["beats_champion"]["decides"]
    assert "Production, project Tumours" in checks["beats_champion"]["sentence"]
    assert json.loads(go.stdout)["against"] == "Tumours"

    no_go = _cli("gate", "--spec", str(weak), "--data", str(breast_cancer_csv), "--against", "Tumours",
                 workspace=production)  # fmt: skip
    assert no_go.returncode == 1, no_go.stderr
    assert "[FAIL] beats_champion" in no_go.stdout and "[pass] threshold" in no_go.stdout
    # Without --against the same weak candidate passes: only the bar and the baseline judge it.
    alone = _cli("gate", "--spec", str(weak), "--data", str(breast_cancer_csv), workspace=tmp_path / "none")
    assert alone.returncode == 0, alone.stderr
    assert not (tmp_path / "none").exists()  # without --against the workspace is not even made

    unknown = _cli("gate", "--spec", str(same), "--data", str(breast_cancer_csv), "--against", "Nope",
                   workspace=production)  # fmt: skip
    assert unknown.returncode == 2 and unknown.stderr.startswith("error:") and len(unknown.stderr.splitlines()) == 1
    assert sorted(p.name for p in Path(production).rglob("*")) == before  # production's workspace untouched
