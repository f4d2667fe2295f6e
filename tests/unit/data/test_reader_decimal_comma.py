"""Decimal-comma files (Portuguese exports: ';' between values, '1,5') take the typed fast path
(`streamed_numbers`) where a column is plainly decimal-comma, and give exactly the table and notes of
the full inference whatever a late cell holds (thousands dots, a '.' decimal, codes, tokens)."""

import pandas as pd
import pytest

from core.data.reader import delimited, read_table
from core.data.reader.streamed_numbers import StreamedNumbers


def _comma(late: str, column: int = 1, rows: int = 300) -> bytes:
    lines = ["id;valor;n;t"]
    for i in range(rows):
        cells = [str(i), f"{i % 97},{i % 10}{i % 7}", str((i * 37) % 1000 - 200), "a" if i % 3 else "b"]
        if i == rows - 2:
            cells[column] = late
        lines.append(";".join(cells))
    return ("\n".join(lines) + "\n").encode("latin-1")


def _read_both(data: bytes, monkeypatch) -> tuple:
    """(the table and info read with the fast path, and read by the full inference only)."""
    monkeypatch.setattr(delimited, "BLOCK_BYTES", 256)  # many blocks: the late cell is in a later one
    fast = read_table(data)
    monkeypatch.setattr(StreamedNumbers, "typed", lambda self, text, kind, first=False: (None, kind))
    full = read_table(data)
    return fast, full


LATE = [
    "1.5", "1.234", "1.234,5", "+1,5", "007", ",5", "5,", "1,5e3", "1e5", "nan", "inf", "N/D", " 1,5", "1 234,5",
    "00,5", "-0,5", "-0", "1,5,3", "12345678901234567", "", "abc", "0,0",
]  # fmt: skip


@pytest.mark.parametrize("late", LATE)
@pytest.mark.parametrize("column", [1, 2])
def test_a_late_cell_reads_as_the_full_inference_reads_it(late, column, monkeypatch):
    (fast, fast_info), (full, full_info) = _read_both(_comma(late, column), monkeypatch)
    pd.testing.assert_frame_equal(fast, full)
    assert fast_info == full_info


def test_a_decimal_comma_column_takes_the_fast_path_with_the_same_note(monkeypatch):
    taken = []
    original = StreamedNumbers.finished

    def spy(self):
        done = original(self)
        taken.append((self.kind, done))
        return done

    monkeypatch.setattr(StreamedNumbers, "finished", spy)
    monkeypatch.setattr(delimited, "BLOCK_BYTES", 256)
    df, info = read_table(_comma("42,5"))
    assert ("float", True) in taken and ("int", True) in taken  # valor and n typed while parsed
    assert info.decimal == "," and df["valor"].dtype == "float64" and df["valor"].iloc[-2] == 42.5
    notes = {c.name: c.note for c in info.columns}
    assert "(decimal comma)" in notes["valor"] and "decimal comma" not in notes["n"]
    monkeypatch.setattr(StreamedNumbers, "typed", lambda self, text, kind, first=False: (None, kind))
    full, full_info = read_table(_comma("42,5"))
    pd.testing.assert_frame_equal(df, full)
    assert info == full_info


def test_thousands_dots_are_left_to_the_full_inference(monkeypatch):
    data = _comma("1.234,5").replace(b"1,5;", b"1.000,5;")  # a grouped value in the first block too
    (fast, fast_info), (full, full_info) = _read_both(data, monkeypatch)
    pd.testing.assert_frame_equal(fast, full)
    assert fast_info == full_info
