"""The Registry's lineage of a version: readable rows of what it was made from, and the recorded JSON
behind an expander for the engineer."""

from __future__ import annotations

import json

import streamlit as st

from core.i18n import _
from core.registry.lineage_rows import get_lineage_rows
from ui.widgets import term_help


def lineage_panel(ws, version: dict | None, title: str | None = None) -> None:
    """``version``: a registered version's row (None: nothing to show); ``title``: translated already
    (default: the champion's lineage)."""
    with st.expander(title or _("Lineage of the champion")):
        if version is None:
            st.caption(_("No champion yet."))
            return
        st.dataframe(
            get_lineage_rows(ws, version),
            hide_index=True,
            width="stretch",
            column_config={
                "made from": st.column_config.TextColumn(_("made from"), help=term_help("lineage")),  # i18n: skip
                "details": st.column_config.TextColumn(_("details")),
            },
        )
        st.caption(
            _(
                "What v{number} was made from: retraining with the same data version, recipe, feature "
                "set and run settings gives the same model."
            ).format(number=version["version"])
        )
    if version is not None:
        with st.expander(_("Lineage as recorded (JSON, for engineers)")):
            st.json(json.loads(version.get("lineage_json") or "{}"))
