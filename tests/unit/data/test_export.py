"""core.data.export: CSV downloads that a spreadsheet cannot execute, and that pandas reads back."""

import io

import numpy as np
import pandas as pd
import pytest

from core.data.export import neutralise_formulas, to_safe_csv

ATTACKS = ["=1+1", "+A1", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd", "=cmd|' /C calc'!A0"]


def _read(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False, na_values=[""])


def test_neutralise_formulas_prefixes_a_quote_on_text_only():
    s = pd.Series(ATTACKS + ["ok", "a=b", "", None], dtype="str")
    out = neutralise_formulas(s)
    assert out.tolist()[: len(ATTACKS)] == ["'" + a for a in ATTACKS]
    assert out.tolist()[len(ATTACKS) : len(ATTACKS) + 3] == ["ok", "a=b", ""] and pd.isna(out.iloc[-1])
    assert s.iloc[0] == "=1+1"  # the input is not modified


def test_neutralise_formulas_leaves_numbers_dates_and_booleans_alone():
    numbers = pd.Series([-1.5, 2.0, -3.0])
    assert neutralise_formulas(numbers) is numbers
    dates = pd.Series(pd.to_datetime(["2024-01-01"]))
    assert neutralise_formulas(dates) is dates
    flags = pd.Series([True, False])
    assert neutralise_formulas(flags) is flags


def test_neutralise_formulas_on_object_and_category_columns():
    mixed = pd.Series(["=x", -2, None, "-y", 3.5], dtype=object)
    assert neutralise_formulas(mixed).tolist()[:2] == ["'=x", -2] and neutralise_formulas(mixed).iloc[3] == "'-y"
    cats = pd.Series(pd.Categorical(["=a", "b", "=a"]))
    out = neutralise_formulas(cats)
    assert out.tolist() == ["'=a", "b", "'=a"] and isinstance(out.dtype, pd.CategoricalDtype)


def test_to_safe_csv_neutralises_text_keeps_numbers_and_reads_back():
    df = pd.DataFrame(
        {
            "comment": pd.Series(["=1+1", "+A1", "-2+3", "@SUM(A1)", "fine, with comma", None], dtype="str"),
            "amount": [-1.5, 2.0, -3.25, 4.0, np.nan, 6.0],
            "count": [-1, 2, 3, 4, 5, 6],
            "day": pd.date_range("2024-01-01", periods=6),
            "=evil header": ["a", "b", "c", "d", "e", "f"],
        }
    )
    data = to_safe_csv(df)
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    assert b",-1.5,-1," in data  # numbers stay numbers (unquoted)
    back = _read(data)
    assert list(back.columns) == ["comment", "amount", "count", "day", "'=evil header"]
    assert back["comment"].tolist()[:5] == ["'=1+1", "'+A1", "'-2+3", "'@SUM(A1)", "fine, with comma"]
    assert pd.isna(back["comment"].iloc[5])
    assert back["amount"].tolist()[:4] == [-1.5, 2.0, -3.25, 4.0] and pd.isna(back["amount"].iloc[4])
    assert back["count"].tolist() == [-1, 2, 3, 4, 5, 6] and pd.api.types.is_integer_dtype(back["count"])
    assert back["day"].tolist()[0] == "2024-01-01"
    assert df["comment"].iloc[0] == "=1+1"  # the caller's frame is untouched


@pytest.mark.parametrize("value", ["Müller €", "naïve", "日本"])
def test_to_safe_csv_keeps_unicode(value):
    back = _read(to_safe_csv(pd.DataFrame({"name": pd.Series([value], dtype="str")})))
    assert back["name"].tolist() == [value]


def test_to_safe_csv_falls_back_to_pandas_for_columns_arrow_cannot_write():
    df = pd.DataFrame({"z": [1 + 2j, -3j], "t": pd.Series(["=bad", "ok"], dtype="str")})
    back = _read(to_safe_csv(df))
    assert back["t"].tolist() == ["'=bad", "ok"] and back["z"].tolist()[0] == "(1+2j)"  # pandas wrote it
