"""`python -m tests.bench drift`: the studio's drift report against a plain scipy loop, same data, same run.

20 features (15 numeric: measurements, rounded amounts with ties, a whole-number code, some with
missing values, five of them shifted; 5 categorical: strings, two shifted), BENCH_ROWS reference rows
(1,000,000 by default) against as many current rows. Each side runs in a fresh process (its peak
memory is its own, data included) and is timed best of three:

- plain: per feature, scipy.stats.ks_2samp (numbers) or chi2_contingency on the category counts
  (categories), and the textbook PSI on the reference's decile bins;
- studio, first report: get_feature_drift_df from the reference rows (it prepares the reference);
- studio, reference prepared: the same with the reference prepared once per deployment (what every
  later window and report of a deployment costs).

Each side's processor time (best of three) is printed beside its wall time: on a machine shared with
other work the wall times swing with the load, the processor times much less.

What is timed is the drift table (PSI and KS or chi-squared for every feature, what Evidently's
DataDriftPreset and the plain loop compute), not the report's multivariate domain classifier, which
works on a bounded sample per window (1,000 rows a side) whatever the number of rows.

The statistics must be identical: the largest difference of KS p-values (to 1e-9) and of PSI
against the plain loop's is printed with the result.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time

import numpy as np
import pandas as pd

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
REPEATS = 3
NUMERIC, CATEGORICAL = 15, 5
CATEGORIES = np.array(["basic", "plus", "pro", "team", "enterprise", "trial"])


def make_frames(rows: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def table(shift: float) -> pd.DataFrame:
        cols: dict[str, object] = {}
        for i in range(NUMERIC):
            moved = shift if i % 3 == 0 else 0.0
            if i % 5 == 1:  # amounts rounded to cents: many ties
                values = np.round(rng.lognormal(3 + moved / 4, 1, rows), 2)
            elif i % 5 == 2:  # a whole-number code
                values = rng.integers(0, 8, rows).astype(float) + (moved > 0)
            else:
                values = rng.normal(100 * (i + 1) + moved * 10, 10 * (i + 1), rows)
            if i % 4 == 3:
                values[rng.random(rows) < 0.02] = np.nan
            cols[f"num_{i}"] = values
        for i in range(CATEGORICAL):
            p = np.full(len(CATEGORIES), 1 / len(CATEGORIES))
            if shift and i < 2:
                p = np.array([0.3, 0.2, 0.2, 0.1, 0.1, 0.1])
            cols[f"cat_{i}"] = pd.array(rng.choice(CATEGORIES, rows, p=p), dtype="str")
        return pd.DataFrame(cols)

    return table(0.0), table(1.0)


def run_plain(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """{feature: (psi, pvalue)} the way a plain script computes them."""
    from scipy.stats import chi2_contingency, ks_2samp

    out = {}
    for column in reference.columns:
        if column.startswith("num_"):
            ref_all, cur_all = reference[column].to_numpy(), current[column].to_numpy()
            ref, cur = ref_all[~np.isnan(ref_all)], cur_all[~np.isnan(cur_all)]
            pvalue = float(ks_2samp(ref, cur).pvalue)
            # Shares of the non-missing values are scaled to the whole column, missing values a bin of their own.
            edges = np.unique(np.quantile(ref, np.linspace(0, 1, 11)[1:-1]))
            r = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1) / len(ref_all)
            c = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=len(edges) + 1) / len(cur_all)
            r = np.append(r, 1 - len(ref) / len(ref_all))
            c = np.append(c, 1 - len(cur) / len(cur_all))
            r, c = np.maximum(r, 1e-4), np.maximum(c, 1e-4)
            value = float(np.sum((c - r) * np.log(c / r)))
        else:
            counts = pd.concat([reference[column].value_counts(), current[column].value_counts()], axis=1).fillna(0)
            pvalue = float(chi2_contingency(counts.to_numpy().T).pvalue)
            shares = np.maximum(counts.to_numpy() / counts.to_numpy().sum(axis=0), 1e-4)
            value = float(np.sum((shares[:, 1] - shares[:, 0]) * np.log(shares[:, 1] / shares[:, 0])))
        out[column] = (value, pvalue)
    return out


def run_studio(reference, current: pd.DataFrame) -> dict[str, tuple[float, float]]:
    from core.monitoring.drift import DriftConfig, get_feature_drift_df

    df = get_feature_drift_df(reference, current, list(current.columns), DriftConfig())
    return {row.feature: (float(row.psi), float(row.pvalue)) for row in df.itertuples(index=False)}


def _peak_mb() -> float:
    from tests.bench import _peak_rss_mb

    return _peak_rss_mb()


def _child(task: str, rows: int, queue) -> None:
    reference, current = make_frames(rows)
    times, cpu_times = [], []
    results: dict = {}
    prepared = None
    if task == "studio-prepared":
        from core.monitoring.reference import prepare_reference

        prepared = prepare_reference(reference, list(reference.columns))
        del reference  # a deployment keeps the prepared reference, not the rows
    for _ in range(REPEATS):
        start, cpu_start = time.perf_counter(), time.process_time()
        if task == "plain":
            results = run_plain(reference, current)
        elif task == "studio":
            results = run_studio(reference, current)
        else:
            results = run_studio(prepared, current)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    queue.put((min(times), min(cpu_times), _peak_mb(), results))


def _measure(task: str, rows: int):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(task, rows, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def bench_drift() -> list[dict]:
    from tests.bench import log

    log(f"drift, {NUMERIC + CATEGORICAL} features, {ROWS:,} vs {ROWS:,} rows, best of {REPEATS}")
    plain_s, plain_cpu, plain_mb, plain = _measure("plain", ROWS)
    out = []
    for task, label in (("studio", "first report"), ("studio-prepared", "reference prepared")):
        seconds, cpu, peak, studio = _measure(task, ROWS)
        ks = [c for c in plain if c.startswith("num_")]
        out.append(
            {
                "name": f"drift report, {NUMERIC + CATEGORICAL} features, {ROWS:,} vs {ROWS:,} ({label})",
                "studio_s": seconds,
                "baseline": f"plain scipy loop ({plain_s:.1f} s, peak {plain_mb:.0f} MB)",
                "baseline_s": plain_s,
                "cpu_s": cpu,
                "baseline_cpu_s": plain_cpu,
                "peak_mb": peak,
                "baseline_peak_mb": plain_mb,
                "max_ks_pvalue_difference": max(abs(studio[c][1] - plain[c][1]) for c in ks),
                "max_pvalue_difference": max(abs(studio[c][1] - plain[c][1]) for c in plain),
                "max_psi_difference": max(abs(studio[c][0] - plain[c][0]) for c in plain),
            }
        )
        log(
            f"  {label}: {seconds:.2f} s vs {plain_s:.2f} s ({plain_s / seconds:.1f}x; processor time {cpu:.2f} s vs "
            f"{plain_cpu:.2f} s, {plain_cpu / cpu:.1f}x), peak {peak:.0f} MB; largest differences: "
            f"KS p-value {out[-1]['max_ks_pvalue_difference']:.1e}, PSI {out[-1]['max_psi_difference']:.1e}"
        )
    return out
