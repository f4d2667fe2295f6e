"""Defensive table reading: the one reader behind the app upload, `inspect` and `run --data`.

pandas defaults corrupt data silently ("NA" becomes NaN, leading zeros vanish, a `;` file
loads as one column). So every cell is first read as text, exactly as written, and each
column's type is then inferred on purpose, with a note saying why and the values that did not
fit. The format is identified by content (magic bytes), never by file name, and a file name is
never used as a path. Every refusal is a `DataError` that names the problem and what to do.

The package follows the path of a file: `entry` (read_path, read_table; `mapped`: a text file on
disk is mapped, not copied) → `containers` (gzip, zip, identification) → `parquet` | `excel` |
`delimited` (CSV: `encoding`, `sniffing`) → `columns` (names, missing tokens) → `column_types` and
`date_types` (inference; `zero_codes`: codes with leading zeros decided from their bytes). The size
caps live in `limits`; the options and the report in `options`.
"""

from core.data.reader.column_types import NUMERIC_MISSING_TOKENS
from core.data.reader.entry import read_path, read_table
from core.data.reader.excel import list_excel_sheets
from core.data.reader.options import (
    THOUSANDS_CHOICES,
    ColumnInfo,
    ReadInfo,
    ReadOptions,
)

__all__ = [
    "NUMERIC_MISSING_TOKENS",
    "THOUSANDS_CHOICES",
    "ColumnInfo",
    "ReadInfo",
    "ReadOptions",
    "list_excel_sheets",
    "read_path",
    "read_table",
]
