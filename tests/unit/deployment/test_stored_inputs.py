"""A batch's inputs stored once: the frame comes back as it was, so each row's logged JSON is the text
it would have had; a table that would not come back exactly is refused (the log then keeps JSON per row)."""

import json

import numpy as np
import pandas as pd
import pytest

from core.deployment.prediction_log import MAX_CELL_CHARS, inputs_json
from core.deployment.stored_inputs import decode_inputs, encode_inputs


def _varied(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    floats = rng.normal(size=n)
    floats[::7] = np.nan
    text = rng.choice(["red", "Açores", "x" * (MAX_CELL_CHARS + 50), "", "ünï €"], n).astype(object)
    text[::5] = None
    return pd.DataFrame(
        {
            "ints": rng.integers(-(2**40), 2**40, n),
            "floats": floats,
            "flags": rng.random(n) < 0.5,
            "text": pd.Series(text, dtype="str"),
            "object_text": text,
            "nothing": [None] * n,
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, n), unit="s"),
            "zoned": pd.Timestamp("2024-01-01", tz="Europe/Lisbon") + pd.to_timedelta(np.arange(n), unit="h"),
            "nullable": pd.array([1, None, 3] * (n // 3), dtype="Int64"),
            "long text " * 3: ["y" * 300] * n,
        }
    )


def test_a_stored_batch_gives_every_row_the_json_it_would_have_had():
    frame = _varied()
    stored = encode_inputs(frame, MAX_CELL_CHARS)
    assert stored is not None
    expected = inputs_json(frame)
    assert inputs_json(decode_inputs(stored, np.arange(len(frame)))) == expected
    some = np.array([5, 0, 119, 7])  # any rows, in any order (a reader takes the ones it shows)
    assert inputs_json(decode_inputs(stored, some)) == [expected[i] for i in some]
    cut = json.loads(expected[2])
    assert len(cut["long text long text long text "]) == MAX_CELL_CHARS and cut["_truncated"] is True


def test_text_is_stored_cut_to_one_past_the_cap():
    frame = pd.DataFrame({"text": ["z" * 10_000] * 100})
    stored = encode_inputs(frame, MAX_CELL_CHARS)
    assert stored is not None and len(stored) < 10_000  # not the 1 MB sent
    assert decode_inputs(stored, np.array([0]))["text"].iloc[0] == "z" * (MAX_CELL_CHARS + 1)


@pytest.mark.parametrize(
    "column",
    [
        [1, "one"] * 50,  # numbers and text mixed
        [1, 2.5] * 50,  # ints and floats mixed in one object column (1 would come back as 1.0)
        [b"bytes", b"more"] * 50,
        [[1, 2], [3]] * 50,
        pd.Categorical(["a", "b"] * 50),
    ],
)
def test_a_table_that_would_not_come_back_exactly_is_not_stored(column):
    odd = pd.Series(column) if isinstance(column, pd.Categorical) else pd.Series(column, dtype=object)
    frame = pd.DataFrame({"kept": np.arange(100), "odd": odd})
    assert encode_inputs(frame, MAX_CELL_CHARS) is None
