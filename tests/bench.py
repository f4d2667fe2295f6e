"""`make bench`: speed as ratios against a plain baseline measured in the same run.

The machine is shared and noisy, so each figure is the best of a few repeats and the ratio is
what to watch; absolute seconds are printed for the record only.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

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


def main() -> None:
    results = [bench_read(), bench_train(), bench_demo()]
    print(f"{'benchmark':<40} {'studio s':>9} {'baseline s':>11} {'ratio':>7}  baseline")
    for r in results:
        ratio = r["studio_s"] / r["baseline_s"] if r["baseline_s"] else float("nan")
        r["ratio"] = ratio
        print(f"{r['name']:<40} {r['studio_s']:9.2f} {r['baseline_s']:11.2f} {ratio:7.2f}  {r['baseline']}")
    stages = results[-1]["stages"]
    print("demo stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))
    out = ROOT / "bench_results.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out.name}")


if __name__ == "__main__":
    main()
