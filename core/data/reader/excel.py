"""Excel .xlsx: the sheet list, size checks made from the zip before parsing, the sheet read as text
cells (so one inference path types every format), and formulas saved without a value.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from typing import Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

from core.data.reader import limits
from core.data.reader.columns import _finish_columns
from core.data.reader.containers import _as_bytes, _identify, _unwrap
from core.data.reader.limits import _check_table_shape, _too_big_when_inflated
from core.data.reader.options import ReadInfo, ReadOptions
from core.data.reader.sniffing import (
    HEADER_SEARCH_ROWS,
    SAMPLE_BYTES,
    _detect_header_position,
)
from core.data.reader.wording import _name_list, _short, _size
from core.formatting import format_count
from core.i18n import _, ngettext
from core.workspace.errors import DataError
from core.workspace.progress import Progress

_XLSX_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}


def list_excel_sheets(data: bytes) -> list[str]:
    """Sheet names of an .xlsx workbook (also inside gzip/zip), in workbook order."""
    unwrapped, _notes = _unwrap(_as_bytes(data))
    if _identify(unwrapped) != "excel":
        raise DataError(_("This file is not an Excel .xlsx workbook, so it has no sheets; read it as a table instead."))
    with zipfile.ZipFile(io.BytesIO(unwrapped)) as zf:
        _check_workbook_inflated_size(zf)
        return [name for name, _ in _sheet_parts(zf)]


def _read_excel(data: bytes, options: ReadOptions, report: Progress) -> tuple[pd.DataFrame, ReadInfo]:
    import pyarrow as pa

    report(0.05, _("Opening the workbook"))
    _check_sheet_size(data, options.sheet)
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
        sheets = list(book.sheet_names)
    except Exception as exc:
        raise DataError(
            _(
                "The Excel workbook cannot be opened ({error}); open it in Excel, save it again as .xlsx and retry."
            ).format(error=_short(exc))
        ) from None
    notes: list[str] = []
    if not sheets:
        raise DataError(_("The Excel workbook has no sheets; choose a workbook that holds a table."))
    if options.sheet is not None and options.sheet not in sheets:
        raise DataError(
            _("The workbook has no sheet named {sheet}; choose one of: {names}.").format(
                sheet=repr(options.sheet), names=_name_list(sheets)
            )
        )
    sheet = options.sheet if options.sheet is not None else sheets[0]
    if options.sheet is None and len(sheets) > 1:
        notes.append(
            _("Read the first sheet {sheet}; the workbook also has {names} (choose another sheet to read it).").format(
                sheet=repr(sheet), names=_name_list(sheets[1:])
            )
        )
    report(0.1, _("Reading sheet {sheet}").format(sheet=repr(sheet)))
    try:
        raw = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object, keep_default_na=False, na_values=[])
    except Exception as exc:
        raise DataError(
            _("Sheet {sheet} cannot be read ({error}); save the workbook again as .xlsx and retry.").format(
                sheet=repr(sheet), error=_short(exc)
            )
        ) from None
    cells = raw.map(_excel_cell_to_text) if raw.size else raw
    cells = cells.loc[cells.ne("").any(axis=1)] if cells.size else cells  # skip fully empty rows
    if cells.empty:
        raise DataError(_("Sheet {sheet} is empty; choose the sheet that holds the table.").format(sheet=repr(sheet)))
    counts = cells.ne("").sum(axis=1).tolist()
    if options.header_row is not None:
        if options.header_row not in cells.index:
            raise DataError(
                _(
                    "Row {row} of sheet {sheet} (row {excel_row} in Excel) is empty "
                    "or beyond the data; choose another header row."
                ).format(row=options.header_row, sheet=repr(sheet), excel_row=options.header_row + 1)
            )
        header_pos = list(cells.index).index(options.header_row)
    else:
        header_pos = _detect_header_position(counts[:HEADER_SEARCH_ROWS], by_max=True)
    header_row = int(cells.index[header_pos])
    if header_pos > 0:
        notes.append(
            ngettext(
                "Skipped {n} row(s) above the header (row {row} of the sheet holds the column names).",
                "Skipped {n} row(s) above the header (row {row} of the sheet holds the column names).",
                header_row,
            ).format(n=header_row, row=header_row + 1)
        )
    names = cells.iloc[header_pos].tolist()
    body = cells.iloc[header_pos + 1 :]
    columns = [pa.chunked_array([pa.array(body[i].tolist(), pa.large_string())]) for i in body.columns]
    del raw, cells, body
    report(0.5, _("Typing the columns"))
    df, infos = _finish_columns(
        columns,
        names,
        options,
        decimal=".",
        thousands=None,
        notes=notes,
        what=_("Sheet {sheet}").format(sheet=repr(sheet)),
        report=lambda f, m: report(0.5 + 0.5 * f, m),
    )
    notes.extend(_formula_warnings(data, sheet, header_row, names, [c.name for c in infos]))
    info = ReadInfo(
        "excel",
        None,
        None,
        None,
        header_row,
        sheet,
        len(df),
        infos,
        tuple(notes),
        sheets=tuple(sheets),
        na_tokens=options.na_tokens,
    )
    return df, info


def _excel_cell_to_text(value: Any) -> str:
    """Excel cells come typed; write them as text so one inference path serves every format."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() and abs(float(value)) < 1e15 else repr(float(value))
    if isinstance(value, datetime.datetime):
        ts = pd.Timestamp(value)
        if pd.isna(ts):
            return ""
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _sheet_parts(zf: zipfile.ZipFile) -> list[tuple[str, str | None]]:
    """(sheet name, path of its XML part) in workbook order, from workbook.xml and its relations."""
    try:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        rels = (
            ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
            if "xl/_rels/workbook.xml.rels" in zf.namelist()
            else None
        )
    except (ElementTree.ParseError, KeyError, zipfile.BadZipFile) as exc:
        raise DataError(
            _("The Excel workbook is damaged ({error}); open it in Excel, save it again as .xlsx and retry.").format(
                error=_short(exc)
            )
        ) from None
    targets = {}
    for rel in rels if rels is not None else []:
        target = rel.get("Target", "")
        targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    parts = []
    for sheet in book.iterfind("m:sheets/m:sheet", _XLSX_NS):
        rid = sheet.get(f"{{{_XLSX_NS['r']}}}id")
        parts.append((sheet.get("name", ""), targets.get(rid)))
    return parts


def _check_workbook_inflated_size(zf: zipfile.ZipFile) -> None:
    """An xlsx is a zip: refuse one whose parts declare more than the decompression cap (Python's zip
    reader never inflates a part past its declared size, so the declared sizes are a real bound)."""
    if sum(member.file_size for member in zf.infolist()) > limits.MAX_DECOMPRESSED_BYTES:
        raise _too_big_when_inflated("Excel")


def _check_sheet_size(data: bytes, sheet: str | None) -> None:
    """Refuse a sheet too big to parse in reasonable time, from the zip's sizes and the sheet's dimension.

    openpyxl parses about 2 MB of sheet XML a second and loads every shared string at once, so a
    294 kB workbook holding 86 MB of XML took minutes; the sizes are known before any parsing.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            _check_workbook_inflated_size(zf)
            parts = _sheet_parts(zf)
            name, part = (
                next(((n, p) for n, p in parts if n == sheet), (None, None))
                if sheet is not None
                else (parts[0] if parts else (None, None))
            )
            sizes = {m.filename: m.file_size for m in zf.infolist()}
            if part not in sizes:
                return  # no such sheet: reading it gives the message that lists the sheets
            xml = sizes[part] + sizes.get("xl/sharedStrings.xml", 0)
            if xml > limits.MAX_SHEET_XML_BYTES:
                raise DataError(
                    _(
                        "Sheet {sheet} holds {size} of spreadsheet XML once unzipped (the file is "
                        "{file_size}), over the {limit} that can be read in "
                        "reasonable time; save the sheet as CSV (File > Save As > CSV) and upload that."
                    ).format(
                        sheet=repr(name),
                        size=_size(xml),
                        file_size=_size(len(data)),
                        limit=_size(limits.MAX_SHEET_XML_BYTES),
                    )
                )
            with zf.open(part) as fh:
                head = fh.read(SAMPLE_BYTES)
    except (zipfile.BadZipFile, OSError, KeyError):
        return  # a damaged workbook: opening it gives the message
    dimension = _sheet_dimension(head)
    if dimension is not None:
        rows, columns = dimension
        _check_table_shape(_("Sheet {sheet}").format(sheet=repr(name)), rows, columns, max_cells=limits.MAX_EXCEL_CELLS)


def _sheet_dimension(head: bytes) -> tuple[int, int] | None:
    """(rows, columns) the sheet declares in its <dimension ref="A1:F20000"/>, if it says."""
    match = re.search(rb'<(?:\w{1,10}:)?dimension\s+ref="\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?"', head)
    if not match or match.group(3) is None:
        return None
    first = _cell_position(f"{match.group(1).decode()}{match.group(2).decode()}")
    last = _cell_position(f"{match.group(3).decode()}{match.group(4).decode()}")
    if first is None or last is None:
        return None
    return last[0] - first[0] + 1, last[1] - first[1] + 1


def _formula_warnings(data: bytes, sheet: str, header_row: int, raw_names: list[str], names: list[str]) -> list[str]:
    """Formulas saved without a value (e.g. written by a script, never opened in Excel) read as blanks: say so."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            part = dict(_sheet_parts(zf)).get(sheet)
            if not part or part not in zf.namelist():
                return []
            cells = _formulas_without_value(zf, part)
    except (DataError, zipfile.BadZipFile, ElementTree.ParseError, OSError):
        return []
    below = [(r, c) for r, c in cells if r > header_row]
    if not below:
        return []
    known = {i: str(n).strip() for i, n in enumerate(raw_names) if str(n).strip() in names}
    columns = sorted({c for _, c in below})
    labels = [repr(known[c]) if c in known else _column_letter(c) for c in columns]  # 'total', or F if unnamed
    shown = ", ".join(labels[:6])
    if len(labels) == 1:
        where = _("column {names}").format(names=shown)
    elif len(labels) > 6:
        where = _("columns {names} and more").format(names=shown)
    else:
        where = _("columns {names}").format(names=shown)
    n = len(below)
    return [
        ngettext(
            "Sheet {sheet}: {n} cell in {where} hold formulas with no saved value "
            "(the file was never opened and saved in Excel); they were read as missing. "
            "Open and save the file in Excel, or export it to CSV.",
            "Sheet {sheet}: {n} cells in {where} hold formulas with no saved value "
            "(the file was never opened and saved in Excel); they were read as missing. "
            "Open and save the file in Excel, or export it to CSV.",
            n,
        ).format(sheet=repr(sheet), n=format_count(n), where=where)
    ]


def _formulas_without_value(zf: zipfile.ZipFile, part: str) -> list[tuple[int, int]]:
    """0-based (row, column) of formula cells whose cached value is absent."""
    with zf.open(part) as fh:  # cheap pre-check: most sheets hold no formulas at all
        has_formula = False
        tail = b""
        while chunk := fh.read(1 << 20):
            if re.search(rb"<(?:\w{1,10}:)?f[ >/]", tail + chunk):  # <f>, <f t="shared" .../>, <x:f>
                has_formula = True
                break
            tail = chunk[-16:]
    if not has_formula:
        return []
    found = []
    sheet_data = None
    with zf.open(part) as fh:
        for event, elem in ElementTree.iterparse(fh, events=("start", "end")):
            tag = elem.tag.rsplit("}", 1)[-1]
            if event == "start":
                sheet_data = elem if tag == "sheetData" else sheet_data
                continue
            if tag != "row":
                continue
            for cell in elem:
                parts = {child.tag.rsplit("}", 1)[-1]: child for child in cell}
                value = parts.get("v")
                no_value = value is None or (not value.text and cell.get("t") != "str")
                if "f" in parts and no_value and (ref := _cell_position(cell.get("r", ""))):
                    found.append(ref)
            if sheet_data is not None:
                sheet_data.clear()  # keep memory flat on big sheets: rows already seen are dropped
    return found


def _cell_position(ref: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    if not match:
        return None
    col = 0
    for ch in match.group(1):
        col = col * 26 + ord(ch) - 64
    return int(match.group(2)) - 1, col - 1


def _column_letter(index: int) -> str:
    letters, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
