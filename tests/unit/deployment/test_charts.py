"""The Deploy and Registry pages' sentences and table, apart from the pages (core.deployment.charts,
core.registry.charts)."""

from types import SimpleNamespace

import pandas as pd

from core.deployment.charts import caption_answers, caption_traffic_summary, caption_unanswered
from core.registry.charts import caption_versions, get_versions_table


def test_answer_captions_say_how_many_rows_got_no_answer_and_the_threshold():
    result = pd.DataFrame({"latency_ms": [1.0, 2.0], "error": ["", "x must be a number; got 'a' instead."]})
    assert caption_unanswered(result).startswith("1 of 2 rows got no answer")
    assert caption_unanswered(result.assign(error="")) == ""
    binary = SimpleNamespace(task="binary", classes=["No", "Yes"], threshold=0.4)
    assert caption_answers(result, binary, answer_label="Yes").endswith(
        "(on average 1.50 ms per row). The model answers 'Yes' when the score is 0.40 or more "
        "(the decision threshold registered with it)."
    )
    regression = SimpleNamespace(task="regression", classes=[], threshold=0.5)
    assert caption_answers(result, regression, answer_label="").endswith("(on average 1.50 ms per row).")


def test_traffic_caption_names_the_arm_that_answered_most():
    summary = pd.DataFrame(
        {
            "arm": ["champion", "challenger"],
            "version": ["churn v2", "churn v3"],
            "requests": [90, 10],
            "mean_latency_ms": [1.234, 2.0],
            "share": [0.9, 0.1],
        }
    )
    assert caption_traffic_summary(summary) == (
        "100 requests logged; 90% were answered by churn v2 (champion), in 1.23 ms per row on average."
    )


def test_versions_table_puts_what_a_reviewer_reads_first():
    versions = pd.DataFrame(
        {
            "id": [1],
            "model": ["churn"],
            "run": [4],
            "roc_auc": [0.8],
            "version": [1],
            "cv_score": [0.79456],
            "aliases": ["champion"],
            "decision threshold": [0.0925],
        }
    )
    shown, order = get_versions_table(versions, "roc_auc")
    assert order[:5] == ["version", "aliases", "decision threshold", "CV score", "holdout ROC-AUC"]
    assert "id" not in order and "model" not in order and "run" in order
    assert set(order) <= set(shown.columns)
    # scores read alike (three decimals); the threshold keeps its precision
    assert shown["CV score"].iloc[0] == 0.795 and shown["decision threshold"].iloc[0] == 0.0925
    assert "decision threshold is the score" in caption_versions(versions)
    assert "decision threshold" not in caption_versions(versions.drop(columns="decision threshold"))


def test_captions_in_portuguese():
    from core.i18n import use_language

    result = pd.DataFrame({"latency_ms": [1.0, 2.0], "error": ["", "x must be a number; got 'a' instead."]})
    summary = pd.DataFrame(
        [{"version": "churn v2", "arm": "champion", "requests": 100, "share": 0.9, "mean_latency_ms": 1.234}]
    )
    with use_language("pt"):
        assert caption_unanswered(result).startswith("1 de 2 linhas ficaram sem resposta")
        assert caption_traffic_summary(summary).startswith("100 requisições registradas; 90% foram respondidas")
        assert caption_versions(pd.DataFrame({"version": [1]})).startswith("Cada versão registrada")
