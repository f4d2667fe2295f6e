"""`make bench` (feature store): the point-in-time join of 1,000,000 labelled rows against 5,000,000
feature rows, time and peak memory, against a plain ``pandas.merge_asof`` on the same frames in the same
run (the baseline sorts both sides too: merge_asof needs it). Best of a few repeats; the ratio is what
to watch on a shared machine.

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


def main() -> None:
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
