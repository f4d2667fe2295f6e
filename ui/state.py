"""Session state holds ids only; the current project also lives in the URL (?project=<id>)
so a refresh or a shared link restores the same view."""

from __future__ import annotations

import streamlit as st

from core.workspace import projects
from core.workspace.database import Workspace, default_workspace_path, parse_id
from core.workspace.errors import NotFoundError

PROJECT_KEY = "project_id"


@st.cache_resource(show_spinner=False)
def _workspace(path: str) -> Workspace:
    # Shared by every session: Workspace holds no mutable state besides its paths.
    return Workspace(path)


def get_workspace() -> Workspace:
    return _workspace(str(default_workspace_path().resolve()))


def query_id(name: str) -> int | None:
    """The id in query parameter ``name``, or None when it is missing or not a valid id (a crafted
    or mistyped URL gives a normal page, never an error)."""
    return parse_id(st.query_params.get(name))


def current_project(ws: Workspace) -> dict | None:
    """The URL's project, else this session's, else none. Keeps URL and session in step."""
    for project_id in (query_id("project"), parse_id(st.session_state.get(PROJECT_KEY))):
        if project_id is None:
            continue
        try:
            project = projects.get_project(ws, project_id)
        except NotFoundError:
            continue
        select_project(project["id"])
        return project
    if "project" in st.query_params:  # an id that names no project (deleted, crafted): drop it
        del st.query_params["project"]
    st.session_state.pop(PROJECT_KEY, None)
    return None


def forget_project() -> None:
    """No project is open any more (it was deleted)."""
    st.session_state.pop(PROJECT_KEY, None)
    if "project" in st.query_params:
        del st.query_params["project"]


def select_project(project_id: int) -> None:
    st.session_state[PROJECT_KEY] = project_id
    if st.query_params.get_all("project") != [str(project_id)]:  # one value, this one
        st.query_params["project"] = str(project_id)


def link_params(project_id: int | str | None = None) -> dict[str, str]:
    """The query parameters a link to another page carries so it opens the same view: the project
    (``project_id``, else none), the signed-in person, the language and presenter mode. Use it for
    every ``st.page_link``/``st.switch_page`` (``query_params=link_params(pid)``)."""
    from ui.identity import signed_in_url_params
    from ui.language import language_url_params
    from ui.presenter import presenter_url_params

    params = {"project": str(project_id)} if project_id is not None else {}
    return params | signed_in_url_params() | language_url_params() | presenter_url_params()
