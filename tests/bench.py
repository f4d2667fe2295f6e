"""`make bench`: speed as ratios against a plain baseline measured in the same run.

The machine is shared and noisy, so each figure is the best of a few repeats and the ratio is
what to watch; absolute seconds are printed for the record only.

    python -m tests.bench                       # every bench
    python -m tests.bench leaderboard tuning    # only these (read, leaderboard, tuning, latency, demo, scale, serving, endpoint, drift, cluster)
    BENCH_TELCO_ROWS=20000 python -m tests.bench leaderboard   # a quicker bigger telco (0 = sample only)
    BENCH_ROWS=200000 python -m tests.bench scale              # a smaller wide table
    BENCH_ROWS=200000 python -m tests.bench drift              # drift on fewer rows (1,000,000 vs 1,000,000 by default)
"""

from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TELCO = ROOT / "sample_data" / "telco_churn.csv"
N_JOBS = 2  # the plain baselines use both cores too, like the studio (core.models.N_JOBS)


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_read() -> dict:
    from core.data.reader import read_path

    studio = best_of(lambda: read_path(TELCO))
    plain = best_of(lambda: pd.read_csv(TELCO))
    return {"name": "read telco_churn.csv", "studio_s": studio, "baseline": "pandas.read_csv", "baseline_s": plain}


TELCO_ROWS = int(os.environ.get("BENCH_TELCO_ROWS", "100000"))  # the bigger telco; 0 skips it
TELCO_TRIALS = 5  # tuning trials on the sample; the bigger telco gets BIG_TELCO_TRIALS
BIG_TELCO_TRIALS = 3
CV_FOLDS = 5
SEED = 42  # TrainConfig's default seed: the plain baseline splits and seeds like the studio


@dataclass(frozen=True)
class TelcoTable:
    label: str  # "telco 7,070 rows"
    path: Path
    repeats: int  # best of this many runs (1 on the big table: it is slow)
    trials: int
    verbose: bool  # progress to stderr while it runs


def get_telco_tables(tmp: Path) -> list[TelcoTable]:
    """The sample, and (BENCH_TELCO_ROWS > 0) a resampled version of it written once to ``tmp``."""
    rows = len(pd.read_csv(TELCO, usecols=[0]))
    tables = [TelcoTable(f"telco {rows:,} rows", TELCO, repeats=2, trials=TELCO_TRIALS, verbose=False)]
    if TELCO_ROWS > 0:
        from tests.bench_data import make_telco_csv

        path = tmp / f"telco_{TELCO_ROWS}.csv"
        log(f"writing a {TELCO_ROWS:,}-row telco to {path}")
        make_telco_csv(TELCO, path, TELCO_ROWS)
        tables.append(TelcoTable(f"telco {TELCO_ROWS:,} rows", path, repeats=1, trials=BIG_TELCO_TRIALS, verbose=True))
    return tables


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@functools.cache
def load_telco(path: Path):
    """The table as the studio trains on it: read, cleaned with the suggested recipe, suggested problem
    and features. Cached: both benches of a table start from the same frame."""
    from core.data.cleaning import apply_recipe, suggest_recipe
    from core.data.reader import read_path
    from core.features.preprocessing import suggest_features
    from core.problem.definition import suggest_problem

    raw, _ = read_path(path)
    df, _ = apply_recipe(raw, suggest_recipe(raw, "churn"))
    problem = suggest_problem(df, "churn")
    return df, problem, suggest_features(df, problem)


def studio_progress(verbose: bool):
    if not verbose:
        return None
    started = time.perf_counter()
    return lambda fraction, message: log(f"  studio {time.perf_counter() - started:7.1f} s {fraction:4.0%}  {message}")


class PlainSplit(NamedTuple):
    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: np.ndarray
    y_test: np.ndarray
    preprocessor: object  # unfitted ColumnTransformer
    cv: object


def get_plain_split(df: pd.DataFrame, problem, features) -> PlainSplit:
    """What a plain scikit-learn script does: a stratified 80/20 holdout and 5 stratified folds on the
    80%, seeded like the studio. The preprocessor is the studio's own unfitted ColumnTransformer (plain
    scikit-learn and pandas steps), so both sides fit the very same features."""
    from sklearn.model_selection import StratifiedKFold, train_test_split

    from core.features.preprocessing import build_preprocessor
    from core.problem.definition import encode_target

    X = df.drop(columns=[problem.target])
    y = encode_target(df[problem.target], problem)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=SEED)
    preprocessor = build_preprocessor(df.loc[X_train.index], problem, features)
    return PlainSplit(
        X_train, X_test, y_train, y_test, preprocessor, StratifiedKFold(CV_FOLDS, shuffle=True, random_state=SEED)
    )


def run_plain_leaderboard(split: PlainSplit, models: list, verbose: bool) -> None:
    """Each model: 5-fold cross_val_score on both cores, a refit on the training rows, the holdout scored."""
    from sklearn.base import clone
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    started = time.perf_counter()
    for model in models:
        cross_val_score(
            make_pipeline(clone(split.preprocessor), clone(model)),
            split.X_train,
            split.y_train,
            cv=split.cv,
            scoring="roc_auc",
            n_jobs=N_JOBS,
        )
        fitted = make_pipeline(clone(split.preprocessor), clone(model)).fit(split.X_train, split.y_train)
        roc_auc_score(split.y_test, fitted.predict_proba(split.X_test)[:, 1])
        if verbose:
            log(f"  plain  {time.perf_counter() - started:7.1f} s  {type(model).__name__} done")


def bench_leaderboard(table: TelcoTable) -> dict:
    """The default leaderboard (baseline + 7 families) with 5-fold CV, against plain scikit-learn
    fitting the same estimators (same hyper-parameters and seeds) on the same rows and folds."""
    from core.training.catalog import get_catalog
    from core.training.config import TrainConfig
    from core.training.trainer import train_models

    df, problem, features = load_telco(table.path)
    log(f"leaderboard, {table.label} ({len(df):,} after cleaning), best of {table.repeats}")
    studio = best_of(
        lambda: train_models(
            df, problem, features, TrainConfig(cv_folds=CV_FOLDS, seed=SEED), progress=studio_progress(table.verbose)
        ),
        repeats=table.repeats,
    )
    split = get_plain_split(df, problem, features)
    specs = get_catalog(problem.task, default_only=True)
    models = [spec.make(problem.task, SEED) for spec in specs]
    plain = best_of(lambda: run_plain_leaderboard(split, models, table.verbose), repeats=table.repeats)
    return {
        "name": f"leaderboard {CV_FOLDS}-fold CV ({table.label})",
        "studio_s": studio,
        "baseline": f"plain scikit-learn: cross_val_score(n_jobs={N_JOBS}) + refit, same {len(models)} models",
        "baseline_s": plain,
        "rows_trained": len(df),
        "models": [s.key for s in specs],
        "repeats": table.repeats,
    }


def run_plain_trials(split: PlainSplit, param_sets: list[dict]) -> None:
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    for params in param_sets:
        model = HistGradientBoostingClassifier(random_state=SEED, **params)
        cross_val_score(
            make_pipeline(clone(split.preprocessor), model),
            split.X_train,
            split.y_train,
            cv=split.cv,
            scoring="roc_auc",
            n_jobs=N_JOBS,
        )


def bench_tuning(table: TelcoTable) -> list[dict]:
    """A random search of gradient boosting: seconds per trial (each trial = one 5-fold CV), against
    plain scikit-learn cross-validating the same settings; also the whole study (folds prepared,
    defaults scored, best refit) divided by its trials."""
    from core.training.config import TrainConfig
    from core.training.tuning import TuneConfig, run_study

    df, problem, features = load_telco(table.path)
    log(f"tuning, {table.label}, {table.trials} trials, best of {table.repeats}")
    per_trial, per_study_trial, param_sets = [], [], []
    for _ in range(table.repeats):
        study = run_study(
            df,
            problem,
            features,
            TrainConfig(cv_folds=CV_FOLDS, seed=SEED),
            TuneConfig(model="hist_gb", method="random", max_trials=table.trials),
            progress=studio_progress(table.verbose),
        )
        per_trial.append(float(np.mean([t.seconds for t in study.trials])))
        per_study_trial.append(study.seconds / len(study.trials))
        param_sets = [t.params for t in study.trials]  # seeded: the same settings every repeat
    split = get_plain_split(df, problem, features)

    def plain():
        started = time.perf_counter()
        run_plain_trials(split, param_sets)
        if table.verbose:
            log(f"  plain  {time.perf_counter() - started:7.1f} s  {len(param_sets)} trials done")

    plain_per_trial = best_of(plain, repeats=table.repeats) / len(param_sets)
    baseline = f"plain scikit-learn: cross_val_score(n_jobs={N_JOBS}) per trial, same settings"
    common = {
        "baseline": baseline,
        "baseline_s": plain_per_trial,
        "rows_trained": len(df),
        "trials": len(param_sets),
        "params": param_sets,
        "repeats": table.repeats,
    }
    return [
        {
            "name": f"tuning: seconds per trial, hist_gb {CV_FOLDS}-fold ({table.label})",
            "studio_s": min(per_trial),
            **common,
        },
        {
            "name": f"tuning: whole study / trials, hist_gb {CV_FOLDS}-fold ({table.label})",
            "studio_s": min(per_study_trial),
            **common,
        },
    ]


def bench_demo() -> dict:
    from core.pipeline import run_demo
    from core.workspace.database import Workspace

    timings = {}

    def demo():
        with tempfile.TemporaryDirectory() as tmp:
            timings.update(run_demo(Workspace(tmp))["timings"])

    total = best_of(demo, repeats=1)
    return {
        "name": "full demo (CLI path)",
        "studio_s": total,
        "baseline": "its training stage alone",
        "baseline_s": timings["train"],
        "stages": timings,
    }


def bench_latency() -> list[dict]:
    """One request of one row, as the gate times it (core.stages.lab.measure_latency_ms: the fastest of a
    few calls), against the bare estimator answering the same row already preprocessed: the ratio is
    what the studio's preprocessing adds to every single-row prediction."""
    from sklearn.pipeline import Pipeline

    from core.features.preprocessing import build_preprocessor
    from core.stages.lab import measure_latency_ms
    from core.training.catalog import get_catalog

    df, problem, features = load_telco(TELCO)
    split = get_plain_split(df, problem, features)
    row = split.X_test.head(1)
    results = []
    for spec in [s for s in get_catalog(problem.task, default_only=True) if s.key in ("logistic", "hist_gb")]:
        pipeline = Pipeline(
            [("preprocess", build_preprocessor(df, problem, features)), ("model", spec.make(problem.task, SEED))]
        ).fit(split.X_train, split.y_train)
        encoded = pipeline[:-1].transform(row)
        studio = min(measure_latency_ms(pipeline, row, problem.task) for _ in range(5)) / 1000
        bare = min(measure_latency_ms(pipeline[-1], encoded, problem.task) for _ in range(5)) / 1000
        steps = sum(name != "remainder" for name, _, _ in pipeline[0].transformers_)
        results.append(
            {
                "name": f"one-row prediction, {spec.name} (telco, {steps} preprocessing steps)",
                "studio_s": studio,
                "baseline": "the bare estimator on the preprocessed row",
                "baseline_s": bare,
            }
        )
    return results


SCALE_ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))


def make_wide_csv(path: Path, rows: int, seed: int = 0, portuguese: bool = False) -> None:
    """30 columns like a real export: IDs, numbers, categories, dates, text with gaps. `portuguese`:
    written as a Brazilian export (';' between values, decimal comma, dd/mm/yyyy dates)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {"id": [f"R{i:08d}" for i in range(rows)]}
    for i in range(12):
        values = rng.normal(100 * (i + 1), 10 * (i + 1), rows).round(2).astype(object)
        values[rng.random(rows) < 0.02] = ""
        cols[f"num_{i}"] = values
    for i in range(8):
        cols[f"int_{i}"] = rng.integers(0, 1000, rows)
    for i in range(6):
        cols[f"cat_{i}"] = rng.choice(["alpha", "beta", "gamma", "delta", " Beta", "GAMMA"], rows)
    dates = np.datetime64("2020-01-01") + rng.integers(0, 1500, rows).astype("timedelta64[D]")
    cols["date"] = pd.Series(dates).dt.strftime("%d/%m/%Y") if portuguese else dates.astype(str)
    cols["zip"] = [f"{z:05d}" for z in rng.integers(0, 99999, rows)]
    cols["target"] = rng.choice(["yes", "no"], rows)
    frame = pd.DataFrame(cols)
    if portuguese:
        for i in range(12):  # (object columns: to_csv's decimal= applies to float columns only)
            frame[f"num_{i}"] = frame[f"num_{i}"].map(lambda v: str(v).replace(".", ","))
        frame.to_csv(path, index=False, sep=";")
    else:
        frame.to_csv(path, index=False)


def _child(task: str, path: str, queue) -> None:
    """Runs in a fresh process so its peak memory is its own; CPU time counts every thread."""
    start, cpu = time.perf_counter(), time.process_time()
    if task == "pandas":
        pd.read_csv(path, **PANDAS_OPTIONS.get(Path(path).name, {}))
    else:
        from core.data.reader import read_path  # each task imports only what it runs, in the timed part

        df, _ = read_path(path)
        if task in ("profile", "clean"):
            from core.data.profiling import profile_table

            profile_table(df, target="target")
        if task == "clean":
            from core.data.cleaning import apply_recipe, suggest_recipe

            apply_recipe(df, suggest_recipe(df, "target"))
    queue.put((time.perf_counter() - start, time.process_time() - cpu, _peak_rss_mb()))


def _peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: ru_maxrss survives exec, so a
    spawned child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _measure(task: str, path: Path) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak MB) of `task` in a fresh process."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(task, str(path), queue))
    proc.start()
    seconds, cpu_s, peak_mb = queue.get()
    proc.join()
    return seconds, cpu_s, peak_mb


SCALE_ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SCALE_FILES = {"wide.csv": "English", "wide_pt.csv": "Portuguese"}  # the Portuguese: ';', decimal comma, dd/mm/yyyy
PANDAS_OPTIONS = {"wide_pt.csv": {"sep": ";", "decimal": ","}}  # what pandas must be told (the studio detects it)


def bench_scale() -> list[dict]:
    """The Data stage on a wide table: time and peak memory against plain pandas.read_csv.

    The machines this runs on are shared: pandas and the read run in turn (A B A B ...,
    `BENCH_ROUNDS` pairs) and the medians are kept, with the CPU time of each (all threads), which
    the load moves less than the wall time."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, language in SCALE_FILES.items():
            if language != "English" and os.environ.get("BENCH_SCALE_FILES", "all") == "English":
                continue
            path = Path(tmp) / name
            make_wide_csv(path, SCALE_ROWS, portuguese=language == "Portuguese")
            results.extend(_scale_results(path, language))
            path.unlink()
    return results


def _scale_results(path: Path, language: str) -> list[dict]:
    size_mb = path.stat().st_size / 2**20
    pairs = [(_measure("pandas", path), _measure("read", path)) for _ in range(max(SCALE_ROUNDS, 1))]
    base_s, base_cpu, base_mb = (float(np.median([p[0][k] for p in pairs])) for k in range(3))
    measured = {"read": tuple(float(np.median([p[1][k] for p in pairs])) for k in range(3))}
    tasks = (("read", "read"), ("profile", "read + profile"), ("clean", "read + profile + clean"))
    if language != "English":
        tasks = tasks[:1]  # (profiling and cleaning are the same work once read)
    for task, _label in tasks[1:]:
        measured[task] = _measure(task, path)
    results = []
    for task, label in tasks:
        seconds, cpu_s, peak = measured[task]
        results.append(
            {
                "name": f"{label}, {SCALE_ROWS:,} x 30 {language} ({size_mb:.0f} MB)",
                "studio_s": seconds,
                "baseline": f"pandas.read_csv ({base_s:.1f} s, CPU {base_cpu:.1f} s, peak {base_mb:.0f} MB); "
                f"CPU {cpu_s:.1f} s = {cpu_s / base_cpu:.2f}x, memory {peak / base_mb:.2f}x"
                + (f", medians of {len(pairs)} rounds in turn" if task == "read" else ""),
                "baseline_s": base_s,
                "studio_cpu_s": cpu_s,
                "baseline_cpu_s": base_cpu,
                "peak_mb": peak,
                "baseline_peak_mb": base_mb,
            }
        )
    return results


def run_benches(names: list[str], tmp: Path) -> list[dict]:
    results: list[dict] = []
    tables = get_telco_tables(tmp) if {"leaderboard", "tuning"} & set(names) else []
    for name in names:
        if name == "read":
            results.append(bench_read())
        elif name == "leaderboard":
            results.extend(bench_leaderboard(table) for table in tables)
        elif name == "tuning":
            for table in tables:
                results.extend(bench_tuning(table))
        elif name == "demo":
            results.append(bench_demo())
        elif name == "latency":
            results.extend(bench_latency())
        elif name == "scale":
            results.extend(bench_scale())
        elif name == "serving":
            results.extend(__import__("tests.bench_serving", fromlist=["bench_serving"]).bench_serving())
        elif name == "endpoint":
            results.extend(__import__("tests.bench_endpoint", fromlist=["bench_endpoint"]).bench_endpoint())
        elif name == "drift":
            results.extend(__import__("tests.bench_drift", fromlist=["bench_drift"]).bench_drift())
        elif name == "cluster":
            results.extend(__import__("tests.bench_cluster", fromlist=["bench_cluster"]).bench_cluster(tmp))
    return results


BENCHES = ("read", "leaderboard", "tuning", "latency", "demo", "scale", "serving", "endpoint", "drift", "cluster")


def _seconds(value: float) -> str:
    return f"{value:.2f}" if value >= 1 else f"{value:.4f}"  # one-row predictions take milliseconds


def main(argv: list[str]) -> None:
    unknown = [a for a in argv if a not in BENCHES]
    if unknown:
        sys.exit(f"Unknown bench {', '.join(unknown)}; choose among: {', '.join(BENCHES)} (none = all).")
    names = [b for b in BENCHES if b in argv] or list(BENCHES)
    with tempfile.TemporaryDirectory() as tmp:
        results = run_benches(names, Path(tmp))
    width = max(len(r["name"]) for r in results)
    print(f"{'benchmark':<{width}} {'studio s':>9} {'baseline s':>11} {'ratio':>7} {'peak MB':>8}  baseline")
    for r in results:
        ratio = r["studio_s"] / r["baseline_s"] if r["baseline_s"] else float("nan")
        r["ratio"] = ratio
        peak = f"{r['peak_mb']:8.0f}" if "peak_mb" in r else " " * 8
        print(
            f"{r['name']:<{width}} {_seconds(r['studio_s']):>9} {_seconds(r['baseline_s']):>11} {ratio:7.2f} {peak}  "
            f"{r['baseline']}"
        )
    for r in results:
        if "stages" in r:
            print("demo stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items()))
    out = ROOT / "bench_results.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out.name}")


if __name__ == "__main__":
    main(sys.argv[1:])
