"""The problem definition: what to predict, what kind of task it is, and what "good enough" means.

A ``ProblemConfig`` only stores values; ``validate_problem`` is the one place that checks
them against a table and explains what is wrong.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import looks_like_id
from core.data.dates import parse_datetimes
from core.formatting import format_count, localized
from core.i18n import N_, _
from core.workspace.errors import ConfigError, DataError

TASKS = ("binary", "multiclass", "regression")
#: How a task is named on screen (translated where shown: ``_(TASK_LABELS[task])``).
TASK_LABELS = {"binary": N_("binary"), "multiclass": N_("multiclass"), "regression": N_("regression")}

METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("roc_auc", "f1_macro", "accuracy"),
    "multiclass": ("f1_macro", "accuracy"),
    "regression": ("r2", "rmse", "mae"),
}
LOWER_IS_BETTER = frozenset({"rmse", "mae"})
# The one home of metric names people read (tables, charts, sentences, the glossary's keys).
METRIC_LABELS = {
    "roc_auc": N_("ROC-AUC"),
    "roc_auc_ovr": N_("ROC-AUC (each class vs the rest)"),
    "f1_macro": N_("F1 (macro)"),
    "f1_weighted": N_("F1 (weighted)"),
    "f1": N_("F1"),
    "accuracy": N_("accuracy"),
    "precision": N_("precision"),
    "recall": N_("recall"),
    "precision_macro": N_("precision (macro)"),
    "recall_macro": N_("recall (macro)"),
    "log_loss": N_("log loss"),
    "brier": N_("Brier score"),
    "r2": N_("R²"),
    "rmse": N_("RMSE"),
    "mae": N_("MAE"),
    "mse": N_("MSE"),
    "mape": N_("MAPE"),
    "balanced_accuracy": N_("balanced accuracy"),
    "pr_auc": N_("PR-AUC"),
}
DEFAULT_GATES = {"binary": ("roc_auc", 0.75), "multiclass": ("f1_macro", 0.6), "regression": ("r2", 0.6)}

MIN_ROWS = 20
MAX_CLASSES = 30
# Labels that usually mean "the event happened"; used only to break ties between equal classes.
_POSITIVE_WORDS = ("1", "yes", "true", "y", "positive", "pos")


@dataclass(frozen=True)
class ProblemConfig:
    """What to predict (``target``), the task, and the metric/threshold of the go/no-go gate."""

    target: str
    task: str
    positive_class: str | None = None
    metric: str = "roc_auc"
    threshold: float = 0.75
    time_column: str | None = None
    group_column: str | None = None  # rows sharing a value (e.g. a customer ID) stay on one side of every split
    # Binary only: what a missed positive (a churner not contacted) and a false alarm (an offer
    # wasted) cost, per row; the Train page picks the threshold that minimises their sum.
    cost_false_negative: float | None = None
    cost_false_positive: float | None = None
    sensitive_column: str | None = None  # the gate compares the model's errors across its groups
    max_fairness_gap: float = 0.10  # largest allowed gap in recall (classification) between groups
    max_latency_ms: float = 200.0  # largest allowed time to answer one request (one row)

    @property
    def family(self) -> str:
        return "regression" if self.task == "regression" else "classification"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProblemConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def is_higher_better(metric: str) -> bool:
    return metric not in LOWER_IS_BETTER


def get_metric_label(metric: str) -> str:
    """A metric's key as people read it: "roc_auc" → "ROC-AUC", "f1_macro" → "F1 (macro)"."""
    return _(METRIC_LABELS[metric]) if metric in METRIC_LABELS else metric


def get_metric_heading(metric: str) -> str:
    """The label at the start of a line or as a table/metric heading: "Accuracy", "ROC-AUC", "F1 (macro)"."""
    label = get_metric_label(metric)
    return label[:1].upper() + label[1:]


@localized
def format_metric_value(metric: str, value: float | None) -> str:
    """Scores in [0, 1] with two decimals; error sizes (rmse/mae) in the target's own units. Written the
    reader's way (0,84 in Portuguese) through ``core.formatting``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("n/a")
    if metric in LOWER_IS_BETTER:
        magnitude = abs(value)
        if magnitude >= 100:
            return f"{value:,.0f}"
        if magnitude >= 1:
            return f"{value:,.2f}"
        return f"{value:.3g}"
    return f"{value:.2f}"


def to_label(value: Any) -> Any:
    """One class label as a string, so 1, 1.0 and "1" are the same class; missing → NaN."""
    if value is None or value is pd.NA or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return np.nan
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def to_label_strings(y: pd.Series) -> pd.Series:
    """Class labels as strings (see ``to_label``); missing stays NaN.

    Each distinct value is converted once (a million rows hold a handful of classes). A column of
    mixed Python types goes value by value: hashing would take True and 1 for the same value.
    """
    if pd.api.types.infer_dtype(y, skipna=True).startswith("mixed"):
        return pd.Series([to_label(v) for v in y], index=y.index, dtype=object)
    codes, uniques = pd.factorize(y, use_na_sentinel=True)
    labels = np.array([to_label(v) for v in uniques] + [np.nan], dtype=object)
    return pd.Series(labels[codes], index=y.index, dtype=object)


def detect_task(y: pd.Series) -> str:
    """Guess the task from the target values.

    Two distinct values → binary; text with more → multiclass; numbers with fractions or more
    than 30 distinct values → regression; whole numbers with 3..30 values → multiclass.
    """
    values = y.dropna()
    if pd.api.types.is_datetime64_any_dtype(values):
        raise DataError(
            _(
                "The target '{target}' holds dates; a date cannot be predicted here. "
                "Choose a numeric or categorical target."
            ).format(target=y.name)
        )
    n_unique = values.nunique()
    if n_unique <= 2 or pd.api.types.is_bool_dtype(values):
        return "binary"
    if pd.api.types.is_numeric_dtype(values):
        as_float = values.astype("float64")
        whole_numbers = bool(np.all(np.mod(as_float, 1) == 0))
        if whole_numbers and n_unique <= MAX_CLASSES:
            return "multiclass"
        return "regression"
    return "multiclass"


def get_minority_class(y: pd.Series) -> str:
    """The rarest class; ties go to a label that sounds like "the event happened"."""
    counts = to_label_strings(y).dropna().value_counts()
    rarest = counts[counts == counts.min()].index.tolist()
    for label in rarest:
        if label.lower() in _POSITIVE_WORDS:
            return label
    return sorted(rarest)[-1]


def suggest_problem(df: pd.DataFrame, target: str) -> ProblemConfig:
    """A sensible default problem for ``target``; no time column (the user opts into a time split)."""
    if target not in df.columns:
        raise DataError(_missing_target_message(df, target))
    task = detect_task(df[target])
    metric, threshold = DEFAULT_GATES[task]
    positive = get_minority_class(df[target]) if task == "binary" and df[target].notna().any() else None
    return ProblemConfig(target=target, task=task, positive_class=positive, metric=metric, threshold=threshold)


def describe_id_like_target(y: pd.Series) -> str | None:
    """A plain warning when the chosen target is a row's key (a customer number, a record code), not an
    outcome: every model then scores like the baseline and the leaderboard cannot say why. None otherwise."""
    if not looks_like_id(y):
        return None
    known = y.dropna()
    return _(
        "{column} looks like an ID, not an outcome: {distinct} of its {values} values are "
        "different, so the other columns cannot predict it; choose the column you want to predict."
    ).format(column=y.name, distinct=format_count(known.nunique()), values=format_count(len(known)))


def default_threshold(metric: str, y: pd.Series) -> float:
    """A starting gate threshold for a metric. Error metrics (RMSE, MAE) have no universal scale, so
    start at half the target's spread: a model must at least beat guessing the mean by that much."""
    for task_metric, threshold in DEFAULT_GATES.values():
        if task_metric == metric:
            return threshold
    if metric in LOWER_IS_BETTER:
        spread = float(pd.to_numeric(y, errors="coerce").std())
        return round(0.5 * spread, 4) if np.isfinite(spread) and spread > 0 else 1.0
    return {"accuracy": 0.7, "f1_macro": 0.6}.get(metric, 0.5)


def _missing_target_message(df: pd.DataFrame, target: str) -> str:
    columns = [str(c) for c in df.columns]
    shown = ", ".join(f"'{c}'" for c in columns[:30]) + (" …" if len(columns) > 30 else "")
    return _("The target '{target}' is not a column of the table; choose one of: {columns}.").format(
        target=target, columns=shown
    )


def validate_problem(df: pd.DataFrame, problem: ProblemConfig) -> None:
    """Refuse a problem that cannot be trained on ``df``, saying what is wrong and what to do."""
    _validate_config_values(problem)
    if problem.target not in df.columns:
        raise DataError(_missing_target_message(df, problem.target))
    y = df[problem.target]
    known = y.dropna()
    if known.empty:
        raise DataError(
            _("The target '{target}' is missing in every row; choose a target column that has values.").format(
                target=problem.target
            )
        )
    if len(known) < MIN_ROWS:
        raise DataError(
            _(
                "Only {rows} rows have a value for the target '{target}'; "
                "at least {needed} are needed to train and test a model. Add more data."
            ).format(rows=len(known), target=problem.target, needed=MIN_ROWS)
        )
    if problem.task == "regression":
        _validate_regression_target(known, problem)
    else:
        _validate_classification_target(known, problem)
    if problem.time_column is not None:
        _validate_time_column(df, problem)
    if problem.group_column is not None:
        _validate_group_column(df, problem)
    if problem.sensitive_column is not None and problem.sensitive_column not in df.columns:
        raise DataError(
            _(
                "The sensitive column '{column}' is not a column of the table; "
                "choose another column for the fairness check, or none."
            ).format(column=problem.sensitive_column)
        )


def _validate_config_values(problem: ProblemConfig) -> None:
    if problem.task not in TASKS:
        raise ConfigError(
            _("The task must be one of {tasks}; got '{task}' instead.").format(
                tasks=", ".join(TASKS), task=problem.task
            )
        )
    valid = METRICS[problem.task]
    if problem.metric not in valid:
        raise ConfigError(
            _("The metric '{metric}' does not apply to a {task} task; choose one of: {metrics}.").format(
                metric=problem.metric, task=_(TASK_LABELS[problem.task]), metrics=", ".join(valid)
            )
        )
    try:
        threshold = float(problem.threshold)
    except (TypeError, ValueError):
        raise ConfigError(
            _("The threshold must be a number; got {value} instead.").format(value=repr(problem.threshold))
        ) from None
    if math.isnan(threshold):
        raise ConfigError(_("The threshold must be a number; got NaN instead."))
    costs = (
        ("cost_false_negative", N_("The cost of a missed positive must be a number ≥ 0; got {value} instead.")),
        ("cost_false_positive", N_("The cost of a false alarm must be a number ≥ 0; got {value} instead.")),
    )
    for name, message in costs:
        value = getattr(problem, name)
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ConfigError(_(message).format(value=repr(value)))
    if not 0 < float(problem.max_fairness_gap) <= 1:
        raise ConfigError(
            _("The largest allowed fairness gap must be between 0 and 1; got {value}.").format(
                value=problem.max_fairness_gap
            )
        )
    if not float(problem.max_latency_ms) > 0:
        raise ConfigError(
            _("The latency limit must be a positive number of milliseconds; got {value}.").format(
                value=problem.max_latency_ms
            )
        )
    if problem.metric in LOWER_IS_BETTER and threshold < 0:
        raise ConfigError(
            _("The threshold of {metric} must be ≥ 0; got {value} instead.").format(
                metric=get_metric_label(problem.metric), value=threshold
            )
        )
    if problem.metric in ("roc_auc", "f1_macro", "accuracy") and not 0 <= threshold <= 1:
        raise ConfigError(
            _("The threshold of {metric} must be between 0 and 1; got {value} instead.").format(
                metric=get_metric_label(problem.metric), value=threshold
            )
        )


def _validate_regression_target(known: pd.Series, problem: ProblemConfig) -> None:
    if not pd.api.types.is_numeric_dtype(known) or pd.api.types.is_bool_dtype(known):
        examples = ", ".join(f"'{v}'" for v in known.astype(str).unique()[:3])
        raise DataError(
            _(
                "The target '{target}' is not numeric (values like {examples}), so it cannot be a "
                "regression target; clean it into numbers or choose a classification task."
            ).format(target=problem.target, examples=examples)
        )
    if known.nunique() < 2:
        raise DataError(
            _("The target '{target}' has the same value in every row; choose a target that varies.").format(
                target=problem.target
            )
        )


def _validate_classification_target(known: pd.Series, problem: ProblemConfig) -> None:
    labels = to_label_strings(known)
    counts = labels.value_counts()
    if len(counts) < 2:
        raise DataError(
            _(
                "The target '{target}' has only one class ('{label}'); choose a target with at least two classes."
            ).format(target=problem.target, label=counts.index[0])
        )
    if problem.task == "binary":
        if len(counts) > 2:
            raise DataError(
                _(
                    "The target '{target}' has {classes} classes, but the task is binary; "
                    "choose the multiclass task or a target with two classes."
                ).format(target=problem.target, classes=len(counts))
            )
        if problem.positive_class is not None and to_label(problem.positive_class) not in counts.index:
            options = ", ".join(f"'{c}'" for c in counts.index)
            raise DataError(
                _(
                    "The positive class '{positive}' is not a value of the target '{target}'; choose one of: {options}."
                ).format(positive=problem.positive_class, target=problem.target, options=options)
            )
    elif len(counts) > MAX_CLASSES:
        raise DataError(
            _(
                "The target '{target}' has {classes} classes; at most {limit} are supported. "
                "Group rare classes together or choose a regression task if it is a number."
            ).format(target=problem.target, classes=len(counts), limit=MAX_CLASSES)
        )
    rare = counts[counts < 2]
    if not rare.empty:
        names = ", ".join(f"'{c}'" for c in rare.index[:5])
        raise DataError(
            _(
                "The class {names} of the target '{target}' has fewer than 2 rows, too few to both "
                "train and test; remove those rows or merge the class into another."
            ).format(names=names, target=problem.target)
        )


def _validate_time_column(df: pd.DataFrame, problem: ProblemConfig) -> None:
    column = problem.time_column
    if column not in df.columns:
        raise DataError(
            _("The time column '{column}' is not a column of the table; choose an existing date column.").format(
                column=column
            )
        )
    if column == problem.target:
        raise ConfigError(_("The time column cannot be the target; choose another date column or none."))
    parsed = parse_datetimes(df[column])
    if parsed.notna().sum() < MIN_ROWS:
        raise DataError(
            _(
                "The time column '{column}' does not hold readable dates in enough rows; "
                "choose a date column or remove the time split."
            ).format(column=column)
        )


def _validate_group_column(df: pd.DataFrame, problem: ProblemConfig) -> None:
    column = problem.group_column
    if column not in df.columns:
        raise DataError(
            _(
                "The group column '{column}' is not a column of the table; choose an ID column such as a customer ID."
            ).format(column=column)
        )
    if column == problem.target:
        raise ConfigError(_("The group column cannot be the target; choose an ID column or none."))
    if column == problem.time_column:
        raise ConfigError(_("The group column cannot also be the time column; choose an ID column or none."))
    if df[column].nunique() < 2:
        raise DataError(
            _(
                "The group column '{column}' has fewer than 2 distinct values, so the rows cannot be split by group; "
                "choose a column that identifies many entities, or none."
            ).format(column=column)
        )


def resolve_positive_class(y: pd.Series, problem: ProblemConfig) -> str:
    """The configured positive class, or the minority class when none was configured."""
    if problem.positive_class is not None:
        return to_label(problem.positive_class)
    return get_minority_class(y)


def encode_target(y: pd.Series, problem: ProblemConfig) -> np.ndarray:
    """Binary → 1 for the positive class else 0; multiclass → labels as str; regression → float."""
    if problem.task == "regression":
        return pd.to_numeric(y, errors="coerce").to_numpy(dtype="float64")
    labels = to_label_strings(y)
    if problem.task == "binary":
        positive = resolve_positive_class(y, problem)
        return (labels == positive).to_numpy(dtype="int64")
    return labels.to_numpy(dtype=object)
