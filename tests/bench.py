"""`make bench`: speed as ratios against a plain baseline measured in the same run.

The machine is shared and noisy, so each figure is the best of a few repeats and the ratio is
what to watch; absolute seconds are printed for the record only.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TELCO = ROOT / "sample_data" / "telco_churn.csv"


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_read() -> dict:
    from core.reader import read_path

    studio = best_of(lambda: read_path(TELCO))
    plain = best_of(lambda: pd.read_csv(TELCO))
    return {"name": "read telco_churn.csv", "studio_s": studio, "baseline": "pandas.read_csv", "baseline_s": plain}


def bench_train() -> dict:
    from sklearn.compose import ColumnTransformer, make_column_selector
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    from core.cleaning import apply_recipe, suggest_recipe
    from core.features import suggest_features
    from core.problem import encode_target, suggest_problem
    from core.reader import read_path
    from core.training import TrainConfig, train_models

    raw, _ = read_path(TELCO)
    df, _ = apply_recipe(raw, suggest_recipe(raw, "churn"))
    problem = suggest_problem(df, "churn")
    features = suggest_features(df, problem)
    studio = best_of(lambda: train_models(df, problem, features, TrainConfig(cv_folds=5)), repeats=2)

    X = df.drop(columns=["churn", "customer_id"])
    y = encode_target(df["churn"], problem)
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         make_column_selector(dtype_include="number")),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
         make_column_selector(dtype_include=["object", "string"])),
    ])
    models = [LogisticRegression(max_iter=1000), DecisionTreeClassifier(max_depth=6),
              RandomForestClassifier(n_estimators=150, max_depth=10, min_samples_leaf=5, n_jobs=2),
              HistGradientBoostingClassifier()]
    cv = StratifiedKFold(5, shuffle=True, random_state=42)

    def plain():
        for model in models:
            cross_val_score(make_pipeline(pre, model), X, y, cv=cv, scoring="roc_auc")
            make_pipeline(pre, model).fit(X, y)

    return {"name": "train leaderboard, 5-fold CV (telco)", "studio_s": studio,
            "baseline": "plain scikit-learn cross_val_score + refit, same models", "baseline_s": best_of(plain, 2)}


def bench_demo() -> dict:
    from core.pipeline import run_demo
    from core.workspace import Workspace

    timings = {}

    def demo():
        with tempfile.TemporaryDirectory() as tmp:
            timings.update(run_demo(Workspace(tmp))["timings"])

    total = best_of(demo, repeats=1)
    return {"name": "full demo (CLI path)", "studio_s": total, "baseline": "its training stage alone",
            "baseline_s": timings["train"], "stages": timings}


SCALE_ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))


def make_wide_csv(path: Path, rows: int, seed: int = 0) -> None:
    """30 columns like a real export: IDs, numbers, categories, dates, text with gaps."""
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
    cols["date"] = (np.datetime64("2020-01-01") + rng.integers(0, 1500, rows).astype("timedelta64[D]")).astype(str)
    cols["zip"] = [f"{z:05d}" for z in rng.integers(0, 99999, rows)]
    cols["target"] = rng.choice(["yes", "no"], rows)
    pd.DataFrame(cols).to_csv(path, index=False)


def _child(task: str, path: str, queue) -> None:
    """Runs in a fresh process so its peak memory is its own."""
    start = time.perf_counter()
    if task == "pandas":
        pd.read_csv(path)
    else:
        from core.cleaning import apply_recipe, suggest_recipe
        from core.profiling import profile_table
        from core.reader import read_path

        df, _ = read_path(path)
        if task in ("profile", "clean"):
            profile_table(df, target="target")
        if task == "clean":
            apply_recipe(df, suggest_recipe(df, "target"))
    queue.put((time.perf_counter() - start, _peak_rss_mb()))


def _peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: ru_maxrss survives exec, so a
    spawned child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _measure(task: str, path: Path) -> tuple[float, float]:
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(task, str(path), queue))
    proc.start()
    seconds, peak_mb = queue.get()
    proc.join()
    return seconds, peak_mb


def bench_scale() -> list[dict]:
    """The Data stage on a wide table: time and peak memory against plain pandas.read_csv."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wide.csv"
        make_wide_csv(path, SCALE_ROWS)
        size_mb = path.stat().st_size / 2**20
        base_s, base_mb = _measure("pandas", path)
        results = []
        for task, label in (("read", "read"), ("profile", "read + profile"), ("clean", "read + profile + clean")):
            seconds, peak = _measure(task, path)
            results.append({"name": f"{label}, {SCALE_ROWS:,} x 30 ({size_mb:.0f} MB)", "studio_s": seconds,
                            "baseline": f"pandas.read_csv ({base_s:.1f} s, peak {base_mb:.0f} MB)",
                            "baseline_s": base_s, "peak_mb": peak, "baseline_peak_mb": base_mb})
        return results


def main() -> None:
    results = [bench_read(), bench_train(), bench_demo(), *bench_scale()]
    print(f"{'benchmark':<48} {'studio s':>9} {'baseline s':>11} {'ratio':>7} {'peak MB':>8}  baseline")
    for r in results:
        ratio = r["studio_s"] / r["baseline_s"] if r["baseline_s"] else float("nan")
        r["ratio"] = ratio
        peak = f"{r['peak_mb']:8.0f}" if "peak_mb" in r else " " * 8
        print(f"{r['name']:<48} {r['studio_s']:9.2f} {r['baseline_s']:11.2f} {ratio:7.2f} {peak}  {r['baseline']}")
    stages = results[-1]["stages"]
    print("demo stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))
    out = ROOT / "bench_results.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out.name}")


if __name__ == "__main__":
    main()
