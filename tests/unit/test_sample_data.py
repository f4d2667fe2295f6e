"""The committed sample CSVs match what sample_data/README.md promises, and regenerate exactly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"
FILE_NAMES = ["telco_churn.csv", "card_fraud.csv", "house_prices.csv"]
CONTRACTS = {"Month-to-month", "One year", "Two year"}


@pytest.fixture(scope="module")
def telco() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_DIR / "telco_churn.csv")


@pytest.fixture(scope="module")
def fraud() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_DIR / "card_fraud.csv")


@pytest.fixture(scope="module")
def houses() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_DIR / "house_prices.csv")


# --------------------------------------------------------------------------- regeneration


def test_generator_reproduces_committed_files_byte_for_byte(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SAMPLE_DIR / "generate.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    for name in FILE_NAMES:
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), f"{name} differs"


def test_files_are_utf8_comma_separated_without_index() -> None:
    for name in FILE_NAMES:
        text = (SAMPLE_DIR / name).read_bytes().decode("utf-8")
        header = text.split("\n", 1)[0]
        assert "\r" not in header and "," in header and not header.startswith(("Unnamed", ","))


def test_readme_documents_every_column(telco: pd.DataFrame, fraud: pd.DataFrame, houses: pd.DataFrame) -> None:
    readme = (SAMPLE_DIR / "README.md").read_text(encoding="utf-8")
    for frame in (telco, fraud, houses):
        for column in frame.columns:
            assert f"`{column}`" in readme, f"column {column} missing from README"


# --------------------------------------------------------------------------- telco churn


def test_telco_shape_columns_and_target(telco: pd.DataFrame) -> None:
    assert len(telco) == 7070
    assert list(telco.columns) == [
        "customer_id",
        "signup_date",
        "gender",
        "senior_citizen",
        "partner",
        "dependents",
        "tenure_months",
        "contract",
        "internet_service",
        "online_security",
        "tech_support",
        "streaming_tv",
        "paperless_billing",
        "payment_method",
        "monthly_charges",
        "total_charges",
        "support_calls",
        "satisfaction_score",
        "churn",
    ]
    assert set(telco["churn"]) == {"Yes", "No"}
    assert 0.24 <= (telco["churn"] == "Yes").mean() <= 0.28
    assert telco["customer_id"].str.fullmatch(r"\d{4}-[A-Z]{5}").all()
    assert telco["signup_date"].between("2019-01-01", "2024-12-31").all()


def test_telco_dirt_is_present_as_documented(telco: pd.DataFrame) -> None:
    assert telco.duplicated().sum() == 70
    assert telco.drop_duplicates()["customer_id"].is_unique
    misspelled = telco.loc[~telco["contract"].isin(CONTRACTS), "contract"]
    assert len(misspelled) == 70
    assert {"month-to-month", "Month to month", " One year"} <= set(misspelled)
    assert sorted(telco.loc[~telco["tenure_months"].between(0, 72), "tenure_months"]) == [-1, -1, 999, 999, 999]
    assert (telco["monthly_charges"] == 9999.0).sum() == 3
    assert telco["satisfaction_score"].isna().sum() == 560
    assert telco.drop(columns="satisfaction_score").isna().sum().sum() == 0


def test_telco_blank_total_charges_belong_to_new_customers(telco: pd.DataFrame) -> None:
    assert pd.api.types.is_string_dtype(telco["total_charges"])
    blank = telco["total_charges"] == " "
    assert blank.sum() == 11
    assert (telco.loc[blank, "tenure_months"] == 0).all()
    assert (telco["tenure_months"] == 0).sum() == 11
    numeric = pd.to_numeric(telco.loc[~blank, "total_charges"])
    clean = ~blank & telco["tenure_months"].between(1, 72) & (telco["monthly_charges"] < 1000)
    ratio = numeric[clean] / (telco.loc[clean, "monthly_charges"] * telco.loc[clean, "tenure_months"])
    assert ratio.between(0.96, 1.04).all()


def test_telco_planted_drivers_point_the_documented_way(telco: pd.DataFrame) -> None:
    clean = telco.drop_duplicates()
    clean = clean[clean["contract"].isin(CONTRACTS)]
    churned = clean["churn"] == "Yes"
    by_contract = churned.groupby(clean["contract"]).mean()
    assert by_contract["Month-to-month"] > 0.35 > 0.05 > by_contract["Two year"]
    assert churned[clean["tenure_months"] <= 6].mean() > 3 * churned[clean["tenure_months"].between(49, 72)].mean()
    assert churned[clean["support_calls"] >= 4].mean() > churned[clean["support_calls"] == 0].mean() + 0.15
    by_gender = churned.groupby(clean["gender"]).mean()
    assert abs(by_gender["Female"] - by_gender["Male"]) < 0.03  # the no-effect control


# --------------------------------------------------------------------------- card fraud


def test_fraud_shape_columns_and_target(fraud: pd.DataFrame) -> None:
    assert len(fraud) == 19_995
    assert list(fraud.columns) == [
        "transaction_id",
        "timestamp",
        "customer_id",
        "amount",
        "merchant_category",
        "channel",
        "country",
        "distance_from_home_km",
        "card_present",
        "num_tx_last_24h",
        "hour",
        "is_fraud",
    ]
    assert set(fraud["is_fraud"]) == {0, 1}
    assert 0.012 <= fraud["is_fraud"].mean() <= 0.018
    assert fraud["transaction_id"].is_unique
    assert fraud["timestamp"].is_monotonic_increasing
    timestamps = pd.to_datetime(fraud["timestamp"], format="%Y-%m-%d %H:%M:%S")
    assert timestamps.min() >= pd.Timestamp("2024-07-01") and timestamps.max() < pd.Timestamp("2025-01-01")
    assert (timestamps.dt.hour == fraud["hour"]).all()
    assert ((fraud["channel"] == "online") == (fraud["card_present"] == 0)).all()
    assert (fraud["amount"] > 0).all() and (fraud["amount"].round(2) == fraud["amount"]).all()


def test_fraud_new_digital_goods_pattern_only_in_last_month(fraud: pd.DataFrame) -> None:
    digital = fraud[fraud["merchant_category"] == "digital_goods"]
    assert len(digital) == 295 and digital["is_fraud"].sum() == 75
    assert digital["timestamp"].min() >= "2024-12-01"
    assert (digital["channel"] == "online").all()
    frauds = digital[digital["is_fraud"] == 1]
    assert frauds["amount"].max() < 30 and frauds["num_tx_last_24h"].median() >= 10
    december = fraud["timestamp"] >= "2024-12-01"
    assert fraud.loc[december, "is_fraud"].mean() > 2 * fraud.loc[~december, "is_fraud"].mean()


def test_fraud_planted_drivers_and_dirt(fraud: pd.DataFrame) -> None:
    old = fraud[fraud["merchant_category"] != "digital_goods"]
    rate = old["is_fraud"]
    assert rate[old["channel"] == "online"].mean() > 2 * rate[old["channel"] == "in_store"].mean()
    assert rate[old["country"] != "DE"].mean() > 5 * rate[old["country"] == "DE"].mean()
    assert rate[old["hour"] < 6].mean() > 2 * rate[old["hour"] >= 6].mean()
    assert rate[old["amount"] > old["amount"].quantile(0.8)].mean() > 2.5 * rate.mean()
    assert rate[old["num_tx_last_24h"] >= 5].mean() > 10 * rate[old["num_tx_last_24h"] <= 1].mean()
    assert fraud["distance_from_home_km"].isna().sum() == 40
    assert fraud.drop(columns="distance_from_home_km").isna().sum().sum() == 0
    assert (fraud["country"] == "DE").mean() > 0.85


# --------------------------------------------------------------------------- house prices


def test_houses_shape_columns_and_target(houses: pd.DataFrame) -> None:
    assert len(houses) == 3006
    assert list(houses.columns) == [
        "sale_id",
        "sale_date",
        "neighborhood",
        "living_area_sqm",
        "lot_area_sqm",
        "bedrooms",
        "bathrooms",
        "year_built",
        "garage_spaces",
        "overall_condition",
        "has_pool",
        "energy_label",
        "price",
    ]
    assert houses["neighborhood"].nunique() == 9
    assert set(houses["overall_condition"]) == {1, 2, 3, 4, 5}
    assert set(houses["energy_label"].dropna()) == set("ABCDEFG")
    assert set(houses["has_pool"]) == {"Yes", "No"}
    assert pd.api.types.is_integer_dtype(houses["price"])
    assert 300_000 < houses["price"].median() < 700_000


def test_houses_dirt_is_present_as_documented(houses: pd.DataFrame) -> None:
    assert houses.duplicated().sum() == 6
    assert houses["lot_area_sqm"].isna().sum() == 150
    assert houses["energy_label"].isna().sum() == 300
    assert sorted(houses.loc[houses["price"] > 3_000_000, "sale_id"]) == ["HS-01300", "HS-01877", "HS-02681"]
    assert sorted(houses.loc[houses["living_area_sqm"] == 0, "sale_id"]) == ["HS-00600", "HS-01503"]


def test_houses_planted_drivers_point_the_documented_way(houses: pd.DataFrame) -> None:
    clean = houses.drop_duplicates()
    clean = clean[(clean["living_area_sqm"] > 0) & (clean["price"] < 3_000_000)]
    log_price = np.log(clean["price"])
    assert np.corrcoef(clean["living_area_sqm"], log_price)[0, 1] > 0.55
    per_sqm = (clean["price"] / clean["living_area_sqm"]).groupby(clean["neighborhood"]).median()
    assert per_sqm.max() > 1.8 * per_sqm.min()
    by_condition = clean.groupby("overall_condition")["price"].median()
    assert by_condition[5] > by_condition[3] > by_condition[1]
    assert np.corrcoef(clean["year_built"], log_price)[0, 1] > 0.15
