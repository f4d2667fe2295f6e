"""A worker the nanny restarts (killed mid-study) comes back without running ``__main__``: distributed
prepares every start of a worker process — the first and each restart — through
``multiprocessing.spawn.get_preparation_data`` with the process name ``NANNY_PROCESS_NAME``, and the
studio's hook leaves ``__main__`` out for exactly that name. The study still finishes, with the scores
of this machine."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import types
from multiprocessing import spawn

import pytest

from core.features.preprocessing import FeatureConfig
from core.training import cluster
from core.training.config import TrainConfig
from core.training.engine import LOCAL_CLUSTER, ClusterChoice, use_cluster
from core.training.tuning import Dimension, TuneConfig, run_study
from tests.unit.training.test_training import CLS, make_classification_frame

LOCAL2 = ClusterChoice(LOCAL_CLUSTER, n_workers=2)


def _page_as_main(tmp_path, monkeypatch) -> None:
    page = tmp_path / "page.py"
    page.write_text("raise SystemExit('a worker ran the page script')\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", main)


def test_the_hook_leaves_main_out_for_dask_workers_only(tmp_path, monkeypatch):
    _page_as_main(tmp_path, monkeypatch)
    cluster._install_worker_preparation()
    cluster._install_worker_preparation()  # once: a second call does not wrap it again
    assert spawn.get_preparation_data.studio_worker_hook  # type: ignore[attr-defined]
    assert "init_main_from_path" not in spawn.get_preparation_data(cluster.NANNY_PROCESS_NAME)
    assert spawn.get_preparation_data("SpawnProcess-1")["init_main_from_path"].endswith("page.py")


@pytest.mark.slow
def test_a_worker_killed_mid_study_is_restarted_without_main_and_the_study_finishes(tmp_path, monkeypatch):
    df = make_classification_frame(3000)
    tune = TuneConfig(
        model="random_forest",
        method="random",
        space=(Dimension("n_estimators", "int", 50, 150), Dimension("max_depth", "int", 3, 12)),
        max_trials=8,
    )
    config = TrainConfig(cv_folds=3)
    with use_cluster(ClusterChoice()):
        here = run_study(df, CLS, FeatureConfig(), config, tune)
    _page_as_main(tmp_path, monkeypatch)
    cluster.close_clusters()
    try:
        client = cluster.get_client(LOCAL2)
        first = client.run(os.getpid)  # {worker address: process id}
        done: dict = {}

        def study() -> None:
            with use_cluster(LOCAL2):
                done["there"] = run_study(df, CLS, FeatureConfig(), config, tune)

        thread = threading.Thread(target=study)
        thread.start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(client.processing().values()):
            time.sleep(0.05)  # the study's tasks are running on the workers
        victim = next(iter(first.values()))
        os.kill(victim, signal.SIGKILL)
        thread.join(timeout=600)
        assert not thread.is_alive() and "there" in done
        there = done["there"]
        assert [(t.params, t.cv_scores) for t in there.trials] == [(t.params, t.cv_scores) for t in here.trials]
        # The nanny restarted the killed worker, and the new process did not run the page (it would exit).
        client.wait_for_workers(2, timeout=120)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(client.run(os.getpid)) < 2:
            time.sleep(0.2)
        again = client.run(os.getpid)
        assert len(again) == 2 and victim not in again.values()
    finally:
        cluster.close_clusters()
