"""Page tests with Streamlit's AppTest against a workspace where the full demo has run."""

from pathlib import Path

import pytest

from core.workspace.database import Workspace

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory):
    from core.pipeline import run_demo
    from core.workspace.database import Workspace

    path = tmp_path_factory.mktemp("demo_ws")
    summary = run_demo(Workspace(path))
    return path, summary


def project_app_factory(workspace_path, monkeypatch, project: int = 1, timeout: int = 90):
    """An AppTest factory on ``workspace_path`` with ``?project=`` set, run from the repo root."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("MLOPS_STUDIO_WORKSPACE", str(workspace_path))
    monkeypatch.chdir(ROOT)

    def make() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        at.query_params["project"] = str(project)
        return at

    return make


@pytest.fixture
def app(demo_workspace, monkeypatch):
    """An AppTest factory bound to the demo workspace, run from the repo root."""
    from streamlit.testing.v1 import AppTest

    path, _ = demo_workspace
    monkeypatch.setenv("MLOPS_STUDIO_WORKSPACE", str(path))
    monkeypatch.chdir(ROOT)

    def make(project: int | None = 1) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        if project is not None:
            at.query_params["project"] = str(project)
        return at

    return make


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    """(AppTest factory, Workspace) on an empty workspace: a brand-new user."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("MLOPS_STUDIO_WORKSPACE", str(tmp_path))
    monkeypatch.chdir(ROOT)
    return lambda: AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), Workspace(tmp_path)
