"""core.data.profiling: per-column profile, alerts (each fires where it should and not on clean columns), plots."""

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from core.data.charts import caption_column_distribution, caption_missing, plot_column_distribution, plot_missing
from core.data.columns import (
    get_spelling_variants,
    get_text_types,
    is_named_like_id,
    looks_like_group_id,
    looks_like_id,
    looks_like_identifier,
    outlier_fences,
    parse_dates,
)
from core.data.profiling import (
    ALERTS,
    get_alerts_df,
    profile_table,
)
from core.workspace.errors import ConfigError

N = 200


@pytest.fixture(scope="module")
def crafted() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    target = rng.choice(["Yes", "No"], N)
    skewed = np.concatenate([rng.exponential(1.0, N - 10), rng.uniform(50, 200, 10)])
    outliers = rng.normal(50, 5, N).round(1)
    outliers[3] = 5000.0
    return pd.DataFrame(
        {
            "constant": ["x"] * N,
            "almost_constant": ["a"] * (N - 2) + ["b"] * 2,
            "customer_id": [f"C{i:04d}" for i in range(N)],
            "city": pd.Series([f"city_{i % 100}" for i in range(N)], dtype="str"),
            "mostly_missing": np.where(np.arange(N) % 3 == 0, np.nan, 1.0 + np.arange(N) % 7),
            "num_text": pd.Series([str(v) for v in rng.integers(1, 500, N - 10)] + ["n/a"] * 10, dtype="str"),
            "skewed": skewed,
            "outliers": outliers,
            "spelled": pd.Series(rng.choice(["Yes", "No"], N), dtype="str").where(np.arange(N) % 20 != 0, "yes "),
            "clean_num": rng.normal(10, 2, N).round(2),
            "clean_cat": pd.Series(rng.choice(["red", "green", "blue"], N), dtype="str"),
            "signup": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, N), unit="D"),
            "refund_issued": np.where(target == "Yes", "refund", "none"),
            # 30% numbers, 70% words: a column filled from two sources
            "size": pd.Series(
                np.where(
                    np.arange(N) % 10 < 3,
                    rng.choice(["38", "40", "42"], N),
                    rng.choice(["small", "medium", "large"], N),
                ),
                dtype="str",
            ),
            # dates kept as text because a few cells say "unknown"
            "visit_date": pd.Series(
                (pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, N), unit="D")).strftime("%Y-%m-%d"),
                dtype="str",
            ).where(np.arange(N) % 25 != 0, "unknown"),
            "ratio": np.concatenate([rng.normal(1, 0.1, N - 3).round(3), [np.inf, np.inf, -np.inf]]),
            "churn": pd.Series(target, dtype="str"),
        }
    )


def _alerts(profile: pd.DataFrame, column: str) -> list[str]:
    return list(profile.set_index("column").loc[column, "alerts"])


def test_profile_has_one_row_per_column_with_the_documented_fields(crafted):
    profile = profile_table(crafted, target="churn")
    assert list(profile["column"]) == list(crafted.columns)
    for field in [
        "column",
        "dtype",
        "kind",
        "missing",
        "missing_pct",
        "distinct",
        "top_values",
        "min",
        "max",
        "mean",
        "alerts",
    ]:
        assert field in profile.columns
    row = profile.set_index("column").loc["mostly_missing"]
    assert row["missing"] == 67 and row["missing_pct"] == pytest.approx(33.5)
    assert row["min"] == 1.0 and row["max"] == 7.0
    assert profile.set_index("column").loc["clean_cat", "distinct"] == 3
    top = profile.set_index("column").loc["almost_constant", "top_values"]
    assert top == "a (99%), b (1%)"


def test_kinds(crafted):
    kinds = profile_table(crafted).set_index("column")["kind"]
    assert kinds["clean_num"] == "numeric"
    assert kinds["clean_cat"] == "categorical"
    assert kinds["signup"] == "datetime"
    assert kinds["churn"] == "boolean"  # a Yes/No column
    assert kinds["customer_id"] == "text"


@pytest.mark.parametrize(
    "column, alert",
    [
        ("constant", "constant"),
        ("almost_constant", "almost_constant"),
        ("customer_id", "id_like"),
        ("city", "high_cardinality"),
        ("mostly_missing", "many_missing"),
        ("num_text", "numeric_as_text"),
        ("skewed", "skewed"),
        ("outliers", "outliers"),
        ("spelled", "inconsistent_spelling"),
        ("refund_issued", "possible_leak"),
        ("size", "mixed_type"),
        ("visit_date", "date_as_text"),
        ("ratio", "infinities"),
    ],
)
def test_each_alert_fires_where_it_should(crafted, column, alert):
    profile = profile_table(crafted, target="churn")
    assert alert in _alerts(profile, column)


def test_every_alert_code_is_covered_and_clean_columns_stay_quiet(crafted):
    profile = profile_table(crafted, target="churn")
    fired = {code for codes in profile["alerts"] for code in codes}
    assert fired == set(ALERTS)
    for clean in ("clean_num", "clean_cat", "signup", "churn"):
        assert _alerts(profile, clean) == [], clean
    # alerts stay specific: the ID is not also "high cardinality", the constant not also "almost constant"
    assert _alerts(profile, "customer_id") == ["id_like"]
    assert _alerts(profile, "constant") == ["constant"]
    # dates stored as text are not also "high cardinality"; infinities do not make outliers or skew
    assert _alerts(profile, "visit_date") == ["date_as_text"]
    assert _alerts(profile, "ratio") == ["infinities"]
    assert _alerts(profile, "size") == ["mixed_type"]


def test_leak_needs_a_target(crafted):
    profile = profile_table(crafted)
    assert "possible_leak" not in _alerts(profile, "refund_issued")


def test_regression_leak():
    rng = np.random.default_rng(1)
    price = rng.uniform(100, 1000, 300)
    df = pd.DataFrame(
        {"price": price, "price_per_unit": price / 3 + rng.normal(0, 0.01, 300), "noise": rng.normal(size=300)}
    )
    profile = profile_table(df, target="price")
    assert "possible_leak" in _alerts(profile, "price_per_unit")
    assert "possible_leak" not in _alerts(profile, "noise")


def test_alerts_df_has_plain_messages(crafted):
    alerts = get_alerts_df(profile_table(crafted, target="churn"))
    assert list(alerts.columns) == ["column", "alert", "message"]
    msg = alerts.set_index(["column", "alert"]).loc[("customer_id", "id_like"), "message"]
    assert msg == "customer_id looks like an ID (every value is different): drop it before training."
    msg = alerts.set_index(["column", "alert"]).loc[("mostly_missing", "many_missing"), "message"]
    assert "33.5%" in msg and "67" in msg
    spelled = alerts.set_index(["column", "alert"]).loc[("spelled", "inconsistent_spelling"), "message"]
    assert "'yes ' -> 'Yes'" in spelled


def test_spelling_variants_map_to_the_most_frequent_spelling():
    s = pd.Series(
        ["Month-to-month"] * 5
        + ["month-to-month", "Month to month", "Month-To-Month ", "One year", "1 year"]
        + ["One year"] * 2,
        dtype="str",
    )
    assert get_spelling_variants(s) == {
        "month-to-month": "Month-to-month",
        "Month to month": "Month-to-month",
        "Month-To-Month ": "Month-to-month",
        "1 year": "One year",
    }


def test_unknown_target_is_a_config_error(crafted):
    with pytest.raises(ConfigError, match="'nope' is not a column"):
        profile_table(crafted, target="nope")


def test_plots_and_captions(crafted):
    for column in ("clean_num", "clean_cat", "signup", "customer_id", "outliers"):
        fig = plot_column_distribution(crafted, column)
        assert isinstance(fig, go.Figure) and len(fig.data) == 1
        assert fig.layout.template == pio.templates["plotly_white"]
        assert fig.layout.height <= 450 and column in fig.layout.title.text
    caption = caption_column_distribution(crafted, "outliers")
    assert "5,000" in caption and "far outside" in caption
    assert "most common" in caption_column_distribution(crafted, "clean_cat")
    assert "2023-" in caption_column_distribution(crafted, "signup")
    assert "identifier" in caption_column_distribution(crafted, "customer_id")


def test_missing_plot_and_caption(crafted):
    profile = profile_table(crafted)
    fig = plot_missing(profile)
    assert list(fig.data[0].y) == ["mostly_missing"]
    assert caption_missing(profile).startswith("mostly_missing is missing most often (67 rows, 33.5%)")
    clean = profile_table(crafted[["clean_num"]])
    assert caption_missing(clean) == "No column has missing values, so nothing needs to be filled in."
    assert len(plot_missing(clean).data) == 0


def test_fast_on_7000_by_20():
    rng = np.random.default_rng(0)
    n = 7000
    df = pd.DataFrame({f"num{i}": rng.normal(size=n) for i in range(8)})
    for i in range(8):
        df[f"cat{i}"] = pd.Series(rng.choice(["a", "b", "c", "d"], n), dtype="str")
    df["id"] = pd.Series([f"ID{i}" for i in range(n)], dtype="str")
    df["date"] = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    df["int"] = rng.integers(0, 50, n)
    df["target"] = pd.Series(rng.choice(["Yes", "No"], n), dtype="str")
    profile_table(df.head(50), target="target")  # warm-up
    profile = profile_table(df, target="target")  # speed is measured in `make bench`, not asserted here
    assert len(profile) == 20


def test_sample_telco_alerts_when_present():
    path = Path(__file__).resolve().parents[3] / "sample_data" / "telco_churn.csv"
    if not path.exists():
        pytest.skip("sample data not generated yet")
    from core.data.reader import read_path

    df, _ = read_path(path)
    profile = profile_table(df, target="churn")
    assert "id_like" in _alerts(profile, "customer_id")
    assert "inconsistent_spelling" in _alerts(profile, "contract")
    assert "outliers" in _alerts(profile, "monthly_charges")
    assert "many_missing" in _alerts(profile, "satisfaction_score")
    assert not any("possible_leak" in a for a in profile["alerts"])


def _message(profile: pd.DataFrame, column: str, alert: str) -> str:
    return get_alerts_df(profile).set_index(["column", "alert"]).loc[(column, alert), "message"]


def test_type_alert_messages_name_examples(crafted):
    profile = profile_table(crafted, target="churn")
    mixed = _message(profile, "size", "mixed_type")
    assert mixed.startswith("size mixes types: 30% numbers (e.g. '")
    assert "70% text" in mixed and any(w in mixed for w in ("'small'", "'medium'", "'large'"))
    dates = _message(profile, "visit_date", "date_as_text")
    assert dates.startswith("visit_date holds dates stored as text (96% of the filled values are dates, e.g. '2023-")
    assert "not dates: 'unknown'" in dates
    inf = _message(profile, "ratio", "infinities")
    assert inf.startswith("ratio has 3 infinite value(s) (2 of +inf, 1 of -inf)")
    row = profile.set_index("column").loc["ratio"]
    assert np.isfinite(row["min"]) and np.isfinite(row["max"]) and row["max"] < 2  # the real range, not inf


def test_type_alerts_stay_quiet_on_look_alikes():
    n = 200
    rng = np.random.default_rng(3)
    df = pd.DataFrame(
        {
            "zip": pd.Series([f"0{v}" for v in rng.integers(1000, 9999, n)], dtype="str"),  # codes, all numbers
            "plan": pd.Series(
                rng.choice(["basic", "plus", "pro"], n - 4).tolist() + ["12"] * 4, dtype="str"
            ),  # 2% numbers
            "version": pd.Series(rng.choice(["1.2.3", "2.0.1", "3.1.4"], n), dtype="str"),  # not dates
            "half_dates": pd.Series(["2024-01-05", "2024-02-11", "soon", "never"] * (n // 4), dtype="str"),
            "num_or_date": pd.Series(["44927", "2023-01-01"] * (n // 2), dtype="str"),
            "real_dates": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 30, n), unit="D"),
            "ints": rng.integers(0, 10, n),
        }
    )
    profile = profile_table(df)
    for quiet in ("zip", "plan", "version", "real_dates", "ints"):
        assert not {"mixed_type", "date_as_text", "numeric_as_text", "infinities"} & set(_alerts(profile, quiet)), quiet
    assert "mixed_type" in _alerts(profile, "half_dates")  # 50% dates, 50% words
    assert "mixed_type" in _alerts(profile, "num_or_date")  # Excel serial numbers next to ISO dates
    assert "50% numbers (e.g. '44927')" in _message(profile, "num_or_date", "mixed_type")


def test_text_types_and_date_parsing():
    s = pd.Series(["2023-01-05", " 05/01/2023", "5 Jan 2023", "Jan 5, 2023", "2023-13-45", "12", "x", " "], dtype="str")
    types = get_text_types(s)
    assert types["date"] == pytest.approx(4 / 7) and types["number"] == pytest.approx(1 / 7)
    assert types["other"] == pytest.approx(2 / 7)  # '2023-13-45' is no date; the blank is not counted
    assert set(types["examples"]["other"]) == {"2023-13-45", "x"}
    parsed = parse_dates(pd.Series(["2023-01-05", "2023-01-05T10:00:00+02:00", "Jan 5, 2023", "nope"], dtype="str"))
    assert list(parsed[:3]) == [
        pd.Timestamp("2023-01-05"),
        pd.Timestamp("2023-01-05 08:00"),
        pd.Timestamp("2023-01-05"),
    ]
    assert pd.isna(parsed[3])


def test_outlier_fences_widen_with_length_so_a_clean_bell_curve_stays_quiet():
    short = np.random.default_rng(0).normal(size=200)
    q1, q3 = np.quantile(short, [0.25, 0.75])
    assert outlier_fences(short) == pytest.approx((q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1)))  # Tukey's far-out fences
    values = np.random.default_rng(0).normal(size=1_000_000)
    lo, hi = outlier_fences(values)
    q1, q3 = np.quantile(values, [0.25, 0.75])
    assert (hi - q3) / (q3 - q1) > 3.3  # wider on a million rows
    assert not ((values < lo) | (values > hi)).any()
    assert ((values < q1 - 3 * (q3 - q1)) | (values > q3 + 3 * (q3 - q1))).any()  # the classic fences would cry wolf
    assert _alerts(profile_table(pd.DataFrame({"x": values})), "x") == []


def test_progress_is_reported_per_column_and_the_frame_is_left_alone(crafted):
    before = crafted.copy()
    calls: list[tuple[float, str]] = []
    profile_table(crafted, target="churn", progress=lambda f, m: calls.append((f, m)))
    assert len(calls) == crafted.shape[1] + 1  # every column, then the leak check
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and 0 < fractions[0] < 0.1
    assert calls[0][1].startswith("Profiled constant (1 of ")
    pd.testing.assert_frame_equal(crafted, before)


def test_infinities_in_plots_and_captions(crafted):
    caption = caption_column_distribution(crafted, "ratio")
    assert "3 infinite value(s) are left out of the chart" in caption
    fig = plot_column_distribution(crafted, "ratio")
    assert np.isfinite(np.asarray(fig.data[0].x, dtype=float)).all()


# --------------------------------------------------------------------------------------
# Identifiers: one definition for every stage
# --------------------------------------------------------------------------------------


def test_names_that_say_identifier():
    for name in ("id", "customer_id", "CustomerID", "customerId", "id_cliente", "order_number", "store_no", "uuid"):
        assert is_named_like_id(name), name
    for name in ("number_of_children", "idade", "paid", "valid", "video", "codename", "contract"):
        assert not is_named_like_id(name), name


def test_an_identifier_is_a_row_key_or_an_entity_key_never_a_few_repeated_levels():
    rng = np.random.default_rng(3)
    n = 3000
    columns = {
        "row_key": (pd.Series([f"R{i:06d}" for i in range(n)], dtype="str"), "row"),
        "customer": (pd.Series([f"C-{i // 5:05d}" for i in rng.permutation(n)], dtype="str"), "group"),
        "store_no": (pd.Series(np.arange(n) // 20), "group"),  # 150 stores of 20 rows, named as a key
        "cat_3": (pd.Series([f"cat_3_L{i}" for i in rng.integers(0, 12, n)], dtype="str"), None),
        "year": (pd.Series(rng.choice([str(y) for y in range(2000, 2024)], n), dtype="str"), None),
        "zip": (pd.Series([f"{z:05d}" for z in rng.integers(0, 40, n)], dtype="str"), None),
        "day": (
            pd.Series(
                pd.date_range("2024-01-01", periods=60).strftime("%Y-%m-%d")[rng.integers(0, 60, n)], dtype="str"
            ),
            None,
        ),
        "amount": (pd.Series(rng.integers(100, 999, n) / 100).astype(str).astype("str"), None),
        "age": (pd.Series(rng.integers(18, 90, n)), None),
        "flag": (pd.Series(rng.random(n) < 0.5), None),
    }
    for name, (values, kind) in columns.items():
        values = values.rename(name)
        assert looks_like_id(values) == (kind == "row"), name
        assert looks_like_group_id(values) == (kind == "group"), name
        assert looks_like_identifier(values) == (kind is not None), name


def test_repeated_codes_with_many_rows_each_are_a_category_kept_as_a_feature():
    # 80 cities of 25 rows each, written as codes: a category (validation lists it, the model uses it,
    # monitoring watches its drift), not the key of an entity.
    from core.features.preprocessing import get_drop_reason

    city = pd.Series([f"city_{i % 80}" for i in range(2000)], dtype="str", name="city")
    assert not looks_like_identifier(city) and not looks_like_group_id(city)
    assert get_drop_reason(city) is None


def test_the_column_charted_first_is_the_target_else_the_first_that_is_not_an_id():
    from core.data.profiling import get_column_to_chart

    alerts = pd.DataFrame({"column": ["customer_id"], "alert": ["id_like"], "message": ["..."]})
    assert get_column_to_chart(["customer_id", "age", "churn"], alerts, "churn") == "churn"
    assert get_column_to_chart(["customer_id", "age", "churn"], alerts, None) == "age"
    assert get_column_to_chart(["customer_id"], alerts, None) == "customer_id"
    assert get_column_to_chart(["a", "b"], get_alerts_df(pd.DataFrame(columns=["column", "alerts"])), "x") == "a"
