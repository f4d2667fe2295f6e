"""Translation of everything a person reads: gettext catalogs (Babel), English by default.

Mark a sentence where it is written and translate it where it is shown:

- ``_("Train the models")`` translates now, into the language of whoever is being served. Use it in
  functions (captions, chart titles, error messages), never at import time.
- ``N_("Accuracy")`` only marks a constant (a dict of labels, a module-level title) for the catalog;
  translate it with ``_(LABELS[key])`` where it is shown.
- ``ngettext("{n} row", "{n} rows", n).format(n=...)`` for counts. Placeholders are named and filled
  with ``.format`` after translating: an f-string cannot be translated.

The language is chosen per call: inside ``use_language("pt")`` (the CLI never enters one, so it stays
English), else from the resolver the UI registers (the session's choice), else English. Catalogs are
``locale/<lang>/LC_MESSAGES/messages.po``, read once per process; ``python -m core.i18n update``
brings them in step with the code (see ``core.i18n.catalog``).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

from core.i18n.catalog import translations_for

#: The languages the studio speaks: code -> its name in itself (shown in the language switch).
LANGUAGES = {"en": "English", "pt": "Português (Brasil)"}
DEFAULT_LANGUAGE = "en"

_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("studio_language", default=None)
_resolver: Callable[[], str | None] | None = None


def normalize_language(value: object) -> str | None:
    """'pt', 'pt-BR', 'pt_br', 'PT' -> 'pt'; 'en-GB' -> 'en'; anything else (hostile URL text) -> None."""
    if not isinstance(value, str):
        return None
    code = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return code if code in LANGUAGES else None


def set_language_resolver(resolver: Callable[[], str | None] | None) -> None:
    """Where the language comes from outside ``use_language`` (the UI: the session's choice)."""
    global _resolver
    _resolver = resolver


def current_language() -> str:
    explicit = _language.get()
    if explicit is not None:
        return explicit
    if _resolver is not None:
        try:
            chosen = normalize_language(_resolver())
        except Exception:  # a resolver outside its session (a job thread) falls back to the default
            chosen = None
        if chosen is not None:
            return chosen
    return DEFAULT_LANGUAGE


@contextlib.contextmanager
def use_language(language: str) -> Iterator[str]:
    """Speak ``language`` inside the block (jobs carry their starter's language with it; tests)."""
    code = normalize_language(language) or DEFAULT_LANGUAGE
    token = _language.set(code)
    try:
        yield code
    finally:
        _language.reset(token)


def _(message: str) -> str:
    """``message`` in the current language (itself in English or when the catalog lacks it)."""
    language = current_language()
    if language == DEFAULT_LANGUAGE:
        return message
    return translations_for(language).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    language = current_language()
    if language == DEFAULT_LANGUAGE:
        return singular if count == 1 else plural
    return translations_for(language).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """``message`` where the same English word needs two translations (``context`` tells them apart)."""
    language = current_language()
    if language == DEFAULT_LANGUAGE:
        return message
    return str(translations_for(language).pgettext(context, message))


def N_(message: str) -> str:
    """Marks ``message`` for the catalog without translating it (constants; see the module text)."""
    return message


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "N_",
    "_",
    "current_language",
    "ngettext",
    "normalize_language",
    "pgettext",
    "set_language_resolver",
    "use_language",
]
