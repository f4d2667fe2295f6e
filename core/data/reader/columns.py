"""From raw columns to a table: trim cells, mark missing tokens, clean the column names, then type
each column (`column_types`) and collect the notes the Data page shows.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from core.data.reader.column_types import _infer_column, _number_note
from core.data.reader.options import ColumnInfo, ReadOptions
from core.data.reader.streamed_numbers import WORKERS, StreamedNumbers, memory_pool
from core.data.reader.wording import _name_list
from core.i18n import _, current_language, use_language
from core.workspace.errors import DataError
from core.workspace.progress import Progress


def _finish_columns(
    columns: list,
    names: list[str],
    options: ReadOptions,
    *,
    decimal: str,
    thousands: str | None,
    notes: list[str],
    what: str,
    report: Progress,
) -> tuple[pd.DataFrame, tuple[ColumnInfo, ...]]:
    """Strip cells, mark missing tokens, name the columns and infer each column's type.

    `columns` holds Arrow text columns, or `StreamedNumbers` already typed while the CSV was parsed
    (identical to what the inference gives them); each is released as soon as its typed version exists.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    na_tokens = list(options.na_tokens)
    tokens = pa.array(na_tokens, pa.large_string())
    allocator = memory_pool()

    def prepare(i: int) -> bool:
        """Column i trimmed and its missing tokens marked; whether every cell is missing."""
        arr = columns[i]
        if isinstance(arr, StreamedNumbers):
            return False  # finished() holds at least one number
        arr = _trimmed(arr, allocator) if _may_have_padding(arr) else arr
        empty = _empty_cells(arr) if na_tokens == [""] else None  # the default: found from the offsets
        if empty is not None:
            if any(part.any() for part in empty):
                is_missing = pa.chunked_array([pa.array(part) for part in empty], pa.bool_())
                arr = pc.if_else(is_missing, pa.scalar(None, arr.type), arr, memory_pool=allocator)
        elif na_tokens:
            is_missing = pc.is_in(arr, value_set=tokens, memory_pool=allocator)
            if pc.any(is_missing).as_py():
                arr = pc.if_else(is_missing, pa.scalar(None, pa.large_string()), arr, memory_pool=allocator)
        columns[i] = arr
        return bool(arr.null_count == len(arr))

    missing_phrase = _missing_phrase(na_tokens)

    language = current_language()  # the pool's threads have no session: its notes follow the caller's

    def typed(i: int) -> tuple[tuple[pd.Series, str, bool, tuple[str, ...], list[str]], int]:
        """Column i typed (its text released as soon as the typed version exists), and its missing cells."""
        arr, columns[i] = columns[i], None
        with use_language(language):
            if isinstance(arr, StreamedNumbers):  # (its missing cells are counted: no pass over the values)
                note = _number_note(
                    arr.rows - arr.missing,
                    arr.missing,
                    missing_phrase,
                    decimal_comma=decimal == "," and arr.kind == "float",
                )
                return (arr.series(), note, False, (), []), arr.missing
            inferred = _infer_column(arr, decimal, thousands, missing_phrase, options.numeric_missing_tokens)
            return inferred, int(inferred[0].isna().sum())

    # Columns are independent: both steps run on a few threads (Arrow and numpy release the GIL), and
    # their results are taken in column order, so the table, notes and progress are as one at a time.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        empty = []
        for i, is_empty in enumerate(pool.map(prepare, range(len(columns)))):
            report(0.1 * i / len(columns), _("Trimming spaces and marking missing values"))
            empty.append(is_empty)
        clean, dropped = _clean_names(names, notes, empty)
        kept = [i for i in range(len(columns)) if i not in dropped]
        if not kept:
            raise DataError(
                _("{what} has no named columns with data; check that the header row holds the column names.").format(
                    what=what
                )
            )
        out, infos, ambiguous = {}, [], []
        tokens_read: dict[str, list[str]] = {}  # column -> the missing tokens read as missing in it
        # Text columns (slow: distinct values, dates) start first so that no long one is left alone at
        # the end; the results are still taken in column order.
        started = sorted(kept, key=lambda i: isinstance(columns[i], StreamedNumbers))
        results = dict(zip(started, [pool.submit(typed, i) for i in started]))
        for k, i in enumerate(kept):
            report(
                0.1 + 0.9 * k / len(kept),
                _("Typing column {i} of {n}: {column}").format(i=k + 1, n=len(kept), column=clean[i]),
            )
            (series, note, is_ambiguous, examples, read), missing = results.pop(i).result()
            out[clean[i]] = series
            infos.append(ColumnInfo(clean[i], str(series.dtype), missing, note, examples))
            if is_ambiguous:
                ambiguous.append(clean[i])
            if read:
                tokens_read[clean[i]] = read
    if tokens_read:
        shown = sorted({t for tokens in tokens_read.values() for t in tokens})
        notes.append(
            _(
                "Cells written {tokens} in the number or date column(s) {columns} were read as missing (the "
                "column notes say how many); choose 'Keep missing-value words as text' in the Data page's "
                "reading options if they mean something else."
            ).format(tokens=_name_list(shown, 6), columns=_name_list(tokens_read))
        )
    if ambiguous:
        notes.append(
            _(
                "Dates in {columns} fit both day/month and month/day order; the column notes say which order "
                "was used. Convert them in cleaning with an explicit format if that is wrong."
            ).format(columns=_name_list(ambiguous))
        )
    df = pd.DataFrame(out, copy=False)
    return df, tuple(infos)


def _may_have_padding(column: Any) -> bool:
    """Whether any cell may start or end with whitespace, from the first and last byte of each cell:
    trimming a column that has none would only copy it (a million IDs: 20 MB)."""
    for chunk in column.chunks if hasattr(column, "chunks") else [column]:
        if chunk.null_count or chunk.buffers()[2] is None:
            return True  # (not expected here: the parser gives every cell as text)
        offsets = np.frombuffer(chunk.buffers()[1], np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
        data = np.frombuffer(chunk.buffers()[2], np.uint8)
        filled = np.diff(offsets) > 0
        for ends in (data.take(offsets[:-1][filled]), data.take(offsets[1:][filled] - 1)):
            if _padding(ends).any():
                return True
    return False


def _trimmed(column: Any, allocator: Any) -> Any:
    """The cells without whitespace at either end. A column of ASCII bytes without the separators
    0x1C-0x1F (which Unicode counts as whitespace and ASCII trimming keeps) is trimmed as ASCII: the
    same cells, ~2x faster than looking each character up in the Unicode tables."""
    import pyarrow.compute as pc

    for chunk in column.chunks if hasattr(column, "chunks") else [column]:
        buffer = chunk.buffers()[2]
        data = np.frombuffer(buffer, np.uint8) if buffer is not None else np.zeros(0, np.uint8)
        if len(data) and (data.max() >= 0x80 or ((data & 0xFC) == 0x1C).any()):
            return pc.utf8_trim_whitespace(column, memory_pool=allocator)
    return pc.ascii_trim_whitespace(column, memory_pool=allocator)


def _padding(ends: np.ndarray) -> np.ndarray:
    """Which bytes may start or end a whitespace character: tab to carriage return, the separators
    0x1C-0x1F, space, and any non-ASCII byte (no-break space, U+3000...). Compared, not looked up in a
    table: numpy's fancy indexing costs ~10x more per byte."""
    return ((ends >= 9) & (ends <= 13)) | ((ends >= 0x1C) & (ends <= 0x20)) | (ends >= 0x80)


def _empty_cells(column: Any) -> list[np.ndarray] | None:
    """Each chunk's empty cells, from its offsets: what `is_in(column, [""])` gives without hashing a
    million values; None when the column is not a chunked text column without nulls."""
    import pyarrow as pa

    if not isinstance(column, pa.ChunkedArray) or not pa.types.is_large_string(column.type) or column.null_count:
        return None
    parts = []
    for chunk in column.chunks:
        offsets = np.frombuffer(chunk.buffers()[1], np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]
        parts.append(offsets[1:] == offsets[:-1])
    return parts


def _clean_names(names: list[str], notes: list[str], empty: list[bool]) -> tuple[list[str], set[int]]:
    """Strip names, name blank headers "column_<n>", drop nameless empty columns, refuse duplicates."""
    clean = [str(n).strip() for n in names]
    dropped = {i for i, n in enumerate(clean) if not n and empty[i]}
    if dropped:
        notes.append(
            _(
                "Dropped {n} column(s) with no name and no values (position {positions}; usually a trailing delimiter)."
            ).format(n=len(dropped), positions=", ".join(str(i + 1) for i in sorted(dropped)))
        )
    renamed = []
    for i, n in enumerate(clean):
        if not n and i not in dropped:
            clean[i] = f"column_{i + 1}"
            renamed.append(clean[i])
    if renamed:
        notes.append(
            _(
                "{n} column(s) had no name and were named {names}; rename them in the file if they mean something."
            ).format(n=len(renamed), names=_name_list(renamed))
        )
    counts = Counter(n for i, n in enumerate(clean) if i not in dropped)
    duplicates = [n for n, c in counts.items() if c > 1]
    if duplicates:
        detail = "; ".join(
            _("{name} (columns {positions})").format(
                name=repr(n),
                positions=", ".join(str(i + 1) for i, m in enumerate(clean) if m == n and i not in dropped),
            )
            for n in duplicates[:5]
        )
        raise DataError(
            _(
                "Column names must be unique, but these appear more than once: {detail}; "
                "rename them in the file and upload again."
            ).format(detail=detail)
        )
    return clean, dropped


def _missing_phrase(na_tokens: list[str]) -> str:
    shown = [repr(t) for t in na_tokens if t]
    if not shown:
        return "blank cells read as missing"
    return f"cells read as missing ({'blank or ' if '' in na_tokens else ''}{', '.join(shown)})"
