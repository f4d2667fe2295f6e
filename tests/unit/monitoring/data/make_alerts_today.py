"""Freeze today's alerts (before rules as data) on the sample scenarios: the tables each report was
made from and the alerts today's fixed thresholds gave. Run once on the old code."""
import json, sys
from pathlib import Path
import numpy as np, pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import roc_auc_score, mean_absolute_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from core.monitoring.multivariate import DomainConfig
from core.monitoring.performance import fit_performance_reference
from core.monitoring.reports import run_monitoring
from core.monitoring.simulation import TrafficConfig, simulate_traffic

S = Path("sample_data")
CASES = [
    # (sample, target, drop, task, metric, threshold, scenario, seed, label_delay, domain)
    ("card_fraud", "is_fraud", ["transaction_id", "timestamp", "customer_id"], "binary", "roc_auc", 0.95, "none", 0, 0, False),
    ("card_fraud", "is_fraud", ["transaction_id", "timestamp", "customer_id"], "binary", "roc_auc", 0.95, "concept", 1, 0, False),
    ("card_fraud", "is_fraud", ["transaction_id", "timestamp", "customer_id"], "binary", "roc_auc", 0.95, "concept", 2, 2, False),
    ("card_fraud", "is_fraud", ["transaction_id", "timestamp", "customer_id"], "binary", "roc_auc", 0.95, "sudden", 0, 0, True),
    ("card_fraud", "is_fraud", ["transaction_id", "timestamp", "customer_id"], "binary", "roc_auc", 0.95, "new_category", 0, 0, False),
    ("telco_churn", "churn", ["customer_id", "signup_date"], "binary", "roc_auc", 0.8, "gradual", 3, 0, False),
    ("telco_churn", "churn", ["customer_id", "signup_date"], "binary", "roc_auc", 0.8, "sudden", 4, 3, False),
    ("house_prices", "price", ["sale_id", "sale_date"], "regression", "mae", 30000.0, "sudden", 0, 0, False),
    ("house_prices", "price", ["sale_id", "sale_date"], "regression", "mae", 30000.0, "new_category", 5, 0, False),
]

out = []
for sample, target, drop, task, metric, threshold, scenario, seed, delay, domain in CASES:
    table = pd.read_csv(S / f"{sample}.csv").drop(columns=drop)
    if task == "binary":
        table[target] = (table[target].astype(str).isin(["1", "Yes"])).astype(int)
    train = table.sample(frac=0.6, random_state=0)
    pool = table.drop(train.index).reset_index(drop=True)
    features = [c for c in table.columns if c != target]
    columns = pd.get_dummies(train[features], dtype=float).columns

    def encode(rows):
        return pd.get_dummies(rows[features], dtype=float).reindex(columns=columns, fill_value=0.0)

    est = LogisticRegression(max_iter=1000) if task == "binary" else Ridge()
    model = make_pipeline(SimpleImputer(), StandardScaler(), est).fit(encode(train), train[target])
    score = (lambda r: model.predict_proba(encode(r))[:, 1]) if task == "binary" else (lambda r: model.predict(encode(r)))
    if task == "binary":
        sm = lambda y, s: float(roc_auc_score(np.asarray(y, dtype=int), s))
    else:
        sm = lambda y, s: float(mean_absolute_error(np.asarray(y, dtype=float), s))
    ref = fit_performance_reference(pool[target], score(pool), metric=metric, score_metric=sm, window_rows=500,
                                     higher_is_better=task == "binary",
                                     positives=pool[target].to_numpy() if task == "binary" else None)
    traffic = simulate_traffic(pool, target, "classification" if task == "binary" else "regression",
                               TrafficConfig(scenario=scenario, seed=seed, label_delay=delay), important_features=features[:3])
    report = run_monitoring(pool, traffic, feature_columns=features, predict_scores=score, reference_scores=score(pool),
                            target=target, task=task, metric=metric, threshold=threshold, score_metric=sm,
                            domain=DomainConfig() if domain else None, performance_reference=ref)
    d = report.to_dict()
    keep = {k: d[k] for k in ("feature_drift", "prediction_drift", "performance", "alerts", "config",
                              "multivariate_drift", "multivariate_features", "performance_windows")}
    keep["case"] = f"{sample}-{scenario}-seed{seed}-delay{delay}"
    keep["window_rows"] = {str(k): int(v) for k, v in traffic["window"].value_counts().sort_index().items()}
    out.append(keep)
    print(keep["case"], len(d["alerts"]), sorted({a["kind"] for a in d["alerts"]}), file=sys.stderr)

Path(sys.argv[1]).write_text(json.dumps(out, indent=None, separators=(",", ":")))
