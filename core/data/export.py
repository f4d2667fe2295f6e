"""Downloads that are safe to open in a spreadsheet.

CSV (formula) injection, OWASP: a spreadsheet treats a cell that starts with `=`, `+`, `-` or
`@` as a formula, and so does a cell starting with a tab or carriage return in some programs.
A value typed by a customer ("=HYPERLINK(…)", "@SUM(…)", "=cmd|' /C calc'!A0") would run when
someone opens the cleaned data in Excel or LibreOffice. The fix OWASP recommends: prefix such
cells with a single quote, which makes the spreadsheet show the text as text.

Only text cells are neutralised. Numbers in numeric columns are written as numbers: a real
-3.5 is not a formula, and quoting it would turn every negative amount into text in the
spreadsheet. A text column holding "-5" does get the quote (it could as well hold "-2+3");
convert such a column to numbers in the cleaning recipe to keep it numeric.
"""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from core.data.columns import is_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = b"\xef\xbb\xbf"  # the UTF-8 byte order mark makes Excel read accents and € correctly


def neutralise_formulas(series: pd.Series) -> pd.Series:
    """Text cells starting like a formula get a leading single quote; everything else is unchanged.

    Works on `str`, object (only its text cells are touched) and category columns; other
    columns (numbers, dates, booleans) are returned as they are.
    """
    if not is_text(series):
        return series
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories
        if not pd.api.types.is_string_dtype(categories) and not pd.api.types.is_object_dtype(categories):
            return series
        return series.cat.rename_categories(
            neutralise_formulas(pd.Series(categories.astype(object), dtype=object)).tolist()
        )
    if pd.api.types.is_object_dtype(series):
        is_str = series.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
        risky = is_str & series.where(is_str, "").astype("str").str.startswith(FORMULA_STARTS).to_numpy(dtype=bool)
    else:
        risky = series.str.startswith(FORMULA_STARTS).fillna(False).to_numpy(dtype=bool)
    if not risky.any():
        return series
    out = series.copy()
    out[risky] = "'" + series[risky].astype("str")
    return out


def to_safe_csv(df: pd.DataFrame) -> bytes:
    """The table as CSV bytes for a download: UTF-8 with BOM, comma-separated, no index column,
    missing values as empty cells, formula-like text neutralised (column names too).

    Written by pyarrow (a million rows in seconds; pandas' writer takes ~15x longer), with
    pandas' writer as the fallback for columns pyarrow cannot take.
    """
    safe = pd.DataFrame({i: neutralise_formulas(df.iloc[:, i]) for i in range(df.shape[1])}, index=df.index)
    safe.columns = neutralise_formulas(pd.Series([str(c) for c in df.columns], dtype=object)).tolist()
    try:
        body = _write_with_arrow(safe)
    except (pa.ArrowException, TypeError, ValueError):
        body = safe.to_csv(index=False).encode("utf-8")
    return BOM + body


def _write_with_arrow(df: pd.DataFrame) -> bytes:
    columns = {}
    for i in range(df.shape[1]):
        s = df.iloc[:, i]
        # Dates as pandas writes them ("2024-01-31", "2024-01-31 10:00:00"); categories and mixed
        # object columns as text; numbers and booleans stay typed, so a spreadsheet sees numbers.
        if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
            s = s.astype("str")
        columns[str(i)] = pa.array(s, from_pandas=True)
    table = pa.Table.from_arrays(list(columns.values()), names=[str(c) for c in df.columns])
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    return sink.getvalue()
