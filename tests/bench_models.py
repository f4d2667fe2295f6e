"""`make bench` (model integrity): saving and loading a trained model the secure way (skops' format with
its trusted-types check, core.security.model_format through Workspace.save_model/load_model, SHA-256
included) against plain joblib (compress=3, written and hash-checked as the studio saved models before) on the same models in the
same run. Best of a few repeats; the ratio is what to watch on a shared machine.

    python -m tests.bench_models
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TELCO = ROOT / "sample_data" / "telco_churn.csv"
REPEATS = 3
FAMILIES = ("logistic", "random_forest", "hist_gb", "svm")


def best_of(fn, repeats: int = REPEATS) -> float:
    times = []
    for _i in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def trained_pipelines() -> dict:
    from core.data.cleaning import apply_recipe, suggest_recipe
    from core.data.reader import read_path
    from core.features.preprocessing import suggest_features
    from core.problem.definition import suggest_problem
    from core.training.config import TrainConfig
    from core.training.trainer import train_models

    raw, _info = read_path(TELCO)
    df, _report = apply_recipe(raw, suggest_recipe(raw, "churn"))
    problem = suggest_problem(df, "churn")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = train_models(df, problem, suggest_features(df, problem), TrainConfig(models=FAMILIES, cv_folds=2))
    return {r.key: r.pipeline for r in result.results if r.pipeline is not None and r.key != "baseline"}


def bench_models() -> list[dict]:
    import joblib

    from core.workspace.database import Workspace

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / "ws")
        for key, pipeline in trained_pipelines().items():
            plain_ids: list[int] = []

            def plain_save(
                pipeline=pipeline, plain_ids=plain_ids
            ):  # the studio's save_model before: joblib, hashed, written
                buf = io.BytesIO()
                joblib.dump(pipeline, buf, compress=3)
                plain_ids.append(ws.write_artifact("model", buf.getvalue(), ".joblib"))

            plain_save_s = best_of(plain_save)
            plain_bytes = ws.artifact_info(plain_ids[-1])["size"]
            plain_load_s = best_of(
                lambda artifact_id=plain_ids[-1]: joblib.load(io.BytesIO(ws.read_artifact(artifact_id)))
            )
            ids: list[int] = []
            save_s = best_of(lambda pipeline=pipeline, ids=ids: ids.append(ws.save_model(pipeline)))
            info = ws.artifact_info(ids[-1])
            load_s = best_of(lambda artifact_id=ids[-1]: ws.load_model(artifact_id))
            rows.append(
                {
                    "name": f"model save/load {key}",
                    "format": Path(info["path"]).suffix,
                    "studio_save_s": save_s,
                    "studio_load_s": load_s,
                    "studio_bytes": info["size"],
                    "baseline": "joblib compress=3, hash-checked (save_model/load_model before)",
                    "baseline_save_s": plain_save_s,
                    "baseline_load_s": plain_load_s,
                    "baseline_bytes": plain_bytes,
                    "save_ratio": save_s / plain_save_s,
                    "load_ratio": load_s / plain_load_s,
                }
            )
    return rows


def main() -> None:
    rows = bench_models()
    for r in rows:
        print(
            f"{r['name']:<34} {r['format']}: save {r['studio_save_s'] * 1000:7.1f} ms vs joblib "
            f"{r['baseline_save_s'] * 1000:7.1f} ms (x{r['save_ratio']:.2f}); load {r['studio_load_s'] * 1000:7.1f} ms "
            f"vs {r['baseline_load_s'] * 1000:7.1f} ms (x{r['load_ratio']:.2f}); "
            f"{r['studio_bytes'] / 1e6:.2f} MB vs {r['baseline_bytes'] / 1e6:.2f} MB"
        )
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
