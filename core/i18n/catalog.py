"""The translation catalogs: reading them at run time, and keeping them in step with the code.

One catalog per language, ``locale/<locale>/LC_MESSAGES/messages.po``, standard gettext read and
written with Babel. ``update`` extracts every marked string (``_``, ``N_``, ``ngettext``, ``pgettext``)
from the app, pages, ``ui`` and ``core``, adds the new ones untranslated and drops the ones the code
no longer has; ``check`` lists what a release must not ship with (missing, stale, untranslated or
fuzzy entries, placeholders that differ from the English, glossary terms translated another way).
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import re
import string
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import NullTranslations, Translations

PACKAGE_DIR = Path(__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
GLOSSARY_FILE = PACKAGE_DIR / "glossary.csv"
REPO_ROOT = PACKAGE_DIR.parents[1]
#: Where marked strings live. The CLI's modules stay English and mark nothing.
SOURCE_PATHS = ("app.py", "pages", "ui", "core")
#: Language code -> catalog locale.
CATALOG_LOCALES = {"pt": "pt_BR"}
DOMAIN = "messages"
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_CATALOG_DATE = datetime.datetime(2026, 12, 5, tzinfo=datetime.UTC)


def catalog_path(language: str, root: Path = REPO_ROOT) -> Path:
    locale_dir = LOCALE_DIR if root == REPO_ROOT else root / LOCALE_DIR.relative_to(REPO_ROOT)
    return locale_dir / CATALOG_LOCALES[language] / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations_for(language: str) -> NullTranslations:
    """The compiled catalog of ``language``, read once per process (fuzzy entries are not used)."""
    path = catalog_path(language)
    if language not in CATALOG_LOCALES or not path.exists():
        return NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=CATALOG_LOCALES[language])
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def extract_template(root: Path = REPO_ROOT) -> Catalog:
    """Every marked string in the code, as an empty catalog (the .pot a translator starts from)."""
    template = Catalog(project="MLOps Studio", domain=DOMAIN)
    for source in SOURCE_PATHS:
        path = root / source
        if path.is_file():
            messages = extract_from_dir(root, method_map=[(source, "python")])
        elif path.is_dir():
            messages = extract_from_dir(path, method_map=[("**.py", "python")])
        else:
            continue
        for filename, lineno, message, comments, context in messages:
            where = source if path.is_file() else f"{source}/{filename}"
            template.add(message, locations=[(where, lineno)], auto_comments=comments, context=context)
    return template


def read_catalog(language: str, root: Path = REPO_ROOT) -> Catalog:
    path = catalog_path(language, root)
    if not path.exists():
        return Catalog(
            locale=CATALOG_LOCALES[language],
            domain=DOMAIN,
            header_comment=f"# {CATALOG_LOCALES[language]} translations of MLOps Studio.\n# Terms follow core/i18n/glossary.csv.\n#",
            project="MLOps Studio",
            creation_date=_CATALOG_DATE,
            revision_date=_CATALOG_DATE,
            last_translator="MLOps Studio developers",
            language_team="Português (Brasil)",
            fuzzy=False,
        )
    with path.open("rb") as po:
        return read_po(po, locale=CATALOG_LOCALES[language])


def write_catalog(catalog: Catalog, language: str, root: Path = REPO_ROOT) -> Path:
    path = catalog_path(language, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    # Sorted, without line numbers: a moved line does not touch the catalog, and merges stay small.
    write_po(buffer, catalog, sort_output=True, include_lineno=False, ignore_obsolete=True, width=100)
    path.write_bytes(buffer.getvalue())
    return path


def update(root: Path = REPO_ROOT) -> dict[str, tuple[int, int]]:
    """Bring every catalog in step with the code. Returns {language: (untranslated, total)}."""
    template = extract_template(root)
    summary = {}
    for language in CATALOG_LOCALES:
        catalog = read_catalog(language, root)
        # A fixed creation date: an update that adds nothing leaves the file byte for byte as it was.
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False)
        write_catalog(catalog, language, root)
        entries = [m for m in catalog if m.id]
        summary[language] = (sum(not _translated(m) for m in entries), len(entries))
    return summary


def untranslated(language: str, root: Path = REPO_ROOT) -> dict[str, str | list[str]]:
    """The entries still to translate, as the JSON a translator fills and ``fill`` reads back:
    {msgid: ""} (plural entries: {"singular\u0000plural": ["", ""]}; a context: "context\u0004msgid")."""
    todo: dict[str, str | list[str]] = {}
    for message in read_catalog(language, root):
        if message.id and not _translated(message):
            todo[_json_key(message)] = ["", ""] if not isinstance(message.id, str) else ""
    return todo


def fill(language: str, translations: dict[str, str | list[str]], root: Path = REPO_ROOT) -> int:
    """Writes ``translations`` (the shape ``untranslated`` gives) into the catalog; returns how many
    entries changed. Keys the catalog does not have are refused, so a typo is not lost silently."""
    found = read_catalog(language, root)
    by_key = {_json_key(m): m for m in found if m.id}
    unknown = [key for key in translations if key not in by_key]
    if unknown:
        raise KeyError(f"not in the catalog (run `make i18n` first?): {unknown[:5]}")
    changed = 0
    for key, value in translations.items():
        message = by_key[key]
        new = tuple(value) if isinstance(value, list) else value
        if new and new != message.string:
            message.string = new
            message.flags.discard("fuzzy")
            changed += 1
    write_catalog(found, language, root)
    return changed


def _json_key(message) -> str:
    msgid = message.id if isinstance(message.id, str) else "\u0000".join(message.id)
    return msgid if message.context is None else f"{message.context}\u0004{msgid}"


@dataclass(frozen=True)
class Problem:
    language: str
    kind: str  # missing | stale | untranslated | fuzzy | placeholders | glossary
    message: str
    detail: str = ""

    def __str__(self) -> str:
        return f"[{self.language}] {self.kind}: {self.message!r} {self.detail}".rstrip()


def check(root: Path = REPO_ROOT) -> list[Problem]:
    """What keeps the catalogs from being complete and consistent (empty when they are)."""
    template = extract_template(root)
    wanted = {_key(m) for m in template if m.id}
    glossary = read_glossary()
    problems: list[Problem] = []
    for language in CATALOG_LOCALES:
        catalog = read_catalog(language, root)
        have = {_key(m): m for m in catalog if m.id}
        for key in sorted(wanted - have.keys(), key=str):
            problems.append(Problem(language, "missing", _text(key)))
        for key in sorted(have.keys() - wanted, key=str):
            problems.append(Problem(language, "stale", _text(key)))
        for key, entry in have.items():
            if key not in wanted:
                continue
            if not _translated(entry):
                problems.append(Problem(language, "untranslated", _text(key)))
                continue
            if entry.fuzzy:
                problems.append(Problem(language, "fuzzy", _text(key)))
            for source, translated in _pairs(entry):
                if _placeholders(source) != _placeholders(translated):
                    problems.append(
                        Problem(language, "placeholders", source, f"-> {translated!r}: the {{names}} must match")
                    )
                for term in glossary:
                    if term.applies_to(source) and not term.followed_by(translated):
                        problems.append(
                            Problem(language, "glossary", source, f"-> {translated!r}: say {term.portuguese!r}")
                        )
    return problems


@dataclass(frozen=True)
class Term:
    """A term a class needs, translated the way a teacher says it (``glossary.csv``)."""

    english: str
    portuguese: str
    accepted: tuple[str, ...]
    note: str

    def applies_to(self, source: str) -> bool:
        """Whether ``source`` says the term (a placeholder's name, ``{threshold}``, is not text)."""
        text = _PLACEHOLDER.sub(" ", source)
        return re.search(rf"(?<![\w-]){re.escape(self.english)}(?![\w-])", text, re.IGNORECASE) is not None

    def followed_by(self, translated: str) -> bool:
        lowered = translated.casefold()
        return any(option.casefold() in lowered for option in (self.portuguese, *self.accepted))


@functools.cache
def read_glossary() -> tuple[Term, ...]:
    if not GLOSSARY_FILE.exists():
        return ()
    with GLOSSARY_FILE.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return tuple(
        Term(
            row["english"].strip(),
            row["portuguese"].strip(),
            tuple(a.strip() for a in row.get("also_accepted", "").split("|") if a.strip()),
            row.get("note", "").strip(),
        )
        for row in rows
        if row.get("english", "").strip()
    )


def _key(message) -> tuple[str, str | None]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid, message.context


def _text(key: tuple[str, str | None]) -> str:
    msgid, context = key
    return msgid if context is None else f"{context}|{msgid}"


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return bool(strings) and all(s for s in strings)


def _pairs(message) -> list[tuple[str, str]]:
    if isinstance(message.id, str):
        return [(message.id, message.string)]
    singular, plural = message.id[0], message.id[1]
    return [(singular if i == 0 else plural, s) for i, s in enumerate(message.string)]


def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:  # a lone brace: compared as text
        return {"<unbalanced braces>"}
