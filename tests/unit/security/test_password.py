"""The optional workspace password: off by default, scrypt-hashed, checked, changed, cleared."""

import pytest

from core.cli import main
from core.security import password
from core.workspace.errors import ConfigError


def test_off_by_default_then_set_checked_and_cleared(ws):
    assert not password.password_required(ws) and password.password_fingerprint(ws) is None
    assert password.check_password(ws, "anything")  # no password: nothing to check
    password.set_password(ws, "turma-2026!")
    assert password.password_required(ws)
    assert password.check_password(ws, "turma-2026!")
    assert not password.check_password(ws, "turma-2025!") and not password.check_password(ws, "")
    stored = ws.query_one("SELECT value FROM workspace_settings")["value"]
    assert stored.startswith("scrypt$") and "turma" not in stored
    first = password.password_fingerprint(ws)
    password.set_password(ws, "another-one")
    assert password.password_fingerprint(ws) not in (None, first)  # a new password signs sessions out
    assert password.clear_password(ws) and not password.password_required(ws)
    assert not password.clear_password(ws)
    actions = [r["action"] for r in ws.query("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["workspace.password_set", "workspace.password_set", "workspace.password_cleared"]


def test_salted_so_equal_passwords_hash_apart():
    assert password.hash_password("same-password") != password.hash_password("same-password")
    assert not password.verify_password("x", "not a hash")


@pytest.mark.parametrize("bad", ["short", "x" * 201])
def test_a_password_too_short_or_long_is_refused(ws, bad):
    with pytest.raises(ConfigError, match="characters"):
        password.set_password(ws, bad)


def test_cli_sets_from_stdin_and_clears(ws, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("classroom-pass\n"))
    assert main(["password", "set", "--workspace", str(ws.root)]) == 0
    assert password.check_password(ws, "classroom-pass")
    assert main(["password", "clear", "--workspace", str(ws.root)]) == 0
    assert "removed" in capsys.readouterr().out and not password.password_required(ws)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["password", "set", "--workspace", str(ws.root)]) == 2
    assert capsys.readouterr().err.startswith("error: The workspace password must have at least 8")
