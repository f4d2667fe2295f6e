"""A document as data: a title, a boxed verdict, a short summary, then sections of paragraphs,
bullets and tables. HTML (``html.py``) and PDF (``pdf.py``) are two renderings of the same data, so
the model card and the right-to-explanation letter look alike and every text is escaped in one place.

Every string is plain text, as a person would read it (numbers already formatted): no Markdown, no
HTML. The renderers escape it; nothing here is ever interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # already formatted text, one tuple per row, as many cells as columns
    caption: str = ""  # one plain sentence under the table


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str = ""  # e.g. "churn v3 · generated 2026-12-05 01:10 UTC"
    verdict: str = ""  # the one-line decision, shown boxed at the top (GO / NO-GO, approved, refused...)
    summary: tuple[str, ...] = ()  # the two-minute part: short paragraphs
    sections: tuple[Section, ...] = ()


def make_table(columns, rows, caption: str = "") -> Table:
    """A ``Table`` from any iterables of cells (each cell shown as ``str``; None as an empty cell), so a
    caller can pass lists and numbers already formatted without building tuples by hand."""
    cols = tuple(str(c) for c in columns)
    body = tuple(tuple("" if cell is None else str(cell) for cell in row) for row in rows)
    return Table(columns=cols, rows=body, caption=caption)


def document_text(doc: Document) -> str:
    """Every text of ``doc`` in reading order, one per line: for tests and plain-text previews."""
    lines = [doc.title, doc.subtitle, doc.verdict, *doc.summary]
    for section in doc.sections:
        lines += [section.heading, *section.paragraphs, *section.bullets]
        for table in section.tables:
            lines += [" | ".join(table.columns), *(" | ".join(row) for row in table.rows), table.caption]
    return "\n".join(line for line in lines if line)
