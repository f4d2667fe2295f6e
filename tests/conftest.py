import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def ws(tmp_path):
    from core.workspace.database import Workspace

    return Workspace(tmp_path / "ws")


@pytest.fixture(scope="session")
def rollout_project(tmp_path_factory):
    """Project 1 ("roll") trained once per test session, with the runner-up registered as challenger:
    (its workspace path, the challenger version). Tests never change it: they work on ``rollout_copy``."""
    from tests.unit.deployment.rollouts.trained import make_trained_project

    path = tmp_path_factory.mktemp("rollout_project") / "ws"
    return path, make_trained_project(path)


@pytest.fixture
def rollout_copy(rollout_project, tmp_path) -> Path:
    """A fresh copy of the trained rollout project's workspace: deployments and aliases change per test."""
    shutil.copytree(rollout_project[0], tmp_path / "rollout_ws")
    return tmp_path / "rollout_ws"


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A page test in Portuguese leaves no language behind (ui.language's AppTest fallback)."""
    yield
    language = sys.modules.get("ui.language")
    if language is not None:
        language.forget_apptest_language()
