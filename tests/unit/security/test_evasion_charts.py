"""The attacks' charts and sentences: built from saved results, in both languages."""

from __future__ import annotations

import pandas as pd

from core.i18n import use_language
from core.security.attacks_charts import (
    caption_evasion,
    caption_evasion_comparison,
    caption_extraction,
    caption_extraction_coverage,
    plot_evasion_comparison,
    plot_extraction_coverage,
)

FLIP = {"row": 3, "changes": [["contract", "One year", "Month-to-month"]], "cost": 1.0}
BEFORE = {"desired": "Yes", "tried": 20, "flipped": 15, "flips": [FLIP]}
AFTER = {"desired": "Yes", "tried": 20, "flipped": 8, "flips": []}
SAVED = {
    "before": BEFORE,
    "after": AFTER,
    "metric": "roc_auc",
    "metric_before": 0.843,
    "metric_after": 0.8366,
    "accuracy_before": 0.675,
    "accuracy_after": 0.66,
}
REPORT = pd.DataFrame(
    {"key": ["thief", "[x](y)", "new"], "coverage": [0.97, 0.4, None], "expected_coverage": [0.32, 0.33, None]}
)


def test_the_evasion_sentences_say_the_share_and_the_cheapest_flip():
    assert caption_evasion(BEFORE) == (
        "15 of 20 rows the model does not give 'Yes' (75%) get it with a change inside the budget. "
        "The cheapest: contract: One year → Month-to-month."
    )
    assert "no decision to flip" in caption_evasion({"desired": "Yes", "tried": 0, "flipped": 0})
    sentence = caption_evasion_comparison(SAVED)
    assert "75%" in sentence and "40%" in sentence and "ROC-AUC 0.843 → 0.837" in sentence
    with use_language("pt"):
        assert "Antes do treinamento adversarial, 75%" in caption_evasion_comparison(SAVED)
        assert "ROC-AUC 0,843 → 0,837" in caption_evasion_comparison(SAVED)


def test_the_charts_hold_what_the_sentences_say():
    fig = plot_evasion_comparison(SAVED)
    assert list(fig.data[0].y) == [0.75, 0.4]
    coverage = plot_extraction_coverage(REPORT)
    assert list(coverage.data[0].y) == [0.97, 0.4] and len(coverage.data[0].x) == 2
    assert caption_extraction_coverage(REPORT).startswith("Real clients")
    assert "No key" in caption_extraction_coverage(REPORT.iloc[2:])


def test_the_extraction_sentence_says_whether_the_alert_fired():
    saved = {"answered": 2000, "fidelity": 0.976, "majority_share": 0.567, "flagged": True, "key": "demo"}
    assert caption_extraction(saved).endswith("The monitor flagged key demo: the alert fired.")
    assert "98%" in caption_extraction(saved) and "57%" in caption_extraction(saved)
    assert "did not flag" in caption_extraction({**saved, "flagged": False})
