"""Define a feature: its source (a dataset version of this project), entity, timestamp, a computation
(a row-level expression from the safe set, or a windowed aggregate), owner and description.

A refused definition shows the catalog's one line naming the field; every field keeps what was typed.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.data import datasets
from core.featurestore import catalog, project_features
from core.featurestore.definitions import AGGREGATES, OPERATIONS, FeatureDefinition, parse_expression
from core.i18n import _
from core.workspace.errors import StudioError
from ui import cache
from ui.featurestore_words import AGGREGATE_LABELS, WINDOW_LABELS
from ui.identity import current_person
from ui.text import escape_markdown
from ui.widgets import flash, option_labels

WINDOW_CODES = list(WINDOW_LABELS)  # "all" is no window: the whole history


def _dataset_label(row: dict[str, Any]) -> str:
    return _("{name} · {kind} version {version} ({rows} rows)").format(
        name=row["name"], kind=_(row["kind"]), version=row["version"], rows=row["rows"]
    )


def define_panel(ws, project: dict[str, Any]) -> None:
    pid = int(project["id"])
    versions = datasets.list_datasets(ws, pid)
    if not versions:
        st.info(_("This project has no table yet: upload one on the Data page to define features from it."))
        return
    by_id = {int(row["id"]): row for row in versions}
    source_id = st.selectbox(
        _("Source table (a dataset version of this project)"),
        list(by_id),
        format_func=lambda i: _dataset_label(by_id[i]),
        key="fs_source",
        help=_("The table of events the feature is computed from: one row per event, with an entity and a time."),
    )
    columns = [str(c) for c in cache.dataset(ws, int(source_id)).columns]
    with st.form("fs_define_form", border=True):
        c1, c2 = st.columns(2)
        name = c1.text_input(
            _("Name"),
            key="fs_name",
            placeholder="chargebacks_30d",
            help=_("Lowercase letters, digits and underscores."),
        )
        entity = c1.selectbox(
            _("Entity (whose feature it is)"),
            columns,
            index=None,
            key="fs_entity",
            placeholder=_("Choose a column, e.g. customer_id"),
        )
        timestamp = c1.selectbox(
            _("Timestamp (when each event happened)"),
            columns,
            index=None,
            key="fs_timestamp",
            placeholder=_("Choose the time column"),
        )
        expression = c2.text_input(
            _("Expression (per event)"),
            key="fs_expression",
            placeholder="ratio(amount, limit)",  # i18n: skip (the expression language is not translated)
            help=_(
                "A column name, or one of: {operations}. For example log1p(amount), clip(amount, 0, 500), "
                "equals(kind, 'chargeback'). Leave it empty to count events."
            ).format(operations=", ".join(OPERATIONS)),
        )
        aggregate = c2.selectbox(
            _("Aggregate per entity"),
            list(AGGREGATES),
            index=list(AGGREGATES).index("last"),
            format_func=option_labels({k: _(v) for k, v in AGGREGATE_LABELS.items()}),
            key="fs_aggregate",
        )
        window = c2.selectbox(
            _("Window"),
            WINDOW_CODES,
            format_func=option_labels({k: _(v) for k, v in WINDOW_LABELS.items()}),
            key="fs_window",
            help=_("Only the events in this window before each moment count (the moment itself left out)."),
        )
        who = current_person()
        owner = st.text_input(_("Owner"), value=who.name if who is not None else "", key="fs_owner")
        description = st.text_area(_("Description"), key="fs_description", height=80)
        add_here = st.checkbox(_("Use it in this project too"), value=True, key="fs_add_here")
        submitted = st.form_submit_button(_("Define feature"), type="primary", key="fs_define_submit")
    if not submitted:
        return
    try:
        stored = catalog.register_definition(
            ws,
            FeatureDefinition(
                name=name.strip(),
                entity=entity or "",
                timestamp=timestamp or "",
                expression=parse_expression(expression, name.strip()) if expression.strip() else None,
                aggregate=str(aggregate),
                window=None if window == "all" else str(window),
                owner=owner,
                description=description,
                source_dataset_id=int(source_id),
            ),
        )
        if add_here:
            project_features.add_to_project(ws, pid, stored["name"], int(stored["version"]))  # replaces an older one
    except StudioError as exc:  # one line naming the field; the form keeps every value
        st.error(escape_markdown(exc))
        return
    flash(
        "success",
        _("Feature {name} version {version} is in the catalog.").format(
            name=escape_markdown(stored["name"]), version=stored["version"]
        ),
    )
    st.rerun()
