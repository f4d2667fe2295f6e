"""Defensive table reading: the one reader behind the app upload, `inspect` and `run --data`.

pandas defaults corrupt data silently ("NA" becomes NaN, leading zeros vanish, a `;` file
loads as one column). So every cell is first read as text, exactly as written, and each
column's type is then inferred on purpose, with a note saying why. The format is identified
by content (magic bytes), never by file name. Every refusal is a `DataError` that names the
problem and what to do about it.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import gzip
import io
import re
import warnings
import zipfile
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ConfigError, DataError

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
SAMPLE_CHARS = 64 * 1024  # enough lines to detect delimiter, header and decimal mark
HEADER_SEARCH_ROWS = 30

_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

# Strict number patterns (anchored by fullmatch). Decimal comma allows "." as thousands separator.
_NUMBER_DOT = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER_COMMA = r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?(?:[eE][+-]?\d+)?"
_INTEGER = r"[+-]?\d+"
_LEADING_ZERO = r"[+-]?0\d+"
_MAX_EXACT_DIGITS = 15  # float64 keeps 15 significant digits; longer integers are codes

_MONTH_NAMES = r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_DATE_LIKE = re.compile(
    rf"^(\d{{1,4}}[-/.]\d{{1,2}}[-/.]\d{{1,4}}|\d{{1,2}}[ -]?({_MONTH_NAMES})|({_MONTH_NAMES})[a-z]*\.? \d)",
    re.IGNORECASE,
)
_DATE_FORMATS = (
    "ISO8601",
    "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%d/%m/%y", "%m/%d/%y",
    "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%Y/%m/%d %H:%M:%S",
    "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y", "%d-%b-%Y", "%d-%b-%y",
)
_DAY_FIRST = {"%d/%m/%Y": "%m/%d/%Y", "%d/%m/%y": "%m/%d/%y", "%d/%m/%Y %H:%M": "%m/%d/%Y %H:%M",
              "%d/%m/%Y %H:%M:%S": "%m/%d/%Y %H:%M:%S"}

_BINARY_SIGNATURES = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x80\x04": "a Python pickle",
    b"\x80\x05": "a Python pickle",
    b"SQLite format 3": "an SQLite database",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"Rar!": "a RAR archive",
    b"\x7fELF": "a program (ELF executable)",
    b"MZ": "a Windows program",
}
_SUPPORTED = "CSV/TSV text, Excel .xlsx, Parquet, or one of these compressed with gzip"


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file; every None means "detect it"."""

    delimiter: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    sheet: str | None = None
    header_row: int | None = None  # 0-based line (CSV) or row (Excel) holding the column names
    na_tokens: tuple[str, ...] = ("",)  # cells (after strip) read as missing; "NA" stays text

    def __post_init__(self) -> None:
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ConfigError(f"The 'delimiter' of ReadOptions must be one character; got {self.delimiter!r} instead.")
        if self.decimal not in (None, ".", ","):
            raise ConfigError(f"The 'decimal' of ReadOptions must be '.' or ','; got {self.decimal!r} instead.")
        if self.header_row is not None and (not isinstance(self.header_row, int) or self.header_row < 0):
            raise ConfigError(f"The 'header_row' of ReadOptions must be an integer >= 0; got {self.header_row!r} instead.")
        object.__setattr__(self, "na_tokens", tuple(str(t).strip() for t in self.na_tokens))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["na_tokens"] = list(self.na_tokens)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ReadOptions":
        d = dict(d)
        if "na_tokens" in d:
            d["na_tokens"] = tuple(d["na_tokens"])
        return cls(**d)


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    dtype: str
    missing: int
    note: str  # why this type was inferred, in plain words


@dataclass(frozen=True)
class ReadInfo:
    format: str  # "csv" | "excel" | "parquet"
    encoding: str | None
    delimiter: str | None
    decimal: str | None
    header_row: int
    sheet: str | None
    rows: int
    columns: tuple[ColumnInfo, ...]
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "decimal": self.decimal,
            "header_row": self.header_row,
            "sheet": self.sheet,
            "rows": self.rows,
            "columns": [asdict(c) for c in self.columns],
            "warnings": list(self.warnings),
        }


# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


def read_path(path: str | Path, options: ReadOptions = ReadOptions()) -> tuple[pd.DataFrame, ReadInfo]:
    """Read a table from disk (same rules as `read_table`)."""
    p = Path(path)
    if not p.exists():
        where = "" if p.is_absolute() else f" (relative paths start in {Path.cwd()})"
        raise DataError(f"File not found: {p}. Check the path{where} and try again.")
    if not p.is_file():
        raise DataError(f"{p} is a folder, not a file; give the path of a CSV, Excel or Parquet file.")
    size = p.stat().st_size
    _check_size(size, str(p))
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read {p}: {exc.strerror or exc}. Check the file permissions and try again.") from None
    return read_table(data, options)


def read_table(data: bytes, options: ReadOptions = ReadOptions()) -> tuple[pd.DataFrame, ReadInfo]:
    """Read CSV/TSV, Excel (.xlsx) or Parquet bytes (optionally gzipped) into a typed DataFrame."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ConfigError(f"read_table expects the file's bytes; got {type(data).__name__} instead.")
    data = bytes(data)
    if len(data) == 0:
        raise DataError("The file is empty (0 bytes); choose a file that holds a header row and at least one data row.")
    _check_size(len(data), "The file")
    notes: list[str] = []
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data)
        notes.append("The file was gzip-compressed; it was decompressed before reading.")
    if data[:4] == b"PAR1":
        df, info = _read_parquet(data, options)
    elif data[:4] == b"PK\x03\x04":
        df, info = _read_excel(data, options)
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DataError(
            "This is an old Excel 97-2003 workbook (.xls), which cannot be read here; "
            "open it in Excel and save it as .xlsx or CSV, then upload that."
        )
    else:
        df, info = _read_csv(data, options)
    if notes:
        info = ReadInfo(**{**_info_fields(info), "warnings": tuple(notes) + info.warnings})
    return df, info


# --------------------------------------------------------------------------------------
# Container formats
# --------------------------------------------------------------------------------------


def _check_size(size: int, what: str) -> None:
    if size > MAX_UPLOAD_BYTES:
        raise DataError(
            f"{what} is {size / 1024**2:,.1f} MB, over the {MAX_UPLOAD_BYTES // 1024**2} MB limit; "
            "use a smaller extract of the rows, or save it as Parquet (usually 5-10x smaller)."
        )


def _gunzip(data: bytes) -> bytes:
    """Decompress gzip without ever holding more than MAX_UPLOAD_BYTES (zip-bomb guard)."""
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while chunk := gz.read(1024 * 1024):
                out.write(chunk)
                if out.tell() > MAX_UPLOAD_BYTES:
                    raise DataError(
                        f"The gzip file decompresses to more than {MAX_UPLOAD_BYTES // 1024**2} MB; "
                        "use a smaller extract of the rows, or save it as Parquet."
                    )
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"The gzip file is damaged or truncated ({exc}); compress it again or upload it uncompressed.") from None
    result = out.getvalue()
    if not result:
        raise DataError("The gzip file decompresses to an empty file; choose a file that holds a table.")
    if result[:2] == b"\x1f\x8b":
        raise DataError("The file is gzip-compressed twice; decompress it once and upload the result.")
    return result


def _read_parquet(data: bytes, options: ReadOptions) -> tuple[pd.DataFrame, ReadInfo]:
    try:
        df = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises many types for damaged files
        raise DataError(
            f"The Parquet file cannot be read ({_short(exc)}); it may be truncated or damaged — export it again."
        ) from None
    notes: list[str] = []
    df = df.reset_index(drop=True) if not isinstance(df.index, pd.RangeIndex) else df
    names, dropped = _clean_names([str(c) for c in df.columns], notes, [df[c].isna().all() for c in df.columns])
    df.columns = range(df.shape[1])
    df = df.drop(columns=dropped)
    df.columns = [n for i, n in enumerate(names) if i not in dropped]
    if len(df) == 0:
        raise DataError(
            f"The Parquet file has columns ({_name_list(df.columns)}) but no rows; export it again with its data."
        )
    infos = []
    for name in df.columns:
        col = df[name]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col)
                or pd.api.types.is_bool_dtype(col)) and _holds_only_strings(col):
            col = col.astype("str")
            df[name] = col
        infos.append(ColumnInfo(str(name), str(col.dtype), int(col.isna().sum()),
                                f"stored as {col.dtype} in the Parquet file"))
    info = ReadInfo("parquet", None, None, None, 0, None, len(df), tuple(infos), tuple(notes))
    return df, info


def _holds_only_strings(col: pd.Series) -> bool:
    values = col.dropna()
    return bool(values.map(type).eq(str).all()) if len(values) <= 100_000 else bool(
        values.sample(100_000, random_state=0).map(type).eq(str).all())


def _read_excel(data: bytes, options: ReadOptions) -> tuple[pd.DataFrame, ReadInfo]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = zf.namelist()
    except zipfile.BadZipFile:
        raise DataError("The file starts like a zip/Excel file but is damaged; save or export it again.") from None
    if "xl/workbook.xml" not in members:
        inner = ", ".join(members[:5]) + (" ..." if len(members) > 5 else "")
        raise DataError(
            f"This is a zip archive ({inner}), not an Excel workbook; unzip it and upload the table file inside."
        )
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
        sheets = list(book.sheet_names)
    except Exception as exc:
        raise DataError(f"The Excel workbook cannot be opened ({_short(exc)}); open it in Excel, save it again as .xlsx and retry.") from None
    notes: list[str] = []
    if not sheets:
        raise DataError("The Excel workbook has no sheets; choose a workbook that holds a table.")
    if options.sheet is not None and options.sheet not in sheets:
        raise DataError(f"The workbook has no sheet named {options.sheet!r}; choose one of: {_name_list(sheets)}.")
    sheet = options.sheet if options.sheet is not None else sheets[0]
    if options.sheet is None and len(sheets) > 1:
        notes.append(f"Read the first sheet {sheet!r}; the workbook also has {_name_list(sheets[1:])} (choose another sheet to read it).")
    try:
        raw = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object, keep_default_na=False, na_values=[])
    except Exception as exc:
        raise DataError(f"Sheet {sheet!r} cannot be read ({_short(exc)}); save the workbook again as .xlsx and retry.") from None
    cells = raw.map(_excel_cell_to_text) if raw.size else raw
    cells = cells.loc[cells.ne("").any(axis=1)] if cells.size else cells  # skip fully empty rows
    if cells.empty:
        raise DataError(f"Sheet {sheet!r} is empty; choose the sheet that holds the table.")
    counts = cells.ne("").sum(axis=1).tolist()
    if options.header_row is not None:
        if options.header_row not in cells.index:
            raise DataError(f"Row {options.header_row} of sheet {sheet!r} is empty or beyond the data; choose another header row.")
        header_pos = list(cells.index).index(options.header_row)
    else:
        header_pos = _detect_header_position(counts[:HEADER_SEARCH_ROWS], by_max=True)
    header_row = int(cells.index[header_pos])
    if header_pos > 0:
        notes.append(f"Skipped {header_row} row(s) above the header (row {header_row + 1} of the sheet holds the column names).")
    names = cells.iloc[header_pos].tolist()
    body = cells.iloc[header_pos + 1:].reset_index(drop=True)
    body.columns = range(body.shape[1])
    body = body.astype("str")
    df, infos = _finish_text_frame(body, names, options, decimal=".", notes=notes, what=f"Sheet {sheet!r}")
    info = ReadInfo("excel", None, None, None, header_row, sheet, len(df), infos, tuple(notes))
    return df, info


def _excel_cell_to_text(value: Any) -> str:
    """Excel cells come typed; write them as text so one inference path serves every format."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, datetime.datetime):
        ts = pd.Timestamp(value)
        if pd.isna(ts):
            return ""
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------------------
# CSV / text
# --------------------------------------------------------------------------------------


def _read_csv(data: bytes, options: ReadOptions) -> tuple[pd.DataFrame, ReadInfo]:
    notes: list[str] = []
    encoding, text = _decode(data, options.encoding, notes)
    text = text.lstrip("\ufeff")
    if "\r" in text[:SAMPLE_CHARS] and "\n" not in text[:SAMPLE_CHARS]:
        text = text.replace("\r", "\n")  # classic Mac line endings
    if not text.strip():
        raise DataError("The file holds only blank lines or spaces; choose a file with a header row and data rows.")

    delimiter = options.delimiter
    first_line = text[: text.find("\n")] if "\n" in text else text
    skip_lines = 0
    sep_match = re.fullmatch(r'\s*"?sep=(.)"?,*\s*', first_line)
    if sep_match:
        skip_lines = 1
        if delimiter is None:
            delimiter = sep_match.group(1)
            notes.append(f"The first line 'sep={delimiter}' (written by Excel) set the delimiter to {_delimiter_name(delimiter)}.")

    sample_text = _sample_lines(text, skip_lines)
    if delimiter is None:
        delimiter = _detect_delimiter(sample_text)
    rows, line_starts = _parse_sample(sample_text, delimiter)
    if not rows:
        raise DataError("The file holds only blank lines or spaces; choose a file with a header row and data rows.")

    if options.header_row is not None:
        header_line = options.header_row
        if header_line < skip_lines:
            header_line = skip_lines
    else:
        counts = [len(r) for r in rows[:HEADER_SEARCH_ROWS + 1]]
        nonblank = [sum(1 for f in r if f.strip()) for r in rows[:HEADER_SEARCH_ROWS + 1]]
        pos = _detect_header_position(counts, nonblank=nonblank)
        header_line = skip_lines + line_starts[pos]
        if pos > 0:
            notes.append(f"Skipped {pos} line(s) above the header; line {header_line + 1} holds the column names.")

    body_text = _from_line(text, header_line)
    if body_text is None or not body_text.strip():
        raise DataError(f"The file has no line {header_line + 1} to use as the header row; choose a smaller header row.")
    body_text = _trim_trailing_blank_lines(body_text)
    header_fields = next(csv.reader(io.StringIO(body_text, newline=""), delimiter=delimiter), [])
    ncols = len(header_fields)

    if ncols == 1:
        others = [d for d in CANDIDATE_DELIMITERS if d != delimiter and d in header_fields[0]]
        if others:
            found = ", ".join(f"{_delimiter_name(d)} ({d!r})" for d in others)
            raise DataError(
                f"The file reads as a single column {header_fields[0][:60]!r} with {_delimiter_name(delimiter)} as delimiter, "
                f"but its header line contains {found}; choose that delimiter (or let it be detected) and read again."
            )

    decimal = options.decimal or _detect_decimal(rows[1:], delimiter)
    raw = _parse_body(body_text, delimiter, ncols, header_line, encoding)
    if raw.shape[0] <= 1:
        raise DataError(
            f"The file has a header row ({_name_list(header_fields)}) but no data rows; "
            "upload a file that contains data below the header."
        )
    names = [str(v) if v is not None else "" for v in raw.iloc[0].tolist()]
    body = raw.iloc[1:].reset_index(drop=True)
    df, infos = _finish_text_frame(body, names, options, decimal=decimal, notes=notes, what="The file")
    info = ReadInfo("csv", encoding, delimiter, decimal, header_line, None, len(df), infos, tuple(notes))
    return df, info


def _decode(data: bytes, requested: str | None, notes: list[str]) -> tuple[str, str]:
    if requested:
        try:
            codecs.lookup(requested)
        except LookupError:
            raise ConfigError(f"The 'encoding' of ReadOptions must be a known text encoding; got {requested!r} instead.") from None
        try:
            return requested, data.decode(requested)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"The file is not valid {requested} (byte {data[exc.start:exc.start + 1]!r} at position {exc.start:,}); "
                "choose another encoding (e.g. utf-8, cp1252, latin-1) or let it be detected."
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", _decode_or_refuse(data, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", _decode_or_refuse(data, "utf-16")
    head = data[:4096]
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.3 * len(odd) and even.count(0) == 0:
            return "utf-16-le", _decode_or_refuse(data, "utf-16-le")
        if even.count(0) > 0.3 * len(even) and odd.count(0) == 0:
            return "utf-16-be", _decode_or_refuse(data, "utf-16-be")
        if head.count(0) > 0.01 * len(head):
            raise DataError(_binary_message(data))
        data = data.replace(b"\x00", b"")  # a few stray NUL bytes from a broken export
        notes.append("The file contained stray NUL (zero) bytes; they were removed.")
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        try:
            text, encoding = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "latin-1"
        notes.append(f"The file is not UTF-8; it was read as {encoding} (Windows/Western European). "
                     "If accented letters look wrong, choose the right encoding.")
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\r\n\f")
    if controls > 0.01 * min(len(text), 4096):
        raise DataError(_binary_message(data))
    return encoding, text


def _decode_or_refuse(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"The file looks like {encoding} text but byte {exc.start:,} is invalid; "
            "save it again as UTF-8 CSV and upload that."
        ) from None


def _binary_message(data: bytes) -> str:
    kind = next((name for sig, name in _BINARY_SIGNATURES.items() if data.startswith(sig)), "a binary file")
    return f"This file is {kind}, not a table this app can read; upload {_SUPPORTED}."


def _sample_lines(text: str, skip_lines: int) -> str:
    start = _from_line(text, skip_lines) or ""
    if len(start) <= SAMPLE_CHARS:
        return start
    cut = start.rfind("\n", 0, SAMPLE_CHARS)
    return start[: cut if cut > 0 else SAMPLE_CHARS]


def _from_line(text: str, line: int) -> str | None:
    """The text starting at 0-based line `line` (None if the file has fewer lines)."""
    pos = 0
    for _ in range(line):
        nxt = text.find("\n", pos)
        if nxt < 0:
            return None
        pos = nxt + 1
    return text[pos:]


def _trim_trailing_blank_lines(text: str) -> str:
    """Drop blank or space-only lines at the end (editors add them); keep tabs inside real rows."""
    text = text.rstrip("\r\n")
    while True:
        cut = text.rfind("\n")
        if cut < 0 or text[cut + 1:].strip(" \t\r"):
            return text + "\n"
        text = text[:cut].rstrip("\r\n")


def _parse_sample(sample: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """Non-empty rows of the sample and the 0-based line each starts on."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    rows, starts, previous = [], [], 0
    try:
        for row in reader:
            if row and any(f.strip() for f in row) or len(row) > 1:
                rows.append(row)
                starts.append(previous)
            previous = reader.line_num
    except csv.Error:
        pass  # an unterminated quote in the sample; pyarrow gives the real message later
    return rows, starts


def _detect_delimiter(sample: str) -> str:
    """Pick the candidate that splits lines into the same number (>1) of fields most often."""
    best, best_score = ",", (-1.0, 0)
    for delimiter in CANDIDATE_DELIMITERS:
        rows, _ = _parse_sample(sample, delimiter)
        counts = [len(r) for r in rows]
        if not counts:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        score = (freq / len(counts), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _detect_header_position(counts: list[int], nonblank: list[int] | None = None, by_max: bool = False) -> int:
    """First row that looks like a header: as many fields as the data rows, several of them filled."""
    if not counts:
        return 0
    if by_max:  # Excel: counts are filled cells; the header is the first (nearly) full row
        top = max(counts)
        return next((i for i, c in enumerate(counts) if c >= max(2, 0.8 * top)), 0) if top >= 2 else 0
    mode = Counter(counts[1:] or counts).most_common(1)[0][0]
    if counts[0] == mode or mode < 2:
        return 0
    # Only title/blank lines (at most one filled field) are skipped: a short header with several
    # names is a real header, and the row-length check then reports it.
    nonblank = nonblank or counts
    return next((i for i, c in enumerate(counts) if c == mode or nonblank[i] >= 2), 0)


def _detect_decimal(rows: list[list[str]], delimiter: str) -> str:
    if delimiter == ",":
        return "."
    comma = dot = 0
    for row in rows[:500]:
        for cell in row:
            cell = cell.strip()
            if re.fullmatch(r"[+-]?\d+,\d+|[+-]?\d{1,3}(\.\d{3})+,\d+", cell):
                comma += 1
            elif re.fullmatch(r"[+-]?\d*\.\d+", cell) and not re.fullmatch(r"\d{1,3}(\.\d{3})+", cell):
                dot += 1
    return "," if comma > 0 and comma >= dot else "."


def _parse_body(body_text: str, delimiter: str, ncols: int, header_line: int, encoding: str) -> pd.DataFrame:
    """Every cell as text, exactly as written (pyarrow: fast, and strict about row lengths)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"f{i}" for i in range(ncols)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(body_text.encode("utf-8")),
            read_options=pacsv.ReadOptions(column_names=names, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        raise DataError(_parse_error_message(body_text, delimiter, ncols, header_line, exc)) from None
    mapper = {pa.string(): pd.StringDtype("pyarrow", na_value=np.nan), pa.large_string(): pd.StringDtype("pyarrow", na_value=np.nan)}
    df = table.to_pandas(types_mapper=mapper.get)
    df.columns = range(ncols)
    return df


def _parse_error_message(body_text: str, delimiter: str, ncols: int, header_line: int, exc: Exception) -> str:
    """Find the first bad line with the csv module (error path only) and say how to fix it."""
    reader = csv.reader(io.StringIO(body_text, newline=""), delimiter=delimiter)
    previous = 0
    try:
        for row in reader:
            if row and len(row) != ncols:
                line = header_line + previous + 1
                return (
                    f"Line {line} has {len(row)} fields but the header (line {header_line + 1}) has {ncols} "
                    f"({_delimiter_name(delimiter)}-separated); fix that line (a missing or extra {delimiter!r}, "
                    f"or a value containing {delimiter!r} that needs quotes) and upload again."
                )
            previous = reader.line_num
    except csv.Error as err:
        return f"The file cannot be read as CSV near line {header_line + reader.line_num}: {err}; check the quotes on that line."
    return f"The file cannot be read as CSV ({_short(exc)}); check its quotes and delimiters."


# --------------------------------------------------------------------------------------
# Shared: names, missing tokens, type inference
# --------------------------------------------------------------------------------------


def _finish_text_frame(
    body: pd.DataFrame, names: list[str], options: ReadOptions, *, decimal: str, notes: list[str], what: str
) -> tuple[pd.DataFrame, tuple[ColumnInfo, ...]]:
    """Strip cells, mark missing tokens, name the columns and infer each column's type."""
    na_tokens = list(options.na_tokens)
    columns: dict[int, pd.Series] = {}
    for i in body.columns:
        col = body[i].str.strip()
        columns[i] = col.where(~col.isin(na_tokens)) if na_tokens else col
    empty = [bool(columns[i].isna().all()) for i in body.columns]
    clean, dropped = _clean_names(names, notes, empty)
    kept = [i for i in body.columns if i not in dropped]
    if not kept:
        raise DataError(f"{what} has no named columns with data; check that the header row holds the column names.")
    if len(body) == 0:
        raise DataError(
            f"{what} has a header row ({_name_list([clean[i] for i in kept])}) but no data rows; "
            "upload a file that contains data below the header."
        )
    out, infos, ambiguous = {}, [], []
    missing_phrase = _missing_phrase(na_tokens)
    for i in kept:
        series, note, is_ambiguous = _infer_column(columns[i], decimal, missing_phrase)
        out[clean[i]] = series
        infos.append(ColumnInfo(clean[i], str(series.dtype), int(series.isna().sum()), note))
        if is_ambiguous:
            ambiguous.append(clean[i])
    if ambiguous:
        notes.append(f"Dates in {_name_list(ambiguous)} fit both day/month and month/day order; "
                     "the column notes say which order was used. Convert them in cleaning with an explicit format if that is wrong.")
    return pd.DataFrame(out), tuple(infos)


def _clean_names(names: list[str], notes: list[str], empty: list[bool]) -> tuple[list[str], set[int]]:
    """Strip names, name blank headers "column_<n>", drop nameless empty columns, refuse duplicates."""
    clean = [str(n).strip() for n in names]
    dropped = {i for i, n in enumerate(clean) if not n and empty[i]}
    if dropped:
        notes.append(f"Dropped {len(dropped)} column(s) with no name and no values "
                     f"(position {', '.join(str(i + 1) for i in sorted(dropped))}; usually a trailing delimiter).")
    renamed = []
    for i, n in enumerate(clean):
        if not n and i not in dropped:
            clean[i] = f"column_{i + 1}"
            renamed.append(clean[i])
    if renamed:
        notes.append(f"{len(renamed)} column(s) had no name and were named {_name_list(renamed)}; rename them in the file if they mean something.")
    counts = Counter(n for i, n in enumerate(clean) if i not in dropped)
    duplicates = [n for n, c in counts.items() if c > 1]
    if duplicates:
        detail = "; ".join(
            f"{n!r} (columns {', '.join(str(i + 1) for i, m in enumerate(clean) if m == n and i not in dropped)})"
            for n in duplicates[:5]
        )
        raise DataError(f"Column names must be unique, but these appear more than once: {detail}; rename them in the file and upload again.")
    return clean, dropped


def _missing_phrase(na_tokens: list[str]) -> str:
    shown = [repr(t) for t in na_tokens if t]
    if not shown:
        return "blank cells read as missing"
    return f"cells read as missing ({'blank or ' if '' in na_tokens else ''}{', '.join(shown)})"


def _infer_column(col: pd.Series, decimal: str, missing_phrase: str) -> tuple[pd.Series, str, bool]:
    """Return the typed column, a note saying why, and whether dates were ambiguous."""
    n = len(col)
    missing = int(col.isna().sum())
    present = n - missing
    missing_note = f"; {missing:,} {missing_phrase if missing != 1 else missing_phrase.replace('cells', 'cell')}" if missing else ""
    if present == 0:
        return col, "every value is missing; kept as empty text", False
    counts = col.value_counts(sort=False)  # work on distinct values: fast on long columns
    uniques = pd.Series(counts.index, dtype="str")
    pattern = _NUMBER_COMMA if decimal == "," else _NUMBER_DOT
    is_number = uniques.str.fullmatch(pattern)
    if bool(is_number.all()):
        integer_like = uniques.str.fullmatch(_INTEGER)
        zeros = uniques[integer_like & uniques.str.fullmatch(_LEADING_ZERO)]
        if len(zeros):
            return col, f"kept as text: values have leading zeros (e.g. {zeros.iloc[0]!r}), so they are codes, not amounts{missing_note}", False
        long_ints = uniques[integer_like & (uniques.str.lstrip("+-").str.len() > _MAX_EXACT_DIGITS)]
        if len(long_ints):
            return col, f"kept as text: numbers longer than {_MAX_EXACT_DIGITS} digits (e.g. {long_ints.iloc[0]!r}) would lose digits{missing_note}", False
        numeric = _to_number(col, decimal, integer=bool(integer_like.all()) and missing == 0)
        mark = " (decimal comma)" if decimal == "," and not bool(integer_like.all()) else ""
        return numeric, f"{_all_are(present, 'number')}{mark}{missing_note}", False
    not_numbers = int(counts.to_numpy()[~is_number.to_numpy()].sum())
    if not_numbers <= 0.5 * present:
        examples = ", ".join(repr(v) for v in uniques[~is_number].head(3))
        return col, f"kept as text: {not_numbers:,} of {present:,} values are not numbers (e.g. {examples}){missing_note}", False
    dates = _try_dates(col, uniques, decimal)
    if dates is not None:
        parsed, fmt, ambiguous = dates
        span = f"{parsed.min():%Y-%m-%d} to {parsed.max():%Y-%m-%d}"
        how = "" if fmt in ("ISO8601", "mixed") else f", format {fmt}"
        order = "day/month" if fmt.startswith("%d") else "month/day"
        extra = f"; day and month could be swapped, read as {order}" if ambiguous else ""
        return parsed, f"{_all_are(present, 'date')} ({span}{how}){extra}{missing_note}", ambiguous
    return col, f"text: {len(uniques):,} different value{'s' if len(uniques) != 1 else ''}{missing_note}", False


def _to_number(col: pd.Series, decimal: str, integer: bool) -> pd.Series:
    """Convert validated number strings; pyarrow's cast is ~20x faster than pd.to_numeric."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if decimal == ",":
        col = col.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    try:
        values = pc.cast(pa.array(col.array), pa.int64() if integer else pa.float64())
        return pd.Series(values.to_numpy(zero_copy_only=False), index=col.index, name=col.name)
    except (pa.ArrowException, TypeError, ValueError):
        numeric = pd.to_numeric(col, errors="coerce")
        return numeric.astype("int64") if integer else numeric.astype("float64")


def _try_dates(col: pd.Series, uniques: pd.Series, decimal: str) -> tuple[pd.Series, str, bool] | None:
    """Parse as dates only if every value is a date in one known format (ISO first)."""
    probe = uniques.head(200)
    if not probe.map(lambda v: bool(_DATE_LIKE.match(v))).all():
        return None
    fitting = [fmt for fmt in _DATE_FORMATS if _all_parse(probe, fmt)]
    for fmt in fitting:
        if not _all_parse(uniques, fmt):
            continue
        alternative = _DAY_FIRST.get(fmt)
        ambiguous = alternative is not None and alternative in fitting and _all_parse(uniques, alternative)
        if ambiguous and decimal != ",":
            fmt = alternative  # month/day first unless the file looks European
        return _parse_dates(col, fmt), fmt, ambiguous
    if _all_parse(uniques, "mixed"):
        return _parse_dates(col, "mixed"), "mixed", False
    return None


def _all_parse(values: pd.Series, fmt: str) -> bool:
    for utc in (False, True):  # utc=True only when offsets are mixed
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=utc)
            return bool(parsed.notna().all())
        except (ValueError, TypeError, OverflowError):
            continue
    return False


def _parse_dates(col: pd.Series, fmt: str) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(col, format=fmt, errors="coerce")
        except (ValueError, TypeError):  # mixed UTC offsets
            return pd.to_datetime(col, format=fmt, errors="coerce", utc=True)


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _all_are(n: int, noun: str) -> str:
    return f"the only value is a {noun}" if n == 1 else f"all {n:,} values are {noun}s"


def _delimiter_name(delimiter: str) -> str:
    return _DELIMITER_NAMES.get(delimiter, repr(delimiter))


def _name_list(names: Any, limit: int = 8) -> str:
    names = [str(n) for n in names]
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _info_fields(info: ReadInfo) -> dict[str, Any]:
    return {f: getattr(info, f) for f in ReadInfo.__dataclass_fields__}
