"""`python -m tests.bench cluster`: the leaderboard and a tuning study on this machine (the studio's
threads) against the same work as tasks on a 2-worker LocalCluster (``core.training.cluster``), same
table, same run.

The table is the telco sample resampled to BENCH_CLUSTER_ROWS rows (100,000 by default; the
leaderboard then trains on its 80,000 training rows). So that both sides finish in minutes on a loaded
2-core machine, the leaderboard is the fast families (BENCH_CLUSTER_MODELS: logistic regression, naive
Bayes, a decision tree, gradient boosting) with BENCH_CLUSTER_FOLDS folds (3: still one task per fold
and family, more tasks than workers), and the study is BENCH_CLUSTER_TRIALS trials (20) of random
search (BENCH_CLUSTER_METHOD; random trials go to the cluster in batches, TPE one at a time because
each suggestion depends on every score before it) of a decision tree (BENCH_CLUSTER_TUNE_MODEL). The
cluster's start (processes spawned once per studio process) is timed apart and not in the ratio.
Each side runs once; the scores must be identical, and that is printed with the result, with the
load average before and after (the machine is shared: the ratio is the number to read).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ROWS = int(os.environ.get("BENCH_CLUSTER_ROWS", "100000"))
TRIALS = int(os.environ.get("BENCH_CLUSTER_TRIALS", "20"))
FOLDS = int(os.environ.get("BENCH_CLUSTER_FOLDS", "3"))
MODELS = tuple(os.environ.get("BENCH_CLUSTER_MODELS", "logistic,naive_bayes,decision_tree,hist_gb").split(","))
METHOD = os.environ.get("BENCH_CLUSTER_METHOD", "random")
TUNE_MODEL = os.environ.get("BENCH_CLUSTER_TUNE_MODEL", "decision_tree")
WORKERS = 2


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def bench_cluster(tmp: Path) -> list[dict]:
    from core.training import cluster
    from core.training.config import TrainConfig
    from core.training.engine import LOCAL_CLUSTER, ClusterChoice, use_cluster
    from core.training.trainer import train_models
    from core.training.tuning import TuneConfig, run_study
    from tests.bench import SEED, TELCO, load_telco, log
    from tests.bench_data import make_telco_csv

    path = tmp / f"telco_cluster_{ROWS}.csv"
    log(f"cluster: writing a {ROWS:,}-row telco to {path}")
    make_telco_csv(TELCO, path, ROWS)
    df, problem, features = load_telco(path)
    config = TrainConfig(models=MODELS, cv_folds=FOLDS, seed=SEED)
    tune = TuneConfig(model=TUNE_MODEL, method=METHOD, max_trials=TRIALS)
    load_before = load_average()
    log(f"cluster: load average (1, 5, 15 min) before: {load_before}")
    local = ClusterChoice()
    remote = ClusterChoice(LOCAL_CLUSTER, n_workers=WORKERS)

    def timed(fn):
        started = time.perf_counter()
        value = fn()
        return value, time.perf_counter() - started

    started = time.perf_counter()
    cluster.get_client(remote)
    start_s = time.perf_counter() - started
    log(f"cluster: LocalCluster of {WORKERS} worker processes started in {start_s:.1f} s")
    try:
        results = []
        boards = {}
        for label, choice in (("local", local), ("cluster", remote)):
            log(f"cluster: leaderboard on {label}")
            with use_cluster(choice):
                boards[label] = timed(lambda: train_models(df, problem, features, config))
            log(f"cluster: leaderboard on {label}: {boards[label][1]:.1f} s")
        same_board = [(r.key, r.cv_scores, r.test_metrics) for r in boards["local"][0].results] == [
            (r.key, r.cv_scores, r.test_metrics) for r in boards["cluster"][0].results
        ]
        results.append(
            {
                "name": f"cluster leaderboard ({', '.join(MODELS)}; {FOLDS} folds), telco {ROWS:,} rows, "
                f"{WORKERS} workers",
                "studio_s": boards["cluster"][1],
                "baseline": f"the same on this machine (threads); identical scores: {same_board}; "
                f"cluster start {start_s:.1f} s not included",
                "baseline_s": boards["local"][1],
                "identical": same_board,
                "cluster_start_s": start_s,
            }
        )
        studies = {}
        for label, choice in (("local", local), ("cluster", remote)):
            log(f"cluster: {TRIALS}-trial study on {label}")
            with use_cluster(choice):
                studies[label] = timed(lambda: run_study(df, problem, features, config, tune))
            log(f"cluster: study on {label}: {studies[label][1]:.1f} s")
        a, b = studies["local"][0], studies["cluster"][0]
        same_study = [(t.params, t.cv_scores) for t in a.trials] == [(t.params, t.cv_scores) for t in b.trials] and (
            a.best is not None
            and b.best is not None
            and (a.best.params, a.best.cv_score) == (b.best.params, b.best.cv_score)
        )
        results.append(
            {
                "name": f"cluster study, {TRIALS} {METHOD} trials of {TUNE_MODEL}, telco {ROWS:,} rows",
                "studio_s": studies["cluster"][1],
                "baseline": f"the same on this machine (threads); identical trials and best: {same_study}; "
                f"load average before {load_before}, after {load_average()}",
                "baseline_s": studies["local"][1],
                "identical": same_study,
            }
        )
        return results
    finally:
        cluster.close_clusters()
