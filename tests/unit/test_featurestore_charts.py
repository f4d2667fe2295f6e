"""The feature store's figures and sentences (core/featurestore/charts.py), on hand-built results."""

from __future__ import annotations

import pandas as pd

from core.featurestore import charts
from core.i18n import use_language

LEAK = {"point_in_time": {"validation": 0.81, "later": 0.87}, "naive": {"validation": 0.89, "later": 0.61}}
FAIR = {"point_in_time": {"validation": 0.80, "later": 0.79}, "naive": {"validation": 0.78, "later": 0.80}}


def _timeline() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "transaction_id": ["T1", "T2", "T3", "T4"],
            "timestamp": pd.to_datetime(["2024-07-01", "2024-07-05", "2024-07-09", "2024-07-20"]),
            "amount": [10.0, 20.0, 30.0, 40.0],
            "is_fraud": [0, 0, 1, 0],
            "point_in_time": [0.0, 0.0, 0.0, 1.0],
            "naive": [1.0, 1.0, 1.0, 1.0],
        }
    )


def test_the_scores_sentence_says_the_naive_model_only_looked_better():
    assert charts.caption_lesson_scores(LEAK, "roc_auc") == (
        "The naive model looks better in validation (ROC-AUC 0.89 against 0.81) and is worse in use (0.61 against "
        "0.87): only the point-in-time model's validation told the truth."
    )
    assert charts.caption_lesson_scores(FAIR, "roc_auc").startswith("ROC-AUC: the naive model scores 0.78")
    with use_language("pt"):
        assert "0,89 contra 0,81" in charts.caption_lesson_scores(LEAK, "roc_auc")


def test_each_join_gets_a_sentence_on_its_own_gap():
    assert charts.describe_score_gap(LEAK, "naive", "roc_auc") == (
        "Validation promised 0.89; in use the ROC-AUC fell to 0.61."
    )
    assert charts.describe_score_gap(LEAK, "point_in_time", "roc_auc").startswith("In use the ROC-AUC (0.87)")
    assert charts.describe_score_gap(FAIR, "point_in_time", "roc_auc").startswith("Validation (0.80) was a fair")


def test_the_scores_chart_has_one_bar_group_per_join():
    fig = charts.plot_lesson_scores(LEAK, "roc_auc")
    assert [t.name for t in fig.data] == ["Point-in-time join", "Naive join (newest values)"]
    assert list(fig.data[1].y) == [0.89, 0.61]


def test_the_timeline_counts_the_transactions_before_the_fraud_that_saw_the_future():
    timeline = _timeline()
    sentence = charts.caption_customer_timeline(timeline, "C7", "card_blocks")
    assert sentence.startswith("Each point is one of customer C7's transactions: before the fraud of 2024-07-09")
    assert "already gave 2 transactions a card_blocks" in sentence
    fig = charts.plot_customer_timeline(timeline, "<b>card</b>")
    assert [t.name for t in fig.data] == ["Naive join (newest values)", "Point-in-time join", "Fraudulent transaction"]
    assert "<b>card</b>" not in fig.layout.yaxis.title.text  # a user's name is shown as typed, not as HTML
    no_fraud = timeline.assign(is_fraud=0)
    assert "the dashed line" in charts.caption_customer_timeline(no_fraud, "C7", "card_blocks")


def test_health_per_period_and_its_sentence():
    empty = {"name": "spend_7d", "buckets": []}
    assert charts.caption_feature_health(empty).startswith("Feature spend_7d has no stored values yet")
    assert len(charts.plot_feature_health(empty).data) == 0
    health = {
        "name": "spend_7d",
        "buckets": [
            {"start": "2024-07-01", "rows": 10, "null_rate": 0.0, "psi": 0.0, "pvalue": 1.0, "drifted": False},
            {"start": "2024-07-08", "rows": 10, "null_rate": 0.1, "psi": 0.12, "pvalue": 0.2, "drifted": False},
            {"start": "2024-07-15", "rows": 10, "null_rate": 0.25, "psi": 0.4, "pvalue": 0.001, "drifted": True},
        ],
    }
    assert charts.caption_feature_health(health) == (
        "Feature spend_7d: in its last period (2024-07-15) 25% of its values were missing, with major drift "
        "(PSI 0.4); 1 period of 3 drifted from the first."
    )
    fig = charts.plot_feature_health(health)
    assert list(fig.data[1].marker.color) == [charts.GOOD, charts.WARN, charts.BAD]


def test_freshness_age_and_skew_in_words():
    assert charts.describe_age(90) == "1 minute"
    assert charts.describe_age(3 * 86400 + 5) == "3 days"
    assert charts.describe_freshness(None).startswith("Not materialised yet")
    fresh = {"entities": 1996, "newest_event": "2025-01-22T03:45:12", "age_seconds": 7200.0}
    assert charts.describe_freshness(fresh) == (
        "The online store holds the latest value of 1,996 entities; the newest event it counts is from "
        "2025-01-22 03:45 (2 hours ago)."
    )
    assert charts.describe_skew({"checked": 0, "matching": 0}).startswith("Nothing to compare yet")
    assert charts.describe_skew({"checked": 50, "matching": 50}).startswith("No skew: for all 50 entities")
    assert charts.describe_skew({"checked": 50, "matching": 47}).startswith("Skew found: 3 of 50")
