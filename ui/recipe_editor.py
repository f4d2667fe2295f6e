"""The cleaning-recipe editor of the Data page: a list of steps, each removable (undo), a form to
add one, and a preview of what the recipe does. The draft lives in the workspace, not in the
session, so a refresh or a page switch loses nothing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import datasets
from core.data.cleaning import (
    DECIMAL_MARKS,
    FILTER_OPERATORS,
    IMPUTE_STRATEGIES,
    THOUSANDS_SEPARATORS,
    CleaningOffer,
    CleaningRecipe,
    CleaningStep,
    StepReport,
    apply_step,
    describe_step,
    get_number_format,
    make_group_rare_step,
    make_impute_step,
    make_outlier_step,
    with_offer,
)
from core.data.columns import get_spelling_variants
from core.workspace.errors import StudioError
from ui.text import escape_markdown
from ui.widgets import option_labels

ADDABLE = {
    "drop_columns": "Drop columns",
    "rename_columns": "Rename a column",
    "to_numeric": "Turn text into numbers",
    "to_datetime": "Turn text into dates",
    "to_boolean": "Turn yes/no text into true/false",
    "trim_whitespace": "Trim stray spaces",
    "unify_categories": "Unify spellings of the same category",
    "group_rare": "Group rare categories into 'Other'",
    "impute": "Fill missing values",
    "outliers": "Handle outliers",
    "drop_duplicates": "Drop duplicate rows",
    "filter_rows": "Keep only rows that match a condition",
}


def get_draft(ws, project_id: int, raw_id: int, suggested: CleaningRecipe) -> CleaningRecipe:
    return datasets.load_recipe_draft(ws, project_id, raw_id) or suggested


def render_steps(
    ws, project_id: int, raw_id: int, draft: CleaningRecipe, suggested: CleaningRecipe, reports: list[StepReport]
) -> None:
    """The numbered steps with what each did on this table, and a remove button per step."""
    if not draft.steps:
        st.info("The recipe is empty: the cleaned table will be the raw table as it is.")
    for i, step in enumerate(draft.steps):
        left, right = st.columns([12, 1], vertical_alignment="center")
        report = reports[i] if i < len(reports) else None
        done = report.summary if report else ""
        left.markdown(
            f"**{i + 1}.** {escape_markdown(describe_step(step))}"
            + (f"  \n:gray[{escape_markdown(done)}]" if done else "")
        )
        if report is not None and report.warning:
            left.warning(escape_markdown(report.warning), icon=":material/warning:")
        if right.button("✕", key=f"remove_step_{raw_id}_{i}", help="Remove this step (undo)"):
            datasets.save_recipe_draft(ws, project_id, raw_id, draft.without_step(i))
            st.rerun()
    c1, c2 = st.columns(2)
    if c1.button("Undo the last step", key=f"undo_{raw_id}", disabled=not draft.steps):
        datasets.save_recipe_draft(ws, project_id, raw_id, draft.without_step(len(draft.steps) - 1))
        st.rerun()
    if c2.button("Reset to the suggested recipe", key=f"reset_{raw_id}"):
        datasets.save_recipe_draft(ws, project_id, raw_id, suggested)
        st.rerun()


def render_offers(ws, project_id: int, raw_id: int, draft: CleaningRecipe, offers: tuple[CleaningOffer, ...]) -> None:
    """Suggested steps left out because they remove many rows, drop columns or blank values: each with
    what it would do and why, added only when the user says so."""
    waiting = [(i, offer) for i, offer in enumerate(offers) if offer.step not in draft.steps]
    if not waiting:
        return
    st.markdown(
        "**Suggested, not applied** — each would remove many rows, drop a column or blank many values, "
        "so it is yours to decide:"
    )
    for i, offer in waiting:
        with st.container(border=True):
            left, right = st.columns([5, 1], vertical_alignment="center")
            with left:
                # Plain text: the step names columns (user text).
                st.text(f"{describe_step(offer.step)}: would {offer.effect()}.")
                st.text(offer.why)
            if right.button("Add this step", key=f"add_offer_{raw_id}_{i}"):
                datasets.save_recipe_draft(ws, project_id, raw_id, with_offer(draft, offer))
                st.rerun()


def render_add_step(
    ws,
    project_id: int,
    raw_id: int,
    draft: CleaningRecipe,
    df: pd.DataFrame,
    current: pd.DataFrame | None = None,
    read_info: dict | None = None,
) -> None:
    """A small form per kind of step; parameters that depend on the data are resolved when added.

    `current` is the table as the draft leaves it: the step is tried on it first, so what it would
    remove or blank is said before it is added. `read_info` gives the number format the file uses."""
    op = st.selectbox(
        "Add a step",
        list(ADDABLE),
        format_func=option_labels(ADDABLE),
        key=f"add_op_{raw_id}",
        index=None,
        placeholder="Choose what to do…",
    )
    if op is None:
        return
    columns = list(df.columns)
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(df[c])]
    text = [c for c in columns if c not in numeric and not pd.api.types.is_datetime64_any_dtype(df[c])]
    key = f"{op}_{raw_id}"
    step = None
    try:
        if op in ("drop_columns", "to_numeric", "to_datetime", "to_boolean", "trim_whitespace"):
            choices = columns if op == "drop_columns" else text
            chosen = st.multiselect("Columns", choices, key=f"{key}_cols")
            params: dict = {"columns": chosen}
            if op == "to_numeric":
                # Start from the number format the file was read with (or the one the values are written in).
                # The widgets are keyed on the first column, so choosing another column starts from its format.
                first = chosen[0] if chosen else None
                decimal, thousands = get_number_format(df[first] if first else pd.Series(dtype="str"), read_info)
                c1, c2 = st.columns(2)
                params["decimal"] = c1.selectbox(
                    "Decimal mark", DECIMAL_MARKS, key=f"{key}_dec_{first}", index=DECIMAL_MARKS.index(decimal)
                )
                params["thousands"] = c2.selectbox(
                    "Thousands separator",
                    THOUSANDS_SEPARATORS,
                    key=f"{key}_th_{first}",
                    index=THOUSANDS_SEPARATORS.index(thousands),
                    format_func=lambda v: "none" if v is None else repr(v),
                )
            if op == "to_datetime":
                fmt = st.text_input("Date format (blank = detect), e.g. %d/%m/%Y", key=f"{key}_fmt")
                params["format"] = fmt or None
            step = CleaningStep(op, params) if chosen else None
        elif op == "rename_columns":
            c1, c2 = st.columns(2)
            old = c1.selectbox("Column", columns, key=f"{key}_old")
            new = c2.text_input("New name", key=f"{key}_new")
            step = CleaningStep(op, {"mapping": {old: new.strip()}}) if new.strip() else None
        elif op == "unify_categories":
            column = st.selectbox("Column", text, key=f"{key}_col")
            mapping = get_spelling_variants(df[column]) if column else {}
            st.caption(
                f"{len(mapping)} spelling variant(s) found: "
                + escape_markdown(", ".join(f"'{k}' → '{v}'" for k, v in list(mapping.items())[:6]) or "none")
            )
            step = CleaningStep(op, {"column": column, "mapping": mapping}) if mapping else None
        elif op == "group_rare":
            column = st.selectbox("Column", text, key=f"{key}_col")
            share = st.slider("Rare means under this share of rows", 0.001, 0.2, 0.01, key=f"{key}_share")
            step = make_group_rare_step(df, column, min_share=share) if column else None
        elif op == "impute":
            c1, c2 = st.columns(2)
            column = c1.selectbox("Column", [c for c in columns if df[c].isna().any()] or columns, key=f"{key}_col")
            strategy = c2.selectbox("Fill with", IMPUTE_STRATEGIES, key=f"{key}_how")
            value = st.text_input("Value (for 'constant')", key=f"{key}_value") if strategy == "constant" else None
            if column and (strategy != "constant" or value):
                step = make_impute_step(df, column, strategy, _typed(value, df[column]) if value else None)
        elif op == "outliers":
            c1, c2, c3 = st.columns(3)
            column = c1.selectbox("Numeric column", numeric, key=f"{key}_col")
            method = c2.selectbox(
                "Method",
                ["iqr", "zscore"],
                key=f"{key}_method",
                format_func=option_labels({"iqr": "IQR fences", "zscore": "z-score"}),
            )
            action = c3.selectbox(
                "Action",
                ["clip", "drop"],
                key=f"{key}_action",
                format_func=option_labels({"clip": "clip to the bounds", "drop": "drop the rows"}),
            )
            step = make_outlier_step(df, column, method=method, action=action) if column else None
        elif op == "drop_duplicates":
            subset = st.multiselect("Compare only these columns (blank = all)", columns, key=f"{key}_subset")
            step = CleaningStep(op, {"subset": subset or None})
        elif op == "filter_rows":
            c1, c2, c3 = st.columns(3)
            column = c1.selectbox("Column", columns, key=f"{key}_col")
            operator = c2.selectbox("Condition", FILTER_OPERATORS, key=f"{key}_op")
            raw_value = (
                ""
                if operator in ("is_missing", "not_missing")
                else c3.text_input("Value (for in / not_in: comma-separated)", key=f"{key}_value")
            )
            if column and (raw_value or operator in ("is_missing", "not_missing")):
                filter_value = (
                    [_typed(v.strip(), df[column]) for v in raw_value.split(",")]
                    if operator in ("in", "not_in")
                    else _typed(raw_value, df[column])
                    if raw_value
                    else None
                )
                step = CleaningStep(op, {"column": column, "operator": operator, "value": filter_value})
    except StudioError as exc:
        st.error(escape_markdown(exc))
        return
    if step is not None:
        st.caption(f"Will add: {escape_markdown(describe_step(step))}")
        _render_step_effect(step, df if current is None else current)
    if st.button("Add step", key=f"add_step_{raw_id}", disabled=step is None):
        assert step is not None  # the button is disabled without a step
        datasets.save_recipe_draft(ws, project_id, raw_id, draft.with_step(step))
        st.session_state.pop(f"add_op_{raw_id}", None)  # an empty form for the next step
        st.rerun()


def _render_step_effect(step: CleaningStep, current: pd.DataFrame) -> None:
    """Before a step is added: how many rows it removes, and a warning if it blanks most of a column."""
    try:
        _, report = apply_step(current, step)
    except StudioError as exc:
        st.error(escape_markdown(exc))  # it quotes the column and the value typed
        return
    removed = report.rows_before - report.rows_after
    if removed:
        share = removed / max(report.rows_before, 1)
        (st.warning if share > 0.05 else st.caption)(
            f"On this table it removes {removed:,} of {report.rows_before:,} rows ({share:.1%})."
        )
    if report.warning:
        st.warning(escape_markdown(report.warning), icon=":material/warning:")


def _typed(text: str, column: pd.Series):
    """A user's typed value, as a number when the column holds numbers."""
    if pd.api.types.is_numeric_dtype(column):
        try:
            return float(text)
        except ValueError:
            return text
    return text
