"""Defensive table reading: the one reader behind the app upload, `inspect` and `run --data`.

pandas defaults corrupt data silently ("NA" becomes NaN, leading zeros vanish, a `;` file
loads as one column). So every cell is first read as text, exactly as written, and each
column's type is then inferred on purpose, with a note saying why and the values that did not
fit. The format is identified by content (magic bytes), never by file name, and a file name is
never used as a path. Every refusal is a `DataError` that names the problem and what to do.

Memory: a CSV is parsed straight from its bytes (no decoded copy of the whole text when it is
UTF-8) in blocks, as text columns; each column is then typed and its text released at once.
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
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from core.workspace.errors import ConfigError, DataError
from core.workspace.progress import Progress

MAX_UPLOAD_BYTES = 400 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 4 * MAX_UPLOAD_BYTES  # a gzip/zip may inflate this far, no further
# Parquet and xlsx are compressed inside: a 463 kB Parquet declared 40 M rows, a 294 kB xlsx held 86 MB
# of sheet XML. Their metadata (row counts, sizes, the sheet's dimension) is checked before reading.
MAX_ROWS = 10_000_000
MAX_CELLS = 100_000_000  # rows x columns: about 1 GB once in memory
MAX_SHEET_XML_BYTES = 50 * 1024 * 1024  # a sheet's XML plus the shared strings; parsed at ~2 MB/s
MAX_EXCEL_CELLS = 2_000_000  # a sheet's declared dimension; about a minute of parsing
CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
THOUSANDS_CHOICES = ("", ",", ".", " ", "'", "\u00a0", "\u202f")  # "" = no thousands separator
SAMPLE_BYTES = 64 * 1024  # enough lines to detect delimiter, quotes, header and number format
BLOCK_BYTES = 4 * 1024 * 1024  # CSV parse block: progress granularity and peak working memory
HEADER_SEARCH_ROWS = 30
MAX_EXAMPLES = 5


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas 3 "str", backed by Arrow

_LEADING_ZERO = r"[+-]?0\d+"
_MAX_EXACT_DIGITS = 15  # float64 keeps 15 significant digits; longer integers are codes
# How real exports (English and Portuguese: IBGE, DATASUS, Excel in pt-BR) write "no value" in a
# column of numbers or dates. Compared case-insensitively, and only read as missing when every other
# value of the column is a number (or every one a date): "NA" among country codes stays Namibia.
NUMERIC_MISSING_TOKENS = frozenset({
    "na", "n/a", "n.a.", "nan", "null", "none", "nil", "missing", "unknown", "not available",
    "?", "??", "-", "--", "---", "\u2013", "\u2014", ".", "..", "...",
    "n/d", "nd", "n.d.", "s/d", "s.d.", "s/i", "s/inf", "sem dados", "sem dado", "sem informação", "sem informacao",
    "sem info", "não informado", "nao informado", "não disponível", "nao disponivel", "indisponível",
    "ignorado", "vazio", "(vazio)", "(blank)", "(em branco)", "em branco",
    "#n/a", "#n/d", "#na", "#null!", "#nulo!", "#div/0!", "#value!", "#valor!", "#ref!", "#num!", "#name?", "#nome?",
})

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

# Signatures that identify a non-table file before anything else is tried.
_BINARY_SIGNATURES = {
    b"%PDF-": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF87a": "a GIF image",
    b"GIF89a": "a GIF image",
    b"\x80\x02": "a Python pickle",
    b"\x80\x03": "a Python pickle",
    b"\x80\x04": "a Python pickle",
    b"\x80\x05": "a Python pickle",
    b"SQLite format 3\x00": "an SQLite database",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"Rar!\x1a\x07": "a RAR archive",
    b"\xfd7zXZ\x00": "an xz-compressed file",
    b"\x28\xb5\x2f\xfd": "a Zstandard-compressed file",
    b"\x7fELF": "a program (ELF executable)",
}
_WEAK_SIGNATURES = {b"MZ": "a Windows program"}  # only when the content is binary too
_SUPPORTED = "CSV/TSV text, Excel .xlsx, Parquet, or one of these compressed with gzip or zip"
_ZIP_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")
_XLSX_NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
            "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file; every None means "detect it"."""

    delimiter: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    sheet: str | None = None
    header_row: int | None = None  # 0-based line (CSV) or row (Excel) holding the column names
    na_tokens: tuple[str, ...] = ("",)  # cells (after strip) read as missing; "NA" stays text
    thousands: str | None = None  # None = detect; "" = the file has no thousands separator
    quotechar: str | None = None  # None = detect ('"' unless the file quotes with "'")
    # 'N/D', '?', '-', 'NA'... (NUMERIC_MISSING_TOKENS) read as missing where the rest of a column is
    # numbers or dates; False keeps them as text (e.g. a file where '-' means zero).
    numeric_missing_tokens: bool = True

    def __post_init__(self) -> None:
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ConfigError(f"The 'delimiter' of ReadOptions must be one character; got {self.delimiter!r} instead.")
        if self.decimal not in (None, ".", ","):
            raise ConfigError(f"The 'decimal' of ReadOptions must be '.' or ','; got {self.decimal!r} instead.")
        if self.header_row is not None and (not isinstance(self.header_row, int) or self.header_row < 0):
            raise ConfigError(f"The 'header_row' of ReadOptions must be an integer >= 0; got {self.header_row!r} instead.")
        if self.thousands is not None and self.thousands not in THOUSANDS_CHOICES:
            raise ConfigError(f"The 'thousands' of ReadOptions must be one of {', '.join(map(repr, THOUSANDS_CHOICES))}; "
                              f"got {self.thousands!r} instead.")
        if self.thousands and self.thousands == self.decimal:
            raise ConfigError(f"The 'thousands' of ReadOptions must differ from the decimal mark; both are {self.decimal!r}.")
        if not isinstance(self.numeric_missing_tokens, bool):
            raise ConfigError(f"The 'numeric_missing_tokens' of ReadOptions must be True or False; "
                              f"got {self.numeric_missing_tokens!r} instead.")
        if self.quotechar is not None and (len(self.quotechar) != 1 or self.quotechar.isalnum()
                                           or self.quotechar == self.delimiter):
            raise ConfigError(f"The 'quotechar' of ReadOptions must be one punctuation character other than the "
                              f"delimiter; got {self.quotechar!r} instead.")
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
    examples_not_fitting: tuple[str, ...] = ()  # up to 5 raw values that kept it from a richer type


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
    thousands: str | None = None  # the thousands separator used (None: none)
    quotechar: str | None = None
    sheets: tuple[str, ...] = ()  # Excel: every sheet of the workbook; `sheet` is the one read
    na_tokens: tuple[str, ...] = ("",)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "decimal": self.decimal,
            "thousands": self.thousands,
            "quotechar": self.quotechar,
            "header_row": self.header_row,
            "sheet": self.sheet,
            "sheets": list(self.sheets),
            "na_tokens": list(self.na_tokens),
            "rows": self.rows,
            "columns": [{**asdict(c), "examples_not_fitting": list(c.examples_not_fitting)} for c in self.columns],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ReadInfo":
        d = dict(d)
        d["columns"] = tuple(ColumnInfo(**{**c, "examples_not_fitting": tuple(c.get("examples_not_fitting", ()))})
                             for c in d["columns"])
        for key in ("warnings", "sheets", "na_tokens"):
            if key in d:
                d[key] = tuple(d[key])
        return cls(**d)


# --------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------


def read_path(path: str | Path, options: ReadOptions = ReadOptions(),
              progress: Progress | None = None) -> tuple[pd.DataFrame, ReadInfo]:
    """Read a table from disk (same rules as `read_table`)."""
    p = Path(path)
    if not p.exists():
        where = "" if p.is_absolute() else f" (relative paths start in {Path.cwd()})"
        raise DataError(f"File not found: {p}. Check the path{where} and try again.")
    if not p.is_file():
        raise DataError(f"{p} is a folder, not a file; give the path of a CSV, Excel or Parquet file.")
    _check_size(p.stat().st_size, str(p))
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise DataError(f"Cannot read {p}: {exc.strerror or exc}. Check the file permissions and try again.") from None
    return read_table(data, options, progress)


def read_table(data: bytes, options: ReadOptions = ReadOptions(),
               progress: Progress | None = None) -> tuple[pd.DataFrame, ReadInfo]:
    """Read CSV/TSV, Excel (.xlsx) or Parquet bytes (optionally gzip- or zip-compressed) into a typed DataFrame.

    `progress(fraction, message)` is called while a large file is parsed and typed.
    """
    data = _as_bytes(data)
    report = progress or (lambda fraction, message: None)
    if len(data) == 0:
        raise DataError("The file is empty (0 bytes); choose a file that holds a header row and at least one data row.")
    _check_size(len(data), "The file")
    report(0.0, "Identifying the file format")
    data, notes = _unwrap(data)
    kind = _identify(data)
    if kind == "parquet":
        df, info = _read_parquet(data)
    elif kind == "excel":
        df, info = _read_excel(data, options, report)
    else:
        df, info = _read_csv(data, options, report)
    if notes:
        info = _with(info, warnings=tuple(notes) + info.warnings)
    report(1.0, f"Read {info.rows:,} rows × {len(info.columns)} columns")
    return df, info


def list_excel_sheets(data: bytes) -> list[str]:
    """Sheet names of an .xlsx workbook (also inside gzip/zip), in workbook order."""
    data, _ = _unwrap(_as_bytes(data))
    if _identify(data) != "excel":
        raise DataError("This file is not an Excel .xlsx workbook, so it has no sheets; read it as a table instead.")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        _check_workbook_inflated_size(zf)
        return [name for name, _ in _sheet_parts(zf)]


# --------------------------------------------------------------------------------------
# Identification and containers (gzip, zip)
# --------------------------------------------------------------------------------------


def _as_bytes(data: Any) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ConfigError(f"read_table expects the file's bytes; got {type(data).__name__} instead.")
    return data if isinstance(data, bytes) else bytes(data)


def _check_size(size: int, what: str) -> None:
    if size > MAX_UPLOAD_BYTES:
        raise DataError(
            f"{what} is {_size(size)}, over the {_size(MAX_UPLOAD_BYTES)} limit; "
            "use a smaller extract of the rows, or save it as Parquet (usually 5-10x smaller)."
        )


def _check_table_shape(what: str, rows: int, columns: int, max_cells: int | None = None) -> None:
    """Refuse a table whose metadata declares more rows or cells than fit in memory, before reading it."""
    max_cells = MAX_CELLS if max_cells is None else max_cells
    if rows > MAX_ROWS:
        raise DataError(f"{what} declares {rows:,} rows, over the {MAX_ROWS:,}-row limit; save a sample or an "
                        "extract of the rows (a few hundred thousand are plenty to train on) and upload that.")
    if rows * columns > max_cells:
        raise DataError(f"{what} declares {rows:,} rows × {columns:,} columns ({rows * columns:,} cells), over the "
                        f"{max_cells:,}-cell limit; save only the columns you need, or a sample of the rows, "
                        "as CSV and upload that.")


def _too_big_when_inflated(kind: str) -> DataError:
    return DataError(
        f"The {kind} file decompresses to more than {_size(MAX_DECOMPRESSED_BYTES)} (a zip bomb?); "
        "upload a smaller extract of the rows, or save the table as Parquet."
    )


def _is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _unwrap(data: bytes) -> tuple[bytes, list[str]]:
    """Decompress one level of gzip or (non-Excel) zip, capped at MAX_DECOMPRESSED_BYTES."""
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data)
        notes = ["The file was gzip-compressed; it was decompressed before reading."]
    elif _is_zip(data) and not _is_office_zip(data):
        data, member = _unzip_single(data)
        notes = [f"The file was a zip archive; its only file {member!r} was read."]
    else:
        return data, []
    if data[:2] == b"\x1f\x8b" or (_is_zip(data) and not _is_office_zip(data)):
        raise DataError("The file is compressed twice (an archive inside an archive); "
                        "decompress it once and upload the table file inside.")
    return data, notes


def _gunzip(data: bytes) -> bytes:
    """Decompress gzip without ever holding more than MAX_DECOMPRESSED_BYTES (zip-bomb guard)."""
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while chunk := gz.read(1024 * 1024):
                out.write(chunk)
                if out.tell() > MAX_DECOMPRESSED_BYTES:
                    raise _too_big_when_inflated("gzip")
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"The gzip file is damaged or truncated ({_short(exc)}); compress it again or upload it uncompressed.") from None
    result = out.getvalue()
    if not result:
        raise DataError("The gzip file decompresses to an empty file; choose a file that holds a table.")
    return result


def _is_office_zip(data: bytes) -> bool:
    """An .xlsx/.docx/.ods is a zip too; those are identified by their parts, not unzipped."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return bool(names & {"xl/workbook.xml", "word/document.xml", "ppt/presentation.xml", "mimetype"})


def _unzip_single(data: bytes) -> tuple[bytes, str]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DataError("The file starts like a zip archive but is damaged; compress it again or upload the table uncompressed.") from None
    with zf:
        members = [m for m in zf.infolist()
                   if not m.is_dir() and not any(j in m.filename for j in _ZIP_JUNK)
                   and not Path(m.filename).name.startswith("._")]
        if not members:
            raise DataError("The zip archive holds no files; put the table file in it, or upload the table itself.")
        if len(members) > 1:
            raise DataError(
                f"The zip archive holds {len(members)} files ({_name_list(m.filename for m in members)}); "
                "a zip must hold exactly one table: unzip it and upload the file you want."
            )
        member = members[0]
        if member.flag_bits & 0x1:
            raise DataError(f"The file {member.filename!r} in the zip archive is password-protected; "
                            "unzip it yourself and upload the table file.")
        if member.file_size > MAX_DECOMPRESSED_BYTES:
            raise _too_big_when_inflated("zip")
        out = io.BytesIO()
        try:
            with zf.open(member) as fh:
                while chunk := fh.read(1024 * 1024):
                    out.write(chunk)
                    if out.tell() > MAX_DECOMPRESSED_BYTES:  # the declared size can lie
                        raise _too_big_when_inflated("zip")
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
            raise DataError(f"The file {member.filename!r} in the zip archive cannot be extracted ({_short(exc)}); "
                            "unzip it yourself and upload the table file.") from None
    result = out.getvalue()
    if not result:
        raise DataError(f"The file {member.filename!r} in the zip archive is empty; choose a file that holds a table.")
    return result, member.filename


def _identify(data: bytes) -> str:
    """'parquet' | 'excel' | 'text', or a refusal naming what the file really is."""
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DataError(
            "This is an old Excel 97-2003 workbook (.xls), which cannot be read here; "
            "open it in Excel and save it as .xlsx or CSV, then upload that."
        )
    if _is_zip(data):
        return _identify_office(data)
    for signature, name in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise DataError(f"This file is {name}, not a table this app can read; upload {_SUPPORTED}.")
    if data[:3] == b"BZh" and data[4:10] == b"1AY&SY":
        raise DataError("This file is bzip2-compressed; decompress it (or compress it with gzip instead) and upload again.")
    return "text"


def _identify_office(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:80] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        raise DataError("The file starts like a zip/Excel file but is damaged; save or export it again.") from None
    if "xl/workbook.xml" in names:
        return "excel"
    if b"opendocument.spreadsheet" in mimetype:
        raise DataError("This is an OpenDocument spreadsheet (.ods); save it as .xlsx or CSV and upload that.")
    if "word/document.xml" in names or b"opendocument.text" in mimetype:
        raise DataError(f"This is a word-processor document, not a table; upload {_SUPPORTED}.")
    if "ppt/presentation.xml" in names:
        raise DataError(f"This is a PowerPoint presentation, not a table; upload {_SUPPORTED}.")
    raise DataError(f"This is a zip archive that holds no table this app can read; upload {_SUPPORTED}.")


# --------------------------------------------------------------------------------------
# Parquet
# --------------------------------------------------------------------------------------


def _read_parquet(data: bytes) -> tuple[pd.DataFrame, ReadInfo]:
    try:
        df = _parquet_table(data).to_pandas()  # as pd.read_parquet converts it (index, str, categories)
    except DataError:
        raise
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
    info = ReadInfo("parquet", None, None, None, 0, None, len(df), tuple(infos), tuple(notes),
                    na_tokens=())  # Parquet stores missing values itself; no token is applied
    return df, info


def _parquet_table(data: bytes) -> Any:
    """The Parquet file as an Arrow table, refused from its metadata when it would not fit in memory.

    Compression and dictionary encoding hide the real size: a constant column of 40 M rows takes a
    few kB on disk. The row count and the stored (uncompressed) page sizes come from the footer; text
    columns are read as dictionaries first, so their decoded size is known before it is allocated.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    footer = pq.ParquetFile(io.BytesIO(data))
    meta, schema = footer.metadata, footer.schema_arrow
    rows = meta.num_rows
    _check_table_shape("The Parquet file", rows, len(schema))
    fixed = sum(rows * f.type.bit_width // 8 for f in schema
                if pa.types.is_primitive(f.type) and not pa.types.is_boolean(f.type))
    stored = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if max(fixed, stored) > MAX_DECOMPRESSED_BYTES:
        raise _too_big_in_memory(max(fixed, stored), len(data))
    def is_text(t: Any) -> bool:
        return pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t)

    text = [f.name for f in schema if is_text(f.type) and "." not in f.name]
    # Category columns (stored as dictionaries) are turned into text later on: count them decoded too.
    categories = [f.name for f in schema if pa.types.is_dictionary(f.type) and is_text(f.type.value_type)]
    table = pq.read_table(io.BytesIO(data), read_dictionary=text or None, use_pandas_metadata=True)
    decoded = fixed
    for name in text + categories:
        for chunk in table.column(name).chunks:
            decoded += pc.sum(pc.take(pc.binary_length(chunk.dictionary), chunk.indices)).as_py() or 0
            decoded += 8 * len(chunk)  # offsets
        if decoded > MAX_DECOMPRESSED_BYTES:
            raise _too_big_in_memory(decoded, len(data))
    for name in text:
        i = table.schema.get_field_index(name)
        table = table.set_column(i, schema.field(name), table.column(i).cast(schema.field(name).type))
    return table


def _too_big_in_memory(size: int, on_disk: int) -> DataError:
    return DataError(f"The Parquet file ({_size(on_disk)} on disk) expands to about {_size(size)} once read, over the "
                     f"{_size(MAX_DECOMPRESSED_BYTES)} limit; save a sample or an extract of the rows and upload that.")


def _holds_only_strings(col: pd.Series) -> bool:
    values = col.dropna()
    return bool(values.map(type).eq(str).all()) if len(values) <= 100_000 else bool(
        values.sample(100_000, random_state=0).map(type).eq(str).all())


# --------------------------------------------------------------------------------------
# Excel
# --------------------------------------------------------------------------------------


def _read_excel(data: bytes, options: ReadOptions, report: Progress) -> tuple[pd.DataFrame, ReadInfo]:
    import pyarrow as pa

    report(0.05, "Opening the workbook")
    _check_sheet_size(data, options.sheet)
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
    report(0.1, f"Reading sheet {sheet!r}")
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
            raise DataError(f"Row {options.header_row} of sheet {sheet!r} (row {options.header_row + 1} in Excel) is empty "
                            "or beyond the data; choose another header row.")
        header_pos = list(cells.index).index(options.header_row)
    else:
        header_pos = _detect_header_position(counts[:HEADER_SEARCH_ROWS], by_max=True)
    header_row = int(cells.index[header_pos])
    if header_pos > 0:
        notes.append(f"Skipped {header_row} row(s) above the header (row {header_row + 1} of the sheet holds the column names).")
    names = cells.iloc[header_pos].tolist()
    body = cells.iloc[header_pos + 1:]
    columns = [pa.chunked_array([pa.array(body[i].tolist(), pa.large_string())]) for i in body.columns]
    del raw, cells, body
    report(0.5, "Typing the columns")
    df, infos = _finish_columns(columns, names, options, decimal=".", thousands=None, notes=notes,
                                what=f"Sheet {sheet!r}", report=lambda f, m: report(0.5 + 0.5 * f, m))
    notes.extend(_formula_warnings(data, sheet, header_row, names, [c.name for c in infos]))
    info = ReadInfo("excel", None, None, None, header_row, sheet, len(df), infos, tuple(notes),
                    sheets=tuple(sheets), na_tokens=options.na_tokens)
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


def _sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str | None]]:
    """(sheet name, path of its XML part) in workbook order, from workbook.xml and its relations."""
    try:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels")) if "xl/_rels/workbook.xml.rels" in zf.namelist() else None
    except (ElementTree.ParseError, KeyError, zipfile.BadZipFile) as exc:
        raise DataError(f"The Excel workbook is damaged ({_short(exc)}); open it in Excel, save it again as .xlsx and retry.") from None
    targets = {}
    for rel in (rels if rels is not None else []):
        target = rel.get("Target", "")
        targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    parts = []
    for sheet in book.iterfind("m:sheets/m:sheet", _XLSX_NS):
        rid = sheet.get(f"{{{_XLSX_NS['r']}}}id")
        parts.append((sheet.get("name", ""), targets.get(rid)))
    return parts


def _check_workbook_inflated_size(zf: zipfile.ZipFile) -> None:
    """An xlsx is a zip: refuse one whose parts declare more than the decompression cap (Python's zip
    reader never inflates a part past its declared size, so the declared sizes are a real bound)."""
    if sum(member.file_size for member in zf.infolist()) > MAX_DECOMPRESSED_BYTES:
        raise _too_big_when_inflated("Excel")


def _check_sheet_size(data: bytes, sheet: str | None) -> None:
    """Refuse a sheet too big to parse in reasonable time, from the zip's sizes and the sheet's dimension.

    openpyxl parses about 2 MB of sheet XML a second and loads every shared string at once, so a
    294 kB workbook holding 86 MB of XML took minutes; the sizes are known before any parsing.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            _check_workbook_inflated_size(zf)
            parts = _sheet_parts(zf)
            name, part = next(((n, p) for n, p in parts if n == sheet), (None, None)) if sheet is not None else \
                (parts[0] if parts else (None, None))
            sizes = {m.filename: m.file_size for m in zf.infolist()}
            if part not in sizes:
                return  # no such sheet: reading it gives the message that lists the sheets
            xml = sizes[part] + sizes.get("xl/sharedStrings.xml", 0)
            if xml > MAX_SHEET_XML_BYTES:
                raise DataError(f"Sheet {name!r} holds {_size(xml)} of spreadsheet XML once unzipped (the file is "
                                f"{_size(len(data))}), over the {_size(MAX_SHEET_XML_BYTES)} that can be read in "
                                "reasonable time; save the sheet as CSV (File > Save As > CSV) and upload that.")
            with zf.open(part) as fh:
                head = fh.read(SAMPLE_BYTES)
    except (zipfile.BadZipFile, OSError, KeyError):
        return  # a damaged workbook: opening it gives the message
    dimension = _sheet_dimension(head)
    if dimension is not None:
        rows, columns = dimension
        _check_table_shape(f"Sheet {name!r}", rows, columns, max_cells=MAX_EXCEL_CELLS)


def _sheet_dimension(head: bytes) -> tuple[int, int] | None:
    """(rows, columns) the sheet declares in its <dimension ref="A1:F20000"/>, if it says."""
    match = re.search(rb'<(?:\w{1,10}:)?dimension\s+ref="\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?"', head)
    if not match or match.group(3) is None:
        return None
    first = _cell_position(f"{match.group(1).decode()}{match.group(2).decode()}")
    last = _cell_position(f"{match.group(3).decode()}{match.group(4).decode()}")
    if first is None or last is None:
        return None
    return last[0] - first[0] + 1, last[1] - first[1] + 1


def _formula_warnings(data: bytes, sheet: str, header_row: int, raw_names: list[str], names: list[str]) -> list[str]:
    """Formulas saved without a value (e.g. written by a script, never opened in Excel) read as blanks: say so."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            part = dict(_sheet_parts(zf)).get(sheet)
            if not part or part not in zf.namelist():
                return []
            cells = _formulas_without_value(zf, part)
    except (DataError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return []
    below = [(r, c) for r, c in cells if r > header_row]
    if not below:
        return []
    known = {i: str(n).strip() for i, n in enumerate(raw_names) if str(n).strip() in names}
    columns = sorted({c for _, c in below})
    labels = [repr(known[c]) if c in known else _column_letter(c) for c in columns]  # 'total', or F if unnamed
    where = ("column " if len(labels) == 1 else "columns ") + ", ".join(labels[:6]) + (" and more" if len(labels) > 6 else "")
    n = len(below)
    return [f"Sheet {sheet!r}: {n:,} cell{'s' if n != 1 else ''} in {where} hold formulas with no saved value "
            "(the file was never opened and saved in Excel); they were read as missing. "
            "Open and save the file in Excel, or export it to CSV."]


def _formulas_without_value(zf: zipfile.ZipFile, part: str) -> list[tuple[int, int]]:
    """0-based (row, column) of formula cells whose cached value is absent."""
    with zf.open(part) as fh:  # cheap pre-check: most sheets hold no formulas at all
        has_formula = False
        tail = b""
        while chunk := fh.read(1 << 20):
            if re.search(rb"<(?:\w{1,10}:)?f[ >/]", tail + chunk):  # <f>, <f t="shared" .../>, <x:f>
                has_formula = True
                break
            tail = chunk[-16:]
    if not has_formula:
        return []
    found = []
    sheet_data = None
    with zf.open(part) as fh:
        for event, elem in ElementTree.iterparse(fh, events=("start", "end")):
            tag = elem.tag.rsplit("}", 1)[-1]
            if event == "start":
                sheet_data = elem if tag == "sheetData" else sheet_data
                continue
            if tag != "row":
                continue
            for cell in elem:
                parts = {child.tag.rsplit("}", 1)[-1]: child for child in cell}
                value = parts.get("v")
                no_value = value is None or (not value.text and cell.get("t") != "str")
                if "f" in parts and no_value and (ref := _cell_position(cell.get("r", ""))):
                    found.append(ref)
            if sheet_data is not None:
                sheet_data.clear()  # keep memory flat on big sheets: rows already seen are dropped
    return found


def _cell_position(ref: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    if not match:
        return None
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, col - 1


def _column_letter(index: int) -> str:
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --------------------------------------------------------------------------------------
# CSV / text
# --------------------------------------------------------------------------------------


@dataclass
class _Text:
    """UTF-8 bytes of the file and where its text starts (after a BOM)."""

    buf: bytes
    start: int
    encoding: str


def _read_csv(data: bytes, options: ReadOptions, report: Progress) -> tuple[pd.DataFrame, ReadInfo]:
    notes: list[str] = []
    report(0.01, "Checking the text encoding")
    text = _prepare_text(data, options.encoding, notes)
    del data  # the caller still holds it; nothing here keeps a second reference
    head = _head_text(text, text.start)
    if "\r" in head and "\n" not in head:  # classic Mac line endings
        text.buf = text.buf.replace(b"\r", b"\n")
        head = head.replace("\r", "\n")
    if not head.strip() and not text.buf[text.start:].strip():
        raise DataError("The file holds only blank lines or spaces; choose a file with a header row and data rows.")

    delimiter = options.delimiter
    first_line = head.split("\n", 1)[0]
    skip_lines = 0
    sep_match = re.fullmatch(r'\s*"?sep=(.)"?[,;\t|]*\s*', first_line)
    if sep_match:
        skip_lines = 1
        if delimiter is None:
            delimiter = sep_match.group(1)
            notes.append(f"The first line 'sep={delimiter}' (written by Excel) set the delimiter to {_delimiter_name(delimiter)}.")

    sample = _skip_lines(head, skip_lines)
    quotechar = options.quotechar or _detect_quotechar(sample)
    if quotechar == delimiter:
        quotechar = '"' if delimiter != '"' else "'"
    if delimiter is None:
        delimiter = _detect_delimiter(sample, quotechar)
    if quotechar != '"':
        notes.append(f"Values are quoted with {quotechar!r} instead of '\"'.")
    rows, line_starts = _parse_sample(sample, delimiter, quotechar)
    if not rows:
        raise DataError("The file holds only blank lines or spaces; choose a file with a header row and data rows.")

    if options.header_row is not None:
        header_line = max(options.header_row, skip_lines)
        header_pos = next((i for i, s in enumerate(line_starts) if skip_lines + s >= header_line), len(rows))
    else:
        counts = [len(r) for r in rows[:HEADER_SEARCH_ROWS + 1]]
        nonblank = [sum(1 for f in r if f.strip()) for r in rows[:HEADER_SEARCH_ROWS + 1]]
        header_pos = _detect_header_position(counts, nonblank=nonblank)
        header_line = skip_lines + line_starts[header_pos]
        if header_pos > 0:
            notes.append(f"Skipped {header_pos} line(s) above the header; line {header_line + 1} holds the column names.")

    offset = _line_offset(text.buf, text.start, header_line)
    end = _end_without_blank_lines(text.buf, offset or 0)
    if offset is None or not text.buf[offset:min(end, offset + SAMPLE_BYTES)].strip():
        raise DataError(f"The file has no line {header_line + 1} to use as the header row; choose a smaller header row.")
    header_fields = next(csv.reader(io.StringIO(_head_text(text, offset, end), newline=""),
                                    delimiter=delimiter, quotechar=quotechar), [])
    ncols = len(header_fields)
    if ncols == 1:
        others = [d for d in CANDIDATE_DELIMITERS if d != delimiter and d in header_fields[0]]
        if others:
            found = ", ".join(f"{_delimiter_name(d)} ({d!r})" for d in others)
            raise DataError(
                f"The file reads as a single column {header_fields[0][:60]!r} with {_delimiter_name(delimiter)} as delimiter, "
                f"but its header line contains {found}; choose that delimiter (or let it be detected) and read again."
            )

    sample_cells = [cell for row in rows[header_pos + 1:] for cell in row]
    sample_cells += _extra_sample_cells(text.buf, offset, end, delimiter, quotechar)
    decimal, thousands = _detect_number_format(sample_cells, delimiter, options.decimal, options.thousands)

    encoding = text.encoding
    names, columns = _parse_rows(text.buf, offset, end, delimiter, quotechar, ncols, header_line,
                                 lambda f, m: report(0.02 + 0.6 * f, m))
    text = None  # the UTF-8 copy (if the file was transcoded) is no longer needed
    if not columns or len(columns[0]) == 0:
        raise DataError(
            f"The file has a header row ({_name_list(header_fields)}) but no data rows; "
            "upload a file that contains data below the header."
        )
    df, infos = _finish_columns(columns, names, options, decimal=decimal, thousands=thousands, notes=notes,
                                what="The file", report=lambda f, m: report(0.62 + 0.38 * f, m))
    info = ReadInfo("csv", encoding, delimiter, decimal, header_line, None, len(df), infos, tuple(notes),
                    thousands=thousands, quotechar=quotechar, na_tokens=options.na_tokens)
    return df, info


def _prepare_text(data: bytes, requested: str | None, notes: list[str]) -> _Text:
    """Decide the encoding; UTF-8 files are used as they are, others are transcoded to UTF-8 once."""
    if requested:
        try:
            name = codecs.lookup(requested).name
        except LookupError:
            raise ConfigError(f"The 'encoding' of ReadOptions must be a known text encoding; got {requested!r} instead.") from None
        try:
            if name in ("utf-8", "utf-8-sig"):
                _validate(data, "utf-8")
                buf = data
            else:
                buf = _transcode(data, requested)
        except UnicodeDecodeError as exc:
            raise DataError(
                f"The file is not valid {requested} (byte {data[exc.start:exc.start + 1]!r} at position {exc.start:,}); "
                "choose another encoding (e.g. utf-8, cp1252, latin-1) or let it be detected."
            ) from None
        return _Text(buf, 3 if buf.startswith(codecs.BOM_UTF8) else 0, requested)
    if data.startswith(codecs.BOM_UTF8):
        _decode_or_refuse(data, "utf-8")
        return _Text(data, 3, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _Text(_decode_or_refuse(data, "utf-16"), 0, "utf-16")
    head = data[:4096]
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.3 * len(odd) and even.count(0) == 0:
            return _Text(_decode_or_refuse(data, "utf-16-le"), 0, "utf-16-le")
        if even.count(0) > 0.3 * len(even) and odd.count(0) == 0:
            return _Text(_decode_or_refuse(data, "utf-16-be"), 0, "utf-16-be")
        if head.count(0) > 0.01 * len(head):
            raise DataError(_binary_message(data))
        data = data.replace(b"\x00", b"")  # a few stray NUL bytes from a broken export
        notes.append("The file contained stray NUL (zero) bytes; they were removed.")
    # Control characters are a binary file's mark; check before decoding 400 MB of it.
    controls = sum(1 for b in head.replace(b"\x00", b"") if b < 32 and b not in b"\t\r\n\f")
    if controls > 0.01 * min(len(head), 4096):
        raise DataError(_binary_message(data))
    try:
        _validate(data, "utf-8")
        return _Text(data, 0, "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        buf, encoding = _transcode(data, "cp1252"), "cp1252"
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined (0x81, 0x8D...): Latin-1 takes any byte
        buf, encoding = _transcode(data, "latin-1"), "latin-1"
    notes.append(f"The file is not UTF-8; it was read as {encoding} (Windows/Western European). "
                 "If accented letters look wrong, choose the right encoding.")
    return _Text(buf, 0, encoding)


def _validate(data: bytes, encoding: str) -> None:
    """Raise UnicodeDecodeError (absolute position) if `data` is not valid `encoding`; decodes in blocks."""
    if encoding == "utf-8" and _is_utf8(data):
        return  # Arrow checks UTF-8 ~10x faster than decoding; Python only runs to find a bad byte
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    for pos in range(0, len(data), 16 << 20):
        try:
            decoder.decode(view[pos:pos + (16 << 20)], final=pos + (16 << 20) >= len(data))
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError(exc.encoding, data, pos + exc.start, pos + exc.end, exc.reason) from None
    if not len(data):
        decoder.decode(b"", final=True)


def _is_utf8(data: bytes) -> bool:
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _transcode(data: bytes, encoding: str) -> bytes:
    """`data` decoded from `encoding` and encoded as UTF-8, block by block (no full decoded copy)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    out = io.BytesIO()
    view = memoryview(data)
    step = 16 << 20
    for pos in range(0, max(len(data), 1), step):
        try:
            out.write(decoder.decode(view[pos:pos + step], final=pos + step >= len(data)).encode("utf-8", "surrogatepass"))
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError(exc.encoding, data, pos + exc.start, pos + exc.end, exc.reason) from None
    return out.getvalue()


def _decode_or_refuse(data: bytes, encoding: str) -> bytes:
    """UTF-8 bytes of `data` (itself when it already is UTF-8), or a refusal naming the bad byte."""
    try:
        if encoding == "utf-8":
            _validate(data, "utf-8")
            return data
        return _transcode(data, encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"The file looks like {encoding} text but byte {exc.start:,} is invalid; "
            "save it again as UTF-8 CSV and upload that."
        ) from None


def _binary_message(data: bytes) -> str:
    signatures = {**_BINARY_SIGNATURES, **_WEAK_SIGNATURES}
    kind = next((name for sig, name in signatures.items() if data.startswith(sig)), "a binary file")
    return f"This file is {kind}, not a table this app can read; upload {_SUPPORTED}."


def _head_text(text: _Text, offset: int, end: int | None = None) -> str:
    """Up to SAMPLE_BYTES of text from `offset`, cut at the last full line when the file goes on."""
    stop = min(offset + SAMPLE_BYTES, len(text.buf) if end is None else end)
    head = codecs.getincrementaldecoder("utf-8")("replace").decode(text.buf[offset:stop], final=False)
    if stop < (len(text.buf) if end is None else end):
        cut = head.rfind("\n")
        head = head[:cut + 1] if cut > 0 else head
    return head.lstrip("\ufeff") if offset == 0 else head


def _skip_lines(text: str, lines: int) -> str:
    pos = 0
    for _ in range(lines):
        nxt = text.find("\n", pos)
        if nxt < 0:
            return ""
        pos = nxt + 1
    return text[pos:]


def _line_offset(buf: bytes, start: int, line: int) -> int | None:
    """Byte offset where 0-based physical line `line` starts (None if the file has fewer lines)."""
    pos = start
    for _ in range(line):
        nxt = buf.find(b"\n", pos)
        if nxt < 0:
            return None
        pos = nxt + 1
    return pos


def _end_without_blank_lines(buf: bytes, offset: int) -> int:
    """End offset without blank or space-only lines at the end (editors add them); tabs inside real rows stay."""
    end = len(buf)
    while True:
        while end > offset and buf[end - 1] in b"\r\n":
            end -= 1
        cut = buf.rfind(b"\n", offset, end)
        if cut < 0 or buf[cut + 1:end].strip(b" \t\r"):
            return end if buf[max(cut + 1, offset):end].strip(b" \t\r") else offset
        end = cut


def _detect_quotechar(sample: str) -> str:
    """'"' unless whole fields are clearly wrapped in single quotes instead."""
    def quoted_fields(q: str) -> int:
        return len(re.findall(rf"(?:^|[,;\t|])[ ]*{q}[^{q}\n]*{q}[ ]*(?=[,;\t|]|\r?$)", sample, re.MULTILINE))

    single, double = quoted_fields("'"), quoted_fields('"')
    return "'" if single >= 2 and single > double else '"'


def _parse_sample(sample: str, delimiter: str, quotechar: str = '"') -> tuple[list[list[str]], list[int]]:
    """Non-empty rows of the sample and the 0-based line each starts on."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar=quotechar)
    rows, starts, previous = [], [], 0
    try:
        for row in reader:
            if row and any(f.strip() for f in row) or len(row) > 1:
                rows.append(row)
                starts.append(previous)
            previous = reader.line_num
    except csv.Error:
        pass  # an unterminated quote in the sample; the parser gives the real message later
    return rows, starts


def _detect_delimiter(sample: str, quotechar: str = '"') -> str:
    """Pick the candidate that splits lines into the same number (>1) of fields most often."""
    best, best_score = ",", (-1.0, 0)
    for delimiter in CANDIDATE_DELIMITERS:
        rows, _ = _parse_sample(sample, delimiter, quotechar)
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


def _extra_sample_cells(buf: bytes, offset: int, end: int, delimiter: str, quotechar: str) -> list[str]:
    """Cells from the middle and the end of a long file, so a number format seen only later still counts."""
    if end - offset <= 3 * SAMPLE_BYTES:
        return []
    cells: list[str] = []
    span = end - offset
    for start in (offset + span // 3, offset + 2 * span // 3, end - SAMPLE_BYTES):
        block = buf[start:start + SAMPLE_BYTES]
        first, last = block.find(b"\n"), block.rfind(b"\n")
        if first < 0 or last <= first:
            continue
        text = block[first + 1:last].decode("utf-8", "replace")
        rows, _ = _parse_sample(text, delimiter, quotechar)
        cells.extend(cell for row in rows for cell in row)
    return cells


_GROUPED_DOT_DECIMAL = re.compile(r"\d{1,3}(?:,\d{3})+\.\d+")   # 1,234.5
_GROUPED_COMMA_DECIMAL = re.compile(r"\d{1,3}(?:\.\d{3})+,\d+")  # 1.234,5
_GROUPED_COMMAS = re.compile(r"\d{1,3}(?:,\d{3}){2,}")          # 1,234,567
_GROUPED_DOTS = re.compile(r"\d{1,3}(?:\.\d{3}){2,}")           # 1.234.567
_ONE_COMMA_GROUP = re.compile(r"\d{1,3},\d{3}")                  # 1,234: thousands or decimal
_ONE_DOT_GROUP = re.compile(r"\d{1,3}\.\d{3}")                   # 1.234: thousands or decimal
_COMMA_DECIMAL = re.compile(r"\d*,\d+")
_DOT_DECIMAL = re.compile(r"\d*\.\d+")


def _detect_number_format(cells: list[str], delimiter: str, decimal: str | None,
                          thousands: str | None) -> tuple[str, str | None]:
    """(decimal mark, thousands separator or None) from how numbers are written in the sample.

    Only an unambiguous grouping ("1,234.5", "1.234.567") proves a thousands separator; a lone
    "1,500" counts as a decimal comma in a file that is not comma-separated ("1,5" is 1.5).
    """
    votes: Counter[str] = Counter()
    spaced = thousands if thousands and thousands not in ",." else None  # "1 234,5", "1'234.5"
    for cell in list(dict.fromkeys(cells))[:50_000]:  # distinct values: a repeated one is one piece of evidence
        if "," not in cell and "." not in cell:
            continue
        cell = cell.strip().lstrip("+-")
        if spaced:
            cell = cell.replace(spaced, "")
        if not cell or not (cell[0].isdigit() or cell[0] in ".,") or len(cell) > 40:
            continue
        if _GROUPED_DOT_DECIMAL.fullmatch(cell) or _GROUPED_COMMAS.fullmatch(cell):
            votes.update(("dot", "comma_groups"))
        elif _GROUPED_COMMA_DECIMAL.fullmatch(cell) or _GROUPED_DOTS.fullmatch(cell):
            votes.update(("comma", "dot_groups"))
        elif _ONE_COMMA_GROUP.fullmatch(cell):
            votes["one_comma_group"] += 1
        elif _ONE_DOT_GROUP.fullmatch(cell):
            votes["one_dot_group"] += 1
        elif _COMMA_DECIMAL.fullmatch(cell):
            votes["comma"] += 1
        elif _DOT_DECIMAL.fullmatch(cell):
            votes["dot"] += 1
    if decimal is None and thousands in (",", "."):  # the user named the separator: the decimal mark is the other one
        decimal = "," if thousands == "." else "."
    if decimal is None:
        if votes["comma"] != votes["dot"]:
            decimal = "," if votes["comma"] > votes["dot"] else "."
        elif votes["one_comma_group"] and delimiter != ",":
            decimal = ","  # "1,500" in a ;-separated file: the European decimal comma
        else:
            decimal = "."
    if thousands is None:
        if decimal == ".":
            grouped = votes["comma_groups"] or votes["one_comma_group"]
            thousands = "," if grouped else ""
        else:
            thousands = "." if votes["dot_groups"] or votes["one_dot_group"] else ""
    return decimal, thousands or None


def _parse_rows(buf: bytes, offset: int, end: int, delimiter: str, quotechar: str, ncols: int,
                header_line: int, report: Progress) -> tuple[list[str], list]:
    """Header names and every body cell as text, exactly as written, one Arrow column each.

    pyarrow reads the UTF-8 bytes in blocks (fast, strict about row lengths, no decoded copy).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"f{i}" for i in range(ncols)]
    source = pa.BufferReader(pa.py_buffer(buf).slice(offset, end - offset))
    total = max(end - offset, 1)
    batches = []
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=names, block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=quotechar,
                                             newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.large_string() for n in names},
                null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:  # one batch per block of BLOCK_BYTES (the reader's own position runs ahead)
            batches.append(batch)
            done = min(len(batches) * BLOCK_BYTES / total, 1.0)
            report(done, f"Parsing rows: {done * total / 1024**2:,.0f} of {total / 1024**2:,.0f} MB")
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        raise DataError(_parse_error_message(buf, offset, end, delimiter, quotechar, ncols, header_line, exc)) from None
    if not batches:
        return [], []
    table = pa.Table.from_batches(batches)
    del batches
    columns = [table.column(i) for i in range(ncols)]
    del table
    header = [str(c[0].as_py() or "") for c in columns]
    return header, [c.slice(1) for c in columns]


def _parse_error_message(buf: bytes, offset: int, end: int, delimiter: str, quotechar: str, ncols: int,
                         header_line: int, exc: Exception) -> str:
    """Find the first bad line with the csv module (error path only) and say how to fix it."""
    stream = io.TextIOWrapper(io.BytesIO(buf[offset:end]), encoding="utf-8", errors="replace", newline="")
    reader = csv.reader(stream, delimiter=delimiter, quotechar=quotechar)
    previous = 0
    first_bad: tuple[int, int] | None = None
    lengths: Counter[int] = Counter()
    try:
        next(reader, None)  # the header
        previous = reader.line_num
        for row in reader:
            if row:
                lengths[len(row)] += 1
                if len(row) != ncols and first_bad is None:
                    first_bad = (header_line + previous + 1, len(row))
                if first_bad and sum(lengths.values()) >= 200:
                    break
            previous = reader.line_num
    except csv.Error as err:
        if first_bad is None:
            return (f"The file cannot be read as CSV near line {header_line + reader.line_num}: {err}; "
                    f"check the quotes ({quotechar!r}) on that line.")
    if first_bad is None:
        return f"The file cannot be read as CSV ({_short(exc)}); check its quotes and delimiters."
    line, n = first_bad
    what = f"Line {line} has {n} field{'s' if n != 1 else ''} but the header (line {header_line + 1}) has {ncols} " \
           f"({_delimiter_name(delimiter)}-separated)"
    usual, seen = lengths.most_common(1)[0]
    if usual > ncols and seen == sum(lengths.values()):
        return (f"{what}, and so do all the data rows read: the header is shorter than the rows; add the missing "
                f"column name(s) to the header line (or check the delimiter) and upload again.")
    return (f"{what}; fix that line (a missing or extra {delimiter!r}, or a value containing {delimiter!r} that "
            f"needs quotes) and upload again.")


# --------------------------------------------------------------------------------------
# Shared: names, missing tokens, type inference
# --------------------------------------------------------------------------------------


def _finish_columns(columns: list, names: list[str], options: ReadOptions, *, decimal: str, thousands: str | None,
                    notes: list[str], what: str, report: Progress) -> tuple[pd.DataFrame, tuple[ColumnInfo, ...]]:
    """Strip cells, mark missing tokens, name the columns and infer each column's type.

    `columns` holds Arrow text columns; each is released as soon as its typed version exists.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    na_tokens = list(options.na_tokens)
    tokens = pa.array(na_tokens, pa.large_string())
    empty = []
    for i, arr in enumerate(columns):
        report(0.1 * i / len(columns), "Trimming spaces and marking missing values")
        arr = pc.utf8_trim_whitespace(arr)
        if na_tokens:
            is_missing = pc.is_in(arr, value_set=tokens)
            if pc.any(is_missing).as_py():
                arr = pc.if_else(is_missing, pa.scalar(None, pa.large_string()), arr)
        columns[i] = arr
        empty.append(arr.null_count == len(arr))
    clean, dropped = _clean_names(names, notes, empty)
    kept = [i for i in range(len(columns)) if i not in dropped]
    if not kept:
        raise DataError(f"{what} has no named columns with data; check that the header row holds the column names.")
    out, infos, ambiguous = {}, [], []
    missing_phrase = _missing_phrase(na_tokens)
    tokens_read: dict[str, list[str]] = {}  # column -> the missing tokens read as missing in it
    for k, i in enumerate(kept):
        report(0.1 + 0.9 * k / len(kept), f"Typing column {k + 1} of {len(kept)}: {clean[i]}")
        arr, columns[i] = columns[i], None
        series, note, is_ambiguous, examples, tokens = _infer_column(
            arr, decimal, thousands, missing_phrase, options.numeric_missing_tokens)
        del arr
        out[clean[i]] = series
        infos.append(ColumnInfo(clean[i], str(series.dtype), int(series.isna().sum()), note, examples))
        if is_ambiguous:
            ambiguous.append(clean[i])
        if tokens:
            tokens_read[clean[i]] = tokens
    if tokens_read:
        shown = sorted({t for tokens in tokens_read.values() for t in tokens})
        notes.append(f"Cells written {_name_list(shown, 6)} in the number or date column(s) {_name_list(tokens_read)} "
                     "were read as missing (the column notes say how many); choose 'Keep missing-value words as text' "
                     "in the Data page's reading options if they mean something else.")
    if ambiguous:
        notes.append(f"Dates in {_name_list(ambiguous)} fit both day/month and month/day order; "
                     "the column notes say which order was used. Convert them in cleaning with an explicit format if that is wrong.")
    df = pd.DataFrame(out, copy=False)
    return df, tuple(infos)


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


def _number_patterns(decimal: str, thousands: str | None) -> tuple[str, str]:
    """(number, integer) regexes (RE2 and Python compatible) for this decimal mark and grouping."""
    d = re.escape(decimal)
    integer = rf"(?:\d{{1,3}}(?:{re.escape(thousands)}\d{{3}})+|\d+)" if thousands else r"\d+"
    number = rf"[+-]?(?:{integer}(?:{d}\d*)?|{d}\d+)(?:[eE][+-]?\d+)?"
    return number, rf"[+-]?{integer}"


def _infer_column(arr: Any, decimal: str, thousands: str | None, missing_phrase: str,
                  numeric_missing_tokens: bool = True) -> tuple[pd.Series, str, bool, tuple[str, ...], list[str]]:
    """The typed column, a note saying why, whether dates were ambiguous, the values that did not fit,
    and the missing tokens ('N/D', '?'...) that were read as missing."""
    distinct = _distinct(arr) if arr.null_count < len(arr) else None  # distinct values: fast on long columns
    if numeric_missing_tokens and distinct is not None:
        uniques, freq = distinct
        is_token = uniques.str.casefold().isin(NUMERIC_MISSING_TOKENS).to_numpy(dtype=bool)
        if is_token.any() and not is_token.all():
            typed = _typed_without_tokens(arr, uniques[is_token], freq[is_token], decimal, thousands, missing_phrase)
            if typed is not None:
                return typed
    return (*_infer_typed(arr, decimal, thousands, missing_phrase, distinct=distinct), [])


def _typed_without_tokens(arr: Any, tokens: pd.Series, counts: np.ndarray, decimal: str, thousands: str | None,
                          missing_phrase: str) -> tuple[pd.Series, str, bool, tuple[str, ...], list[str]] | None:
    """The column typed with its missing tokens read as missing, if the rest are all numbers or all dates.

    A real export writes 'N/D' or '-' in a few cells of a number column; left as text, the whole
    column would be lost to a later conversion. None when the rest is not numbers or dates.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    is_token = pc.is_in(arr, value_set=pa.array(tokens.tolist(), arr.type))
    cleared = pc.if_else(is_token, pa.scalar(None, arr.type), arr)
    order = np.argsort(-counts, kind="stable")
    read = [(str(tokens.iloc[j]), int(counts[j])) for j in order]
    series, note, ambiguous, examples = _infer_typed(cleared, decimal, thousands, missing_phrase, read)
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series)):
        return None
    return series, note, ambiguous, examples, [t for t, _ in read]


def _tokens_note(read: list[tuple[str, int]]) -> str:
    """"3 cells 'N/D' read as missing", or "5 cells 'N/D' (3), '?' (2) read as missing"."""
    total = sum(n for _, n in read)
    cells = f"{total:,} cell{'s' if total != 1 else ''}"
    if len(read) == 1:
        return f"{cells} {read[0][0]!r} read as missing"
    shown = ", ".join(f"{t!r} ({n:,})" for t, n in read[:6]) + (", …" if len(read) > 6 else "")
    return f"{cells} {shown} read as missing"


def _infer_typed(arr: Any, decimal: str, thousands: str | None, missing_phrase: str,
                 tokens_read: list[tuple[str, int]] = (), distinct: tuple[pd.Series, np.ndarray] | None = None,
                 ) -> tuple[pd.Series, str, bool, tuple[str, ...]]:
    """The typed column, a note saying why, whether dates were ambiguous, and the values that did not fit.

    `tokens_read`: (token, cells) already turned missing by `_typed_without_tokens`, for the note;
    `distinct`: `_distinct(arr)` when the caller has it already.
    """
    col = pd.Series(_STR.__from_arrow__(arr))
    n = len(col)
    missing = int(arr.null_count)
    present = n - missing
    blank = missing - sum(c for _, c in tokens_read)
    missing_note = f"; {blank:,} {missing_phrase if blank != 1 else missing_phrase.replace('cells', 'cell')}" if blank else ""
    if tokens_read:
        missing_note += f"; {_tokens_note(tokens_read)}"
    if present == 0:
        return col, "every value is missing; kept as empty text", False, ()
    uniques, freq = distinct if distinct is not None else _distinct(arr)  # distinct values: fast on long columns
    number, integer = _number_patterns(decimal, thousands)
    is_number = uniques.str.fullmatch(number).to_numpy(dtype=bool)
    if is_number.all():
        integer_like = uniques.str.fullmatch(integer).to_numpy(dtype=bool)
        zeros = uniques[integer_like & uniques.str.fullmatch(_LEADING_ZERO).to_numpy(dtype=bool)]
        if len(zeros):
            return (col, f"kept as text: values have leading zeros (e.g. {zeros.iloc[0]!r}), so they are codes, "
                         f"not amounts{missing_note}", False, _examples(zeros))
        digits = uniques.str.replace(thousands, "", regex=False) if thousands else uniques
        long_ints = uniques[integer_like & (digits.str.lstrip("+-").str.len() > _MAX_EXACT_DIGITS).to_numpy(dtype=bool)]
        if len(long_ints):
            return (col, f"kept as text: numbers longer than {_MAX_EXACT_DIGITS} digits (e.g. {long_ints.iloc[0]!r}) "
                         f"would lose digits{missing_note}", False, _examples(long_ints))
        all_integers = bool(integer_like.all())
        numeric = _to_number(arr, decimal, thousands, integer=all_integers and missing == 0,
                             plus=bool(uniques.str.startswith("+").any()))
        marks = []
        if decimal == "," and not all_integers:
            marks.append("decimal comma")
        if thousands and bool(uniques.str.contains(thousands, regex=False).any()):
            marks.append(f"thousands separator {thousands!r}")
        mark = f" ({', '.join(marks)})" if marks else ""
        return numeric, f"{_all_are(present, 'number')}{mark}{missing_note}", False, ()
    not_fitting = uniques[~is_number]
    not_numbers = int(freq[~is_number].sum())
    if not_numbers <= 0.5 * present:
        shown = ", ".join(repr(v) for v in not_fitting.head(3))
        return (col, f"kept as text: {not_numbers:,} of {present:,} values are not numbers (e.g. {shown})"
                     f"{missing_note}", False, _examples(not_fitting))
    dates = _try_dates(col, uniques, decimal)
    if dates is not None:
        parsed, fmt, ambiguous, failed_mask = dates
        if failed_mask.any():
            failed = uniques[failed_mask]
            shown = ", ".join(repr(v) for v in failed.head(3))
            bad = int(freq[failed_mask].sum())
            how = "" if fmt in ("ISO8601", "mixed") else f" in the format {fmt}"
            return (col, f"kept as text: {bad:,} of {present:,} values are not dates{how} (e.g. {shown})"
                         f"{missing_note}", False, _examples(failed))
        span = f"{parsed.min():%Y-%m-%d} to {parsed.max():%Y-%m-%d}"
        how = "" if fmt in ("ISO8601", "mixed") else f", format {fmt}"
        order = "day/month" if fmt.startswith("%d") else "month/day"
        extra = f"; day and month could be swapped, read as {order}" if ambiguous else ""
        return parsed, f"{_all_are(present, 'date')} ({span}{how}){extra}{missing_note}", ambiguous, ()
    return col, f"text: {len(uniques):,} different value{'s' if len(uniques) != 1 else ''}{missing_note}", False, ()


def _distinct(arr: Any) -> tuple[pd.Series, np.ndarray]:
    """Distinct non-missing values (in order of first appearance) and how often each occurs."""
    import pyarrow as pa
    import pyarrow.compute as pc

    counted = pc.value_counts(arr)  # Arrow directly: ~5x faster than pandas' value_counts here
    values, freq = counted.field("values"), counted.field("counts")
    if values.null_count:
        keep = pc.is_valid(values)
        values, freq = pc.filter(values, keep), pc.filter(freq, keep)
    return pd.Series(_STR.__from_arrow__(pa.chunked_array([values]))), freq.to_numpy()


def _examples(values: pd.Series) -> tuple[str, ...]:
    return tuple(str(v) for v in values.head(MAX_EXAMPLES))


def _to_number(arr: Any, decimal: str, thousands: str | None, integer: bool, plus: bool) -> pd.Series:
    """Convert validated number strings; Arrow's cast is ~20x faster than pd.to_numeric."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if thousands:
        arr = pc.replace_substring(arr, thousands, "")
    if decimal == ",":
        arr = pc.replace_substring(arr, ",", ".")
    if plus:
        arr = pc.replace_substring_regex(arr, r"^\+", "")
    try:
        values = pc.cast(arr, pa.int64() if integer else pa.float64())
        return pd.Series(values.to_numpy())
    except (pa.ArrowException, TypeError, ValueError):
        numeric = pd.to_numeric(pd.Series(_STR.__from_arrow__(arr)), errors="coerce")
        return numeric.astype("int64") if integer else numeric.astype("float64")


def _try_dates(col: pd.Series, uniques: pd.Series,
               decimal: str) -> tuple[pd.Series | None, str, bool, np.ndarray] | None:
    """Dates when every value is a date in one known format (ISO first).

    Returns (parsed, format, ambiguous, failed): `failed` marks the distinct values that are not
    dates; it has marks when most but not all values are dates in one format (then the column
    stays text and those values are shown).
    """
    none_failed = np.zeros(len(uniques), dtype=bool)
    probe = uniques.head(200)
    date_like = probe.map(lambda v: bool(_DATE_LIKE.match(v)))
    if date_like.mean() < 0.5:
        return None
    if bool(date_like.all()) and _all_parse(probe, "ISO8601") and _all_parse(uniques, "ISO8601"):
        return _parse_dates(col, "ISO8601"), "ISO8601", False, none_failed  # the common case, unambiguous
    fitting = [fmt for fmt in _DATE_FORMATS if _all_parse(probe[date_like], fmt)]
    for fmt in fitting:
        if not _all_parse(uniques, fmt):
            continue
        alternative = _DAY_FIRST.get(fmt)
        ambiguous = alternative is not None and alternative in fitting and _all_parse(uniques, alternative)
        if ambiguous and decimal != ",":
            fmt = alternative  # month/day first unless the file looks European
        return _parse_dates(col, fmt), fmt, ambiguous, none_failed
    if bool(date_like.all()) and _all_parse(uniques, "mixed"):
        return _parse_dates(col, "mixed"), "mixed", False, none_failed
    for fmt in fitting or [f for f in _DATE_FORMATS if _parse_share(probe, f) >= 0.5]:
        parsed = _parse_quietly(uniques, fmt)
        if parsed is not None and parsed.notna().mean() >= 0.5:
            return None, fmt, False, parsed.isna().to_numpy()
    return None


def _parse_quietly(values: pd.Series, fmt: str) -> pd.Series | None:
    for utc in (False, True):  # utc=True only when offsets are mixed
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return pd.to_datetime(values, format=fmt, errors="coerce", utc=utc)
        except (ValueError, TypeError, OverflowError):
            continue
    return None


def _all_parse(values: pd.Series, fmt: str) -> bool:
    parsed = _parse_quietly(values, fmt)
    return parsed is not None and bool(parsed.notna().all())


def _parse_share(values: pd.Series, fmt: str) -> float:
    parsed = _parse_quietly(values, fmt)
    return float(parsed.notna().mean()) if parsed is not None and len(parsed) else 0.0


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


def _size(n: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= scale:
            return f"{n / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{n:,} bytes"


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _with(info: ReadInfo, **changes: Any) -> ReadInfo:
    return ReadInfo(**{**{f: getattr(info, f) for f in ReadInfo.__dataclass_fields__}, **changes})
