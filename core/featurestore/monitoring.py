"""Feature monitoring: is a catalog feature fresh, complete and stable over time?

``feature_health`` reads the feature's offline values (its newest materialisation; computed from its
history when it was never materialised) and reports, beside the online store's freshness (the age of
the newest value), per time bucket (a day, or a week when the values span more than 60 days): how many
values, the share of them missing, and the drift of the bucket's values against the first bucket's —
PSI and the drift test core.monitoring uses for model inputs (KS for numbers, chi-squared for
categories), judged by the same rule (``DriftConfig.get_drifted``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from core.featurestore import offline
from core.featurestore.online import freshness, history, online_definition
from core.featurestore.transforms import as_time
from core.featurestore.transforms import materialise as compute_values
from core.i18n import _
from core.monitoring.drift import DriftConfig, chi2_pvalue, is_numeric_column, ks_pvalue, psi
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, DataError, NotFoundError

WEEKLY_AFTER_DAYS = 60
BUCKETS = {"day": "D", "week": "W-SUN"}  # weeks end on Sunday: each starts on a Monday
MIN_ROWS = 30  # fewer values than this in a bucket (or the first) and drift is not judged: noise, not a shift


def _values(ws: Workspace, stored: dict[str, Any]) -> pd.DataFrame:
    try:
        return offline.latest_materialised(ws, int(stored["id"]))
    except NotFoundError:
        return compute_values(stored["definition"], history(ws, stored))


def _drift(reference: pd.Series, current: pd.Series, numeric: bool) -> tuple[float, float]:
    reference, current = reference.dropna(), current.dropna()
    if len(reference) < MIN_ROWS or len(current) < MIN_ROWS:
        return math.nan, math.nan
    try:
        value = psi(reference, current)
        pvalue = ks_pvalue(reference, current) if numeric else chi2_pvalue(reference, current)
    except (DataError, ValueError):
        return math.nan, math.nan
    return value, pvalue


def feature_health(ws: Workspace, name: str, bucket: str | None = None) -> dict[str, Any]:
    """Freshness, null rate and drift over time of feature ``name``. Returns ``name``, ``version``,
    ``freshness`` (``online.freshness``), ``rows``, ``null_rate`` (over all values), ``bucket`` ("day" |
    "week"), ``test`` ("ks" | "chi2") and ``buckets``: one dict per bucket, oldest first, ``start``
    (ISO date), ``rows``, ``null_rate``, ``psi``, ``pvalue`` (None when not computable or when the bucket
    or the first holds fewer than MIN_ROWS values; the first bucket is the reference: 0 and 1) and
    ``drifted``."""
    stored = online_definition(ws, name)
    definition = stored["definition"]
    values = _values(ws, stored)
    times = as_time(values[definition.timestamp], definition.timestamp) if len(values) else pd.Series(dtype="M8[ns]")
    column = values[definition.name] if len(values) else pd.Series(dtype=float)
    numeric = is_numeric_column(column) if len(column) else True
    if bucket is None:
        span = (times.max() - times.min()) if len(times) else pd.Timedelta(0)
        bucket = "week" if span > pd.Timedelta(days=WEEKLY_AFTER_DAYS) else "day"
    if bucket not in BUCKETS:
        raise ConfigError(
            _("The bucket of feature health must be one of {choices}; got {got} instead.").format(
                choices=", ".join(BUCKETS), got=repr(bucket)
            )
        )
    rows: list[dict[str, Any]] = []
    if len(values):
        periods = times.dt.to_period(BUCKETS[bucket])
        groups = list(pd.Series(column.to_numpy(), index=periods.to_numpy()).groupby(level=0, sort=True))
        reference = groups[0][1]
        config = DriftConfig()
        for period, current in groups:
            first = period == groups[0][0]
            value, pvalue = (0.0, 1.0) if first else _drift(reference, current, numeric)
            drifted = (
                False
                if math.isnan(value) or math.isnan(pvalue)
                else bool(config.get_drifted(np.array([value]), np.array([pvalue]))[0])
            )
            rows.append(
                {
                    "start": period.start_time.date().isoformat(),
                    "rows": int(len(current)),
                    "null_rate": float(current.isna().mean()),
                    "psi": None if math.isnan(value) else float(value),
                    "pvalue": None if math.isnan(pvalue) else float(pvalue),
                    "drifted": drifted,
                }
            )
    return {
        "name": name,
        "version": int(stored["version"]),
        "freshness": freshness(ws, name),
        "rows": int(len(values)),
        "null_rate": float(column.isna().mean()) if len(column) else None,
        "bucket": bucket,
        "test": "ks" if numeric else "chi2",
        "buckets": rows,
    }
