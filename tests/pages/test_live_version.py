"""Registry, Deploy and Monitor agree on what the endpoint serves, and promotion/rollback confirm
what they did after the page reruns."""

import re
import shutil

import pytest

from tests.pages.conftest import project_app_factory
from tests.pages.test_pages import no_errors, open_page

pytestmark = pytest.mark.slow  # copies of the workspace where the full demo ran


LIVE = re.compile(r"Live now: deployment \d+ \(single\): (churn-demo v\d+) answers every request")


@pytest.fixture
def demo_copy(demo_workspace, monkeypatch, tmp_path):
    """The demo's workspace (champion v1 deployed, retrained challenger v2), copied: these tests change it."""
    from core.registry import approvals
    from core.workspace.database import Workspace

    path, _ = demo_workspace
    shutil.copytree(path, tmp_path / "ws")
    # What serves after a promotion is checked here; sign-off has its own tests (test_signoff.py).
    approvals.set_policy(Workspace(tmp_path / "ws"), 1, approvals.RegistryPolicy(people_need_approval=False))
    return project_app_factory(tmp_path / "ws", monkeypatch)


def live_version(at) -> str:
    """The live version the page names (one sentence, the same on every page)."""
    found = [LIVE.search(box.value) for box in at.info]
    names = {m.group(1) for m in found if m}
    assert len(names) == 1, [box.value for box in at.info]
    return names.pop()


def served_metric(at) -> str:
    return next(m.value for m in at.metric if m.label == "Served by the endpoint now")


def test_promote_then_roll_back_confirms_and_every_page_names_the_same_live_version(demo_copy):
    at = open_page(demo_copy(), "pages/6_Registry.py")
    no_errors(at)
    at.button(key="promote").click().run()
    no_errors(at)
    assert any("churn-demo v2 is now the champion; the endpoint serves it now" in s.value for s in at.success), [
        s.value for s in at.success
    ]
    assert at.metric[0].value == "v2" and served_metric(at) == "v2" and live_version(at) == "churn-demo v2"
    deploy = open_page(demo_copy(), "pages/7_Deploy.py")
    no_errors(deploy)
    assert live_version(deploy) == "churn-demo v2"
    monitor = open_page(demo_copy(), "pages/8_Monitor.py")
    assert any("This report watched churn-demo v1" in c.value for c in monitor.caption)
    assert any("v2 now serves" in box.value for box in monitor.success), [box.value for box in monitor.success]

    at.run()  # the confirmation is shown once
    assert not any("is now the champion" in s.value for s in at.success)

    at.button(key="rollback").click().run()
    no_errors(at)
    assert any(
        s.value.startswith("Rolled back: churn-demo v1 is the champion again; the endpoint serves it now")
        for s in at.success
    ), [s.value for s in at.success]
    assert at.metric[0].value == "v1" and served_metric(at) == "v1" and live_version(at) == "churn-demo v1"
    deploy = open_page(demo_copy(), "pages/7_Deploy.py")
    assert live_version(deploy) == "churn-demo v1"
    monitor = open_page(demo_copy(), "pages/8_Monitor.py")
    assert not any("now serves" in box.value for box in [*monitor.success, *monitor.info])

    deploy.button(key="deploy").click().run()  # deploying again (same strategy) also confirms after its rerun
    no_errors(deploy)
    assert any(
        re.match(r"Deployed: deployment \d+ \(single\): churn-demo v1 answers every request", s.value)
        for s in deploy.success
    ), [s.value for s in deploy.success]
    assert live_version(deploy) == "churn-demo v1"


def test_after_promoting_the_retrained_challenger_and_rolling_back_monitor_offers_nothing_stale(demo_copy):
    """The demo's report led to challenger v2; promoted, then rolled back, v2 has no alias left: Monitor
    said "Retrained: challenger v2 is ready … promote it below" with no button below."""
    at = open_page(demo_copy(), "pages/6_Registry.py")
    at.button(key="promote").click().run()
    at.button(key="rollback").click().run()
    no_errors(at)
    monitor = open_page(demo_copy(), "pages/8_Monitor.py")  # (its drift alerts are st.error boxes)
    shown = " ".join(box.value for box in [*monitor.success, *monitor.info, *monitor.warning])
    assert "challenger v2 is ready" not in shown and "promote it below" not in shown, shown
    assert "v2 was registered, but it is no longer the challenger" in shown and "v1 serves" in shown, shown
    assert not [b for b in monitor.button if b.key == "promote_retrained"]


def test_a_registry_left_behind_by_an_older_studio_says_the_endpoint_serves_another_version(demo_copy, tmp_path):
    """Older code moved the champion alias without redeploying: the pages say so instead of disagreeing."""
    from core import registry
    from core.workspace.database import Workspace

    ws = Workspace(tmp_path / "ws")
    challenger = registry.get_alias_version(ws, 1, "churn-demo", "challenger")
    registry.promote_challenger(ws, 1, "churn-demo")  # the alias alone, as before
    assert challenger["version"] == 2
    for page in ("pages/6_Registry.py", "pages/7_Deploy.py"):
        at = open_page(demo_copy(), page)
        no_errors(at)
        assert live_version(at) == "churn-demo v1"
        assert any(
            "The champion of churn-demo is v2, but the endpoint still serves v1" in w.value for w in at.warning
        ), [w.value for w in at.warning]


def test_after_the_target_changed_the_pages_show_the_new_model_and_still_what_is_live(demo_copy, tmp_path):
    """The Problem page moved to another target and a model of it was registered as champion: Registry
    and Deploy start on that model (a picker offers both), say the endpoint still serves the churn
    model, and Monitor says it keeps judging that model on churn."""
    from core import registry
    from core.problem.definition import ProblemConfig
    from core.problem.store import set_problem
    from core.training import tracking
    from core.workspace.database import Workspace

    ws = Workspace(tmp_path / "ws")
    partner = ProblemConfig(target="partner", task="binary", positive_class="Yes")
    set_problem(ws, 1, partner)
    runs = tracking.get_runs_df(ws, 1, 1)
    spare = next(
        int(r)
        for r in runs["run"]
        if registry.get_version_of_run(ws, 1, int(r)) is None and runs.set_index("run").loc[r, "error"] is None
    )
    registry.register_model(
        ws, 1, spare, model_name="churn-demo-partner", alias="champion", extra_lineage={"problem": partner.to_dict()}
    )

    at = open_page(demo_copy(), "pages/6_Registry.py")
    no_errors(at)
    picker = at.selectbox(key="registry_model_churn-demo-partner|churn-demo")
    assert picker.value == "churn-demo-partner" and picker.options == [
        "churn-demo-partner (predicts partner)",
        "churn-demo (predicts churn)",
    ]
    assert served_metric(at) == "churn-demo v1" and live_version(at) == "churn-demo v1"
    picker.set_value("churn-demo").run()
    assert at.metric[0].value == "v1" and served_metric(at) == "v1"

    deploy = open_page(demo_copy(), "pages/7_Deploy.py")
    no_errors(deploy)
    assert live_version(deploy) == "churn-demo v1"
    assert any(
        "which predicts 'churn'; deploying replaces it with churn-demo-partner, which predicts 'partner'" in w.value
        for w in deploy.warning
    ), [w.value for w in deploy.warning]

    monitor = open_page(demo_copy(), "pages/8_Monitor.py")
    assert any("This report watched churn-demo v1, which predicts 'churn'" in c.value for c in monitor.caption)
    assert any(
        "The project's problem now predicts 'partner', but churn-demo v1 predicts 'churn'" in w.value
        for w in monitor.warning
    ), [w.value for w in monitor.warning]


def test_in_blue_green_with_green_live_the_requests_show_the_challenger_answering(demo_copy, tmp_path):
    from core import pipeline
    from core.deployment import serving
    from core.deployment.routing import RoutingConfig
    from core.workspace.database import Workspace

    ws = Workspace(tmp_path / "ws")
    pipeline.stage_deploy(ws, 1, RoutingConfig("blue_green", active_color="green"))
    at = open_page(demo_copy(), "pages/7_Deploy.py")
    at.button(key="send_rows").click().run()
    no_errors(at)
    answered = next(d.value for d in at.dataframe if "arm" in d.value.columns)
    assert set(answered["version"]) == {"churn-demo v2"} and set(answered["arm"]) == {"challenger"}
    # The example rows and the threshold are those of the version that answers.
    served = serving.load_served(ws, serving.get_serving_version(ws, serving.get_active_deployment(ws, 1))["id"])
    assert served.version["version"] == 2
    assert any(f"score is {served.threshold:.2f} or more" in c.value for c in at.caption)
