"""Deploy's API keys panel (create: shown once; list; revoke) and the workspace password's sign-in."""

import pytest

from core.security import keys, password
from core.workspace.database import Workspace
from tests.pages.conftest import project_app_factory


def _deploy(make):
    at = make()
    at.run()
    at.switch_page("pages/7_Deploy.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _keys_table(at):
    return next(d.value for d in at.dataframe if "Starts with" in d.value.columns)


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_create_shows_the_key_once_then_revoke(rollout_copy, monkeypatch):
    ws = Workspace(rollout_copy)
    at = _deploy(project_app_factory(rollout_copy, monkeypatch))
    assert any(s.value == "API keys" for s in at.subheader)
    assert any("no API keys yet" in i.value for i in at.info)
    at.text_input(key="api_key_name").set_value("student 7")
    at.text_input(key="api_key_limit").set_value("100/minute")
    _button(at, "Create key").click().run()
    assert not at.exception, at.exception
    shown = [c.value for c in at.code if c.value.startswith("mls_")]
    assert len(shown) == 1
    key = shown[0]
    assert keys.authenticate(ws, 1, f"Bearer {key}").name == "student 7"
    assert any("never shown again" in s.value for s in at.success)
    table = _keys_table(at)
    assert table["Name"].tolist() == ["student 7"] and table["Rate limit"].tolist() == ["100/minute"]
    assert key not in table.to_string() and key[:12] + "…" in table["Starts with"].tolist()
    at.run()  # any next run: the key is gone from the page
    assert not [c.value for c in at.code if c.value.startswith("mls_")]
    at.selectbox(key="api_key_revoke_choice").set_value(int(table["Key"].iloc[0]))
    at.button(key="api_key_revoke").click().run()
    assert not at.exception, at.exception
    with pytest.raises(keys.KeyRefused, match="revoked"):
        keys.authenticate(ws, 1, f"Bearer {key}")
    assert _keys_table(at)["Status"].tolist() == ["revoked"]


def test_a_bad_rate_limit_is_one_line(rollout_copy, monkeypatch):
    at = _deploy(project_app_factory(rollout_copy, monkeypatch))
    at.text_input(key="api_key_limit").set_value("lots")
    _button(at, "Create key").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "The rate limit 'lots' is not one the endpoint understands; write a number of requests per second, "
        "minute, hour or day, such as 600/minute."
    ]


def test_keys_panel_in_portuguese(rollout_copy, monkeypatch):
    make = project_app_factory(rollout_copy, monkeypatch)

    def make_pt():
        at = make()
        at.query_params["lang"] = "pt"
        return at

    at = _deploy(make_pt)
    assert any(s.value == "Chaves de API" for s in at.subheader)
    assert any(b.label == "Criar chave" for b in at.button)


def test_password_off_by_default_then_sign_in(rollout_copy, monkeypatch):
    ws = Workspace(rollout_copy)
    make = project_app_factory(rollout_copy, monkeypatch)
    at = make()
    at.run()
    assert not at.exception and not any(t.value == "Sign in to this studio" for t in at.title)
    password.set_password(ws, "turma-2026!")
    at = make()
    at.query_params["as"] = "Mallory"  # a crafted link names no one while the password is on
    at.query_params["role"] = "reviewer"
    at.run()
    assert [t.value for t in at.title] == ["Sign in to this studio"]
    assert not at.subheader  # nothing of the page shows
    at.text_input(key="signin_name").set_value("Ana")
    at.text_input(key="signin_password").set_value("wrong-password")
    _button(at, "Sign in").click().run()
    assert [e.value for e in at.error] == ["Wrong password; ask the instructor for it."]
    at.text_input(key="signin_password").set_value("turma-2026!")
    _button(at, "Sign in").click().run()
    assert not at.exception, at.exception
    assert "Sign in to this studio" not in [t.value for t in at.title]
    assert any("Signed in as **Ana** (data scientist)" in c.value for c in at.sidebar.caption)
    at.query_params["as"] = "Mallory"  # signed in: the session stays Ana
    at.run()
    assert any("Signed in as **Ana**" in c.value for c in at.sidebar.caption)
    password.set_password(ws, "new-password!")  # a new password: sign in again
    at.run()
    assert [t.value for t in at.title] == ["Sign in to this studio"]


def test_signin_in_portuguese(rollout_copy, monkeypatch):
    password.set_password(Workspace(rollout_copy), "turma-2026!")
    at = project_app_factory(rollout_copy, monkeypatch)()
    at.query_params["lang"] = "pt"
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Entrar neste estúdio"]
