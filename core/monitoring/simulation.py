"""Simulated production traffic: windows of rows resampled from a pool, with planted drift.

Each scenario changes the data only from window `drift_start` on, so a monitoring chart shows
a clean "before / after". Which columns were changed is returned with the traffic
(`df.attrs["drifted_columns"]`) and in words by `describe_scenario`.

Columns are chosen automatically from the model's most important features. On a table without
a usable numeric column, the numeric scenarios ("gradual", "sudden") shift the category mix of a
categorical column instead; on a table without a categorical column, "new_category" gives a
low-cardinality numeric column a code it never had (or, failing that, values far out of range).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from core.data.columns import looks_like_identifier
from core.i18n import N_, _
from core.monitoring.drift import is_numeric_column
from core.workspace.errors import ConfigError, DataError

SCENARIOS: dict[str, str] = {
    "none": N_("Production data looks just like the training data: no drift at all."),
    "gradual": N_("A key numeric feature creeps upwards a little more every window, as customers slowly change."),
    "sudden": N_("A key numeric feature jumps at once, as after a change in a form, a sensor or a market."),
    "new_category": N_("A categorical feature suddenly contains a value the model has never seen."),
    "concept": N_("The inputs stay the same but their link to the outcome changes, so the model's answers go stale."),
}
TASKS = ("classification", "regression")
WINDOW_COLUMN = "window"

GRADUAL_STEP_STD = 0.5  # shift added per drifted window, in standard deviations
SUDDEN_SHIFT_STD = 2.0  # one-off shift from drift_start on, in standard deviations
NEW_CATEGORY_SHARE = 0.4  # share of drifted rows that get the never-seen value
AUTO_NUMERIC_COLUMNS = 2  # numeric features drifted when none are chosen (2 → retrain rule fires)
MIN_NUMERIC_UNIQUE = 5  # fewer distinct values: a code or a flag, not a quantity to shift
MAX_CATEGORIES = 50  # more distinct values: an identifier or free text, not a category
MAX_CODE_UNIQUE = 20  # numeric columns with at most this many values can act as categories


@dataclass(frozen=True)
class TrafficConfig:
    """How much traffic to simulate and which drift to plant in it."""

    scenario: str = "none"
    windows: int = 6
    rows_per_window: int = 500
    drift_start: int = 3  # first drifted window, 1-based
    seed: int = 0
    columns: tuple[str, ...] = ()  # empty: choose automatically
    # Labels arrive late: the last `label_delay` windows have none yet, and of the earlier windows only
    # a `label_share` of the rows (chosen at random, seeded) ever gets its label.
    label_delay: int = 0
    label_share: float = 1.0
    # Each window's rows reach the endpoint as requests of this many rows (the last one of a window may
    # hold fewer; a window of over 25 requests sends bigger ones), so each request's latency is logged
    # with its window.
    rows_per_request: int = 20

    def validate(self) -> TrafficConfig:
        if self.scenario not in SCENARIOS:
            raise ConfigError(
                _("The 'scenario' of TrafficConfig must be one of {options}; got {value} instead.").format(
                    options=", ".join(SCENARIOS), value=repr(self.scenario)
                )
            )
        for name, minimum in (("windows", 1), ("rows_per_window", 10), ("rows_per_request", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ConfigError(
                    _(
                        "The '{name}' of TrafficConfig must be a whole number of at least {minimum}; got {value} instead."
                    ).format(name=name, minimum=minimum, value=repr(value))
                )
        if self.scenario != "none" and (
            isinstance(self.drift_start, bool)
            or not isinstance(self.drift_start, int)
            or not 1 <= self.drift_start <= self.windows
        ):
            raise ConfigError(
                _(
                    "The 'drift_start' of TrafficConfig must be a window number from 1 to {windows}; got {value} instead."
                ).format(windows=self.windows, value=repr(self.drift_start))
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ConfigError(
                _("The 'seed' of TrafficConfig must be a whole number; got {value} instead.").format(
                    value=repr(self.seed)
                )
            )
        if (
            isinstance(self.label_delay, bool)
            or not isinstance(self.label_delay, int)
            or not 0 <= self.label_delay <= self.windows
        ):
            raise ConfigError(
                _(
                    "The 'label_delay' of TrafficConfig must be a whole number of windows from 0 to {windows}; "
                    "got {value} instead."
                ).format(windows=self.windows, value=repr(self.label_delay))
            )
        if (
            isinstance(self.label_share, bool)
            or not isinstance(self.label_share, (int, float))
            or not 0 < self.label_share <= 1
        ):
            raise ConfigError(
                _(
                    "The 'label_share' of TrafficConfig must be a share above 0 and at most 1; got {value} instead."
                ).format(value=repr(self.label_share))
            )
        if isinstance(self.columns, str) or not all(isinstance(c, str) for c in self.columns):
            raise ConfigError(
                _("The 'columns' of TrafficConfig must be a list of column names; got {value} instead.").format(
                    value=repr(self.columns)
                )
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["columns"] = list(self.columns)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrafficConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "columns" in values and not isinstance(values["columns"], str):
            values["columns"] = tuple(values["columns"])
        return cls(**values).validate()


# --- choosing columns -------------------------------------------------------------------------


def _is_plain_numeric(series: pd.Series) -> bool:
    """Numbers we can shift arithmetically (dates count as numeric for drift, but not here)."""
    return is_numeric_column(series) and not pd.api.types.is_datetime64_any_dtype(series)


def _is_shiftable_numeric(series: pd.Series) -> bool:
    return (
        _is_plain_numeric(series)
        and not looks_like_identifier(series)
        and series.nunique() >= MIN_NUMERIC_UNIQUE
        and float(series.std()) > 0
    )


def _is_categorical(series: pd.Series) -> bool:
    if is_numeric_column(series) or pd.api.types.is_datetime64_any_dtype(series):
        return False
    return 2 <= series.nunique() <= MAX_CATEGORIES and not looks_like_identifier(series)


def _is_code_numeric(series: pd.Series) -> bool:
    """A numeric column with few values (ratings, counts, flags) that can act as categories."""
    return _is_plain_numeric(series) and 2 <= series.nunique() <= MAX_CODE_UNIQUE and not looks_like_identifier(series)


def _match_pool_column(name: str, pool_columns: list[str]) -> str | None:
    """Map an importance name to a pool column: exact, or an encoded name like 'cat__contract_One year'."""
    if name in pool_columns:
        return name
    bare = name.split("__", 1)[-1]
    if bare in pool_columns:
        return bare
    prefixed = [c for c in pool_columns if bare.startswith(f"{c}_")]
    return max(prefixed, key=len) if prefixed else None


def _rank_columns(pool: pd.DataFrame, candidates: list[str], important_features: list[str]) -> list[str]:
    """Candidates ordered by importance first, then in table order."""
    pool_columns = [str(c) for c in pool.columns]
    ranked: list[str] = []
    for name in important_features:
        column = _match_pool_column(str(name), pool_columns)
        if column in candidates and column not in ranked:
            ranked.append(column)
    return ranked + [c for c in candidates if c not in ranked]


def _get_feature_columns(pool: pd.DataFrame, target: str) -> list[str]:
    return [c for c in pool.columns if c not in (target, WINDOW_COLUMN)]


def _choose_columns(
    pool: pd.DataFrame, target: str, config: TrafficConfig, important_features: list[str], kind: str, count: int
) -> list[str]:
    """Columns of one kind ('numeric', 'categorical', 'code', 'any') for a scenario."""
    checks = {
        "numeric": _is_shiftable_numeric,
        "categorical": _is_categorical,
        "code": _is_code_numeric,
        "any": lambda s: _is_shiftable_numeric(s) or _is_categorical(s) or _is_code_numeric(s),
    }
    if config.columns:
        return [c for c in config.columns if checks[kind](pool[c])][:count]
    candidates = [c for c in _get_feature_columns(pool, target) if checks[kind](pool[c])]
    return _rank_columns(pool, candidates, list(important_features))[:count]


# --- scenarios ---------------------------------------------------------------------------------


def _set_values(traffic: pd.DataFrame, column: str, mask: np.ndarray, values: Any) -> None:
    """Assign values to masked rows, widening the dtype when the new values need it."""
    original = traffic[column]
    try:
        updated = original.copy()
        updated[mask] = values
    except (TypeError, ValueError):
        updated = original.astype(object)
        updated[mask] = values
    traffic[column] = updated


def _shift_numeric(
    traffic: pd.DataFrame, column: str, shift_std: np.ndarray, std: float, rng: np.random.Generator
) -> None:
    """Add shift_std (per row, in standard deviations) to a numeric column.

    Integer columns stay whole numbers by random rounding of the shift (2.3 becomes 2 or 3,
    3 with probability 0.3): plain rounding would erase small shifts and make "gradual" steps
    uneven, random rounding keeps the average shift exact.
    """
    original = traffic[column]
    shift = shift_std * std
    if pd.api.types.is_integer_dtype(original) or _holds_whole_numbers(original):
        shift = np.floor(shift + rng.random(len(shift))) * (shift > 0)
    shifted = original.astype("float64") + shift
    if pd.api.types.is_integer_dtype(original):
        shifted = shifted.astype(original.dtype)  # shifts are upwards: no wrap-around
    traffic[column] = shifted


def _holds_whole_numbers(series: pd.Series) -> bool:
    values = series.dropna().astype("float64")
    return bool(len(values)) and bool((values % 1 == 0).all())


def _get_window_factor(windows: np.ndarray, drift_start: int, gradual: bool) -> np.ndarray:
    """0 before drift_start; then 1, 2, 3, … (gradual) or 1 (sudden) per row."""
    steps = np.clip(windows - drift_start + 1, 0, None)
    return steps.astype(float) if gradual else (steps > 0).astype(float)


def _shift_category_mix(
    traffic: pd.DataFrame, pool: pd.DataFrame, column: str, factor: np.ndarray, rng: np.random.Generator, step: float
) -> None:
    """Fallback drift for tables without numeric columns: rows move to the rarest category."""
    rarest = pool[column].value_counts().index[-1]
    share = np.clip(factor * step, 0, 0.9)
    mask = rng.random(len(traffic)) < share
    _set_values(traffic, column, mask, rarest)


def _get_new_value(pool: pd.DataFrame, column: str) -> Any:
    """A value the pool never had: 'Three year' after 'One/Two year', else 'new_<col>_value'.

    Numeric columns get the next whole code above the maximum, or a value 3 std above it.
    """
    series = pool[column]
    if is_numeric_column(series):
        values = series.dropna().astype("float64")
        if _holds_whole_numbers(series):
            return series.dropna().max() + 1
        return float(values.max() + 3 * values.std())
    seen = set(series.dropna().astype(str))
    if {"One year", "Two year"} <= seen and "Three year" not in seen:
        return "Three year"
    return f"new_{column}_value"


def _apply_numeric_drift(
    traffic: pd.DataFrame,
    pool: pd.DataFrame,
    target: str,
    config: TrafficConfig,
    important_features: list[str],
    rng: np.random.Generator,
) -> list[str]:
    gradual = config.scenario == "gradual"
    factor = _get_window_factor(traffic[WINDOW_COLUMN].to_numpy(), config.drift_start, gradual)
    columns = _choose_columns(pool, target, config, important_features, "numeric", AUTO_NUMERIC_COLUMNS)
    if columns:
        step = GRADUAL_STEP_STD if gradual else SUDDEN_SHIFT_STD
        for column in columns:
            _shift_numeric(traffic, column, factor * step, float(pool[column].std()), rng)
        return columns
    # No numeric column: shift the category mix instead (more every window when gradual).
    columns = _choose_columns(pool, target, config, important_features, "categorical", 1)
    if not columns:
        columns = _choose_columns(pool, target, config, important_features, "code", 1)
    for column in columns:
        _shift_category_mix(traffic, pool, column, factor, rng, 0.15 if gradual else 0.5)
    return columns


def _apply_new_category(
    traffic: pd.DataFrame,
    pool: pd.DataFrame,
    target: str,
    config: TrafficConfig,
    important_features: list[str],
    rng: np.random.Generator,
) -> list[str]:
    columns = _choose_columns(pool, target, config, important_features, "categorical", 1)
    if not columns:  # no text column: a numeric code column gets a code it never had
        columns = _choose_columns(pool, target, config, important_features, "code", 1)
    if not columns:
        columns = _choose_columns(pool, target, config, important_features, "numeric", 1)
    drifted = traffic[WINDOW_COLUMN].to_numpy() >= config.drift_start
    mask = drifted & (rng.random(len(traffic)) < NEW_CATEGORY_SHARE)
    for column in columns:
        _set_values(traffic, column, mask, _get_new_value(pool, column))
    return columns


def _get_segment_mask(pool: pd.DataFrame, traffic: pd.DataFrame, column: str) -> np.ndarray:
    """Rows above the pool median (numeric) or in the most common category."""
    if is_numeric_column(pool[column]):
        return (traffic[column] > pool[column].median()).to_numpy(dtype=bool, na_value=False)
    return (traffic[column] == pool[column].mode().iloc[0]).to_numpy(dtype=bool, na_value=False)


def _apply_concept_drift(
    traffic: pd.DataFrame,
    pool: pd.DataFrame,
    target: str,
    task: str,
    config: TrafficConfig,
    important_features: list[str],
) -> tuple[list[str], str | None]:
    segment_columns = _choose_columns(pool, target, config, important_features, "any", 1)
    if not segment_columns:
        return [], None
    segment = segment_columns[0]
    mask = (traffic[WINDOW_COLUMN].to_numpy() >= config.drift_start) & _get_segment_mask(pool, traffic, segment)
    labels = traffic[target]
    if task == "classification":
        classes = sorted(pool[target].dropna().unique().tolist(), key=str)
        # Binary: swap the two labels; multi-class: each label becomes the next one.
        mapping = {c: classes[(i + 1) % len(classes)] for i, c in enumerate(classes)}
        _set_values(traffic, target, mask, labels[mask].map(mapping).to_numpy())
    else:
        shifted = labels.astype("float64")
        shifted[mask] = shifted[mask] + float(pd.to_numeric(pool[target], errors="coerce").std())
        traffic[target] = shifted
    return [target], segment


# --- public API --------------------------------------------------------------------------------


def _validate_inputs(pool: pd.DataFrame, target: str, task: str, config: TrafficConfig) -> None:
    config.validate()
    if task not in TASKS:
        raise ConfigError(
            _("The 'task' must be one of {options}; got {value} instead.").format(
                options=", ".join(TASKS), value=repr(task)
            )
        )
    if pool is None or len(pool) == 0:
        raise DataError(_("The pool to sample traffic from is empty; pass a table with at least one row."))
    if target not in pool.columns:
        raise DataError(
            _("The target '{target}' is not a column of the pool; choose one of its columns.").format(target=target)
        )
    if WINDOW_COLUMN in pool.columns:
        raise DataError(
            _(
                "The table already has a column named '{column}', which the traffic simulation uses for its time "
                "windows; rename that column first."
            ).format(column=WINDOW_COLUMN)
        )
    unknown = [c for c in config.columns if c not in pool.columns or c == target]
    if unknown:
        raise DataError(
            _(
                "The columns {columns} chosen to drift are not feature columns of the table; choose columns that "
                "exist and are not the target."
            ).format(columns=unknown)
        )
    if task == "regression" and not is_numeric_column(pool[target]):
        raise DataError(
            _(
                "The target '{target}' is not numeric, so it cannot be a regression target; choose the "
                "classification task or a numeric target."
            ).format(target=target)
        )


def simulate_traffic(
    pool: pd.DataFrame,
    target: str,
    task: str,
    config: TrafficConfig,
    *,
    important_features: Sequence[str] = (),
) -> pd.DataFrame:
    """windows × rows_per_window rows resampled (with replacement, seeded) from pool, drifted.

    The frame has a 'window' column (1..windows) and keeps the target column: the labels that
    "arrive later" (missing for rows whose label has not arrived: ``get_labelled_mask``). `attrs` holds 'drifted_columns', 'segment_column' (concept only),
    'scenario' and a plain 'description'.
    """
    _validate_inputs(pool, target, task, config)
    rng = np.random.default_rng(config.seed)
    n_rows = config.windows * config.rows_per_window
    traffic = pool.iloc[rng.integers(0, len(pool), n_rows)].reset_index(drop=True)
    traffic.insert(0, WINDOW_COLUMN, np.repeat(np.arange(1, config.windows + 1), config.rows_per_window))

    segment = None
    if config.scenario in ("gradual", "sudden"):
        columns = _apply_numeric_drift(traffic, pool, target, config, list(important_features), rng)
    elif config.scenario == "new_category":
        columns = _apply_new_category(traffic, pool, target, config, list(important_features), rng)
    elif config.scenario == "concept":
        columns, segment = _apply_concept_drift(traffic, pool, target, task, config, list(important_features))
    else:
        columns = []
    if config.scenario != "none" and not columns:
        raise DataError(
            _(
                "The table has no column the '{scenario}' scenario can change (a numeric or categorical feature); "
                "add such a feature or choose the 'none' scenario."
            ).format(scenario=config.scenario)
        )
    labelled = get_labelled_mask(traffic[WINDOW_COLUMN].to_numpy(), config)
    if not labelled.all():
        traffic[target] = traffic[target].where(labelled)  # not arrived yet: missing
    traffic.attrs = {
        "scenario": config.scenario,
        "drifted_columns": list(columns),
        "segment_column": segment,
        "description": describe_scenario(config, columns, segment_column=segment),
    }
    return traffic


def get_labelled_mask(windows: np.ndarray, config: TrafficConfig) -> np.ndarray:
    """Which rows have their label by the end of the simulation: none in the last ``label_delay``
    windows, and a random ``label_share`` of the rows before them. Drawn from a random stream of its
    own, so the traffic itself is the same whatever the delay and share."""
    arrived = windows <= config.windows - config.label_delay
    if config.label_share >= 1:
        return arrived
    rng = np.random.default_rng([config.seed, 1])
    return arrived & (rng.random(len(windows)) < config.label_share)


def _format_columns(columns: list[str]) -> str:
    quoted = [f"'{c}'" for c in columns]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def describe_scenario(config: TrafficConfig, columns: list[str], *, segment_column: str | None = None) -> str:
    """One plain sentence saying what the simulation changed, where and from when."""
    start = f"from window {config.drift_start} of {config.windows} on"
    if config.scenario == "none" or not columns:
        return f"All {config.windows} windows are plain samples of the original data: nothing was changed."
    names = _format_columns(list(columns))
    if config.scenario == "gradual":
        return f"{names} creep upwards a little more every window {start}; earlier windows are unchanged."
    if config.scenario == "sudden":
        return f"{names} jump to clearly different values {start}; earlier windows are unchanged."
    if config.scenario == "new_category":
        return (
            f"{names} gets a value never seen in training for about {NEW_CATEGORY_SHARE:.0%} of rows "
            f"{start}; earlier windows are unchanged."
        )
    segment = f" for one segment of rows, defined by '{segment_column}'," if segment_column else ""
    return (
        f"The inputs stay the same, but the outcome {names} changes{segment} {start}, "
        "so the model's learned rules stop holding."
    )


def keep_online_values_in_step(ws: Any, project_id: int, rows: Any) -> dict[str, int]:
    """The traffic's rows are new events: every catalog feature the project uses whose columns they
    hold gets them recorded and its online values recomputed (``featurestore.online.record_events``).
    Called by ``serving.predict`` for the simulator's requests; {feature name: events recorded}."""
    from core.featurestore.online import record_events

    return record_events(ws, project_id, rows)
