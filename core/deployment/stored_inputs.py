"""A batch's inputs stored once: the request's table as one compressed columnar frame (Arrow IPC,
LZ4) instead of one JSON text per row, which a large batch cannot afford to build and write
(schema migration 11, ``prediction_inputs``).

Only a table that comes back exactly as it was is stored this way, so the JSON text the log
gives each row (``prediction_log.inputs_json``) is the same as if it had been built at once:
columns of numbers, booleans, text, dates and times, or nothing at all. Anything else (a column
mixing numbers with text, bytes, lists, categories) returns None and the caller logs JSON per row.
Text is cut to one character past the log's cap, so a reader still sees that it was cut.

The caps on what the log keeps of a request's inputs (issue 16: rows of 120 KB were logged), all here:

- `MAX_CELL_CHARS`: a text cell keeps its first 200 characters (the frame keeps 201, so the cut shows);
- `MAX_ROW_CHARS`: a row's input JSON is at most 2,048 characters (its first cells that fit, then
  ``"_truncated": true``). A batch whose widest row would store more than that in the frame is not
  stored as a frame: it goes to the per-row JSON, where the cap holds;
- `MAX_REQUEST_CHARS`: a request's stored inputs total at most 1,000,000 characters (as JSON rows; a
  frame larger than that in bytes is not stored either); the rows past it keep ``{"_truncated": true}``.

Personal columns never reach this module in clear: ``core.security.pii_log`` hashes them first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MAX_CELL_CHARS = 200
MAX_ROW_CHARS = 2048
MAX_REQUEST_CHARS = 1_000_000
FORMAT = "arrow-ipc-lz4"
_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")  # zstd: a third the size, twice the time
_EXACT_DTYPE_KINDS = "iufbM"  # numpy ints, floats, booleans, datetimes (naive or with a zone)


def encode_inputs(frame: pd.DataFrame, cell_chars: int) -> bytes | None:
    """The table as Arrow IPC bytes, each text cut to ``cell_chars + 1`` characters; None when a
    column would not come back exactly as it is."""
    if not all(_exact(frame[column]) for column in frame.columns) or frame.columns.has_duplicates:
        return None
    try:
        table = pa.Table.from_pandas(frame.set_axis([str(c) for c in frame.columns], axis=1), preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, ValueError, TypeError):
        return None
    row_bytes = np.zeros(table.num_rows, dtype=np.int64)
    for i, field in enumerate(table.schema):
        row_bytes += len(field.name) + 4  # the key, its quotes, the colon and the comma
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            if (pc.max(pc.binary_length(table.column(i))).as_py() or 0) > cell_chars + 1:  # bytes >= characters
                table = table.set_column(i, field, pc.utf8_slice_codeunits(table.column(i), 0, cell_chars + 1))
            lengths = pc.fill_null(pc.binary_length(table.column(i)), 4).to_numpy(zero_copy_only=False)
            row_bytes += lengths.astype(np.int64) + 2
        elif _simple(field.type) or pa.types.is_null(field.type):
            row_bytes += 24  # a number, a date or null as JSON text: at most this
        else:
            return None
    if table.num_rows and int(row_bytes.max()) > MAX_ROW_CHARS:
        return None  # the per-row JSON cuts such rows to MAX_ROW_CHARS
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=_OPTIONS) as writer:
        writer.write_table(table)
    data = sink.getvalue().to_pybytes()
    return None if len(data) > MAX_REQUEST_CHARS else data


def decode_inputs(data: bytes, rows: np.ndarray) -> pd.DataFrame:
    """The rows (offsets into the batch) of a stored table, as the table held them."""
    table = pa.ipc.open_stream(data).read_all()
    return table.take(pa.array(np.asarray(rows, dtype=np.int64))).to_pandas()


def _exact(column: pd.Series) -> bool:
    """Whether a column comes back from Arrow with the same values and type."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype):
        return dtype.kind in _EXACT_DTYPE_KINDS or (dtype.kind == "O" and _text_or_nothing(column))
    if isinstance(dtype, pd.DatetimeTZDtype):
        return True
    return isinstance(dtype, (pd.StringDtype, pd.BooleanDtype)) or pd.api.types.is_numeric_dtype(dtype)


def _text_or_nothing(column: pd.Series) -> bool:
    """An object column of text and missing cells only (what a JSON request's text columns hold)."""
    return all(v is None or type(v) is str for v in column.tolist())


def _simple(kind: pa.DataType) -> bool:
    return (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_timestamp(kind)
    )
