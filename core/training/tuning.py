"""Hyper-parameter tuning of one model family: grid search, random search or Bayesian optimisation
(Optuna's TPE sampler), within a budget of trials and/or seconds, stoppable between trials.

Every trial is cross-validated on the same folds as the leaderboard (``core.training.PreparedData``),
so trial scores, the family's default score and the baseline are comparable. The best trial is
chosen by its CV score only; it is then refit on all training rows and scored once on the holdout.
The study returns a ``TrainResult`` (baseline, the family at its defaults, the tuned family) so the
gate, the registry and the explanations treat a tuned model like any other.

Search spaces are data (``Dimension``), one table per family, shown and editable on the Train page.
Numeric dimensions have a scale: ``int`` and ``float`` are searched evenly, ``log`` on a
logarithmic scale (for a regularisation strength between 0.001 and 100, each factor of ten gets the
same share of the trials). The study's figures and captions are in ``core.training.charts``.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import optuna
import pandas as pd
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from core.features.preprocessing import FeatureConfig
from core.formatting import format_as
from core.i18n import N_, _, ngettext
from core.problem.definition import (
    ProblemConfig,
    format_metric_value,
    get_metric_label,
    is_higher_better,
)
from core.training.catalog import BASELINE_KEY, get_model_spec
from core.training.config import TrainConfig
from core.training.engine import cluster_run
from core.training.results import ModelResult, TrainResult
from core.training.trainer import cross_validate, evaluate_model, prepare_training
from core.workspace.errors import ConfigError
from core.workspace.jsonable import to_plain
from core.workspace.progress import Progress

# Translate where shown: _(METHODS[code]).
METHODS = {
    "grid": N_("Grid search"),
    "random": N_("Random search"),
    "bayes": N_("Bayesian optimisation (Optuna TPE)"),
}
KINDS = ("int", "float", "log", "choice")
MAX_TRIALS = 500
MAX_GRID_POINTS = 10
MAX_BATCH = 16  # random and grid trials evaluated at once on a cluster
optuna.logging.set_verbosity(optuna.logging.WARNING)

if TYPE_CHECKING:
    from core.training.cluster import ClusterRun


@dataclass(frozen=True)
class Dimension:
    """One hyper-parameter to search: ``name`` is the estimator's parameter (``estimator__C`` inside a
    wrapper); ``kind`` int | float | log (a float searched on a log scale) | choice."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] = ()
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["choices"] = list(self.choices)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Dimension:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["choices"] = tuple(values.get("choices") or ())
        return cls(**values)

    def validate(self) -> None:
        name = _(self.label) if self.label else self.name
        if self.kind not in KINDS:
            raise ConfigError(
                _("The search range of '{name}' has the scale '{kind}'; use one of {kinds}.").format(
                    name=name, kind=self.kind, kinds=", ".join(KINDS)
                )
            )
        if self.kind == "choice":
            if not self.choices:
                raise ConfigError(
                    _("The search range of '{name}' lists no choices; give at least one value.").format(name=name)
                )
            return
        if self.low is None or self.high is None or not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ConfigError(
                _("The search range of '{name}' needs a lowest and a highest value; fill both in.").format(name=name)
            )
        if self.low > self.high:
            raise ConfigError(
                _("The search range of '{name}' goes from {low} down to {high}; put the lower value first.").format(
                    name=name, low=f"{self.low:g}", high=f"{self.high:g}"
                )
            )
        if self.kind == "log" and self.low <= 0:
            raise ConfigError(
                _(
                    "The search range of '{name}' is on a log scale, so it must stay above 0 (got {low}); "
                    "use a small positive value such as 0.0001."
                ).format(name=name, low=f"{self.low:g}")
            )
        if self.kind == "int" and (self.low != int(self.low) or self.high != int(self.high)):
            raise ConfigError(
                _("The search range of '{name}' is a whole number; give whole numbers as its limits.").format(name=name)
            )

    def _bounds(self) -> tuple[float, float]:
        """(low, high) of a numeric dimension; ``validate()`` refuses one without both."""
        if self.low is None or self.high is None:  # the TypeError int(None) / float(None) would raise
            raise TypeError(f"The dimension '{self.name}' has no lowest or highest value.")
        return self.low, self.high

    def distribution(self) -> Any:
        if self.kind == "choice":
            return CategoricalDistribution(list(self.choices))
        low, high = self._bounds()
        if self.kind == "int":
            return IntDistribution(int(low), int(high))
        if low == high:
            return FloatDistribution(float(low), float(high))
        return FloatDistribution(float(low), float(high), log=self.kind == "log")

    def grid(self, points: int) -> list[Any]:
        """``points`` evenly spread values (on a log scale for ``log``); every choice for ``choice``."""
        if self.kind == "choice":
            return list(self.choices)
        low, high = self._bounds()
        if self.kind == "int":
            return sorted({int(round(v)) for v in np.linspace(low, high, points)})
        values = (np.geomspace if self.kind == "log" else np.linspace)(low, high, points)
        # Rounded for readable settings, but never outside the range the user set.
        return sorted({min(max(float(f"{v:.4g}"), low), high) for v in values})


def _dim(
    name: str, kind: str, low: float | None = None, high: float | None = None, choices: tuple = (), label: str = ""
) -> Dimension:
    return Dimension(name, kind, low, high, choices, label or name)


# Ranges a practitioner would start from. Forest depth stays bounded: tree SHAP on deep forests is slow.
_SPACES: dict[str, tuple[Dimension, ...]] = {
    "logistic": (_dim("C", "log", 0.001, 100, label=N_("C (less regularisation when higher)")),),
    "ridge": (_dim("alpha", "log", 0.01, 1000, label=N_("alpha (more regularisation when higher)")),),
    "knn": (
        _dim("n_neighbors", "int", 3, 50, label=N_("neighbours")),
        _dim("weights", "choice", choices=("uniform", "distance"), label=N_("vote weights")),
    ),
    "naive_bayes": (_dim("var_smoothing", "log", 1e-12, 1e-3, label=N_("variance smoothing")),),
    "decision_tree": (
        _dim("max_depth", "int", 2, 16, label=N_("max depth")),
        _dim("min_samples_leaf", "int", 1, 50, label=N_("min rows per leaf")),
    ),
    "random_forest": (
        _dim("n_estimators", "int", 50, 300, label=N_("trees")),
        _dim("max_depth", "int", 3, 14, label=N_("max depth")),
        _dim("min_samples_leaf", "int", 1, 20, label=N_("min rows per leaf")),
        _dim("max_features", "float", 0.2, 1.0, label=N_("share of features per split")),
    ),
    "hist_gb": (
        _dim("learning_rate", "log", 0.01, 0.3, label=N_("learning rate")),
        _dim("max_iter", "int", 50, 400, label=N_("boosting rounds")),
        _dim("max_leaf_nodes", "int", 8, 64, label=N_("leaves per tree")),
        _dim("min_samples_leaf", "int", 5, 100, label=N_("min rows per leaf")),
        _dim("l2_regularization", "log", 1e-4, 10, label=N_("L2 regularisation")),
    ),
}
_SPACES["extra_trees"] = _SPACES["random_forest"]


def default_search_space(task: str, model: str) -> tuple[Dimension, ...]:
    """The starting search space of a family; the SVM's C sits inside its wrapper."""
    spec = get_model_spec(task, model)
    if spec.key == "svm":
        inner = "estimator__C" if task in ("binary", "multiclass") else "regressor__C"
        return (_dim(inner, "log", 0.001, 100, label=N_("C (less regularisation when higher)")),)
    if spec.key not in _SPACES:
        raise ConfigError(_("{family} has nothing to tune; choose another model family.").format(family=_(spec.name)))
    return _SPACES[spec.key]


def tunable_models(task: str) -> list[str]:
    from core.training.catalog import get_catalog

    return [s.key for s in get_catalog(task) if s.key != BASELINE_KEY]


@dataclass(frozen=True)
class TuneConfig:
    model: str
    method: str = "bayes"  # grid | random | bayes
    space: tuple[Dimension, ...] = ()  # empty = default_search_space
    max_trials: int = 20
    max_seconds: float | None = None  # stop starting new trials after this long
    grid_points: int = 3  # values per numeric dimension in a grid search

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "method": self.method,
            "space": [d.to_dict() for d in self.space],
            "max_trials": self.max_trials,
            "max_seconds": self.max_seconds,
            "grid_points": self.grid_points,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TuneConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["space"] = tuple(Dimension.from_dict(d) for d in values.get("space") or ())
        return cls(**values)

    def resolved(self, task: str) -> TuneConfig:
        from dataclasses import replace

        return self if self.space else replace(self, space=default_search_space(task, self.model))


def validate_tune_config(config: TuneConfig, task: str) -> None:
    spec = get_model_spec(task, config.model)
    if spec.key == BASELINE_KEY:
        raise ConfigError(_("The baseline has nothing to tune; choose a model family."))
    if config.method not in METHODS:
        raise ConfigError(
            _("The search method must be one of {methods}; got '{method}' instead.").format(
                methods=", ".join(METHODS), method=config.method
            )
        )
    if not isinstance(config.max_trials, (int, np.integer)) or not 1 <= config.max_trials <= MAX_TRIALS:
        raise ConfigError(
            _("The budget must be between 1 and {most} trials; got {value}.").format(
                most=MAX_TRIALS, value=repr(config.max_trials)
            )
        )
    if config.max_seconds is not None and not config.max_seconds > 0:
        raise ConfigError(
            _("The time budget must be a positive number of seconds; got {value}.").format(
                value=repr(config.max_seconds)
            )
        )
    if config.method == "grid" and not 2 <= config.grid_points <= MAX_GRID_POINTS:
        raise ConfigError(
            _("A grid needs 2 to {most} values per setting; got {value}.").format(
                most=MAX_GRID_POINTS, value=config.grid_points
            )
        )
    family = _(spec.name)
    if not config.space:
        raise ConfigError(
            _("The search space of {family} is empty; add at least one setting to search.").format(family=family)
        )
    names = [d.name for d in config.space]
    if len(set(names)) != len(names):
        raise ConfigError(_("A setting appears twice in the search space; keep one row per setting."))
    model = spec.make(task, 0)
    unknown = [n for n in names if n not in model.get_params()]
    if unknown:
        raise ConfigError(
            _("{family} has no setting {names}; check the spelling (wrapped estimators use 'estimator__C').").format(
                family=family, names=", ".join(repr(n) for n in unknown)
            )
        )
    for dim in config.space:
        dim.validate()


@dataclass
class Trial:
    number: int  # 0-based, in the order evaluated
    params: dict[str, Any]
    cv_scores: list[float]
    cv_score: float
    seconds: float
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "params": self.params,
            "cv_scores": self.cv_scores,
            "cv_score": None if math.isnan(self.cv_score) else self.cv_score,
            "seconds": self.seconds,
            "error": self.error,
        }


@dataclass
class StudyResult:
    config: TuneConfig
    trials: list[Trial]
    best: Trial | None
    result: TrainResult  # baseline, the family at its defaults, the family with the best trial's settings
    default_cv_score: float
    stopped: str = ""  # why the study ended before its trial budget: "" | "time" | "stopped" | "grid"
    seconds: float = 0.0
    grid_size: int | None = None

    @property
    def tuned(self) -> ModelResult | None:
        return next((r for r in self.result.results if r.name.endswith("(tuned)")), None)


class _Searcher:
    """The next settings to try: a shuffled grid, or Optuna's random / TPE sampler (ask and tell)."""

    def __init__(self, config: TuneConfig, direction: Literal["maximize", "minimize"], seed: int) -> None:
        self.config = config
        self.distributions = {d.name: d.distribution() for d in config.space}
        self.study: optuna.Study | None = None
        self.grid: list[dict[str, Any]] | None = None
        if config.method == "grid":
            axes = [d.grid(config.grid_points) for d in config.space]
            combos = [dict(zip(self.distributions, values)) for values in itertools.product(*axes)]
            # Shuffled with the seed: a budget smaller than the grid samples it evenly, not one corner.
            order = np.random.default_rng(seed).permutation(len(combos))
            self.grid = [combos[i] for i in order]
        else:
            sampler = (
                optuna.samplers.RandomSampler(seed=seed)
                if config.method == "random"
                else optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, max(3, config.max_trials // 4)))
            )
            self.study = optuna.create_study(direction=direction, sampler=sampler)
        self._pending: list[Any] = []  # asked, not yet told, oldest first

    @property
    def exhausted(self) -> int | None:
        return len(self.grid) if self.grid is not None else None

    def ask(self, number: int) -> dict[str, Any] | None:
        if self.grid is not None:
            return dict(self.grid[number]) if number < len(self.grid) else None
        assert self.study is not None  # __init__ makes a study for every method but the grid
        self._pending.append(self.study.ask(self.distributions))
        return {k: to_plain(v) for k, v in self._pending[-1].params.items()}

    def tell(self, score: float) -> None:
        """The score of the oldest settings asked and not yet told."""
        if self.study is not None:
            pending = self._pending.pop(0)
            if math.isnan(score):
                self.study.tell(pending, state=optuna.trial.TrialState.FAIL)
            else:
                self.study.tell(pending, score)


def run_study(
    df: pd.DataFrame,
    problem: ProblemConfig,
    features: FeatureConfig,
    train_config: TrainConfig,
    config: TuneConfig,
    *,
    test_df: pd.DataFrame | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_trial: Callable[[Trial], None] | None = None,
) -> StudyResult:
    """Search ``config.model``'s settings; ``on_trial`` sees each trial as it ends (to save it, to draw
    the best-so-far chart); ``should_stop()`` ends the study after the running trial, keeping the best."""
    config = config.resolved(problem.task)
    validate_tune_config(config, problem.task)
    progress = progress or (lambda fraction, message: None)
    spec = get_model_spec(problem.task, config.model)
    started = time.perf_counter()
    progress(0.0, "Preparing the folds")
    data, _unused = prepare_training(df, problem, features, train_config, test_df=test_df)
    higher = is_higher_better(data.problem.metric)
    searcher = _Searcher(config, "maximize" if higher else "minimize", train_config.seed)
    budget = min(config.max_trials, searcher.exhausted or config.max_trials)
    with cluster_run(data) as remote:  # None: this machine
        default_scores = _cross_validate(spec, data, remote)
        # The time budget is for the trials: preparing the folds and scoring the defaults do not use it up.
        started_trials = time.perf_counter()
        trials: list[Trial] = []
        stopped = ""
        size = batch_size(config.method, remote)
        while len(trials) < budget:
            if should_stop():
                stopped = "stopped"
                break
            if config.max_seconds is not None and time.perf_counter() - started_trials >= config.max_seconds:
                stopped = "time"
                break
            batch = []
            for number in range(len(trials), min(len(trials) + size, budget)):
                params = searcher.ask(number)
                if params is None:
                    stopped = "grid"
                    break
                batch.append(params)
            for trial in _run_trials(spec, data, batch, len(trials), remote):
                searcher.tell(trial.cv_score)
                trials.append(trial)
                if on_trial is not None:
                    on_trial(trial)
                best = _best_trial(trials, higher)
                shown = (
                    _("best so far {score}").format(score=format_metric_value(data.problem.metric, best.cv_score))
                    if best
                    else _("no score yet")
                )
                progress(
                    0.05 + 0.85 * len(trials) / budget,
                    _("Trial {number}/{budget} done; {best}").format(number=len(trials), budget=budget, best=shown),
                )
            if stopped:
                break

        if not stopped and searcher.exhausted is not None and len(trials) == searcher.exhausted:
            stopped = "grid"
        best = _best_trial(trials, higher)
        progress(0.92, "Refitting the best settings on all training rows")
        jobs: list[tuple[Any, dict[str, Any] | None, str]] = [
            (get_model_spec(problem.task, BASELINE_KEY), None, get_model_spec(problem.task, BASELINE_KEY).name),
            (spec, None, f"{spec.name} (defaults)"),
        ]
        if best is not None:
            jobs.append((spec, best.params, f"{spec.name} (tuned)"))
        if remote is None:
            results = [evaluate_model(job_spec, data, params=params, name=name) for job_spec, params, name in jobs]
        else:
            results = remote.evaluate_models(jobs)
    result = data.to_result(results)
    progress(1.0, ngettext("Tuning done: {n} trial", "Tuning done: {n} trials", len(trials)).format(n=len(trials)))
    return StudyResult(
        config=config,
        trials=trials,
        best=best,
        result=result,
        default_cv_score=float(np.nanmean(default_scores)),
        stopped=stopped,
        seconds=time.perf_counter() - started,
        grid_size=searcher.exhausted,
    )


def batch_size(method: str, remote: ClusterRun | None) -> int:
    """Trials evaluated at once. One on this machine (its folds already use both cores), and for TPE
    anywhere: TPE's next settings depend on every score before them, so asking for several before their
    scores are told would change the study. Random and grid settings do not depend on the scores, so on a
    cluster a batch fills its workers and the study stays the same trial for trial."""
    if remote is None or method == "bayes":
        return 1
    # Enough trials that every worker stays busy to the batch's end (2 trials of 5 folds on 2 workers).
    return min(MAX_BATCH, max(2, math.ceil(2 * remote.worker_threads() / max(1, len(remote.prepared.folds)))))


def _cross_validate(spec: Any, data: Any, remote: ClusterRun | None) -> list[float]:
    if remote is None:
        return cross_validate(spec, data)
    scores, _seconds = remote.cross_validate_many(spec, [None])[0]
    if isinstance(scores, BaseException):
        raise scores
    return scores


def _run_trials(
    spec: Any, data: Any, batch: list[dict[str, Any]], first: int, remote: ClusterRun | None
) -> list[Trial]:
    """The trials of ``batch`` (numbered from ``first``): on this machine one after the other, on the
    cluster all their folds at once; the study stays in this process."""
    if remote is None:
        return [_run_trial(spec, data, params, first + i) for i, params in enumerate(batch)]
    outcomes = remote.cross_validate_many(spec, list(batch))
    return [
        _make_trial(first + i, params, outcome, seconds)
        for i, (params, (outcome, seconds)) in enumerate(zip(batch, outcomes, strict=True))
    ]


def _run_trial(spec: Any, data: Any, params: dict[str, Any], number: int) -> Trial:
    started = time.perf_counter()
    outcome: list[float] | BaseException
    try:
        outcome = cross_validate(spec, data, params)
    except Exception as exc:  # a bad corner of the space must not end the study
        outcome = exc
    return _make_trial(number, params, outcome, time.perf_counter() - started)


def _make_trial(number: int, params: dict[str, Any], outcome: list[float] | BaseException, seconds: float) -> Trial:
    if isinstance(outcome, BaseException):
        scores, error = [], f"{type(outcome).__name__}: {outcome}"
    else:
        scores, error = outcome, None
    valid = [s for s in scores if not math.isnan(s)]
    return Trial(
        number=number,
        params=params,
        cv_scores=[float(s) for s in scores],
        cv_score=float(np.mean(valid)) if valid else float("nan"),
        seconds=seconds,
        error=error,
    )


def _best_trial(trials: list[Trial], higher_is_better: bool) -> Trial | None:
    scored = [t for t in trials if not math.isnan(t.cv_score)]
    if not scored:
        return None
    # Ties go to the earliest trial, so the winner does not depend on float noise in later ones.
    if higher_is_better:
        return max(scored, key=lambda t: (t.cv_score, -t.number))
    return min(scored, key=lambda t: (t.cv_score, t.number))


# ---------------------------------------------------------------- tables, charts, sentences


def get_trials_df(trials: list[Trial] | list[dict[str, Any]], metric: str) -> pd.DataFrame:
    """One row per trial: number, each setting, cv_score, best_so_far, seconds, error."""
    records = [t.to_dict() if isinstance(t, Trial) else t for t in trials]
    rows = []
    for t in records:
        rows.append(
            {
                "trial": t["number"] + 1,
                **t["params"],
                "cv_score": t["cv_score"],
                "seconds": t["seconds"],
                "error": t.get("error"),
            }
        )
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=["trial", "cv_score", "best_so_far", "seconds", "error"])
    scores = pd.to_numeric(df["cv_score"], errors="coerce")
    # A failed trial (no score) keeps the best so far of the trials before it.
    df["best_so_far"] = (scores.cummax() if is_higher_better(metric) else scores.cummin()).ffill()
    return df


def describe_study(study: StudyResult, metric: str) -> str:
    """One sentence: how the study ended and what tuning gained."""
    label = get_metric_label(metric)
    ended = _(_ENDED[study.stopped])
    if not study.trials:
        return _("No trial ran because {why}; give the study more time or trials.").format(why=ended)
    if study.best is None:
        return ngettext(
            "None of the {n} trial could be scored; widen or fix the search space.",
            "None of the {n} trials could be scored; widen or fix the search space.",
            len(study.trials),
        ).format(n=len(study.trials))
    verdict = describe_gain(metric, study.best.cv_score, study.default_cv_score)
    return ngettext(
        "{method} ran {n} trial in {seconds} s and ended because {why}; the best settings reach a "
        "CV {metric} of {score}, {verdict}.",
        "{method} ran {n} trials in {seconds} s and ended because {why}; the best settings reach a "
        "CV {metric} of {score}, {verdict}.",
        len(study.trials),
    ).format(
        method=_(METHODS[study.config.method]),
        n=len(study.trials),
        seconds=format_as(study.seconds, ".0f"),
        why=ended,
        metric=label,
        score=format_metric_value(metric, study.best.cv_score),
        verdict=verdict,
    )


# Why a study ended, by StudyResult.stopped.
_ENDED = {
    "time": N_("it ran out of time"),
    "stopped": N_("you stopped it"),
    "grid": N_("the grid was complete"),
    "": N_("the trial budget was spent"),
}


def describe_gain(metric: str, best: float, default: float) -> str:
    gain = best - default if is_higher_better(metric) else default - best
    if abs(gain) <= 0.001 * max(abs(default), 1e-12):
        return _("about the same as the default settings ({score})").format(score=format_metric_value(metric, default))
    shown = format_as(abs(gain), ".4f") if abs(gain) < 0.01 else format_metric_value(metric, abs(gain))
    template = (
        _("{gain} better than the default settings ({score})")
        if gain > 0
        else _("{gain} worse than the default settings ({score})")
    )
    return template.format(gain=shown, score=format_metric_value(metric, default))
