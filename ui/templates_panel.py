"""Home's "New project from a template": one card per template of ``core.spec.templates`` (title, why it
is set up that way, a button) that creates the project from the template's spec, then one click runs it
to a monitored deployment (``ui.spec_panel``: a job with progress that lands on Monitor)."""

from __future__ import annotations

import streamlit as st

from core.i18n import _
from core.spec.templates import Template, list_templates
from core.workspace.database import Workspace
from ui.spec_panel import DATA_TYPES, create_from_spec, run_button, spec_run_status, target_picker, with_target
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
    st.write(template.describe(escape=escape_markdown))  # amounts in the language's currency
    created = st.session_state.get(CREATED_KEY.format(code=template.code))
    if project is not None and created == project["id"]:
        # This session made the open project from this template: the one click that runs it.
        st.caption(
            _("Project {name} is ready; run every stage on it now, or go on stage by stage.").format(
                name=escape_markdown(project["name"])
            )
        )
        with user_errors():
            run_button(ws, project, template.spec, key=f"template_run_{template.code}")
        return
    upload = None
    target = None
    if template.needs_data:
        upload = st.file_uploader(
            _("Your table (CSV, TSV, TXT, Excel or Parquet)"), type=DATA_TYPES, key=f"template_data_{template.code}"
        )
        if upload is not None:
            target = target_picker(upload, key=f"template_target_{template.code}")
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
            flash(
                "success",
                _("Created project {name} from the template “{template}”.").format(
                    name=escape_markdown(made["name"]), template=_(template.title)
                ),
            )
            st.rerun()
