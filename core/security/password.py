"""The optional workspace password, for a shared class server.

Off by default: no password set, the studio opens as before (CI, demos, a laptop). The instructor sets
one (``mlops-studio password set`` or the Home page); from then on each browser session signs in
(ui/signin.py) before it sees a page, and the name and role it signs in with are the actor of
migration 14 for everything it does. Changing or clearing the password signs every session out. The workspace keeps only a salted scrypt hash of the password
(hashlib.scrypt, stdlib; n=2**14, r=8, p=1, 32 bytes), in ``workspace_settings``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3

from core.i18n import _
from core.workspace.database import Workspace, now
from core.workspace.errors import ConfigError

SETTING = "password"
MIN_LENGTH = 8
MAX_LENGTH = 200
_N, _R, _P, _LEN = 2**14, 8, 1, 32


def _scrypt(password: str, salt: bytes, n: int = _N, r: int = _R, p: int = _P) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=_LEN)


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64): what the workspace stores."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _stored(ws: Workspace) -> str | None:
    try:
        row = ws.query_one("SELECT value FROM workspace_settings WHERE name = ?", (SETTING,))
    except sqlite3.OperationalError:  # a schema from before the setting existed: no password
        return None
    return row["value"] if row else None


def password_fingerprint(ws: Workspace) -> str | None:
    """None when no password is set; else a short digest of the stored hash, which a session keeps once
    signed in: a new password changes it, so every session signs in again."""
    stored = _stored(ws)
    return hashlib.sha256(stored.encode()).hexdigest()[:16] if stored else None


def password_required(ws: Workspace) -> bool:
    """Whether sessions must sign in (a password is set)."""
    return _stored(ws) is not None


def set_password(ws: Workspace, password: str) -> None:
    """Set (or change) the workspace password; sessions signed in with the old one sign in again."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise ConfigError(_("The workspace password must have at least {n} characters.").format(n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise ConfigError(_("The workspace password can have at most {n} characters.").format(n=MAX_LENGTH))
    stored = hash_password(password)
    with ws.transaction() as conn:
        conn.execute(
            "INSERT INTO workspace_settings (name, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (SETTING, stored, now()),
        )
        ws.audit(conn, None, "workspace.password_set", {})


def clear_password(ws: Workspace) -> bool:
    """Remove the password (the studio opens without signing in again); False if none was set."""
    with ws.transaction() as conn:
        removed = conn.execute("DELETE FROM workspace_settings WHERE name = ?", (SETTING,)).rowcount
        if removed:
            ws.audit(conn, None, "workspace.password_cleared", {})
    return bool(removed)


def check_password(ws: Workspace, password: str) -> bool:
    """Whether ``password`` is the workspace's (True when none is set)."""
    stored = _stored(ws)
    if stored is None:
        return True
    return isinstance(password, str) and len(password) <= MAX_LENGTH and verify_password(password, stored)
