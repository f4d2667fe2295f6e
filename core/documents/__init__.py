"""Documents people download: a model card, a right-to-explanation letter. A ``Document`` is data
(``document.py``); ``render_html`` and ``render_pdf`` draw the same data, escaping every text once.

    from core.documents import Document, Section, Table, render_html, render_pdf
"""

from core.documents.document import Document, Section, Table, document_text, make_table
from core.documents.html import render_html
from core.documents.pdf import render_pdf

__all__ = ["Document", "Section", "Table", "document_text", "make_table", "render_html", "render_pdf"]
