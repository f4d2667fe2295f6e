"""A ``Document`` as a PDF, drawn with fpdf2 (pure Python) in DejaVu Sans, a Unicode font bundled
under ``fonts/`` (Portuguese accents, "·", "≥", "−" and "€" render on any machine, with or without
system fonts). Same data, same order as the HTML rendering: title, subtitle, the boxed verdict, the
summary, then each section."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from core.documents.document import Document, Section, Table
from core.i18n import _

FONT_DIR = Path(__file__).parent / "fonts"
FONT = "DejaVu"
_INK = (31, 41, 51)
_MUTED = (82, 96, 109)
_RULE = (203, 210, 217)
_BOX = (245, 247, 250)
_HEAD = (228, 231, 235)


MISSING_GLYPH = "?"


@lru_cache(maxsize=1)
def _drawable() -> frozenset[int]:
    """The code points both bundled fonts can draw."""
    from fontTools.ttLib import TTFont  # fpdf2's own dependency

    regular, bold = (TTFont(FONT_DIR / name, lazy=True) for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"))
    return frozenset(regular.getBestCmap()) & frozenset(bold.getBestCmap())


def _text(text: str) -> str:
    """``text`` with each character the font cannot draw (Chinese, emoji…) shown as "?": a PDF reader
    would otherwise show nothing in its place, and the reader would not know something was there."""
    known = _drawable()
    if all(ord(c) in known or c in "\n\t" for c in text):
        return text
    return "".join(c if ord(c) in known or c in "\n\t" else MISSING_GLYPH for c in text)


def _drawable_document(doc: Document) -> Document:
    def table(t: Table) -> Table:
        return Table(
            columns=tuple(map(_text, t.columns)),
            rows=tuple(tuple(map(_text, row)) for row in t.rows),
            caption=_text(t.caption),
        )

    sections = tuple(
        Section(
            heading=_text(s.heading),
            paragraphs=tuple(map(_text, s.paragraphs)),
            bullets=tuple(map(_text, s.bullets)),
            tables=tuple(map(table, s.tables)),
        )
        for s in doc.sections
    )
    return replace(
        doc,
        title=_text(doc.title),
        subtitle=_text(doc.subtitle),
        verdict=_text(doc.verdict),
        summary=tuple(map(_text, doc.summary)),
        sections=sections,
    )


def _new_pdf(doc: Document, compress: bool):
    from fpdf import FPDF  # imported here: only a PDF download pays for it

    class _Pdf(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, "", 8)
            self.set_text_color(*_MUTED)
            page = _("page {n}/{total}").format(n=self.page_no(), total="{nb}")
            self.cell(0, 6, f"{doc.title} · {page}", align="C")

    pdf = _Pdf(format="A4", unit="mm")
    pdf.compress = compress
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_title(doc.title)
    pdf.set_creator("MLOps Studio")
    pdf.alias_nb_pages()
    pdf.add_page()
    return pdf


def _paragraph(pdf, text: str, size: float = 10, style: str = "", color=_INK, gap: float = 1.5) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font(FONT, style, size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(gap)


def _bullets(pdf, bullets: tuple[str, ...]) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(*_INK)
    indent = 5.0
    for text in bullets:
        pdf.set_x(pdf.l_margin)
        pdf.cell(indent, 5, "•")
        pdf.multi_cell(pdf.epw - indent, 5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(0.8)
    pdf.ln(1)


_CELL_PADDING = 1.0  # mm, each side of a table cell (``padding`` of fpdf2's table)
_TYPICAL_CAP = 60  # characters: a column of long sentences asks for no more room than this


def _column_widths(pdf, table: Table) -> tuple[float, ...]:
    """Widths in mm filling the page: each column at least as wide as its longest word, drawn in
    its font (bold for the header), so a line breaks at spaces only and never mid-word ("repor / t");
    the room left goes to the columns whose text is longer than that, a sentence before "passed"."""
    least, wanted = [], []
    for i, column in enumerate(table.columns):
        cells = [row[i] for row in table.rows if i < len(row)]
        pdf.set_font(FONT, "B", 8)
        head = max((pdf.get_string_width(word) for word in column.split()), default=0.0)
        pdf.set_font(FONT, "", 8)
        body = max((pdf.get_string_width(word) for text in cells for word in text.split()), default=0.0)
        room = 2 * _CELL_PADDING + 0.6  # the padding, and a little slack against rounding
        least.append(max(head, body, 4.0) + room)
        typical = sum(pdf.get_string_width(c[:_TYPICAL_CAP]) for c in cells) / len(cells) if cells else 0.0
        wanted.append(max(least[-1], typical + room))
    pdf.set_font(FONT, "", 8)
    if sum(wanted) <= pdf.epw:  # everything fits on one line each: spread the spare room alike
        return tuple(w * pdf.epw / sum(wanted) for w in wanted)
    spare = pdf.epw - sum(least)
    if spare <= 0:  # even the longest words do not fit side by side: share the page by them
        return tuple(w * pdf.epw / sum(least) for w in least)
    extra = [w - m for w, m in zip(wanted, least, strict=True)]
    return tuple(m + spare * e / sum(extra) for m, e in zip(least, extra, strict=True))


def _table(pdf, table: Table) -> None:
    from fpdf.fonts import FontFace

    if not table.columns:
        return
    pdf.set_font(FONT, "", 8)
    pdf.set_text_color(*_INK)
    pdf.set_draw_color(*_RULE)
    width = len(table.columns)
    with pdf.table(
        headings_style=FontFace(emphasis="BOLD", fill_color=_HEAD),
        line_height=4.2,
        text_align="LEFT",
        v_align="TOP",
        padding=_CELL_PADDING,
        first_row_as_headings=True,
        col_widths=_column_widths(pdf, table),
    ) as grid:
        head = grid.row()
        for column in table.columns:
            head.cell(column)
        for values in table.rows:
            row = grid.row()
            cells = list(values[:width]) + [""] * (width - len(values))
            for cell in cells:
                row.cell(cell)
    pdf.ln(1)
    if table.caption:
        _paragraph(pdf, table.caption, size=8.5, color=_MUTED, gap=2)
    else:
        pdf.ln(2)


def _section(pdf, section: Section) -> None:
    if pdf.will_page_break(24):  # a heading never ends a page alone
        pdf.add_page()
    pdf.ln(2)
    _paragraph(pdf, section.heading, size=13, style="B", gap=0.5)
    pdf.set_draw_color(*_RULE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())
    pdf.ln(2)
    for text in section.paragraphs:
        _paragraph(pdf, text)
    if section.bullets:
        _bullets(pdf, section.bullets)
    for table in section.tables:
        _table(pdf, table)


def render_pdf(doc: Document, *, compress: bool = True) -> bytes:
    """``doc`` as PDF bytes. ``compress=False`` leaves the page streams readable (for tests); the text
    itself is written as glyph ids of the embedded font subset, so read it back with a PDF reader."""
    from fpdf.enums import XPos, YPos

    doc = _drawable_document(doc)
    pdf = _new_pdf(doc, compress)
    _paragraph(pdf, doc.title, size=18, style="B", gap=1)
    if doc.subtitle:
        _paragraph(pdf, doc.subtitle, size=9.5, color=_MUTED, gap=3)
    if doc.verdict:
        pdf.set_font(FONT, "B", 12)
        pdf.set_text_color(*_INK)
        pdf.set_draw_color(*_INK)
        pdf.set_fill_color(*_BOX)
        pdf.set_line_width(0.5)
        pdf.multi_cell(
            0, 7, doc.verdict, border=1, fill=True, padding=2.5, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.set_line_width(0.2)
        pdf.ln(3)
    for text in doc.summary:
        _paragraph(pdf, text, size=10.5, gap=2)
    for section in doc.sections:
        _section(pdf, section)
    return bytes(pdf.output())
