"""`mlops-studio spec`, `run --spec` and `gate` (issue 14): the flags, exports, exit codes and one-line errors.

The fast tests parse arguments in process or run commands that train nothing; the ones that train carry
``slow``. Commands run in a subprocess from the repo root, as a user would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.cli import build_parser
from core.cli_spec import spec_for_run
from core.spec import create_project_from_spec, json_schema_text, load_spec
from core.workspace.database import Workspace

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, workspace: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLOPS_STUDIO_WORKSPACE": str(workspace)}
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> Path:
    """Orders with a date, a customer key and a region: every Problem flag has a column to name."""
    rng = np.random.default_rng(0)
    n = 400
    x = rng.normal(size=n)
    region = rng.choice(["north", "south"], n)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-2.5 * x)), "yes", "no")
    frame = pd.DataFrame(
        {
            "customer": [f"c{i % 120:03d}" for i in range(n)],
            "ordered": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "x": x,
            "noise": rng.normal(size=n),
            "region": region,
            "y": y,
        }
    )
    path = tmp_path_factory.mktemp("cli_spec") / "orders.csv"
    frame.to_csv(path, index=False)
    return path


def _run_args(*argv: str):
    return build_parser().parse_args(["run", *argv])


# -- Flags: each one lands in the spec, and overrides the spec's value --------------------------------------
def test_each_problem_flag_lands_in_the_spec(table):
    args = _run_args(
        "--data", str(table), "--target", "y",
        "--time-column", "ordered",
        "--group-column", "customer",
        "--metric", "f1_macro",
        "--threshold", "0.6",
        "--positive-class", "yes",
        "--costs", "500,50",
        "--sensitive-column", "region",
        "--models", "logistic,hist_gb",
        "--folds", "3",
        "--scenario", "sudden",
        "--tune", "random",
        "--budget", "4",
    )  # fmt: skip
    spec = spec_for_run(args)
    p = spec.problem
    assert (p.target, p.time_column, p.group_column, p.metric, p.threshold) == (
        "y",
        "ordered",
        "customer",
        "f1_macro",
        0.6,
    )
    assert p.positive_class == "yes" and p.sensitive_column == "region"
    assert p.costs is not None and (p.costs.false_negative, p.costs.false_positive) == (500, 50)
    assert spec.training.models == ["logistic", "hist_gb"] and spec.training.cv_folds == 3
    assert spec.monitoring.scenario == "sudden" and (spec.tuning.method, spec.tuning.budget) == ("random", 4)
    assert spec.data.source == str(table)


def test_a_flag_overrides_the_spec(tmp_path, table):
    path = tmp_path / "pipeline.yaml"
    path.write_text(
        f"data: {{source: '{table}'}}\nproblem: {{target: y, metric: roc_auc, threshold: 0.9}}\n"
        "training: {cv_folds: 4}\n",
        encoding="utf-8",
    )
    spec = spec_for_run(_run_args("--spec", str(path), "--threshold", "0.55", "--metric", "accuracy"))
    assert (spec.problem.metric, spec.problem.threshold) == ("accuracy", 0.55)
    assert spec.training.cv_folds == 4  # not given on the command line: the spec's stays
    assert spec_for_run(_run_args("--spec", str(path))).problem.threshold == 0.9


def test_without_a_group_flag_the_suggested_group_column_is_kept(table):
    """As `run` without flags and the Problem page: rows of one customer stay on one side of the split."""
    spec = spec_for_run(_run_args("--data", str(table), "--target", "y", "--metric", "accuracy"))
    assert spec.problem.group_column == "customer"


# -- Errors: exit 2, one line ------------------------------------------------------------------------------
ERRORS = {
    "bad metric flag": (
        ["run", "--data", "{t}", "--target", "y", "--metric", "acc"],
        "problem.metric: 'acc' is not one of",
    ),
    "bad costs": (["run", "--data", "{t}", "--target", "y", "--costs", "500"], "problem.costs: '500' is not two costs"),
    "bad model": (["run", "--data", "{t}", "--target", "y", "--models", "gpt"], "training.models[0]:"),
    "unknown column": (["run", "--data", "{t}", "--target", "y", "--time-column", "when"], "when"),
    "missing spec file": (["run", "--spec", "{d}/nope.yaml"], "Cannot read the spec file"),
    "bad spec": (["run", "--spec", "{d}/bad.yaml", "--data", "{t}"], "deployment.strategy: 'yolo' is not one of"),
    "gate bad spec": (["gate", "--spec", "{d}/bad.yaml", "--data", "{t}"], "deployment.strategy"),
    "gate without spec": (["gate", "--data", "{t}"], "gate needs --spec"),
    "spec without project": (["spec"], "spec needs --project"),
    "spec unknown project": (["spec", "--project", "nope"], "nope"),
    "run without data": (["run", "--target", "y"], "--data"),
}


@pytest.mark.parametrize("case", list(ERRORS))
def test_errors_are_one_line_and_exit_2(case, tmp_path, table):
    (tmp_path / "bad.yaml").write_text("problem: {target: y}\ndeployment: {strategy: yolo}\n", encoding="utf-8")
    argv, expected = ERRORS[case]
    proc = _cli(*[a.format(t=table, d=tmp_path) for a in argv], workspace=tmp_path / "ws")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert expected in lines[0]
    assert proc.stdout == ""


# -- spec --------------------------------------------------------------------------------------------------
def test_spec_json_schema_prints_the_published_file(tmp_path):
    proc = _cli("spec", "--json-schema", workspace=tmp_path / "ws")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == json_schema_text() == (ROOT / "docs" / "pipeline-spec.schema.json").read_text("utf-8")


def test_spec_exports_a_project_that_the_run_can_read(tmp_path, table):
    ws = tmp_path / "ws"
    spec = load_spec(f"data: {{source: '{table}'}}\nproblem: {{target: y, time_column: ordered}}")
    pid = create_project_from_spec(Workspace(ws), spec, name="Orders")
    proc = _cli("spec", "--project", "Orders", workspace=ws)
    assert proc.returncode == 0, proc.stderr
    exported = load_spec(proc.stdout)
    assert exported.project.name == "Orders" and exported.problem.time_column == "ordered"
    by_id = _cli("spec", "--project", str(pid), "--json", workspace=ws)
    assert by_id.returncode == 0 and load_spec(by_id.stdout) == exported


# -- The runs and the gate (they train) ------------------------------------------------------------------------
FAST = "training: {{models: [logistic], cv_folds: 2}}\nmonitoring: {{windows: 3, rows_per_window: 60}}\n"


@pytest.mark.slow
def test_run_spec_with_new_data_and_a_time_column_flag(tmp_path, table):
    spec = tmp_path / "pipeline.yaml"
    spec.write_text("project: {name: Orders}\nproblem: {target: y}\n" + FAST.format(), encoding="utf-8")
    proc = _cli(
        "run",
        "--spec",
        str(spec),
        "--data",
        str(table),
        "--time-column",
        "ordered",
        "--json",
        workspace=tmp_path / "ws",
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["project"] == "Orders" and summary["validation"] == "time-split"
    assert summary["registry"]["sha256"]


@pytest.mark.slow
def test_run_without_a_spec_takes_the_time_column_flag(tmp_path, table):
    proc = _cli(
        "run", "--data", str(table), "--target", "y", "--time-column", "ordered", "--models", "logistic",
        "--folds", "2", "--json", workspace=tmp_path / "ws",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["validation"] == "time-split"


@pytest.mark.slow
def test_gate_exits_0_on_go_and_1_on_no_go(tmp_path, table):
    spec = tmp_path / "pipeline.yaml"
    spec.write_text("problem: {target: y, metric: roc_auc, threshold: 0.7}\n" + FAST.format(), encoding="utf-8")
    go = _cli("gate", "--spec", str(spec), "--data", str(table), workspace=tmp_path / "ws")
    assert go.returncode == 0, go.stderr
    assert go.stdout.startswith("gate: GO") and "[pass] threshold" in go.stdout
    no_go = _cli(
        "gate", "--spec", str(spec), "--data", str(table), "--threshold", "0.999", "--json", workspace=tmp_path / "ws"
    )
    assert no_go.returncode == 1, no_go.stderr
    outcome = json.loads(no_go.stdout)
    assert outcome["decision"] == "NO-GO" and outcome["passed"] is False
    assert {c["name"]: c["passed"] for c in outcome["checks"]}["threshold"] is False
