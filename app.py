"""MLOps Studio home: the lesson's pipeline diagram, projects, the one-click full demo and the guided
step-by-step demo."""

import streamlit as st

from core import pipeline
from core.formatting import format_count
from core.glossary import readable_columns
from core.i18n import N_, _, ngettext
from core.workspace import jobs, projects
from core.workspace.errors import StudioError
from ui.diagram import pipeline_diagram
from ui.frame import PAGES, page_setup
from ui.guide_panel import open_guide, start_steps
from ui.language import choose_language
from ui.spec_panel import spec_section
from ui.state import forget_project, link_params, select_project
from ui.templates_panel import template_gallery
from ui.text import escape_markdown
from ui.widgets import flash, job_panel, show_flash, user_errors

INTRO = N_("Take a table of data from upload to a monitored, retrainable model, one stage at a time.")
choose_language()  # before the intro is translated (page_setup settles it again)
ws, project = page_setup("MLOps Studio", ":material/hub:", _(INTRO))  # i18n: skip (the product name)

# -- The lesson's pipeline diagram, each node with its status, linking to its page -----------------
pipeline_diagram(ws, project)
show_flash()
status = projects.get_stage_status(ws, project["id"]) if project else {}
stages = [(label, key) for _path, label, _icon, key in PAGES if key]
current = next((label for label, key in stages if not status.get(key)), None)
if project:
    done_count = sum(status.get(k, False) for _label, k in stages)
    progress_text = _("Project **{name}**: {done} of {total} stages done").format(
        name=escape_markdown(project["name"]), done=done_count, total=len(stages)
    )
    st.caption(
        progress_text
        + (_("; next up: **{stage}**.").format(stage=_(current)) if current else _("; the whole loop has run."))
    )
    note = projects.get_build_note(project)
    if note and projects.get_build_note(project, live_only=True):
        # A run still going (the demo after a refresh, a CLI run beside the server): nothing is lost.
        st.info(
            _(
                "This project is {note}; its stages turn green as the run finishes them. "
                "Wait for it before changing anything here."
            ).format(note=escape_markdown(note)),
            icon=":material/construction:",
        )
    elif note:
        error = (
            _(" ({error})").format(error=escape_markdown(project["build_error"])) if project.get("build_error") else ""
        )
        st.warning(
            _(
                "This project is {note}{error}: the pipeline run that made it did not finish. Carry on stage by "
                "stage from the first one not done, or delete it and run again."
            ).format(note=escape_markdown(note), error=error),
            icon=":material/construction:",
        )
else:
    st.caption(
        _(
            "Each box is a stage of the lesson's pipeline; click one to open its page. Green ones are done "
            "for the open project."
        )
    )

st.divider()
left, right = st.columns(2)

# -- One-click full demo, and the same demo step by step ----------------------------------------------
with left:
    st.subheader(_("Run the full demo"))
    st.write(
        _(
            "Runs every stage on the telco churn sample — clean, train and compare, gate, explain, "
            "register, deploy, simulate drifting traffic, monitor and retrain — in a new project."
        )
    )
    # The demo's project is made before its job starts, so the running demo belongs to the project in
    # the URL: a refresh or a page switch finds it again.
    demo = jobs.latest_job(ws, project["id"], "demo") if project else None
    running = demo is not None and demo["status"] == "running"
    full, guided = st.columns(2)
    if full.button(_("Run full demo"), key="run_demo", type="primary", disabled=running, width="stretch"):
        demo_project = projects.create_unique_project(ws, pipeline.DEMO_PROJECT_NAME, source=pipeline.DEFAULT_SAMPLE)

        def work(progress, project_id=demo_project["id"]):
            summary = pipeline.run_demo(ws, progress=progress, project_id=project_id)
            return {"project_id": project_id, "summary": summary}

        jobs.start_job(ws, demo_project["id"], "demo", work)
        select_project(demo_project["id"])
        st.rerun()
    if guided.button(
        _("Run the demo step by step"), key="run_guided_demo", icon=":material/footprint:", width="stretch"
    ):
        # A project of its own; its first step starts at once and the guide opens on the Data page.
        guided_project = projects.create_unique_project(
            ws, _(pipeline.GUIDED_PROJECT_NAME), source=pipeline.DEFAULT_SAMPLE
        )
        select_project(guided_project["id"])
        start_steps(ws, guided_project["id"], 0)
        open_guide(guided_project["id"], 0)
    st.caption(
        _(
            "Step by step, the demo pauses at each stage with a short narration — what happens, why it "
            "matters, what to look at — and opens that stage's page; Next runs the following stage."
        )
    )
    if demo is not None:
        if running:  # this session saw it run, so it lands on Monitor when it ends
            st.session_state[f"demo_watched_{demo['id']}"] = True

        def landed(job):
            s = job["result"]["summary"]
            if st.session_state.get(f"demo_watched_{job['id']}") and st.session_state.get("demo_landed") != job["id"]:
                st.session_state["demo_landed"] = job["id"]
                st.switch_page("pages/8_Monitor.py", query_params=link_params(job["result"]["project_id"]))
            seconds = sum(s["timings"].values())
            st.success(
                ngettext(
                    "The demo finished in {seconds} second; its story ends on the Monitor page.",
                    "The demo finished in {seconds} seconds; its story ends on the Monitor page.",
                    round(seconds),
                ).format(seconds=format_count(seconds))
            )
            st.page_link(
                "pages/8_Monitor.py",
                label=_("Open Monitor"),
                icon=":material/monitoring:",
                query_params=link_params(job["result"]["project_id"]),
            )

        with user_errors():
            job_panel(ws, demo["id"], on_done=landed)

# -- Projects -----------------------------------------------------------------------------------
with right:
    st.subheader(_("Start a project"))
    st.write(_("Each student works in their own project; everything is saved in the workspace."))
    # A refused name stays in the field to be corrected; a created project opens on the Data page.
    with st.form("new_project", border=False):
        name = st.text_input(_("Project name"), key="new_project_name", placeholder=_("e.g. Churn – Alice"))
        if st.form_submit_button(_("Create project"), key="create_project"):
            try:
                created = projects.create_project(ws, name)
            except StudioError as exc:
                st.error(escape_markdown(exc))
            else:
                select_project(created["id"])
                st.switch_page("pages/1_Data.py", query_params=link_params(created["id"]))
    if project:
        with st.expander(
            _("Rename or delete {name}").format(name=escape_markdown(project["name"])), icon=":material/edit:"
        ):
            with st.form(f"rename_project_{project['id']}", border=False):
                new_name = st.text_input(_("New name"), value=project["name"], key=f"rename_{project['id']}")
                if st.form_submit_button(_("Rename"), key="rename_project"):
                    try:
                        renamed = projects.rename_project(ws, project["id"], new_name)
                    except StudioError as exc:
                        st.error(escape_markdown(exc))
                    else:
                        flash(
                            "success",
                            _("Renamed the project to {name}.").format(name=escape_markdown(renamed["name"])),
                        )
                        st.rerun()
            st.caption(
                _(
                    "Deleting removes everything made in this project — its data versions, models, deployments "
                    "and reports — from the workspace. The audit log keeps a record of what was deleted."
                )
            )
            confirmed = st.checkbox(
                _("Yes, delete {name} and everything made in it").format(name=escape_markdown(project["name"])),
                key=f"confirm_delete_{project['id']}",
            )
            if st.button(_("Delete project"), key="delete_project", icon=":material/delete:", disabled=not confirmed):
                try:
                    removed = projects.delete_project(ws, project["id"])
                except StudioError as exc:
                    st.error(escape_markdown(exc))
                else:
                    forget_project()
                    records = sum(removed["rows"].values())
                    flash(
                        "success",
                        _("Deleted project {name}: {records} and {files}.").format(
                            name=escape_markdown(removed["name"]),
                            records=ngettext("{n} record", "{n} records", records).format(n=format_count(records)),
                            files=ngettext("{n} file", "{n} files", removed["files"]).format(
                                n=format_count(removed["files"])
                            ),
                        ),
                    )
                    st.rerun()
    existing = projects.get_projects_df(ws)
    if len(existing):
        st.dataframe(readable_columns(existing), hide_index=True, width="stretch", key="projects_table")
        st.caption(
            ngettext(
                "{n} project in this workspace, newest first; switch between them in the sidebar.",
                "{n} projects in this workspace, newest first; switch between them in the sidebar.",
                len(existing),
            ).format(n=format_count(len(existing)))
            + " "
            + _("A project a pipeline run (the demo, the command line) did not finish says how far it got.")
        )

st.divider()
template_gallery(ws, project)  # templates and pipeline specs (issue 14)
spec_section(ws, project)

st.divider()
st.markdown(
    _(
        "**How to read this app.** Every chart comes with one sentence saying what it shows and what follows "
        "from it. Decisions — go/no-go, promote, retrain — are shown as decisions, with the evidence beside them."
    )
)
