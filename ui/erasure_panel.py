"""The Data page's erasure panel (the right to erasure): pick the column that identifies a person, type
their value, confirm, and ``core.security.erasure.erase_entity`` removes them from every dataset, table
artifact and prediction log of the workspace; the panel then says where from and which models were
trained on data that held them (to retrain: erasure does not)."""

from __future__ import annotations

import streamlit as st

from core.formatting import format_count
from core.i18n import _, ngettext
from core.security.erasure import erase_entity
from ui.text import escape_markdown
from ui.widgets import user_errors


def render_erasure_panel(ws, project_id: int, columns: list[str]) -> None:
    with st.expander(_("Erase a person (right to erasure)"), icon=":material/person_remove:"):
        st.write(
            _(
                "A person may ask to be forgotten (LGPD art. 18, GDPR art. 17). Erasing removes their rows from every "
                "version of the data, the feature tables and the prediction log; models already trained on them are "
                "listed for retraining, not changed."
            )
        )
        c1, c2 = st.columns(2)
        column = c1.selectbox(_("Column that identifies the person"), columns, key=f"erase_column_{project_id}")
        value = c2.text_input(_("Their value in that column"), key=f"erase_value_{project_id}")
        sure = st.checkbox(
            _("I understand this cannot be undone: the rows are deleted, not hidden."), key=f"erase_sure_{project_id}"
        )
        if st.button(
            _("Erase this person"),
            key=f"erase_button_{project_id}",
            type="primary",
            disabled=not (sure and value.strip()),
        ):
            with user_errors():
                result = erase_entity(ws, project_id, column, value)
                st.cache_data.clear()  # cached tables were read before the erasure
                _show(result)


def _show(result) -> None:
    if not result.found:
        st.info(
            _("Nothing in the workspace holds that value in {column}; nothing was changed.").format(
                column=escape_markdown(result.column)
            )
        )
        return
    st.success(
        _(
            "Erased: {datasets} from the data versions, {others} from other tables, {log} in the prediction log. "
            "The audit log records the erasure without the value."
        ).format(
            datasets=ngettext("{n} row", "{n} rows", result.dataset_rows).format(n=format_count(result.dataset_rows)),
            others=ngettext("{n} row", "{n} rows", result.artifact_rows).format(n=format_count(result.artifact_rows)),
            log=ngettext("{n} answer", "{n} answers", result.log_rows).format(n=format_count(result.log_rows)),
        )
    )
    if result.models_to_retrain:
        names = ", ".join(f"{m['name']} v{m['version']}" for m in result.models_to_retrain)
        st.warning(
            _(
                "These models were trained on data that held this person and were not retrained: {models}. "
                "Retrain them so they forget the person too."
            ).format(models=escape_markdown(names)),
            icon=":material/warning:",
        )
