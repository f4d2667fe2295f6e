"""Masking and keyed hashing of personal values, and the workspace key they use.

- `mask_text("ana@mail.com", keep=4)` -> "********.com": every letter and digit but the last `keep`
  becomes "*" (separators stay, so a reader still sees the shape: "***.***.***-25").
- `hash_text(value, key)` -> 32 hex characters of HMAC-SHA256: the same value always gives the same
  text (joins, counts and erasure still work), and without the key nobody can recompute it from a
  guessed email or CPF (a plain SHA-256 of the 200 million CPFs is a lookup table).

The key is the workspace's secret outside the database (``core.security.secret_key``, purpose
"pii"). A cleaning op is a pure function of a table and its parameters, so the key reaches it through
`pii_key_scope(root)`: the code that replays a recipe for a workspace (cleaning, the preview, the
served model, erasure) wraps the replay in it; a hash step replayed outside any scope stops with a
clear error instead of hashing with some other key.
"""

from __future__ import annotations

import contextvars
import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from core.i18n import _
from core.workspace.errors import ConfigError

PURPOSE = "pii"
HASH_CHARS = 32  # 128 bits of the HMAC: no collisions among a table's values, short enough to read
MASK_CHAR = "*"

_root: contextvars.ContextVar[Path | None] = contextvars.ContextVar("studio_pii_root", default=None)


@contextmanager
def pii_key_scope(workspace_root: str | Path) -> Iterator[None]:
    """Hash steps replayed inside use this workspace's key."""
    token = _root.set(Path(workspace_root))
    try:
        yield
    finally:
        _root.reset(token)


def pii_key(workspace_root: str | Path | None = None) -> bytes:
    """The key personal values are hashed with: the workspace's secret for purpose "pii"."""
    root = Path(workspace_root) if workspace_root is not None else _root.get()
    if root is None:
        raise ConfigError(
            _(
                "Hashing personal values needs the workspace's secret key, and no workspace is open here; "
                "replay the recipe from the studio or the command line."
            )
        )
    from core.security.secret_key import secret_key

    return secret_key(root, PURPOSE)


def hash_text(value: str, key: bytes) -> str:
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:HASH_CHARS]


def mask_text(value: str, keep: int = 4) -> str:
    """Every letter and digit but the last `keep` as "*"; spaces and punctuation stay."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    hidden = set(positions[: max(len(positions) - keep, 0)])
    return "".join(MASK_CHAR if i in hidden else ch for i, ch in enumerate(value))


def as_text(value: Any) -> str:
    """A cell as the text hashing and erasure compare: integral floats without ".0", dates as ISO."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def map_cells(s: pd.Series, fn: Any) -> pd.Series:
    """Apply a text function to each distinct non-missing cell once; missing stays missing."""
    present = s.notna()
    codes, uniques = pd.factorize(s[present])
    mapped = [fn(as_text(v.item() if hasattr(v, "item") else v)) for v in uniques]
    out = pd.Series(pd.NA, index=s.index, dtype=object)
    if len(mapped):
        out[present] = [mapped[c] for c in codes]
    return out.astype("str").where(present, None) if len(mapped) else out


def hash_series(s: pd.Series, key: bytes) -> pd.Series:
    return map_cells(s, lambda text: hash_text(text, key))


def mask_series(s: pd.Series, keep: int = 4) -> pd.Series:
    return map_cells(s, lambda text: mask_text(text, keep))
