"""Home's "New project from a template": one card per template of ``core.spec.templates`` (title, why it
is set up that way, a button) that creates the project from the template's spec, then one click runs it
to a monitored deployment (``ui.spec_panel``: a job with progress that lands on Monitor)."""

from __future__ import annotations

import streamlit as st

from core.i18n import _
from core.spec.templates import Template, list_templates
from core.workspace.database import Workspace
from core.workspace.errors import StudioError
from ui.spec_panel import DATA_TYPES, create_from_spec, run_button, spec_run_status, with_target
from ui.text import escape_markdown
from ui.widgets import flash, user_errors

#: Session key: the project each template made in this session (ids only), so its card offers the run.
CREATED_KEY = "template_created_{code}"
COLUMNS = 2


def template_gallery(ws: Workspace, project: dict | None) -> None:
    """The gallery, and the open project's spec run (its progress, or the link to Monitor)."""
    st.subheader(_("New project from a template"))
    st.write(
        _(
            "Each template is a pipeline spec with a use case's choices already made — its data, cleaning, "
            "problem, costs, validation, deployment and monitoring. Create the project, then one click runs it "
            "to a monitored deployment."
        )
    )
    spec_run_status(ws, project)
    templates = list_templates()
    columns = st.columns(COLUMNS)
    for i, template in enumerate(templates):
        with columns[i % COLUMNS], st.container(border=True, key=f"template_card_{template.code}"):
            _card(ws, template, project)


def _card(ws: Workspace, template: Template, project: dict | None) -> None:
    st.markdown(f"**{_(template.title)}**")
    st.write(_(template.paragraph))
    created = st.session_state.get(CREATED_KEY.format(code=template.code))
    if project is not None and created == project["id"]:
        # This session made the open project from this template: the one click that runs it.
        st.caption(
            _("Project {name} is ready; run every stage on it now, or go on stage by stage.").format(
                name=escape_markdown(project["name"])
            )
        )
        with user_errors():
            run_button(ws, project, _spec_for(template, project), key=f"template_run_{template.code}")
        return
    upload = None
    target = None
    if template.needs_data:
        upload = st.file_uploader(
            _("Your table (CSV, TSV, TXT, Excel or Parquet)"), type=DATA_TYPES, key=f"template_data_{template.code}"
        )
        if upload is not None:
            target = _target_picker(template, upload)
    disabled = template.needs_data and (upload is None or target is None)
    if st.button(
        _("Create project"),
        key=f"template_create_{template.code}",
        icon=":material/add_circle:",
        disabled=disabled,
        width="stretch",
    ):
        with user_errors():
            spec = template.spec if target is None else with_target(template.spec, target)
            made = create_from_spec(ws, spec, upload=upload)
            st.session_state[CREATED_KEY.format(code=template.code)] = made["id"]
            if target is not None:
                st.session_state[f"template_run_target_{made['id']}"] = target
            flash(
                "success",
                _("Created project {name} from the template “{template}”.").format(
                    name=escape_markdown(made["name"]), template=_(template.title)
                ),
            )
            st.rerun()


def _spec_for(template: Template, project: dict):
    target = st.session_state.get(f"template_run_target_{project['id']}")
    return template.spec if target is None else with_target(template.spec, target)


def _target_picker(template: Template, upload) -> str | None:
    """The column to predict, among the uploaded table's columns (read as the Data page reads it)."""
    from core.data.reader import ReadOptions
    from ui.cache import read_upload

    try:
        df, _info = read_upload(upload.getvalue(), ReadOptions())
    except StudioError as exc:
        st.error(escape_markdown(exc))
        return None
    columns = [str(c) for c in df.columns]
    return st.selectbox(
        _("Column to predict (the target)"),
        columns,
        index=None,
        key=f"template_target_{template.code}",
        placeholder=_("Choose a column"),
    )
