"""MLOps Studio home: the pipeline at a glance, projects, and the one-click full demo."""
import streamlit as st

from core import jobs, pipeline, projects
from core.errors import StudioError
from ui.frame import PAGES, page_setup
from ui.state import select_project
from ui.widgets import job_panel, user_errors

ws, project = page_setup(
    "MLOps Studio", ":material/hub:",
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
if project:
    done_count = sum(status.get(k, False) for _, _, k in stages)
    st.caption(f"Project **{project['name']}**: {done_count} of {len(stages)} stages done"
               + (f"; next up: **{current}**." if current else "; the whole loop has run."))
else:
    st.caption("Each box is a stage of the pipeline; green ones are done for the open project.")

st.divider()
left, right = st.columns(2)

# -- One-click full demo ----------------------------------------------------------------------
with left:
    st.subheader("Run the full demo")
    st.write("Runs every stage on the telco churn sample — clean, train and compare, gate, explain, "
             "register, deploy, simulate drifting traffic, monitor and retrain — in a new project.")
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
            if (st.session_state.get(f"demo_watched_{job['id']}")
                    and st.session_state.get("demo_landed") != job["id"]):
                st.session_state["demo_landed"] = job["id"]
                st.switch_page("pages/8_Monitor.py", query_params={"project": job["result"]["project_id"]})
            st.success(f"The demo finished in {sum(s['timings'].values()):.0f} s; its story ends on the Monitor page.")
            st.page_link("pages/8_Monitor.py", label="Open Monitor", icon=":material/monitoring:",
                         query_params={"project": job["result"]["project_id"]})
        with user_errors():
            job_panel(ws, demo["id"], on_done=landed)

# -- Projects -----------------------------------------------------------------------------------
with right:
    st.subheader("Start a project")
    st.write("Each student works in their own project; everything is saved in the workspace.")
    with st.form("new_project", clear_on_submit=True, border=False):
        name = st.text_input("Project name", key="new_project_name", placeholder="e.g. Churn – Alice")
        if st.form_submit_button("Create project", key="create_project"):
            try:
                created = projects.create_project(ws, name)
            except StudioError as exc:
                st.error(str(exc))
            else:
                select_project(created["id"])
                st.switch_page("pages/1_Data.py", query_params={"project": created["id"]})
    existing = projects.list_projects(ws)
    if existing:
        st.caption(f"{len(existing)} project(s) in this workspace; switch between them in the sidebar.")

st.divider()
st.markdown(
    "**How to read this app.** Every chart comes with one sentence saying what it shows and what follows "
    "from it. Decisions — go/no-go, promote, retrain — are shown as decisions, with the evidence beside them."
)
