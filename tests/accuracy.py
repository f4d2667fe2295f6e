"""`make accuracy`: the CLI's best model against a plain default HistGradientBoosting, on public tables.

For each table (tests/accuracy_data.py; all ship inside installed packages) a fixed, seeded split is
written to train/test files and the studio is run exactly as a user would run it:

    python -m core run --data train.csv --test test.csv --target T --json --workspace W

with the CLI's own defaults (5-fold cross-validation): the suite measures what a user gets.

The baseline is a default HistGradientBoostingClassifier/Regressor (text columns ordinal-encoded and
declared categorical) trained on the same train file as pandas reads it and scored on the same test
rows. Metrics: ROC-AUC (binary), macro F1 (multiclass: the studio's own default), R² (regression).

A table passes when the studio's best model scores at least the baseline minus TOLERANCE on the test
rows, it learned from at least 95% of the rows it read (the CLI asks nobody, so any bigger loss was
never agreed to), and its model takes every measurement column (numeric as pandas reads it, at most
5% missing, not constant; IDs and time columns excepted): a weak baseline on a small table must not
hide a dropped predictor. The model's inputs are the features its monitoring reports (CLI JSON
`monitoring.features`).
Exit status 1 when a table fails.

    python -m tests.accuracy                  # every table
    python -m tests.accuracy fair tips_pt     # only these
    ACCURACY_FOLDS=3 python -m tests.accuracy # fewer folds than the CLI's default 5: quicker, noisier
    ACCURACY_KEEP=/tmp/acc python -m tests.accuracy fair   # keep the files and workspaces there
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.accuracy_data import TABLES, PublicTable, punch_holes, read_table, write_table  # noqa: E402

SEED = 0
TEST_SHARE = 0.25
FOLDS = int(os.environ.get("ACCURACY_FOLDS", "5"))  # the CLI's default
TOLERANCE = 0.02  # the studio may trail the baseline by this much
MIN_ROWS_KEPT = 0.95  # losing more than 5% of the rows read needs the user's agreement
MAX_MISSING_MEASUREMENT = 0.05  # a numeric column this complete is a measurement the model must keep
CLI_TIMEOUT_S = 1800
METRIC = {"binary": "roc_auc", "multiclass": "f1_macro", "regression": "r2"}
RESULTS = ROOT / "accuracy_results.json"


@dataclass
class Outcome:
    table: str
    task: str
    metric: str
    shape: str
    rows_train: int  # rows written to the train file
    rows_test: int
    baseline: float
    studio: float | None = None
    best_model: str | None = None
    rows_read: int | None = None
    rows_used: int | None = None
    validation: str | None = None
    warnings: list[str] = field(default_factory=list)
    columns_lost: list[str] = field(default_factory=list)
    leaderboard: dict[str, float | None] = field(default_factory=dict)  # model -> test metric, best first
    error: str | None = None
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


# -- the fixed split ---------------------------------------------------------------------------------
def split_table(df: pd.DataFrame, table: PublicTable) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded split: stratified for classification, by ID when the table has one."""
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    if table.group:
        splitter = GroupShuffleSplit(n_splits=1, test_size=TEST_SHARE, random_state=SEED)
        train_idx, test_idx = next(splitter.split(df, groups=df[table.group]))
        return df.iloc[train_idx], df.iloc[test_idx]
    stratify = df[table.target] if table.task != "regression" else None
    return train_test_split(df, test_size=TEST_SHARE, random_state=SEED, stratify=stratify)


def write_split(table: PublicTable, folder: Path) -> tuple[Path, Path, int, int]:
    """The train and test files, and their row counts."""
    df = table.load()
    if table.holes:
        df = punch_holes(df, table, seed=SEED)
    train, test = split_table(df, table)
    paths = folder / f"{table.name}_train.csv", folder / f"{table.name}_test.csv"
    for part, path in zip((train, test), paths):
        write_table(part, path, table)
    return *paths, len(train), len(test)


# -- the plain baseline --------------------------------------------------------------------------------
_MAX_CATEGORIES = 255  # HistGradientBoosting's limit for a declared categorical feature (max_bins)


def make_baseline(X: pd.DataFrame, task: str):
    """A default HistGradientBoosting; text columns ordinal-encoded (unseen values become missing) and
    declared categorical when they have few enough levels."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    categorical = [c for c in text if X[c].nunique() <= _MAX_CATEGORIES]
    encode = ColumnTransformer(
        [
            (
                "text",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan),
                text,
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    model_class = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
    return make_pipeline(encode, model_class(categorical_features=categorical or None, random_state=SEED))


def score_baseline(table: PublicTable, train: pd.DataFrame, test: pd.DataFrame) -> float:
    from sklearn.metrics import f1_score, r2_score, roc_auc_score

    X_train, y_train = train.drop(columns=[table.target]), train[table.target]
    X_test, y_test = test.drop(columns=[table.target]), test[table.target]
    model = make_baseline(X_train, table.task).fit(X_train, y_train)
    if table.task == "binary":
        positive = model.classes_[1]
        return float(roc_auc_score(y_test == positive, model.predict_proba(X_test)[:, 1]))
    if table.task == "multiclass":
        return float(f1_score(y_test, model.predict(X_test), average="macro"))
    return float(r2_score(y_test, model.predict(X_test)))


# -- the studio, through its CLI ------------------------------------------------------------------------
def run_studio(table: PublicTable, train_path: Path, test_path: Path, workspace: Path) -> dict:
    """``python -m core run ... --json``; its JSON summary, or ``{"error": <its error line>}``."""
    command = [
        sys.executable,
        "-m",
        "core",
        "run",
        "--data",
        str(train_path),
        "--test",
        str(test_path),
        "--target",
        table.target,
        "--json",
        "--workspace",
        str(workspace),
        "--folds",
        str(FOLDS),
    ]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"error": f"no answer within {CLI_TIMEOUT_S} s"}
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit status {done.returncode}"]
        return {"error": lines[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def get_measurement_columns(train: pd.DataFrame, table: PublicTable) -> list[str]:
    """Numeric columns (as the plain script reads them) with few gaps, other than IDs, times and
    constants (a constant carries nothing: dropping it is right)."""
    return [
        str(c)
        for c in train.columns
        if c != table.target
        and c not in table.keys
        and pd.api.types.is_numeric_dtype(train[c])
        and train[c].isna().mean() <= MAX_MISSING_MEASUREMENT
        and train[c].nunique() > 1
    ]


def judge(outcome: Outcome, summary: dict, measurements: list[str]) -> Outcome:
    """Fill the outcome from the CLI's summary and list what fails."""
    if "error" in summary:
        outcome.error = summary["error"]
        outcome.failures.append("error")
        return outcome
    best = summary["leaderboard"][0]
    outcome.leaderboard = {e["model"]: e["test_metrics"].get(outcome.metric) for e in summary["leaderboard"]}
    outcome.best_model = best["model"]
    outcome.studio = best["test_metrics"].get(outcome.metric)
    outcome.rows_read, outcome.rows_used = summary.get("rows_read", summary["rows"]), summary.get("rows_used")
    outcome.validation, outcome.warnings = summary.get("validation"), list(summary.get("warnings", []))
    if outcome.studio is None:
        outcome.failures.append(f"no {outcome.metric} (task {summary['task']})")
    elif outcome.studio < outcome.baseline - TOLERANCE:
        outcome.failures.append("score")
    if outcome.rows_read != outcome.rows_train:
        outcome.failures.append("rows read")
    if outcome.rows_used is None or outcome.rows_used < MIN_ROWS_KEPT * outcome.rows_train:
        outcome.failures.append("rows lost")
    model_inputs = set(summary["monitoring"]["features"])
    outcome.columns_lost = [c for c in measurements if c not in model_inputs]
    if outcome.columns_lost:
        outcome.failures.append("columns lost")
    return outcome


def measure(table: PublicTable, folder: Path) -> Outcome:
    train_path, test_path, rows_train, rows_test = write_split(table, folder)
    train, test = read_table(train_path, table), read_table(test_path, table)
    outcome = Outcome(
        table.name,
        table.task,
        METRIC[table.task],
        table.shape,
        rows_train,
        rows_test,
        baseline=score_baseline(table, train, test),
    )
    started = time.perf_counter()
    summary = run_studio(table, train_path, test_path, folder / f"{table.name}_workspace")
    outcome.seconds = round(time.perf_counter() - started, 1)
    return judge(outcome, summary, get_measurement_columns(train, table))


# -- report --------------------------------------------------------------------------------------------
HEADER = (
    f"{'table':<15} {'task':<10} {'rows kept':>17} {'metric':<8} {'studio':>7} {'baseline':>8} "
    f"{'diff':>7} {'best model':<15} {'s':>6}  verdict"
)


def format_line(o: Outcome) -> str:
    kept = (
        f"{o.rows_used:,}/{o.rows_train:,} {o.rows_used / o.rows_train:4.0%}"
        if o.rows_used is not None
        else f"?/{o.rows_train:,}"
    )
    studio = f"{o.studio:7.3f}" if o.studio is not None else f"{'-':>7}"
    diff = f"{o.studio - o.baseline:+7.3f}" if o.studio is not None else f"{'':>7}"
    verdict = "ok" if o.passed else "FAIL (" + ", ".join(o.failures) + ")"
    if o.columns_lost:
        verdict += f" lost: {', '.join(o.columns_lost)}"
    if o.error:
        verdict += f": {o.error}"
    return (
        f"{o.table:<15} {o.task:<10} {kept:>17} {o.metric:<8} {studio} {o.baseline:8.3f} {diff} "
        f"{(o.best_model or '-'):<15} {o.seconds:6.1f}  {verdict}"
    )


def format_summary(outcomes: list[Outcome]) -> str:
    failed = [o for o in outcomes if not o.passed]
    counts = {
        reason: sum(reason in o.failures for o in outcomes)
        for reason in ("score", "rows lost", "columns lost", "rows read", "error")
    }
    detail = ", ".join(f"{n} {reason}" for reason, n in counts.items() if n)
    return (
        f"{len(outcomes) - len(failed)} of {len(outcomes)} tables pass "
        f"(studio >= baseline - {TOLERANCE}, >= {MIN_ROWS_KEPT:.0%} of rows and every measurement kept; "
        f"{FOLDS}-fold CV)" + (f"; failing: {', '.join(o.table for o in failed)} ({detail})" if failed else "")
    )


def main(argv: list[str]) -> int:
    known = {t.name: t for t in TABLES}
    unknown = [a for a in argv if a not in known]
    if unknown:
        print(f"Unknown table {', '.join(unknown)}; choose among: {', '.join(known)} (none = all).", file=sys.stderr)
        return 2
    tables = [known[a] for a in argv] or list(TABLES)
    keep = os.environ.get("ACCURACY_KEEP")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        print(HEADER, flush=True)
        outcomes = []
        for table in tables:
            outcomes.append(measure(table, folder))
            print(format_line(outcomes[-1]), flush=True)
    print(format_summary(outcomes))
    RESULTS.write_text(json.dumps([{**asdict(o), "passed": o.passed} for o in outcomes], indent=2))
    print(f"written to {RESULTS.name}")
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
