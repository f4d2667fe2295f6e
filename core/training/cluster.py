"""The leaderboard and tuning as tasks on a Dask cluster (``dask.distributed``): the same functions the
trainer runs on this machine (``trainer.score_fold``, ``trainer.fit_final``), sent to worker processes.

The prepared data (folds already preprocessed, the training and holdout rows) is scattered once to every
worker (``ClusterRun``); then every fold of every model family, and every model's refit on all training
rows, is one task, and a tuning trial is one task per fold. Each fit is seeded and single-threaded, as on
this machine, so the scores are the same floats wherever they ran; what comes back is put together by the
same code (``trainer.model_result``).

Clusters are kept per process (``get_client``): a local cluster (``LocalCluster``, N worker processes
with one thread each) is started on first use and reused by every training after it; a remote scheduler
is connected to with a timeout, so an address that does not answer is one clear ``ClusterError`` in a
few seconds, never a hang. ``close_clusters`` (also run at exit) stops the workers this process started.
Workers of a remote cluster need the studio installed (``pip install -e .`` in their environment): the
tasks are this module's functions.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from multiprocessing import spawn
from typing import Any

from distributed import Client, Future, LocalCluster, as_completed, wait

from core.i18n import _, current_language, use_language
from core.training import trainer
from core.training.catalog import ModelSpec, get_model_spec
from core.training.engine import LOCAL_CLUSTER, ClusterChoice
from core.training.results import ModelResult
from core.workspace.errors import StudioError

log = logging.getLogger(__name__)
# The scheduler of a local cluster runs in this process: its chatter ("event loop unresponsive", workers
# joining) would reach the CLI's stderr, which carries only the one error line. Warnings still pass.
logging.getLogger("distributed").setLevel(logging.WARNING)

CONNECT_SECONDS = 5  # an address that does not answer: the error comes after this long
WORKERS_SECONDS = 60  # a scheduler reached: how long to wait for its first worker (a local cluster's start)
SCATTER_SECONDS = 300  # sending the prepared data to every worker
CLOSE_SECONDS = 10

# (model key, params, name shown) of each model ``ClusterRun.evaluate_models`` trains.
ModelJob = tuple[ModelSpec, dict[str, Any] | None, str]


class ClusterError(StudioError):
    """The cluster could not be reached or started, or lost its workers."""


_lock = threading.Lock()
_held: dict[tuple[str, str, int], tuple[LocalCluster | None, Client]] = {}


def get_client(choice: ClusterChoice) -> Client:
    """A connected client for ``choice`` (started or connected on first use, then reused by this process)."""
    key = (choice.mode, choice.address, choice.n_workers)
    with _lock:
        held = _held.pop(key, None)
        if held is not None:
            if held[1].status == "running":
                _held[key] = held
                return held[1]
            _close(held)
        held = _start(choice)
        _held[key] = held
        return held[1]


#: The name distributed gives every worker process a nanny starts — the first start and every restart
#: (``distributed.nanny.WorkerProcess.start`` → ``AsyncProcess(name=...)``).
NANNY_PROCESS_NAME = "Dask Worker process (from Nanny)"


def _worker_preparation(original: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    """``multiprocessing.spawn.get_preparation_data`` without ``__main__`` for dask's worker processes.

    ``spawn`` first re-runs the parent's ``__main__`` file in each child. Under Streamlit (and AppTest)
    ``__main__`` is a page script, so every worker ran a page and died ("Nanny failed to start"). The tasks
    name their functions by module, so a worker needs no ``__main__``. A nanny prepares a worker process
    in its own thread, when it first starts it and again whenever it restarts one (a worker killed, out of
    memory): ``popen_spawn_posix`` calls ``get_preparation_data(process name)`` each time. So the hook is
    installed once and keyed on the process's name: every other child this process spawns is untouched."""

    def preparation(name: str) -> dict[str, Any]:
        data = original(name)
        if name == NANNY_PROCESS_NAME:
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data

    preparation.studio_worker_hook = True  # type: ignore[attr-defined]
    return preparation


def _install_worker_preparation() -> None:
    if not getattr(spawn.get_preparation_data, "studio_worker_hook", False):
        spawn.get_preparation_data = _worker_preparation(spawn.get_preparation_data)  # type: ignore[assignment]


def _start(choice: ClusterChoice) -> tuple[LocalCluster | None, Client]:
    cluster: LocalCluster | None = None
    client: Client | None = None
    try:
        if choice.mode == LOCAL_CLUSTER:
            _install_worker_preparation()
            cluster = LocalCluster(
                n_workers=choice.n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = Client(cluster, timeout=CONNECT_SECONDS)
        else:
            client = Client(choice.address, timeout=CONNECT_SECONDS)
        client.wait_for_workers(1, timeout=WORKERS_SECONDS)
    except Exception as exc:  # OSError, TimeoutError, CommClosedError...: all mean "not reachable"
        answered = client is not None and client.status == "running"  # connected, but no worker came
        _close((cluster, client))
        log.info("cluster %s not reachable: %s", choice.address or choice.mode, exc)
        if answered and choice.mode != LOCAL_CLUSTER:
            raise ClusterError(
                _(
                    "The scheduler at {address} answered but has no worker after {seconds} s; start workers "
                    "(dask worker {address}) or train on this machine."
                ).format(address=choice.address, seconds=WORKERS_SECONDS)
            ) from None
        if choice.mode == LOCAL_CLUSTER:
            raise ClusterError(
                _("The local cluster could not start ({error}); train on this machine instead.").format(error=exc)
            ) from None
        raise ClusterError(
            _(
                "No Dask scheduler answered at {address} within {seconds} s; check the address and that the "
                "scheduler is running, or train on this machine."
            ).format(address=choice.address, seconds=CONNECT_SECONDS)
        ) from None
    return cluster, client


def _close(held: tuple[LocalCluster | None, Client | None]) -> None:
    cluster, client = held
    if client is not None:
        with contextlib.suppress(Exception):
            client.close(timeout=CLOSE_SECONDS)
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close(timeout=CLOSE_SECONDS)


def close_clusters() -> None:
    """Disconnect from every cluster and stop the local clusters' worker processes (also run at exit)."""
    with _lock:
        held = list(_held.values())
        _held.clear()
    for pair in held:
        _close(pair)


def running_clusters() -> list[str]:
    """The clusters this process holds, in words (the Train page shows them)."""
    with _lock:
        return [
            ClusterChoice(mode, address, n_workers).describe()
            for (mode, address, n_workers), (_unused, client) in _held.items()
            if client.status == "running"
        ]


atexit.register(close_clusters)


# ---------------------------------------------------------------- on the workers


def _score_fold(
    data: trainer.PreparedData, key: str, params: dict[str, Any] | None, index: int, language: str
) -> float:
    with use_language(language), trainer.quiet_single_threaded():
        return trainer.score_fold(get_model_spec(data.problem.task, key), data, params, data.folds[index])


def _fit_final(data: trainer.PreparedData, key: str, params: dict[str, Any] | None, language: str) -> trainer.FinalFit:
    with use_language(language):
        return trainer.fit_final(get_model_spec(data.problem.task, key), data, params)


# ---------------------------------------------------------------- in the studio


class ClusterRun:
    """One training's data on the cluster (scattered once to every worker) and its tasks."""

    def __init__(self, client: Client, data: trainer.PreparedData, where: str = "") -> None:
        self.client, self.prepared, self.where = client, data, where or _("the cluster")
        self.language = current_language()
        # The workers need the folds, the training rows and the holdout, not every row a sample came from.
        slim = replace(data, all_train=None, warnings=[])
        try:
            self.data: Future = client.scatter(slim, broadcast=True, hash=False, timeout=SCATTER_SECONDS)
        except Exception as exc:
            raise ClusterError(
                _("The data could not be sent to the cluster's workers ({error}); train on this machine.").format(
                    error=exc
                )
            ) from None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.data.release()

    def worker_threads(self) -> int:
        """How many tasks the cluster runs at once (its workers' threads)."""
        try:
            return max(1, sum(self.client.nthreads().values()))
        except Exception:  # a scheduler gone quiet: the tasks will say so
            return 1

    def _folds(self, spec: ModelSpec, params: dict[str, Any] | None) -> list[Future]:
        return [
            self.client.submit(_score_fold, self.data, spec.key, params, i, self.language, pure=False)
            for i in range(len(self.prepared.folds))
        ]

    def cross_validate_many(
        self, spec: ModelSpec, params_list: list[dict[str, Any] | None]
    ) -> list[tuple[list[float] | BaseException, float]]:
        """Each settings' fold scores (or the error of its first failing fold), all folds of all settings
        running at once; with the seconds from the start until that settings' last fold ended."""
        started = time.perf_counter()
        batches = [self._folds(spec, params) for params in params_list]
        outcomes: list[tuple[list[float] | BaseException, float]] = []
        for futures in batches:
            wait(futures)
            seconds = time.perf_counter() - started
            try:
                outcomes.append(([float(f.result()) for f in futures], seconds))
            except Exception as exc:  # a bad corner of the space: the trial records the error
                outcomes.append((exc, seconds))
        return outcomes

    def evaluate_models(self, jobs: list[ModelJob], tracker: trainer._Progress | None = None) -> list[ModelResult]:
        """``trainer.evaluate_model`` for each job, every fold and every refit a task, all at once."""
        folds = [self._folds(spec, params) for spec, params, _name in jobs]
        finals = [
            self.client.submit(_fit_final, self.data, spec.key, params, self.language, pure=False)
            for spec, params, _name in jobs
        ]
        everything = [f for futures in folds for f in futures] + finals
        for done, _future in enumerate(as_completed(everything), start=1):
            if tracker is not None:
                tracker.step(
                    _("Training on {where}: {done}/{total} tasks done").format(
                        where=self.where, done=done, total=len(everything)
                    )
                )
        results = []
        for (spec, _params, name), fold_futures, final in zip(jobs, folds, finals, strict=True):
            try:
                cv_scores = [float(f.result()) for f in fold_futures]
                trainer.check_cv_scores(cv_scores, self.prepared.problem)
                fit = final.result()
            except Exception as exc:  # one model failing must not sink the leaderboard
                results.append(trainer.failed_result(spec, exc, name))
                continue
            results.append(trainer.model_result(spec, name, self.prepared, cv_scores, fit))
        return results
