"""Session state holds ids only; the current project also lives in the URL (?project=<id>)
so a refresh or a shared link restores the same view."""
from __future__ import annotations

import streamlit as st

from core import projects
from core.errors import NotFoundError
from core.workspace import Workspace, default_workspace_path

PROJECT_KEY = "project_id"


@st.cache_resource(show_spinner=False)
def _workspace(path: str) -> Workspace:
    # Shared by every session: Workspace holds no mutable state besides its paths.
    return Workspace(path)


def get_workspace() -> Workspace:
    return _workspace(str(default_workspace_path().resolve()))


def current_project(ws: Workspace) -> dict | None:
    """The URL's project, else this session's, else none. Keeps URL and session in step."""
    candidates = [st.query_params.get("project"), st.session_state.get(PROJECT_KEY)]
    for key in candidates:
        if key is None or not str(key).isdigit():
            continue
        try:
            project = projects.get_project(ws, int(key))
        except NotFoundError:
            continue
        select_project(project["id"])
        return project
    return None


def select_project(project_id: int) -> None:
    st.session_state[PROJECT_KEY] = project_id
    if st.query_params.get("project") != str(project_id):
        st.query_params["project"] = str(project_id)
