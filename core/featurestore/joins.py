"""Joining feature values to labelled rows.

``point_in_time_join`` gives each labelled row each feature's value *as of its own moment*: the newest
feature row of the same entity stamped strictly before the row (``pandas.merge_asof``, by entity,
backward, ``allow_exact_matches=False``). Never a later value: a model trained on values from its
rows' future learns from information it will not have when it scores.

Ties (a feature row stamped exactly at the labelled row's moment) are left out, on purpose: at serving
time a value written in the same instant may not be visible yet, and when features and labels come
from the same table (a customer's own transactions) the row would see itself, label included. Leaving
them out can only make a value older, never from the future.

``naive_join`` gives every row the newest value of its entity, whenever it was written: what a join
on the entity alone does. It exists only to show, in the lesson, what that costs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.featurestore.keys import canonical_keys
from core.featurestore.transforms import as_time
from core.i18n import _
from core.workspace.errors import DataError

ALLOW_EXACT_MATCHES = False  # ties are left out: see the module docstring


def _check_columns(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            _("The {what} have no column '{column}'; their columns are: {columns}.").format(
                what=what, column=missing[0], columns=", ".join(map(str, frame.columns))
            )
        )


def _feature_columns(features: pd.DataFrame, keys: list[str], columns: list[str] | None) -> list[str]:
    return [c for c in features.columns if c not in keys] if columns is None else list(columns)


def _clashes(labels: pd.DataFrame, columns: list[str], entity: str) -> None:
    clash = [c for c in columns if c in labels.columns and c != entity]
    if clash:
        raise DataError(
            _("The labelled rows already have a column '{column}'; rename the feature or the column.").format(
                column=clash[0]
            )
        )


def same_keys(left: pd.Series, right: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Entity keys of one type on both sides (merge_asof refuses int against text): when the types
    differ, both in their canonical text form (``keys.canonical_keys``: 1, 1.0 and "1" are one key)."""
    if left.dtype == right.dtype:
        return left, right
    return canonical_keys(left), canonical_keys(right)


def _sorted_side(keys: pd.Series, times: pd.Series, extra: dict[str, np.ndarray]) -> pd.DataFrame:
    """The rows with an entity and a moment, ordered by moment (merge_asof needs it), taken in one pass
    (one copy of each column: at 5,000,000 feature rows a filter and a sort each cost a copy)."""
    rows = np.flatnonzero((keys.notna() & times.notna()).to_numpy())
    order = rows[np.argsort(times.to_numpy()[rows], kind="stable")]
    del rows
    taken = {name: values[order] for name, values in extra.items()}
    # copy=False: the columns are fresh arrays already; a copy here would double the peak.
    return pd.DataFrame({"_key": keys.to_numpy()[order], "_t": times.to_numpy()[order], **taken}, copy=False)


def point_in_time_join(
    labels: pd.DataFrame,
    features: pd.DataFrame,
    *,
    entity: str,
    label_time: str,
    feature_time: str,
    columns: list[str] | None = None,
    tolerance: pd.Timedelta | None = None,
) -> pd.DataFrame:
    """``labels`` (same rows, same order, same index) with ``columns`` of ``features`` (default: all but
    the entity and time) as of each row's ``label_time``. ``tolerance``: only feature rows at most that
    old count. Rows with no earlier feature row, or no entity or moment, get NaN."""
    _check_columns(labels, [entity, label_time], _("labelled rows"))
    _check_columns(features, [entity, feature_time], _("feature rows"))
    columns = _feature_columns(features, [entity, feature_time], columns)
    _check_columns(features, columns, _("feature rows"))
    _clashes(labels, columns, entity)
    left_keys, right_keys = same_keys(labels[entity], features[entity])
    left_t, right_t = labels[label_time], features[feature_time]
    if pd.api.types.is_datetime64_any_dtype(left_t) and pd.api.types.is_datetime64_any_dtype(right_t):
        # One resolution on both sides (Parquet gives ns, pandas 3 parsing us; merge_asof wants one).
        left_t, right_t = as_time(left_t, label_time), as_time(right_t, feature_time)
    if left_t.dtype != right_t.dtype:
        raise DataError(
            _(
                "The moments of the labelled rows ({left}) and of the feature rows ({right}) are not of one type."
            ).format(left=left_t.dtype, right=right_t.dtype)
        )
    left = _sorted_side(left_keys, left_t, {"_pos": np.arange(len(labels))})
    right = _sorted_side(right_keys, right_t, {column: features[column].to_numpy() for column in columns})
    merged = pd.merge_asof(
        left,
        right,
        on="_t",
        by="_key",
        direction="backward",
        allow_exact_matches=ALLOW_EXACT_MATCHES,
        tolerance=tolerance,
    )
    out = labels.copy()
    for column in columns:
        values = pd.Series(merged[column].to_numpy(), index=merged["_pos"].to_numpy()).reindex(range(len(labels)))
        out[column] = values.to_numpy()
    return out


def naive_join(
    labels: pd.DataFrame,
    features: pd.DataFrame,
    *,
    entity: str,
    feature_time: str,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """DEMONSTRATION ONLY: ``labels`` with each entity's newest feature values, written before or after
    the row's moment. This is the leak point-in-time joins prevent."""
    _check_columns(labels, [entity], _("labelled rows"))
    _check_columns(features, [entity, feature_time], _("feature rows"))
    columns = _feature_columns(features, [entity, feature_time], columns)
    _clashes(labels, columns, entity)
    newest = features.sort_values(feature_time, kind="stable").drop_duplicates(entity, keep="last")
    left_keys, right_keys = same_keys(labels[entity], newest[entity])
    lookup = pd.DataFrame({column: newest[column].to_numpy() for column in columns}, index=right_keys.to_numpy())
    out = labels.copy()
    for column in columns:
        out[column] = lookup[column].reindex(left_keys.to_numpy()).to_numpy()
    return out
