"""Codes with leading zeros (ZIP codes, CEPs, municipality codes: '00962') found without hashing the column.

The full inference (`column_types._infer_typed`) keeps such a column as text after collecting its
distinct values (a million ZIP codes: ~0.1 s of hashing) and checking each with three patterns. When
every present cell is a run of ASCII digits, that inference can only end one way as soon as one cell
is a '0' followed by more digits: every value is a number and an integer, and a leading zero makes the
column text, whatever the other values are. So only the byte classes and the first bytes are read here,
and the distinct values are taken among the zero-led cells alone, as far as the examples need.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_ZERO, _NINE = ord("0"), ord("9")


def zero_led_codes(arr: Any, examples: int) -> list[str] | None:
    """The first `examples` distinct zero-led values in order of appearance, when every present cell of
    `arr` (an Arrow text column, missing cells null) is one or more ASCII digits and at least one is a '0'
    followed by more digits; None otherwise (the full inference then decides, as before)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if arr.null_count == len(arr) or not all(pa.types.is_large_string(c.type) for c in chunks):
        return None
    marks = []
    for chunk in chunks:
        n = len(chunk)
        offsets = np.frombuffer(chunk.buffers()[1], np.int64)[chunk.offset : chunk.offset + n + 1]
        buffer = chunk.buffers()[2]
        data = np.frombuffer(buffer, np.uint8) if buffer is not None else np.zeros(0, np.uint8)
        cells = data[offsets[0] : offsets[-1]]  # (a missing cell's bytes too: any non-digit says no)
        if len(cells) and (cells.min() < _ZERO or cells.max() > _NINE):
            return None
        lengths = np.diff(offsets)
        valid = chunk.is_valid().to_numpy(zero_copy_only=False) if chunk.null_count else np.ones(n, bool)
        if (valid & (lengths == 0)).any():  # an empty value is not a number ('' kept as a value)
            return None
        first = data.take(offsets[:-1], mode="clip") if len(data) else np.zeros(n, np.uint8)
        marks.append(valid & (lengths > 1) & (first == _ZERO))
    if not any(m.any() for m in marks):
        return None
    led = pc.filter(arr, pa.chunked_array([pa.array(m) for m in marks], pa.bool_()))
    found = pc.unique(led.slice(0, 64))
    taken = 64
    while len(found) < examples and taken < len(led):  # few distinct among the first: look further
        taken *= 16
        found = pc.unique(led.slice(0, taken))
    return [str(v) for v in found.to_pylist()[:examples]]
