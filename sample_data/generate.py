"""Generate the bundled sample datasets of MLOps Studio.

Writes three small, realistic and deliberately *a little dirty* CSVs with
planted, documented drivers (see README.md in this folder):

* telco_churn.csv  - customer churn (binary classification)
* card_fraud.csv   - card transactions with a new fraud pattern in the last month
* house_prices.csv - house sales (regression)
* card_events.csv  - what happened to the card-fraud customers' accounts (the point-in-time lesson)

Usage::

    .venv/bin/python sample_data/generate.py            # writes next to this file
    .venv/bin/python sample_data/generate.py OUT_DIR    # writes into OUT_DIR

The output is byte-for-byte deterministic: every dataset has its own fixed
seed, so changing one generator never changes the other files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

TELCO_SEED = 7590
FRAUD_SEED = 2024
HOUSE_SEED = 31415
EVENTS_SEED = 1503  # card_events.csv: its own generator, so card_fraud.csv is unchanged by it

CSV_OPTIONS = {"index": False, "encoding": "utf-8", "sep": ",", "lineterminator": "\n"}

# --------------------------------------------------------------------------- helpers


def solve_intercept(logit_without_intercept: np.ndarray, target_rate: float) -> float:
    """Intercept that makes the mean logistic probability equal target_rate (bisection)."""
    low, high = -20.0, 20.0
    for _ in range(100):
        mid = (low + high) / 2
        rate = np.mean(1 / (1 + np.exp(-(logit_without_intercept + mid))))
        low, high = (mid, high) if rate < target_rate else (low, mid)
    return (low + high) / 2


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def pick_rows(rng: np.random.Generator, candidates: np.ndarray, count: int) -> np.ndarray:
    """Sorted random subset of candidate row positions (sorted keeps the result readable)."""
    return np.sort(rng.choice(candidates, size=count, replace=False))


def random_dates(rng: np.random.Generator, start: str, end: str, size: int) -> pd.Series:
    """Uniform random calendar dates between start and end (inclusive)."""
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    offsets = rng.integers(0, (end_ts - start_ts).days + 1, size)
    return pd.Series(start_ts + pd.to_timedelta(offsets, unit="D"))


# --------------------------------------------------------------------------- telco churn

TELCO_CUSTOMERS = 7000
TELCO_DUPLICATES = 70
TELCO_NEW_CUSTOMERS = 11  # tenure 0 -> blank total_charges
TELCO_IMPOSSIBLE_TENURE = [-1, -1, 999, 999, 999]
TELCO_CHARGE_OUTLIERS = 3  # monthly_charges = 9999.0
TELCO_CONTRACT_MISSPELLINGS = 70
TELCO_SATISFACTION_MISSING = 560  # 8 % of customers
CONTRACT_VARIANTS = {
    "Month-to-month": ["month-to-month", "Month to month", "Month-To-Month", "Month-to-month "],
    "One year": [" One year", "one year", "1 year"],
    "Two year": ["Two Year", "two year", " Two year"],
}

# Planted churn drivers (log-odds). gender deliberately has NO effect.
CHURN_CONTRACT_EFFECT = {"Month-to-month": 1.0, "One year": -0.5, "Two year": -1.7}
CHURN_TENURE_PER_MONTH = -0.035
CHURN_SUPPORT_CALL = 0.35
CHURN_FIBER = 0.6
CHURN_ELECTRONIC_CHECK = 0.5
CHURN_SENIOR = 0.25
CHURN_PAPERLESS = 0.15
CHURN_TARGET_RATE = 0.26


def make_customer_ids(rng: np.random.Generator, count: int) -> np.ndarray:
    """Unique IDs shaped like '7590-VHVEG'."""
    letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    candidates = count + count // 5
    digits = rng.integers(0, 10_000, candidates)
    codes = rng.choice(letters, size=(candidates, 5))
    ids = np.array([f"{d:04d}-{''.join(c)}" for d, c in zip(digits, codes)])
    _, first_positions = np.unique(ids, return_index=True)
    return ids[np.sort(first_positions)][:count]


def make_telco_churn(rng: np.random.Generator) -> pd.DataFrame:
    n = TELCO_CUSTOMERS
    gender = rng.choice(["Female", "Male"], n)
    senior = (rng.random(n) < 0.16).astype(int)
    partner = rng.random(n) < 0.48
    dependents = rng.random(n) < np.where(partner, 0.5, 0.1)

    contract = rng.choice(["Month-to-month", "One year", "Two year"], n, p=[0.55, 0.21, 0.24])
    # Longer contracts go with longer tenure, as in real telco books.
    tenure = np.select(
        [contract == "Month-to-month", contract == "One year"],
        [1 + rng.exponential(16, n), rng.normal(42, 18, n)],
        rng.normal(56, 14, n),
    )
    tenure = np.clip(np.round(tenure), 1, 72).astype(int)
    new_customers = pick_rows(rng, np.arange(n), TELCO_NEW_CUSTOMERS)
    tenure[new_customers] = 0

    internet = rng.choice(["DSL", "Fiber optic", "No"], n, p=[0.34, 0.44, 0.22])
    has_internet = internet != "No"

    def internet_addon(p_yes: float) -> np.ndarray:
        yes_no = np.where(rng.random(n) < p_yes, "Yes", "No")
        return np.where(has_internet, yes_no, "No internet service")

    online_security = internet_addon(0.37)
    tech_support = internet_addon(0.37)
    streaming_tv = internet_addon(0.50)
    paperless = rng.random(n) < 0.59
    payment = rng.choice(
        ["Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"],
        n,
        p=[0.34, 0.23, 0.22, 0.21],
    )

    base_charge = np.select([internet == "DSL", internet == "Fiber optic"], [45.0, 72.0], 20.0)
    addons = 5.0 * (online_security == "Yes") + 5.0 * (tech_support == "Yes") + 10.0 * (streaming_tv == "Yes")
    phone_lines = np.where(has_internet, rng.normal(4, 5, n), rng.normal(0.5, 1.2, n))
    monthly = np.clip(base_charge + addons + phone_lines, 18.25, 118.75)
    monthly = np.round(np.round(monthly * 20) / 20, 2)  # real tariffs end in .x0 / .x5

    total = monthly * tenure * rng.uniform(0.97, 1.03, n)  # price changes over the years
    total_text = np.array([f"{t:.2f}" for t in total], dtype=object)
    total_text[tenure == 0] = " "  # the classic blank-for-new-customers gotcha

    support_lambda = 0.9 + 0.7 * (internet == "Fiber optic") + 0.5 * (tech_support == "No")
    support_calls = np.clip(rng.poisson(support_lambda), 0, 10)

    logit = (
        pd.Series(contract).map(CHURN_CONTRACT_EFFECT).to_numpy()
        + CHURN_TENURE_PER_MONTH * tenure
        + CHURN_SUPPORT_CALL * support_calls
        + CHURN_FIBER * (internet == "Fiber optic")
        + CHURN_ELECTRONIC_CHECK * (payment == "Electronic check")
        + CHURN_SENIOR * senior
        + CHURN_PAPERLESS * paperless
    )
    churn_probability = sigmoid(logit + solve_intercept(logit, CHURN_TARGET_RATE))
    churn = np.where(rng.random(n) < churn_probability, "Yes", "No")

    # Satisfaction is not a direct driver: it shares causes with churn (calls, contract).
    satisfaction = 8.0 - 0.6 * support_calls - 0.6 * (contract == "Month-to-month") + rng.normal(0, 1.5, n)
    satisfaction = pd.array(np.clip(np.round(satisfaction), 1, 10).astype(int), dtype="Int64")

    signup = random_dates(rng, "2019-01-01", "2024-12-31", n).dt.strftime("%Y-%m-%d")
    df = pd.DataFrame(
        {
            "customer_id": make_customer_ids(rng, n),
            "signup_date": signup.to_numpy(),
            "gender": gender,
            "senior_citizen": senior,
            "partner": np.where(partner, "Yes", "No"),
            "dependents": np.where(dependents, "Yes", "No"),
            "tenure_months": tenure,
            "contract": contract,
            "internet_service": internet,
            "online_security": online_security,
            "tech_support": tech_support,
            "streaming_tv": streaming_tv,
            "paperless_billing": np.where(paperless, "Yes", "No"),
            "payment_method": payment,
            "monthly_charges": monthly,
            "total_charges": total_text,
            "support_calls": support_calls,
            "satisfaction_score": satisfaction,
            "churn": churn,
        }
    )
    return add_telco_dirt(rng, df, new_customers)


def add_telco_dirt(rng: np.random.Generator, df: pd.DataFrame, new_customers: np.ndarray) -> pd.DataFrame:
    """Plant the documented dirt; each dirty cell lives on a distinct row so counts stay exact."""
    free_rows = np.setdiff1d(np.arange(len(df)), new_customers)

    bad_tenure_rows = pick_rows(rng, free_rows, len(TELCO_IMPOSSIBLE_TENURE))
    df.loc[bad_tenure_rows, "tenure_months"] = rng.permutation(TELCO_IMPOSSIBLE_TENURE)
    free_rows = np.setdiff1d(free_rows, bad_tenure_rows)

    outlier_rows = pick_rows(rng, free_rows, TELCO_CHARGE_OUTLIERS)
    df.loc[outlier_rows, "monthly_charges"] = 9999.0
    free_rows = np.setdiff1d(free_rows, outlier_rows)

    misspelled_rows = pick_rows(rng, free_rows, TELCO_CONTRACT_MISSPELLINGS)
    df.loc[misspelled_rows, "contract"] = [
        rng.choice(CONTRACT_VARIANTS[value]) for value in df.loc[misspelled_rows, "contract"]
    ]
    free_rows = np.setdiff1d(free_rows, misspelled_rows)

    missing_rows = pick_rows(rng, np.arange(len(df)), TELCO_SATISFACTION_MISSING)
    df.loc[missing_rows, "satisfaction_score"] = pd.NA
    free_rows = np.setdiff1d(free_rows, missing_rows)

    # Exact duplicates (a double export), copied only from clean rows and shuffled in.
    duplicate_rows = pick_rows(rng, free_rows, TELCO_DUPLICATES)
    df = pd.concat([df, df.loc[duplicate_rows]], ignore_index=True)
    return df.iloc[rng.permutation(len(df))].reset_index(drop=True)


# --------------------------------------------------------------------------- card fraud

FRAUD_BASE_TRANSACTIONS = 19_700
FRAUD_START, FRAUD_END = "2024-07-01", "2024-12-31"
NEW_PATTERN_START = "2024-12-01"
DIGITAL_GOODS_LEGIT = 220
DIGITAL_GOODS_FRAUD_VICTIMS = 20
FRAUD_MISSING_DISTANCE = 40
FRAUD_CUSTOMERS = 2000
FRAUD_BASE_RATE = 0.012

CATEGORIES = {  # name: (share, median amount in EUR, log-sd, share online)
    "grocery": (0.26, 38.0, 0.6, 0.03),
    "restaurants": (0.15, 32.0, 0.55, 0.05),
    "fuel": (0.11, 62.0, 0.35, 0.0),
    "clothing": (0.09, 70.0, 0.7, 0.35),
    "online_services": (0.09, 14.0, 0.7, 1.0),
    "electronics": (0.07, 170.0, 0.9, 0.45),
    "pharmacy": (0.06, 21.0, 0.6, 0.10),
    "entertainment": (0.05, 40.0, 0.6, 0.40),
    "travel": (0.05, 320.0, 0.8, 0.60),
    "cash_withdrawal": (0.07, 0.0, 0.0, 0.0),
}
FOREIGN_COUNTRY_KM = {  # typical distance from a German home, km
    "AT": 450,
    "NL": 420,
    "FR": 650,
    "PL": 600,
    "IT": 900,
    "ES": 1500,
    "GB": 900,
    "US": 7000,
    "TR": 2200,
}
HOUR_WEIGHTS = np.array(
    [
        1.0,
        0.6,
        0.4,
        0.3,
        0.3,
        0.5,
        1.2,
        2.5,
        4.0,
        5.0,
        5.5,
        6.0,
        6.5,
        6.0,
        5.5,
        5.5,
        6.0,
        6.5,
        6.5,
        5.5,
        4.5,
        3.5,
        2.5,
        1.6,
    ]
)
# Planted fraud drivers (log-odds).
FRAUD_LOG_AMOUNT = 0.8
FRAUD_ONLINE = 1.0
FRAUD_FOREIGN = 1.5
FRAUD_NIGHT = 1.3  # 00:00-05:59
FRAUD_PER_RECENT_TX = 0.3


def draw_countries(rng: np.random.Generator, foreign_probability: np.ndarray) -> np.ndarray:
    foreign = rng.random(len(foreign_probability)) < foreign_probability
    names = list(FOREIGN_COUNTRY_KM)
    return np.where(
        foreign, rng.choice(names, len(foreign), p=[0.17, 0.14, 0.14, 0.1, 0.12, 0.1, 0.09, 0.08, 0.06]), "DE"
    )


def draw_distances(rng: np.random.Generator, country: np.ndarray, channel: np.ndarray) -> np.ndarray:
    n = len(country)
    local = np.where(channel == "online", rng.lognormal(np.log(180), 0.8, n), rng.lognormal(np.log(6), 1.0, n))
    abroad_base = pd.Series(country).map(FOREIGN_COUNTRY_KM).fillna(0).to_numpy()
    abroad = abroad_base * rng.uniform(0.6, 1.4, n)
    distance = np.where(country == "DE", np.clip(local, 0.1, 850), abroad)
    return np.round(distance, 1)


def make_timestamps(rng: np.random.Generator, days: pd.Series, hours: np.ndarray) -> pd.Series:
    seconds = hours * 3600 + rng.integers(0, 3600, len(hours))
    return days + pd.to_timedelta(seconds, unit="s")


def make_base_transactions(rng: np.random.Generator) -> pd.DataFrame:
    n = FRAUD_BASE_TRANSACTIONS
    names = list(CATEGORIES)
    shares = np.array([CATEGORIES[c][0] for c in names])
    category = rng.choice(names, n, p=shares / shares.sum())
    spec = pd.DataFrame(CATEGORIES, index=["share", "median", "sigma", "online"]).T.loc[category]

    is_cash = category == "cash_withdrawal"
    online = rng.random(n) < spec["online"].to_numpy()
    channel = np.select([is_cash, online], ["atm", "online"], "in_store")
    foreign_probability = np.select([category == "travel", online], [0.45, 0.12], 0.04)
    country = draw_countries(rng, foreign_probability)

    amount = rng.lognormal(
        np.log(spec["median"].to_numpy().astype(float) + 1e-9), spec["sigma"].to_numpy().astype(float)
    )
    amount[is_cash] = rng.choice(
        [20, 50, 100, 150, 200, 300, 500], is_cash.sum(), p=[0.15, 0.3, 0.25, 0.1, 0.12, 0.05, 0.03]
    )
    amount = np.round(np.clip(amount, 0.5, 9500), 2)

    hour = rng.choice(24, n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    recent_tx = rng.poisson(1.4, n) + rng.poisson(3.0, n) * (rng.random(n) < 0.05)  # a few busy days

    logit = (
        FRAUD_LOG_AMOUNT * (np.log(amount) - np.log(50))
        + FRAUD_ONLINE * (channel == "online")
        + FRAUD_FOREIGN * (country != "DE")
        + FRAUD_NIGHT * (hour < 6)
        + FRAUD_PER_RECENT_TX * recent_tx
    )
    fraud = rng.random(n) < sigmoid(logit + solve_intercept(logit, FRAUD_BASE_RATE))
    # Fraudsters move fast: stolen cards show bursts on the velocity counter.
    recent_tx = recent_tx + fraud * rng.poisson(2.5, n)

    days = random_dates(rng, FRAUD_START, FRAUD_END, n)
    return pd.DataFrame(
        {
            "timestamp": make_timestamps(rng, days, hour),
            "customer_id": rng.choice(FRAUD_CUSTOMERS, n, p=customer_weights(rng)),
            "amount": amount,
            "merchant_category": category,
            "channel": channel,
            "country": country,
            "distance_from_home_km": draw_distances(rng, country, channel),
            "card_present": (channel != "online").astype(int),
            "num_tx_last_24h": recent_tx,
            "is_fraud": fraud.astype(int),
        }
    )


def customer_weights(rng: np.random.Generator) -> np.ndarray:
    weights = rng.lognormal(0, 0.8, FRAUD_CUSTOMERS)
    return weights / weights.sum()


def make_digital_goods_transactions(rng: np.random.Generator) -> pd.DataFrame:
    """The new December pattern: bursts of small, domestic, online digital_goods charges."""
    legit_n = DIGITAL_GOODS_LEGIT
    legit = pd.DataFrame(
        {
            "timestamp": make_timestamps(
                rng,
                random_dates(rng, NEW_PATTERN_START, FRAUD_END, legit_n),
                rng.choice(24, legit_n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum()),
            ),
            "customer_id": rng.choice(FRAUD_CUSTOMERS, legit_n),
            "amount": np.round(rng.lognormal(np.log(12), 0.7, legit_n), 2),
            "num_tx_last_24h": rng.poisson(1.6, legit_n),
            "is_fraud": 0,
        }
    )

    bursts = []
    victims = rng.choice(FRAUD_CUSTOMERS, DIGITAL_GOODS_FRAUD_VICTIMS, replace=False)
    for victim in victims:
        size = int(rng.integers(2, 6))
        start = random_dates(rng, NEW_PATTERN_START, FRAUD_END, 1).iloc[0] + pd.Timedelta(
            seconds=int(rng.integers(0, 86_400))
        )
        gaps = np.cumsum(rng.integers(60, 900, size))  # one to fifteen minutes apart
        bursts.append(
            pd.DataFrame(
                {
                    "timestamp": start + pd.to_timedelta(gaps, unit="s"),
                    "customer_id": victim,
                    "amount": np.round(rng.uniform(1.99, 29.99, size), 2),
                    "num_tx_last_24h": 7 + np.arange(size) + rng.poisson(5, size),
                    "is_fraud": 1,
                }
            )
        )
    df = pd.concat([legit, *bursts], ignore_index=True)
    n = len(df)
    df["merchant_category"] = "digital_goods"
    df["channel"] = "online"
    df["country"] = draw_countries(rng, np.full(n, 0.08))
    df["distance_from_home_km"] = draw_distances(rng, df["country"].to_numpy(), df["channel"].to_numpy())
    df["card_present"] = 0
    return df


def make_card_fraud(rng: np.random.Generator) -> pd.DataFrame:
    df = pd.concat([make_base_transactions(rng), make_digital_goods_transactions(rng)], ignore_index=True)
    df = df.sort_values(["timestamp", "customer_id"], kind="stable").reset_index(drop=True)
    df["transaction_id"] = [f"TX{i:07d}" for i in range(1, len(df) + 1)]
    df["customer_id"] = [f"C{c + 1:05d}" for c in df["customer_id"]]
    df["hour"] = df["timestamp"].dt.hour
    df["timestamp"] = df["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")
    missing_rows = pick_rows(rng, np.arange(len(df)), FRAUD_MISSING_DISTANCE)
    df.loc[missing_rows, "distance_from_home_km"] = np.nan
    columns = [
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
    return df[columns]


# --------------------------------------------------------------------------- card events
# Account events of the card-fraud customers, for the point-in-time lesson. Some come *before* a
# fraud and help to see it coming (a login from a new device an hour or a day earlier); most of what a
# fraud leaves behind comes *after* it (the card blocked, the customer's call, a chargeback weeks later).
# Joined by customer alone, the after-events leak the label into every transaction of the customer.

EVENT_BENIGN_PER_CUSTOMER = 6.0  # Poisson mean over the six months
EVENT_BENIGN_KINDS = {  # kind: share of benign events
    "customer_call": 0.42,
    "new_device_login": 0.25,
    "limit_increase": 0.15,
    "address_change": 0.15,
    "chargeback": 0.03,  # a dispute of a genuine purchase (a merchant quarrel), not a fraud
}
EVENT_PRECURSOR_LOGIN = 0.3  # share of frauds with a new-device login 1-36 h before
EVENT_BLOCKED = 0.9  # share of frauds after which the card is blocked, 1-5 days later
EVENT_CALL_AFTER = 0.5  # the customer calls 0-2 days after the fraud
EVENT_CHARGEBACK = 0.9  # the customer disputes the fraud 3-25 days later (the amount of the fraud)
EVENT_END = "2025-01-31"  # chargebacks of December's frauds arrive in January


def _events(customers: np.ndarray, times: pd.Series, kind: str, amount: np.ndarray | float) -> pd.DataFrame:
    return pd.DataFrame({"timestamp": times.to_numpy(), "customer_id": customers, "kind": kind, "amount": amount})


def make_card_events(rng: np.random.Generator, transactions: pd.DataFrame) -> pd.DataFrame:
    n_customers = FRAUD_CUSTOMERS
    counts = rng.poisson(EVENT_BENIGN_PER_CUSTOMER, n_customers)
    customers = np.repeat([f"C{c + 1:05d}" for c in range(n_customers)], counts)
    n = len(customers)
    kinds = rng.choice(list(EVENT_BENIGN_KINDS), n, p=list(EVENT_BENIGN_KINDS.values()))
    start = pd.Timestamp(FRAUD_START)
    span = (pd.Timestamp(FRAUD_END) + pd.Timedelta(days=1) - start).total_seconds()
    times = pd.Series(start + pd.to_timedelta(rng.integers(0, int(span), n), unit="s"))
    amounts = np.select(
        [kinds == "limit_increase", kinds == "chargeback"],
        [rng.choice([500.0, 1000.0, 2000.0], n), np.round(rng.lognormal(np.log(60), 0.8, n), 2)],
        np.nan,
    )
    benign = pd.DataFrame({"timestamp": times.to_numpy(), "customer_id": customers, "kind": kinds, "amount": amounts})

    frauds = transactions[transactions["is_fraud"] == 1]
    fraud_times = pd.to_datetime(frauds["timestamp"]).reset_index(drop=True)
    who = frauds["customer_id"].to_numpy()
    m = len(frauds)

    def hours(low: float, high: float) -> pd.TimedeltaIndex:
        return pd.to_timedelta(np.round(rng.uniform(low, high, m) * 3600), unit="s")

    def chosen(share: float) -> np.ndarray:
        return rng.random(m) < share

    parts = [benign]
    for share, offset, kind, amount, sign in [
        (EVENT_PRECURSOR_LOGIN, hours(1, 36), "new_device_login", np.nan, -1),
        (EVENT_BLOCKED, hours(24, 120), "card_blocked", np.nan, 1),
        (EVENT_CALL_AFTER, hours(0.5, 48), "customer_call", np.nan, 1),
        (EVENT_CHARGEBACK, hours(72, 600), "chargeback", frauds["amount"].to_numpy(), 1),
    ]:
        keep = chosen(share)
        when = fraud_times + offset if sign > 0 else fraud_times - offset
        amounts_of = amount[keep] if isinstance(amount, np.ndarray) else amount
        parts.append(_events(who[keep], when[keep], kind, amounts_of))
    df = pd.concat(parts, ignore_index=True)
    df = df[df["timestamp"] <= pd.Timestamp(EVENT_END)]
    df = df.sort_values(["timestamp", "customer_id", "kind"], kind="stable").reset_index(drop=True)
    df.insert(0, "event_id", [f"EV{i:06d}" for i in range(1, len(df) + 1)])
    df["timestamp"] = df["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S")
    return df[["event_id", "timestamp", "customer_id", "kind", "amount"]]


# --------------------------------------------------------------------------- house prices

HOUSE_SALES = 3000
HOUSE_DUPLICATES = 6
HOUSE_MISSING_LOT = 150  # 5 %
HOUSE_MISSING_ENERGY = 300  # 10 %
HOUSE_PRICE_TYPOS = 3  # price x10
HOUSE_ZERO_AREA = 2  # living_area_sqm = 0.0

NEIGHBORHOODS = {  # name: (share, EUR per sqm, mean year built, sd year built, lot factor)
    "Altstadt": (0.08, 5200, 1925, 30, 0.5),
    "Westend": (0.10, 4700, 1965, 25, 0.9),
    "Am Stadtpark": (0.09, 4400, 1975, 25, 1.0),
    "Lindenhof": (0.14, 3800, 1985, 20, 1.1),
    "Hafenviertel": (0.11, 3600, 2005, 15, 0.6),
    "Gartenstadt": (0.12, 3300, 1960, 20, 1.4),
    "Nordstadt": (0.14, 2900, 1970, 20, 1.0),
    "Bahnhofsviertel": (0.10, 2500, 1955, 25, 0.7),
    "Industriehof": (0.12, 2200, 1980, 25, 1.2),
}
CONDITION_FACTOR = {1: 0.78, 2: 0.88, 3: 1.0, 4: 1.08, 5: 1.17}
ENERGY_LABELS = np.array(list("GFEDCBA"))


def make_house_prices(rng: np.random.Generator) -> pd.DataFrame:
    n = HOUSE_SALES
    spec = pd.DataFrame(NEIGHBORHOODS, index=["share", "eur_sqm", "year_mean", "year_sd", "lot_factor"]).T
    neighborhood = rng.choice(spec.index.to_numpy(), n, p=spec["share"].to_numpy().astype(float))
    row = spec.loc[neighborhood]

    living = np.clip(rng.lognormal(np.log(125), 0.3, n), 38, 420)
    lot = living * rng.lognormal(np.log(3.2), 0.45, n) * row["lot_factor"].to_numpy()
    bedrooms = np.clip(np.round(living / 35 + rng.normal(0, 0.7, n)), 1, 7).astype(int)
    bathrooms = np.clip(np.round((0.6 + living / 90 + rng.normal(0, 0.4, n)) * 2) / 2, 1, 4)
    year = np.clip(np.round(rng.normal(row["year_mean"].to_numpy(), row["year_sd"].to_numpy())), 1850, 2023).astype(int)
    condition = np.clip(np.round(3.2 + (year - 1970) / 45 + rng.normal(0, 0.9, n)), 1, 5).astype(int)
    garage = np.clip(rng.poisson(np.clip(living / 110, 0.3, 2.5)) - (neighborhood == "Altstadt"), 0, 3)
    pool = rng.random(n) < np.where(row["eur_sqm"].to_numpy() > 4000, 0.12, 0.04)
    energy_score = (year - 1900) / 22 + 0.5 * condition + rng.normal(0, 0.8, n) - 1.5
    energy = ENERGY_LABELS[np.clip(np.round(energy_score), 0, 6).astype(int)]
    sale_date = random_dates(rng, "2021-01-01", "2024-12-31", n)
    years_since_2021 = ((sale_date - pd.Timestamp("2021-01-01")).dt.days / 365.25).to_numpy()

    price = (
        row["eur_sqm"].to_numpy().astype(float)
        * living
        * pd.Series(condition).map(CONDITION_FACTOR).to_numpy()
        * np.exp(0.0035 * (year - 1970))
        * (1 + 0.03 * garage)
        * np.where(pool, 1.06, 1.0)
        * (lot / (3.2 * living)) ** 0.06
        * 1.03**years_since_2021
        * rng.lognormal(0, 0.11, n)
    )
    df = pd.DataFrame(
        {
            "sale_date": sale_date.to_numpy(),
            "neighborhood": neighborhood,
            "living_area_sqm": np.round(living, 1),
            "lot_area_sqm": np.round(lot, 1),
            "bedrooms": bedrooms,
            "bathrooms": bathrooms,
            "year_built": year,
            "garage_spaces": garage.astype(int),
            "overall_condition": condition,
            "has_pool": np.where(pool, "Yes", "No"),
            "energy_label": energy,
            "price": (np.round(price / 500) * 500).astype(int),
        }
    )
    df = df.sort_values("sale_date", kind="stable").reset_index(drop=True)
    df.insert(0, "sale_id", [f"HS-{i:05d}" for i in range(1, n + 1)])
    df["sale_date"] = df["sale_date"].dt.strftime("%Y-%m-%d")
    return add_house_dirt(rng, df)


def add_house_dirt(rng: np.random.Generator, df: pd.DataFrame) -> pd.DataFrame:
    all_rows = np.arange(len(df))
    typo_rows = pick_rows(rng, all_rows, HOUSE_PRICE_TYPOS)
    df.loc[typo_rows, "price"] = df.loc[typo_rows, "price"] * 10  # an extra zero typed
    zero_rows = pick_rows(rng, np.setdiff1d(all_rows, typo_rows), HOUSE_ZERO_AREA)
    df.loc[zero_rows, "living_area_sqm"] = 0.0
    df.loc[pick_rows(rng, all_rows, HOUSE_MISSING_LOT), "lot_area_sqm"] = np.nan
    df["energy_label"] = df["energy_label"].astype(object)
    df.loc[pick_rows(rng, all_rows, HOUSE_MISSING_ENERGY), "energy_label"] = None

    clean_rows = np.setdiff1d(all_rows, np.concatenate([typo_rows, zero_rows]))
    clean_rows = clean_rows[df.loc[clean_rows].notna().all(axis=1).to_numpy()]
    duplicate_rows = pick_rows(rng, clean_rows, HOUSE_DUPLICATES)
    # Double-entered sales sit right next to their original (stable sort by position).
    df = pd.concat([df, df.loc[duplicate_rows]]).sort_index(kind="stable")
    return df.reset_index(drop=True)


# --------------------------------------------------------------------------- main


def write_all(out_dir: Path) -> dict[str, Path]:
    """Generate all four datasets into out_dir; returns the written paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    card_fraud = make_card_fraud(np.random.default_rng(FRAUD_SEED))
    frames = {  # name: (frame, float format); telco money always shows 2 decimals
        "telco_churn.csv": (make_telco_churn(np.random.default_rng(TELCO_SEED)), "%.2f"),
        "card_fraud.csv": (card_fraud, None),
        "house_prices.csv": (make_house_prices(np.random.default_rng(HOUSE_SEED)), None),
        "card_events.csv": (make_card_events(np.random.default_rng(EVENTS_SEED), card_fraud), None),
    }
    paths = {}
    for name, (frame, float_format) in frames.items():
        paths[name] = out_dir / name
        frame.to_csv(paths[name], float_format=float_format, **CSV_OPTIONS)
    return paths


def main(argv: list[str]) -> None:
    out_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    for path in write_all(out_dir).values():
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main(sys.argv)
