"""How long work reports how far it got: ``progress(fraction, message)``, fraction in [0, 1].

Jobs write it to the database (the pages poll it), the CLI prints it, tests ignore it.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float, str], None]


def no_progress(fraction: float, message: str) -> None:
    """A progress callback for callers that do not show progress."""


def scaled_progress(progress: Progress, start: float, end: float) -> Progress:
    """A progress callback for a sub-step occupying [start, end] of the whole."""
    return lambda fraction, message: progress(start + (end - start) * fraction, message)
