"""Small phrasing helpers shared by the reader's messages and notes (sizes, name lists, short errors)."""

from __future__ import annotations

from typing import Any

from core.formatting import format_count
from core.i18n import _


def _name_list(names: Any, limit: int = 8) -> str:
    names = [str(n) for n in names]
    shown = ", ".join(repr(n) for n in names[:limit])
    return shown + (" " + _("and {n} more").format(n=len(names) - limit) if len(names) > limit else "")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if n >= scale:
            return f"{n / scale:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{n:,} bytes"


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def describe_read(info: Any) -> str:
    """One sentence of how a table was read (a ``ReadInfo``): its size, format and, for text files,
    the encoding, delimiter, decimal mark and thousands separator found; the sheet of a workbook."""
    sentence = _("Read {rows} rows × {columns} columns as {format}").format(
        rows=format_count(info.rows), columns=len(info.columns), format=info.format
    )
    if info.format == "csv":
        details = {"encoding": info.encoding, "delimiter": repr(info.delimiter), "decimal": repr(info.decimal)}
        if info.thousands:
            sentence += " " + _(
                "(encoding {encoding}, delimiter {delimiter}, decimal {decimal}, thousands {thousands})"
            ).format(**details, thousands=repr(info.thousands))
        else:
            sentence += " " + _(
                "(encoding {encoding}, delimiter {delimiter}, decimal {decimal}, no thousands separator)"
            ).format(**details)
    if info.sheet:
        sentence += ", " + _("sheet '{sheet}'").format(sheet=info.sheet)
    return sentence + "."
