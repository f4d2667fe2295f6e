"""Personal data in the prediction log: before a request's inputs are encoded for the log, every column
found to hold personal data (``core.security.pii`` on the request itself: its column names and values)
is replaced by its keyed hash (``core.security.masking``, the workspace's "pii" key). The log still
tells two requests of the same person apart from two people (and erasure finds them by the hash), but
holds no email, CPF or phone number in clear. A column detected in one request and not in another
(a single odd value) is hashed wherever it is detected; detection is by column within one request.

    rows = protect_inputs(rows, key)   # a DataFrame or a list of JSON rows, the same shape back
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.security.masking import as_text, hash_series, hash_text
from core.security.pii import detect_personal_data, detect_values, json_texts

DETECT_ROWS = 500  # rows of a large batch the detector looks at (it samples distinct values anyway)


def personal_in(frame: pd.DataFrame) -> list[str]:
    return [hit.column for hit in detect_personal_data(frame.head(DETECT_ROWS))]


def protect_inputs(rows: pd.DataFrame | list[dict[str, Any]], key: bytes | None) -> pd.DataFrame | list[dict[str, Any]]:
    """The rows with their personal columns hashed (a new object; the caller's rows are not changed).
    Without a key (the key file cannot be read or made) the personal cells are dropped instead."""
    if isinstance(rows, pd.DataFrame):
        columns = personal_in(rows)
        if not columns:
            return rows
        out = rows.copy(deep=False)
        for column in columns:
            out[column] = (
                hash_series(rows[column], key) if key is not None else pd.Series(None, index=rows.index, dtype=object)
            )
        return out
    if not rows:
        return rows
    names = list(dict.fromkeys(k for row in rows[:DETECT_ROWS] for k in row))
    personal = {str(k) for k in names if detect_values(str(k), json_texts([row.get(k) for row in rows[:DETECT_ROWS]]))}
    if not personal:
        return rows
    return [{k: (_protect(v, key) if str(k) in personal else v) for k, v in row.items()} for row in rows]


def _protect(value: Any, key: bytes | None) -> Any:
    if not _present(value) or key is None:
        return None
    return hash_text(as_text(value), key)


def _present(value: Any) -> bool:
    return (
        value is not None and not isinstance(value, (list, dict)) and not (isinstance(value, float) and value != value)
    )
