"""How alerts_today.json was made: today's alerts (before rules were data) on the sample scenarios, with
the tables each report was made from. It was run once on the code before rules (commit 3ad1b30), from the
repository root: `python tests/unit/monitoring/data/make_alerts_today.py OUT.json`. Kept as the record of
what the frozen file holds; test_alert_rules checks the default rules give the same alerts on it."""

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import mean_absolute_error, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from core.monitoring.multivariate import DomainConfig
from core.monitoring.performance import fit_performance_reference
from core.monitoring.reports import run_monitoring
from core.monitoring.simulation import TrafficConfig, simulate_traffic

SAMPLES = Path("sample_data")
FRAUD_IDS = ["transaction_id", "timestamp", "customer_id"]
# (sample, target, dropped, task, metric, business bar, scenario, seed, label delay, multivariate)
CASES = [
    ("card_fraud", "is_fraud", FRAUD_IDS, "binary", "roc_auc", 0.95, "none", 0, 0, False),
    ("card_fraud", "is_fraud", FRAUD_IDS, "binary", "roc_auc", 0.95, "concept", 1, 0, False),
    ("card_fraud", "is_fraud", FRAUD_IDS, "binary", "roc_auc", 0.95, "concept", 2, 2, False),
    ("card_fraud", "is_fraud", FRAUD_IDS, "binary", "roc_auc", 0.95, "sudden", 0, 0, True),
    ("card_fraud", "is_fraud", FRAUD_IDS, "binary", "roc_auc", 0.95, "new_category", 0, 0, False),
    ("telco_churn", "churn", ["customer_id", "signup_date"], "binary", "roc_auc", 0.8, "gradual", 3, 0, False),
    ("telco_churn", "churn", ["customer_id", "signup_date"], "binary", "roc_auc", 0.8, "sudden", 4, 3, False),
    ("house_prices", "price", ["sale_id", "sale_date"], "regression", "mae", 30000.0, "sudden", 0, 0, False),
    ("house_prices", "price", ["sale_id", "sale_date"], "regression", "mae", 30000.0, "new_category", 5, 0, False),
]
KEPT = (
    "feature_drift",
    "prediction_drift",
    "performance",
    "alerts",
    "config",
    "multivariate_drift",
    "multivariate_features",
    "performance_windows",
)


def auc(y, scores) -> float:
    return float(roc_auc_score(np.asarray(y, dtype=int), scores))


def mae(y, scores) -> float:
    return float(mean_absolute_error(np.asarray(y, dtype=float), scores))


def make_case(sample, target, dropped, task, metric, threshold, scenario, seed, delay, domain) -> dict:
    table = pd.read_csv(SAMPLES / f"{sample}.csv").drop(columns=dropped)
    if task == "binary":
        table[target] = table[target].astype(str).isin(["1", "Yes"]).astype(int)
    train = table.sample(frac=0.6, random_state=0)
    pool = table.drop(train.index).reset_index(drop=True)
    features = [c for c in table.columns if c != target]
    columns = pd.get_dummies(train[features], dtype=float).columns

    def encode(rows):
        return pd.get_dummies(rows[features], dtype=float).reindex(columns=columns, fill_value=0.0)

    model = make_pipeline(
        SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=1000) if task == "binary" else Ridge()
    ).fit(encode(train), train[target])

    def score(rows):
        return model.predict_proba(encode(rows))[:, 1] if task == "binary" else model.predict(encode(rows))

    metric_of = auc if task == "binary" else mae
    reference = fit_performance_reference(
        pool[target],
        score(pool),
        metric=metric,
        score_metric=metric_of,
        window_rows=500,
        higher_is_better=task == "binary",
        positives=pool[target].to_numpy() if task == "binary" else None,
    )
    traffic = simulate_traffic(
        pool,
        target,
        "classification" if task == "binary" else "regression",
        TrafficConfig(scenario=scenario, seed=seed, label_delay=delay),
        important_features=features[:3],
    )
    report = run_monitoring(
        pool,
        traffic,
        feature_columns=features,
        predict_scores=score,
        reference_scores=score(pool),
        target=target,
        task=task,
        metric=metric,
        threshold=threshold,
        score_metric=metric_of,
        domain=DomainConfig() if domain else None,
        performance_reference=reference,
    ).to_dict()
    case = {k: report[k] for k in KEPT}
    case["case"] = f"{sample}-{scenario}-seed{seed}-delay{delay}"
    case["window_rows"] = {str(k): int(v) for k, v in traffic["window"].value_counts().sort_index().items()}
    return case


if __name__ == "__main__":
    Path(sys.argv[1]).write_text(json.dumps([make_case(*c) for c in CASES], separators=(",", ":")))
