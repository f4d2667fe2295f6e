"""`make bench` (feature store): the point-in-time join of 1,000,000 labelled rows against 5,000,000
feature rows, time and peak memory, against a plain ``pandas.merge_asof`` on the same frames in the same
run (the baseline sorts both sides too: merge_asof needs it). Best of a few repeats; the ratio is what
to watch on a shared machine.

Then the online store: one entity's features read in-process (``online.online_features``: three
features of one customer, and one feature alone), LOOKUPS times on a workspace whose source holds
ONLINE_EVENTS events of ONLINE_ENTITIES customers; p50 and p95 in ms (goal: p50 <= 1 ms).

    python -m tests.bench_featurestore
    BENCH_FS_LABELS=100000 BENCH_FS_FEATURES=500000 python -m tests.bench_featurestore   # quicker
"""

from __future__ import annotations

import json
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LABELS = int(os.environ.get("BENCH_FS_LABELS", 1_000_000))
FEATURES = int(os.environ.get("BENCH_FS_FEATURES", 5_000_000))
ENTITIES = 100_000
REPEATS = 2
ONLINE_ENTITIES = int(os.environ.get("BENCH_FS_ONLINE_ENTITIES", 20_000))
ONLINE_EVENTS = int(os.environ.get("BENCH_FS_ONLINE_EVENTS", 200_000))
LOOKUPS = 1_000


def make_frames(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-01-01T00:00:00", "ns")
    year_ns = 365 * 24 * 3600 * 10**9
    labels = pd.DataFrame(
        {
            "customer_id": rng.integers(0, ENTITIES, LABELS),
            "ts": start + rng.integers(0, year_ns, LABELS).astype("timedelta64[ns]"),
            "label": rng.integers(0, 2, LABELS),
        }
    )
    features = pd.DataFrame(
        {
            "customer_id": rng.integers(0, ENTITIES, FEATURES),
            "ts": start + rng.integers(0, year_ns, FEATURES).astype("timedelta64[ns]"),
            "spend_7d": rng.normal(100, 30, FEATURES),
            "logins_24h": rng.poisson(1.0, FEATURES).astype(float),
        }
    )
    return labels, features


def studio(labels: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    from core.featurestore.joins import point_in_time_join

    return point_in_time_join(labels, features, entity="customer_id", label_time="ts", feature_time="ts")


def plain(labels: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    return pd.merge_asof(
        labels.sort_values("ts"),
        features.sort_values("ts"),
        on="ts",
        by="customer_id",
        direction="backward",
        allow_exact_matches=False,
    )


def measure(fn, labels: pd.DataFrame, features: pd.DataFrame) -> tuple[float, float, pd.DataFrame]:
    """Best time of REPEATS runs (s) and the peak memory the call allocated (MiB, tracemalloc: numpy
    and pandas buffers are traced), with the last result."""
    best, out = float("inf"), pd.DataFrame()
    for _unused in range(REPEATS):
        start = time.perf_counter()
        out = fn(labels, features)
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    fn(labels, features)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return best, peak, out


def online_lookup() -> dict:
    """p50/p95 of reading one entity's online features, in-process, on a materialised workspace."""
    import tempfile

    from core.data.datasets import save_dataset
    from core.featurestore import catalog, online
    from core.featurestore.definitions import Expression, FeatureDefinition
    from core.workspace.database import Workspace
    from core.workspace.projects import create_project

    rng = np.random.default_rng(1)
    start = np.datetime64("2024-01-01T00:00:00", "ns")
    events = pd.DataFrame(
        {
            "customer_id": rng.integers(0, ONLINE_ENTITIES, ONLINE_EVENTS),
            "ts": start + rng.integers(0, 90 * 24 * 3600 * 10**9, ONLINE_EVENTS).astype("timedelta64[ns]"),
            "amount": rng.gamma(2.0, 30.0, ONLINE_EVENTS),
        }
    )
    names = [("spend_7d", "sum", "7d"), ("amount_mean_30d", "mean", "30d"), ("last_amount", "last", None)]
    with tempfile.TemporaryDirectory() as folder:
        ws = Workspace(Path(folder) / "ws")
        project = create_project(ws, "bench")
        source = save_dataset(ws, project["id"], events, kind="raw", name="events.csv")
        materialise_s = 0.0
        for name, aggregate, window in names:
            definition = FeatureDefinition(
                name=name,
                entity="customer_id",
                timestamp="ts",
                expression=Expression("column", ("amount",)),
                aggregate=aggregate,
                window=window,
                owner="bench",
                description="A bench feature.",
                source_dataset_id=source["id"],
            )
            catalog.register_definition(ws, definition)
            materialise_s += online.materialise(ws, name)["seconds"]
        keys = rng.integers(0, ONLINE_ENTITIES, LOOKUPS).tolist()
        timings: dict[str, list[float]] = {"three": [], "one": []}
        for key in keys:
            began = time.perf_counter()
            online.online_features(ws, [n for n, _a, _w in names], [key])
            timings["three"].append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            online.online_features(ws, ["spend_7d"], [key])
            timings["one"].append((time.perf_counter() - began) * 1000)
    return {
        "name": f"online lookup of one entity ({ONLINE_ENTITIES:,} entities, {ONLINE_EVENTS:,} events), {LOOKUPS:,} lookups",
        "materialise_s_three_features": round(materialise_s, 2),
        "three_features_p50_ms": round(float(np.percentile(timings["three"], 50)), 3),
        "three_features_p95_ms": round(float(np.percentile(timings["three"], 95)), 3),
        "one_feature_p50_ms": round(float(np.percentile(timings["one"], 50)), 3),
        "one_feature_p95_ms": round(float(np.percentile(timings["one"], 95)), 3),
        "goal": "p50 <= 1 ms",
    }


def main() -> None:
    print(json.dumps(online_lookup(), indent=2))
    labels, features = make_frames()
    studio_s, studio_mib, joined = measure(studio, labels, features)
    plain_s, plain_mib, baseline = measure(plain, labels, features)
    # Same answers: the baseline's rows come sorted by time; match them by the label's position.
    check = baseline.sort_values(["ts", "customer_id"]).reset_index(drop=True)
    mine = joined.sort_values(["ts", "customer_id"]).reset_index(drop=True)
    same = bool(np.allclose(check["spend_7d"], mine["spend_7d"], equal_nan=True))
    result = {
        "name": f"point-in-time join: {LABELS:,} labelled rows x {FEATURES:,} feature rows",
        "studio_s": round(studio_s, 3),
        "baseline": "pandas.merge_asof (both sides sorted)",
        "baseline_s": round(plain_s, 3),
        "time_ratio": round(studio_s / plain_s, 2),
        "studio_peak_mib": round(studio_mib, 1),
        "baseline_peak_mib": round(plain_mib, 1),
        "memory_ratio": round(studio_mib / plain_mib, 2),
        "same_values": same,
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
