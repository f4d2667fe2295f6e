"""A ``Document`` as one self-contained HTML page: inline CSS, no script, no external request (it
opens offline, attached to an e-mail, and prints cleanly). Every text is escaped here, once."""

from __future__ import annotations

from html import escape

from core.documents.document import Document, Section, Table
from core.i18n import current_language

_CSS = """
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2933;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
.subtitle { color: #52606d; margin-top: 0; }
.verdict { border: 2px solid #1f2933; border-radius: 6px; padding: 0.6rem 0.9rem; margin: 1rem 0;
           font-weight: bold; font-size: 1.1rem; background: #f5f7fa; }
.summary p { font-size: 1.02rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid #cbd2d9; padding-bottom: 0.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.6rem 0 0.2rem; font-size: 0.9rem; }
th, td { border: 1px solid #cbd2d9; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #e4e7eb; }
.caption { color: #52606d; font-size: 0.88rem; margin-top: 0.2rem; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""


def _text(value: str) -> str:
    return escape(str(value), quote=True)


def _table(table: Table) -> list[str]:
    out = ["<table>", "<thead><tr>" + "".join(f"<th>{_text(c)}</th>" for c in table.columns) + "</tr></thead>"]
    out.append("<tbody>")
    out += ["<tr>" + "".join(f"<td>{_text(cell)}</td>" for cell in row) + "</tr>" for row in table.rows]
    out.append("</tbody></table>")
    if table.caption:
        out.append(f'<p class="caption">{_text(table.caption)}</p>')
    return out


def _section(section: Section) -> list[str]:
    out = ["<section>", f"<h2>{_text(section.heading)}</h2>"]
    out += [f"<p>{_text(p)}</p>" for p in section.paragraphs]
    if section.bullets:
        out += ["<ul>", *(f"<li>{_text(b)}</li>" for b in section.bullets), "</ul>"]
    for table in section.tables:
        out += _table(table)
    out.append("</section>")
    return out


def _html_language() -> str:
    """The page's ``lang`` attribute: the language the document was written in."""
    return "pt-BR" if current_language() == "pt" else "en"


def render_html(doc: Document) -> str:
    """``doc`` as a complete HTML page (UTF-8), every text html-escaped."""
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{_html_language()}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(doc.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head><body>",
        f"<h1>{_text(doc.title)}</h1>",
    ]
    if doc.subtitle:
        out.append(f'<p class="subtitle">{_text(doc.subtitle)}</p>')
    if doc.verdict:
        out.append(f'<div class="verdict" role="status">{_text(doc.verdict)}</div>')
    if doc.summary:
        out += ['<div class="summary">', *(f"<p>{_text(p)}</p>" for p in doc.summary), "</div>"]
    for section in doc.sections:
        out += _section(section)
    out.append("</body></html>")
    return "\n".join(out) + "\n"
