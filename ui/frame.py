"""The shared frame of every page: page config, project picker, stage navigation with status."""

from __future__ import annotations

import streamlit as st

from core.i18n import N_, _
from core.workspace import jobs, projects
from ui.guide_panel import guide_panel
from ui.identity import identity_sidebar
from ui.language import choose_language, language_switch
from ui.offline import page_icon
from ui.presenter import presenter_setup
from ui.signin import require_signin
from ui.state import current_project, get_workspace, link_params, select_project
from ui.text import escape_markdown
from ui.widgets import option_labels

# (script, label, icon, stage key for status)
PAGES = [
    ("app.py", N_("Home"), ":material/home:", None),
    ("pages/1_Data.py", N_("Data"), ":material/table_view:", "data"),
    ("pages/2_Problem.py", N_("Problem"), ":material/flag:", "problem"),
    ("pages/3_Features.py", N_("Features"), ":material/view_column:", "features"),
    ("pages/4_Train.py", N_("Train & compare"), ":material/model_training:", "train"),
    ("pages/5_Explain.py", N_("Explain"), ":material/lightbulb:", "explain"),
    ("pages/6_Registry.py", N_("Registry"), ":material/inventory_2:", "registry"),
    ("pages/7_Deploy.py", N_("Deploy"), ":material/rocket_launch:", "deploy"),
    ("pages/8_Monitor.py", N_("Monitor"), ":material/monitoring:", "monitor"),
]


def page_setup(title: str, icon: str, intro: str = ""):
    """Call first on every page. Returns (workspace, current project or None). ``title`` and
    ``intro`` come translated (``_("Data")``), or as the English of a ``N_`` constant: both are
    passed through ``_`` here, which leaves a translated text as it is."""
    choose_language()
    title, intro = _(title), (_(intro) if intro else intro)
    page_title = f"{title} · MLOps Studio"  # i18n: skip
    st.set_page_config(page_title=page_title, page_icon=page_icon(icon), layout="wide")
    ws = get_workspace()
    require_signin(ws)  # the workspace password, when the instructor set one: nothing shows before it
    project = current_project(ws)
    _sidebar(ws, project)
    presenter_setup()  # ?present=1 / the sidebar toggle: projector styling, once per run
    st.title(f"{icon} {title}")
    if intro:
        st.caption(intro)
    guide_panel(ws, project)  # the guided demo's narration, while a guide is open
    return ws, project


def require_project(project: dict | None) -> dict:
    if project is None:
        st.info(_("No project is open. Create one or run the full demo on the Home page, then come back."))
        st.page_link("app.py", label=_("Go to Home"), icon=":material/home:", query_params=link_params())
        st.stop()
    return project


def _sidebar(ws, project: dict | None) -> None:
    with st.sidebar:
        st.markdown("### MLOps Studio")  # i18n: skip (the product's name)
        language_switch()
        all_projects = projects.list_projects(ws)
        if all_projects:
            ids = [p["id"] for p in all_projects]
            names = {p["id"]: projects.get_project_label(p) for p in all_projects}
            index = ids.index(project["id"]) if project else None
            chosen = st.selectbox(
                _("Project"),
                ids,
                index=index,
                format_func=option_labels(names),
                key="project_picker",
                placeholder=_("Choose a project"),
            )
            if chosen is not None and (project is None or chosen != project["id"]):
                select_project(chosen)
                st.rerun()
        identity_sidebar()  # who acts: every audit entry of this run names them
        if project:
            running_work(ws, project["id"])
        status = projects.get_stage_status(ws, project["id"]) if project else {}
        params = link_params(project["id"] if project else None) or None
        for script, label, icon, stage in PAGES:
            mark = "" if stage is None else (" ✓" if status.get(stage) else "")
            st.page_link(script, label=_(label) + mark, icon=icon, query_params=params)


# Where each kind of job shows its progress and result: (page, what it is called).
JOB_PAGES = {
    "demo": ("app.py", N_("Full demo")),
    "train": ("pages/4_Train.py", N_("Training")),
    "tune": ("pages/4_Train.py", N_("Tuning study")),
    "rerun": ("pages/4_Train.py", N_("Re-run")),
    "retrain": ("pages/8_Monitor.py", N_("Retraining")),
    "guide": ("app.py", N_("Guided demo")),
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
            stored = job["message"]  # stored in the language of the job's starter, or our English
            message = _(stored) if stored else _("working…")
            st.progress(
                job["progress"], text=escape_markdown(_("{what}: {message}").format(what=_(what), message=message))
            )
            page = next(label for path, label, _icon, _stage in PAGES if path == script)
            st.page_link(
                script,
                label=_("Follow it on {page}").format(page=_(page)),
                icon=":material/hourglass_top:",
                query_params=link_params(project_id),
            )
        if not running:
            st.caption(_("The work has finished; its page shows the result."))

    _poll()
