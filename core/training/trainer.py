"""Train and compare models: hold out a test set, cross-validate each catalog model on the rest,
refit it on the whole training split, and score it once on the holdout (``train_models``; tuning
starts from the same ``prepare_training`` and scores trials with ``evaluate_model``).

Every fitted model is ``Pipeline([("preprocess", ColumnTransformer), ("model", estimator)])``
taking the cleaned table (minus the target). Preprocessing is fitted once per fold and shared by
all models of that fold (same result as fitting it inside each model's pipeline, several times faster).

The pieces it puts together live beside it: the session's settings (``config``), how rows are split
(``splits``), the warnings about leaky splits, rare classes and few rows (``caveats``), the sample a
large table competes on (``sampling``), the metrics (``metrics``) and what it returns (``results``).
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from core.data.dates import parse_datetimes
from core.features.preprocessing import (
    FeatureConfig,
    build_preprocessor,
    get_feature_kinds,
)
from core.formatting import format_as, format_count
from core.i18n import _, ngettext
from core.problem.definition import (
    ProblemConfig,
    encode_target,
    format_metric_value,
    is_higher_better,
    resolve_positive_class,
    to_label_strings,
    validate_problem,
)
from core.training.catalog import (
    BASELINE_KEY,
    N_JOBS,
    ModelSpec,
    get_catalog,
    get_model_spec,
)
from core.training.caveats import describe_few_rows, describe_imbalance
from core.training.config import TrainConfig, validate_train_config
from core.training.engine import cluster_run
from core.training.metrics import compute_metric, compute_metrics, predict_scores
from core.training.results import ModelResult, TrainResult
from core.training.sampling import describe_sample, sample_rows
from core.training.splits import (
    HoldoutSplit,
    plan_cross_validation,
    split_holdout,
    with_group_column,
)
from core.workspace.errors import ConfigError, DataError
from core.workspace.progress import Progress

_REFIT_MARGIN = 1.5


@dataclass
class _Fold:
    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray


@dataclass
class _Progress:
    callback: Progress | None
    total: int
    done: int = 0

    def step(self, message: str, steps: int = 1) -> None:
        if self.callback is not None:
            self.callback(min(self.done / self.total, 0.99), message)
        self.done += steps

    def finish(self, message: str) -> None:
        if self.callback is not None:
            self.callback(1.0, message)


@dataclass
class PreparedData:
    """Everything the models of one experiment share: the split, the folds (preprocessing fitted
    once per fold) and the preprocessed training and test rows. Training and tuning both start here."""

    problem: ProblemConfig  # positive class and group column resolved
    features: FeatureConfig
    config: TrainConfig
    validation: str
    holdout: HoldoutSplit
    folds: list[_Fold]
    preprocessor: ColumnTransformer  # fitted on all training rows
    Xt_train: np.ndarray
    y_train: np.ndarray
    X_test: pd.DataFrame
    y_test: np.ndarray
    classes: list
    warnings: list[str]
    all_train: pd.DataFrame | None = None  # every training row (target included) when the models learn from a sample

    def to_result(self, results: list[ModelResult], tracker: _Progress | None = None) -> TrainResult:
        """The leaderboard, best first; after a sample, with the best model refit on all training rows
        when that fits ``config.refit_seconds`` (its CV score stays the sample's, its holdout scores are the refit's)."""
        if not any(r.ok for r in results):
            raise DataError(_("No model could be trained. {error}").format(error=results[0].error))
        results = sorted(results, key=lambda r: _rank_key(r, self.problem.metric))
        notes = list(self.warnings)
        best = next((i for i, r in enumerate(results) if r.ok and not r.is_baseline), None)
        if self.all_train is not None and best is not None:
            results[best], note = refit_on_all_training_rows(self, results[best], tracker)
            notes.append(note)
        return TrainResult(
            problem=self.problem,
            features=self.features,
            config=self.config,
            validation=self.validation,
            results=results,
            train_index=self.holdout.train_index,
            test_index=self.holdout.test_index,
            y_test=self.y_test,
            classes=self.classes,
            holdout=self.holdout.strategy,
            baseline_prediction=_describe_baseline(self.problem, self.y_train, self.classes),
            warnings=notes,
        )


def train_models(
    df: pd.DataFrame,
    problem: ProblemConfig,
    features: FeatureConfig,
    config: TrainConfig = TrainConfig(),
    *,
    test_df: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> TrainResult:
    """Cross-validate and holdout-test every chosen model (plus the baseline); never lets one
    failing model sink the leaderboard: its ``error`` is recorded instead.

    ``test_df`` given → it is the holdout (rows without a target dropped) and all of ``df`` trains.
    A non-unique index on ``df`` is replaced by 0..n-1 (the returned indices refer to that).
    """
    specs = _chosen_specs(problem, config)
    data, tracker = prepare_training(
        df, problem, features, config, test_df=test_df, progress=progress, n_models=len(specs)
    )
    with cluster_run(data) as remote:  # None: this machine
        if remote is None:
            results = [evaluate_model(spec, data, tracker) for spec in specs]
        else:
            results = remote.evaluate_models([(spec, None, spec.name) for spec in specs], tracker)
    result = data.to_result(results, tracker)
    n_ok = sum(r.ok for r in results)
    tracker.finish(ngettext("Trained {n} model", "Trained {n} models", n_ok).format(n=n_ok))
    return result


def prepare_training(
    df: pd.DataFrame,
    problem: ProblemConfig,
    features: FeatureConfig,
    config: TrainConfig,
    *,
    test_df: pd.DataFrame | None = None,
    progress: Progress | None = None,
    n_models: int = 1,
) -> tuple[PreparedData, _Progress]:
    """Split, plan the validation and preprocess every fold once; the tracker counts the steps of
    ``n_models`` models still to come (each: one step per fold plus the refit)."""
    validate_problem(df, problem)
    validate_train_config(config, problem)
    if not df.index.is_unique:
        df = df.reset_index(drop=True)
    problem = with_group_column(df, problem, config)
    known = df[df[problem.target].notna()]
    if problem.task == "binary":
        problem = replace(problem, positive_class=resolve_positive_class(known[problem.target], problem))

    if test_df is not None:
        train, test = known, _prepare_test_df(test_df, known, problem, features)
        holdout = HoldoutSplit(pd.Index(train.index), pd.Index(test.index), "provided-test-set")
    else:
        holdout = split_holdout(known, problem, config)
        train, test = known.loc[holdout.train_index], known.loc[holdout.test_index]
    # A large table: the models compete on samples (the holdout's rows stay unseen, so its scores stay
    # honest); the best one is refit on all training rows afterwards when that fits the budget.
    all_train, n_test_all = train, len(test)
    test = test.loc[sample_rows(test, config.max_test_rows, problem, config.seed)]
    train = train.loc[sample_rows(train, config.max_train_rows, problem, config.seed)]
    holdout = holdout._replace(train_index=pd.Index(train.index), test_index=pd.Index(test.index))
    if problem.time_column is not None:
        # Chronological rows (rows without a readable time first, as the oldest); the time splitter
        # does not need it, but the stored training rows read in time order.
        order = parse_datetimes(train[problem.time_column]).sort_values(kind="stable", na_position="first").index
        train = train.loc[order]
        holdout = holdout._replace(train_index=pd.Index(train.index))

    plan = plan_cross_validation(known, train, problem, config, holdout)
    notes = list(plan.warnings)
    imbalance = describe_imbalance(known[problem.target], problem, config.class_weight)
    if imbalance is not None:
        notes.append(imbalance)
    few_rows = describe_few_rows(len(train), len(test), problem)
    if few_rows is not None:
        notes.append(few_rows)
    sampled = describe_sample(len(train), len(all_train), len(test), n_test_all, problem)
    if sampled is not None:
        notes.append(sampled)
    y_train = encode_target(train[problem.target], problem)
    y_test = encode_target(test[problem.target], problem)
    X_train = train.drop(columns=[problem.target])
    X_test = test[X_train.columns.intersection(test.columns)]

    splits = _usable_splits(plan.splitter, X_train, y_train, problem, plan.name)
    tracker = _Progress(progress, total=(len(splits) + 1) * (1 + n_models))
    preprocessor = build_preprocessor(train, problem, features)
    folds, full_preprocessor, Xt_train, _unused = _prepare_folds(
        preprocessor, splits, X_train, y_train, X_test, tracker
    )
    data = PreparedData(
        problem=problem,
        features=features,
        config=config,
        validation=plan.name,
        holdout=holdout,
        folds=folds,
        preprocessor=full_preprocessor,
        Xt_train=Xt_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        classes=_get_classes(problem, known[problem.target]),
        warnings=notes,
        all_train=all_train if len(all_train) > len(train) else None,
    )
    return data, tracker


def _chosen_specs(problem: ProblemConfig, config: TrainConfig) -> list[ModelSpec]:
    if not config.models:
        return get_catalog(problem.task, default_only=True)
    keys = [BASELINE_KEY] + [k for k in dict.fromkeys(config.models) if k != BASELINE_KEY]
    return [get_model_spec(problem.task, key) for key in keys]


def _prepare_test_df(
    test_df: pd.DataFrame, train: pd.DataFrame, problem: ProblemConfig, features: FeatureConfig
) -> pd.DataFrame:
    if problem.target not in test_df.columns:
        raise DataError(
            _("The test table has no target column '{target}'; add it or use a random split.").format(
                target=problem.target
            )
        )
    kinds = get_feature_kinds(train, problem, features)
    used = kinds["numeric"] + kinds["categorical"] + kinds["datetime"]
    missing = [c for c in used if c not in test_df.columns]
    if missing:
        shown = ", ".join(f"'{c}'" for c in missing[:10])
        raise DataError(
            _(
                "The test table lacks the feature columns {shown}; give it the same columns as the training data."
            ).format(shown=shown)
        )
    test = test_df[test_df[problem.target].notna()]
    if test.empty:
        raise DataError(
            _("The test table has no row with a value for '{target}'; add labelled rows.").format(target=problem.target)
        )
    if not test.index.is_unique:
        test = test.reset_index(drop=True)
    if problem.task == "regression":
        if pd.to_numeric(test[problem.target], errors="coerce").isna().any():
            raise DataError(
                _("The test table's '{target}' has values that are not numbers; clean them first.").format(
                    target=problem.target
                )
            )
    elif problem.task == "binary":
        unseen = set(to_label_strings(test[problem.target]).dropna()) - set(
            to_label_strings(train[problem.target]).dropna()
        )
        if unseen:
            shown = ", ".join(f"'{c}'" for c in sorted(unseen)[:5])
            raise DataError(
                _(
                    "The test table's '{target}' has classes never seen in training ({shown}); make the labels match (same spelling and case)."
                ).format(target=problem.target, shown=shown)
            )
    return test


def _usable_splits(
    splitter: Any, X: pd.DataFrame, y: np.ndarray, problem: ProblemConfig, validation: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    """All folds, minus (for classification) those whose training part has a single class."""
    splits = list(splitter.split(X, y if problem.family == "classification" else None))
    if problem.family == "classification":
        splits = [(tr, va) for tr, va in splits if len(np.unique(y[tr])) >= 2]
    if not splits:
        hint = _("use fewer folds or a random split") if validation == "time-split" else _("add rows of the rare class")
        raise DataError(
            _("Every cross-validation fold trains on a single class, so no model can learn; {hint}.").format(hint=hint)
        )
    return splits


def _prepare_folds(
    preprocessor: ColumnTransformer,
    splits: list[tuple[np.ndarray, np.ndarray]],
    X_train: pd.DataFrame,
    y_train: np.ndarray,
    X_test: pd.DataFrame,
    tracker: _Progress,
) -> tuple[list[_Fold], ColumnTransformer, np.ndarray, np.ndarray]:
    try:
        folds = []
        for i, (tr, va) in enumerate(splits, start=1):
            tracker.step(_("Preparing features (fold {i}/{n})").format(i=i, n=len(splits)))
            fold_pre = clone(preprocessor)
            X_fit = fold_pre.fit_transform(X_train.iloc[tr], y_train[tr])
            folds.append(_Fold(X_fit, y_train[tr], fold_pre.transform(X_train.iloc[va]), y_train[va]))
        tracker.step(_("Preparing features (all training rows)"))
        full = clone(preprocessor)
        Xt_train = full.fit_transform(X_train, y_train)
        Xt_test = full.transform(X_test)
    except (ValueError, TypeError) as exc:
        raise DataError(
            _("The features could not be prepared ({exc}); check the column types in the Data stage.").format(exc=exc)
        ) from exc
    return folds, full, Xt_train, Xt_test


def evaluate_model(
    spec: ModelSpec,
    data: PreparedData,
    tracker: _Progress | None = None,
    *,
    params: dict[str, Any] | None = None,
    name: str | None = None,
) -> ModelResult:
    """Cross-validate ``spec`` (with ``params`` set on top of its defaults) on the shared folds,
    refit it on all training rows and score it once on the holdout. A failure becomes ``error``."""
    tracker = tracker or _Progress(None, 1)
    name = name or spec.name
    label = name[0].lower() + name[1:]
    try:
        tracker.step(
            _("Cross-validating {label} ({n} folds)").format(label=label, n=len(data.folds)), steps=len(data.folds)
        )
        cv_scores = cross_validate(spec, data, params)
        check_cv_scores(cv_scores, data.problem)
        tracker.step(_("Refitting {label} on all training rows").format(label=label))
        final = fit_final(spec, data, params)
    except Exception as exc:  # one model failing must not sink the leaderboard
        return failed_result(spec, exc, name)
    return model_result(spec, name, data, cv_scores, final)


@dataclass
class FinalFit:
    """A model refit on all training rows and its holdout predictions (what ``fit_final`` returns)."""

    model: Any
    fit_seconds: float
    test_pred: np.ndarray
    test_scores: np.ndarray
    predict_ms_per_row: float


def check_cv_scores(cv_scores: list[float], problem: ProblemConfig) -> None:
    if all(math.isnan(s) for s in cv_scores):
        raise DataError(
            _("its {metric} is undefined on every fold (a fold holds one class only)").format(metric=problem.metric)
        )


def fit_final(spec: ModelSpec, data: PreparedData, params: dict[str, Any] | None = None) -> FinalFit:
    """``spec`` fitted on all training rows, and its predictions on the holdout (timed)."""
    with quiet_single_threaded():
        started = time.perf_counter()
        model = make_model(spec, data, params, data.y_train).fit(data.Xt_train, data.y_train)
        fit_seconds = time.perf_counter() - started
        started = time.perf_counter()
        # Preprocess once for both predict and predict_proba (as a serving call would).
        test_pred, test_scores = predict_scores(data.problem, model, data.preprocessor.transform(data.X_test))
        predict_ms_per_row = 1000 * (time.perf_counter() - started) / max(len(data.X_test), 1)
    return FinalFit(model, fit_seconds, test_pred, test_scores, predict_ms_per_row)


def model_result(
    spec: ModelSpec, name: str, data: PreparedData, cv_scores: list[float], final: FinalFit
) -> ModelResult:
    return ModelResult(
        key=spec.key,
        name=name,
        cv_scores=cv_scores,
        cv_score=float(np.nanmean(cv_scores)),
        test_metrics=compute_metrics(data.problem, data.y_test, final.test_pred, final.test_scores),
        fit_seconds=final.fit_seconds,
        predict_ms_per_row=final.predict_ms_per_row,
        params=_simple_params(final.model),
        pipeline=Pipeline([("preprocess", copy.deepcopy(data.preprocessor)), ("model", final.model)]),
        test_scores=final.test_scores,
        test_pred=final.test_pred,
    )


def score_fold(spec: ModelSpec, data: PreparedData, params: dict[str, Any] | None, fold: _Fold) -> float:
    """The metric of ``spec`` fitted on one fold (single-threaded, seeded: the same on any thread or process)."""
    model = make_model(spec, data, params, fold.y_train)
    if model.get_params().get("n_jobs") not in (None, 1):
        model.set_params(n_jobs=1)  # the folds already run in parallel
    # OpenMP's thread count is per thread: the limit set around the pool does not reach its workers.
    with threadpool_limits(limits=1, user_api="openmp"):
        model.fit(fold.X_train, fold.y_train)
        y_pred, y_score = predict_scores(data.problem, model, fold.X_valid)
    return compute_metric(data.problem.metric, fold.y_valid, y_pred, y_score)


def cross_validate(spec: ModelSpec, data: PreparedData, params: dict[str, Any] | None = None) -> list[float]:
    """The metric on each fold, folds fitted two at a time (both cores). Each fit is single-threaded
    and seeded, so the scores do not depend on which thread ran which fold."""
    # The thread-pool limits and warning filters are process-wide: set them once, around all the threads.
    with quiet_single_threaded():
        return list(
            Parallel(n_jobs=min(N_JOBS, len(data.folds)), backend="threading")(
                delayed(score_fold)(spec, data, params, fold) for fold in data.folds
            )
        )


@contextmanager
def quiet_single_threaded() -> Iterator[None]:
    # One OpenMP/BLAS thread per fit: on a shared 2-core machine, multi-threaded gradient boosting
    # spin-waits for busy cores and runs 3-5x slower than single-threaded.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        yield


def make_model(spec: ModelSpec, data: PreparedData, params: dict[str, Any] | None, y: np.ndarray) -> Any:
    """A fresh estimator with ``params`` on top of the family's defaults, shrunk where small data would
    break it: kNN asks for at most as many neighbours as there are rows; the SVM's calibration uses at
    most as many folds as the rarest class has rows."""
    model = spec.make(data.problem.task, data.config.seed, data.config.class_weight)
    if params:
        try:
            model.set_params(**params)
        except ValueError as exc:
            raise ConfigError(
                _("{name} does not take these settings ({exc}); check the search space.").format(
                    name=spec.name, exc=exc
                )
            ) from None
    current = model.get_params()
    if "n_neighbors" in current and current["n_neighbors"] > len(y):
        model.set_params(n_neighbors=max(1, len(y)))
    if isinstance(current.get("cv"), int) and data.problem.family == "classification":
        smallest_class = int(np.unique(y, return_counts=True)[1].min())
        model.set_params(cv=max(2, min(current["cv"], smallest_class)))
    return model


def failed_result(spec: ModelSpec, exc: BaseException, name: str | None = None) -> ModelResult:
    """The leaderboard's row of a model that could not be trained, saying why."""
    name = name or spec.name
    return _failed_result(spec, _("{name} could not be trained: {exc}").format(name=name, exc=exc), name)


def _failed_result(spec: ModelSpec, error: str, name: str | None = None) -> ModelResult:
    return ModelResult(
        key=spec.key,
        name=name or spec.name,
        cv_scores=[],
        cv_score=float("nan"),
        test_metrics={},
        fit_seconds=float("nan"),
        predict_ms_per_row=float("nan"),
        params={},
        pipeline=None,
        test_scores=np.array([]),
        test_pred=np.array([]),
        error=error,
    )


def _simple_params(model: Any) -> dict[str, Any]:
    """The estimator's hyper-parameters that are plain JSON values."""
    return {k: v for k, v in model.get_params().items() if isinstance(v, (bool, int, float, str, type(None)))}


def _rank_key(result: ModelResult, metric: str) -> tuple[bool, float]:
    if not result.ok or math.isnan(result.cv_score):
        return (True, 0.0)
    return (False, -result.cv_score if is_higher_better(metric) else result.cv_score)


def _get_classes(problem: ProblemConfig, y: pd.Series) -> list:
    if problem.task == "regression":
        return []
    labels = sorted(to_label_strings(y).dropna().unique())
    if problem.task == "binary":
        positive = str(problem.positive_class)
        negatives = [c for c in labels if c != positive]
        return [negatives[0] if negatives else "other", positive]
    return labels


def _describe_baseline(problem: ProblemConfig, y_train: np.ndarray, classes: list) -> str:
    """What the baseline always predicts, in words, for captions."""
    if problem.task == "regression":
        return _("the average ({metric_value})").format(
            metric_value=format_metric_value("rmse", float(np.mean(y_train)))
        )
    values, counts = np.unique(y_train, return_counts=True)
    most_common = values[np.argmax(counts)]
    label = classes[int(most_common)] if problem.task == "binary" else most_common
    return f"'{label}'"


def refit_on_all_training_rows(
    data: PreparedData, model: ModelResult, tracker: _Progress | None = None
) -> tuple[ModelResult, str]:
    """``model`` (fitted on the sample) refit with the same settings on every training row and scored
    again on the holdout, when its fit on the sample suggests that fits ``config.refit_seconds``;
    otherwise ``model`` as it is. With the sentence that says which happened."""
    # Called for a training on a sample (all_train set) and its best model, which fitted (pipeline set).
    all_train, pipeline = data.all_train, model.pipeline
    assert all_train is not None and pipeline is not None
    n_all, n_sample = len(all_train), max(len(data.y_train), 1)
    budget = float(data.config.refit_seconds)
    # Fitting grows about linearly with the rows; the margin covers preprocessing all rows as well.
    expected = model.fit_seconds * n_all / n_sample * _REFIT_MARGIN
    if budget <= 0:
        return model, _("{name}, the best model, learned from the sample only (refitting on all rows is off).").format(
            name=model.name
        )
    if not expected <= budget:
        return model, (
            _(
                "{name}, the best model, learned from the sample only: refitting it on all {n_all} training rows would take about {duration}, over the {duration2} allowed."
            ).format(
                name=model.name, n_all=format_count(n_all), duration=_duration(expected), duration2=_duration(budget)
            )
        )
    if tracker is not None:
        tracker.step(
            _("Refitting {value} on all {n_all} training rows").format(
                value=model.name[0].lower() + model.name[1:], n_all=format_count(n_all)
            )
        )
    problem = data.problem
    try:
        with quiet_single_threaded():
            started = time.perf_counter()
            y_all = encode_target(all_train[problem.target], problem)
            preprocessor = clone(data.preprocessor)
            Xt_all = preprocessor.fit_transform(all_train.drop(columns=[problem.target]), y_all)
            estimator = clone(pipeline.named_steps["model"]).fit(Xt_all, y_all)
            fit_seconds = time.perf_counter() - started
            del Xt_all
            started = time.perf_counter()
            test_pred, test_scores = predict_scores(problem, estimator, preprocessor.transform(data.X_test))
            predict_ms_per_row = 1000 * (time.perf_counter() - started) / max(len(data.X_test), 1)
    except Exception as exc:  # keep the sample's model rather than lose the leaderboard
        return model, (
            _(
                "{name}, the best model, learned from the sample only: refitting it on all {n_all} training rows failed ({exc})."
            ).format(name=model.name, n_all=format_count(n_all), exc=exc)
        )
    refit = replace(
        model,
        test_metrics=compute_metrics(problem, data.y_test, test_pred, test_scores),
        fit_seconds=fit_seconds,
        predict_ms_per_row=predict_ms_per_row,
        params=_simple_params(estimator),
        pipeline=Pipeline([("preprocess", preprocessor), ("model", estimator)]),
        test_scores=test_scores,
        test_pred=test_pred,
    )
    return refit, (
        _(
            "{name}, the best model, was then refit on all {n_all} training rows ({duration}); its holdout scores are those of the refit model."
        ).format(name=model.name, n_all=format_count(n_all), duration=_duration(fit_seconds))
    )


def _duration(seconds: float) -> str:
    if seconds < 1:
        return _("under a second")
    return format_as(seconds, ".0f") + " s" if seconds < 90 else format_as(seconds / 60, ".0f") + " min"
