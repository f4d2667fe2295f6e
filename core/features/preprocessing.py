"""Feature engineering: which columns become which model inputs, and how.

The preprocessor is a ``ColumnTransformer`` with one step per kind of column; every output
feature traces back to exactly one input column (``get_output_feature_sources``), which the
explanations rely on. It takes the cleaned table (minus the target) as it is, including
pandas ``str`` columns with NaN, and tolerates categories never seen during training.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, OneHotEncoder, OrdinalEncoder, StandardScaler

from core.data.columns import looks_like_identifier
from core.data.dates import looks_like_datetime, parse_datetimes
from core.i18n import N_, _
from core.problem.definition import ProblemConfig
from core.workspace.errors import ConfigError, DataError

SCALINGS = ("standard", "minmax", "none")
#: A scaling as shown on screen (translated where shown).
SCALING_LABELS = {"standard": N_("standard scaling"), "minmax": N_("min-max scaling"), "none": N_("no scaling")}
#: A kind of feature column as shown on screen.
KIND_LABELS = {
    "numeric": N_("numeric"),
    "categorical": N_("categorical"),
    "datetime": N_("date"),
    "dropped": N_("dropped"),
}
KINDS = ("numeric", "categorical", "datetime", "dropped")

_SKEW_FOR_LOG = 1.0


@dataclass(frozen=True)
class FeatureConfig:
    numeric_scaling: str = "standard"
    one_hot: bool = True  # False → ordinal codes (fewer columns, fine for trees)
    max_categories: int = 20
    date_parts: bool = True
    log_columns: tuple[str, ...] = ()
    drop_columns: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["log_columns"] = list(self.log_columns)
        data["drop_columns"] = list(self.drop_columns)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("log_columns", "drop_columns"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)


# ---------------------------------------------------------------- column inspection


def get_drop_reason(values: pd.Series) -> str | None:
    """Why a column is useless as a feature ("ID-like", "free text", "constant", "all missing"), or None."""
    known = values.dropna()
    if known.empty:
        return N_("all missing")
    n_unique = known.nunique()
    if n_unique == 1:
        return N_("constant")
    if pd.api.types.is_datetime64_any_dtype(values) or pd.api.types.is_bool_dtype(values):
        return None
    if pd.api.types.is_numeric_dtype(values):
        return N_("ID-like") if looks_like_identifier(values) else None
    if looks_like_datetime(values):
        return None
    wordy = known.astype(str).str.contains(r"\s").mean() > 0.5
    if n_unique > 50 and n_unique > 0.5 * len(known):
        return N_("free text") if wordy else N_("ID-like")
    if not wordy and looks_like_identifier(values):
        return N_("ID-like")  # a row key, or an entity key such as customer_id on a transactions table
    return None


def _is_skewed_positive(values: pd.Series) -> bool:
    known = values.dropna()
    if pd.api.types.is_bool_dtype(values) or known.nunique() <= 10 or known.min() < 0:
        return False
    return bool(known.astype("float64").skew() > _SKEW_FOR_LOG)


def suggest_features(df: pd.DataFrame, problem: ProblemConfig) -> FeatureConfig:
    """Drop ID-like, free-text, constant and empty columns; log-transform skewed positive numbers."""
    drop, log = [], []
    for column in _input_columns(df, problem):
        values = df[column]
        if get_drop_reason(values) is not None:
            drop.append(column)
        elif _is_numeric_feature(values) and _is_skewed_positive(values):
            log.append(column)
    return FeatureConfig(log_columns=tuple(log), drop_columns=tuple(drop))


def _input_columns(df: pd.DataFrame, problem: ProblemConfig) -> list[str]:
    return [c for c in df.columns if c != problem.target]


def _is_numeric_feature(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)


def get_feature_kinds(df: pd.DataFrame, problem: ProblemConfig, config: FeatureConfig) -> dict[str, list[str]]:
    """Split the input columns (target excluded) into numeric / categorical / datetime / dropped.

    Dropped = the config's ``drop_columns`` plus columns missing in every row (nothing to learn),
    plus date columns when ``date_parts`` is off.
    """
    _validate_feature_config(df, problem, config)
    kinds: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for column in _input_columns(df, problem):
        values = df[column]
        if column in config.drop_columns or values.isna().all():
            kinds["dropped"].append(column)
        elif _is_numeric_feature(values):
            kinds["numeric"].append(column)
        elif looks_like_datetime(values):
            kinds["datetime" if config.date_parts else "dropped"].append(column)
        else:
            kinds["categorical"].append(column)
    if not (kinds["numeric"] or kinds["categorical"] or kinds["datetime"]):
        raise DataError(
            _(
                "No feature column is left to learn from (all were dropped or are empty); "
                "keep at least one column besides the target."
            )
        )
    return kinds


def _validate_feature_config(df: pd.DataFrame, problem: ProblemConfig, config: FeatureConfig) -> None:
    if config.numeric_scaling not in SCALINGS:
        raise ConfigError(
            _("The numeric scaling must be one of {scalings}; got '{scaling}' instead.").format(
                scalings=", ".join(SCALINGS), scaling=config.numeric_scaling
            )
        )
    if int(config.max_categories) < 2:
        raise ConfigError(
            _("The maximum number of categories must be at least 2; got {value} instead.").format(
                value=config.max_categories
            )
        )
    for column in config.log_columns:
        if column in df.columns and column != problem.target and not _is_numeric_feature(df[column]):
            raise ConfigError(
                _(
                    "The column '{column}' is not numeric, so it cannot be log-transformed; "
                    "remove it from the log columns."
                ).format(column=column)
            )


# ---------------------------------------------------------------- transformers


class DateParts(BaseEstimator, TransformerMixin):
    """Turn date columns into numbers: year, month, day of week, days since 1970 (+ hour if times vary).

    Accepts datetime64 columns and ISO text; unreadable dates become NaN (imputed afterwards).
    """

    def fit(self, X: Any, y: Any = None) -> DateParts:
        frame = self._to_frame(X)
        self.feature_names_in_ = np.asarray(frame.columns, dtype=object)
        self.n_features_in_ = frame.shape[1]
        dates = [parse_datetimes(frame[c]) for c in frame.columns]
        # Hours only help when the dates carry a time of day (transaction timestamps, not birthdays).
        self.with_hour_ = any(bool((d.dropna().dt.hour != 0).any()) for d in dates)
        return self

    def transform(self, X: Any) -> np.ndarray:
        frame = self._to_frame(X)
        blocks = [self._parts(parse_datetimes(frame[c])) for c in frame.columns]
        return np.column_stack(blocks) if blocks else np.empty((len(frame), 0))

    def _parts(self, dates: pd.Series) -> np.ndarray:
        epoch_days = (dates - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
        parts = [dates.dt.year, dates.dt.month, dates.dt.day_of_week, epoch_days]
        if self.with_hour_:
            parts.append(dates.dt.hour)
        return np.column_stack([p.astype("float64").to_numpy() for p in parts])

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        columns = self.feature_names_in_ if input_features is None else input_features
        suffixes = ["year", "month", "dayofweek", "days_since_1970"] + (["hour"] if self.with_hour_ else [])
        return np.asarray([f"{c}_{s}" for c in columns for s in suffixes], dtype=object)

    @staticmethod
    def _to_frame(X: Any) -> pd.DataFrame:
        if isinstance(X, pd.DataFrame):
            return X.reset_index(drop=True)
        array = np.asarray(X, dtype=object)
        array = array.reshape(len(array), -1)
        return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


def to_float_frame(X: Any) -> Any:
    """Numbers as float64 with NaN for missing (handles nullable Int64/boolean and pd.NA)."""
    if isinstance(X, pd.DataFrame):
        columns = [_column_as_floats(X.iloc[:, i]) for i in range(X.shape[1])]
        values = np.column_stack(columns) if columns else np.empty((len(X), 0))
        return pd.DataFrame(values, index=X.index, columns=X.columns)
    return np.asarray(X, dtype="float64")


def _column_as_floats(column: pd.Series) -> np.ndarray:
    if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
        column = pd.to_numeric(column, errors="coerce")
    return column.to_numpy(dtype="float64", na_value=np.nan)


def to_text_frame(X: Any) -> Any:
    """Categories as Python str with NaN for missing, so mixed types (1, "a", True) encode alike."""
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X, dtype=object))
    columns = [_column_as_text(frame.iloc[:, i]) for i in range(frame.shape[1])]
    values = np.column_stack(columns) if columns else np.empty((len(frame), 0), dtype=object)
    return pd.DataFrame(values, index=frame.index, columns=frame.columns)


def _column_as_text(column: pd.Series) -> np.ndarray:
    """Each distinct value written once: text as it is, 3.0 as "3", missing as NaN."""
    try:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists): one at a time
        return column.astype(object).map(category_text, na_action="ignore").where(column.notna(), np.nan).to_numpy()
    texts = np.array([category_text(u) for u in np.asarray(uniques, dtype=object)] + [np.nan], dtype=object)
    return texts[codes]


def category_text(value: Any) -> str:
    """A category as the encoders see it: text as it is, a whole float as an integer ("3", not "3.0")."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def safe_log1p(X: Any) -> Any:
    """log(1 + x), with negatives clipped to 0 so a surprise negative at serving time cannot give NaN."""
    return np.log1p(np.clip(np.asarray(X, dtype="float64"), 0, None))


def _make_scaler(config: FeatureConfig) -> Any:
    if config.numeric_scaling == "standard":
        return StandardScaler()
    if config.numeric_scaling == "minmax":
        return MinMaxScaler()
    return "passthrough"


def _numeric_pipeline(config: FeatureConfig, log: bool) -> Pipeline:
    steps: list[tuple[str, Any]] = [
        ("to_float", FunctionTransformer(to_float_frame, feature_names_out="one-to-one")),
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
    ]
    if log:
        steps.append(("log1p", FunctionTransformer(safe_log1p, feature_names_out="one-to-one")))
    steps.append(("scale", _make_scaler(config)))
    return Pipeline(steps)


def _categorical_pipeline(config: FeatureConfig) -> Pipeline:
    if config.one_hot:
        encoder: Any = OneHotEncoder(
            handle_unknown="infrequent_if_exist", max_categories=int(config.max_categories), sparse_output=False
        )
    else:
        encoder = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, max_categories=int(config.max_categories)
        )
    return Pipeline(
        [
            ("to_text", FunctionTransformer(to_text_frame, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="constant", fill_value="missing", keep_empty_features=True)),
            ("encode", encoder),
        ]
    )


def _date_pipeline(config: FeatureConfig) -> Pipeline:
    return Pipeline(
        [
            ("parts", DateParts()),
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", _make_scaler(config)),
        ]
    )


def build_preprocessor(df: pd.DataFrame, problem: ProblemConfig, config: FeatureConfig) -> ColumnTransformer:
    """An UNFITTED ColumnTransformer; dropped columns are ignored.

    Columns that are treated alike share one step (numbers, log-scaled numbers, categories): each
    step costs ~3 ms per call whatever its width, and a single-row prediction pays for every
    step. Date columns keep a step each, as whether to add the hour is decided per column.
    """
    kinds = get_feature_kinds(df, problem, config)
    used = _input_columns(df, problem)
    numeric = [c for c in used if c in kinds["numeric"]]
    groups = [
        ("numeric", _numeric_pipeline(config, log=False), [c for c in numeric if c not in config.log_columns]),
        ("numeric_log", _numeric_pipeline(config, log=True), [c for c in numeric if c in config.log_columns]),
        ("categorical", _categorical_pipeline(config), [c for c in used if c in kinds["categorical"]]),
    ]
    transformers = [group for group in groups if group[2]]
    # Fixed or positional step names: column names could clash with ColumnTransformer parameters.
    transformers += [
        (f"date{i}", _date_pipeline(config), [column])
        for i, column in enumerate(c for c in used if c in kinds["datetime"])
    ]
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=False)


def get_output_feature_sources(fitted_preprocessor: ColumnTransformer) -> dict[str, str]:
    """Map every output feature name (in output order) to the input column it came from."""
    sources: dict[str, str] = {}
    for name, transformer, columns in fitted_preprocessor.transformers_:
        if name == "remainder" or transformer == "drop" or len(columns) == 0:
            continue
        columns = [str(c) for c in columns]
        if transformer == "passthrough":
            outputs = columns
        else:
            outputs = [str(n) for n in transformer.get_feature_names_out(columns)]
        for output, source in zip(outputs, _output_owners(transformer, columns, outputs)):
            key = f"{name}__{output}" if fitted_preprocessor.verbose_feature_names_out else output
            sources[key] = source
    return sources


def _output_owners(transformer: Any, columns: list[str], outputs: list[str]) -> list[str]:
    """The input column behind each output of one step of a ColumnTransformer."""
    if len(columns) == 1:
        return [columns[0]] * len(outputs)
    if len(outputs) == len(columns):  # one output per column, in column order (numbers, ordinal codes)
        return list(columns)
    owners = _owners_by_stand_in_names(transformer, len(columns))
    if owners is not None and len(owners) == len(outputs):
        return [columns[i] for i in owners]
    return [_match_source(output, columns) for output in outputs]


_STAND_IN = re.compile(r"^\x00(\d+)\x00")


def _owners_by_stand_in_names(transformer: Any, n_columns: int) -> list[int] | None:
    """Ask the step for its output names with stand-in input names ("\\x00<i>\\x00"), so a
    one-hot output is traced to its column even when names are ambiguous ("plan" + "a_x" vs
    "plan_a" + "x"). Leading steps that check their input names (to_text) are one-to-one and
    are skipped."""
    stand_ins = [f"\x00{i}\x00" for i in range(n_columns)]
    chain = transformer if isinstance(transformer, Pipeline) else Pipeline([("step", transformer)])
    for start in range(len(chain)):
        try:
            names = [str(n) for n in chain[start:].get_feature_names_out(stand_ins)]
        except (ValueError, AttributeError, TypeError):
            continue
        matches = [_STAND_IN.match(n) for n in names]
        positions = [int(m.group(1)) for m in matches if m is not None]
        if len(positions) == len(names):  # every name is a stand-in's
            return positions
    return None


def _match_source(output: str, columns: list[str]) -> str:
    if len(columns) == 1:
        return columns[0]
    candidates = [c for c in columns if output == c or output.startswith(f"{c}_")]
    return max(candidates, key=len) if candidates else columns[0]


# ---------------------------------------------------------------- description


def describe_feature_set(df: pd.DataFrame, problem: ProblemConfig, config: FeatureConfig) -> pd.DataFrame:
    """One row per input column: its kind and, in words, what happens to it."""
    kinds = get_feature_kinds(df, problem, config)
    kind_of = {column: kind for kind, columns in kinds.items() for column in columns}
    rows = []
    for column in _input_columns(df, problem):
        values = df[column]
        kind = kind_of[column]
        rows.append(
            {
                "column": column,
                "kind": kind,
                "missing": int(values.isna().sum()),
                "transformation": _describe_transformation(values, kind, column, config),
            }
        )
    return pd.DataFrame(rows, columns=["column", "kind", "missing", "transformation"])


def get_readable_feature_set(description: pd.DataFrame) -> pd.DataFrame:
    """``describe_feature_set``'s table as shown: kinds and headings in the session's language."""
    shown = description.assign(
        kind=description["kind"].map(lambda kind: _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind)
    )
    return shown.rename(
        columns={
            "column": _("column"),
            "kind": _("kind"),
            "missing": _("missing"),
            "transformation": _("transformation"),
        }
    )


def _describe_transformation(values: pd.Series, kind: str, column: str, config: FeatureConfig) -> str:
    filled = values.isna().any()
    if kind == "dropped":
        reason = get_drop_reason(values)
        if column in config.drop_columns:
            return _("dropped: {reason}").format(reason=_(reason)) if reason else _("dropped: excluded by you")
        return _("dropped: {reason}").format(reason=_(reason) if reason else _("dates not used"))
    if kind == "numeric":
        scaling = _(SCALING_LABELS[config.numeric_scaling])
        text = _("log then {scaling}").format(scaling=scaling) if column in config.log_columns else scaling
        return _("missing filled with the median, {steps}").format(steps=text) if filled else text
    if kind == "datetime":
        if filled:
            return _("date parts: year, month, day of week, days since 1970 (missing filled with the median)")
        return _("date parts: year, month, day of week, days since 1970")
    n_categories = int(values.nunique()) + int(filled)
    encoding = _("one-hot") if config.one_hot else _("ordinal codes")
    if n_categories > config.max_categories:
        kept = config.max_categories - 1
        text = _("{encoding}, {kept} most frequent of {n} categories + 'other'").format(
            encoding=encoding, kept=kept, n=n_categories
        )
    else:
        text = _("{encoding}, {n} categories").format(encoding=encoding, n=n_categories)
    return _("{steps} (missing is its own category)").format(steps=text) if filled else text
