"""Point-in-time joins and windowed aggregates: hand-built cases (ties, late events, missing history)
and random cases against a slow reference implementation (a plain loop, here in the test only)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.featurestore.definitions import AGGREGATES, WINDOWS, Expression, FeatureDefinition
from core.featurestore.joins import naive_join, point_in_time_join
from core.featurestore.transforms import evaluate_expression, materialise, values_at
from core.workspace.errors import DataError

T = pd.Timestamp


def feature_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "B"],
            "ts": [T("2024-01-01"), T("2024-01-05"), T("2024-01-10"), T("2024-01-03")],
            "balance": [1.0, 2.0, 3.0, 9.0],
        }
    )


def labelled_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["A", "A", "A", "B", "C", "A", None],
            "ts": [
                T("2024-01-06"),
                T("2024-01-05"),
                T("2023-12-31"),
                T("2024-02-01"),
                T("2024-01-06"),
                pd.NaT,
                T("2024-01-06"),
            ],
            "label": [1, 0, 0, 1, 0, 1, 0],
        },
        index=[10, 11, 12, 13, 14, 15, 16],
    )


def test_each_row_gets_the_value_as_of_its_own_moment_never_a_later_one() -> None:
    out = point_in_time_join(labelled_rows(), feature_rows(), entity="customer_id", label_time="ts", feature_time="ts")
    assert list(out.index) == [10, 11, 12, 13, 14, 15, 16] and list(out["label"]) == [1, 0, 0, 1, 0, 1, 0]
    # 01-06 -> the 01-05 value; a tie at 01-05 is left out -> the 01-01 value; before any history -> NaN;
    # B a month later -> its only value; an unknown entity, a missing moment, a missing entity -> NaN.
    expected = [2.0, 1.0, np.nan, 9.0, np.nan, np.nan, np.nan]
    np.testing.assert_array_equal(out["balance"].to_numpy(), expected)


def test_a_late_event_is_not_seen_before_it_happened() -> None:
    features = feature_rows()
    late = pd.DataFrame({"customer_id": ["A"], "ts": [T("2024-01-05 12:00")], "balance": [-5.0]})
    out = point_in_time_join(
        labelled_rows(), pd.concat([late, features]), entity="customer_id", label_time="ts", feature_time="ts"
    )
    assert out.loc[10, "balance"] == -5.0  # written (out of order) before 01-06: used there
    assert out.loc[11, "balance"] == 1.0  # not yet at 01-05 00:00


def test_tolerance_drops_values_that_are_too_old() -> None:
    out = point_in_time_join(
        labelled_rows(),
        feature_rows(),
        entity="customer_id",
        label_time="ts",
        feature_time="ts",
        tolerance=pd.Timedelta(days=7),
    )
    assert math.isnan(out.loc[13, "balance"]) and out.loc[10, "balance"] == 2.0


def test_the_naive_join_takes_the_newest_value_even_from_the_future() -> None:
    out = naive_join(labelled_rows(), feature_rows(), entity="customer_id", feature_time="ts")
    np.testing.assert_array_equal(out["balance"].to_numpy(), [3.0, 3.0, 3.0, 9.0, np.nan, 3.0, np.nan])


def test_keys_of_different_types_still_join_and_clashes_are_refused() -> None:
    features = feature_rows().assign(customer_id=[1, 1, 1, 2])
    labels = labelled_rows().assign(customer_id=["1", "1", "1", "2", "3", "1", None])
    out = point_in_time_join(labels, features, entity="customer_id", label_time="ts", feature_time="ts")
    assert out.loc[10, "balance"] == 2.0
    with pytest.raises(DataError, match="'label'"):
        point_in_time_join(labels, features.assign(label=1), entity="customer_id", label_time="ts", feature_time="ts")
    with pytest.raises(DataError, match="'when'"):
        point_in_time_join(labels, features, entity="customer_id", label_time="when", feature_time="ts")


# --------------------------------------------------------------------------- windowed aggregates


def definition(aggregate: str, window: str | None, expression: Expression | None = None) -> FeatureDefinition:
    if expression is None and aggregate != "count":
        expression = Expression("column", ("amount",))
    return FeatureDefinition(
        name="f",
        entity="customer_id",
        timestamp="ts",
        expression=expression,
        aggregate=aggregate,
        window=window,
        owner="o",
        description="d",
    )


EVENTS = pd.DataFrame(
    {
        "customer_id": ["A", "A", "A", "A", "B"],
        "ts": [T("2024-01-01 10:00"), T("2024-01-02 09:00"), T("2024-01-02 09:00"), T("2024-01-20"), T("2024-01-02")],
        "amount": [10.0, 5.0, 7.0, 100.0, 1.0],
        "kind": ["buy", "buy", "chargeback", "buy", "buy"],
    }
)


def test_windows_end_just_before_the_moment() -> None:
    entities = pd.Series(["A", "A", "A", "A", "C"])
    moments = pd.Series(
        [T("2024-01-02 09:00"), T("2024-01-02 09:01"), T("2024-01-03 09:30"), T("2024-03-01"), T("2024-01-05")]
    )
    count = values_at(definition("count", "24h"), EVENTS, entities, moments)
    # the two 09:00 events are not yet in at 09:00 (a tie); one minute later they are; 24h window
    # from 01-02 09:30 keeps neither the 01-01 event nor (exactly 24h30 later) the 09:00 ones.
    np.testing.assert_array_equal(count.to_numpy(), [1.0, 3.0, 0.0, 0.0, 0.0])  # C: never seen, 0
    total = values_at(definition("sum", None), EVENTS, entities, moments)
    np.testing.assert_array_equal(total.to_numpy(), [10.0, 22.0, 22.0, 122.0, 0.0])
    mean = values_at(definition("mean", "7d"), EVENTS, entities, moments)
    np.testing.assert_array_equal(mean.to_numpy(), [10.0, 22 / 3, 22 / 3, np.nan, np.nan])  # no history: NaN
    chargebacks = values_at(
        definition("sum", None, Expression("equals", ("kind",), value="chargeback")), EVENTS, entities, moments
    )
    np.testing.assert_array_equal(chargebacks.to_numpy(), [0.0, 1.0, 1.0, 1.0, 0.0])


def test_entity_keys_of_another_type_still_match() -> None:
    events = EVENTS.assign(customer_id=[1, 1, 1, 1, 2])
    count = values_at(definition("count", None), events, pd.Series(["1", "2", "3"]), pd.Series([T("2024-02-01")] * 3))
    np.testing.assert_array_equal(count.to_numpy(), [4.0, 1.0, 0.0])


def test_materialised_values_hold_right_after_each_event() -> None:
    rows = materialise(definition("count", "24h"), EVENTS)
    assert list(rows["f"]) == [1.0, 1.0, 3.0, 1.0]  # A 01-01, B 01-02, A 01-02 09:00 (both events), A 01-20
    assert list(rows["customer_id"]) == ["A", "B", "A", "A"]


def test_expressions() -> None:
    frame = pd.DataFrame({"a": [1.0, 4.0, -3.0], "b": [2.0, 0.0, 1.0], "k": ["x", "y", "x"]})
    assert evaluate_expression(Expression("ratio", ("a", "b")), frame).tolist()[0] == 0.5
    assert math.isnan(evaluate_expression(Expression("ratio", ("a", "b")), frame).tolist()[1])  # / 0
    assert evaluate_expression(Expression("difference", ("a", "b")), frame).tolist() == [-1.0, 4.0, -4.0]
    assert math.isnan(evaluate_expression(Expression("log1p", ("a",)), frame).tolist()[2])  # log of < 0
    assert evaluate_expression(Expression("clip", ("a",), lower=0, upper=2), frame).tolist() == [1.0, 2.0, 0.0]
    assert evaluate_expression(Expression("equals", ("k",), value="x"), frame).tolist() == [1.0, 0.0, 1.0]
    with pytest.raises(DataError, match="'k'"):
        evaluate_expression(Expression("log1p", ("k",)), frame)


def reference(events: pd.DataFrame, entity: str, moment: pd.Timestamp, aggregate: str, window: str | None) -> float:
    """The slow, obvious answer: loop over the events of the entity in [moment - window, moment)."""
    if pd.isna(entity) or pd.isna(moment):
        return np.nan
    start = moment - WINDOWS[window] if window else pd.Timestamp.min
    values, times = [], []
    for row in events.itertuples():
        if row.customer_id == entity and start <= row.ts < moment:
            values.append(row.amount)
            times.append(row.ts)
    if aggregate == "count":
        return float(len(values))
    if aggregate == "sum":
        return float(sum(values))
    if not values:
        return np.nan
    if aggregate == "last":
        newest = max(times)
        return [v for v, t in zip(values, times) if t == newest][-1]
    return float({"mean": np.mean, "min": np.min, "max": np.max}[aggregate](values))


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_aggregates_match_the_slow_reference_on_random_cases(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_events, n_queries = 120, 60
    start = T("2024-01-01")
    # Times on a coarse grid (hours) so ties between events and moments happen often.
    events = pd.DataFrame(
        {
            "customer_id": rng.choice(["A", "B", "C", "D"], n_events),
            "ts": start + pd.to_timedelta(rng.integers(0, 24 * 40, n_events), unit="h"),
            "amount": np.round(rng.normal(50, 30, n_events), 1),
        }
    ).sample(frac=1, random_state=seed)  # late (out of order) events
    # Last of ties is ambiguous: give tied events of one entity the same value.
    events["amount"] = events.groupby(["customer_id", "ts"])["amount"].transform("first")
    entities = pd.Series(rng.choice(["A", "B", "C", "D", "E"], n_queries))
    moments = pd.Series(start + pd.to_timedelta(rng.integers(-24, 24 * 45, n_queries), unit="h"))
    entities[3], moments[5] = None, pd.NaT
    for aggregate in AGGREGATES:
        for window in [*WINDOWS, None]:
            got = values_at(definition(aggregate, window), events, entities, moments).to_numpy()
            expected = [reference(events, e, m, aggregate, window) for e, m in zip(entities, moments)]
            np.testing.assert_allclose(got, expected, err_msg=f"{aggregate} over {window}")


@pytest.mark.parametrize("seed", range(4))
def test_the_join_matches_a_slow_reference_on_random_cases(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    start = T("2024-01-01")
    features = pd.DataFrame(
        {
            "customer_id": rng.choice(["A", "B", "C"], 80),
            "ts": start + pd.to_timedelta(rng.permutation(24 * 30)[:80], unit="h"),  # distinct times
            "balance": rng.normal(0, 1, 80),
        }
    )
    labels = pd.DataFrame(
        {
            "customer_id": rng.choice(["A", "B", "C", "D"], 50),
            "ts": start + pd.to_timedelta(rng.integers(-24, 24 * 32, 50), unit="h"),  # ties happen
        }
    )
    out = point_in_time_join(labels, features, entity="customer_id", label_time="ts", feature_time="ts")
    for row, got in zip(labels.itertuples(), out["balance"]):
        earlier = [f for f in features.itertuples() if f.customer_id == row.customer_id and f.ts < row.ts]
        expected = max(earlier, key=lambda f: f.ts).balance if earlier else np.nan
        np.testing.assert_equal(got, expected)
