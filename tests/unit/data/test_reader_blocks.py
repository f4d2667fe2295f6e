"""core.data.reader on several threads: a CSV without quotes is cut into blocks parsed side by side, and
columns are typed side by side; the table, the notes and the refusals are those of one block at a time."""

import warnings

import pandas as pd
import pytest

from core.data.reader import delimited, read_table
from core.workspace.errors import DataError


def _unquoted(rows: int = 400) -> bytes:
    lines = ["id,x,n,code,amount,day,city"]
    for i in range(rows):
        code = "007" if i == rows - 3 else str(100 + i)  # a code with a leading zero, only near the end
        amount = "N/D" if i == rows - 5 else f"{i * 2.5:.2f}"  # a missing-value word, only near the end
        lines.append(f"{i},{i * 1.5},{i % 7},{code},{amount},2024-01-{i % 28 + 1:02d},{'Lisboa' if i % 2 else 'Porto'}")
    return ("\n".join(lines) + "\n").encode()


def test_unquoted_blocks_parsed_side_by_side_give_the_same_table(monkeypatch):
    data = _unquoted()
    whole, whole_info = read_table(data)
    monkeypatch.setattr(delimited, "BLOCK_BYTES", 300)  # many blocks, cut at line ends
    calls = []
    blocks, info = read_table(data, progress=lambda f, m: calls.append((f, m)))
    pd.testing.assert_frame_equal(whole, blocks)
    assert info == whole_info
    assert str(blocks["code"].dtype) == "str" and blocks["code"].iloc[-3] == "007"  # found in a late block
    assert blocks["amount"].isna().sum() == 1 and str(blocks["amount"].dtype) == "float64"
    assert str(blocks["x"].dtype) == "float64" and str(blocks["n"].dtype) == "int64"
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert sum("Parsing rows" in m for _, m in calls) >= 10


def test_ragged_row_in_a_late_unquoted_block_names_its_line(monkeypatch):
    monkeypatch.setattr(delimited, "BLOCK_BYTES", 64)
    data = b"a,b\n" + b"1,2\n" * 200 + b"3,4,5\n" + b"6,7\n" * 10
    with pytest.raises(DataError, match=r"Line 202 has 3 fields but the header \(line 1\) has 2"):
        read_table(data)


def test_blank_lines_between_unquoted_blocks_are_skipped(monkeypatch):
    monkeypatch.setattr(delimited, "BLOCK_BYTES", 16)
    data = b"a,b\n" + b"1,2\n\n\n" * 50 + b"3,4\n"
    df, info = read_table(data)
    assert len(df) == 51 and df["b"].tolist()[-2:] == [2, 4] and str(df["a"].dtype) == "int64"


def test_typing_dates_on_threads_leaves_the_warning_filters_as_they_were():
    """Date columns are parsed with warnings silenced, on several threads at once: the process-wide
    filters must come back exactly as they were, not with another thread's "ignore" left in place."""
    days = [f"{d:02d}/{m:02d}/20{y:02d}" for d in range(1, 29) for m in range(1, 13) for y in (20, 21)]
    header = ",".join(f"d{k}" for k in range(12))
    data = (header + "\n" + "\n".join(",".join([day] * 12) for day in days) + "\n").encode()
    before = list(warnings.filters)
    for _ in range(5):
        df, _ = read_table(data)
        assert all(str(t).startswith("datetime64") for t in df.dtypes)
        assert warnings.filters == before


def test_missing_counts_in_the_report_are_those_of_the_frame(monkeypatch):
    """The report's missing cells per column: counted while the number columns are streamed (no pass
    over the values) and from the typed text columns, equal to the frame's own count in every case."""
    monkeypatch.setattr(delimited, "BLOCK_BYTES", 200)  # gaps in the first block and in later ones
    lines = ["f,i,late,t,d,z"]
    for k in range(300):
        f = "" if k % 7 == 0 else f"{k * 0.5}"
        late = "" if k in (250, 251) else str(k)  # an integer column with gaps after its first block
        t = "" if k % 11 == 0 else ("a" if k % 2 else "b")
        d = "" if k % 13 == 0 else f"2024-02-{k % 28 + 1:02d}"
        z = "" if k % 17 == 0 else f"{k:05d}"  # codes with leading zeros: text
        lines.append(f"{f},{k},{late},{t},{d},{z}")
    df, info = read_table(("\n".join(lines) + "\n").encode())
    assert [str(df[c].dtype) for c in df.columns] == ["float64", "int64", "float64", "str", "datetime64[us]", "str"]
    counts = {c.name: c.missing for c in info.columns}
    assert counts == {name: int(df[name].isna().sum()) for name in df.columns}
    assert counts["f"] == 43 and counts["i"] == 0 and counts["late"] == 2 and counts["t"] == 28
