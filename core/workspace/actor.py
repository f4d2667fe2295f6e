"""Who does what: the person (or the automatic process) every audit entry records.

The current actor is a context variable, so the UI (one script run per session), the CLI and the
automatic paths set it once around their work instead of passing it through every call:

    with acting_as(Actor("Ana", "data scientist")):
        stage_promote(...)           # the audit entries say "Ana (data scientist)"

Jobs copy the context of the code that started them (core.workspace.jobs), so a demo started by Ana
records Ana. Automatic work wraps itself in ``acting_as(automatic("autopilot"))``: its entries say
"autopilot" and, when a person started it, on whose behalf. Code that sets nothing (a Python script,
a notebook) records the operating-system user with the role "script".
"""

from __future__ import annotations

import contextvars
import getpass
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from core.i18n import _
from core.workspace.errors import ConfigError

REVIEWER = "reviewer"
DATA_SCIENTIST = "data scientist"
COMMAND_LINE = "command line"
AUTOMATIC = "automatic"
SCRIPT = "script"
VISITOR = "visitor"  # someone on the studio who has not named themselves yet
# The roles a person picks when they sign in on the studio.
PERSON_ROLES = (DATA_SCIENTIST, REVIEWER)
# Names people may not take: they are the automatic actors' own.
AUTOMATIC_NAMES = ("autopilot", "studio pipeline", "canary rollout", "shadow rollout", "blue-green rollout")
MAX_NAME = 60


@dataclass(frozen=True)
class Actor:
    """Who acts: a name, a role (PERSON_ROLES, COMMAND_LINE, AUTOMATIC or SCRIPT) and, for automatic
    work started by a person, that person's name."""

    name: str
    role: str
    on_behalf_of: str | None = None

    @property
    def is_automatic(self) -> bool:
        return self.role == AUTOMATIC

    @property
    def is_person(self) -> bool:
        """A person acting through the studio (signed in on the UI, or on the command line); the
        registry's approval policy holds them."""
        return self.role in (*PERSON_ROLES, COMMAND_LINE, VISITOR)

    def label(self) -> str:
        """As the audit log says it: "Ana (data scientist)", "autopilot (started by Ana)"."""
        if self.is_automatic:
            return f"{self.name} (started by {self.on_behalf_of})" if self.on_behalf_of else self.name
        return f"{self.name} ({self.role})" if self.role else self.name


def _os_user() -> str:
    try:
        return getpass.getuser() or "unknown user"
    except (KeyError, OSError):  # no user name in the environment or the password database
        return "unknown user"


_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("studio_actor", default=None)


def current_actor() -> Actor:
    """The actor of the work under way: the one set by ``acting_as``, else the OS user as a script."""
    actor = _current.get()
    return actor if actor is not None else Actor(_os_user(), SCRIPT)


def set_actor(actor: Actor) -> None:
    """Make ``actor`` the current one for the rest of this thread's work (a Streamlit script run sets
    the signed-in person first thing, in its own thread; elsewhere prefer ``acting_as``)."""
    _current.set(actor)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def automatic(name: str) -> Actor:
    """An automatic actor (the autopilot, the studio pipeline, a rollout's verdict), on behalf of the
    person under way, if any (an automatic actor inside another keeps the first one's person)."""
    now = current_actor()
    behalf = now.on_behalf_of if now.is_automatic else (now.name if now.role != SCRIPT else None)
    return Actor(name, AUTOMATIC, behalf)


# Characters that show nothing (or reorder what is shown) yet make a name differ: control and format
# characters (Cc, Cf: NUL, zero-width space, right-to-left override...), line and paragraph separators,
# surrogates, private-use and unassigned code points, and the default-ignorable letters and marks
# (Hangul fillers, variation selectors, the combining grapheme joiner).
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_INVISIBLE_RANGES = (
    (0x034F, 0x034F), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xE0100, 0xE01EF),
)  # fmt: skip


def is_invisible(char: str) -> bool:
    code = ord(char)
    return unicodedata.category(char) in _INVISIBLE_CATEGORIES or any(a <= code <= b for a, b in _INVISIBLE_RANGES)


def identity_key(name: str) -> str:
    """The form two names are compared in (is the reviewer the requester?): NFKC-normalised, case-folded,
    invisible characters removed and spaces collapsed, so "Ana\u200b", "ＡＮＡ" and " ana " are Ana."""
    text = unicodedata.normalize("NFKC", str(name))
    text = unicodedata.normalize("NFKC", "".join(c for c in text if not is_invisible(c)).casefold())
    return " ".join("".join(c for c in text if not is_invisible(c)).split())


def same_person(a: str, b: str) -> bool:
    return identity_key(a) == identity_key(b)


def person(name: str, role: str) -> Actor:
    """A person who names themselves: the name trimmed, checked, and not an automatic actor's. A name
    with an invisible character (is_invisible) is refused: it would pass for someone else's."""
    if any(is_invisible(c) for c in str(name)):
        raise ConfigError(
            _(
                "Your name must not contain invisible or control characters (such as a zero-width space or a "
                "direction mark); type it with visible letters only."
            )
        )
    clean = " ".join(str(name).split())
    if not clean:
        raise ConfigError(_("Your name must not be empty; type the name the audit log should show."))
    if len(clean) > MAX_NAME:
        raise ConfigError(
            _("Your name must be at most {limit} characters; got {length} instead.").format(
                limit=MAX_NAME, length=len(clean)
            )
        )
    if identity_key(clean) in AUTOMATIC_NAMES:
        raise ConfigError(
            _("'{name}' is the name of an automatic actor; sign in with your own name.").format(name=clean)
        )
    if role not in (*PERSON_ROLES, COMMAND_LINE):
        raise ConfigError(
            _("The role must be one of {roles}; got '{role}' instead.").format(roles=", ".join(PERSON_ROLES), role=role)
        )
    return Actor(clean, role)


def verdict_actor(name: str) -> Actor:
    """The actor of an automatic verdict: the automatic actor already under way (the autopilot running
    a canary stays the autopilot), else ``automatic(name)``."""
    now = current_actor()
    return now if now.is_automatic else automatic(name)
