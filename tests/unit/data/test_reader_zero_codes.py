"""Codes with leading zeros decided from their bytes (`zero_codes.zero_led_codes`): the same column,
note and examples as the full inference gives from the distinct values, and that inference whenever
a cell is anything but ASCII digits."""

import pyarrow as pa
import pytest

from core.data.reader import column_types, read_table, zero_codes

MISSING = "blank cells read as missing"


def _column(values: list, chunk: int = 3) -> pa.ChunkedArray:
    return pa.chunked_array(
        [pa.array(values[i : i + chunk], pa.large_string()) for i in range(0, len(values), chunk)], pa.large_string()
    )


def _both(values: list, monkeypatch) -> tuple:
    arr = _column(values)
    fast = column_types._infer_column(arr, ".", None, MISSING)
    with monkeypatch.context() as m:
        m.setattr(column_types, "zero_led_codes", lambda arr, examples: None)  # the full inference
        full = column_types._infer_column(arr, ".", None, MISSING)
    return fast, full


CASES = [
    ["00962", "12345", "00962", "01000", None, "99999", "00001", "0", "00001", "02", "003", "0004", "05"],
    ["1", "2", "007"],  # the only zero-led value last
    ["00", "0", "00", None, None],
    ["007"],
]


@pytest.mark.parametrize("values", CASES)
def test_zero_led_codes_read_as_the_full_inference_does(values, monkeypatch):
    assert zero_codes.zero_led_codes(_column(values), 5) is not None  # (decided from the bytes)
    fast, full = _both(values, monkeypatch)
    assert fast[1:] == full[1:]
    assert fast[0].equals(full[0]) and fast[0].dtype == full[0].dtype
    assert "leading zeros" in fast[1]


def test_the_first_five_distinct_zero_led_values_in_order():
    values = ["00010"] * 100 + ["123", "00020", "00010", "00030"] + ["00040"] * 70 + ["00050", "00060"]
    assert zero_codes.zero_led_codes(_column(values, 50), 5) == ["00010", "00020", "00030", "00040", "00050"]
    assert zero_codes.zero_led_codes(_column(values, 50), 2) == ["00010", "00020"]


@pytest.mark.parametrize(
    "values",
    [
        ["00962", "12a45"],  # a letter: the full inference decides
        ["00962", "-0100"],  # a sign
        ["00962", "1.5"],  # a decimal mark
        ["00962", ""],  # an empty value kept as a value (no missing tokens)
        ["00962", " 0100"],  # (trimmed before typing; untrimmed here: not digits)
        ["00962", "\uff10\uff11"],  # full-width digits are not numbers
        ["12345", "0", "99"],  # digits, none zero-led: numbers, decided elsewhere
        [None, None],
    ],
)
def test_anything_but_digits_is_left_to_the_full_inference(values, monkeypatch):
    assert zero_codes.zero_led_codes(_column(values), 5) is None
    fast, full = _both(values, monkeypatch)
    assert fast[1:] == full[1:]


def test_a_null_slot_holding_bytes_is_not_read():
    """A missing cell is null; the bytes its slot may still span (here 'x') never make a value."""
    base = pa.array(["007", "x", "12"], pa.large_string())
    nulled = pa.Array.from_buffers(
        pa.large_string(), 3, [pa.py_buffer(bytes([0b101])), base.buffers()[1], base.buffers()[2]], null_count=1
    )
    assert zero_codes.zero_led_codes(nulled, 5) is None  # (a non-digit byte anywhere: the full inference)


def test_zip_codes_in_a_csv_keep_their_zeros_and_note():
    rows = "\n".join(f"{i},{i * 37 % 100000:05d}" for i in range(2000))
    df, info = read_table(f"id,zip\n{rows}\n,\n".encode())
    assert str(df["zip"].dtype) == "str" and df["zip"].iloc[1] == "00037"
    note = info.columns[1].note
    assert note.startswith("kept as text: values have leading zeros (e.g. '00000')") and "1 blank cell" in note
    assert info.columns[1].examples_not_fitting == ("00000", "00037", "00074", "00111", "00148")
