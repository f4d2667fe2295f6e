"""core.data.reader: numbers grouped by spaces, dates written two ways in one column, and a forced
delimiter that reads as one column."""

from __future__ import annotations

import pandas as pd
import pytest

from core.data.reader import ReadOptions, read_table
from core.workspace.errors import DataError


def _read(text: str, **options):
    return read_table(text.encode(), ReadOptions(**options))


def _note(info, column: str) -> str:
    return next(c.note for c in info.columns if c.name == column)


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f"], ids=["space", "no-break", "narrow-no-break"])
def test_space_grouped_thousands_in_a_decimal_comma_file(space):
    df, info = _read(f"valor;n\n1{space}234,56;1\n12{space}345,5;2\n999,1;3\n1{space}000{space}000,25;4\n")
    assert info.decimal == ","
    assert df["valor"].dtype == "float64"
    assert df["valor"].tolist() == [1234.56, 12345.5, 999.1, 1000000.25]
    assert "thousands separator" in _note(info, "valor")


def test_a_column_mixing_the_three_spaces_is_read_as_numbers():
    df, info = _read("valor;x\n1 234,5;1,5\n2\u00a0000,25;2,5\n3\u202f000;3,5\n")
    assert df["valor"].tolist() == [1234.5, 2000.25, 3000.0]


@pytest.mark.parametrize(
    "cells",
    [["12 34,5", "1 234,5"], ["Ana Lima", "1 234,5"], ["1 234,5", "1 2345,5"]],
    ids=["bad-group", "a-name", "long-group"],
)
def test_spaces_that_do_not_group_thousands_keep_the_column_text(cells):
    df, info = _read("valor;x\n" + "".join(f"{c};{k},5\n" for k, c in enumerate(cells)))
    assert info.decimal == ","
    assert df["valor"].tolist() == cells and not pd.api.types.is_numeric_dtype(df["valor"])


def test_iso_and_day_month_dates_in_one_column_are_both_read_and_reported_ambiguous():
    rows = [f"2021-03-{d:02d};{d},5" for d in range(1, 6)] + [f"{d:02d}/04/2021;{d},5" for d in range(1, 6)]
    df, info = _read("quando;valor\n" + "\n".join(rows) + "\n")
    assert df["quando"].notna().all()
    # A decimal-comma file: 01/04/2021 is the first of April, as for a column of dd/mm dates alone.
    assert df["quando"].iloc[5] == pd.Timestamp("2021-04-01") and df["quando"].iloc[0] == pd.Timestamp("2021-03-01")
    note = _note(info, "quando")
    assert "written two ways: ISO (yyyy-mm-dd) and %d/%m/%Y" in note and "could be swapped" in note
    assert any("fit both day/month and month/day" in w and "'quando'" in w for w in info.warnings)


def test_iso_and_unambiguous_day_month_dates_are_read_without_an_ambiguity_warning():
    rows = [f"2021-03-{d:02d},{d}" for d in range(1, 6)] + [f"{d}/03/2021,{d}" for d in range(20, 25)]
    df, info = _read("when,n\n" + "\n".join(rows) + "\n")
    assert df["when"].notna().all() and df["when"].iloc[-1] == pd.Timestamp("2021-03-24")
    assert "written two ways" in _note(info, "when") and "swapped" not in _note(info, "when")
    assert not any("day/month" in w for w in info.warnings)


def test_iso_dates_mixed_with_text_are_not_read_as_dates():
    df, info = _read("when,n\n2021-03-01,1\n2021-03-02,2\nsoon,3\nlater,4\n2021-03-03,5\n")
    assert not pd.api.types.is_datetime64_any_dtype(df["when"])


@pytest.mark.parametrize(
    ("text", "shown", "columns"),
    [
        ("a;b;c\n1;2,5;x\n3;4,5;y\n", "'a;b;c'", 3),  # the decimal comma splits the rows in two
        ("value\n1;2\n3;4\n", "'value'", 2),  # the header holds no other delimiter
    ],
)
def test_a_forced_delimiter_giving_one_column_names_the_detected_one(text, shown, columns):
    with pytest.raises(DataError) as caught:
        _read(text, delimiter=",")
    message = str(caught.value)
    assert f"single column {shown} with comma (',') as delimiter" in message
    assert f"semicolon (';') splits it into {columns} columns; choose semicolon" in message


def test_a_forced_delimiter_that_fits_is_kept():
    df, _ = _read("Report 2021\na;b\n1;2\n", delimiter=";")
    assert list(df.columns) == ["a", "b"]
    df, _ = _read("word\nalpha\nbeta\n", delimiter=",")  # one column and no other delimiter: fine
    assert df["word"].tolist() == ["alpha", "beta"]
