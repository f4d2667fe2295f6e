"""Registry sign-off in AppTest: a data scientist requests a promotion, a reviewer (another person)
approves it reading the card, the version becomes champion, and the audit log names both; a reviewer
cannot approve their own request; hostile sign-in values in the URL give a normal page."""

import shutil

import pytest

from core import registry
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory
from tests.pages.test_pages import no_errors, open_page

MODEL = "churn-demo"


@pytest.fixture
def signoff(demo_workspace, monkeypatch, tmp_path):
    """(open Registry as a person, workspace) on a copy of the demo (champion v1, challenger v2)."""
    path = tmp_path / "ws"
    shutil.copytree(demo_workspace[0], path)
    make = project_app_factory(path, monkeypatch)

    def as_person(name: str | None, role: str | None = None):
        at = make()
        if name is not None:
            at.query_params["as"] = name
        if role is not None:
            at.query_params["role"] = role
        return open_page(at, "pages/6_Registry.py")

    return as_person, Workspace(path)


def _request(at, reason: str):
    at.text_area(key="request_reason").set_value(reason)
    at.button(key="request_submit").click().run()
    no_errors(at)


def _pending_id(ws) -> int:
    return ws.query_one("SELECT id FROM promotion_requests WHERE status = 'pending' ORDER BY id DESC")["id"]


def test_request_as_one_person_approve_as_another_then_promote(signoff):
    as_person, ws = signoff
    ana = as_person("Ana", "data-scientist")
    no_errors(ana)
    assert any("Signed in as **Ana**" in c.value for c in ana.sidebar.caption)
    assert any("need a reviewer's approval" in box.value for box in ana.info)
    ana.button(key="promote").click().run()  # the old direct button: held by the policy, with one message
    assert any("needs a reviewer's approval" in e.value for e in ana.error)
    challenger = registry.get_alias_version(ws, 1, MODEL, "challenger")
    former = registry.get_alias_version(ws, 1, MODEL, "champion")
    assert ana.selectbox(key="request_version").value == challenger["id"]
    _request(ana, "recall is better on the recent rows")
    request_id = _pending_id(ws)
    assert not [b for b in ana.button if b.key == f"approve_{request_id}"]  # a data scientist does not review

    bo = as_person("Bo", "reviewer")
    no_errors(bo)
    shown = " ".join(m.value for m in bo.markdown)
    assert "asked by Ana (data scientist)" in shown and "recall is better on the recent rows" in shown
    bo.text_area(key=f"review_comment_{request_id}").set_value("card read; fairness within bounds")
    bo.button(key=f"approve_{request_id}").click().run()
    no_errors(bo)
    bo.button(key=f"carry_out_{request_id}").click().run()
    no_errors(bo)
    assert registry.get_alias_version(ws, 1, MODEL, "champion")["id"] == challenger["id"]
    audit = registry.get_audit_df(ws, 1)
    who = dict(zip(audit["action"], audit["who"], strict=False))  # newest first: the latest of each
    assert who["promotion.requested"] == "Ana (data scientist)"
    assert who["promotion.approved"] == "Bo (reviewer)"
    assert who["model.promoted"] == "Bo (reviewer)"
    table = bo.dataframe[-1].value
    assert {"Ana (data scientist)", "Bo (reviewer)"} <= set(table["who"])
    bo.selectbox(key="lifecycle_version").set_value(former["id"]).run()  # the former champion says it served
    assert any("a former champion (it served in production" in m.value for m in bo.markdown)


def test_a_reviewer_cannot_approve_their_own_request(signoff):
    as_person, ws = signoff
    bo = as_person("Bo", "reviewer")
    _request(bo, "I want it live")
    request_id = _pending_id(ws)
    bo.text_area(key=f"review_comment_{request_id}").set_value("looks fine to me")
    bo.button(key=f"approve_{request_id}").click().run()
    assert any("cannot approve or reject it yourself" in e.value for e in bo.error), [e.value for e in bo.error]
    assert ws.query_one("SELECT status FROM promotion_requests WHERE id = ?", (request_id,))["status"] == "pending"
    assert not bo.exception


def test_signing_in_in_the_sidebar_keeps_the_person_in_the_url(signoff):
    as_person, _ = signoff
    at = as_person(None)
    assert any("Sign in (in the sidebar)" in c.value for c in at.caption)
    at.text_input(key="sign_in_name").set_value("Carla Dias")
    at.radio(key="sign_in_role").set_value("reviewer")
    at.button(key="sign_in").click().run()
    no_errors(at)
    assert at.query_params["as"] in ("Carla Dias", ["Carla Dias"]) and at.query_params["role"] in (
        "reviewer",
        ["reviewer"],
    )
    at.button(key="sign_out").click().run()
    assert "as" not in at.query_params


@pytest.mark.parametrize(
    "name, role",
    [("", "reviewer"), ("x" * 500, "reviewer"), ("autopilot", "reviewer"), ("Ana", "admin"), ("**Ana**", "²"),
     (["Ana", "Bo"], ["reviewer", "data-scientist"]), ("\x00", "reviewer"), ("[x](http://e.vil)", "reviewer")],
)  # fmt: skip
def test_hostile_sign_in_values_give_a_normal_page(signoff, name, role):
    as_person, _ = signoff
    at = as_person(name, role)
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("name", ["\x00", "\u200b", "Ana\u200b", "\u202eanA"])
def test_a_name_with_invisible_characters_does_not_sign_in(signoff, name):
    """A near-copy of someone's name (a zero-width space, a direction mark) is nobody: not signed in."""
    as_person, _ = signoff
    at = as_person(name, "reviewer")
    no_errors(at)
    assert not any("Signed in as" in c.value for c in at.sidebar.caption)
    assert "as" not in at.query_params
    at.text_input(key="sign_in_name").set_value(name)
    at.button(key="sign_in").click().run()
    assert any("invisible or control characters" in e.value for e in at.error)
    assert "as" not in at.query_params


def test_archiving_the_challenger_on_the_lifecycle_panel(signoff):
    as_person, ws = signoff
    challenger = registry.get_alias_version(ws, 1, MODEL, "challenger")
    at = as_person("Ana", "data-scientist")
    at.selectbox(key="lifecycle_version").set_value(challenger["id"]).run()
    assert any("Staging (challenger)" in m.value for m in at.markdown)
    at.radio(key="lifecycle_to").set_value("archived")
    at.text_input(key="lifecycle_reason").set_value("superseded by a better run")
    at.button(key="lifecycle_submit").click().run()
    no_errors(at)
    assert registry.get_alias_version(ws, 1, MODEL, "challenger") is None
    history = at.dataframe[[i for i, d in enumerate(at.dataframe) if "stage" in d.value and "who" in d.value][0]]
    assert history.value["stage"].iloc[-1] == "archived" and history.value["who"].iloc[-1] == "Ana (data scientist)"
