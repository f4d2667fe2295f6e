"""The workspace's secret key: a file OUTSIDE the database, one derived key per purpose.

Someone who can rewrite the workspace database (and so the SHA-256 it records for each artifact)
cannot forge what is keyed with this secret: model signatures (purpose ``"models"``), hashes of
personal values (purpose ``"pii"``). The master key is 32 random bytes, hex-encoded, in a file
readable by its owner only (0600):

- ``$MLOPS_STUDIO_KEY_FILE`` when set (the classroom server keeps it wherever the instructor wants);
- else beside the workspace folder: ``<parent>/<workspace name>.key`` (``./workspace.key`` for the
  default ``./workspace``), so copying or sharing the workspace folder does not carry the key;
- else, when the folder beside it cannot be written, inside the workspace: ``<workspace>/secret.key``.

It is created on first use (atomically: two processes starting at once end with one key). A key file
that others can read or write is refused: a secret the group can read is no secret. Losing the file
means signatures made with it no longer verify (those models must be re-trained or re-signed).

    key = secret_key(ws.root, "models")      # 32 bytes: HMAC-SHA256(master, b"models")
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
import sys
from pathlib import Path

from core.i18n import _
from core.workspace.errors import ConfigError

KEY_FILE_ENV = "MLOPS_STUDIO_KEY_FILE"
KEY_BYTES = 32
INSIDE_NAME = "secret.key"

_cache: dict[tuple, bytes] = {}


def key_file_path(workspace_root: Path) -> Path:
    """Where the key of this workspace lives (or will be created): see the module's docstring."""
    configured = os.environ.get(KEY_FILE_ENV)
    if configured:
        return Path(configured).expanduser()
    root = Path(workspace_root).expanduser().absolute()
    beside = root.parent / f"{root.name}.key"
    inside = root / INSIDE_NAME
    if beside.exists():
        return beside
    if inside.exists():
        return inside
    return beside if os.access(root.parent, os.W_OK) else inside


def _check_private(path: Path, st: os.stat_result) -> None:
    if sys.platform == "win32":  # no POSIX modes there; the user's profile is private
        return
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            _(
                "The studio's secret key file {path} can be read or changed by other users "
                "(permissions {mode}); make it private with: chmod 600 {path}"
            ).format(path=path, mode=oct(stat.S_IMODE(st.st_mode)))
        )
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise ConfigError(
            _(
                "The studio's secret key file {path} belongs to another user; run the studio as "
                "its owner, or point {env} at a key file of your own."
            ).format(path=path, env=KEY_FILE_ENV)
        )


def _create(path: Path) -> None:
    """Write a new random key at ``path`` unless one appears there first (another process)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(
            _(
                "The studio cannot create the folder of its secret key file {path} ({why}); set {env} to a file it can write."
            ).format(path=path, why=exc.strerror or str(exc), env=KEY_FILE_ENV)
        ) from None
    data = secrets.token_hex(KEY_BYTES).encode() + b"\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic "create if absent" of a complete file
        except FileExistsError:
            pass  # another process made it first: use theirs
        except OSError:  # a file system without hard links
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
    except OSError as exc:
        raise ConfigError(
            _("The studio cannot create its secret key file {path} ({why}); set {env} to a file it can write.").format(
                path=path, why=exc.strerror or str(exc), env=KEY_FILE_ENV
            )
        ) from None
    finally:
        try:
            tmp.unlink()
        except OSError:
            pass


def _master_key(path: Path) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        _create(path)
        st = path.stat()
    except OSError as exc:
        raise ConfigError(
            _("The studio cannot read its secret key file {path} ({why}).").format(
                path=path, why=exc.strerror or str(exc)
            )
        ) from None
    _check_private(path, st)
    cache_key = (str(path), st.st_ino, st.st_mtime_ns, st.st_size)
    cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    try:
        text = path.read_bytes().strip()
        master = bytes.fromhex(text.decode("ascii"))
    except (OSError, UnicodeDecodeError, ValueError):
        master = b""
    if len(master) < KEY_BYTES:
        raise ConfigError(
            _(
                "The studio's secret key file {path} is damaged (it should hold {n} random bytes in hex). "
                "Restore it from a backup; models signed with the old key will not load without it."
            ).format(path=path, n=KEY_BYTES)
        )
    _cache.clear()  # one key file in use at a time, in practice: keep the cache at one entry or two
    _cache[cache_key] = master
    return master


def secret_key(workspace_root: Path, purpose: str) -> bytes:
    """The 32-byte key of ``purpose`` ("models", "pii"...) for the workspace at ``workspace_root``:
    HMAC-SHA256 of the purpose under the master key in the key file (created on first use)."""
    if not isinstance(purpose, str) or not purpose:
        raise ValueError("purpose must be a non-empty string")
    master = _master_key(key_file_path(Path(workspace_root)))
    return hmac.new(master, purpose.encode("utf-8"), hashlib.sha256).digest()
