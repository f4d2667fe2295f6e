"""core.data.reader (the package): format/encoding/delimiter/decimal detection, type inference and refusals."""

import gzip
import io
import json

import numpy as np
import pandas as pd
import pytest

from core.data import reader
from core.data.reader import ReadOptions, delimited, limits, read_path, read_table
from core.workspace.errors import ConfigError, DataError
from tests.corpus.make_corpus import _xlsx as xlsx_bytes


def _read(data: bytes, **options):
    return read_table(data, ReadOptions(**options))


def _note(info, column: str) -> str:
    return next(c.note for c in info.columns if c.name == column)


def _column(info, column: str):
    return next(c for c in info.columns if c.name == column)


def _zip(files: dict) -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


# -- detection ------------------------------------------------------------------------------------


def test_semicolon_with_decimal_comma():
    df, info = _read(b"name;price;qty\nA;1,5;3\nB;2,25;4\nC;1.234,5;5\n")
    assert (info.format, info.delimiter, info.decimal) == ("csv", ";", ",")
    assert df["price"].tolist() == [1.5, 2.25, 1234.5]
    assert df["qty"].dtype == "int64" and df["qty"].tolist() == [3, 4, 5]
    assert "decimal comma" in _note(info, "price")


def test_tab_and_pipe_delimiters():
    df, info = _read(b"a\tb\tc\n1\tx\t2.5\n3\ty\t4.5\n")
    assert info.delimiter == "\t" and list(df.columns) == ["a", "b", "c"]
    assert df["c"].tolist() == [2.5, 4.5]
    df, info = _read(b"a|b\n1|x, y\n3|z\n")
    assert info.delimiter == "|" and df["b"].tolist() == ["x, y", "z"]


def test_excel_sep_line_sets_delimiter_and_is_skipped():
    df, info = _read(b"sep=;\na;b\n1;2\n3;4\n")
    assert info.delimiter == ";" and info.header_row == 1
    assert list(df.columns) == ["a", "b"] and df["b"].tolist() == [2, 4]
    assert any("sep=;" in w for w in info.warnings)


def test_utf8_bom_is_not_part_of_the_first_name():
    df, info = _read("\ufeffid,name\n1,José\n2,Zoë\n".encode("utf-8"))
    assert info.encoding == "utf-8-sig"
    assert list(df.columns) == ["id", "name"] and df["name"].tolist() == ["José", "Zoë"]


def test_utf16_with_bom():
    df, info = _read("name,city\nJosé,Zürich\nAnaïs,Besançon\n".encode("utf-16"))
    assert info.encoding == "utf-16"
    assert df["city"].tolist() == ["Zürich", "Besançon"]


def test_latin1_file_with_accents_falls_back_and_warns():
    df, info = _read("nom;ville\nJosé;Zürich\nFrançois;Montréal\n".encode("latin-1"))
    assert info.encoding in ("cp1252", "latin-1")
    assert df["ville"].tolist() == ["Zürich", "Montréal"]
    assert any("not UTF-8" in w for w in info.warnings)


def test_na_stays_a_string_by_default_but_can_be_a_missing_token():
    data = b"country,n\nNA,1\nUS,2\n"
    df, info = _read(data)
    assert df["country"].tolist() == ["NA", "US"]
    assert info.columns[0].missing == 0
    df, info = _read(data, na_tokens=("", "NA"))
    assert df["country"].isna().tolist() == [True, False]
    assert info.columns[0].missing == 1


def test_leading_zeros_keep_a_column_as_text_with_a_reason():
    df, info = _read(b"zip,amount\n02134,10\n10001,20\n00501,30\n")
    assert df["zip"].tolist() == ["02134", "10001", "00501"]
    assert pd.api.types.is_string_dtype(df["zip"])
    assert "leading zeros" in _note(info, "zip")
    assert df["amount"].dtype == "int64"


def test_blank_cells_become_missing_and_make_integers_float():
    df, info = _read(b"a,b,c\n1, ,x\n2,3,\n4,5,y\n")
    assert df["b"].dtype == "float64" and df["b"].isna().tolist() == [True, False, False]
    assert df["c"].isna().tolist() == [False, True, False]
    assert {c.name: c.missing for c in info.columns} == {"a": 0, "b": 1, "c": 1}
    assert "1 blank cell read as missing" in _note(info, "b")


def test_values_and_names_are_stripped():
    df, _ = _read(b" id , city \n1,  Paris \n2,Lyon\n")
    assert list(df.columns) == ["id", "city"] and df["city"].tolist() == ["Paris", "Lyon"]


def test_dates_are_parsed_iso_and_day_first():
    df, info = _read(
        b"iso,eu,ts\n2024-01-05,28/02/2024,2024-01-05 10:00:00\n2024-02-10,13/03/2024,2024-02-10 11:30:00\n"
    )
    for col in ("iso", "eu", "ts"):
        assert pd.api.types.is_datetime64_any_dtype(df[col]), col
    assert df["eu"].tolist() == [pd.Timestamp("2024-02-28"), pd.Timestamp("2024-03-13")]
    assert df["ts"].iloc[1] == pd.Timestamp("2024-02-10 11:30")
    assert "dates" in _note(info, "iso")


def test_mostly_numeric_text_stays_text_and_says_why():
    df, info = _read(b"v\n1\n2\nabc\n4\n")
    assert pd.api.types.is_string_dtype(df["v"])
    assert "not numbers" in _note(info, "v") and "'abc'" in _note(info, "v")


def test_long_integers_stay_text():
    df, info = _read(b"card,n\n4111111111111111111,1\n5500000000000000004,2\n")
    assert df["card"].tolist() == ["4111111111111111111", "5500000000000000004"]
    assert "digits" in _note(info, "card")


def test_quoted_delimiters_and_newlines_inside_values():
    df, _ = _read(b'a,b\n"x,y",1\n"multi\nline",2\n')
    assert df["a"].tolist() == ["x,y", "multi\nline"] and df["b"].tolist() == [1, 2]


def test_preamble_lines_above_the_header_are_skipped():
    df, info = _read(b"Sales report 2024\n\nregion,units,price\nNorth,3,1.5\nSouth,4,2.5\n")
    assert info.header_row == 2 and list(df.columns) == ["region", "units", "price"]
    assert any("Skipped" in w for w in info.warnings)


def test_blank_names_are_named_and_trailing_empty_column_dropped():
    df, info = _read(b"a,,c\n1,2,3\n4,5,6\n")
    assert list(df.columns) == ["a", "column_2", "c"]
    assert any("column_2" in w for w in info.warnings)
    df, info = _read(b"a,b,\n1,2,\n3,4,\n")
    assert list(df.columns) == ["a", "b"]
    assert any("trailing delimiter" in w for w in info.warnings)


def test_info_to_dict_is_json():
    _, info = _read(b"a;b\n1,5;x\n")
    d = json.loads(json.dumps(info.to_dict()))
    assert d["format"] == "csv" and d["delimiter"] == ";" and d["decimal"] == "," and d["rows"] == 1
    assert d["columns"][0] == {
        "name": "a",
        "dtype": "float64",
        "missing": 0,
        "note": d["columns"][0]["note"],
        "examples_not_fitting": [],
    }
    assert {"encoding", "header_row", "warnings", "thousands", "quotechar", "sheets", "na_tokens"} <= set(d)
    assert d["quotechar"] == '"' and d["thousands"] is None and d["na_tokens"] == [""]
    assert reader.ReadInfo.from_dict(d) == info


# -- other formats ----------------------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "zip": ["02134", "10001", "00501"],
            "n": [1, 2, 3],
            "x": [1.5, np.nan, 2.25],
            "day": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
            "code": ["NA", "b", "c"],
        }
    )


def test_xlsx_round_trip_and_sheet_choice():
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        _frame().to_excel(writer, index=False, sheet_name="data")
        _frame().head(1).to_excel(writer, index=False, sheet_name="extra")
    df, info = read_table(buf.getvalue())
    assert info.format == "excel" and info.sheet == "data" and info.rows == 3
    assert df["zip"].tolist() == ["02134", "10001", "00501"]
    assert df["n"].dtype == "int64" and df["n"].tolist() == [1, 2, 3]
    assert df["x"].isna().tolist() == [False, True, False] and df["x"].iloc[2] == 2.25
    assert df["day"].tolist() == list(_frame()["day"])
    assert df["code"].tolist() == ["NA", "b", "c"]
    assert any("extra" in w for w in info.warnings)
    df, info = read_table(buf.getvalue(), ReadOptions(sheet="extra"))
    assert len(df) == 1 and info.sheet == "extra"
    with pytest.raises(DataError, match="no sheet named 'nope'.*'data', 'extra'"):
        read_table(buf.getvalue(), ReadOptions(sheet="nope"))


def test_parquet_round_trip():
    buf = io.BytesIO()
    _frame().to_parquet(buf)
    df, info = read_table(buf.getvalue())
    assert info.format == "parquet" and info.rows == 3
    pd.testing.assert_frame_equal(df, _frame(), check_dtype=False)
    assert df["n"].dtype == "int64"


def test_gzip_csv_is_detected_by_content():
    df, info = read_table(gzip.compress(b"a;b\n1;x\n2;y\n"))
    assert info.format == "csv" and info.delimiter == ";" and df["a"].tolist() == [1, 2]
    assert any("gzip" in w for w in info.warnings)


def test_read_path_ignores_the_file_name(tmp_path):
    path = tmp_path / "table.xlsx"  # a CSV with a misleading name
    path.write_bytes(b"a,b\n1,2\n")
    df, info = read_path(path)
    assert info.format == "csv" and df["b"].tolist() == [2]


# -- refusals -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, pattern",
    [
        (b"", r"empty \(0 bytes\)"),
        (b"a,b,c\n", r"header row \('a', 'b', 'c'\) but no data rows"),
        (b"\n \n\n", r"only blank lines"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", r"PNG image, not a table"),
        (bytes(range(256)) * 8, r"binary file, not a table"),
        (b"a,b,c\n1,2,3\n4,5\n6,7,8\n", r"Line 3 has 2 fields but the header \(line 1\) has 3"),
        (b"a,b\n1,2,3\n", r"Line 2 has 3 fields but the header \(line 1\) has 2"),
        (b"id,name,id\n1,x,2\n", r"appear more than once: 'id' \(columns 1, 3\)"),
        (b"PK\x03\x04notreallyazip", r"damaged"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, r"\.xls.*save it as \.xlsx or CSV"),
    ],
)
def test_refusals_name_the_problem(data, pattern):
    with pytest.raises(DataError, match=pattern):
        read_table(data)


def test_zip_with_one_table_is_read_and_with_several_is_refused():
    one = _zip({"folder/data.csv": b"a;b\n1;x\n2;y\n", "__MACOSX/folder/._data.csv": b"junk", "folder/": b""})
    df, info = read_table(one)
    assert info.format == "csv" and info.delimiter == ";" and df["b"].tolist() == ["x", "y"]
    assert any("'folder/data.csv'" in w for w in info.warnings)
    with pytest.raises(DataError, match=r"holds 3 files \('a.csv', 'b.csv', 'c.txt'\); a zip must hold exactly one"):
        read_table(_zip({"a.csv": b"x\n1\n", "b.csv": b"y\n2\n", "c.txt": b"z\n3\n"}))
    with pytest.raises(DataError, match=r"holds no files"):
        read_table(_zip({"empty/": b""}))


def test_zip_of_parquet_and_docx_like_archives():
    buf = io.BytesIO()
    _frame().to_parquet(buf)
    df, info = read_table(_zip({"t.parquet": buf.getvalue()}))
    assert info.format == "parquet" and df["zip"].tolist() == ["02134", "10001", "00501"]
    with pytest.raises(DataError, match=r"word-processor document"):
        read_table(_zip({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<x/>"}))
    with pytest.raises(DataError, match=r"OpenDocument spreadsheet \(\.ods\); save it as \.xlsx or CSV"):
        read_table(_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}))


def test_single_column_although_other_delimiters_present_is_refused():
    with pytest.raises(DataError, match=r"single column 'a;b;c'.*semicolon"):
        _read(b"a;b;c\n1;2;3\n", delimiter=",")
    with pytest.raises(DataError, match=r"single column"):
        _read(b"a;b;c\n1\n2\n")  # header split by ';' but the rows are not


def test_single_column_file_without_delimiters_is_fine():
    df, _ = _read(b"word\nalpha\nbeta\n")
    assert list(df.columns) == ["word"] and len(df) == 2


def test_file_over_the_size_limit_is_refused(monkeypatch, tmp_path):
    assert limits.MAX_UPLOAD_BYTES == 400 * 1024**2 and limits.MAX_DECOMPRESSED_BYTES == 4 * limits.MAX_UPLOAD_BYTES
    monkeypatch.setattr(limits, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(DataError, match=r"is 204 bytes, over the 100 bytes limit; use a smaller extract"):
        read_table(b"a,b\n" + b"1,2\n" * 50)
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 50)
    with pytest.raises(DataError, match=r"over the .* limit"):
        read_path(path)


def test_decompression_is_capped(monkeypatch):
    table = b"a,b\n" + b"1,2\n" * 50  # 204 bytes inflated
    monkeypatch.setattr(limits, "MAX_DECOMPRESSED_BYTES", 200)
    with pytest.raises(DataError, match=r"gzip file decompresses to more than 200 bytes \(a zip bomb\?\)"):
        read_table(gzip.compress(table))
    with pytest.raises(DataError, match=r"zip file decompresses to more than 200 bytes \(a zip bomb\?\)"):
        read_table(_zip({"t.csv": table}))
    monkeypatch.setattr(limits, "MAX_DECOMPRESSED_BYTES", 204)
    assert len(read_table(gzip.compress(table))[0]) == 50  # exactly at the cap is fine


def test_tiny_parquet_declaring_millions_of_rows_is_refused_from_its_footer(monkeypatch):
    import pyarrow.parquet as pq

    from tests.corpus.make_corpus import _parquet_declaring_millions_of_rows

    data = _parquet_declaring_millions_of_rows()
    assert len(data) < 200_000 and pq.ParquetFile(io.BytesIO(data)).metadata.num_rows == 12_000_000

    def materialised(*args, **kwargs):
        raise AssertionError("the table was read although its footer declares 12 M rows")

    monkeypatch.setattr(pq, "read_table", materialised)
    monkeypatch.setattr(pq.ParquetFile, "read", materialised)
    monkeypatch.setattr(pd, "read_parquet", materialised)
    with pytest.raises(DataError, match=r"declares 12,000,000 rows, over the 10,000,000-row limit; save a sample"):
        read_table(data)
    with pytest.raises(DataError, match=r"declares 12,000,000 rows"):  # inside a zip too
        read_table(_zip({"t.parquet": data}))


def test_parquet_is_refused_when_its_cells_or_decoded_size_are_too_many(monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(
        pa.table(
            {
                "a": range(1000),
                "b": range(1000),
                "note": ["same long text " * 50] * 1000,
                "kind": pa.array(["x", "y"] * 500).dictionary_encode(),
            }
        ),
        buf,
    )
    data = buf.getvalue()
    assert len(read_table(data)[0]) == 1000
    monkeypatch.setattr(limits, "MAX_CELLS", 3999)
    with pytest.raises(DataError, match=r"declares 1,000 rows × 4 columns \(4,000 cells\), over the 3,999-cell limit"):
        read_table(data)
    monkeypatch.setattr(limits, "MAX_CELLS", 10**8)
    # The repeated text is stored once: only its decoded size (~750 kB) shows what reading costs.
    monkeypatch.setattr(limits, "MAX_DECOMPRESSED_BYTES", 500_000)
    assert len(data) < 50_000
    with pytest.raises(DataError, match=r"expands to about 7\d\d(\.\d)? kB once read, over the 488.3 kB limit"):
        read_table(data)


def test_parquet_reads_as_pandas_reads_it():
    frame = pd.DataFrame(
        {
            "s": ["a", "b", None],
            "c": pd.Categorical(["x", "y", "x"]),
            "i": [1, 2, 3],
            "d": pd.to_datetime(["2020-01-01", None, "2021-01-01"]),
            "f": [1.5, None, 2.0],
            "flag": [True, False, True],
        },
        index=[5, 6, 7],
    )
    buf = io.BytesIO()
    frame.to_parquet(buf)
    df, info = read_table(buf.getvalue())
    expected = pd.read_parquet(io.BytesIO(buf.getvalue())).reset_index(drop=True)
    expected["c"] = expected["c"].astype("str")
    pd.testing.assert_frame_equal(df, expected)
    assert [c.dtype for c in info.columns] == ["str", "str", "int64", "datetime64[us]", "float64", "bool"]


def test_big_sheets_are_refused_before_openpyxl_parses_them(monkeypatch):
    book = xlsx_bytes({"Big": [["t", "v"]] + [[i, f"value {i}"] for i in range(400)], "Small": [["k"], [1], [2]]})

    def parsed(*args, **kwargs):
        raise AssertionError("openpyxl parsed a sheet that its sizes say is too big")

    monkeypatch.setattr(limits, "MAX_SHEET_XML_BYTES", 10_000)
    with monkeypatch.context() as patched:
        patched.setattr(pd, "ExcelFile", parsed)
        with pytest.raises(
            DataError,
            match=r"Sheet 'Big' holds .* of spreadsheet XML once unzipped .* over the "
            r"9.8 kB .*; save the sheet as CSV",
        ):
            read_table(book)
    df, info = read_table(book, ReadOptions(sheet="Small"))  # the small sheet of the same book reads
    assert df["k"].tolist() == [1, 2]
    monkeypatch.setattr(limits, "MAX_SHEET_XML_BYTES", 50 * 1024**2)
    monkeypatch.setattr(limits, "MAX_EXCEL_CELLS", 801)
    with pytest.raises(DataError, match=r"Sheet 'Big' declares 401 rows × 2 columns \(802 cells\), over the 801-cell"):
        read_table(book)
    monkeypatch.setattr(limits, "MAX_DECOMPRESSED_BYTES", 1000)
    with pytest.raises(DataError, match=r"Excel file decompresses to more than 1,000 bytes \(a zip bomb\?\)"):
        reader.list_excel_sheets(book)


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nowhere" / "data.csv"
    with pytest.raises(DataError, match="File not found") as err:
        read_path(missing)
    assert str(missing) in str(err.value)


def test_wrong_explicit_encoding_is_a_data_error():
    with pytest.raises(DataError, match="not valid utf-8"):
        _read("a\nJosé\n".encode("latin-1"), encoding="utf-8")


def test_invalid_options_are_config_errors():
    with pytest.raises(ConfigError, match="delimiter"):
        ReadOptions(delimiter=";;")
    with pytest.raises(ConfigError, match="decimal"):
        ReadOptions(decimal=":")
    with pytest.raises(ConfigError, match="encoding"):
        _read(b"a\n1\n", encoding="no-such-codec")


def test_sample_telco_when_present():
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "sample_data" / "telco_churn.csv"
    if not path.exists():
        pytest.skip("sample data not generated yet")
    df, info = read_path(path)
    assert info.rows == len(df) > 1000 and info.delimiter == ","
    assert df["total_charges"].dtype == "float64" and int(df["total_charges"].isna().sum()) == 11
    assert pd.api.types.is_datetime64_any_dtype(df["signup_date"])
    assert pd.api.types.is_string_dtype(df["customer_id"])


def test_ambiguous_dates_are_flagged_and_follow_the_file_locale():
    df, info = _read(b"d\n01/02/2024\n03/04/2024\n")
    assert df["d"].tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-03-04")]
    assert "read as month/day" in _note(info, "d") and any("day/month" in w for w in info.warnings)
    df, info = _read(b"d;x\n01/02/2024;1,5\n03/04/2024;2,5\n")  # decimal comma: a European file
    assert df["d"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-04-03")]


# -- number formats, quotes, encodings (extended reader) -------------------------------------------


@pytest.mark.parametrize(
    "data, decimal, thousands, values",
    [
        (b"k;v\na;1.234.567,89\nb;12,5\n", ",", ".", [1234567.89, 12.5]),
        (b"k\tv\na\t1,234,567.89\nb\t12.5\n", ".", ",", [1234567.89, 12.5]),
        (b"k;v\na;1,234,567.89\nb;3\n", ".", ",", [1234567.89, 3.0]),
        (b"k;v\na;1,5\nb;1,500\nc;2\n", ",", None, [1.5, 1.5, 2.0]),  # a decimal comma is not a thousands separator
        (b'k,v\na,"1,234.50"\nb,"12,000"\n', ".", ",", [1234.5, 12000.0]),  # quoted in a comma file
        (b"k,v\na,1.5\nb,2.25\n", ".", None, [1.5, 2.25]),
    ],
)
def test_decimal_and_thousands_are_detected(data, decimal, thousands, values):
    df, info = _read(data)
    assert (info.decimal, info.thousands) == (decimal, thousands)
    assert df["v"].tolist() == pytest.approx(values)


def test_thousands_and_decimal_options_override_detection():
    data = b"k;v\na;1,234\nb;5,678\n"
    assert _read(data)[0]["v"].tolist() == [1.234, 5.678]  # detected: decimal comma
    df, info = _read(data, thousands=",")
    assert (info.decimal, info.thousands) == (".", ",") and df["v"].tolist() == [1234, 5678]
    df, info = _read(b"k;v\na;1 234,5\nb;12,25\n", thousands=" ")
    assert (info.decimal, info.thousands) == (",", " ") and df["v"].tolist() == [1234.5, 12.25]
    df, info = _read(b"k;v\na;1.234.567,89\nb;12.5\nc;3\n", decimal=".", thousands="")
    assert info.thousands is None and df["v"].tolist() == ["1.234.567,89", "12.5", "3"]
    assert _column(info, "v").examples_not_fitting == ("1.234.567,89",)


def test_number_format_seen_only_late_in_a_long_file_is_detected():
    lines = [b"k;v"] + [b"a;7"] * 60_000 + [b"b;1.234,5"] * 3
    df, info = _read(b"\n".join(lines) + b"\n")
    assert (info.decimal, info.thousands) == (",", ".")
    assert df["v"].iloc[0] == 7.0 and df["v"].iloc[-1] == 1234.5


def test_quote_character_is_detected_and_apostrophes_are_not_quotes():
    df, info = _read(b"id;name\n1;'Smith; John'\n2;'Doe; Jane'\n3;'O''Brien'\n")
    assert info.quotechar == "'" and df["name"].tolist() == ["Smith; John", "Doe; Jane", "O'Brien"]
    df, info = _read(b"name,comment\nO'Brien,it's fine\nD'Arcy,ok\n")
    assert info.quotechar == '"' and df["name"].tolist() == ["O'Brien", "D'Arcy"]
    df, info = _read(b"a,b\n'x',1\n'y',2\n", quotechar='"')  # the user says: no single-quote quoting
    assert df["a"].tolist() == ["'x'", "'y'"]


def test_invalid_new_options_are_config_errors():
    with pytest.raises(ConfigError, match="'thousands'.*must differ"):
        ReadOptions(decimal=",", thousands=",")
    with pytest.raises(ConfigError, match="'thousands' of ReadOptions must be one of"):
        ReadOptions(thousands="x")
    with pytest.raises(ConfigError, match="'quotechar'"):
        ReadOptions(quotechar="ab")
    with pytest.raises(ConfigError, match="'quotechar'"):
        ReadOptions(delimiter=";", quotechar=";")
    options = ReadOptions(delimiter=";", thousands=".", quotechar="'", na_tokens=("", "NA"))
    assert ReadOptions.from_dict(json.loads(json.dumps(options.to_dict()))) == options


def test_invalid_utf8_after_the_sample_still_switches_encoding():
    data = b"name,n\n" + b"abc,1\n" * 20_000 + "Zoë,2\n".encode("cp1252")
    df, info = _read(data)
    assert info.encoding == "cp1252" and df["name"].iloc[-1] == "Zoë"


def test_missing_tokens_in_a_number_column_are_read_as_missing_and_said_so():
    # Real exports write "no value" as 'n/a', '-', '?', 'N/D' in a column of numbers.
    df, info = _read(b"v\n1\n2\nn/a\n4\n-\n6\n")
    col = _column(info, "v")
    assert df["v"].dtype == "float64" and df["v"].tolist()[:2] == [1.0, 2.0] and df["v"].isna().sum() == 2
    assert col.missing == 2 and col.examples_not_fitting == ()
    assert "2 cells 'n/a' (1), '-' (1) read as missing" in col.note
    assert any("'-', 'n/a'" in w and "'v'" in w for w in info.warnings), info.warnings
    # One token, said with its count; blanks are counted apart.
    df, info = _read(b"v;w\n1,5;a\nN/D;b\n;c\n2,5;d\nN/D;e\nn/d;f\n")
    assert df["v"].tolist()[0] == 1.5 and df["v"].isna().sum() == 4
    assert "1 blank cell read as missing; 3 cells 'N/D' (2), 'n/d' (1) read as missing" in _note(info, "v")
    # The same tokens in a date column.
    df, info = _read(b"d,n\n2024-01-05,1\nN/D,2\n2024-03-01,3\n")
    assert pd.api.types.is_datetime64_any_dtype(df["d"]) and df["d"].isna().sum() == 1
    assert "1 cell 'N/D' read as missing" in _note(info, "d")


def test_missing_tokens_stay_text_where_the_rest_is_not_numbers():
    # 'NA' among country codes is Namibia; '12,5 kg' keeps a column text, and its 'n/a' with it.
    df, info = _read(b"country,code\nNamibia,NA\nNetherlands,NL\nPeru,PE\n")
    assert df["code"].tolist() == ["NA", "NL", "PE"]
    df, info = _read(b"item;weight\nA;12.5\nB;n/a\nC;12,5 kg\nD;7\n")
    assert df["weight"].tolist() == ["12.5", "n/a", "12,5 kg", "7"]
    assert _column(info, "weight").examples_not_fitting == ("n/a", "12,5 kg")
    # Codes with leading zeros stay codes, tokens and all; a column of tokens only stays text.
    df, _ = _read(b"zip,x\n02134,-\nN/D,-\n00501,-\n")
    assert df["zip"].tolist() == ["02134", "N/D", "00501"] and df["x"].tolist() == ["-", "-", "-"]
    assert not any("read as missing" in w for w in _read(b"zip,x\n02134,-\nN/D,-\n")[1].warnings)


def test_missing_tokens_can_be_kept_as_text_and_listed_tokens_still_apply():
    df, info = _read(b"v\n1\n2\nn/a\n4\n-\n6\n", numeric_missing_tokens=False)
    assert pd.api.types.is_string_dtype(df["v"]) and _column(info, "v").examples_not_fitting == ("n/a", "-")
    df, info = _read(b"v\n1\n2\nn/a\n4\n-\n6\n", na_tokens=("", "n/a", "-"))
    assert df["v"].tolist()[:2] == [1.0, 2.0] and _column(info, "v").missing == 2
    assert _column(info, "v").examples_not_fitting == ()
    with pytest.raises(ConfigError, match="'numeric_missing_tokens' of ReadOptions must be True or False"):
        ReadOptions(numeric_missing_tokens="yes")
    options = ReadOptions(numeric_missing_tokens=False)
    assert ReadOptions.from_dict(json.loads(json.dumps(options.to_dict()))) == options


def test_portuguese_export_keeps_its_number_column():
    """';', decimal comma, Latin-1, and 'N/D', '?', '-' in the column that drives the target."""
    rng = np.random.default_rng(4)
    renda = rng.gamma(3, 1500, 300)
    cells = [f"{v:.2f}".replace(".", ",") for v in renda]
    for i, token in ((3, "N/D"), (50, "N/D"), (77, "?"), (200, "-"), (201, "s/d")):
        cells[i] = token
    lines = ["município;renda média;situação"] + [
        f"São Paulo;{c};{'alta' if v > 4500 else 'baixa'}" for c, v in zip(cells, renda)
    ]
    df, info = _read("\n".join(lines).encode("latin-1"))
    assert (info.delimiter, info.decimal) == (";", ",") and info.encoding in ("cp1252", "latin-1")
    assert df["renda média"].dtype == "float64" and df["renda média"].isna().sum() == 5
    assert df["renda média"].iloc[0] == pytest.approx(round(renda[0], 2))
    assert "5 cells 'N/D' (2)" in _note(info, "renda média") and "'s/d' (1)" in _note(info, "renda média")


def test_header_shorter_than_rows_is_named():
    with pytest.raises(
        DataError, match=r"Line 2 has 3 fields but the header \(line 1\) has 2.*header is shorter than the rows; add"
    ):
        _read(b"a,b\n1,2,3\n4,5,6\n")


def test_pdf_that_is_plain_ascii_is_refused_by_its_signature():
    with pytest.raises(DataError, match=r"PDF document, not a table"):
        _read(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n")


# -- chunked parsing and progress ------------------------------------------------------------------


def test_block_by_block_parsing_gives_the_same_table(monkeypatch):
    rows = [f'{i},"note {i}\nsecond line, with comma",{i * 1.5},2024-01-{i % 28 + 1:02d}' for i in range(300)]
    data = ("id,note,x,day\n" + "\n".join(rows) + "\n").encode()
    whole, _ = read_table(data)
    monkeypatch.setattr(delimited, "BLOCK_BYTES", 512)  # many blocks, values spanning their boundaries
    calls = []
    chunked, info = read_table(data, progress=lambda f, m: calls.append((f, m)))
    pd.testing.assert_frame_equal(whole, chunked)
    assert chunked["note"].iloc[7] == "note 7\nsecond line, with comma" and chunked["x"].iloc[2] == 3.0
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert sum("Parsing rows" in m for _, m in calls) >= 10
    assert any("Typing column 4 of 4: day" in m for _, m in calls)


def test_ragged_row_line_number_survives_block_parsing(monkeypatch):
    monkeypatch.setattr(delimited, "BLOCK_BYTES", 256)
    data = b"a,b\n" + b'1,"x\ny"\n' * 100 + b"2,3,4\n" + b"5,6\n" * 10
    with pytest.raises(DataError, match=r"Line 202 has 3 fields but the header \(line 1\) has 2"):
        read_table(data)


def test_progress_for_excel_and_parquet():
    buf = io.BytesIO()
    _frame().to_excel(buf, index=False)
    calls = []
    read_table(buf.getvalue(), progress=lambda f, m: calls.append(f))
    assert calls[0] == 0.0 and calls[-1] == 1.0 and calls == sorted(calls)


# -- Excel: sheets, header row, formulas -----------------------------------------------------------


def _workbook(sheets: dict) -> bytes:
    return xlsx_bytes(sheets)  # the corpus's writer: one way to make test workbooks


def test_list_excel_sheets():
    data = _workbook({"Summary": [["a"], [1]], "Q1 data": [["b"], [2]], "Notes": [["c"], ["x"]]})
    assert reader.list_excel_sheets(data) == ["Summary", "Q1 data", "Notes"]
    assert reader.list_excel_sheets(_zip({"book.xlsx": data})) == ["Summary", "Q1 data", "Notes"]
    _, info = read_table(data, ReadOptions(sheet="Q1 data"))
    assert info.sheets == ("Summary", "Q1 data", "Notes") and info.sheet == "Q1 data"
    with pytest.raises(DataError, match="not an Excel .xlsx workbook"):
        reader.list_excel_sheets(b"a,b\n1,2\n")


def test_excel_header_row_option():
    data = _workbook({"S": [["Report", "2024"], ["id", "amount"], [1, 5], [2, 6]]})
    df, info = read_table(data)  # the title row is as wide as the table: detection takes it
    assert list(df.columns) == ["Report", "2024"]
    df, info = read_table(data, ReadOptions(header_row=1))
    assert list(df.columns) == ["id", "amount"] and df["amount"].tolist() == [5, 6] and info.header_row == 1
    with pytest.raises(DataError, match=r"Row 9 of sheet 'S' \(row 10 in Excel\) is empty or beyond the data"):
        read_table(data, ReadOptions(header_row=9))


def test_formulas_without_saved_values_are_flagged_by_column():
    data = _workbook({"Q1": [["item", "qty", "total", "tax"], ["a", 2, "=B2*2", "=C2*0.2"], ["b", 3, "=B3*2", 1.5]]})
    df, info = read_table(data)
    assert df["total"].isna().all() and df["tax"].tolist()[1] == 1.5 and pd.isna(df["tax"].iloc[0])
    warning = next(w for w in info.warnings if "formulas" in w)
    assert warning.startswith("Sheet 'Q1': 3 cells in columns 'total', 'tax' hold formulas with no saved value")
    assert "Open and save the file in Excel, or export it to CSV." in warning


def test_formulas_with_saved_values_are_not_flagged():
    import zipfile

    data = _workbook({"Q1": [["item", "total"], ["a", "=1+1"]]})
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                for empty in (b"<v />", b"<v/>", b"<v></v>"):  # (openpyxl writes <v></v> where lxml is installed)
                    body = body.replace(b"<f>1+1</f>" + empty, b"<f>1+1</f><v>2</v>")
                assert b"<v>2</v>" in body
            dst.writestr(item, body)
    df, info = read_table(out.getvalue())
    assert df["total"].tolist() == [2] and not any("formulas" in w for w in info.warnings)


# -- memory ------------------------------------------------------------------------------------------

_PEAK_SCRIPT = """
import resource, sys
import pandas as pd, pyarrow.csv
from core.data.reader import read_path
before = int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1])  # kB now
df = read_path(sys.argv[1])[0] if sys.argv[2] == "studio" else pd.read_csv(sys.argv[1])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before, len(df))  # peak growth, kB
"""


@pytest.mark.slow
def test_peak_memory_stays_within_three_times_a_plain_pandas_read(tmp_path):
    """The text-first read must not cost much more memory than pandas' own (1M rows x 30: ~1.4x measured)."""
    import subprocess
    import sys
    from pathlib import Path

    rng = np.random.default_rng(0)
    n = 150_000
    frame = pd.DataFrame(
        {f"x{i}": rng.normal(100, 30, n).round(2) for i in range(12)}
        | {f"k{i}": rng.integers(0, 1000, n) for i in range(8)}
        | {f"c{i}": rng.choice(["North", "South", "NA", ""], n) for i in range(6)}
        | {
            "zip": [f"{z:05d}" for z in rng.integers(0, 99999, n)],
            "id": np.arange(n),
            "day": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            "flag": rng.choice(["Yes", "No"], n),
        }
    )
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    root = Path(__file__).resolve().parents[3]
    growth = {}
    for mode in ("studio", "pandas"):
        out = subprocess.run(
            [sys.executable, "-c", _PEAK_SCRIPT, str(path), mode],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.split()
        growth[mode] = int(out[0])
        assert int(out[1]) == n
    assert growth["studio"] <= 3 * growth["pandas"], growth


@pytest.mark.parametrize("other_digit", ["３", "٣", "３.5", "1٣"])
def test_digits_of_other_scripts_make_a_column_text_not_a_crash(other_digit):
    """Python's '\\d' takes '３' (fullwidth) and '٣' (Arabic-Indic), which no cast reads: the column
    was once taken as integers and failed converting; it is text, and the note names the value."""
    df, info = read_table(f"n,m\n1,a\n2,b\n{other_digit},c\n".encode())
    assert df["n"].tolist() == ["1", "2", other_digit]
    assert other_digit in info.columns[0].note and info.columns[0].examples_not_fitting == (other_digit,)
