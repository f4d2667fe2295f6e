"""The cleaning-recipe editor of the Data page: a list of steps, each removable (undo), a form to
add one, and a preview of what the recipe does. The draft lives in the workspace, not in the
session, so a refresh or a page switch loses nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from core.formatting import format_count, format_percent
from core.i18n import N_, _, ngettext
from core.workspace.errors import StudioError
from ui.text import escape_markdown
from ui.widgets import option_labels

ADDABLE = {
    "drop_columns": N_("Drop columns"),
    "rename_columns": N_("Rename a column"),
    "to_numeric": N_("Turn text into numbers"),
    "to_datetime": N_("Turn text into dates"),
    "to_boolean": N_("Turn yes/no text into true/false"),
    "trim_whitespace": N_("Trim stray spaces"),
    "unify_categories": N_("Unify spellings of the same category"),
    "group_rare": N_("Group rare categories into 'Other'"),
    "impute": N_("Fill missing values"),
    "outliers": N_("Handle outliers"),
    "drop_duplicates": N_("Drop duplicate rows"),
    "filter_rows": N_("Keep only rows that match a condition"),
}
IMPUTE_LABELS = {
    "median": N_("the median"),
    "mean": N_("the mean"),
    "mode": N_("the most common value"),
    "constant": N_("a value you type"),
    "indicator": N_("a typical value, plus a column that flags the filled rows"),
}
OPERATOR_LABELS = {
    "in": N_("is one of"),
    "not_in": N_("is not one of"),
    "is_missing": N_("is missing"),
    "not_missing": N_("is not missing"),
}
OUTLIER_METHOD_LABELS = {"iqr": N_("IQR fences"), "zscore": N_("z-score")}
OUTLIER_ACTION_LABELS = {"clip": N_("clip to the bounds"), "drop": N_("drop the rows")}


def _translated(labels: dict) -> Callable[[Any], str]:
    """``option_labels`` in the session's language: the options stay codes, their labels are translated."""
    return option_labels({code: _(label) for code, label in labels.items()})


def _operator(code: str) -> str:
    return _(OPERATOR_LABELS[code]) if code in OPERATOR_LABELS else code


def get_draft(ws, project_id: int, raw_id: int, suggested: CleaningRecipe) -> CleaningRecipe:
    return datasets.load_recipe_draft(ws, project_id, raw_id) or suggested


def render_steps(
    ws, project_id: int, raw_id: int, draft: CleaningRecipe, suggested: CleaningRecipe, reports: list[StepReport]
) -> None:
    """The numbered steps with what each did on this table, and a remove button per step."""
    if not draft.steps:
        st.info(_("The recipe is empty: the cleaned table will be the raw table as it is."))
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
        if right.button("✕", key=f"remove_step_{raw_id}_{i}", help=_("Remove this step (undo)")):
            datasets.save_recipe_draft(ws, project_id, raw_id, draft.without_step(i))
            st.rerun()
    c1, c2 = st.columns(2)
    if c1.button(_("Undo the last step"), key=f"undo_{raw_id}", disabled=not draft.steps):
        datasets.save_recipe_draft(ws, project_id, raw_id, draft.without_step(len(draft.steps) - 1))
        st.rerun()
    if c2.button(_("Reset to the suggested recipe"), key=f"reset_{raw_id}"):
        datasets.save_recipe_draft(ws, project_id, raw_id, suggested)
        st.rerun()


def render_offers(ws, project_id: int, raw_id: int, draft: CleaningRecipe, offers: tuple[CleaningOffer, ...]) -> None:
    """Suggested steps left out because they remove many rows, drop columns or blank values: each with
    what it would do and why, added only when the user says so."""
    waiting = [(i, offer) for i, offer in enumerate(offers) if offer.step not in draft.steps]
    if not waiting:
        return
    st.markdown(
        _(
            "**Suggested, not applied** — each would remove many rows, drop a column or blank many values, "
            "so it is yours to decide:"
        )
    )
    for i, offer in waiting:
        with st.container(border=True):
            left, right = st.columns([5, 1], vertical_alignment="center")
            with left:
                # Plain text: the step names columns (user text).
                st.text(_("{step}: would {effect}.").format(step=describe_step(offer.step), effect=offer.effect()))
                st.text(offer.why)
            if right.button(_("Add this step"), key=f"add_offer_{raw_id}_{i}"):
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
        _("Add a step"),
        list(ADDABLE),
        format_func=_translated(ADDABLE),
        key=f"add_op_{raw_id}",
        index=None,
        placeholder=_("Choose what to do…"),
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
            chosen = st.multiselect(_("Columns"), choices, key=f"{key}_cols", placeholder=_("Choose one or more"))
            params: dict = {"columns": chosen}
            if op == "to_numeric":
                # Start from the number format the file was read with (or the one the values are written in).
                # The widgets are keyed on the first column, so choosing another column starts from its format.
                first = chosen[0] if chosen else None
                decimal, thousands = get_number_format(df[first] if first else pd.Series(dtype="str"), read_info)
                c1, c2 = st.columns(2)
                params["decimal"] = c1.selectbox(
                    _("Decimal mark"), DECIMAL_MARKS, key=f"{key}_dec_{first}", index=DECIMAL_MARKS.index(decimal)
                )
                params["thousands"] = c2.selectbox(
                    _("Thousands separator"),
                    THOUSANDS_SEPARATORS,
                    key=f"{key}_th_{first}",
                    index=THOUSANDS_SEPARATORS.index(thousands),
                    format_func=lambda v: _("none") if v is None else repr(v),
                )
            if op == "to_datetime":
                fmt = st.text_input(_("Date format (blank = detect), e.g. %d/%m/%Y"), key=f"{key}_fmt")
                params["format"] = fmt or None
            step = CleaningStep(op, params) if chosen else None
        elif op == "rename_columns":
            c1, c2 = st.columns(2)
            old = c1.selectbox(_("Column"), columns, key=f"{key}_old")
            new = c2.text_input(_("New name"), key=f"{key}_new")
            step = CleaningStep(op, {"mapping": {old: new.strip()}}) if new.strip() else None
        elif op == "unify_categories":
            column = st.selectbox(_("Column"), text, key=f"{key}_col")
            mapping = get_spelling_variants(df[column]) if column else {}
            found = ", ".join(f"'{k}' → '{v}'" for k, v in list(mapping.items())[:6]) or _("none")  # i18n: skip
            st.caption(
                ngettext(
                    "{n} spelling variant found: {variants}", "{n} spelling variants found: {variants}", len(mapping)
                ).format(n=len(mapping), variants=escape_markdown(found))
            )
            step = CleaningStep(op, {"column": column, "mapping": mapping}) if mapping else None
        elif op == "group_rare":
            column = st.selectbox(_("Column"), text, key=f"{key}_col")
            share = st.slider(_("Rare means under this share of rows"), 0.001, 0.2, 0.01, key=f"{key}_share")
            step = make_group_rare_step(df, column, min_share=share) if column else None
        elif op == "impute":
            c1, c2 = st.columns(2)
            column = c1.selectbox(_("Column"), [c for c in columns if df[c].isna().any()] or columns, key=f"{key}_col")
            strategy = c2.selectbox(
                _("Fill with"), IMPUTE_STRATEGIES, key=f"{key}_how", format_func=_translated(IMPUTE_LABELS)
            )
            value = (
                st.text_input(_("Value (for 'a value you type')"), key=f"{key}_value")
                if strategy == "constant"
                else None
            )
            if column and (strategy != "constant" or value):
                step = make_impute_step(df, column, strategy, _typed(value, df[column]) if value else None)
        elif op == "outliers":
            c1, c2, c3 = st.columns(3)
            column = c1.selectbox(_("Numeric column"), numeric, key=f"{key}_col")
            method = c2.selectbox(
                _("Method"),
                ["iqr", "zscore"],
                key=f"{key}_method",
                format_func=_translated(OUTLIER_METHOD_LABELS),
            )
            action = c3.selectbox(
                _("Action"),
                ["clip", "drop"],
                key=f"{key}_action",
                format_func=_translated(OUTLIER_ACTION_LABELS),
            )
            step = make_outlier_step(df, column, method=method, action=action) if column else None
        elif op == "drop_duplicates":
            subset = st.multiselect(
                _("Compare only these columns (blank = all)"),
                columns,
                key=f"{key}_subset",
                placeholder=_("All columns"),
            )
            step = CleaningStep(op, {"subset": subset or None})
        elif op == "filter_rows":
            c1, c2, c3 = st.columns(3)
            column = c1.selectbox(_("Column"), columns, key=f"{key}_col")
            operator = c2.selectbox(_("Condition"), FILTER_OPERATORS, key=f"{key}_op", format_func=_operator)
            raw_value = (
                ""
                if operator in ("is_missing", "not_missing")
                else c3.text_input(_("Value (for 'is one of': comma-separated)"), key=f"{key}_value")
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
        st.caption(_("Will add: {step}").format(step=escape_markdown(describe_step(step))))
        _render_step_effect(step, df if current is None else current)
    if st.button(_("Add step"), key=f"add_step_{raw_id}", disabled=step is None):
        assert step is not None  # the button is disabled without a step
        datasets.save_recipe_draft(ws, project_id, raw_id, draft.with_step(step))
        st.session_state.pop(f"add_op_{raw_id}", None)  # an empty form for the next step
        st.rerun()


def _render_step_effect(step: CleaningStep, current: pd.DataFrame) -> None:
    """Before a step is added: how many rows it removes, and a warning if it blanks most of a column."""
    try:
        _table, report = apply_step(current, step)
    except StudioError as exc:
        st.error(escape_markdown(exc))  # it quotes the column and the value typed
        return
    removed = report.rows_before - report.rows_after
    if removed:
        share = removed / max(report.rows_before, 1)
        (st.warning if share > 0.05 else st.caption)(
            _("On this table it removes {removed} of {rows} rows ({share}).").format(
                removed=format_count(removed), rows=format_count(report.rows_before), share=format_percent(share)
            )
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
