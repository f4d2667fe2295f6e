"""The `make accuracy` instrument itself (tests/accuracy.py): its verdicts and its Portuguese export.
The suite runs the CLI on public tables; here only its own logic, without statsmodels or the CLI."""

import numpy as np
import pandas as pd
import pytest

from tests import accuracy
from tests.accuracy_data import TABLES, PublicTable, punch_holes, read_table, write_table


def _summary(metric_value=0.8, rows_read=100, rows_used=100, features=("x", "y")) -> dict:
    return {
        "task": "classification",
        "rows": rows_read,
        "rows_read": rows_read,
        "rows_used": rows_used,
        "validation": "stratified-kfold",
        "warnings": [],
        "leaderboard": [{"model": "logistic", "test_metrics": {"roc_auc": metric_value}}],
        "monitoring": {"features": {name: {} for name in features}},
    }


def _outcome(baseline=0.8) -> accuracy.Outcome:
    return accuracy.Outcome("t", "binary", "roc_auc", "", rows_train=100, rows_test=30, baseline=baseline)


def test_a_table_passes_within_the_tolerance_and_fails_below_it():
    assert accuracy.judge(_outcome(), _summary(0.8 - accuracy.TOLERANCE + 0.001), ["x"]).passed
    assert accuracy.judge(_outcome(), _summary(0.75), ["x"]).failures == ["score"]


def test_losing_rows_or_a_measurement_fails_even_when_the_score_holds():
    assert accuracy.judge(_outcome(), _summary(rows_used=90), ["x"]).failures == ["rows lost"]
    judged = accuracy.judge(_outcome(), _summary(features=("y",)), ["x", "y"])
    assert judged.failures == ["columns lost"] and judged.columns_lost == ["x"]


def test_a_cli_error_is_a_failure_with_its_line():
    judged = accuracy.judge(_outcome(), {"error": "error: The target ..."}, [])
    assert judged.failures == ["error"] and judged.error.startswith("error:")


def test_the_portuguese_export_reads_back_as_numbers_for_the_plain_baseline(tmp_path):
    table = PublicTable(
        "pt", "test", "alvo", "regression", "", lambda: None, portuguese=True, holes=(("preço", "N/D", 0.3),)
    )
    df = pd.DataFrame(
        {"preço": np.linspace(1.25, 99.5, 200), "região": ["São Paulo", "Pará"] * 100, "alvo": np.arange(200) / 3}
    )
    path = tmp_path / "pt.csv"
    write_table(punch_holes(df, table), path, table)
    raw = path.read_bytes()
    assert b";" in raw and b"N/D" in raw and "São".encode("latin-1") in raw
    back = read_table(path, table)
    assert back["preço"].dtype == "float64" and 0.1 < back["preço"].isna().mean() < 0.5
    kept = back["preço"].notna()
    np.testing.assert_allclose(back.loc[kept, "preço"], df.loc[kept, "preço"])
    np.testing.assert_allclose(back["alvo"], df["alvo"])


def test_measurements_are_complete_varying_numeric_columns_other_than_keys():
    table = PublicTable("m", "test", "t", "regression", "", lambda: None, keys=("year",))
    train = pd.DataFrame(
        {
            "year": [2000, 2001] * 10,
            "x": range(20),
            "gappy": [np.nan] * 5 + [1.0, 2.0] * 7 + [1.0],
            "constant": 0,
            "city": ["a", "b"] * 10,
            "t": range(20),
        }
    )
    assert accuracy.get_measurement_columns(train, table) == ["x"]


def test_the_suite_has_a_dozen_tables_of_both_kinds_with_a_portuguese_export():
    assert len(TABLES) >= 12 and len({t.name for t in TABLES}) == len(TABLES)
    assert {t.task for t in TABLES} == {"binary", "multiclass", "regression"}
    assert any(t.portuguese and t.holes for t in TABLES)


@pytest.mark.parametrize("table", [t for t in TABLES if not t.source.startswith("statsmodels")], ids=lambda t: t.name)
def test_bundled_tables_load_with_their_target_and_split(table):
    df = table.load()
    assert table.target in df.columns and len(df) >= 100
    train, test = accuracy.split_table(df, table)
    assert len(test) == pytest.approx(accuracy.TEST_SHARE * len(df), abs=2)
