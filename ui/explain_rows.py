"""The row the Explain page explains: picked from the holdout by its ID or a readable summary (with
search), or typed in by hand through a form built from the model's inputs.

``row_picker`` draws the choice; ``selected_row`` returns it (the row as a one-row frame of model
inputs and its explanation) without drawing anything, so another panel (counterfactuals, a second
local method) takes the very same row. Session state holds only the widgets' values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from core.explain.result import Explanation
from core.explain.rows import (
    KIND_BOOL,
    KIND_CATEGORY,
    KIND_DATE,
    KIND_INTEGER,
    KIND_NUMBER,
    InputField,
    build_row,
    find_id_column,
    get_input_schema,
    get_row_choices_df,
    get_search_placeholder,
    get_training_categories,
    row_defaults,
    search_rows,
)
from core.formatting import format_count
from core.i18n import N_, _, pgettext
from core.stages.explain import RunInputs, explain_row, load_run_inputs
from core.workspace.database import Workspace
from ui.text import escape_markdown
from ui.widgets import option_labels

# Stable codes kept in the session, shown translated.
SOURCE_HOLDOUT = N_("A row of the holdout")
SOURCE_TYPED = N_("A row typed in by hand")
MAX_OPTIONS = 1_000  # rows listed in the picker at once; the search narrows them


@dataclass(frozen=True, eq=False)
class SelectedRow:
    """The row being explained: ``inputs`` one row of the model's input columns, ``explanation`` its
    SHAP values (the model's own space; ``core.explain.probability.to_probability`` gives
    percentage points), ``label`` how the page names it, ``source`` "holdout" or "typed"."""

    inputs: pd.DataFrame
    explanation: Explanation
    label: str
    source: str


@st.cache_resource(show_spinner=False, max_entries=8)
def _run_inputs(_ws: Workspace, ws_path: str, run_id: int) -> RunInputs:
    # Shared by every session: never mutate the pipeline or the holdout.
    return load_run_inputs(_ws, run_id)


def run_inputs(ws: Workspace, run_id: int) -> RunInputs:
    """The run's pipeline, holdout and problem, loaded once per run."""
    return _run_inputs(ws, str(ws.root), run_id)


@st.cache_data(show_spinner=False, max_entries=64)
def _explain_row(_inputs: RunInputs, ws_path: str, run_id: int, row: pd.DataFrame) -> Explanation:
    return explain_row(_inputs, row)


def explain(ws: Workspace, run_id: int, row: pd.DataFrame) -> Explanation:
    """One row's explanation (cached per run and row values)."""
    with st.spinner(_("Explaining the row…")):
        return _explain_row(run_inputs(ws, run_id), str(ws.root), run_id, row)


def _keys(run_id: int) -> dict[str, str]:
    return {
        "source": f"explain_source_{run_id}",
        "search": f"explain_search_{run_id}",
        "pick": f"explain_pick_{run_id}",
        "typed": f"explain_typed_{run_id}",
    }


def input_fields(inputs: RunInputs, used: list[str] | None = None) -> list[InputField]:
    return get_input_schema(inputs.X, inputs.input_columns, used, get_training_categories(inputs.pipeline))


@st.cache_data(show_spinner=False, max_entries=16)
def _id_column(_inputs: RunInputs, ws_path: str, run_id: int) -> str | None:
    return find_id_column(_inputs.X)


@st.cache_data(show_spinner=False, max_entries=16)
def _choices_cached(_inputs: RunInputs, ws_path: str, run_id: int, features: tuple[str, ...]) -> pd.DataFrame:
    id_column = _id_column(_inputs, ws_path, run_id)
    return get_row_choices_df(_inputs.holdout, list(features), _inputs.problem.target, id_column)


def id_column(ws: Workspace, run_id: int) -> str | None:
    """The holdout's row key (``core.data.columns.looks_like_id``), or None; found once per run."""
    return _id_column(run_inputs(ws, run_id), str(ws.root), run_id)


def _choices(ws: Workspace, run_id: int, features: list[str]) -> tuple[pd.DataFrame, str | None]:
    """(one readable line per holdout row, the ID column or None), computed once per run."""
    choices = _choices_cached(run_inputs(ws, run_id), str(ws.root), run_id, tuple(features))
    return choices, id_column(ws, run_id)


def row_picker(ws: Workspace, run_id: int, features: list[str]) -> None:
    """The choice of the row: from the holdout (search, then pick by ID or summary) or typed in.
    ``features``: the model's input features, most important first (they name a row in its summary)."""
    keys = _keys(run_id)
    inputs = run_inputs(ws, run_id)
    source = st.radio(
        _("Which row?"), [SOURCE_HOLDOUT, SOURCE_TYPED], format_func=_, horizontal=True, key=keys["source"]
    )
    if source == SOURCE_HOLDOUT:
        choices, key_column = _choices(ws, run_id, features)
        query = st.text_input(
            _("Search the rows"),
            key=keys["search"],
            placeholder=get_search_placeholder(inputs.holdout, features, inputs.problem.target, key_column),
            help=_("Rows whose summary contains every word typed here."),
        )
        found = search_rows(choices, query)
        if found.empty:
            st.info(
                escape_markdown(
                    _("No row's summary contains {query}; clear the search to see every row.").format(query=repr(query))
                )
            )
            return
        shown = found.head(MAX_OPTIONS)
        labels = dict(zip(shown["index"], shown["label"]))
        counts = {"found": format_count(len(found)), "total": format_count(len(choices))}
        st.selectbox(
            _("Row to explain ({found} of {total}; the first {shown} shown, search to narrow)").format(
                shown=format_count(MAX_OPTIONS), **counts
            )
            if len(found) > MAX_OPTIONS
            else _("Row to explain ({found} of {total})").format(**counts),
            list(labels),
            format_func=option_labels(labels),
            key=keys["pick"],
        )
    else:
        fields = input_fields(inputs, used=features)
        with st.form(keys["typed"]):
            st.caption(_("Values start at the most common category and the median number of the holdout."))
            input_form(fields, row_defaults(fields, None), keys["typed"])
            st.form_submit_button(_("Explain this row"))


def input_form(fields: list[InputField], defaults: dict[str, Any], prefix: str) -> None:
    """A widget per used input field, keyed ``{prefix}_{name}``, starting at ``defaults``; columns
    the model drops are not asked (``form_values`` fills them in)."""
    shown = [f for f in fields if f.used]
    columns = st.columns(3)
    for i, spec in enumerate(shown):
        with columns[i % 3]:
            _field_widget(spec, defaults.get(spec.name, spec.default), f"{prefix}_{spec.name}")


def _field_widget(spec: InputField, value: Any, key: str) -> None:
    """One field; a missing ``value`` (None) starts empty and stays missing unless filled in."""
    label = escape_markdown(spec.name)
    missing = value is None
    if spec.kind == KIND_BOOL:
        st.checkbox(label, value=False if missing else bool(value), key=key)
    elif spec.kind in (KIND_NUMBER, KIND_INTEGER):
        integer = spec.kind == KIND_INTEGER
        number = None if missing else int(round(float(value))) if integer else float(value)
        st.number_input(
            label, value=number, step=1 if integer else None, key=key, placeholder=pgettext("a value", "missing")
        )
    elif spec.kind == KIND_CATEGORY:
        options = list(spec.options)
        current = None if missing else str(value)
        if current is not None and current not in options:
            options = [current, *options]
        index = None if current is None else options.index(current)
        st.selectbox(label, options, index=index, key=key, placeholder=pgettext("a value", "missing"))
    elif spec.kind == KIND_DATE:
        st.date_input(label, value=None if missing else pd.Timestamp(value).date(), key=key)
    else:
        st.text_input(label, value="" if missing else str(value), key=key)


def form_values(fields: list[InputField], defaults: dict[str, Any], prefix: str) -> dict[str, Any]:
    """What the form holds now (a field not drawn yet: its default)."""
    return {
        spec.name: st.session_state.get(f"{prefix}_{spec.name}", defaults.get(spec.name, spec.default))
        for spec in fields
    }


def selected_row(ws: Workspace, project_id: int, run_id: int) -> SelectedRow | None:
    """The row chosen with ``row_picker`` for this run, as model inputs with its explanation; None
    when no row matches the search. Draws nothing, so any panel may call it."""
    del project_id  # the run names the project; kept so callers say which project they show
    keys = _keys(run_id)
    inputs = run_inputs(ws, run_id)
    columns = inputs.input_columns
    if st.session_state.get(keys["source"], SOURCE_HOLDOUT) == SOURCE_TYPED:
        fields = input_fields(inputs)
        values = form_values(fields, row_defaults(fields, None), keys["typed"])
        row = build_row(fields, values, inputs.X)[columns]
        return SelectedRow(row, explain(ws, run_id, row), _("the row typed in"), "typed")
    index = st.session_state.get(keys["pick"])
    if index is None or index not in inputs.X.index:
        if st.session_state.get(keys["search"]):
            return None
        index = inputs.X.index[0]
    row = inputs.X.loc[[index], columns]
    key = id_column(ws, run_id)
    label = f"{key} {row.iloc[0][key]}" if key else _("row {index}").format(index=index)
    return SelectedRow(row, explain(ws, run_id, row), label, "holdout")
