"""Data-drift statistics: PSI for every column, and tests registered by name (Evidently style).

PSI (population stability index) measures how much a distribution moved, whatever the sample
size; a significance test says whether a difference is more than noise. Each test is one small
function of (the column's prepared reference, its current values per group) returning one value
per group, registered in `DRIFT_TESTS` with the column kinds it applies to and what it measures
(`register_drift_test`): a p-value (KS, chi-squared) or a distance with its threshold
(Jensen–Shannon, Wasserstein). `DriftConfig` names the p-value test for numeric columns (KS by
default) and for categorical ones (chi-squared by default) and the distances to add (none by
default); `get_feature_drift_df` applies them per column and records in its `test` column which
test ran. A new test is one function and one decorator; its formula belongs in core/statistics.py.

Speed: the reference is sorted and binned once (`reference.prepare_reference`, kept per deployment
version by `get_prepared_reference`). A current numeric column is not sorted: with many distinct
reference values it is counted per cell of the reference's value axis (`reference.CellGrid`), which
gives KS exactly from the few cells where the gap could be largest (`statistics.ks_cells_to_open`);
with few, it is counted at the reference's values. Categories are counted by code (Arrow text is
looked up by Arrow). Every statistic is the same ratio of counts scipy computes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import ks_2samp

from core.i18n import N_
from core.monitoring.reference import (
    ColumnReference,
    CurrentColumn,
    NumericReference,
    OpenedCells,
    PreparedReference,
    get_prepared_reference,
    prepare_current,
    prepare_reference,
)
from core.monitoring.reference import is_numeric_column as is_numeric_column  # simulation's import place
from core.statistics import (
    chi2_pvalue_from_counts,
    jensen_shannon_from_counts,
    ks_pvalues,
    ks_statistic_counts,
    ks_statistic_distinct,
    ks_statistic_in_cells,
    psi_from_counts,
    wasserstein_distinct,
)
from core.workspace.errors import ConfigError, DataError

# Conventional PSI reading: < 0.1 stable, 0.1–0.25 moderate, ≥ 0.25 major.
MODERATE_PSI = 0.1
MAJOR_PSI = 0.25
# The chi-squared approximation is poor for cells with tiny counts: rarer categories are pooled.
MIN_CATEGORY_COUNT = 5
FEATURE_DRIFT_COLUMNS = ["feature", "kind", "psi", "test", "pvalue", "drifted", "label", "new_rows", "new_share"]


def _check_not_empty(reference: pd.Series, current: pd.Series, test: str) -> None:
    for role, sample in (("reference", reference), ("current", current)):
        if len(sample) == 0:
            raise DataError(
                f"Cannot compute {test}: the {role} sample is empty; "
                "pass at least one row in both the reference and the current data."
            )


def _single_group(current: pd.Series | pd.DataFrame) -> np.ndarray:
    return np.zeros(len(current), dtype=np.int64)


def _prepare_pair(
    reference: pd.Series, current: pd.Series, codes: np.ndarray, n_groups: int, bins: int = 10
) -> tuple[ColumnReference, CurrentColumn]:
    ref = prepare_reference(pd.DataFrame({"x": reference}), ["x"], bins).columns["x"]
    return ref, prepare_current(ref, current, codes, n_groups)


# --- PSI and the tests on one pair of samples ------------------------------------------------------


def psi(reference: pd.Series, current: pd.Series, bins: int = 10) -> float:
    """Population stability index of `current` against `reference` (0 = same distribution)."""
    reference, current = pd.Series(reference), pd.Series(current)
    _check_not_empty(reference, current, "PSI")
    ref, cur = _prepare_pair(reference, current, _single_group(current), 1, bins)
    return float(psi_from_counts(ref.counts, cur.counts)[0])


def ks_pvalue(reference: pd.Series, current: pd.Series) -> float:
    """Two-sample Kolmogorov–Smirnov p-value for numeric values (missing values ignored).

    Uses scipy's asymptotic method, which the many-window path reproduces exactly in one
    vectorised call. Returns 1.0 when one side has no values at all.
    """
    reference, current = pd.Series(reference), pd.Series(current)
    _check_not_empty(reference, current, "the KS test")
    ref = pd.to_numeric(reference, errors="coerce").dropna().to_numpy(dtype=float)
    cur = pd.to_numeric(current, errors="coerce").dropna().to_numpy(dtype=float)
    if len(ref) == 0 or len(cur) == 0:
        return 1.0
    return float(ks_2samp(ref, cur, method="asymp").pvalue)


def chi2_pvalue(reference: pd.Series, current: pd.Series) -> float:
    """Chi-squared test of independence between sample (reference/current) and category.

    Uses the PSI's category buckets: values never seen in the reference share a '<new>' bucket
    with a zero reference count; buckets with tiny counts are pooled; with a single category
    left there is nothing to compare: 1.0.
    """
    reference, current = pd.Series(reference), pd.Series(current)
    _check_not_empty(reference, current, "the chi-squared test")
    ref = prepare_reference(pd.DataFrame({"x": reference.astype(object)}), ["x"]).columns["x"]
    cur = prepare_current(ref, current.astype(object), _single_group(current), 1)
    return chi2_pvalue_from_counts(ref.counts, cur.counts[0], MIN_CATEGORY_COUNT)


# --- drift tests, registered by name with the column kinds they apply to -------------------------

COLUMN_KINDS = ("numeric", "categorical")
MEASURES = ("pvalue", "distance")
# (the column's prepared reference, its current values per group) -> one value per group.
GroupedTest = Callable[[ColumnReference, CurrentColumn], np.ndarray]


@dataclass(frozen=True)
class DriftTest:
    """A drift statistic: its name, the column kinds it applies to, its function, and what it measures:
    a p-value (significant below DriftConfig.pvalue_threshold) or a distance (drift at or above
    ``threshold``)."""

    name: str
    kinds: tuple[str, ...]
    compute: GroupedTest
    description: str
    measure: str = "pvalue"
    threshold: float | None = None


DRIFT_TESTS: dict[str, DriftTest] = {}


def register_drift_test(
    name: str, kinds: tuple[str, ...], description: str, *, measure: str = "pvalue", threshold: float | None = None
) -> Callable[[GroupedTest], GroupedTest]:
    """Register the decorated function as the drift test ``name`` for columns of ``kinds``."""
    unknown = [kind for kind in kinds if kind not in COLUMN_KINDS]
    if unknown or not kinds:
        raise ConfigError(
            f"A drift test applies to column kinds among {', '.join(COLUMN_KINDS)}; got {kinds!r} instead."
        )
    if measure not in MEASURES or (measure == "distance") != (threshold is not None):
        raise ConfigError(
            f"A drift test measures a 'pvalue' or a 'distance' (with the threshold from which it is drift); "
            f"got measure {measure!r} and threshold {threshold!r} instead."
        )

    def register(function: GroupedTest) -> GroupedTest:
        DRIFT_TESTS[name] = DriftTest(name, tuple(kinds), function, description, measure, threshold)
        return function

    return register


@register_drift_test("ks", ("numeric",), "two-sample Kolmogorov–Smirnov test (asymptotic p-value, as ks_pvalue)")
def ks_pvalues_per_group(ref: ColumnReference, cur: CurrentColumn) -> np.ndarray:
    """KS p-value of each group against the prepared reference; equal to ``ks_pvalue`` per group."""
    assert isinstance(ref, NumericReference)
    sizes = np.bincount(cur.groups, minlength=len(cur.counts)) if cur.groups is not None else np.zeros(0)
    statistics = np.full(len(sizes), np.nan)
    for group in np.flatnonzero(sizes if ref.size else np.zeros(0)):
        if cur.at_distinct is not None:
            at_most, below = cur.at_distinct
            statistics[group] = ks_statistic_counts(ref.at_most, at_most[group], below[group], int(sizes[group]))
        elif cur.cells is not None:
            statistics[group] = _ks_statistic_in_cells(ref, cur.cells, int(group))
        else:
            statistics[group] = ks_statistic_distinct(ref.values, ref.at_most, cur.get_sorted_groups()[group])
    return ks_pvalues(statistics, np.full(len(sizes), ref.size), sizes)


def _ks_statistic_in_cells(ref: NumericReference, cells: OpenedCells, group: int) -> float:
    """KS of one group from its counts per cell: the reference's distinct values in the opened cells
    are compared with the group's values there (``core.statistics.ks_cells_to_open``)."""
    assert ref.grid is not None
    starts = ref.grid.get_merged(cells.shift)[0]
    opened = np.flatnonzero(cells.opened[group])
    lengths = starts[opened + 1] - starts[opened]
    index = np.arange(lengths.sum()) + np.repeat(starts[opened] - (np.cumsum(lengths) - lengths), lengths)
    in_cell = np.repeat(opened, lengths)
    points = ref.values[index]
    return ks_statistic_in_cells(
        float(cells.bound[group]),
        ref.at_most[index],
        np.concatenate(([0], ref.at_most))[index],
        ref.size,
        cells.count_at_most(group, points, in_cell, "right"),
        cells.count_at_most(group, points, in_cell, "left"),
        int(cells.sizes[group]),
    )


@register_drift_test("chi2", ("categorical",), "chi-squared test on the PSI's category buckets (as chi2_pvalue)")
def chi2_pvalues_per_group(ref: ColumnReference, cur: CurrentColumn) -> np.ndarray:
    """Chi-squared p-value of each group; equal to ``chi2_pvalue`` per group."""
    return np.array([chi2_pvalue_from_counts(ref.counts, row, MIN_CATEGORY_COUNT) for row in cur.counts])


@register_drift_test(
    "jensen_shannon",
    ("numeric", "categorical"),
    "Jensen–Shannon distance (base 2) between the shares in the PSI's bins or categories: 0 same, 1 no overlap",
    measure="distance",
    threshold=0.1,
)
def jensen_shannon_per_group(ref: ColumnReference, cur: CurrentColumn) -> np.ndarray:
    """Jensen–Shannon distance of each group's shares from the reference's; bounded, symmetric, and
    needs no floor for an empty bin (unlike PSI). 0.1 is the usual drift threshold (Evidently's)."""
    return jensen_shannon_from_counts(ref.counts, cur.counts)


@register_drift_test(
    "wasserstein",
    ("numeric",),
    "Wasserstein distance (how far values moved) in reference standard deviations",
    measure="distance",
    threshold=0.1,
)
def wasserstein_per_group(ref: ColumnReference, cur: CurrentColumn) -> np.ndarray:
    """Earth mover's distance of each group from the reference, divided by the reference's standard
    deviation (in the column's own units when that is 0): 0.1 means the values moved a tenth of a
    standard deviation on average, whatever the column's units. 0.1 is the usual threshold (Evidently's)."""
    assert isinstance(ref, NumericReference)
    scale = ref.std if ref.std > 0 else 1.0
    return np.array([wasserstein_distinct(ref.values, ref.at_most, group) / scale for group in cur.get_sorted_groups()])


def get_distance_names() -> list[str]:
    """The registered distances, in registration order: each is a column of the feature-drift table."""
    return [test.name for test in DRIFT_TESTS.values() if test.measure == "distance"]


def _get_group_codes(current: pd.DataFrame, by: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(group values, group code per row); a single group when `by` is None."""
    if by is None:
        return np.array([None], dtype=object), _single_group(current)
    groups, codes = np.unique(current[by].to_numpy(), return_inverse=True)
    return groups, codes.astype(np.int64)


def get_psi_per_group(reference: pd.Series, current: pd.Series, groups: np.ndarray, bins: int = 10) -> pd.Series:
    """PSI of each group of `current` (e.g. each window) against the reference, in one pass."""
    reference, current = pd.Series(reference), pd.Series(current)
    _check_not_empty(reference, current, "PSI")
    values, codes = np.unique(np.asarray(groups), return_inverse=True)
    ref, cur = _prepare_pair(reference, current, codes.astype(np.int64), len(values), bins)
    return pd.Series(psi_from_counts(ref.counts, cur.counts), index=values, name="psi")


def describe_psi(value: float) -> str:
    """The conventional meaning of a PSI value, in words (English: a stored code; shown with ``_()``)."""
    if value is None or pd.isna(value):
        return N_("unknown")
    if value < MODERATE_PSI:
        return N_("no drift")
    if value < MAJOR_PSI:
        return N_("moderate drift")
    return N_("major drift")


@dataclass(frozen=True)
class DriftConfig:
    """When a feature counts as drifted.

    A feature is drifted when psi ≥ psi_threshold, OR when its test is significant
    (pvalue < pvalue_threshold) AND the shift is at least moderate (psi ≥ 0.1), OR when one of the
    chosen ``distances`` (registered drift tests measuring a distance: "jensen_shannon",
    "wasserstein") reaches its threshold AND the test is significant. The p-value is not enough on
    its own: with thousands of rows, a test flags shifts too small to matter; a distance is not
    either: on a few hundred rows, sampling noise alone reaches the usual 0.1 (half of the features
    of sklearn's breast_cancer split in two halves, without any shift). PSI and the distances measure
    how large the shift is, the p-value whether it is more than noise. No distance by default, so
    the default gives the same results as before distances existed.
    """

    psi_threshold: float = MAJOR_PSI
    pvalue_threshold: float = 0.01
    bins: int = 10
    numeric_test: str = "ks"  # the names of registered drift tests (DRIFT_TESTS)
    categorical_test: str = "chi2"
    distances: tuple[str, ...] = ()

    def validate(self) -> DriftConfig:
        if not isinstance(self.psi_threshold, (int, float)) or not self.psi_threshold > 0:
            raise ConfigError(
                f"The 'psi_threshold' of DriftConfig must be a number above 0 "
                f"(0.25 is the usual choice); got {self.psi_threshold!r} instead."
            )
        if not isinstance(self.pvalue_threshold, (int, float)) or not 0 < self.pvalue_threshold < 1:
            raise ConfigError(
                f"The 'pvalue_threshold' of DriftConfig must be between 0 and 1 "
                f"(0.01 is the usual choice); got {self.pvalue_threshold!r} instead."
            )
        if isinstance(self.bins, bool) or not isinstance(self.bins, int) or self.bins < 2:
            raise ConfigError(
                f"The 'bins' of DriftConfig must be a whole number of at least 2 "
                f"(10 is the usual choice); got {self.bins!r} instead."
            )
        for kind, name in (("numeric", self.numeric_test), ("categorical", self.categorical_test)):
            fitting = [t.name for t in DRIFT_TESTS.values() if kind in t.kinds and t.measure == "pvalue"]
            if name not in fitting:
                raise ConfigError(
                    f"The '{kind}_test' of DriftConfig must name a drift test for {kind} columns "
                    f"({', '.join(fitting)}); got {name!r} instead."
                )
        unknown = [name for name in self.distances if name not in get_distance_names()]
        if not isinstance(self.distances, tuple) or unknown:
            raise ConfigError(
                f"The 'distances' of DriftConfig must be a tuple of registered distances "
                f"({', '.join(get_distance_names())}); got {self.distances!r} instead."
            )
        return self

    def get_test(self, kind: str) -> DriftTest:
        """The registered significance test this configuration runs on columns of ``kind``."""
        return DRIFT_TESTS[self.numeric_test if kind == "numeric" else self.categorical_test]

    def get_distances(self, kind: str) -> list[DriftTest]:
        """The chosen distances that suit columns of ``kind``."""
        return [DRIFT_TESTS[name] for name in self.distances if kind in DRIFT_TESTS[name].kinds]

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "distances": list(self.distances)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "distances" in values:
            values["distances"] = tuple(values["distances"])
        return cls(**values).validate()

    def get_drifted(
        self, psi_values: np.ndarray, pvalues: np.ndarray, distances: pd.DataFrame | None = None
    ) -> np.ndarray:
        """The drift rule above, vectorised (``distances``: one column per distance name, nan where it
        was not computed)."""
        psi_values, pvalues = np.asarray(psi_values, dtype=float), np.asarray(pvalues, dtype=float)
        drifted = (psi_values >= self.psi_threshold) | (
            (pvalues < self.pvalue_threshold) & (psi_values >= MODERATE_PSI)
        )
        significant = pvalues < self.pvalue_threshold
        for name in self.distances if distances is not None else ():
            assert distances is not None
            far = np.nan_to_num(distances[name].to_numpy(dtype=float), nan=-np.inf) >= DRIFT_TESTS[name].threshold
            drifted |= far & significant
        return drifted


def _get_column_drift(
    ref: ColumnReference, series: pd.Series, codes: np.ndarray, n_groups: int, config: DriftConfig
) -> dict[str, Any]:
    """PSI per group, the p-values of the configured test for the column's kind, the chosen distances."""
    cur = prepare_current(ref, series, codes, n_groups)
    test = config.get_test(ref.kind)
    return {
        "kind": ref.kind,
        "test": test.name,
        "psi": psi_from_counts(ref.counts, cur.counts),
        "pvalue": np.asarray(test.compute(ref, cur), dtype=float),
        "new_rows": cur.new_rows,
        **{d.name: np.asarray(d.compute(ref, cur), dtype=float) for d in config.get_distances(ref.kind)},
    }


def get_feature_drift_df(
    reference: pd.DataFrame | PreparedReference,
    current: pd.DataFrame,
    columns: list[str],
    config: DriftConfig = DriftConfig(),
    *,
    by: str | None = None,
    reference_key: Any = None,
) -> pd.DataFrame:
    """One row per column: PSI, the configured significance test for its kind (named in `test`) and
    its p-value, whether it drifted, and how many
    rows (`new_rows`, share `new_share`) hold a value the reference never had (a new category, or
    a new code of a numeric column with a few whole-number values); then one column per distance
    chosen in ``config.distances``, nan for a column it does not suit (Wasserstein for categories).

    With `by` (e.g. "window"), one row per (group, column) and a leading `by` column: every
    group is compared with the same reference, in one vectorised pass per column.

    ``reference`` is the reference rows, or a `PreparedReference` made from them (prepared for
    ``config.bins``); with ``reference_key`` (e.g. ("version", 12)) the prepared reference is kept for
    the next call with the same key (`get_prepared_reference`).
    """
    config.validate()
    columns = list(columns)
    ref_columns = set(reference.columns)
    missing = [c for c in columns if c not in ref_columns or c not in current.columns]
    if by is not None and by not in current.columns:
        missing.append(by)
    if missing:
        raise DataError(
            f"The columns {missing} are missing from the reference or the current data; "
            "monitor only columns present in both."
        )
    ref_rows = reference.rows if isinstance(reference, PreparedReference) else len(reference)
    if ref_rows == 0 or len(current) == 0:
        raise DataError("The reference or the current data is empty; compare at least one row of each.")
    if isinstance(reference, PreparedReference):
        prepared = reference
        if prepared.bins != config.bins:
            raise ConfigError(
                f"The prepared reference has {prepared.bins} bins but the DriftConfig asks for {config.bins}; "
                "prepare it with the configuration's bins."
            )
    else:
        prepared = get_prepared_reference(reference, columns, config.bins, key=reference_key)
    groups, codes = _get_group_codes(current, by)
    # One column at a time: two threads measured slower here than one (the machine's cores are shared).
    stats = [_get_column_drift(prepared.columns[c], current[c], codes, len(groups), config) for c in columns]
    # Group-major order: all columns of the first group, then all columns of the next group.
    n_groups = len(groups)

    def stacked(key: str) -> np.ndarray:
        if not stats:
            return np.empty(0)
        return np.column_stack([s.get(key, np.full(n_groups, np.nan)) for s in stats]).ravel()

    df = pd.DataFrame(
        {
            "feature": np.tile(np.array(columns, dtype=object), n_groups),
            "kind": np.tile(np.array([s["kind"] for s in stats], dtype=object), n_groups),
            "psi": stacked("psi"),
            "test": np.tile(np.array([s["test"] for s in stats], dtype=object), n_groups),
            "pvalue": stacked("pvalue"),
            "new_rows": stacked("new_rows") if stats else [],
        }
    )
    group_sizes = np.bincount(codes, minlength=n_groups)
    df["new_share"] = df["new_rows"].to_numpy(dtype=float) / np.maximum(np.repeat(group_sizes, len(columns)), 1)
    distances = pd.DataFrame({name: stacked(name) for name in config.distances}, index=df.index)
    df["drifted"] = config.get_drifted(df["psi"].to_numpy(), df["pvalue"].to_numpy(), distances)
    df["label"] = [describe_psi(v) for v in df["psi"]]
    df = pd.concat([df[FEATURE_DRIFT_COLUMNS], distances], axis=1).astype(
        {"feature": "str", "kind": "str", "test": "str", "label": "str", "new_rows": "int64", "new_share": "float64"}
    )
    if by is not None:
        df.insert(0, by, np.repeat(groups, len(columns)))
    return df
