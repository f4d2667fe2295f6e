"""core.profiling: per-column profile, alerts (each fires where it should and not on clean columns), plots."""
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from core.errors import ConfigError
from core.profiling import (
    ALERTS,
    caption_column_distribution,
    caption_missing,
    get_alerts_df,
    get_spelling_variants,
    plot_column_distribution,
    plot_missing,
    profile_table,
)

N = 200


@pytest.fixture(scope="module")
def crafted() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    target = rng.choice(["Yes", "No"], N)
    skewed = np.concatenate([rng.exponential(1.0, N - 10), rng.uniform(50, 200, 10)])
    outliers = rng.normal(50, 5, N).round(1)
    outliers[3] = 5000.0
    return pd.DataFrame({
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
        "churn": pd.Series(target, dtype="str"),
    })


def _alerts(profile: pd.DataFrame, column: str) -> list[str]:
    return list(profile.set_index("column").loc[column, "alerts"])


def test_profile_has_one_row_per_column_with_the_documented_fields(crafted):
    profile = profile_table(crafted, target="churn")
    assert list(profile["column"]) == list(crafted.columns)
    for field in ["column", "dtype", "kind", "missing", "missing_pct", "distinct", "top_values",
                  "min", "max", "mean", "alerts"]:
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


def test_leak_needs_a_target(crafted):
    profile = profile_table(crafted)
    assert "possible_leak" not in _alerts(profile, "refund_issued")


def test_regression_leak():
    rng = np.random.default_rng(1)
    price = rng.uniform(100, 1000, 300)
    df = pd.DataFrame({"price": price, "price_per_unit": price / 3 + rng.normal(0, 0.01, 300),
                       "noise": rng.normal(size=300)})
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
    s = pd.Series(["Month-to-month"] * 5 + ["month-to-month", "Month to month", "Month-To-Month ", "One year", "1 year"]
                  + ["One year"] * 2, dtype="str")
    assert get_spelling_variants(s) == {
        "month-to-month": "Month-to-month", "Month to month": "Month-to-month",
        "Month-To-Month ": "Month-to-month", "1 year": "One year",
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
    path = Path(__file__).resolve().parents[2] / "sample_data" / "telco_churn.csv"
    if not path.exists():
        pytest.skip("sample data not generated yet")
    from core.reader import read_path

    df, _ = read_path(path)
    profile = profile_table(df, target="churn")
    assert "id_like" in _alerts(profile, "customer_id")
    assert "inconsistent_spelling" in _alerts(profile, "contract")
    assert "outliers" in _alerts(profile, "monthly_charges")
    assert "many_missing" in _alerts(profile, "satisfaction_score")
    assert not any("possible_leak" in a for a in profile["alerts"])
