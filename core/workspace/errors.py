"""Domain errors. Pages turn these into ``st.error``; the CLI into ``error: ...`` and exit 2.

Every message says what is wrong and what to do about it.
"""


class StudioError(Exception):
    """Base class of every error a user can act on."""


class DataError(StudioError):
    """A file or table cannot be used as it is (unreadable, empty, wrong target...)."""


class ConfigError(StudioError):
    """A configuration value is invalid."""


class NotFoundError(StudioError):
    """A named object (project, dataset, model version...) does not exist."""


class IntegrityError(StudioError):
    """An artifact on disk does not match the hash the workspace recorded for it."""


class RequestError(DataError):
    """A request to the endpoint that cannot be answered at all. ``problems`` names each thing
    wrong with it (``serving.InputProblem``: row, column, problem, value, message), for a client
    that wants them one by one; the message says them all."""

    def __init__(self, problems, message: str | None = None):
        self.problems = tuple(problems)
        super().__init__(message or " ".join(p.message for p in self.problems))
