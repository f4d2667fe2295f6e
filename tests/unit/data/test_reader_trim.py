"""core.data.reader.columns trims a column of ASCII cells with Arrow's ASCII kernel and any other with
the Unicode one: the cells must be those Unicode trimming gives, whichever kernel ran."""

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from core.data.reader.columns import _may_have_padding, _trimmed


@pytest.mark.parametrize(
    "cells",
    [
        [" Beta", "alpha ", "\tgamma\r", "delta", ""],  # ASCII: the ASCII kernel
        ["x\x1c", "\x1fy", " z "],  # separators 0x1C-0x1F: whitespace to Unicode, not to ASCII trimming
        ["\u00a0Lisboa", "Porto\u3000", " Faro "],  # no-break and ideographic spaces
    ],
)
def test_trimmed_cells_are_those_of_unicode_trimming(cells):
    column = pa.chunked_array([pa.array(cells[:2], pa.large_string()), pa.array(cells[2:], pa.large_string())])
    assert _may_have_padding(column)
    assert _trimmed(column, pa.default_memory_pool()).to_pylist() == pc.utf8_trim_whitespace(column).to_pylist()
    assert _trimmed(column, pa.default_memory_pool()).to_pylist() == [c.strip() for c in cells]


def test_a_column_without_padding_is_not_trimmed():
    column = pa.chunked_array([pa.array(["a", "b c", "", "d"], pa.large_string())])
    assert not _may_have_padding(column)
    assert _may_have_padding(pa.chunked_array([pa.array(["a", "b\u00a0"], pa.large_string())]))
