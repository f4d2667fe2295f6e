"""Data-drift statistics: PSI for every column, and significance tests registered by name (Evidently style).

PSI (population stability index) measures how much a distribution moved, whatever the sample
size; a significance test says whether a difference is more than noise. Each test is one small
function of (reference, current, group code per row, number of groups) returning a p-value per
group, registered in `DRIFT_TESTS` with the column kinds it applies to (`register_drift_test`).
`DriftConfig` names the test for numeric columns (KS by default) and for categorical ones
(chi-squared by default); `get_feature_drift_df` applies them per column and records in its
`test` column which test ran. A new test is one function and one decorator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, ks_2samp, kstwo

from core.workspace.errors import ConfigError, DataError

# Share given to an empty bin so that log(current / reference) stays finite.
EPSILON = 1e-4
# Conventional PSI reading: < 0.1 stable, 0.1–0.25 moderate, ≥ 0.25 major.
MODERATE_PSI = 0.1
MAJOR_PSI = 0.25
# The chi-squared approximation is poor for cells with tiny counts: rarer categories are pooled.
MIN_CATEGORY_COUNT = 5
# Categorical PSI keeps this many reference categories apart; the rest share one bucket.
MAX_CATEGORIES = 30

# Numeric columns with at most this many whole-number values are codes (ratings, plan numbers):
# a code never seen in the reference is a new value, like a new category.
MAX_CODE_VALUES = 20

FEATURE_DRIFT_COLUMNS = ["feature", "kind", "psi", "test", "pvalue", "drifted", "label", "new_rows", "new_share"]


def is_numeric_column(series: pd.Series) -> bool:
    """True for numbers and dates (compared as points in time), not booleans (two categories)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _check_not_empty(reference: pd.Series, current: pd.Series, test: str) -> None:
    for role, sample in (("reference", reference), ("current", current)):
        if len(sample) == 0:
            raise DataError(
                f"Cannot compute {test}: the {role} sample is empty; "
                "pass at least one row in both the reference and the current data."
            )


# --- counting: every statistic is computed from counts per group (e.g. per window) at once ------


def _as_floats(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series):
        # Days since the epoch: a date's drift is a shift in time; NaT stays missing.
        days = (series - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
        return days.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _get_numeric_counts(
    reference: pd.Series, current: pd.Series, codes: np.ndarray, n_groups: int, bins: int
) -> tuple[np.ndarray, np.ndarray]:
    """Counts per quantile bin of the reference: (reference [bins], current [groups × bins]).

    Inner edges are reference quantiles, deduplicated (a column with few distinct values gets
    fewer bins); outer bins are open-ended so values outside the reference range still count.
    The last bin holds missing values, so a rise in missing values shows up as drift.
    """
    ref, cur = _as_floats(reference), _as_floats(current)
    ref_values = ref[~np.isnan(ref)]
    inner = np.quantile(ref_values, np.linspace(0, 1, bins + 1)[1:-1]) if len(ref_values) else []
    edges = np.unique(inner)
    n_bins = len(edges) + 2  # value bins plus the missing-value bin

    def bin_index(values: np.ndarray) -> np.ndarray:
        # side="left": bin i holds (edge[i-1], edge[i]], matching the quantile definition.
        index = np.searchsorted(edges, values, side="left")
        index[np.isnan(values)] = n_bins - 1
        return index

    ref_counts = np.bincount(bin_index(ref), minlength=n_bins)
    cur_counts = np.bincount(codes * n_bins + bin_index(cur), minlength=n_groups * n_bins)
    return ref_counts, cur_counts.reshape(n_groups, n_bins)


def _get_category_counts(
    reference: pd.Series, current: pd.Series, codes: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Counts per category bucket: (reference [buckets], current [groups × buckets]).

    Buckets: the MAX_CATEGORIES most frequent reference categories; one '<other>' bucket for
    the remaining reference categories (so an identifier-like column does not explode the PSI);
    one '<new>' bucket for values never seen in the reference (so a new category shows up);
    and missing values as a bucket of their own.
    """
    if isinstance(reference.dtype, pd.CategoricalDtype):
        reference = reference.astype(object)
    if isinstance(current.dtype, pd.CategoricalDtype):
        current = current.astype(object)
    ref_counts = reference.value_counts(dropna=True)
    kept = min(len(ref_counts), MAX_CATEGORIES)
    other, new, missing = kept, kept + 1, kept + 2
    n_buckets = kept + 3

    def bucket_index(values: pd.Series) -> np.ndarray:
        position = pd.Index(ref_counts.index).get_indexer(values.to_numpy(dtype=object))
        index = np.where(position < 0, new, np.where(position >= kept, other, position))
        index[values.isna().to_numpy()] = missing
        return index

    ref_bucket_counts = np.zeros(n_buckets, dtype=np.int64)
    ref_bucket_counts[:kept] = ref_counts.to_numpy()[:kept]
    ref_bucket_counts[other] = ref_counts.to_numpy()[kept:].sum()
    ref_bucket_counts[missing] = reference.isna().sum()
    cur_counts = np.bincount(codes * n_buckets + bucket_index(current), minlength=n_groups * n_buckets)
    return ref_bucket_counts, cur_counts.reshape(n_groups, n_buckets)


def _count_new_codes(reference: pd.Series, current: pd.Series, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Rows per group holding a whole-number code the reference never had (0 for measurements:
    values of a continuous quantity are all "new" and the PSI's open-ended bins already catch them)."""
    if pd.api.types.is_datetime64_any_dtype(reference):
        return np.zeros(n_groups, dtype=np.int64)
    ref = _as_floats(reference)
    seen = np.unique(ref[~np.isnan(ref)])
    if not len(seen) or len(seen) > MAX_CODE_VALUES or np.any(np.mod(seen, 1) != 0):
        return np.zeros(n_groups, dtype=np.int64)
    cur = _as_floats(current)
    is_new = ~np.isnan(cur) & ~np.isin(cur, seen)
    return np.bincount(codes[is_new], minlength=n_groups).astype(np.int64)


def _psi_from_counts(reference_counts: np.ndarray, current_counts: np.ndarray) -> np.ndarray:
    """PSI of each row of current_counts against reference_counts (vectorised over rows)."""
    ref_share = np.maximum(reference_counts / max(reference_counts.sum(), 1), EPSILON)
    totals = np.maximum(current_counts.sum(axis=1, keepdims=True), 1)
    cur_share = np.maximum(current_counts / totals, EPSILON)
    return np.sum((cur_share - ref_share) * np.log(cur_share / ref_share), axis=1)


def _chi2_from_counts(reference_counts: np.ndarray, current_counts: np.ndarray) -> float:
    """Chi-squared p-value of a 2 × buckets table; buckets seen fewer than MIN_CATEGORY_COUNT
    times in total are pooled so that tiny counts do not make the test unreliable."""
    table = np.vstack([reference_counts, current_counts])
    totals = table.sum(axis=0)
    rare = totals < MIN_CATEGORY_COUNT
    table = np.column_stack([table[:, ~rare], table[:, rare].sum(axis=1)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 1.0  # a single category (or an empty side): nothing to compare
    return float(chi2_contingency(table).pvalue)


def _ks_statistics(
    reference: pd.Series, current: pd.Series, codes: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """KS statistic (largest gap between the two empirical distribution functions, evaluated at
    every observed value, as scipy does) and effective sample size per group; nan where a side
    has no values."""
    ref, cur = _as_floats(reference), _as_floats(current)
    ref = np.sort(ref[~np.isnan(ref)])
    ref_cdf_at_ref = np.searchsorted(ref, ref, side="right") / max(len(ref), 1)  # same for every group
    present = ~np.isnan(cur)
    statistics = np.full(n_groups, np.nan)
    sizes = np.full(n_groups, np.nan)
    for group in range(n_groups):
        values = np.sort(cur[(codes == group) & present])
        if not (len(ref) and len(values)):
            continue
        gaps_at_ref = ref_cdf_at_ref - np.searchsorted(values, ref, side="right") / len(values)
        gaps_at_values = np.searchsorted(ref, values, side="right") / len(ref) - np.searchsorted(
            values, values, side="right"
        ) / len(values)
        statistics[group] = max(np.abs(gaps_at_ref).max(), np.abs(gaps_at_values).max())
        sizes[group] = np.round(len(ref) * len(values) / (len(ref) + len(values)))
    return statistics, sizes


def _ks_pvalues(statistics: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Smirnov's asymptotic two-sided p-values (scipy's ks_2samp method="asymp"), in one call.

    1.0 where a side had no values: no evidence of a difference (the PSI's missing-value bin is
    what catches a column that became empty).
    """
    pvalues = np.ones(len(statistics))
    known = ~np.isnan(statistics)
    if known.any():
        pvalues[known] = np.clip(kstwo.sf(statistics[known], sizes[known]), 0, 1)
    return pvalues


# --- PSI and the tests on one pair of samples ------------------------------------------------------


def _single_group(current: pd.Series) -> np.ndarray:
    return np.zeros(len(current), dtype=np.int64)


def psi(reference: pd.Series, current: pd.Series, bins: int = 10) -> float:
    """Population stability index of `current` against `reference` (0 = same distribution)."""
    reference, current = pd.Series(reference), pd.Series(current)
    _check_not_empty(reference, current, "PSI")
    if is_numeric_column(reference):
        ref_counts, cur_counts = _get_numeric_counts(reference, current, _single_group(current), 1, bins)
    else:
        ref_counts, cur_counts = _get_category_counts(reference, current, _single_group(current), 1)
    return float(_psi_from_counts(ref_counts, cur_counts)[0])


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
    ref_counts, cur_counts = _get_category_counts(reference, current, _single_group(current), 1)
    return _chi2_from_counts(ref_counts, cur_counts[0])


# --- significance tests, registered by name with the column kinds they apply to ------------------

COLUMN_KINDS = ("numeric", "categorical")
# (reference, current, group code per current row, number of groups) -> p-value per group.
GroupedTest = Callable[[pd.Series, pd.Series, np.ndarray, int], np.ndarray]


@dataclass(frozen=True)
class DriftTest:
    """A significance test of drift: its name, the column kinds it applies to, and its function."""

    name: str
    kinds: tuple[str, ...]
    pvalues: GroupedTest
    description: str


DRIFT_TESTS: dict[str, DriftTest] = {}


def register_drift_test(name: str, kinds: tuple[str, ...], description: str) -> Callable[[GroupedTest], GroupedTest]:
    """Register the decorated function as the drift test ``name`` for columns of ``kinds``."""
    unknown = [kind for kind in kinds if kind not in COLUMN_KINDS]
    if unknown or not kinds:
        raise ConfigError(
            f"A drift test applies to column kinds among {', '.join(COLUMN_KINDS)}; got {kinds!r} instead."
        )

    def register(function: GroupedTest) -> GroupedTest:
        DRIFT_TESTS[name] = DriftTest(name, tuple(kinds), function, description)
        return function

    return register


@register_drift_test("ks", ("numeric",), "two-sample Kolmogorov–Smirnov test (asymptotic p-value, as ks_pvalue)")
def ks_pvalues_per_group(reference: pd.Series, current: pd.Series, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """KS p-value of each group, vectorised over the groups; equal to ``ks_pvalue`` per group."""
    statistics, sizes = _ks_statistics(reference, current, codes, n_groups)
    return _ks_pvalues(statistics, sizes)


@register_drift_test("chi2", ("categorical",), "chi-squared test on the PSI's category buckets (as chi2_pvalue)")
def chi2_pvalues_per_group(reference: pd.Series, current: pd.Series, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Chi-squared p-value of each group; equal to ``chi2_pvalue`` per group."""
    ref_counts, cur_counts = _get_category_counts(reference, current, codes, n_groups)
    return np.array([_chi2_from_counts(ref_counts, row) for row in cur_counts])


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
    if is_numeric_column(reference):
        ref_counts, cur_counts = _get_numeric_counts(reference, current, codes, len(values), bins)
    else:
        ref_counts, cur_counts = _get_category_counts(reference, current, codes, len(values))
    return pd.Series(_psi_from_counts(ref_counts, cur_counts), index=values, name="psi")


def describe_psi(value: float) -> str:
    """The conventional meaning of a PSI value, in words."""
    if value is None or pd.isna(value):
        return "unknown"
    if value < MODERATE_PSI:
        return "no drift"
    if value < MAJOR_PSI:
        return "moderate drift"
    return "major drift"


@dataclass(frozen=True)
class DriftConfig:
    """When a feature counts as drifted.

    A feature is drifted when psi ≥ psi_threshold, OR when its test is significant
    (pvalue < pvalue_threshold) AND the shift is at least moderate (psi ≥ 0.1). The p-value is
    not enough on its own: with thousands of rows, a test flags shifts too small to matter;
    PSI measures how large the shift is, the p-value whether it is more than noise.
    """

    psi_threshold: float = MAJOR_PSI
    pvalue_threshold: float = 0.01
    bins: int = 10
    numeric_test: str = "ks"  # the names of registered drift tests (DRIFT_TESTS)
    categorical_test: str = "chi2"

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
            fitting = [test.name for test in DRIFT_TESTS.values() if kind in test.kinds]
            if name not in DRIFT_TESTS or kind not in DRIFT_TESTS[name].kinds:
                raise ConfigError(
                    f"The '{kind}_test' of DriftConfig must name a drift test for {kind} columns "
                    f"({', '.join(fitting)}); got {name!r} instead."
                )
        return self

    def get_test(self, kind: str) -> DriftTest:
        """The registered test this configuration runs on columns of ``kind``."""
        return DRIFT_TESTS[self.numeric_test if kind == "numeric" else self.categorical_test]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known}).validate()

    def get_drifted(self, psi_values: np.ndarray, pvalues: np.ndarray) -> np.ndarray:
        """The drift rule above, vectorised."""
        psi_values, pvalues = np.asarray(psi_values, dtype=float), np.asarray(pvalues, dtype=float)
        return (psi_values >= self.psi_threshold) | ((pvalues < self.pvalue_threshold) & (psi_values >= MODERATE_PSI))


def _get_column_drift(
    reference: pd.Series, current: pd.Series, codes: np.ndarray, n_groups: int, config: DriftConfig
) -> dict[str, Any]:
    """PSI per group, and the p-values of the configured test for the column's kind."""
    if is_numeric_column(reference):
        kind = "numeric"
        ref_counts, cur_counts = _get_numeric_counts(reference, current, codes, n_groups, config.bins)
        new_rows = _count_new_codes(reference, current, codes, n_groups)
    else:
        kind = "categorical"
        ref_counts, cur_counts = _get_category_counts(reference, current, codes, n_groups)
        new_rows = cur_counts[:, -2]  # the '<new>' bucket: values never seen in the reference
    test = config.get_test(kind)
    return {
        "kind": kind,
        "test": test.name,
        "psi": _psi_from_counts(ref_counts, cur_counts),
        "pvalue": np.asarray(test.pvalues(reference, current, codes, n_groups), dtype=float),
        "new_rows": new_rows,
    }


def get_feature_drift_df(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str],
    config: DriftConfig = DriftConfig(),
    *,
    by: str | None = None,
) -> pd.DataFrame:
    """One row per column: PSI, the configured significance test for its kind (named in `test`) and
    its p-value, whether it drifted, and how many
    rows (`new_rows`, share `new_share`) hold a value the reference never had (a new category, or
    a new code of a numeric column with a few whole-number values).

    With `by` (e.g. "window"), one row per (group, column) and a leading `by` column: every
    group is compared with the same reference, in one vectorised pass per column.
    """
    config.validate()
    columns = list(columns)
    missing = [c for c in columns if c not in reference.columns or c not in current.columns]
    if by is not None and by not in current.columns:
        missing.append(by)
    if missing:
        raise DataError(
            f"The columns {missing} are missing from the reference or the current data; "
            "monitor only columns present in both."
        )
    if len(reference) == 0 or len(current) == 0:
        raise DataError("The reference or the current data is empty; compare at least one row of each.")
    groups, codes = _get_group_codes(current, by)
    stats = [_get_column_drift(reference[c], current[c], codes, len(groups), config) for c in columns]
    # Group-major order: all columns of the first group, then all columns of the next group.
    df = pd.DataFrame(
        {
            "feature": np.tile(np.array(columns, dtype=object), len(groups)),
            "kind": np.tile(np.array([s["kind"] for s in stats], dtype=object), len(groups)),
            "psi": np.column_stack([s["psi"] for s in stats]).ravel() if stats else [],
            "test": np.tile(np.array([s["test"] for s in stats], dtype=object), len(groups)),
            "pvalue": np.column_stack([s["pvalue"] for s in stats]).ravel() if stats else [],
            "new_rows": np.column_stack([s["new_rows"] for s in stats]).ravel() if stats else [],
        }
    )
    group_sizes = np.bincount(codes, minlength=len(groups))
    df["new_share"] = df["new_rows"].to_numpy(dtype=float) / np.maximum(np.repeat(group_sizes, len(columns)), 1)
    df["drifted"] = config.get_drifted(df["psi"].to_numpy(), df["pvalue"].to_numpy())
    df["label"] = [describe_psi(v) for v in df["psi"]]
    df = df[FEATURE_DRIFT_COLUMNS].astype(
        {"feature": "str", "kind": "str", "test": "str", "label": "str", "new_rows": "int64", "new_share": "float64"}
    )
    if by is not None:
        df.insert(0, by, np.repeat(groups, len(columns)))
    return df
