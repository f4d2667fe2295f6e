"""Integer columns parsed typed by Arrow in the blocks after the first (`delimited.typed_int_block`): the
table and notes are those of the text path, whatever a late cell holds, because a block is taken typed
only when its length shows every integer written canonically."""

import pandas as pd
import pytest

from core.data.reader import delimited, read_table


def _ints(late: str, rows: int = 300, newline: str = "\n") -> bytes:
    lines = ["id,n,x,t"]
    for i in range(rows):
        n = late if i == rows - 2 else str((i * 37) % 1000 - 200)
        lines.append(f"{i},{n},{i * 0.5},{'a' if i % 3 else 'b'}")
    return (newline.join(lines) + newline).encode()


def _read_both(data: bytes, monkeypatch) -> tuple:
    """(the table and info read with typed integer blocks, and read with the text path only)."""
    monkeypatch.setattr(delimited, "BLOCK_BYTES", 256)  # many blocks
    typed = read_table(data)
    monkeypatch.setattr(delimited, "typed_int_block", lambda *a, **k: None)  # every block as text
    text = read_table(data)
    return typed, text


@pytest.mark.parametrize(
    "late", ["007", "-0", "-07", " 5", "5 ", "0x1F", "+5", "1.5", "", "NA", "1234567890123456", "-999", "0", "abc"]
)
def test_a_late_cell_in_an_integer_column_reads_as_the_text_path_reads_it(late, monkeypatch):
    (typed, typed_info), (text, text_info) = _read_both(_ints(late), monkeypatch)
    pd.testing.assert_frame_equal(typed, text)
    assert typed_info == text_info


def test_typed_blocks_are_taken_for_canonical_integers(monkeypatch):
    taken = []
    original = delimited.typed_int_block

    def spy(*args, **kwargs):
        cells = original(*args, **kwargs)
        taken.append(cells is not None)
        return cells

    monkeypatch.setattr(delimited, "typed_int_block", spy)
    (typed, _), (text, _) = _read_both(_ints("42"), monkeypatch)
    pd.testing.assert_frame_equal(typed, text)
    assert taken and all(taken)  # the fast path is used, not silently skipped
    assert str(typed["n"].dtype) == "int64" and str(typed["id"].dtype) == "int64"


def test_windows_line_ends_and_blank_lines_give_the_same_table(monkeypatch):
    for data in (_ints("42", newline="\r\n"), _ints("42").replace(b"\n150,", b"\n\n\n150,")):
        (typed, typed_info), (text, text_info) = _read_both(data, monkeypatch)
        pd.testing.assert_frame_equal(typed, text)
        assert typed_info == text_info and len(typed) == 300


def test_a_lone_carriage_return_does_not_hide_a_leading_zero(monkeypatch):
    """A '\r' alone ends a line for the parser: it must not be taken for half of a Windows line end and
    cover the extra byte of '07' in the length check."""
    data = _ints("07").replace(b"\n297,", b"\r297,")
    (typed, typed_info), (text, text_info) = _read_both(data, monkeypatch)
    pd.testing.assert_frame_equal(typed, text)
    assert typed_info == text_info
