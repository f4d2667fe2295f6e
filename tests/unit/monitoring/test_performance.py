"""Performance against the model's own holdout: control limits, the CUSUM of small drops, the estimate
before labels, delayed labels, and the card-fraud sample's concept drift against no drift (fixed seeds)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from core.monitoring.alerts import get_decay_alerts, get_retrain_decision
from core.monitoring.drift import DriftConfig
from core.monitoring.performance import (
    PerformanceReference,
    fit_performance_reference,
    get_performance_records,
    get_performance_windows_df,
)
from core.monitoring.simulation import TrafficConfig, simulate_traffic

SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


def auc(y, scores) -> float:
    y = np.asarray(y, dtype=float)
    return roc_auc_score(y, scores) if len(np.unique(y)) == 2 else float("nan")


def make_holdout(n: int = 3000, seed: int = 0) -> tuple[pd.Series, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.beta(0.8, 2.0, n)
    return pd.Series((rng.random(n) < p).astype(int)), p


def test_reference_learns_the_usual_value_and_its_spread_per_window():
    y, p = make_holdout()
    reference = fit_performance_reference(
        y, p, metric="roc_auc", score_metric=auc, window_rows=400, positives=y.to_numpy()
    )
    assert reference.expected == pytest.approx(auc(y, p), abs=0.01)
    assert 0.005 < reference.spread < 0.05
    lower, upper = reference.get_limits(400)
    assert lower == pytest.approx(min(reference.chunk_values)) and np.isnan(upper)  # the worst chunk
    gap = reference.expected - lower
    assert reference.get_limits(100)[0] == pytest.approx(reference.expected - 2 * gap)  # 4x fewer rows
    assert PerformanceReference.from_dict(reference.to_dict()) == reference


def test_lower_is_better_metrics_get_an_upper_limit():
    rng = np.random.default_rng(0)
    y = pd.Series(rng.normal(size=1000))
    reference = fit_performance_reference(
        y,
        y.to_numpy() + rng.normal(size=1000),
        metric="rmse",
        score_metric=lambda t, s: float(np.sqrt(np.mean((np.asarray(t) - s) ** 2))),
        window_rows=200,
        higher_is_better=False,
    )
    lower, upper = reference.get_limits(200)
    assert np.isnan(lower) and upper > reference.expected
    assert not reference.estimates and "not estimated" in reference.not_estimated


def _windows(y: pd.Series, p: np.ndarray, rows: int, count: int, seed: int) -> tuple[np.ndarray, pd.Series, np.ndarray]:
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(y), rows * count)
    return np.repeat(np.arange(1, count + 1), rows), y.iloc[picks].reset_index(drop=True), p[picks]


def test_windows_like_the_holdout_stay_quiet_and_estimates_track_the_realised_metric():
    y, p = make_holdout()
    reference = fit_performance_reference(y, p, metric="roc_auc", score_metric=auc, window_rows=400, positives=y)
    windows, y_traffic, scores = _windows(y, p, 400, 8, seed=3)
    df = get_performance_windows_df(reference, windows, y_traffic, scores, auc)
    assert not df["decayed"].any() and df["labelled"].all()
    assert (df["estimated"] - df["realised"]).abs().mean() < 0.02
    assert ((df["realised"] >= df["lower"]) & (df["realised"] <= df["upper"])).mean() >= 0.75


def test_a_sustained_drop_smaller_than_the_limit_is_caught_by_the_cusum():
    y, p = make_holdout()
    reference = fit_performance_reference(y, p, metric="roc_auc", score_metric=auc, window_rows=400, positives=y)
    windows, y_traffic, scores = _windows(y, p, 400, 6, seed=4)
    flipped = (windows >= 3) & (np.random.default_rng(5).random(len(windows)) < 0.06)
    y_traffic = y_traffic.where(~flipped, 1 - y_traffic)  # a concept change: 6% of the labels change
    df = get_performance_windows_df(reference, windows, y_traffic, scores, auc)
    assert not df.loc[df["window"] < 3, "decayed"].any()
    assert df.loc[df["window"] == 6, "decayed"].item()
    assert (df["realised"] >= df["limit_lower"]).sum() >= 4  # most windows alone are within the limit
    alerts = get_decay_alerts(df)
    assert alerts and all(a.kind == "performance_decay" and a.level == "critical" for a in alerts)
    assert "the model has lost skill it had" in alerts[0].message
    empty_drift = pd.DataFrame(columns=["window", "feature", "psi", "new_share", "drifted"])
    retrain, reason = get_retrain_decision(
        empty_drift, pd.DataFrame(columns=["window"]), DriftConfig(), latest=6, performance_windows_df=df
    )
    assert retrain and "ROC-AUC" in reason and "retrain" in reason


def test_windows_without_labels_are_unlabelled_and_only_estimated():
    y, p = make_holdout()
    reference = fit_performance_reference(
        y,
        p,
        metric="accuracy",
        score_metric=lambda t, s: float(np.mean(np.asarray(t) == (s >= 0.5))),
        window_rows=300,
        positives=y,
    )
    windows, y_traffic, scores = _windows(y, p, 300, 5, seed=6)
    y_traffic = y_traffic.astype(float).where(windows <= 3)
    df = get_performance_windows_df(
        reference,
        windows,
        y_traffic,
        scores,
        reference_metric := (lambda t, s: float(np.mean(np.asarray(t) == (s >= 0.5)))),
    )
    assert df["labelled"].tolist() == [True, True, True, False, False]
    assert df.loc[~df["labelled"], "realised"].isna().all() and df["estimated"].notna().all()
    records = get_performance_records(df)
    assert set(records[0]) >= {"window", "labelled", "realised", "estimated", "lower", "upper"}
    assert records[4]["realised"] is None and records[4]["labelled"] is False
    assert reference_metric(y_traffic[:300], scores[:300]) == pytest.approx(records[0]["realised"])


# -- the card-fraud sample: concept drift must alert, no drift must stay quiet ------------------------------


@pytest.fixture(scope="module")
def fraud():
    table = pd.read_csv(SAMPLES / "card_fraud.csv").drop(columns=["transaction_id", "timestamp", "customer_id"])
    train = table.sample(frac=0.8, random_state=0)
    pool = table.drop(train.index).reset_index(drop=True)

    def encode(rows: pd.DataFrame) -> pd.DataFrame:
        return pd.get_dummies(rows.drop(columns=["is_fraud", "window"], errors="ignore"), dtype=float).reindex(
            columns=columns, fill_value=0.0
        )

    columns = pd.get_dummies(train.drop(columns=["is_fraud"]), dtype=float).columns
    model = make_pipeline(
        SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=1000)
    )  # the studio's best model here
    model.fit(encode(train), train["is_fraud"])

    def score(rows):
        return model.predict_proba(encode(rows))[:, 1]

    reference = fit_performance_reference(
        pool["is_fraud"], score(pool), metric="roc_auc", score_metric=auc, window_rows=500, positives=pool["is_fraud"]
    )
    return pool, score, reference


def _first_decay(fraud, scenario: str, seed: int) -> int | None:
    pool, score, reference = fraud
    traffic = simulate_traffic(
        pool,
        "is_fraud",
        "classification",
        TrafficConfig(scenario=scenario, seed=seed),
        important_features=["num_tx_last_24h", "amount"],
    )
    df = get_performance_windows_df(reference, traffic["window"].to_numpy(), traffic["is_fraud"], score(traffic), auc)
    decayed = df.loc[df["decayed"], "window"]
    return int(decayed.iloc[0]) if len(decayed) else None


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_card_fraud_concept_drift_alerts_within_the_first_windows_after_it_starts(fraud, seed):
    first = _first_decay(fraud, "concept", seed)
    assert first is not None and 3 <= first <= 6  # drift starts in window 3 of 6


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_card_fraud_without_drift_stays_quiet(fraud, seed):
    assert _first_decay(fraud, "none", seed) is None


def test_a_decay_alert_says_what_else_holds_in_its_window():
    """The sentence starts like every alert ("In window N") and says whether the business bar still
    passes and whether any input drifted there, instead of assuming both."""
    y, p = make_holdout()
    reference = fit_performance_reference(y, p, metric="roc_auc", score_metric=auc, window_rows=400, positives=y)
    windows, y_traffic, scores = _windows(y, p, 400, 4, seed=4)
    y_traffic = y_traffic.where(windows < 3, 1 - y_traffic)  # from window 3 every label flips: a sure decay
    df = get_performance_windows_df(reference, windows, y_traffic, scores, auc)
    window = int(df.loc[df["decayed"], "window"].min())
    bar = pd.DataFrame(
        {"window": [window], "metric": ["roc_auc"], "value": [0.5], "threshold": [0.7], "passed": [False]}
    )
    quiet = pd.DataFrame({"window": [window], "feature": ["x"], "psi": [0.01], "new_share": [0.0], "drifted": [False]})
    (failed_bar,) = [a for a in get_decay_alerts(df, bar, quiet) if a.window == window]
    assert failed_bar.message.startswith(f"In window {window}, ROC-AUC fell to")
    assert "business bar" not in failed_bar.message and "no input drifted" in failed_bar.message
    drifted = quiet.assign(drifted=True, psi=0.4)
    (passed_bar,) = [a for a in get_decay_alerts(df, bar.assign(passed=True), drifted) if a.window == window]
    assert "still meets the business bar" in passed_bar.message and "drifted" not in passed_bar.message


def test_the_retrain_sentence_names_every_window_still_waiting_for_labels():
    drift = pd.DataFrame(
        {
            "window": [1, 2, 3, 4],
            "feature": ["x"] * 4,
            "psi": [0.01] * 4,
            "new_share": [0.0] * 4,
            "drifted": [False] * 4,
        }
    )
    bar = pd.DataFrame({"window": [1, 2], "metric": ["roc_auc"] * 2, "value": [0.9] * 2, "threshold": [0.7] * 2})
    _, reason = get_retrain_decision(drift, bar.assign(passed=True), DriftConfig(), latest=4)
    assert "o labels have arrived for windows 3–4 yet" in reason
    _, reason = get_retrain_decision(drift, bar.iloc[:0].assign(passed=True), DriftConfig(), latest=4)
    assert "o labels have arrived for any window yet" in reason
