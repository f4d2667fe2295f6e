"""Monitoring's sentences in Portuguese: the words come from the catalog while the codes stored and
read by the CLI stay English (a PSI label, a severity), and the English stays as it was."""

import pandas as pd

from core.i18n import use_language
from core.monitoring.charts import caption_drift_table, caption_feature_psi, plot_feature_psi
from core.monitoring.charts_live import caption_live_row
from core.monitoring.drift import DriftConfig, describe_psi
from core.monitoring.rules import AlertRule


def _drift() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "feature": ["x"] * 3,
            "window": [1, 2, 3],
            "psi": [0.02, 0.3, 0.4],
            "drifted": [False, True, True],
            "label": [describe_psi(v) for v in (0.02, 0.3, 0.4)],
        }
    )


def test_psi_labels_stay_english_codes_and_read_in_portuguese():
    with use_language("pt"):
        assert describe_psi(0.4) == "major drift"  # the code in the table and the CLI's JSON
        caption = caption_feature_psi(_drift(), "x")
    assert caption.startswith("x desviou primeiro na janela 2")
    assert "(desvio forte)" in caption and "major drift" not in caption
    assert caption_feature_psi(_drift(), "x").startswith("x first drifted in window 2")


def test_a_rule_reads_in_portuguese_and_keeps_its_code():
    rule = AlertRule("slow", "Lentas", "latency_p95_ms", ">=", 500.0, severity="critical", cooldown=2)
    with use_language("pt"):
        text = rule.describe()
    assert text == (
        "Crítico quando latência p95 (ms) está no mínimo 500, em todas as janelas; "
        "depois, silêncio por 2 janelas, a menos que fique mais severo."
    )
    assert rule.describe().startswith("Critical when latency p95 (ms) is at least 500, in every window")
    assert rule.to_dict()["severity"] == "critical"


def test_chart_axis_and_table_caption_in_portuguese():
    with use_language("pt"):
        fig = plot_feature_psi(_drift(), "x")
        table = caption_drift_table(DriftConfig())
    assert fig.layout.title.text == "Desvio de x ao longo do tempo"
    assert fig.layout.xaxis.title.text == "Janela"
    assert "valor-p abaixo de" in table and "p-value" not in table


def test_a_live_row_counts_in_portuguese():
    row = pd.Series(
        {
            "version": "churn v2",
            "source": "http",
            "requests": 120,
            "calls": 1,
            "latency_p50_ms": 2.0,
            "latency_p95_ms": 4.0,
            "rejected_share": 0.0,
            "flagged_share": 0.0,
            "error_share": 0.0,
            "labelled": 0,
            "labelled_share": 0.0,
            "metric": "accuracy",
            "metric_value": float("nan"),
        }
    )
    with use_language("pt"):
        text = caption_live_row(row)
    assert text.startswith("churn v2 por HTTP: 120 respostas em 1 requisição;")
    assert "nenhuma rejeitada" in text and "nenhum rótulo verdadeiro chegou ainda" in text


def test_the_retrain_decision_is_written_in_portuguese_and_english_stays():
    from core.monitoring.alerts import get_retrain_decision

    drift = pd.DataFrame(
        {
            "feature": ["a", "b"],
            "window": [2, 2],
            "psi": [0.5, 0.4],
            "drifted": [True, True],
            "label": ["major drift", "major drift"],
            "new_rows": [0, 0],
            "new_share": [0.0, 0.0],
        }
    )
    performance = pd.DataFrame(
        {"window": [2], "metric": ["accuracy"], "value": [0.9], "threshold": [0.8], "passed": [True]}
    )
    with use_language("pt"):
        retrain, reason = get_retrain_decision(drift, performance, DriftConfig())
    assert retrain
    assert reason.startswith("2 variáveis com desvio forte (a, b) na janela 2")
    assert reason.endswith(": retreine.")
    retrain, reason = get_retrain_decision(drift, performance, DriftConfig())
    assert reason.startswith("2 features drifted strongly (a, b) in window 2") and reason.endswith(": retrain.")
