"""The Data page's privacy panel: which columns hold personal data (``core.security.pii``), why that
matters in one sentence, and a button per column to add a recipe step that drops, masks or hashes it
(the steps go into the recipe draft like any other, and replay on new data)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import datasets
from core.data.cleaning import CleaningRecipe, CleaningStep
from core.formatting import format_percent
from core.i18n import N_, _, current_language, ngettext
from core.security.pii import PersonalColumn, detect_personal_data, kind_label
from ui.text import escape_markdown

TREATMENTS = {
    "drop_columns": N_("Drop"),
    "mask_values": N_("Mask"),
    "hash_values": N_("Hash"),
}
TREATMENT_HELP = {
    "drop_columns": N_("Remove the column: the model never sees it."),
    "mask_values": N_("Keep only the last 4 characters (***.***.***-25): people can still recognise a row."),
    "hash_values": N_(
        "Replace each value by a keyed code: the same person gets the same code (counts and joins still "
        "work), and nobody without the studio's secret key can turn it back."
    ),
}


@st.cache_data(show_spinner=False, max_entries=16)
def _detect(_df: pd.DataFrame, ws_path: str, dataset_id: int, language: str) -> list[PersonalColumn]:
    return detect_personal_data(_df)


def _treated(draft: CleaningRecipe) -> dict[str, str]:
    """column -> the privacy op the draft already applies to it."""
    done = {}
    for step in draft.steps:
        if step.op in TREATMENTS:
            for column in step.params.get("columns") or []:
                done[column] = step.op
    return done


def render_privacy_panel(ws, project_id: int, raw_id: int, raw_df: pd.DataFrame, draft: CleaningRecipe) -> None:
    found = _detect(raw_df, str(ws.root), raw_id, current_language())
    with st.expander(
        ngettext("Personal data: {n} column", "Personal data: {n} columns", len(found)).format(n=len(found)),
        expanded=bool(found),
        icon=":material/lock:",
    ):
        st.write(
            _(
                "Personal data (emails, phone numbers, CPF, names…) lets anyone who sees the table, a log or the "
                "model find a real person; the law (LGPD) asks us to keep only what the model needs, so drop, "
                "mask or hash these columns before training."
            )
        )
        if not found:
            st.caption(_("No column looks like personal data."))
            return
        treated = _treated(draft)
        st.dataframe(
            pd.DataFrame(
                {
                    _("column"): [hit.column for hit in found],
                    _("holds"): [kind_label(hit.kind) for hit in found],
                    _("confidence"): [format_percent(hit.confidence) for hit in found],
                    _("why"): [hit.reason for hit in found],
                    _("in the recipe"): [
                        _(TREATMENTS[treated[h.column]]) if h.column in treated else "" for h in found
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
        )
        for i, hit in enumerate(found):
            if hit.column in treated:
                continue
            cols = st.columns([3, 1, 1, 1])
            cols[0].markdown(
                _("**{column}** ({kind})").format(column=escape_markdown(hit.column), kind=kind_label(hit.kind))
            )
            for col, op in zip(cols[1:], TREATMENTS):
                if col.button(_(TREATMENTS[op]), key=f"pii_{op}_{raw_id}_{i}", help=_(TREATMENT_HELP[op])):
                    params: dict = {"columns": [hit.column]}
                    if op == "mask_values":
                        params["keep"] = 4
                    datasets.save_recipe_draft(ws, project_id, raw_id, draft.with_step(CleaningStep(op, params)))
                    st.rerun()
