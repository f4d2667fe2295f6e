"""How numpy and pandas values become JSON: the one ``default=`` every ``json.dumps`` in the studio uses.

Stored artifacts, database columns, the audit log, job results and the CLI's ``--json`` all go through
``to_jsonable``, so a value is written the same way wherever it lands. Python's own types (and NaN,
written as ``NaN``) are left to ``json``; only what it cannot write reaches this module.
"""

from __future__ import annotations

import json
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
