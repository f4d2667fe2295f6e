"""MLOps Studio home: the pipeline at a glance, projects, and the one-click full demo."""

import streamlit as st

from core import pipeline
from core.workspace import jobs, projects
from core.workspace.errors import StudioError
from ui.frame import PAGES, page_setup
from ui.state import forget_project, select_project
from ui.text import escape_markdown
from ui.widgets import flash, job_panel, show_flash, user_errors

ws, project = page_setup(
    "MLOps Studio",
    ":material/hub:",
    "Take a table of data from upload to a monitored, retrainable model, one stage at a time.",
)

# -- The pipeline diagram with each stage's status ---------------------------------------------
status = projects.get_stage_status(ws, project["id"]) if project else {}
stages = [(label, icon, key) for _, label, icon, key in PAGES if key]
current = next((label for label, _, key in stages if not status.get(key)), None)
cols = st.columns(len(stages))
for col, (label, icon, key) in zip(cols, stages):
    state = "done" if status.get(key) else ("current" if label == current else "to do")
    colour = {"done": "green", "current": "blue", "to do": "gray"}[state]
    with col.container(border=True, height=120):
        st.markdown(f"{icon}  \n**{label}**  \n:{colour}[{state}]")
show_flash()
if project:
    done_count = sum(status.get(k, False) for _, _, k in stages)
    st.caption(
        f"Project **{escape_markdown(project['name'])}**: {done_count} of {len(stages)} stages done"
        + (f"; next up: **{current}**." if current else "; the whole loop has run.")
    )
    note = projects.get_build_note(project)
    if note and projects.get_build_note(project, live_only=True):
        # A run still going (the demo after a refresh, a CLI run beside the server): nothing is lost.
        st.info(
            f"This project is {escape_markdown(note)}; its stages turn green as the run finishes them. "
            "Wait for it before changing anything here.",
            icon=":material/construction:",
        )
    elif note:
        st.warning(
            f"This project is {escape_markdown(note)}"
            + (f" ({escape_markdown(project['build_error'])})" if project.get("build_error") else "")
            + ": the pipeline run that made it did not finish. Carry on stage by stage from the first "
            "one not done, or delete it and run again.",
            icon=":material/construction:",
        )
else:
    st.caption("Each box is a stage of the pipeline; green ones are done for the open project.")

st.divider()
left, right = st.columns(2)

# -- One-click full demo ----------------------------------------------------------------------
with left:
    st.subheader("Run the full demo")
    st.write(
        "Runs every stage on the telco churn sample — clean, train and compare, gate, explain, "
        "register, deploy, simulate drifting traffic, monitor and retrain — in a new project."
    )
    # The demo's project is made before its job starts, so the running demo belongs to the project in
    # the URL: a refresh or a page switch finds it again.
    demo = jobs.latest_job(ws, project["id"], "demo") if project else None
    running = demo is not None and demo["status"] == "running"
    if st.button("Run full demo", key="run_demo", type="primary", disabled=running):
        demo_project = projects.create_unique_project(ws, pipeline.DEMO_PROJECT_NAME, source=pipeline.DEFAULT_SAMPLE)

        def work(progress, project_id=demo_project["id"]):
            summary = pipeline.run_demo(ws, progress=progress, project_id=project_id)
            return {"project_id": project_id, "summary": summary}

        jobs.start_job(ws, demo_project["id"], "demo", work)
        select_project(demo_project["id"])
        st.rerun()
    if demo is not None:
        if running:  # this session saw it run, so it lands on Monitor when it ends
            st.session_state[f"demo_watched_{demo['id']}"] = True

        def landed(job):
            s = job["result"]["summary"]
            if st.session_state.get(f"demo_watched_{job['id']}") and st.session_state.get("demo_landed") != job["id"]:
                st.session_state["demo_landed"] = job["id"]
                st.switch_page("pages/8_Monitor.py", query_params={"project": job["result"]["project_id"]})
            st.success(f"The demo finished in {sum(s['timings'].values()):.0f} s; its story ends on the Monitor page.")
            st.page_link(
                "pages/8_Monitor.py",
                label="Open Monitor",
                icon=":material/monitoring:",
                query_params={"project": job["result"]["project_id"]},
            )

        with user_errors():
            job_panel(ws, demo["id"], on_done=landed)

# -- Projects -----------------------------------------------------------------------------------
with right:
    st.subheader("Start a project")
    st.write("Each student works in their own project; everything is saved in the workspace.")
    # A refused name stays in the field to be corrected; a created project opens on the Data page.
    with st.form("new_project", border=False):
        name = st.text_input("Project name", key="new_project_name", placeholder="e.g. Churn – Alice")
        if st.form_submit_button("Create project", key="create_project"):
            try:
                created = projects.create_project(ws, name)
            except StudioError as exc:
                st.error(escape_markdown(exc))
            else:
                select_project(created["id"])
                st.switch_page("pages/1_Data.py", query_params={"project": created["id"]})
    if project:
        with st.expander(f"Rename or delete {escape_markdown(project['name'])}", icon=":material/edit:"):
            with st.form(f"rename_project_{project['id']}", border=False):
                new_name = st.text_input("New name", value=project["name"], key=f"rename_{project['id']}")
                if st.form_submit_button("Rename", key="rename_project"):
                    try:
                        renamed = projects.rename_project(ws, project["id"], new_name)
                    except StudioError as exc:
                        st.error(escape_markdown(exc))
                    else:
                        flash("success", f"Renamed the project to {escape_markdown(renamed['name'])}.")
                        st.rerun()
            st.caption(
                "Deleting removes everything made in this project — its data versions, models, deployments "
                "and reports — from the workspace. The audit log keeps a record of what was deleted."
            )
            confirmed = st.checkbox(
                f"Yes, delete {escape_markdown(project['name'])} and everything made in it",
                key=f"confirm_delete_{project['id']}",
            )
            if st.button("Delete project", key="delete_project", icon=":material/delete:", disabled=not confirmed):
                try:
                    removed = projects.delete_project(ws, project["id"])
                except StudioError as exc:
                    st.error(escape_markdown(exc))
                else:
                    forget_project()
                    flash(
                        "success",
                        f"Deleted project {escape_markdown(removed['name'])}: "
                        f"{sum(removed['rows'].values()):,} records and {removed['files']:,} files.",
                    )
                    st.rerun()
    existing = projects.get_projects_df(ws)
    if len(existing):
        st.dataframe(existing, hide_index=True, width="stretch", key="projects_table")
        st.caption(
            f"{len(existing)} project(s) in this workspace, newest first; switch between them in the sidebar. "
            "A project a pipeline run (the demo, the command line) did not finish says how far it got."
        )

st.divider()
st.markdown(
    "**How to read this app.** Every chart comes with one sentence saying what it shows and what follows "
    "from it. Decisions — go/no-go, promote, retrain — are shown as decisions, with the evidence beside them."
)
