"""Entity keys in one canonical text form: 1, 1.0 and "1" are one customer, "007" stays a code."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.featurestore.joins import point_in_time_join
from core.featurestore.keys import canonical_key, canonical_keys


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (1, "1"),
        (1.0, "1"),
        ("1", "1"),
        ("1.0", "1"),
        (" 1 ", "1"),
        ("+1", "1"),
        (np.int64(1), "1"),
        (np.float32(1.0), "1"),
        (-3.0, "-3"),
        ("-3", "-3"),
        ("-0.0", "0"),
        (-0.0, "0"),
        (1.5, "1.5"),
        ("1.50", "1.5"),
        ("007", "007"),
        ("C-17", "C-17"),
        ("12345678901234567890", "12345678901234567890"),
        (12345678901234567890, "12345678901234567890"),
        (None, None),
        (float("nan"), None),
        (pd.NA, None),
        ("  ", None),
    ],
)
def test_one_canonical_text_per_key(value, key) -> None:
    assert canonical_key(value) == key


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([1, 2, 3]),
        pd.Series([1.0, 2.0, 3.0]),
        pd.Series(["1", "2", "3"]),
        pd.Series(["1.0", 2, 3.0], dtype=object),
        pd.Series([1, 2, 3], dtype="Int64"),
    ],
    ids=["int", "float", "text", "mixed", "nullable int"],
)
def test_a_column_gets_the_same_keys_whatever_its_type(column: pd.Series) -> None:
    assert canonical_keys(column).tolist() == ["1", "2", "3"]


def test_missing_keys_stay_missing_and_fractions_keep_their_digits() -> None:
    assert canonical_keys(pd.Series([1.0, np.nan, 2.5])).tolist() == ["1", None, "2.5"]
    assert canonical_keys(pd.Series([1, None], dtype="Int64")).tolist() == ["1", None]
    assert canonical_keys([None, "x"]).tolist() == [None, "x"]


def test_a_float_key_column_joins_an_int_key_column() -> None:
    """Before: keys of different types were compared as text, so 1.0 never met 1."""
    labels = pd.DataFrame({"id": [1.0, 2.0], "t": pd.to_datetime(["2024-01-03", "2024-01-03"])})
    features = pd.DataFrame({"id": [1, 2], "t": pd.to_datetime(["2024-01-01", "2024-01-02"]), "f": [10.0, 20.0]})
    joined = point_in_time_join(labels, features, entity="id", label_time="t", feature_time="t")
    assert joined["f"].tolist() == [10.0, 20.0]
