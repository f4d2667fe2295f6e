"""The Registry's lineage of a version: readable rows of what it was made from, and the recorded JSON
behind an expander for the engineer."""

from __future__ import annotations

import json

import streamlit as st

from core.registry.lineage_rows import get_lineage_rows
from ui.widgets import term_help


def lineage_panel(ws, version: dict | None, title: str = "Lineage of the champion") -> None:
    """``version``: a registered version's row (None: nothing to show)."""
    with st.expander(title):
        if version is None:
            st.caption("No champion yet.")
            return
        st.dataframe(
            get_lineage_rows(ws, version),
            hide_index=True,
            width="stretch",
            column_config={"made from": st.column_config.TextColumn(help=term_help("lineage"))},
        )
        st.caption(
            f"What v{version['version']} was made from: retraining with the same data version, recipe, feature "
            "set and run settings gives the same model."
        )
    if version is not None:
        with st.expander("Lineage as recorded (JSON, for engineers)"):
            st.json(json.loads(version.get("lineage_json") or "{}"))
