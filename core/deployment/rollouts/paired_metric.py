"""The shadow's labelled comparison on the project's own metric.

Accuracy (McNemar) and mean absolute error (paired t-test) are what every rollout reads, but they can
miss what the project is judged on: a fraud model retrained after new scams ranks cases better (ROC-AUC
0.97 against 0.94) while answering yes/no the same on 99.9% of requests, so its accuracy ties. A shadow
scores the very requests the champion answered, so both can be compared on any metric, paired: a
bootstrap over the labelled requests (the studio's holdout comparison, ``bootstrap_metric_difference``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from core.evaluation.comparison import BOOTSTRAP_METRICS, bootstrap_metric_difference, metric_uses_scores
from core.problem.definition import get_metric_label

# Metrics the rollouts' own test already covers: the project's metric adds nothing to them.
ROLLOUT_METRICS = {"accuracy", "mae"}
MIN_LABELLED = 30  # fewer labelled requests: a bootstrap of a ranking metric says little
N_BOOT = 1000


def describe_p_value(p_value: float) -> str:
    """'p = 0.03', or 'p ≤ 0.001' at the floor of the bootstrap's resolution."""
    return f"p ≤ {1 / N_BOOT:g}" if p_value <= 1 / N_BOOT else f"p = {p_value:.3g}"


def compare_on_project_metric(
    labelled: pd.DataFrame, metric: str | None, positive_class: str | None, *, seed: int = 0
) -> dict[str, Any] | None:
    """The project's metric for the champion and the shadow on the same labelled requests, with a paired
    bootstrap interval of shadow − champion and a two-sided bootstrap p-value; None when the metric is one
    the rollout reads anyway, cannot be bootstrapped, needs a yes/no model's scores it does not have, or
    too few requests are labelled. ``labelled``: prediction, score, shadow_prediction, shadow_score, label."""
    if metric is None or metric in ROLLOUT_METRICS or metric not in BOOTSTRAP_METRICS:
        return None
    rows = labelled[labelled["shadow_prediction"].notna()]
    if metric_uses_scores(metric):
        if positive_class is None:  # a ranking metric needs P(positive): yes/no models only
            return None
        champion = rows["score"].to_numpy(dtype=float)
        shadow = rows["shadow_score"].to_numpy(dtype=float)
        truth = (rows["label"].astype(str).to_numpy() == str(positive_class)).astype(float)
        keep = np.isfinite(champion) & np.isfinite(shadow)
    elif metric in ("rmse", "r2"):
        champion = pd.to_numeric(rows["prediction"], errors="coerce").to_numpy(dtype=float)
        shadow = pd.to_numeric(rows["shadow_prediction"], errors="coerce").to_numpy(dtype=float)
        truth = pd.to_numeric(rows["label"], errors="coerce").to_numpy(dtype=float)
        keep = np.isfinite(champion) & np.isfinite(shadow) & np.isfinite(truth)
    else:  # labels compared as they are (f1_macro, balanced_accuracy)
        champion = rows["prediction"].astype(str).to_numpy()
        shadow = rows["shadow_prediction"].astype(str).to_numpy()
        truth = rows["label"].astype(str).to_numpy()
        keep = np.ones(len(rows), dtype=bool)
    if int(keep.sum()) < MIN_LABELLED:
        return None
    result = bootstrap_metric_difference(truth[keep], shadow[keep], champion[keep], metric, n_boot=N_BOOT, seed=seed)
    if not result["valid_resamples"] or not math.isfinite(result["score_a"]) or not math.isfinite(result["score_b"]):
        return None  # one class only among the labelled requests: the metric is undefined
    higher = result["higher_is_better"]
    # Two-sided: twice the smaller tail, a resample with no difference counting on both sides.
    better, equal = result["share_a_better"], result["share_equal"]
    # No resample on the other side: the p-value is below what 1,000 resamples can show, not 0.
    p_value = max(1 / N_BOOT, min(1.0, 2 * min(better + equal, 1 - better)))
    shadow_better = (result["difference"] > 0) == higher and result["difference"] != 0
    return {
        "labelled": int(keep.sum()),
        "name": get_metric_label(metric),
        "metric": metric,
        "champion": float(result["score_b"]),
        "shadow": float(result["score_a"]),
        "p_value": float(p_value),
        "test": f"paired bootstrap ({N_BOOT:,} resamples)",
        "difference_low": float(result["ci_low"]),
        "difference_high": float(result["ci_high"]),
        "shadow_better": bool(shadow_better),
    }
