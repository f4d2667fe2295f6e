"""How one of the top features moves the prediction, on the Explain page: its dependence plot
(value vs effect, coloured by the feature it interacts with most) beside its partial dependence
with one ICE line per row."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.explain.dependence import caption_dependence, choose_interaction, get_dependence_df, plot_dependence
from core.explain.partial_dependence import (
    PartialDependence,
    caption_partial_dependence,
    get_partial_dependence,
    plot_partial_dependence,
)
from core.explain.probability import explained_label
from core.explain.result import Explanation
from core.i18n import _
from core.stages.explain import RunInputs
from core.workspace.database import Workspace
from ui import cache
from ui.explain_rows import run_inputs
from ui.fragments import panel_fragment
from ui.widgets import chart

TOP_FEATURES = 5


@st.cache_data(show_spinner=False, max_entries=32)
def _partial_dependence(
    _inputs: RunInputs, ws_path: str, run_id: int, feature: str, class_index: int, output: str
) -> PartialDependence:
    return get_partial_dependence(
        _inputs.pipeline, _inputs.X, feature, _inputs.problem.task, class_index=class_index, output=output
    )


def _output(expl: Explanation, inputs: RunInputs) -> str:
    if inputs.problem.task == "regression":
        return _("predicted {label}").format(label=inputs.problem.target)
    return _("probability of {label}").format(label=explained_label(expl))


@panel_fragment  # its widgets change only this panel: rerun it alone (ui/fragments.py)
def effects_panel(ws: Workspace, run_id: int, expl: Explanation, importance: pd.DataFrame) -> None:
    """Dependence and partial dependence for one of the top features the reader picks (``expl`` in
    the space the page shows)."""
    st.subheader(_("How the top features move the prediction"))
    top = [f for f in importance["feature"].head(TOP_FEATURES) if f in expl.values_df.columns]
    inputs = run_inputs(ws, run_id)
    if not top or expl.shap_df.abs().to_numpy().max() == 0:
        st.info(_("This model gives every row the same prediction, so no feature moves it."))
        return
    feature = st.selectbox(_("Feature"), top, key=f"explain_effect_feature_{run_id}")
    saved = cache.explanation_key(ws, run_id)  # the charts of one saved explanation never change

    def dependence_chart():
        colour_by = choose_interaction(expl, feature)
        dependence = get_dependence_df(expl, feature, colour_by)
        return plot_dependence(dependence, feature, colour_by), caption_dependence(dependence, feature, colour_by)

    c1, c2 = st.columns(2)
    with c1:
        figure, sentence = cache.shared(("dependence", saved, expl.output, feature), dependence_chart)
        chart(figure, sentence, key="dependence")
    with c2:
        if feature in inputs.X.columns:
            index = expl.meta.get("class_index")
            class_index = 1 if index is None else int(index)
            output = _output(expl, inputs)

            def partial_dependence_chart():
                with st.spinner(_("Computing partial dependence…")):
                    result = _partial_dependence(inputs, str(ws.root), run_id, feature, class_index, output)
                return plot_partial_dependence(result), caption_partial_dependence(result)

            figure, sentence = cache.shared(
                ("partial_dependence", str(ws.root), run_id, feature, class_index, output), partial_dependence_chart
            )
            chart(figure, sentence, key="partial_dependence")
        else:
            st.info(_("This feature is made inside the model's preprocessing, so it cannot be set by hand."))
