"""Drift ranked by what the model uses: a feature's drift weighs by its share of the model's importance.

The shares come from the registered version's explanation (mean |SHAP| per input column, summed to 1).
Drift in a feature the model barely uses (under BARELY_USED_SHARE of its importance) is still reported,
but it is not a reason to retrain: the model's answers hardly depend on it. Without an explanation every
feature counts, as before.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.monitoring.windows import WINDOW_COLUMN

# Below this share of the model's importance a feature is "barely used".
BARELY_USED_SHARE = 0.05
DRIFT_BY_IMPORTANCE_COLUMNS = ["feature", "psi", "label", "drifted", "importance", "barely_used"]


def get_barely_used(importance: dict[str, float] | None) -> set[str]:
    """The features the model barely uses (none when the importance is unknown)."""
    return {f for f, share in (importance or {}).items() if share < BARELY_USED_SHARE}


def get_drift_by_importance_df(
    feature_drift_df: pd.DataFrame, importance: dict[str, float] | None, window: int | None = None
) -> pd.DataFrame:
    """One row per feature of ``window`` (default: the last): its PSI, label, whether it drifted, its
    share of the model's importance (nan when unknown) and whether the model barely uses it; drifted
    features first, the most important first, then the rest by PSI."""
    if feature_drift_df.empty:
        return pd.DataFrame(columns=DRIFT_BY_IMPORTANCE_COLUMNS)
    window = int(feature_drift_df[WINDOW_COLUMN].max()) if window is None else window
    rows = feature_drift_df[feature_drift_df[WINDOW_COLUMN] == window]
    shares = importance or {}
    df = pd.DataFrame(
        {
            "feature": rows["feature"].to_numpy(),
            "psi": rows["psi"].to_numpy(),
            "label": rows["label"].to_numpy(),
            "drifted": rows["drifted"].to_numpy(dtype=bool),
            "importance": [shares.get(f, np.nan) for f in rows["feature"]],
        }
    )
    df["barely_used"] = df["feature"].isin(get_barely_used(importance))
    order = np.lexsort((-df["psi"].to_numpy(), -np.nan_to_num(df["importance"].to_numpy(), nan=-1.0), ~df["drifted"]))
    return df.iloc[order].reset_index(drop=True)[DRIFT_BY_IMPORTANCE_COLUMNS]
