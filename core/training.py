"""Train and compare models: hold out a test set, cross-validate each catalog model on the rest,
refit it on the whole training split, and score it once on the holdout.

Every fitted model is ``Pipeline([("preprocess", ColumnTransformer), ("model", estimator)])``
taking the cleaned table (minus the target). Preprocessing is fitted once per fold and shared by
all models of that fold (same result as fitting it inside each model's pipeline, several times faster).
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Callable

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)
from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit, train_test_split
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from core.errors import ConfigError, DataError
from core.features import FeatureConfig, build_preprocessor, get_feature_kinds
from core.models import BASELINE_KEY, ModelSpec, get_catalog, get_model_spec
from core.problem import (
    METRICS,
    ProblemConfig,
    encode_target,
    format_metric_value,
    is_higher_better,
    parse_datetimes,
    resolve_positive_class,
    to_label_strings,
    validate_problem,
)

VALIDATIONS = ("auto", "stratified-kfold", "kfold", "time-split")
ProgressCallback = Callable[[float, str], None]


@dataclass(frozen=True)
class TrainConfig:
    models: tuple[str, ...] = ()  # empty = the whole catalog; the baseline is always added
    cv_folds: int = 5
    test_size: float = 0.2
    seed: int = 42
    validation: str = "auto"  # auto → time-split with a time column, else stratified-kfold / kfold

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["models"] = list(self.models)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "models" in values:
            values["models"] = tuple(values["models"])
        return cls(**values)


@dataclass
class ModelResult:
    key: str
    name: str
    cv_scores: list[float]
    cv_score: float
    test_metrics: dict[str, float]
    fit_seconds: float
    predict_ms_per_row: float
    params: dict[str, Any]
    pipeline: Pipeline | None  # refit on the whole training split; None when the model failed
    test_scores: np.ndarray  # binary: P(positive); multiclass: probabilities (n, classes); regression: predictions
    test_pred: np.ndarray
    error: str | None = None

    @property
    def cv_std(self) -> float:
        scores = [s for s in self.cv_scores if not math.isnan(s)]
        return float(np.std(scores)) if scores else float("nan")

    @property
    def is_baseline(self) -> bool:
        return self.key == BASELINE_KEY

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class TrainResult:
    problem: ProblemConfig  # positive_class resolved
    features: FeatureConfig
    config: TrainConfig
    validation: str  # the CV strategy: stratified-kfold | kfold | time-split
    results: list[ModelResult]  # best first by cv_score; failed models last
    train_index: pd.Index
    test_index: pd.Index
    y_test: np.ndarray  # encoded like encode_target (binary 0/1)
    classes: list  # binary: [negative, positive] labels; multiclass: labels; regression: []
    holdout: str = ""  # how the test rows were chosen: stratified-split | random-split | time-split | provided-test-set
    baseline_prediction: str = ""  # e.g. "'No'" or "the average (477,500)", for captions

    @property
    def best(self) -> ModelResult:
        """The best model that is not the baseline (the baseline if nothing else could be trained)."""
        trained = [r for r in self.results if r.ok]
        real = [r for r in trained if not r.is_baseline]
        return (real or trained)[0]

    @property
    def baseline(self) -> ModelResult | None:
        return next((r for r in self.results if r.is_baseline and r.ok), None)

    def leaderboard_df(self) -> pd.DataFrame:
        metric_names = METRICS[self.problem.task]
        rows = []
        for r in self.results:
            row = {"model": r.name, "key": r.key, "cv_score": r.cv_score, "cv_std": r.cv_std}
            row.update({m: r.test_metrics.get(m, float("nan")) for m in metric_names})
            row.update({"fit_seconds": r.fit_seconds, "predict_ms_per_row": r.predict_ms_per_row, "error": r.error})
            rows.append(row)
        columns = ["model", "key", "cv_score", "cv_std", *metric_names, "fit_seconds", "predict_ms_per_row", "error"]
        return pd.DataFrame(rows, columns=columns)

    def to_summary(self) -> list[dict[str, Any]]:
        """The JSON leaderboard: ``{model, cv_score, test_metrics}`` best first (NaN → None)."""
        summary = []
        for r in self.results:
            entry = {
                "model": r.key,
                "name": r.name,
                "cv_score": _json_float(r.cv_score),
                "test_metrics": {k: _json_float(v) for k, v in r.test_metrics.items()},
            }
            if r.error:
                entry["error"] = r.error
            summary.append(entry)
        return summary


def _json_float(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 6)


# ---------------------------------------------------------------- validation of the config

def validate_train_config(config: TrainConfig, problem: ProblemConfig) -> None:
    if config.validation not in VALIDATIONS:
        raise ConfigError(f"The validation must be one of {', '.join(VALIDATIONS)}; got '{config.validation}' instead.")
    if not isinstance(config.cv_folds, (int, np.integer)) or config.cv_folds < 2:
        raise ConfigError(f"The number of CV folds must be a whole number ≥ 2; got {config.cv_folds!r} instead.")
    if not 0.05 <= float(config.test_size) <= 0.5:
        raise ConfigError(f"The test size must be between 0.05 and 0.5; got {config.test_size} instead.")
    if config.validation == "time-split" and problem.time_column is None:
        raise ConfigError("A time split needs a time column; choose one in the problem or another validation.")
    if config.validation == "stratified-kfold" and problem.task == "regression":
        raise ConfigError("Stratified folds need classes; use 'kfold' for a regression task.")
    for key in config.models:
        get_model_spec(problem.task, key)


# ---------------------------------------------------------------- splitting

def split_holdout(df: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> tuple[pd.Index, pd.Index, str]:
    """(train index, test index, strategy). Rows without a target are left out of both.

    With a time column the test set is the latest ``test_size`` share of rows (rows without a
    readable time are left out); otherwise a seeded random split, stratified for classification.
    """
    known = df[df[problem.target].notna()]
    if problem.time_column is not None:
        return _split_by_time(known, problem, config)
    n_test = max(1, math.ceil(config.test_size * len(known)))
    if len(known) - n_test < 2:
        raise DataError(f"Only {len(known)} rows have a target; too few to hold out a test set. Add more data.")
    if problem.family == "classification":
        try:
            train, test = train_test_split(
                known.index, test_size=n_test, random_state=config.seed, stratify=to_label_strings(known[problem.target])
            )
            return pd.Index(train), pd.Index(test), "stratified-split"
        except ValueError:
            pass  # a class too small to appear on both sides: fall back to a plain random split
    train, test = train_test_split(known.index, test_size=n_test, random_state=config.seed)
    return pd.Index(train), pd.Index(test), "random-split"


def _split_by_time(known: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> tuple[pd.Index, pd.Index, str]:
    times = parse_datetimes(known[problem.time_column]).dropna()
    ordered = times.sort_values(kind="stable").index
    n_test = max(1, math.ceil(config.test_size * len(ordered)))
    if len(ordered) - n_test < 2:
        raise DataError(
            f"Only {len(ordered)} rows have both a target and a readable '{problem.time_column}'; "
            "too few for a time split. Add data or remove the time column."
        )
    return pd.Index(ordered[:-n_test]), pd.Index(ordered[-n_test:]), "time-split"


def choose_cv(df_train: pd.DataFrame, problem: ProblemConfig, config: TrainConfig) -> tuple[Any, str]:
    """The cross-validation splitter and its name.

    "time-split" (TimeSeriesSplit: every fold validates on rows later than it trains on) expects
    ``df_train`` sorted by the time column, as ``train_models`` does.
    """
    strategy = config.validation
    if strategy == "auto":
        if problem.time_column is not None:
            strategy = "time-split"
        else:
            strategy = "stratified-kfold" if problem.family == "classification" else "kfold"
    n_rows = len(df_train)
    if strategy == "time-split":
        return TimeSeriesSplit(n_splits=min(config.cv_folds, n_rows - 1)), "time-split"
    if strategy == "stratified-kfold":
        smallest_class = int(to_label_strings(df_train[problem.target]).value_counts().min())
        if smallest_class >= 2:
            folds = min(config.cv_folds, smallest_class)
            return StratifiedKFold(n_splits=folds, shuffle=True, random_state=config.seed), "stratified-kfold"
    return KFold(n_splits=min(config.cv_folds, n_rows), shuffle=True, random_state=config.seed), "kfold"


# ---------------------------------------------------------------- metrics

def compute_metric(metric: str, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None) -> float:
    """One metric; NaN when it is undefined (ROC-AUC with one class, R² with one row)."""
    y_true = np.asarray(y_true)
    if metric == "roc_auc":
        if y_score is None or len(np.unique(y_true)) < 2:
            return float("nan")
        return float(roc_auc_score(y_true, y_score))
    if metric == "accuracy":
        return float(accuracy_score(y_true, y_pred))
    if metric == "f1_macro":
        return float(f1_score(y_true, y_pred, average="macro", zero_division=0))
    if metric == "r2":
        return float(r2_score(y_true, y_pred)) if len(y_true) >= 2 else float("nan")
    if metric == "rmse":
        return float(root_mean_squared_error(y_true, y_pred))
    if metric == "mae":
        return float(mean_absolute_error(y_true, y_pred))
    raise ConfigError(f"Unknown metric '{metric}'; choose one of roc_auc, f1_macro, accuracy, r2, rmse, mae.")


def compute_metrics(
    problem: ProblemConfig, y_true: np.ndarray, y_pred: np.ndarray, y_score: np.ndarray | None
) -> dict[str, float]:
    """Every metric of the task: binary roc_auc/f1_macro/accuracy (y_score = P(positive)),
    multiclass f1_macro/accuracy, regression r2/rmse/mae."""
    return {metric: compute_metric(metric, y_true, y_pred, y_score) for metric in METRICS[problem.task]}


def _predict(problem: ProblemConfig, model: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
    """(predictions, scores): binary scores = P(class 1); multiclass = probabilities; regression = predictions."""
    y_pred = np.asarray(model.predict(X))
    if problem.task == "regression":
        return y_pred, y_pred
    proba = np.asarray(model.predict_proba(X))
    if problem.task == "binary":
        classes = list(model.classes_)
        positive = proba[:, classes.index(1)] if 1 in classes else np.zeros(len(proba))
        return y_pred, positive
    return y_pred, proba


# ---------------------------------------------------------------- training

@dataclass
class _Fold:
    X_train: np.ndarray
    y_train: np.ndarray
    X_valid: np.ndarray
    y_valid: np.ndarray


@dataclass
class _Progress:
    callback: ProgressCallback | None
    total: int
    done: int = 0

    def step(self, message: str) -> None:
        if self.callback is not None:
            self.callback(min(self.done / self.total, 0.99), message)
        self.done += 1

    def finish(self, message: str) -> None:
        if self.callback is not None:
            self.callback(1.0, message)


def train_models(
    df: pd.DataFrame,
    problem: ProblemConfig,
    features: FeatureConfig,
    config: TrainConfig = TrainConfig(),
    *,
    test_df: pd.DataFrame | None = None,
    progress: ProgressCallback | None = None,
) -> TrainResult:
    """Cross-validate and holdout-test every chosen model (plus the baseline); never lets one
    failing model sink the leaderboard: its ``error`` is recorded instead.

    ``test_df`` given → it is the holdout (rows without a target dropped) and all of ``df`` trains.
    A non-unique index on ``df`` is replaced by 0..n-1 (the returned indices refer to that).
    """
    validate_problem(df, problem)
    validate_train_config(config, problem)
    if not df.index.is_unique:
        df = df.reset_index(drop=True)
    known = df[df[problem.target].notna()]
    if problem.task == "binary":
        problem = replace(problem, positive_class=resolve_positive_class(known[problem.target], problem))

    if test_df is not None:
        train, test = known, _prepare_test_df(test_df, known, problem, features)
        holdout = "provided-test-set"
    else:
        train_index, test_index, holdout = split_holdout(known, problem, config)
        train, test = known.loc[train_index], known.loc[test_index]
    if problem.time_column is not None:
        # TimeSeriesSplit relies on row order; rows without a readable time go first (oldest).
        order = parse_datetimes(train[problem.time_column]).sort_values(kind="stable", na_position="first").index
        train = train.loc[order]

    splitter, validation = choose_cv(train, problem, config)
    specs = _chosen_specs(problem, config)
    y_train = encode_target(train[problem.target], problem)
    y_test = encode_target(test[problem.target], problem)
    X_train = train.drop(columns=[problem.target])
    X_test = test[X_train.columns.intersection(test.columns)]

    splits = _usable_splits(splitter, X_train, y_train, problem, validation)
    tracker = _Progress(progress, total=(len(splits) + 1) * (1 + len(specs)))
    preprocessor = build_preprocessor(train, problem, features)
    folds, full_preprocessor, Xt_train, Xt_test = _prepare_folds(preprocessor, splits, X_train, y_train, X_test, tracker)

    results = [
        _evaluate_model(spec, problem, config, folds, full_preprocessor, Xt_train, y_train, X_test, y_test, tracker)
        for spec in specs
    ]
    if not any(r.ok for r in results):
        raise DataError(f"No model could be trained. {results[0].error}")
    results.sort(key=lambda r: _rank_key(r, problem.metric))
    classes = _get_classes(problem, known[problem.target])
    tracker.finish(f"Trained {sum(r.ok for r in results)} models")
    return TrainResult(
        problem=problem,
        features=features,
        config=config,
        validation=validation,
        results=results,
        train_index=pd.Index(train.index),
        test_index=pd.Index(test.index),
        y_test=y_test,
        classes=classes,
        holdout=holdout,
        baseline_prediction=_describe_baseline(problem, y_train, classes),
    )


def _chosen_specs(problem: ProblemConfig, config: TrainConfig) -> list[ModelSpec]:
    if not config.models:
        return get_catalog(problem.task)
    keys = [BASELINE_KEY] + [k for k in dict.fromkeys(config.models) if k != BASELINE_KEY]
    return [get_model_spec(problem.task, key) for key in keys]


def _prepare_test_df(
    test_df: pd.DataFrame, train: pd.DataFrame, problem: ProblemConfig, features: FeatureConfig
) -> pd.DataFrame:
    if problem.target not in test_df.columns:
        raise DataError(f"The test table has no target column '{problem.target}'; add it or use a random split.")
    kinds = get_feature_kinds(train, problem, features)
    used = kinds["numeric"] + kinds["categorical"] + kinds["datetime"]
    missing = [c for c in used if c not in test_df.columns]
    if missing:
        shown = ", ".join(f"'{c}'" for c in missing[:10])
        raise DataError(f"The test table lacks the feature columns {shown}; give it the same columns as the training data.")
    test = test_df[test_df[problem.target].notna()]
    if test.empty:
        raise DataError(f"The test table has no row with a value for '{problem.target}'; add labelled rows.")
    if not test.index.is_unique:
        test = test.reset_index(drop=True)
    if problem.task == "regression":
        if pd.to_numeric(test[problem.target], errors="coerce").isna().any():
            raise DataError(f"The test table's '{problem.target}' has values that are not numbers; clean them first.")
    elif problem.task == "binary":
        unseen = set(to_label_strings(test[problem.target]).dropna()) - set(to_label_strings(train[problem.target]).dropna())
        if unseen:
            shown = ", ".join(f"'{c}'" for c in sorted(unseen)[:5])
            raise DataError(
                f"The test table's '{problem.target}' has classes never seen in training ({shown}); "
                "make the labels match (same spelling and case)."
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
        hint = "use fewer folds or a random split" if validation == "time-split" else "add rows of the rare class"
        raise DataError(f"Every cross-validation fold trains on a single class, so no model can learn; {hint}.")
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
            tracker.step(f"Preparing features (fold {i}/{len(splits)})")
            fold_pre = clone(preprocessor)
            X_fit = fold_pre.fit_transform(X_train.iloc[tr], y_train[tr])
            folds.append(_Fold(X_fit, y_train[tr], fold_pre.transform(X_train.iloc[va]), y_train[va]))
        tracker.step("Preparing features (all training rows)")
        full = clone(preprocessor)
        Xt_train = full.fit_transform(X_train, y_train)
        Xt_test = full.transform(X_test)
    except (ValueError, TypeError) as exc:
        raise DataError(
            f"The features could not be prepared ({exc}); check the column types in the Data stage."
        ) from exc
    return folds, full, Xt_train, Xt_test


def _evaluate_model(
    spec: ModelSpec,
    problem: ProblemConfig,
    config: TrainConfig,
    folds: list[_Fold],
    full_preprocessor: ColumnTransformer,
    Xt_train: np.ndarray,
    y_train: np.ndarray,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    tracker: _Progress,
) -> ModelResult:
    label = spec.name[0].lower() + spec.name[1:]
    try:
        # One OpenMP/BLAS thread: on a shared 2-core machine, multi-threaded gradient boosting
        # spin-waits for busy cores and runs 3-5x slower than single-threaded.
        with warnings.catch_warnings(), threadpool_limits(limits=1):
            warnings.simplefilter("ignore", category=ConvergenceWarning)
            cv_scores = []
            for i, fold in enumerate(folds, start=1):
                tracker.step(f"Cross-validating {label} ({i}/{len(folds)})")
                model = spec.make(problem.task, config.seed).fit(fold.X_train, fold.y_train)
                y_pred, y_score = _predict(problem, model, fold.X_valid)
                cv_scores.append(compute_metric(problem.metric, fold.y_valid, y_pred, y_score))
            if all(math.isnan(s) for s in cv_scores):
                raise DataError(f"its {problem.metric} is undefined on every fold (a fold holds one class only)")

            tracker.step(f"Refitting {label} on all training rows")
            started = time.perf_counter()
            model = spec.make(problem.task, config.seed).fit(Xt_train, y_train)
            fit_seconds = time.perf_counter() - started
            pipeline = Pipeline([("preprocess", copy.deepcopy(full_preprocessor)), ("model", model)])
            started = time.perf_counter()
            # Preprocess once for both predict and predict_proba (as a serving call would).
            test_pred, test_scores = _predict(problem, model, full_preprocessor.transform(X_test))
            predict_ms_per_row = 1000 * (time.perf_counter() - started) / max(len(X_test), 1)
    except Exception as exc:  # one model failing must not sink the leaderboard
        return _failed_result(spec, f"{spec.name} could not be trained: {exc}")
    return ModelResult(
        key=spec.key,
        name=spec.name,
        cv_scores=cv_scores,
        cv_score=float(np.nanmean(cv_scores)),
        test_metrics=compute_metrics(problem, y_test, test_pred, test_scores),
        fit_seconds=fit_seconds,
        predict_ms_per_row=predict_ms_per_row,
        params=_simple_params(model),
        pipeline=pipeline,
        test_scores=test_scores,
        test_pred=test_pred,
    )


def _failed_result(spec: ModelSpec, error: str) -> ModelResult:
    return ModelResult(
        key=spec.key, name=spec.name, cv_scores=[], cv_score=float("nan"), test_metrics={},
        fit_seconds=float("nan"), predict_ms_per_row=float("nan"), params={}, pipeline=None,
        test_scores=np.array([]), test_pred=np.array([]), error=error,
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
        return f"the average ({format_metric_value('rmse', float(np.mean(y_train)))})"
    values, counts = np.unique(y_train, return_counts=True)
    most_common = values[np.argmax(counts)]
    label = classes[int(most_common)] if problem.task == "binary" else most_common
    return f"'{label}'"
