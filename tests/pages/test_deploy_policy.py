"""Deploy: the validation policy is chosen beside the Deploy button, stored with the deployment and
named in the live sentence; answers that break a rule say so."""

import shutil

import pytest

from tests.pages.conftest import project_app_factory
from tests.pages.test_pages import no_errors, open_page

pytestmark = pytest.mark.slow  # a copy of the workspace where the full demo ran


def test_deploying_with_the_review_policy_stores_it_and_the_live_sentence_says_it(
    demo_workspace, monkeypatch, tmp_path
):
    from core.deployment import serving
    from core.workspace.database import Workspace

    path, _ = demo_workspace
    shutil.copytree(path, tmp_path / "ws")
    at = open_page(project_app_factory(tmp_path / "ws", monkeypatch)(), "pages/7_Deploy.py")
    no_errors(at)
    assert at.radio(key="validation_policy").value == "flag"  # the demo deployed with the default
    assert any("answered and flagged" in box.value for box in at.info)
    at.radio(key="validation_policy").set_value("review").run()
    at.button(key="deploy").click().run()
    no_errors(at)
    live = serving.get_active_deployment(Workspace(tmp_path / "ws"), 1)
    assert live["validation_policy"] == "review"
    assert any("held for review" in box.value for box in at.info), [box.value for box in at.info]
    assert at.radio(key="validation_policy").value == "review"
