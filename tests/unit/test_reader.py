"""core.reader: format/encoding/delimiter/decimal detection, type inference and refusals."""
import gzip
import io
import json

import numpy as np
import pandas as pd
import pytest

from core import reader
from core.errors import ConfigError, DataError
from core.reader import ReadOptions, read_path, read_table


def _read(data: bytes, **options):
    return read_table(data, ReadOptions(**options))


def _note(info, column: str) -> str:
    return next(c.note for c in info.columns if c.name == column)


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
    df, info = _read(b"iso,eu,ts\n2024-01-05,28/02/2024,2024-01-05 10:00:00\n2024-02-10,13/03/2024,2024-02-10 11:30:00\n")
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
    assert d["columns"][0] == {"name": "a", "dtype": "float64", "missing": 0, "note": d["columns"][0]["note"]}
    assert {"encoding", "header_row", "warnings"} <= set(d)


# -- other formats ----------------------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "zip": ["02134", "10001", "00501"],
        "n": [1, 2, 3],
        "x": [1.5, np.nan, 2.25],
        "day": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-03-01"]),
        "code": ["NA", "b", "c"],
    })


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


def test_zip_that_is_not_excel_is_refused():
    buf = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("data.csv", "a,b\n1,2\n")
    with pytest.raises(DataError, match=r"zip archive \(data.csv\), not an Excel workbook; unzip it"):
        read_table(buf.getvalue())


def test_single_column_although_other_delimiters_present_is_refused():
    with pytest.raises(DataError, match=r"single column 'a;b;c'.*semicolon"):
        _read(b"a;b;c\n1;2;3\n", delimiter=",")
    with pytest.raises(DataError, match=r"single column"):
        _read(b"a;b;c\n1\n2\n")  # header split by ';' but the rows are not


def test_single_column_file_without_delimiters_is_fine():
    df, _ = _read(b"word\nalpha\nbeta\n")
    assert list(df.columns) == ["word"] and len(df) == 2


def test_file_over_the_size_limit_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(reader, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(DataError, match=r"over the .* limit"):
        read_table(b"a,b\n" + b"1,2\n" * 50)
    path = tmp_path / "big.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 50)
    with pytest.raises(DataError, match=r"over the .* limit"):
        read_path(path)
    with pytest.raises(DataError, match=r"decompresses to more than"):  # zip-bomb guard
        read_table(gzip.compress(b"a,b\n" + b"1,2\n" * 50))  # ~30 bytes compressed, 204 inflated


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

    path = Path(__file__).resolve().parents[2] / "sample_data" / "telco_churn.csv"
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
