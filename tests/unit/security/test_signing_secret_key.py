import os
import stat
import sys
import threading

import pytest

from core.security.secret_key import KEY_FILE_ENV, key_file_path, secret_key
from core.workspace.errors import ConfigError

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


@pytest.fixture(autouse=True)
def _no_key_env(monkeypatch):
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)


def test_key_file_is_created_beside_the_workspace_private(tmp_path):
    root = tmp_path / "ws"
    key = secret_key(root, "models")
    path = tmp_path / "ws.key"
    assert key_file_path(root) == path and path.exists()
    assert len(key) == 32
    if sys.platform != "win32":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(root, "models") == key  # stable across calls


def test_one_key_per_purpose_and_per_key_file(tmp_path):
    a = secret_key(tmp_path / "a", "models")
    assert secret_key(tmp_path / "a", "pii") != a
    assert secret_key(tmp_path / "b", "models") != a  # another workspace, another random master key


def test_env_variable_names_the_key_file(tmp_path, monkeypatch):
    chosen = tmp_path / "keys" / "studio.key"
    monkeypatch.setenv(KEY_FILE_ENV, str(chosen))
    key = secret_key(tmp_path / "ws", "pii")
    assert chosen.exists() and not (tmp_path / "ws.key").exists()
    monkeypatch.delenv(KEY_FILE_ENV)
    assert secret_key(tmp_path / "ws", "pii") != key  # without it, the workspace's own key


@posix_only
def test_inside_the_workspace_when_its_parent_is_read_only(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    parent = tmp_path / "locked"
    root = parent / "ws"
    root.mkdir(parents=True)
    parent.chmod(0o500)
    try:
        secret_key(root, "models")
        assert (root / "secret.key").exists()
    finally:
        parent.chmod(0o700)


@posix_only
def test_a_key_file_others_can_read_is_refused(tmp_path):
    secret_key(tmp_path / "ws", "models")
    (tmp_path / "ws.key").chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        secret_key(tmp_path / "ws", "models")


def test_a_damaged_key_file_is_refused(tmp_path):
    path = tmp_path / "ws.key"
    path.write_text("not hex at all")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="damaged"):
        secret_key(tmp_path / "ws", "models")


def test_processes_starting_at_once_share_one_key(tmp_path):
    keys: list[bytes] = []
    threads = [threading.Thread(target=lambda: keys.append(secret_key(tmp_path / "ws", "models"))) for _i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1


def test_purpose_must_be_named(tmp_path):
    with pytest.raises(ValueError):
        secret_key(tmp_path / "ws", "")
