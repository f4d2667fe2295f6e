"""ui.widgets.readable_table in Portuguese: every number column follows the browser's locale
("localized"), scores rounded to three decimals in the data, years and text left alone."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest


def _table_app():
    import pandas as pd

    from core.i18n import use_language
    from ui.widgets import readable_table

    with use_language("pt"):
        readable_table(
            pd.DataFrame(
                {
                    "model": ["a", "b"],
                    "accuracy": [0.85312, 0.9259],
                    "rmse": [42000.5, 38000.25],
                    "fit_seconds": [1.5, 2.25],
                    "year_built": [1999, 2021],
                }
            )
        )


def _accuracy_header() -> str:
    from core.glossary import column_label
    from core.i18n import use_language

    with use_language("pt"):
        return column_label("accuracy")


ACCURACY = _accuracy_header()


def test_portuguese_tables_localise_numbers_and_keep_years():
    at = AppTest.from_function(_table_app, default_timeout=30).run()
    assert not at.exception, at.exception
    columns = json.loads(at.dataframe[0].proto.columns)
    formats = {name: (config.get("type_config") or {}).get("format") for name, config in columns.items()}
    assert formats[ACCURACY] == "localized" and formats["RMSE"] == "localized"
    assert formats["segundos de ajuste"] == "localized"  # a readable header, in Portuguese
    assert formats.get("year built") is None and formats.get("model") is None
    shown = at.dataframe[0].value
    assert list(shown[ACCURACY]) == [0.853, 0.926]  # still numbers: the table sorts by them
