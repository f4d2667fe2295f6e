"""The reader's size caps and the refusals they give: one place to read (and, in tests, lower) them.

Other modules read the caps as `limits.MAX_…` at call time, so a test that lowers one with
`monkeypatch.setattr(limits, "MAX_…", n)` lowers it everywhere.
"""

from __future__ import annotations

from core.data.reader.wording import _size
from core.formatting import format_count
from core.i18n import _
from core.workspace.errors import DataError

MAX_UPLOAD_BYTES = 400 * 1024 * 1024
MAX_DECOMPRESSED_BYTES = 4 * MAX_UPLOAD_BYTES  # a gzip/zip may inflate this far, no further
# Parquet and xlsx are compressed inside: a 463 kB Parquet declared 40 M rows, a 294 kB xlsx held 86 MB
# of sheet XML. Their metadata (row counts, sizes, the sheet's dimension) is checked before reading.
MAX_ROWS = 10_000_000
MAX_CELLS = 100_000_000  # rows x columns: about 1 GB once in memory
MAX_SHEET_XML_BYTES = 50 * 1024 * 1024  # a sheet's XML plus the shared strings; parsed at ~2 MB/s
MAX_EXCEL_CELLS = 2_000_000  # a sheet's declared dimension; about a minute of parsing


def _check_size(size: int, what: str) -> None:
    """Refuse a file over the upload cap (`what` names it: "The file", a path; translated if marked)."""
    if size > MAX_UPLOAD_BYTES:
        raise DataError(
            _(
                "{what} is {size}, over the {limit} limit; "
                "use a smaller extract of the rows, or save it as Parquet (usually 5-10x smaller)."
            ).format(what=_(what), size=_size(size), limit=_size(MAX_UPLOAD_BYTES))
        )


def _check_table_shape(what: str, rows: int, columns: int, max_cells: int | None = None) -> None:
    """Refuse a table whose metadata declares more rows or cells than fit in memory, before reading it."""
    max_cells = MAX_CELLS if max_cells is None else max_cells
    if rows > MAX_ROWS:
        raise DataError(
            _(
                "{what} declares {rows} rows, over the {limit}-row limit; save a sample or an "
                "extract of the rows (a few hundred thousand are plenty to train on) and upload that."
            ).format(what=_(what), rows=format_count(rows), limit=format_count(MAX_ROWS))
        )
    if rows * columns > max_cells:
        raise DataError(
            _(
                "{what} declares {rows} rows × {columns} columns ({cells} cells), over the "
                "{limit}-cell limit; save only the columns you need, or a sample of the rows, "
                "as CSV and upload that."
            ).format(
                what=_(what),
                rows=format_count(rows),
                columns=format_count(columns),
                cells=format_count(rows * columns),
                limit=format_count(max_cells),
            )
        )


def _too_big_when_inflated(kind: str) -> DataError:
    return DataError(
        _(
            "The {kind} file decompresses to more than {size} (a zip bomb?); "
            "upload a smaller extract of the rows, or save the table as Parquet."
        ).format(kind=kind, size=_size(MAX_DECOMPRESSED_BYTES))
    )
