"""The spec's one error type: one line naming the field path, the value and what is allowed."""

from __future__ import annotations

from core.workspace.errors import ConfigError


class SpecError(ConfigError):
    """A pipeline spec that cannot be used as it is: ``problem.metric: 'acc' is not one of roc_auc, …``.

    A ``ConfigError`` (so a ``StudioError``): pages show it with ``st.error``, the CLI prints
    ``error: …`` and exits 2. ``path`` is the dotted field path (empty for the file as a whole)."""

    def __init__(self, message: str, path: str = ""):
        self.path = path
        super().__init__(message)
