"""A corpus of awkward table files for the reader, each with what reading it must give.

Every case is either read correctly (asserted column names, types and cell values) or refused
with a message that contains a given phrase. Use it three ways:

- `cases()` -> list[Case], the files as bytes in memory;
- `make_corpus(folder)` -> writes every case's file into `folder` and returns the cases
  (browser tests upload these files; cases with `limits` need the reader's size caps lowered
  first, so a test that cannot do that should skip them);
- `python tests/corpus/make_corpus.py FOLDER` from the shell.

`check_read(case, df, info)` asserts a successful read against the case's expectations.
Nothing here is committed as data: the files are made at test time.
"""

from __future__ import annotations

import codecs
import gzip
import io
import math
import re
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

_FIXED_TIME = (2024, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Case:
    name: str  # file name in the corpus folder (the reader never sees it)
    data: bytes
    about: str  # what is awkward about this file
    options: dict[str, Any] = field(default_factory=dict)  # ReadOptions keyword arguments
    limits: dict[str, int] = field(default_factory=dict)  # core.data.reader.limits caps to lower first
    refusal: str | None = None  # phrase the DataError message must contain; None: must be read
    format: str | None = "csv"
    info: dict[str, Any] = field(default_factory=dict)  # expected ReadInfo attributes
    columns: tuple[str, ...] = ()  # expected column names, in order
    rows: int | None = None
    dtypes: dict[str, str] = field(default_factory=dict)  # column -> "int" | "float" | "str" | "datetime"
    values: dict[str, list] = field(default_factory=dict)  # column -> every expected value (None: missing)
    notes: dict[str, str] = field(default_factory=dict)  # column -> phrase in its ColumnInfo.note
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> examples_not_fitting
    warning: str | None = None  # phrase in one of ReadInfo.warnings


def _ts(*values: str | None) -> list:
    return [None if v is None else pd.Timestamp(v) for v in values]


# -- helpers that build binary formats -------------------------------------------------------------


def _png() -> bytes:
    """A real 1x1 PNG image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _pdf() -> bytes:
    """A minimal PDF that is plain ASCII, so only its signature gives it away."""
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"xref\n0 3\ntrailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n0\n%%EOF\n"
    )


def _zip(files: dict[str, bytes]) -> bytes:
    """A zip with fixed timestamps, so the corpus is the same bytes on every run."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=_FIXED_TIME), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def _xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    """A workbook written with openpyxl; a string starting with '=' becomes a formula with no saved value."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    with zipfile.ZipFile(buf) as zf:  # re-pack with fixed timestamps (openpyxl stamps the time of saving)
        parts = {name: zf.read(name) for name in zf.namelist()}
    parts["docProps/core.xml"] = re.sub(
        rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2024-01-01T00:00:00Z", parts["docProps/core.xml"]
    )
    return _zip(parts)


def _parquet() -> bytes:
    frame = pd.DataFrame(
        {
            "zip": ["02134", "10001", "00501"],
            "country": ["NA", "US", "FR"],
            "n": [1, 2, 3],
            "x": [1.5, None, 2.25],
            "day": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
        }
    )
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _parquet_declaring_millions_of_rows() -> bytes:
    """12 M rows of one constant category and one constant amount: about 50 kB on disk (dictionary + RLE)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    block = pa.table(
        {
            "status": pa.DictionaryArray.from_arrays(pa.array(np.zeros(1_000_000, np.int8)), pa.array(["active"])),
            "amount": pa.array(np.zeros(1_000_000)),
        }
    )
    buf = io.BytesIO()
    with pq.ParquetWriter(buf, block.schema, compression="zstd", write_statistics=False) as writer:
        for _ in range(12):
            writer.write_table(block, row_group_size=1_000_000)
    return buf.getvalue()


def _parquet_long_repeated_text() -> bytes:
    """1,000 copies of one 2,000-character text, stored once in the dictionary: 2 MB once read."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"note": pa.array(["x" * 2000] * 1000), "n": pa.array(range(1000))}), buf)
    return buf.getvalue()


def _xlsx_with_dimension(ref: str) -> bytes:
    """A small workbook whose sheet declares the dimension `ref` (as if it held that many cells)."""
    book = _xlsx({"Data": [["a", "b"], [1, 2], [3, 4]]})
    with zipfile.ZipFile(io.BytesIO(book)) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref.encode() + b'"', parts[sheet])
    return _zip(parts)


# -- the cases -------------------------------------------------------------------------------------


def _text_cases() -> list[Case]:
    return [
        Case(
            "comma.csv",
            b"id,name,score,joined\n1,Ana,3.5,2024-01-05\n2,Ben,4.25,2024-02-10\n3,Cleo,,2024-03-15\n",
            "plain comma-separated, with a blank cell",
            info={"delimiter": ",", "decimal": ".", "encoding": "utf-8"},
            columns=("id", "name", "score", "joined"),
            dtypes={"id": "int", "name": "str", "score": "float", "joined": "datetime"},
            values={
                "id": [1, 2, 3],
                "score": [3.5, 4.25, None],
                "joined": _ts("2024-01-05", "2024-02-10", "2024-03-15"),
            },
        ),
        Case(
            "semicolon_decimal_comma.csv",
            "produit;prix;quantité\nPomme;1,5;3\nPoire;2,25;4\nPrune;0,75;10\n".encode(),
            "semicolon-separated with decimal commas (European Excel)",
            info={"delimiter": ";", "decimal": ",", "thousands": None},
            columns=("produit", "prix", "quantité"),
            dtypes={"prix": "float", "quantité": "int"},
            values={"prix": [1.5, 2.25, 0.75], "quantité": [3, 4, 10]},
            notes={"prix": "decimal comma"},
        ),
        Case(
            "tab.tsv",
            b"city\tpopulation\tarea\nParis\t2148000\t105.4\nLyon\t513000\t47.87\n",
            "tab-separated",
            info={"delimiter": "\t"},
            columns=("city", "population", "area"),
            values={"city": ["Paris", "Lyon"], "population": [2148000, 513000], "area": [105.4, 47.87]},
        ),
        Case(
            "pipe.txt",
            b"sku|desc|price\nA-1|Bolt, steel|0.10\nA-2|Nut; brass|0.05\n",
            "pipe-separated; values hold commas and semicolons",
            info={"delimiter": "|"},
            values={"desc": ["Bolt, steel", "Nut; brass"], "price": [0.10, 0.05]},
        ),
        Case(
            "excel_sep_line.csv",
            b"sep=;\nname;amount\nA;1,5\nB;2\n",
            "Excel's 'sep=;' first line names the delimiter",
            info={"delimiter": ";", "header_row": 1, "decimal": ","},
            columns=("name", "amount"),
            values={"amount": [1.5, 2.0]},
            warning="sep=;",
        ),
        Case(
            "thousands_dot_decimal_comma.csv",
            b"item;revenue\nA;1.234.567,89\nB;12.345,6\nC;999,5\nD;7\n",
            "European thousands dots and decimal commas",
            info={"delimiter": ";", "decimal": ",", "thousands": "."},
            dtypes={"revenue": "float"},
            values={"revenue": [1234567.89, 12345.6, 999.5, 7.0]},
            notes={"revenue": "thousands separator '.'"},
        ),
        Case(
            "thousands_comma_semicolon.csv",
            b"item;revenue\nA;1,234,567.89\nB;12,345.60\nC;999.5\n",
            "US thousands commas in a semicolon file",
            info={"delimiter": ";", "decimal": ".", "thousands": ","},
            values={"revenue": [1234567.89, 12345.6, 999.5]},
        ),
        Case(
            "thousands_comma_tab.tsv",
            b"region\tunits\tsales\nNorth\t1,200\t3,456,789.10\nSouth\t950\t12,000.50\n",
            "thousands commas in a tab file, integers and decimals",
            info={"delimiter": "\t", "decimal": ".", "thousands": ","},
            dtypes={"units": "int", "sales": "float"},
            values={"units": [1200, 950], "sales": [3456789.10, 12000.50]},
        ),
        Case(
            "decimal_comma_not_thousands.csv",
            b"name;weight\nA;1,5\nB;1,500\nC;12,25\n",
            "'1,500' is one and a half when the decimal mark is a comma",
            info={"decimal": ",", "thousands": None},
            values={"weight": [1.5, 1.5, 12.25]},
        ),
        Case(
            "thousands_option.csv",
            b"code;count\nA;1,234\nB;5,678\n",
            "ambiguous '1,234' read as thousands because the user says so",
            options={"decimal": ".", "thousands": ","},
            info={"decimal": ".", "thousands": ","},
            dtypes={"count": "int"},
            values={"count": [1234, 5678]},
        ),
        Case(
            "quoted_embedded.csv",
            b'id,comment,amount\n1,"Hello, world",10\n2,"Line one\nLine two",20\n3,"She said ""hi""",30\n',
            "quoted fields with delimiters, newlines and escaped quotes",
            values={"comment": ["Hello, world", "Line one\nLine two", 'She said "hi"'], "amount": [10, 20, 30]},
        ),
        Case(
            "single_quotes.csv",
            b"id,name,city\n1,'Smith, John','New York, NY'\n2,'Doe, Jane',Paris\n3,'O''Brien, Pat',Dublin\n",
            "fields quoted with single quotes",
            info={"quotechar": "'", "delimiter": ","},
            values={"name": ["Smith, John", "Doe, Jane", "O'Brien, Pat"], "city": ["New York, NY", "Paris", "Dublin"]},
        ),
        Case(
            "utf8_bom.csv",
            codecs.BOM_UTF8 + "name,city\nJosé,Zürich\nŁukasz,Kraków\n".encode(),
            "UTF-8 with a byte-order mark",
            info={"encoding": "utf-8-sig"},
            columns=("name", "city"),
            values={"name": ["José", "Łukasz"], "city": ["Zürich", "Kraków"]},
        ),
        Case(
            "utf16le_bom.txt",
            codecs.BOM_UTF16_LE + "name\tcity\r\nJosé\tZürich\r\nAnaïs\tBesançon\r\n".encode("utf-16-le"),
            "UTF-16 LE with BOM, tab-separated (Excel's 'Unicode text')",
            info={"encoding": "utf-16", "delimiter": "\t"},
            columns=("name", "city"),
            values={"name": ["José", "Anaïs"], "city": ["Zürich", "Besançon"]},
        ),
        Case(
            "latin1.csv",
            "nom;ville;prix\nJosé;Zürich;3,5\nFrançois;Montréal;4\nRenée;Besançon;2,75\n".encode("latin-1"),
            "Latin-1 accents",
            info={"decimal": ","},
            values={"ville": ["Zürich", "Montréal", "Besançon"], "prix": [3.5, 4.0, 2.75]},
            warning="not UTF-8",
        ),
        Case(
            "cp1252_euro.csv",
            "article;price;remark\nCafé crème;3,50;prix en €\nŒuvre;2,80;– spéciale\n".encode("cp1252"),
            "Windows-1252: the euro sign is byte 0x80",
            info={"encoding": "cp1252"},
            values={"remark": ["prix en €", "– spéciale"], "article": ["Café crème", "Œuvre"], "price": [3.5, 2.8]},
        ),
        Case(
            "na_country_codes.csv",
            b"country,code,population\nNamibia,NA,2.6\nNetherlands,NL,17.9\nUnited States,US,335.0\n",
            "'NA' is Namibia's country code, not missing",
            dtypes={"code": "str"},
            values={"code": ["NA", "NL", "US"]},
            info={"na_tokens": ("",)},
        ),
        Case(
            "na_tokens_option.csv",
            b"country,code,weight\nNamibia,NA,2.5\nNowhere,n/a,n/a\nFrance,FR,3\n",
            "the user says 'NA' and 'n/a' mean missing",
            options={"na_tokens": ("", "NA", "n/a")},
            info={"na_tokens": ("", "NA", "n/a")},
            dtypes={"weight": "float"},
            values={"code": [None, None, "FR"], "weight": [2.5, None, 3.0]},
            notes={"weight": "'NA', 'n/a'"},
        ),
        Case(
            "leading_zeros.csv",
            b"zip,employee_id,amount\n02134,000123,10\n10001,004567,20\n00501,000042,30\n",
            "zip codes and IDs with leading zeros",
            dtypes={"zip": "str", "employee_id": "str", "amount": "int"},
            values={"zip": ["02134", "10001", "00501"], "employee_id": ["000123", "004567", "000042"]},
            notes={"zip": "leading zeros"},
            examples={"zip": ("02134", "00501")},
        ),
        Case(
            "long_ids.csv",
            b"card,n\n4111111111111111111,1\n5500000000000000004,2\n",
            "19-digit numbers would lose digits as floats",
            dtypes={"card": "str"},
            values={"card": ["4111111111111111111", "5500000000000000004"]},
            notes={"card": "digits"},
        ),
        Case(
            "blanks_whitespace.csv",
            b"a,b,c\n1, ,x\n2,3,   \n4,5,y\n,6,z\n",
            "blank and whitespace-only cells are missing",
            dtypes={"a": "float", "b": "float", "c": "str"},
            values={"a": [1, 2, 4, None], "b": [None, 3, 5, 6], "c": ["x", None, "y", "z"]},
        ),
        Case(
            "dates.csv",
            b"iso,dmy,mdy\n2024-01-05,28/02/2024,02/28/2024\n2024-02-10,13/03/2024,03/13/2024\n2024-12-31,01/12/2024,12/01/2024\n",
            "dates as ISO, day/month/year and month/day/year",
            dtypes={"iso": "datetime", "dmy": "datetime", "mdy": "datetime"},
            values={
                "iso": _ts("2024-01-05", "2024-02-10", "2024-12-31"),
                "dmy": _ts("2024-02-28", "2024-03-13", "2024-12-01"),
                "mdy": _ts("2024-02-28", "2024-03-13", "2024-12-01"),
            },
            notes={"dmy": "%d/%m/%Y", "mdy": "%m/%d/%Y"},
        ),
        Case(
            "mixed_numeric_text.csv",
            b"item;weight\nA;12.5\nB;n/a\nC;12,5 kg\nD;7\nE;3.25\nF;8\n",
            "numbers mixed with 'n/a' and '12,5 kg' stay text, showing those values",
            dtypes={"weight": "str"},
            values={"weight": ["12.5", "n/a", "12,5 kg", "7", "3.25", "8"]},
            notes={"weight": "not numbers"},
            examples={"weight": ("n/a", "12,5 kg")},
        ),
        Case(
            "mostly_dates.csv",
            b"when,n\n2024-01-05,1\n2024-02-30,2\n2024-03-07,3\nsoon,4\n",
            "dates with an impossible date and a word stay text, showing those values",
            dtypes={"when": "str"},
            values={"when": ["2024-01-05", "2024-02-30", "2024-03-07", "soon"], "n": [1, 2, 3, 4]},
            examples={"when": ("2024-02-30", "soon")},
            notes={"when": "not dates"},
        ),
        Case(
            "trailing_blank_lines.csv",
            b"a,b\n1,2\n3,4\n\n\n   \n\t\n",
            "blank lines after the data",
            rows=2,
            values={"a": [1, 3], "b": [2, 4]},
        ),
        Case("crlf.csv", b"a,b\r\n1,x\r\n2,y\r\n", "Windows line endings", values={"a": [1, 2], "b": ["x", "y"]}),
        Case(
            "mac_cr.csv",
            b"a,b\r1,x\r2,y\r",
            "classic Mac line endings (CR only)",
            values={"a": [1, 2], "b": ["x", "y"]},
        ),
        Case(
            "single_column.txt",
            b"word\nalpha\nbeta\ngamma\n",
            "one column, no delimiter at all",
            columns=("word",),
            values={"word": ["alpha", "beta", "gamma"]},
        ),
        Case(
            "title_blank_header_data.csv",
            b"Customer export 2024\n\nid,name\n1,Ana\n2,Ben\n",
            "a title line and a blank line above the header",
            info={"header_row": 2},
            columns=("id", "name"),
            values={"id": [1, 2], "name": ["Ana", "Ben"]},
            warning="Skipped",
        ),
        Case(
            "portuguese_export.csv",
            "município;renda média;idade;situação\nSão Paulo;2.345,67;34;alta\nCampinas;N/D;51;baixa\n"
            "Santos;1.234,5;29;baixa\nSorocaba;?;40;alta\nJundiaí;-;38;baixa\nBauru;987,1;45;alta\n".encode("latin-1"),
            "a Portuguese export: ';', thousands '.', decimal ',', Latin-1, 'N/D', '?', '-' in a number column",
            info={"delimiter": ";", "decimal": ",", "thousands": "."},
            dtypes={"renda média": "float", "idade": "int"},
            values={
                "renda média": [2345.67, None, 1234.5, None, None, 987.1],
                "município": ["São Paulo", "Campinas", "Santos", "Sorocaba", "Jundiaí", "Bauru"],
            },
            notes={"renda média": "3 cells 'N/D' (1), '?' (1), '-' (1) read as missing"},
            warning="were read as missing",
        ),
        Case(
            "header_row_option.csv",
            b"Report,2024\nGenerated,today\nid,amount\n1,5\n2,6\n",
            "title lines as wide as the header: the user picks the header line",
            options={"header_row": 2},
            info={"header_row": 2},
            columns=("id", "amount"),
            values={"amount": [5, 6]},
        ),
    ]


def _refused_text_cases() -> list[Case]:
    return [
        Case("empty.csv", b"", "zero bytes", refusal="empty (0 bytes)"),
        Case("blank_lines_only.csv", b"\n  \n\n", "only blank lines", refusal="only blank lines"),
        Case(
            "header_only.csv",
            b"id,name,amount\n",
            "a header and no data",
            refusal="header row ('id', 'name', 'amount') but no data rows",
        ),
        Case(
            "title_blank_header_only.csv",
            b"Customer export\n\nid,name\n",
            "a title line, a blank line and a header, no data",
            refusal="header row ('id', 'name') but no data rows",
        ),
        Case("png_renamed.csv", _png(), "a PNG image renamed .csv", refusal="PNG image, not a table"),
        Case("pdf_renamed.csv", _pdf(), "a PDF document renamed .csv", refusal="PDF document, not a table"),
        Case("random_binary.csv", bytes(range(256)) * 16, "binary bytes", refusal="binary file, not a table"),
        Case(
            "old_excel.csv",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
            "an Excel 97-2003 .xls",
            refusal="save it as .xlsx or CSV",
        ),
        Case(
            "ragged.csv",
            b"a,b,c\n1,2,3\n4,5\n6,7,8\n",
            "a row with a missing field",
            refusal="Line 3 has 2 fields but the header (line 1) has 3",
        ),
        Case(
            "ragged_after_quotes.csv",
            b'a,b\n1,"x\ny"\n2,z,extra\n',
            "a ragged row after a multi-line value",
            refusal="Line 4 has 3 fields",
        ),
        Case(
            "duplicate_names.csv",
            b"id,name,id\n1,x,2\n",
            "the same column name twice",
            refusal="appear more than once: 'id' (columns 1, 3)",
        ),
        Case(
            "short_header.csv",
            b"a,b\n1,2,3\n4,5,6\n7,8,9\n",
            "the header names fewer columns than the rows have",
            refusal="the header is shorter than the rows",
        ),
        Case(
            "oversize.csv",
            b"id,value\n" + b"".join(b"%d,%d\n" % (i, i * 7) for i in range(400)),
            "over the upload size limit (lowered for the test)",
            limits={"MAX_UPLOAD_BYTES": 1024},
            refusal="is 3.3 kB, over the 1 kB limit",
        ),
        Case(
            "wrong_delimiter_option.csv",
            b"a;b;c\n1;2;3\n",
            "the user forces ',' on a ';' file",
            options={"delimiter": ","},
            refusal="single column 'a;b;c'",
        ),
    ]


def _container_cases() -> list[Case]:
    semicolon = b"city;temp\nOslo;-3,5\nRome;14\n"
    bomb = b"a,b\n" + b"0,0\n" * 1_000_000  # 4 MB of zeros; compresses to a few kB
    return [
        Case(
            "title_row.xlsx",
            _xlsx(
                {
                    "Sales": [
                        ["Quarterly sales report"],
                        [],
                        ["region", "units", "price"],
                        ["North", 3, 1.5],
                        ["South", 4, 2.25],
                        ["East", 5, 3],
                    ]
                }
            ),
            "a title row and a blank row above the header",
            format="excel",
            info={"header_row": 2, "sheet": "Sales", "sheets": ("Sales",)},
            columns=("region", "units", "price"),
            dtypes={"units": "int", "price": "float"},
            values={"units": [3, 4, 5], "price": [1.5, 2.25, 3.0]},
            warning="Skipped 2 row(s)",
        ),
        Case(
            "title_row_option.xlsx",
            _xlsx({"Sales": [["Report", "2024"], ["Made by", "me"], ["region", "units"], ["North", 3], ["South", 4]]}),
            "title rows as wide as the table: the user picks the header row",
            format="excel",
            options={"header_row": 2},
            info={"header_row": 2},
            columns=("region", "units"),
            values={"units": [3, 4]},
        ),
        Case(
            "two_sheets.xlsx",
            _xlsx({"First": [["a", "b"], [1, "x"], [2, "y"]], "Second": [["c"], ["NA"], ["z"], ["q"]]}),
            "two sheets: the first is read, both are listed",
            format="excel",
            info={"sheet": "First", "sheets": ("First", "Second")},
            columns=("a", "b"),
            values={"a": [1, 2]},
            warning="also has 'Second'",
        ),
        Case(
            "two_sheets_second.xlsx",
            _xlsx({"First": [["a", "b"], [1, "x"]], "Second": [["c"], ["NA"], ["z"], ["q"]]}),
            "two sheets: the second chosen by the user",
            format="excel",
            options={"sheet": "Second"},
            info={"sheet": "Second", "sheets": ("First", "Second")},
            columns=("c",),
            values={"c": ["NA", "z", "q"]},
        ),
        Case(
            "formulas_no_cache.xlsx",
            _xlsx({"Q1": [["item", "qty", "total"], ["a", 2, "=B2*2"], ["b", 3, "=B3*2"], ["c", 4, "=B4*2"]]}),
            "formulas written by a script, never calculated by Excel",
            format="excel",
            values={"qty": [2, 3, 4], "total": [None, None, None]},
            warning="Sheet 'Q1': 3 cells in column 'total' hold formulas with no saved value",
        ),
        Case(
            "table.parquet",
            _parquet(),
            "Parquet keeps its stored types",
            format="parquet",
            dtypes={"zip": "str", "country": "str", "n": "int", "x": "float", "day": "datetime"},
            values={
                "zip": ["02134", "10001", "00501"],
                "country": ["NA", "US", "FR"],
                "x": [1.5, None, 2.25],
                "day": _ts("2024-01-01", "2024-02-01", "2024-03-01"),
            },
        ),
        Case(
            "gzip_csv.csv.gz",
            _gzip(semicolon),
            "a gzip-compressed CSV",
            info={"delimiter": ";", "decimal": ","},
            values={"temp": [-3.5, 14.0]},
            warning="gzip",
        ),
        Case(
            "one_csv.zip",
            _zip({"export/data.csv": semicolon, "__MACOSX/export/._data.csv": b"\x00\x05junk"}),
            "a zip holding one CSV (plus macOS junk)",
            info={"delimiter": ";"},
            values={"city": ["Oslo", "Rome"]},
            warning="'export/data.csv'",
        ),
        Case(
            "one_xlsx.zip",
            _zip({"book.xlsx": _xlsx({"S": [["k", "v"], ["a", 1]]})}),
            "a zip holding one workbook",
            format="excel",
            values={"v": [1]},
        ),
        Case(
            "two_files.zip",
            _zip({"a.csv": b"x\n1\n", "b.csv": b"y\n2\n"}),
            "a zip holding two files",
            refusal="holds 2 files ('a.csv', 'b.csv')",
        ),
        Case(
            "gzip_bomb.csv.gz",
            _gzip(bomb),
            "inflates past the decompression cap (lowered for the test)",
            limits={"MAX_DECOMPRESSED_BYTES": 1 << 20},
            refusal="decompresses to more than 1 MB (a zip bomb?)",
        ),
        Case(
            "zip_bomb.zip",
            _zip({"bomb.csv": bomb}),
            "a zip that inflates past the decompression cap",
            limits={"MAX_DECOMPRESSED_BYTES": 1 << 20},
            refusal="zip file decompresses to more than 1 MB (a zip bomb?)",
        ),
        Case("zip_in_gzip.gz", _gzip(_zip({"a.csv": b"x\n1\n"})), "compressed twice", refusal="compressed twice"),
        Case(
            "tiny_parquet_12m_rows.parquet",
            _parquet_declaring_millions_of_rows(),
            "about 50 kB on disk, 12 M rows once read: refused from the footer, never materialised",
            refusal="Parquet file declares 12,000,000 rows, over the 10,000,000-row limit",
        ),
        Case(
            "parquet_long_repeated_text.parquet",
            _parquet_long_repeated_text(),
            "a text stored once in the dictionary and repeated: its decoded size counts (cap lowered for the test)",
            limits={"MAX_DECOMPRESSED_BYTES": 1 << 20},
            refusal="expands to about 1.9 MB once read, over the 1 MB limit",
        ),
        Case(
            "big_sheet_xml.xlsx",
            _xlsx({"Log": [["t", "v"]] + [[i, f"value {i}"] for i in range(500)]}),
            "more sheet XML than can be parsed in reasonable time (cap lowered for the test)",
            format="excel",
            limits={"MAX_SHEET_XML_BYTES": 20_000},
            refusal="of spreadsheet XML once unzipped",
        ),
        Case(
            "huge_dimension.xlsx",
            _xlsx_with_dimension("A1:CV1000000"),
            "the sheet declares 1,000,000 rows x 100 columns",
            format="excel",
            refusal="Sheet 'Data' declares 1,000,000 rows × 100 columns",
        ),
    ]


def cases() -> list[Case]:
    """Every case, in memory."""
    return _text_cases() + _refused_text_cases() + _container_cases()


def make_corpus(folder: str | Path) -> list[Case]:
    """Write every case's file into `folder` (created if needed) and return the cases."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    all_cases = cases()
    for case in all_cases:
        (folder / case.name).write_bytes(case.data)
    return all_cases


# -- checking a read ------------------------------------------------------------------------------


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "int"
    if pd.api.types.is_float_dtype(series):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if pd.api.types.is_string_dtype(series):
        return "str"
    return str(series.dtype)


def _same(actual: Any, expected: Any) -> bool:
    if expected is None:
        return actual is None or bool(pd.isna(actual))
    if actual is None or (not isinstance(actual, str) and bool(pd.isna(actual))):
        return False
    if isinstance(expected, float) or isinstance(actual, float):
        return math.isclose(float(actual), float(expected), rel_tol=1e-9, abs_tol=1e-12)
    return actual == expected


def check_read(case: Case, df: pd.DataFrame, info: Any) -> None:
    """Assert that a successful read matches every expectation of `case`."""
    assert case.refusal is None, f"{case.name} should have been refused ({case.refusal!r})"
    if case.format:
        assert info.format == case.format, f"{case.name}: format {info.format!r}, expected {case.format!r}"
    for key, expected in case.info.items():
        assert getattr(info, key) == expected, (
            f"{case.name}: info.{key} is {getattr(info, key)!r}, expected {expected!r}"
        )
    if case.columns:
        assert tuple(df.columns) == case.columns, f"{case.name}: columns {list(df.columns)}"
    rows = case.rows if case.rows is not None else next((len(v) for v in case.values.values()), None)
    if rows is not None:
        assert len(df) == rows == info.rows, f"{case.name}: {len(df)} rows, expected {rows}"
    for column, kind in case.dtypes.items():
        assert _kind(df[column]) == kind, f"{case.name}: column {column!r} is {df[column].dtype}, expected {kind}"
    for column, expected in case.values.items():
        actual = df[column].tolist()
        assert len(actual) == len(expected) and all(_same(a, e) for a, e in zip(actual, expected)), (
            f"{case.name}: column {column!r} is {actual!r}, expected {expected!r}"
        )
    by_name = {c.name: c for c in info.columns}
    for column, phrase in case.notes.items():
        assert phrase in by_name[column].note, f"{case.name}: note of {column!r} is {by_name[column].note!r}"
    for column, examples in case.examples.items():
        got = by_name[column].examples_not_fitting
        assert set(examples) <= set(got), f"{case.name}: examples of {column!r} are {got!r}, expected {examples!r}"
    if case.warning:
        assert any(case.warning in w for w in info.warnings), (
            f"{case.name}: no warning with {case.warning!r} in {info.warnings!r}"
        )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/corpus/make_corpus.py FOLDER")
    written = make_corpus(sys.argv[1])
    print(f"wrote {len(written)} files to {sys.argv[1]}")
