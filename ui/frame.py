"""The shared frame of every page: page config, project picker, stage navigation with status."""

from __future__ import annotations

import streamlit as st

from core.workspace import jobs, projects
from ui.guide_panel import guide_panel
from ui.identity import identity_sidebar, signed_in_url_params
from ui.language import choose_language
from ui.state import current_project, get_workspace, select_project
from ui.text import escape_markdown
from ui.widgets import option_labels

# (script, label, icon, stage key for status)
PAGES = [
    ("app.py", "Home", ":material/home:", None),
    ("pages/1_Data.py", "Data", ":material/table_view:", "data"),
    ("pages/2_Problem.py", "Problem", ":material/flag:", "problem"),
    ("pages/3_Features.py", "Features", ":material/view_column:", "features"),
    ("pages/4_Train.py", "Train & compare", ":material/model_training:", "train"),
    ("pages/5_Explain.py", "Explain", ":material/lightbulb:", "explain"),
    ("pages/6_Registry.py", "Registry", ":material/inventory_2:", "registry"),
    ("pages/7_Deploy.py", "Deploy", ":material/rocket_launch:", "deploy"),
    ("pages/8_Monitor.py", "Monitor", ":material/monitoring:", "monitor"),
]


def page_setup(title: str, icon: str, intro: str = ""):
    """Call first on every page. Returns (workspace, current project or None)."""
    st.set_page_config(page_title=f"{title} · MLOps Studio", page_icon=icon, layout="wide")
    choose_language()
    ws = get_workspace()
    project = current_project(ws)
    _sidebar(ws, project)
    st.title(f"{icon} {title}")
    if intro:
        st.caption(intro)
    guide_panel(ws, project)  # the guided demo's narration, while a guide is open
    return ws, project


def require_project(project: dict | None) -> dict:
    if project is None:
        st.info("No project is open. Create one or run the full demo on the Home page, then come back.")
        st.page_link("app.py", label="Go to Home", icon=":material/home:")
        st.stop()
    return project


def _sidebar(ws, project: dict | None) -> None:
    with st.sidebar:
        st.markdown("### MLOps Studio")
        all_projects = projects.list_projects(ws)
        if all_projects:
            ids = [p["id"] for p in all_projects]
            names = {p["id"]: projects.get_project_label(p) for p in all_projects}
            index = ids.index(project["id"]) if project else None
            chosen = st.selectbox(
                "Project",
                ids,
                index=index,
                format_func=option_labels(names),
                key="project_picker",
                placeholder="Choose a project",
            )
            if chosen is not None and (project is None or chosen != project["id"]):
                select_project(chosen)
                st.rerun()
        identity_sidebar()  # who acts: every audit entry of this run names them
        if project:
            running_work(ws, project["id"])
        status = projects.get_stage_status(ws, project["id"]) if project else {}
        params = ({"project": project["id"]} | signed_in_url_params()) if project else signed_in_url_params() or None
        for script, label, icon, stage in PAGES:
            mark = "" if stage is None else (" ✓" if status.get(stage) else "")
            st.page_link(script, label=f"{label}{mark}", icon=icon, query_params=params)


# Where each kind of job shows its progress and result: (page, what it is called).
JOB_PAGES = {
    "demo": ("app.py", "Full demo"),
    "train": ("pages/4_Train.py", "Training"),
    "tune": ("pages/4_Train.py", "Tuning study"),
    "rerun": ("pages/4_Train.py", "Re-run"),
    "retrain": ("pages/8_Monitor.py", "Retraining"),
}


def running_work(ws, project_id: int) -> None:
    """Long work under way in this project, on every page: a page switch never hides a running demo
    or study. Polls while something runs, and stops polling once nothing does."""
    if not jobs.list_running_jobs(ws, project_id):
        return

    @st.fragment(run_every=2.0)
    def _poll():
        running = jobs.list_running_jobs(ws, project_id)
        for job in running:
            script, what = JOB_PAGES.get(job["kind"], ("app.py", job["kind"]))
            st.progress(job["progress"], text=escape_markdown(f"{what}: {job['message'] or 'working…'}"))
            page = next(label for path, label, _, _ in PAGES if path == script)
            st.page_link(
                script,
                label=f"Follow it on {page}",
                icon=":material/hourglass_top:",
                query_params={"project": str(project_id)},
            )
        if not running:
            st.caption("The work has finished; its page shows the result.")

    _poll()
