"""The drift reference, prepared once and reused for every comparison (every window, every report).

Sorting and binning the reference is most of what a drift test costs; a deployment compares many
windows against the same reference, so `prepare_reference` does it once per column: numbers (and
dates) become their distinct sorted values with the reference's distribution function there, the
quantile bins of PSI and their counts; categories become buckets (the most frequent reference
categories, '<other>', '<new>', missing) with their counts. `get_prepared_reference` keeps the last few
prepared references by a caller's key (a deployment and version), so repeated reports skip the work.

`prepare_current` turns the current rows of one column into what the statistics need, per group
(window): for numbers, counts per cell of the reference's grid (many distinct values: the current values
are never sorted, only those of the few cells KS must look into) or counts at the reference's distinct
values (few), and PSI's bin counts; bucket counts from category codes (strings are factorised once, or
looked up by Arrow, never compared one by one).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from core.statistics import count_sorted_in_bins, ks_cells_to_open, quantile_edges

# Categorical PSI keeps this many reference categories apart; the rest share one bucket.
MAX_CATEGORIES = 30
# Numeric columns with at most this many whole-number values are codes (ratings, plan numbers):
# a code never seen in the reference is a new value, like a new category.
MAX_CODE_VALUES = 20
# Prepared references kept in memory (one per deployment version being watched).
CACHE_SIZE = 4
# A numeric column with many distinct values is compared through 2**CELL_BITS cells of its value axis,
# equal widths between the reference's GRID_TAIL and 1 - GRID_TAIL quantiles (the tails share the end cells).
CELL_BITS = 16
GRID_TAIL = 0.001
# Cells per group at most when windows are compared at once (neighbouring cells are merged beyond).
MAX_GROUP_CELLS = 1 << 20


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
class CellGrid:
    """The value axis cut into 2**CELL_BITS cells by a monotone map (``get_cells``: the same arithmetic
    for both samples, so each cell is one interval of values for both), with the reference's distinct
    values per cell (``starts``: index of each cell's first one, one more entry than cells) and its
    values at most each cell's end (``ends``). Counting the current values per cell needs no sorting;
    see ``core.statistics.ks_cells_to_open`` for how the cells give the KS statistic exactly."""

    low: float
    scale: float
    starts: np.ndarray
    ends: np.ndarray

    def get_cells(self, values: np.ndarray, shift: int = 0) -> np.ndarray:
        """The cell of each value (no nan), of 2**(CELL_BITS - shift) cells (``shift``: cells merged by 2**shift)."""
        position = np.subtract(values, self.low, dtype=float)
        position *= self.scale
        np.clip(position, 0, (1 << CELL_BITS) - 1, out=position)
        cells = position.astype(np.intp)
        if shift:
            cells >>= shift
        return cells

    def get_merged(self, shift: int) -> tuple[np.ndarray, np.ndarray]:
        """(starts, ends) with cells merged by 2**shift."""
        step = 1 << shift
        return self.starts[::step], self.ends[step - 1 :: step]


def _make_grid(valid: np.ndarray, distinct: np.ndarray, at_most: np.ndarray) -> CellGrid | None:
    """The cell grid of sorted non-missing values (None for a constant column or one too wide for floats)."""
    last = len(valid) - 1
    for low, high in ((valid[int(GRID_TAIL * last)], valid[int(round((1 - GRID_TAIL) * last))]), (valid[0], valid[-1])):
        width = float(high) - float(low)
        if np.isfinite(width) and width > 0 and np.isfinite((1 << CELL_BITS) / width):
            grid = CellGrid(float(low), (1 << CELL_BITS) / width, np.empty(0, np.intp), np.empty(0, np.int64))
            starts = np.searchsorted(grid.get_cells(distinct), np.arange((1 << CELL_BITS) + 1), side="left")
            ends = np.concatenate(([0], at_most))[starts[1:]]
            return CellGrid(grid.low, grid.scale, starts, ends)
    return None


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
    grid: CellGrid | None = None

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
        grid=_make_grid(valid, distinct, last + 1) if len(distinct) > 1 else None,
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
class OpenedCells:
    """The current values of a numeric column counted per cell of the reference's grid (cells merged by
    2**``shift`` when there are many groups): per group, the values in earlier cells (``before``,
    [groups × cells]) and all of them (``sizes``); KS's lower bound (``bound``) and the cells opened
    (the ones KS must look into, and those holding a PSI edge), whose values are kept sorted
    (``values``, group by group, with ``flat``: group * cells + cell)."""

    shift: int
    before: np.ndarray
    sizes: np.ndarray
    bound: np.ndarray
    opened: np.ndarray
    values: np.ndarray
    flat: np.ndarray

    def count_at_most(
        self, group: int, points: np.ndarray, cells: np.ndarray, side: Literal["left", "right"]
    ) -> np.ndarray:
        """The group's current values at most (``side="right"``) or below (``"left"``) each of ``points``,
        each in an opened cell (``cells``)."""
        n_cells = self.before.shape[1]
        low, high = np.searchsorted(self.flat, [group * n_cells, (group + 1) * n_cells])
        values, own = self.values[low:high], self.flat[low:high] - group * n_cells
        earlier_opened = np.searchsorted(own, cells, side="left")
        return self.before[group, cells] + np.searchsorted(values, points, side=side) - earlier_opened


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
    cells: OpenedCells | None = None

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
    if len(ref.values) > MAX_COUNTED_DISTINCT and ref.grid is not None:
        opened = _count_in_cells(ref, ref.grid, valid, groups, n_groups)
        return CurrentColumn(
            np.column_stack([_count_cells_in_bins(ref, ref.grid, opened), missing_per_group]),
            new_rows,
            valid,
            groups,
            cells=opened,
        )
    if len(ref.values) > MAX_COUNTED_DISTINCT:
        sorted_groups = _group_sorted(valid, groups, n_groups)
        counts = np.array([count_sorted_in_bins(group, ref.edges) for group in sorted_groups]).reshape(n_groups, -1)
        counts = np.column_stack([counts, missing_per_group])
        return CurrentColumn(counts, new_rows, valid, groups, sorted_groups=sorted_groups)
    index = np.searchsorted(ref.values, valid, side="left")  # interval (values[k-1], values[k]]
    cells = len(ref.values) + 1
    per_interval = _count_per_group(index, groups, n_groups, cells)
    on_value = index < len(ref.values)
    on_value[on_value] = valid[on_value] == ref.values[index[on_value]]
    equal = _count_per_group(index[on_value], groups[on_value], n_groups, cells)
    at_most = np.cumsum(per_interval[:, :-1], axis=1)
    # PSI's bins: a value equal to a reference value is in that value's bin; the others are searched.
    n_bins = len(ref.edges) + 1
    value_bins = np.searchsorted(ref.edges, ref.values, side="left")[:, None] == np.arange(n_bins)
    off = ~on_value
    bins = equal[:, :-1] @ value_bins.astype(np.int64) + _count_per_group(
        np.searchsorted(ref.edges, valid[off], side="left"), groups[off], n_groups, n_bins
    )
    return CurrentColumn(
        np.column_stack([bins, missing_per_group]),
        new_rows,
        valid,
        groups,
        at_distinct=(at_most, at_most - equal[:, :-1]),
    )


def _count_in_cells(
    ref: NumericReference, grid: CellGrid, valid: np.ndarray, groups: np.ndarray, n_groups: int
) -> OpenedCells:
    """Count the current values per cell of the grid and keep, sorted, those of the cells to open."""
    shift = min(max(0, int(np.ceil(np.log2(n_groups * (1 << CELL_BITS) / MAX_GROUP_CELLS)))), CELL_BITS - 6)
    n_cells = (1 << CELL_BITS) >> shift
    cells = grid.get_cells(valid, shift)
    flat = cells if n_groups == 1 else groups * n_cells + cells
    counts = np.bincount(flat, minlength=n_groups * n_cells).reshape(n_groups, n_cells)
    ends = np.cumsum(counts, axis=1)
    bound, opened = ks_cells_to_open(grid.get_merged(shift)[1], ref.size, ends)
    opened[:, grid.get_cells(ref.edges, shift)] = True
    kept = opened.ravel()[flat]
    values, flat = valid[kept], flat[kept]
    order = np.lexsort((values, flat))
    return OpenedCells(shift, ends - counts, ends[:, -1], bound, opened, values[order], flat[order])


def _count_cells_in_bins(ref: NumericReference, grid: CellGrid, cells: OpenedCells) -> np.ndarray:
    """PSI's bin counts per group [groups × bins] from the counts per cell and the opened cells' values."""
    edge_cells = grid.get_cells(ref.edges, cells.shift)
    rows = []
    for group, size in enumerate(cells.sizes):
        at_most = cells.count_at_most(group, ref.edges, edge_cells, "right")
        rows.append(np.diff(np.concatenate(([0], at_most, [size]))))
    return np.array(rows, dtype=np.int64).reshape(len(cells.sizes), len(ref.edges) + 1)


def _get_arrow_buckets(ref: CategoricalReference, series: pd.Series) -> np.ndarray | None:
    """Each row's bucket, for text held by Arrow (pandas' default strings) against text categories: Arrow
    looks each row up among the categories without building Python strings; None for any other column."""
    if not isinstance(series.dtype, pd.StringDtype) or series.dtype.storage != "pyarrow":
        return None
    if not ref.categories.map(type).isin([str]).all():
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.chunked_array(series.array.__arrow_array__())
    categories = pa.array(list(ref.categories), type=pa.large_string()).cast(text.type)
    position = pc.fill_null(pc.index_in(text, value_set=categories), len(ref.categories)).to_numpy()
    bucket_of = np.minimum(np.arange(len(ref.categories)), ref.kept)  # the categories beyond `kept`: '<other>'
    buckets = np.append(bucket_of, ref.new_bucket)[position]
    if text.null_count:
        buckets[pc.is_null(text).to_numpy(zero_copy_only=False)] = ref.kept + 2
    return buckets


def prepare_current(ref: ColumnReference, series: pd.Series, codes: np.ndarray, n_groups: int) -> CurrentColumn:
    """The current values of one column, counted per group (``codes``: the group of each row)."""
    if isinstance(ref, NumericReference):
        return _prepare_numeric_current(ref, series, codes, n_groups)
    n_buckets = ref.kept + 3
    buckets = _get_arrow_buckets(ref, series)
    if buckets is None:
        # Categories: factorise once, map each distinct value to its bucket, count bucket codes per group.
        values = series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
        value_codes, uniques = pd.factorize(values, use_na_sentinel=True)
        position = ref.categories.get_indexer(pd.Index(uniques, dtype=object))
        bucket_of = np.where(position < 0, ref.new_bucket, np.where(position >= ref.kept, ref.kept, position))
        buckets = np.append(bucket_of, ref.kept + 2)[value_codes]  # code -1 (missing) takes the last entry
    counts = _count_per_group(buckets, codes, n_groups, n_buckets)
    return CurrentColumn(counts=counts, new_rows=counts[:, ref.new_bucket].astype(np.int64))
