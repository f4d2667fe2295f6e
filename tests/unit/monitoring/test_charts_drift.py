"""The stronger drift signals' charts and sentences use the report's numbers and escape names."""

import numpy as np
import pandas as pd

from core.monitoring.charts_drift import (
    caption_domain_drift,
    caption_drift_by_importance,
    plot_domain_drift,
    plot_drift_by_importance,
)

DOMAIN = pd.DataFrame(
    {
        "window": [1, 2],
        "auc": [0.51, 0.83],
        "threshold": [0.56, 0.55],
        "pvalue": [0.4, 0.005],
        "drifted": [False, True],
        "rows": [800, 800],
    }
)
FEATURES = pd.DataFrame({"window": [2, 2], "feature": ["<b>tenure</b>", "plan"], "importance": [0.2, 0.01]})
RANKED = pd.DataFrame(
    {
        "feature": ["tenure", "zip_code", "plan"],
        "psi": [0.6, 0.4, 0.02],
        "label": ["major drift", "major drift", "no drift"],
        "drifted": [True, True, False],
        "importance": [0.4, 0.01, 0.3],
        "barely_used": [False, True, False],
    }
)


def test_domain_chart_and_sentence():
    fig = plot_domain_drift(DOMAIN)
    assert list(fig.data[0].y) == [0.51, 0.83] and list(fig.data[1].y) == [0.56, 0.55]
    assert fig.data[0].marker.color[1] != fig.data[0].marker.color[0]  # the drifted window stands out
    assert caption_domain_drift(DOMAIN, FEATURES) == (
        "A model tells window 2 apart from the training data (ROC-AUC 0.83 in window 2, chance reaches 0.55), "
        "mostly by <b>tenure</b>, plan: the rows changed as a whole, even where no single column's test says so."
    )
    calm = DOMAIN.assign(drifted=False)
    assert caption_domain_drift(calm, FEATURES).startswith("No window can be told from the training data")
    assert "no multivariate check" in caption_domain_drift(DOMAIN.iloc[:0], FEATURES)


def test_importance_chart_and_sentence():
    fig = plot_drift_by_importance(pd.concat([RANKED, RANKED.assign(feature="<i>x</i>")]))
    assert "&lt;i&gt;x&lt;/i&gt;" in list(fig.data[0].y)
    assert caption_drift_by_importance(RANKED) == (
        "Drift that matters: tenure (40% of the model's importance); zip_code drifted but the model barely uses "
        "it (under 5% of its importance), which is no reason to retrain."
    )
    unknown = RANKED.assign(importance=np.nan, barely_used=False)
    assert "importance is unknown" in caption_drift_by_importance(unknown)
