"""ui.widgets.readable_table: readable headers, and scores that read alike in a column."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest


def _table_app():
    import pandas as pd

    from ui.widgets import readable_table

    readable_table(
        pd.DataFrame(
            {
                "model": ["a", "b"],
                "CV ROC-AUC": [0.8295, 0.5],
                "accuracy": [0.853, 0.9259],
                "rmse": [42000.5, 38000.25],
                "fit_seconds": [1.5, 2.25],
            }
        )
    )


def test_scores_get_three_decimals_and_large_errors_separators():
    at = AppTest.from_function(_table_app, default_timeout=30).run()
    assert not at.exception
    columns = json.loads(at.dataframe[0].proto.columns)
    formats = {name: (config.get("type_config") or {}).get("format") for name, config in columns.items()}
    assert formats["CV ROC-AUC"] == "%.3f" and formats["accuracy"] == "%.3f"
    assert formats["RMSE"] == "localized"
    assert "fit seconds" not in formats  # not a score: shown as it is
