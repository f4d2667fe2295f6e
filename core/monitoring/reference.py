"""The drift reference, prepared once and reused for every comparison (every window, every report).

Sorting and binning the reference is most of what a drift test costs; a deployment compares many
windows against the same reference, so `prepare_reference` does it once per column: numbers (and
dates) become their distinct sorted values with the reference's distribution function there, the
quantile bins of PSI and their counts; categories become buckets (the most frequent reference
categories, '<other>', '<new>', missing) with their counts. `get_prepared_reference` keeps the last few
prepared references by a caller's key (a deployment and version), so repeated reports skip the work.

`prepare_current` turns the current rows of one column into what the statistics need, per group
(window): sorted values and bin counts for numbers, bucket counts from category codes (strings are
factorised once, never compared one by one).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.statistics import count_sorted_in_bins, quantile_edges

# Categorical PSI keeps this many reference categories apart; the rest share one bucket.
MAX_CATEGORIES = 30
# Numeric columns with at most this many whole-number values are codes (ratings, plan numbers):
# a code never seen in the reference is a new value, like a new category.
MAX_CODE_VALUES = 20
# Prepared references kept in memory (one per deployment version being watched).
CACHE_SIZE = 4


def is_numeric_column(series: pd.Series) -> bool:
    """True for numbers and dates (compared as points in time), not booleans (two categories)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def as_floats(series: pd.Series) -> np.ndarray:
    """Numbers as float64 (missing: nan); dates as days since the epoch (a date's drift is a shift in time)."""
    if pd.api.types.is_datetime64_any_dtype(series):
        days = (series - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
        return days.to_numpy(dtype=float, na_value=np.nan)
    if series.dtype == np.float64:
        return series.to_numpy()
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


@dataclass(frozen=True)
class NumericReference:
    """One numeric column of the reference: distinct sorted values, how many reference values are at
    most each (the distribution function, as counts), PSI's bin edges and counts (the last bin: missing)."""

    values: np.ndarray  # distinct non-missing values, sorted
    at_most: np.ndarray  # count of reference values <= values[i]
    edges: np.ndarray
    counts: np.ndarray
    codes: np.ndarray | None  # the whole-number codes seen, when the column holds a few codes
    std: float
    is_date: bool

    kind = "numeric"

    @property
    def size(self) -> int:
        """Non-missing reference values."""
        return int(self.at_most[-1]) if len(self.at_most) else 0


@dataclass(frozen=True)
class CategoricalReference:
    """One categorical column of the reference: its categories by frequency (the first `kept` have a
    bucket each) and the counts per bucket: kept…, '<other>', '<new>', missing."""

    categories: pd.Index
    kept: int
    counts: np.ndarray

    kind = "categorical"

    @property
    def new_bucket(self) -> int:
        return self.kept + 1


ColumnReference = NumericReference | CategoricalReference


@dataclass(frozen=True)
class PreparedReference:
    """The reference of a drift comparison, prepared per column for `bins` PSI bins."""

    columns: dict[str, ColumnReference]
    bins: int
    rows: int


def _prepare_numeric(series: pd.Series, bins: int) -> NumericReference:
    values = as_floats(series)
    valid = np.sort(values[~np.isnan(values)])
    edges = quantile_edges(valid, bins)
    counts = np.append(count_sorted_in_bins(valid, edges), len(values) - len(valid))
    last = np.flatnonzero(np.append(valid[1:] != valid[:-1], True)) if len(valid) else np.empty(0, dtype=np.int64)
    distinct = valid[last]
    is_date = pd.api.types.is_datetime64_any_dtype(series)
    is_code = not is_date and 0 < len(distinct) <= MAX_CODE_VALUES and bool(np.all(np.mod(distinct, 1) == 0))
    return NumericReference(
        values=distinct,
        at_most=(last + 1).astype(np.int64),
        edges=edges,
        counts=counts,
        codes=distinct if is_code else None,
        std=float(valid.std()) if len(valid) else float("nan"),
        is_date=is_date,
    )


def _prepare_categorical(series: pd.Series) -> CategoricalReference:
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    frequencies = series.value_counts(dropna=True)
    kept = min(len(frequencies), MAX_CATEGORIES)
    counts = np.zeros(kept + 3, dtype=np.int64)
    counts[:kept] = frequencies.to_numpy()[:kept]
    counts[kept] = frequencies.to_numpy()[kept:].sum()
    counts[kept + 2] = series.isna().sum()
    return CategoricalReference(categories=pd.Index(frequencies.index), kept=kept, counts=counts)


def prepare_reference(reference: pd.DataFrame, columns: list[str], bins: int = 10) -> PreparedReference:
    """Sort and bin each of ``columns`` of ``reference`` once (see the module's docstring)."""
    prepared: dict[str, ColumnReference] = {}
    for column in columns:
        series = reference[column]
        prepared[column] = _prepare_numeric(series, bins) if is_numeric_column(series) else _prepare_categorical(series)
    return PreparedReference(columns=prepared, bins=bins, rows=len(reference))


_CACHE: OrderedDict[tuple, PreparedReference] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def get_prepared_reference(
    reference: pd.DataFrame, columns: list[str], bins: int = 10, *, key: Hashable | None = None
) -> PreparedReference:
    """``prepare_reference``, kept for the next call with the same ``key`` (e.g. ("version", 12)), the
    same columns and bins: the caller vouches that the key names the same reference rows. Without a
    key nothing is kept. The last CACHE_SIZE references are kept (a few watched versions)."""
    if key is None:
        return prepare_reference(reference, columns, bins)
    cache_key = (key, tuple(columns), bins, len(reference))
    with _CACHE_LOCK:
        if cache_key in _CACHE:
            _CACHE.move_to_end(cache_key)
            return _CACHE[cache_key]
    prepared = prepare_reference(reference, columns, bins)
    with _CACHE_LOCK:
        _CACHE[cache_key] = prepared
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return prepared


@dataclass(frozen=True)
class CurrentColumn:
    """One column of the current rows, per group: bin (or bucket) counts [groups × bins] and rows holding
    a value the reference never had; for numbers, the non-missing values and their groups, and either
    the counts at the reference's distinct values (a reference with few of them: no sorting needed) or
    the sorted values of each group."""

    counts: np.ndarray
    new_rows: np.ndarray
    values: np.ndarray | None = None
    groups: np.ndarray | None = None
    # (current values at most, strictly below each distinct reference value) [groups × distinct values]
    at_distinct: tuple[np.ndarray, np.ndarray] | None = None
    sorted_groups: list[np.ndarray] | None = None

    def get_sorted_groups(self) -> list[np.ndarray]:
        """The sorted non-missing values of each group (sorted now if they were counted instead)."""
        if self.sorted_groups is not None:
            return self.sorted_groups
        assert self.values is not None and self.groups is not None
        return _group_sorted(self.values, self.groups, len(self.counts))


# A reference with at most this many distinct values is compared by counting the current values at them
# (a binary search in a table that stays in the processor's cache), not by sorting the current values.
MAX_COUNTED_DISTINCT = 4096


def _group_sorted(values: np.ndarray, groups: np.ndarray, n_groups: int) -> list[np.ndarray]:
    if n_groups == 1:
        return [np.sort(values)]
    return [np.sort(values[groups == group]) for group in range(n_groups)]


def _count_per_group(index: np.ndarray, groups: np.ndarray, n_groups: int, cells: int) -> np.ndarray:
    flat = index if n_groups == 1 else groups * cells + index
    return np.bincount(flat, minlength=n_groups * cells).reshape(n_groups, cells)


def _prepare_numeric_current(
    ref: NumericReference, series: pd.Series, codes: np.ndarray, n_groups: int
) -> CurrentColumn:
    values = as_floats(series)
    missing = np.isnan(values)
    valid = values[~missing]
    groups = codes[~missing] if n_groups > 1 else np.zeros(len(valid), dtype=np.int64)
    missing_per_group = np.bincount(codes[missing], minlength=n_groups)
    if ref.codes is None:
        new_rows = np.zeros(n_groups, dtype=np.int64)
    else:
        new_rows = np.bincount(groups[~np.isin(valid, ref.codes)], minlength=n_groups).astype(np.int64)
    if len(ref.values) > MAX_COUNTED_DISTINCT:
        sorted_groups = _group_sorted(valid, groups, n_groups)
        counts = np.array([count_sorted_in_bins(group, ref.edges) for group in sorted_groups]).reshape(n_groups, -1)
        counts = np.column_stack([counts, missing_per_group])
        return CurrentColumn(counts, new_rows, valid, groups, sorted_groups=sorted_groups)
    bins = _count_per_group(np.searchsorted(ref.edges, valid, side="left"), groups, n_groups, len(ref.edges) + 1)
    index = np.searchsorted(ref.values, valid, side="left")  # interval (values[k-1], values[k]]
    cells = len(ref.values) + 1
    per_interval = _count_per_group(index, groups, n_groups, cells)
    on_value = index < len(ref.values)
    on_value[on_value] = valid[on_value] == ref.values[index[on_value]]
    equal = _count_per_group(index[on_value], groups[on_value], n_groups, cells)
    at_most = np.cumsum(per_interval[:, :-1], axis=1)
    return CurrentColumn(
        np.column_stack([bins, missing_per_group]),
        new_rows,
        valid,
        groups,
        at_distinct=(at_most, at_most - equal[:, :-1]),
    )


def prepare_current(ref: ColumnReference, series: pd.Series, codes: np.ndarray, n_groups: int) -> CurrentColumn:
    """The current values of one column, counted per group (``codes``: the group of each row)."""
    if isinstance(ref, NumericReference):
        return _prepare_numeric_current(ref, series, codes, n_groups)
    # Categories: factorise once, map each distinct value to its bucket, count bucket codes per group.
    values = series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
    value_codes, uniques = pd.factorize(values, use_na_sentinel=True)
    position = ref.categories.get_indexer(pd.Index(uniques, dtype=object))
    bucket_of = np.where(position < 0, ref.new_bucket, np.where(position >= ref.kept, ref.kept, position))
    n_buckets = ref.kept + 3
    buckets = np.append(bucket_of, ref.kept + 2)[value_codes]  # code -1 (missing) takes the last entry
    counts = _count_per_group(buckets, codes, n_groups, n_buckets)
    return CurrentColumn(counts=counts, new_rows=counts[:, ref.new_bucket].astype(np.int64))
