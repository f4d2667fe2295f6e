"""Explain page, the selected row (``ui.explain_rows.selected_row``: a holdout row or one typed in): what
would change its prediction (counterfactuals over the features the user allows to change) and a second
local method beside SHAP. Computation in core.stages.local_explain."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.explain.charts_local import (
    caption_counterfactuals,
    caption_local_methods,
    counterfactual_headers,
    describe_counterfactual,
    get_counterfactual_df,
    get_local_methods_df,
    plot_local_methods,
)
from core.explain.counterfactual import CounterfactualResult
from core.explain.probability import output_words
from core.formatting import format_as, format_count
from core.i18n import _, current_language
from core.stages.local_explain import LocalMethods, RunModel, counterfactual_for, load_run_model, local_methods_for
from core.workspace.database import Workspace, sha256_bytes
from ui.explain_rows import SelectedRow, selected_row
from ui.fragments import panel_fragment
from ui.text import escape_markdown
from ui.widgets import chart, user_errors


@st.cache_resource(show_spinner=False, max_entries=8)
def _run_model(_ws: Workspace, ws_path: str, project_id: int, run_id: int) -> RunModel:
    # Shared by every session: never mutate the pipeline or the training rows.
    return load_run_model(_ws, project_id, run_id)


@st.cache_data(show_spinner=False, max_entries=32)
def _counterfactual(
    _loaded: RunModel,
    ws_path: str,
    run_id: int,
    language: str,
    row: pd.DataFrame,
    actionable: tuple[str, ...],
    desired_class: str | None,
    target_value: float | None,
) -> CounterfactualResult:
    return counterfactual_for(
        _loaded, row, actionable=actionable, desired_class=desired_class, target_value=target_value
    )


@st.cache_data(show_spinner=False, max_entries=32)
def _local_methods(_loaded: RunModel, ws_path: str, run_id: int, language: str, row: pd.DataFrame) -> LocalMethods:
    return local_methods_for(_loaded, row)


ASKED_KEY = "explain_asked"  # session state: digests of the searches this session asked for


def _row_digest(row: pd.DataFrame) -> str:
    return sha256_bytes(row.to_json(orient="split", date_format="iso").encode())[:16]


def _asked(settings: tuple, label: str, key: str, help_text: str) -> bool:
    """Whether the reader asked for this computation with these ``settings`` (a button press, now or
    earlier in the session): the search and the surrogate take seconds of the server's one core, so a
    rerun of the page (any click, by any of 40 students) never starts them by itself. Results are
    cached per (run, row, settings), so what was asked once shows again at once."""
    digest = sha256_bytes(repr(settings).encode())[:16]
    asked: list[str] = st.session_state.setdefault(ASKED_KEY, [])
    if digest in asked:
        return True
    if st.button(label, key=key, help=help_text):
        asked.append(digest)
        del asked[:-50]  # a session keeps its last 50
        return True
    return False


@panel_fragment  # its widgets change only this panel: rerun it alone (ui/fragments.py)
def counterfactual_panel(ws: Workspace, project_id: int, run_id: int) -> None:
    """Counterfactuals and SHAP beside a local surrogate for the row the Explain page selected."""
    selected = selected_row(ws, project_id, run_id)
    if selected is None:
        return
    with user_errors():
        loaded = _run_model(ws, str(ws.root), project_id, run_id)
        row = selected.inputs
        st.subheader(_("What would change this prediction"))
        key = f"cf_{run_id}"
        actionable = st.multiselect(
            _("Features that may change"),
            loaded.features,
            default=[f for f in loaded.features if f not in loaded.fixed_by_default],
            key=f"{key}_actionable",
            placeholder=_("Choose one or more"),
            help=_("Untick what the person cannot change (age, for example): the search keeps it as it is."),
        )
        if loaded.fixed_by_default:
            st.caption(
                escape_markdown(
                    _(
                        "Kept as they are unless you add them: {features} (the problem's "
                        "sensitive column, personal characteristics such as age or gender, and dates)."
                    ).format(features=", ".join(loaded.fixed_by_default))
                )
            )
        desired: str | None = None
        target: float | None = None
        labels, scores = loaded.model.decide(row[loaded.input_columns])
        if loaded.model.task == "regression":
            current = float(scores[0])
            target = st.number_input(
                _("Value the prediction should reach"),
                value=round(current * 1.1 if current else 1.0, 4),
                key=f"{key}_target",
                help=_("The search finds the smallest changes that bring the prediction to this value."),
            )
        else:
            others = [c for c in loaded.model.class_names if c != str(labels[0])]
            desired = st.selectbox(_("Outcome to reach"), others, key=f"{key}_desired")
        settings = (run_id, _row_digest(row), tuple(actionable), desired, target)
        if _asked(
            settings,
            _("Find what would change the decision"),
            f"{key}_find",
            _("The search asks the model about thousands of changed rows: a few seconds, once per row and settings."),
        ):
            _show_counterfactuals(ws, run_id, loaded, row, tuple(actionable), desired, target)
        _surrogate_section(ws, run_id, selected, loaded, key)


def _show_counterfactuals(
    ws: Workspace,
    run_id: int,
    loaded: RunModel,
    row: pd.DataFrame,
    actionable: tuple[str, ...],
    desired: str | None,
    target: float | None,
) -> None:
    with st.spinner(_("Searching for the smallest changes…")):
        result = _counterfactual(loaded, str(ws.root), run_id, current_language(), row, actionable, desired, target)
    st.markdown(escape_markdown(caption_counterfactuals(result)))
    for counterfactual in result.counterfactuals:
        st.markdown("- " + escape_markdown(describe_counterfactual(counterfactual, result)))
    if result.counterfactuals:
        table = get_counterfactual_df(result).rename(columns=counterfactual_headers())
        st.dataframe(table, hide_index=True, width="stretch")
        st.caption(
            _(
                "Distance: each changed category counts 1, each number its move in units of the column's "
                "typical spread (its interquartile range in training); smaller is a smaller change."
            )
        )


def _surrogate_section(ws: Workspace, run_id: int, selected: SelectedRow, loaded: RunModel, key: str) -> None:
    """SHAP beside a local surrogate for the selected row, once asked for."""
    with user_errors():
        row = selected.inputs
        st.subheader(_("A second opinion: SHAP beside a local surrogate"))
        if not _asked(
            (run_id, _row_digest(row), "surrogate"),
            _("Compare with a local surrogate"),
            f"{key}_compare",
            _("Permutation SHAP and a straight line fitted around this row: a few seconds, once per row."),
        ):
            return
        with st.spinner(_("Fitting the local surrogate…")):
            local = _local_methods(loaded, str(ws.root), run_id, current_language(), row)
        methods = get_local_methods_df(local.shap, local.surrogate)
        chart(
            plot_local_methods(methods, local.units),
            caption_local_methods(local.agreement, local.surrogate),
            key=f"{key}_methods",
        )
        st.caption(
            escape_markdown(
                _(
                    "Both in effect on the {explained}, for {row}. SHAP here is model-agnostic "
                    "permutation SHAP against 200 training rows; the local surrogate is a LIME-style straight line "
                    "fitted to {samples} seeded variations of this row (weighted R² "
                    "{r2}: how much of the model's behaviour near the row the line captures)."
                ).format(
                    explained=output_words(local.explained),
                    row=selected.label,
                    samples=format_count(local.surrogate.samples),
                    r2=format_as(local.surrogate.r2, ".2f"),
                )
            )
        )
