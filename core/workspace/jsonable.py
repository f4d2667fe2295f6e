"""How numpy and pandas values become JSON: the one ``default=`` every ``json.dumps`` in the studio uses.

Stored artifacts, database columns, the audit log, job results and the CLI's ``--json`` all go through
``to_jsonable``, so a value is written the same way wherever it lands. Python's own types (and NaN,
written as ``NaN``) are left to ``json``; only what it cannot write reaches this module.
``to_strict_json`` is for data other programs read, where NaN is not JSON (an explanation's table).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def to_jsonable(value: Any) -> Any:
    """``json.dumps(..., default=to_jsonable)``: a numpy scalar as the Python scalar it holds, an array as
    a list, a Timestamp as ISO text, a path as text; anything else is refused with ``TypeError``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_plain(value: Any) -> Any:
    """``value`` as ``to_jsonable`` writes it when it is one of those types, else unchanged (for values
    handed on as Python objects, e.g. a tuner's suggested settings, rather than written as JSON)."""
    try:
        return to_jsonable(value)
    except TypeError:
        return value


def dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` with ``to_jsonable`` for what json cannot write itself."""
    return json.dumps(obj, default=to_jsonable, **kwargs)


def to_strict_json(value: Any) -> Any:
    """``value`` as plain, strict JSON values, containers walked: missing values (NaN, NaT, NA) become
    ``null`` and anything unknown its text. For data another program reads (an explanation's table),
    where ``NaN`` is not JSON."""
    if isinstance(value, dict):
        return {str(k): to_strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_strict_json(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return None if pd.isna(value) else pd.Timestamp(value).isoformat()
    if value is None or isinstance(value, (str, int)):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)
