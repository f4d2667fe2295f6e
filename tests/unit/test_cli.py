"""`mlops-studio` / `python -m core`: the JSON contract, the --test holdout, and one-line errors.

Runs the CLI in a subprocess from the repo root, as a user would; the workspace goes to a temp dir
through MLOPS_STUDIO_WORKSPACE (or --workspace).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder

from core.data import datasets
from core.training import tracking
from core.workspace.database import Workspace

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_data"
SUMMARY_KEYS = {
    "project",
    "task",
    "target",
    "rows",
    "leaderboard",
    "best_model",
    "gate",
    "registry",
    "monitoring",
    "timings",
    "validation",
}


def _strict_json(text: str):
    """The whole text as exactly one JSON value; NaN/Infinity are not JSON and are refused."""

    def refuse(constant):
        raise ValueError(f"{constant} is not valid JSON")

    return json.loads(text, parse_constant=refuse)


def _cli(*args: str, workspace: Path, command: list[str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLOPS_STUDIO_WORKSPACE": str(workspace), "PYTHONWARNINGS": "default"}
    return subprocess.run(
        (command or [sys.executable, "-m", "core"]) + list(args),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _table(n: int, seed: int, prefix: str) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], n)
    logit = 1.8 * x1 + 1.5 * (color == "red") - 0.5
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame(
        {"id": [f"{prefix}{i:04d}" for i in range(n)], "x1": x1, "x2": rng.normal(size=n), "color": color, "y": y}
    )


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    _table(400, 0, "A").to_csv(d / "small.csv", index=False)
    _table(150, 1, "H").to_csv(d / "holdout.csv", index=False)
    (d / "empty.csv").write_bytes(b"")
    _table(50, 2, "U").drop(columns=["y"]).to_csv(d / "unlabelled.csv", index=False)  # a --test file without labels
    pd.DataFrame({"x": range(50), "y": ["same"] * 50}).to_csv(d / "oneclass.csv", index=False)
    rng = np.random.default_rng(0)
    (d / "picture.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    return d


# -- inspect --------------------------------------------------------------------------------------
def _check_inspect(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stderr
    info = _strict_json(proc.stdout)
    assert isinstance(info, dict)
    assert info["format"] == "csv"
    assert info["encoding"].lower().replace("-", "") in {"utf8", "utf8sig", "ascii"}
    assert info["delimiter"] == ","
    assert info["rows"] == 7070
    columns = {c["name"]: c for c in info["columns"]}
    assert {"customer_id", "churn", "contract", "tenure_months", "total_charges"} <= set(columns)
    assert all({"dtype", "missing"} <= set(c) for c in columns.values())
    assert columns["total_charges"]["missing"] > 0  # the sample has blanks there
    assert columns["customer_id"]["missing"] == 0


def test_inspect_json(tmp_path):
    _check_inspect(_cli("inspect", "--data", "sample_data/telco_churn.csv", "--json", workspace=tmp_path / "ws"))


def test_installed_entry_point(tmp_path):
    script = Path(sys.executable).parent / "mlops-studio"
    if not script.exists():
        pytest.skip("the mlops-studio entry point is not installed in this venv; `make` installs it (pip -e .)")
    _check_inspect(
        _cli(
            "inspect",
            "--data",
            "sample_data/telco_churn.csv",
            "--json",
            workspace=tmp_path / "ws",
            command=[str(script)],
        )
    )


def test_inspect_without_json_is_readable_text(tmp_path):
    proc = _cli("inspect", "--data", "sample_data/telco_churn.csv", workspace=tmp_path / "ws")
    assert proc.returncode == 0
    assert proc.stdout.startswith("format: csv")
    assert "customer_id" in proc.stdout and "rows: 7070" in proc.stdout


def test_inspect_names_the_columns_grouped_by_spaces_when_no_file_wide_thousands_mark(tmp_path):
    data = tmp_path / "pt.csv"
    data.write_text("nome;renda\n" + "".join(f"c{i};{i} 234,5{i}\n" for i in range(1, 9)), encoding="latin-1")
    proc = _cli("inspect", "--data", str(data), workspace=tmp_path / "ws")
    assert proc.returncode == 0, proc.stderr
    assert "thousands: per column (renda)" in proc.stdout and "thousands: None" not in proc.stdout


# -- run ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_run_json_prints_exactly_one_object(files, tmp_path):
    ws_dir = tmp_path / "ws"
    proc = _cli("run", "--data", str(files / "small.csv"), "--target", "y", "--json", workspace=ws_dir)
    assert proc.returncode == 0, proc.stderr
    summary = _strict_json(proc.stdout)  # the whole stdout: one object, nothing else
    assert isinstance(summary, dict)
    assert SUMMARY_KEYS <= set(summary)
    assert summary["project"] == "small"
    assert summary["task"] == "classification" and summary["target"] == "y" and summary["rows"] == 400
    assert summary["validation"] == "stratified-kfold"
    assert summary["registry"] == {"model": "small", "version": 1, "alias": "champion", "decision_threshold": 0.5}
    for entry in summary["leaderboard"]:
        assert {"roc_auc", "f1_macro", "accuracy"} <= set(entry["test_metrics"])  # more may be added, never renamed
    assert "Traceback" not in proc.stderr
    assert (ws_dir / "studio.db").exists()  # MLOPS_STUDIO_WORKSPACE was honoured


@pytest.mark.slow
def test_run_with_test_file_evaluates_on_it(files, tmp_path):
    ws_dir = tmp_path / "chosen"
    proc = _cli(
        "run",
        "--data",
        str(files / "small.csv"),
        "--target",
        "y",
        "--test",
        str(files / "holdout.csv"),
        "--workspace",
        str(ws_dir),
        "--project",
        "with holdout",
        "--folds",
        "3",
        "--json",
        workspace=tmp_path / "not-this-one",
    )
    assert proc.returncode == 0, proc.stderr
    summary = _strict_json(proc.stdout)
    assert summary["project"] == "with holdout"
    assert summary["rows"] == 400
    assert summary["validation"] == "stratified-kfold"
    assert not (tmp_path / "not-this-one").exists()  # --workspace wins over the environment

    ws = Workspace(ws_dir)
    experiment = tracking.latest_experiment(ws, 1)
    holdout_file = pd.read_csv(files / "holdout.csv")
    holdout = tracking.load_holdout(ws, experiment)
    assert holdout["id"].tolist() == holdout_file["id"].tolist()
    model = tracking.load_run_model(ws, experiment["best_run_id"])
    proba = model.predict_proba(holdout_file.drop(columns=["y"]))[:, list(model.classes_).index(1)]
    expected_auc = roc_auc_score(holdout_file["y"] == "yes", proba)
    best = next(e for e in summary["leaderboard"] if e["model"] == summary["best_model"])
    assert best["test_metrics"]["roc_auc"] == pytest.approx(expected_auc, abs=1e-5)


# -- errors: exit 2, one line "error: ..." on stderr, never a traceback ------------------------------
ERROR_CASES = {
    "missing file": (["run", "--data", "{d}/nope.csv", "--target", "y", "--json"], "nope.csv"),
    "unknown target": (["run", "--data", "{d}/small.csv", "--target", "churn", "--json"], "x1, x2, color, y"),
    "empty file": (["run", "--data", "{d}/empty.csv", "--target", "y", "--json"], "empty"),
    "one class": (["run", "--data", "{d}/oneclass.csv", "--target", "y", "--json"], "only one class"),
    "binary renamed csv": (["run", "--data", "{d}/picture.csv", "--target", "y", "--json"], "not a table"),
    "bad scenario": (["run", "--data", "{d}/small.csv", "--target", "y", "--scenario", "tsunami", "--json"], "tsunami"),
    "missing --target": (["run", "--data", "{d}/small.csv", "--json"], "--target"),
    "webhook not http": (
        ["run", "--data", "{d}/small.csv", "--target", "y", "--webhook", "ftp://hooks.example.com/x", "--json"],
        "The webhook URL must start with http:// or https://",
    ),
    "inspect missing file": (["inspect", "--data", "{d}/nope.csv", "--json"], "nope.csv"),
    "holdout without the target": (
        ["run", "--data", "{d}/small.csv", "--target", "y", "--test", "{d}/unlabelled.csv", "--json"],
        "The test table has no column 'y'",
    ),
    "workspace is a file": (
        ["run", "--data", "{d}/small.csv", "--target", "y", "--workspace", "{d}/small.csv", "--json"],
        "cannot be used",
    ),
}
WITHOUT_JSON = "one class, without --json"


@pytest.fixture(scope="module")
def error_runs(files, tmp_path_factory):
    """Every failing command, started together (each pays the import time; they overlap)."""
    ws_dir = tmp_path_factory.mktemp("errors") / "ws"
    env = {**os.environ, "MLOPS_STUDIO_WORKSPACE": str(ws_dir)}
    commands = {case: [a.format(d=files) for a in args] for case, (args, _) in ERROR_CASES.items()}
    commands[WITHOUT_JSON] = ["run", "--data", str(files / "oneclass.csv"), "--target", "y"]
    procs = {
        case: subprocess.Popen(
            [sys.executable, "-m", "core", *args],
            cwd=ROOT,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for case, args in commands.items()
    }
    results = {}
    for case, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        results[case] = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_errors_are_one_line_with_exit_status_2(error_runs, case):
    proc = error_runs[case]
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert ERROR_CASES[case][1] in lines[0]
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.slow
def test_error_without_json_still_ends_in_one_error_line(error_runs):
    # Without --json, progress lines go to stderr first; the error is still a single last line.
    proc = error_runs[WITHOUT_JSON]
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and "only one class" in lines[-1]
    assert [line for line in lines if line.startswith("error")] == [lines[-1]]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_run_on_a_file_whose_name_is_not_a_valid_project_name(files, tmp_path):
    odd = tmp_path / "sales, q1+q2.csv"
    shutil.copy(files / "small.csv", odd)
    proc = _cli("run", "--data", str(odd), "--target", "y", "--folds", "2", "--json", workspace=tmp_path / "ws")
    assert proc.returncode == 0, proc.stderr
    assert _strict_json(proc.stdout)["rows"] == 400


# -- accuracy: at least as good as a default gradient-boosting pipeline --------------------------------
def _as_hgb_input(df: pd.DataFrame, drop: list[str]) -> pd.DataFrame:
    X = df.drop(columns=drop)
    for column in X.columns:
        if pd.api.types.is_datetime64_any_dtype(X[column]):
            X[column] = (X[column] - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    return X


@pytest.mark.slow
def test_house_prices_at_least_as_accurate_as_default_hgb(tmp_path):
    from core.data.reader import read_path
    from core.pipeline import PipelineConfig, run_pipeline

    ws = Workspace(tmp_path / "ws")
    df, info = read_path(SAMPLES / "house_prices.csv")
    summary = run_pipeline(
        ws, df, info, PipelineConfig(target="price", project_name="houses", cv_folds=3, windows=1, rows_per_window=100)
    )
    assert summary["task"] == "regression"
    experiment = tracking.latest_experiment(ws, 1)
    holdout = tracking.load_holdout(ws, experiment)
    cleaned = datasets.load_dataset(ws, experiment["dataset_id"])
    assert cleaned["sale_id"].is_unique
    train = cleaned[~cleaned["sale_id"].isin(holdout["sale_id"]) & cleaned["price"].notna()]
    assert len(train) + len(holdout) == cleaned["price"].notna().sum()

    X_train, X_test = _as_hgb_input(train, ["price", "sale_id"]), _as_hgb_input(holdout, ["price", "sale_id"])
    text = [c for c in X_train.columns if pd.api.types.is_string_dtype(X_train[c])]
    encode = ColumnTransformer(
        [
            (
                "text",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1),
                text,
            )
        ],
        remainder="passthrough",
    )
    reference = make_pipeline(encode, HistGradientBoostingRegressor(random_state=0)).fit(X_train, train["price"])
    reference_r2 = r2_score(holdout["price"], reference.predict(X_test))

    best = next(e for e in summary["leaderboard"] if e["model"] == summary["best_model"])
    ours = best["test_metrics"]["r2"]
    # The leaderboard's number is really the champion's R² on these holdout rows.
    champion = tracking.load_run_model(ws, experiment["best_run_id"])
    assert r2_score(holdout["price"], champion.predict(holdout.drop(columns=["price"]))) == pytest.approx(
        ours, abs=1e-5
    )
    assert ours >= reference_r2 - 0.02, f"pipeline R² {ours:.3f} vs default HGB {reference_r2:.3f}"


@pytest.mark.slow
def test_run_replays_a_saved_recipe(tmp_path):
    """The recipe downloaded from the Data page replays on the command line."""
    from core.data.cleaning import CleaningRecipe, CleaningStep, recipe_to_json

    table = tmp_path / "t.csv"
    rng = np.random.default_rng(5)
    x = rng.normal(size=300)
    pd.DataFrame({"x": x, "noise": rng.normal(size=300), "y": np.where(x > 0, "a", "b")}).to_csv(table, index=False)
    recipe = tmp_path / "recipe.json"
    recipe.write_text(recipe_to_json(CleaningRecipe((CleaningStep("drop_columns", {"columns": ["noise"]}),))))
    proc = _cli(
        "run",
        "--data",
        str(table),
        "--target",
        "y",
        "--recipe",
        str(recipe),
        "--folds",
        "3",
        "--json",
        workspace=tmp_path / "ws",
    )
    assert proc.returncode == 0, proc.stderr
    from core.data import datasets
    from core.workspace.database import Workspace

    cleaned = datasets.latest_dataset(Workspace(tmp_path / "ws"), 1, "cleaned")
    assert cleaned["cols"] == 2  # noise dropped by the replayed recipe
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    proc = _cli("run", "--data", str(table), "--target", "y", "--recipe", str(bad), "--json", workspace=tmp_path / "ws")
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr


# -- tuning ---------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("method", ["grid", "random", "bayes"])
def test_run_tunes_the_best_family_and_registers_the_study_winner(files, tmp_path, method):
    ws_dir = tmp_path / "ws"
    proc = _cli(
        "run",
        "--data",
        str(files / "small.csv"),
        "--target",
        "y",
        "--folds",
        "3",
        "--tune",
        method,
        "--budget",
        "3",
        "--json",
        workspace=ws_dir,
    )
    assert proc.returncode == 0, proc.stderr
    summary = _strict_json(proc.stdout)
    tuning = summary["tuning"]
    best_family = next(e["model"] for e in summary["leaderboard"] if e["model"] != "baseline")
    assert tuning["model"] == best_family and tuning["method"] == method
    assert 1 <= tuning["trials"] <= 3 and tuning["best_params"]
    assert str(tuning["trials"]) in tuning["summary"]
    ws = Workspace(ws_dir)
    experiment = tracking.get_experiment(ws, tuning["experiment_id"])
    assert experiment["kind"] == "tuning"
    registered = tracking.get_run(ws, ws.query_one("SELECT run_id FROM model_versions")["run_id"])
    assert registered["experiment_id"] == tuning["experiment_id"]  # the study's winner was registered
    assert registered["id"] == experiment["best_run_id"]
    assert isinstance(summary["warnings"], list)


def test_tune_choices_are_checked_by_the_parser(files, tmp_path):
    proc = _cli("run", "--data", str(files / "small.csv"), "--target", "y", "--tune", "genetic", workspace=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error:") and "genetic" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_the_text_summary_says_where_a_yes_no_model_answers_yes():
    from core.cli import _format_summary

    summary = {
        "project": "p",
        "task": "classification",
        "target": "y",
        "rows": 10,
        "validation": "kfold",
        "leaderboard": [],
        "gate": {"metric": "roc_auc", "value": 0.8, "threshold": 0.7, "passed": True},
        "registry": {"model": "p", "version": 1, "alias": "champion", "decision_threshold": 0.12},
        "monitoring": {"scenario": "none", "drifted_features": [], "reason": "fine"},
        "timings": {},
    }
    assert "registry: p v1 (champion), answers yes from a score of 0.12" in _format_summary(summary)
    del summary["registry"]["decision_threshold"]
    assert "registry: p v1 (champion)\n" in _format_summary(summary)


@pytest.mark.parametrize(
    "argv, hint", [(["bogus"], "`mlops-studio --help`"), (["run", "--data", "x.csv"], "`mlops-studio run --help`")]
)
def test_usage_hint_names_the_command_once(argv, hint, capsys):
    from core.cli import build_parser

    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert hint in err and "mlops-studio mlops-studio" not in err


def test_a_setting_the_person_typed_as_a_flag_is_named_as_the_flag():
    import argparse

    from core.cli import name_flags

    args = argparse.Namespace(label_delay=10, project="p")
    assert name_flags("The 'label_delay' of TrafficConfig must be from 0 to 6; got 10.", args) == (
        "--label-delay must be from 0 to 6; got 10."
    )
    # a setting with no flag of that name keeps its library name
    assert name_flags("The 'drift_start' of AutopilotPolicy must be a window.", args).startswith("The 'drift_start'")
