"""One prediction explained on the Explain page: pick (or type) a row, see its waterfall in
probability points (the log-odds one toggle away), and change its values in a what-if."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.explain.charts import (
    caption_beeswarm,
    caption_importance,
    caption_waterfall,
    plot_beeswarm,
    plot_importance,
    plot_waterfall,
)
from core.explain.importance import get_importance_df, get_waterfall_df
from core.explain.probability import SPACE_PROBABILITY, SPACE_VALUE, describe_space, get_space, to_probability
from core.explain.result import Explanation
from core.explain.rows import build_row, row_defaults
from core.explain.whatif import caption_whatif, format_whatif_df, get_whatif_df
from core.i18n import N_, _
from core.stages.explain import describe_problem_change
from core.workspace.database import Workspace
from ui import cache
from ui.explain_rows import (
    SelectedRow,
    explain,
    form_values,
    input_fields,
    input_form,
    row_picker,
    run_inputs,
    selected_row,
)
from ui.text import escape_markdown
from ui.widgets import chart

# Stable codes (kept in the session), shown translated.
SPACE_CHOICES = (N_("probability"), N_("the model's own scale"))


def problem_change_note(ws: Workspace, project_id: int, experiment: dict[str, Any]) -> None:
    """A warning when the project's problem moved on since these models were trained (as Monitor says)."""
    note = describe_problem_change(ws, project_id, experiment)
    if note:
        st.warning(escape_markdown(note), icon=":material/info:")


def in_space(expl: Explanation, space_choice: str) -> Explanation:
    """The explanation in the space the reader chose (probability unless they asked for the model's)."""
    return to_probability(expl) if space_choice == SPACE_CHOICES[0] else expl


def space_toggle(expl: Explanation, key: str) -> str:
    """A toggle between probability points and the model's own scale, when they differ (one
    toggle for the whole page: importance, beeswarm, dependence and the row's waterfall)."""
    if get_space(expl) in (SPACE_VALUE, SPACE_PROBABILITY):
        return SPACE_CHOICES[0]
    return str(
        st.radio(
            _("Effects in"),
            SPACE_CHOICES,
            format_func=_,
            horizontal=True,
            key=key,
            help=_(
                "The model works in {scale}; probability points are the same "
                "effects shared out so they add up to the model's probability."
            ).format(scale=expl.output.split(" of ")[0]),
        )
    )


def importance_charts(ws: Workspace, run_id: int, shown: Explanation) -> pd.DataFrame:
    """The importance bars and the beeswarm of the explanation (in the space shown), side by side;
    returns the importance table. Built once per saved explanation, space and language (ui.cache.shared):
    every rerun of the page drew them again (0.3-0.5 s)."""
    key = (cache.explanation_key(ws, run_id), shown.output)

    def build():
        importance = get_importance_df(shown)
        return (
            importance,
            (plot_importance(importance), caption_importance(importance, shown)),
            (plot_beeswarm(shown), caption_beeswarm(shown, importance)),
        )

    importance, bars, beeswarm = cache.shared(("importance_charts", *key), build)
    c1, c2 = st.columns(2)
    with c1:
        chart(bars[0], bars[1], key="importance")
    with c2:
        chart(beeswarm[0], beeswarm[1], key="beeswarm")
    return importance


def one_row_panel(ws: Workspace, project_id: int, run_id: int, features: list[str], space: str) -> SelectedRow | None:
    """Pick a row, show its waterfall in ``space`` (one of SPACE_CHOICES), then the what-if.
    Returns the selected row (or None)."""
    st.subheader(_("One prediction, explained"))
    row_picker(ws, run_id, features)
    selected = selected_row(ws, project_id, run_id)
    if selected is None:
        return None
    shown = in_space(selected.explanation, space)
    waterfall = get_waterfall_df(shown, 0)
    sentence = caption_waterfall(waterfall, shown.base_value) + " " + describe_space(shown)
    chart(cache.built(plot_waterfall, waterfall, shown.base_value), sentence, key="waterfall")  # once per row
    with st.expander(_("The row's values")):
        st.dataframe(selected.inputs, hide_index=True, width="stretch")
    whatif_panel(ws, run_id, selected, space)
    return selected


def whatif_panel(ws: Workspace, run_id: int, selected: SelectedRow, space: str) -> None:
    """Edit the selected row's values and see the prediction and its explanation before and after."""
    st.subheader(_("What if?"))
    st.caption(
        escape_markdown(_("Change some values of {row} and see how the prediction moves.").format(row=selected.label))
    )
    inputs = run_inputs(ws, run_id)
    fields = input_fields(inputs, used=list(selected.explanation.shap_df.columns))
    defaults = row_defaults(fields, selected.inputs)
    # A new row (picked, or typed differently) gets a fresh form starting at its own values.
    digest = int(pd.util.hash_pandas_object(selected.inputs.astype(str), index=False).iloc[0]) % 10**12
    prefix = f"explain_whatif_{run_id}_{digest}"
    with st.form(prefix):
        input_form(fields, defaults, prefix)
        st.form_submit_button(_("Show the new prediction"))
    after_row = build_row(fields, form_values(fields, defaults, prefix), inputs.X)[list(selected.inputs.columns)]
    after_row.index = selected.inputs.index
    native_after = explain(ws, run_id, after_row)
    before, after = in_space(selected.explanation, space), in_space(native_after, space)
    comparison = get_whatif_df(before, after, selected.inputs, after_row)
    c1, c2 = st.columns(2)
    with c1:
        waterfall = get_waterfall_df(before, 0)
        chart(
            cache.built(plot_waterfall, waterfall, before.base_value, _("Before")),
            caption_waterfall(waterfall, before.base_value),
            key="whatif_before",
        )
    with c2:
        waterfall = get_waterfall_df(after, 0)
        chart(
            cache.built(plot_waterfall, waterfall, after.base_value, _("After the changes")),
            caption_waterfall(waterfall, after.base_value),
            key="whatif_after",
        )
    st.text(caption_whatif(selected.explanation, native_after, selected.inputs, after_row, fields))
    if comparison["changed"].any():
        st.dataframe(format_whatif_df(comparison, get_space(after)), hide_index=True, width="stretch")
