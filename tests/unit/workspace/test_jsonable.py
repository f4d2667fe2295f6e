"""core.workspace.jsonable: numpy and pandas values written as JSON the same way wherever they land."""

import datetime
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.workspace.jsonable import dumps, to_jsonable, to_plain, to_strict_json


@pytest.mark.parametrize(
    "value, expected",
    [
        (np.int64(3), 3),
        (np.int8(-2), -2),
        (np.float32(0.5), 0.5),
        (np.float64(0.1), 0.1),
        (np.bool_(True), True),
        (np.str_("yes"), "yes"),
        (np.array([[1, 2], [3, 4]]), [[1, 2], [3, 4]]),
        (pd.Timestamp("2024-03-01 12:30"), "2024-03-01T12:30:00"),
        (Path("data") / "telco.csv", str(Path("data") / "telco.csv")),
    ],
)
def test_numpy_pandas_and_path_values_become_plain_python(value, expected):
    out = to_jsonable(value)
    assert out == expected
    assert type(out) is type(expected)


def test_the_python_scalar_keeps_its_kind_inside_a_document():
    text = dumps({"n": np.int64(7), "ok": np.bool_(False), "x": np.float32(1.1), "when": pd.Timestamp("2024-01-02")})
    # float32's own value, widened (not its shorter text "1.1"); true/false, not "True"/"False".
    assert text == '{"n": 7, "ok": false, "x": 1.100000023841858, "when": "2024-01-02T00:00:00"}'


def test_nan_and_python_values_are_left_to_json():
    assert (
        dumps({"missing": float("nan"), "also": np.float64("nan"), "list": (1, "a", None)})
        == '{"missing": NaN, "also": NaN, "list": [1, "a", null]}'
    )
    assert math.isnan(json.loads(dumps(np.float64("nan"))))


@pytest.mark.parametrize("value", [object(), {1, 2}, datetime.date(2024, 1, 2), pd.NaT, b"bytes"])
def test_anything_else_is_refused_not_written_as_its_repr(value):
    with pytest.raises(TypeError, match="is not JSON serialisable"):
        to_jsonable(value)
    with pytest.raises(TypeError):
        dumps({"value": value})


def test_dumps_passes_json_options_on():
    assert dumps({"b": np.int64(1), "a": 2}, sort_keys=True) == '{"a": 2, "b": 1}'


def test_to_plain_converts_what_to_jsonable_knows_and_leaves_the_rest():
    assert to_plain(np.int64(4)) == 4 and type(to_plain(np.int64(4))) is int
    marker = object()
    assert to_plain(marker) is marker
    assert to_plain("lbfgs") == "lbfgs" and to_plain(None) is None and to_plain(0.25) == 0.25


def test_the_workspace_stores_numpy_values_as_plain_json(ws):
    report = {
        "rows": np.int64(10),
        "share": np.float64(0.25),
        "flags": np.array([True, False]),
        "at": pd.Timestamp("2024-05-06"),
    }
    artifact = ws.save_json(report)
    assert (
        ws.read_artifact(artifact)
        == b'{"at": "2024-05-06T00:00:00", "flags": [true, false], "rows": 10, "share": 0.25}'
    )
    assert ws.load_json(artifact) == {"at": "2024-05-06T00:00:00", "flags": [True, False], "rows": 10, "share": 0.25}
    with ws.transaction() as conn:
        ws.audit(conn, None, "test.numbers", {"count": np.int32(3)})
    [row] = ws.query("SELECT detail_json FROM audit_log WHERE action = 'test.numbers'")
    assert row["detail_json"] == '{"count": 3}'


def test_strict_json_walks_containers_and_writes_missing_values_as_null():
    """An explanation's table is read by other programs: NaN is not JSON there, so it becomes null."""
    value = {
        1: [np.float64("nan"), np.int64(3), np.bool_(True), pd.NaT, pd.NA],
        "when": pd.Timestamp("2024-05-01 10:00"),
        "pair": (2.5, None, "x"),
        "other": Path("a/b"),
    }
    assert to_strict_json(value) == {
        "1": [None, 3, True, None, None],
        "when": "2024-05-01T10:00:00",
        "pair": [2.5, None, "x"],
        "other": "a/b",
    }
    json.dumps(to_strict_json(value), allow_nan=False)  # strict JSON: raises on NaN
