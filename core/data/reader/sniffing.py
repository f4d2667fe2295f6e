"""CSV sniffing on a sample of the text: quote character, delimiter, header line and the number format
(decimal mark, thousands separator). Pure functions of the sample; nothing here reads the whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter

from core import i18n
from core.data.reader.encoding import _Text
from core.data.reader.mapped import FileBytes
from core.i18n import N_

CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 64 * 1024  # enough lines to detect delimiter, quotes, header and number format
HEADER_SEARCH_ROWS = 30
_DELIMITER_NAMES = {",": N_("comma"), ";": N_("semicolon"), "\t": N_("tab"), "|": N_("pipe")}


def _delimiter_name(delimiter: str) -> str:
    name = _DELIMITER_NAMES.get(delimiter)
    return i18n._(name) if name is not None else repr(delimiter)  # `_` is a throwaway name here


def _head_text(text: _Text, offset: int, end: int | None = None) -> str:
    """Up to SAMPLE_BYTES of text from `offset`, cut at the last full line when the file goes on."""
    stop = min(offset + SAMPLE_BYTES, len(text.buf) if end is None else end)
    head = codecs.getincrementaldecoder("utf-8")("replace").decode(text.buf[offset:stop], final=False)
    if stop < (len(text.buf) if end is None else end):
        cut = head.rfind("\n")
        head = head[: cut + 1] if cut > 0 else head
    return head.lstrip("\ufeff") if offset == 0 else head


def _skip_lines(text: str, lines: int) -> str:
    pos = 0
    for _ in range(lines):
        nxt = text.find("\n", pos)
        if nxt < 0:
            return ""
        pos = nxt + 1
    return text[pos:]


def _line_offset(buf: FileBytes, start: int, line: int) -> int | None:
    """Byte offset where 0-based physical line `line` starts (None if the file has fewer lines)."""
    pos = start
    for _ in range(line):
        nxt = buf.find(b"\n", pos)
        if nxt < 0:
            return None
        pos = nxt + 1
    return pos


def _end_without_blank_lines(buf: FileBytes, offset: int) -> int:
    """End offset without blank or space-only lines at the end (editors add them); tabs inside real rows stay."""
    end = len(buf)
    while True:
        while end > offset and buf[end - 1] in b"\r\n":
            end -= 1
        cut = buf.rfind(b"\n", offset, end)
        if cut < 0 or buf[cut + 1 : end].strip(b" \t\r"):
            return end if buf[max(cut + 1, offset) : end].strip(b" \t\r") else offset
        end = cut


def _detect_quotechar(sample: str) -> str:
    """'"' unless whole fields are clearly wrapped in single quotes instead."""

    def quoted_fields(q: str) -> int:
        return len(re.findall(rf"(?:^|[,;\t|])[ ]*{q}[^{q}\n]*{q}[ ]*(?=[,;\t|]|\r?$)", sample, re.MULTILINE))

    single, double = quoted_fields("'"), quoted_fields('"')
    return "'" if single >= 2 and single > double else '"'


def _parse_sample(sample: str, delimiter: str, quotechar: str = '"') -> tuple[list[list[str]], list[int]]:
    """Non-empty rows of the sample and the 0-based line each starts on."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar=quotechar)
    rows, starts, previous = [], [], 0
    try:
        for row in reader:
            if row and any(f.strip() for f in row) or len(row) > 1:
                rows.append(row)
                starts.append(previous)
            previous = reader.line_num
    except csv.Error:
        pass  # an unterminated quote in the sample; the parser gives the real message later
    return rows, starts


def _detect_delimiter(sample: str, quotechar: str = '"') -> str:
    """Pick the candidate that splits lines into the same number (>1) of fields most often."""
    best, best_score = ",", (-1.0, 0)
    for delimiter in CANDIDATE_DELIMITERS:
        rows, _ = _parse_sample(sample, delimiter, quotechar)
        counts = [len(r) for r in rows]
        if not counts:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        score = (freq / len(counts), mode)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _detect_header_position(counts: list[int], nonblank: list[int] | None = None, by_max: bool = False) -> int:
    """First row that looks like a header: as many fields as the data rows, several of them filled."""
    if not counts:
        return 0
    if by_max:  # Excel: counts are filled cells; the header is the first (nearly) full row
        top = max(counts)
        return next((i for i, c in enumerate(counts) if c >= max(2, 0.8 * top)), 0) if top >= 2 else 0
    mode = Counter(counts[1:] or counts).most_common(1)[0][0]
    if counts[0] == mode or mode < 2:
        return 0
    # Only title/blank lines (at most one filled field) are skipped: a short header with several
    # names is a real header, and the row-length check then reports it.
    nonblank = nonblank or counts
    return next((i for i, c in enumerate(counts) if c == mode or nonblank[i] >= 2), 0)


def _extra_sample_cells(buf: FileBytes, offset: int, end: int, delimiter: str, quotechar: str) -> list[str]:
    """Cells from the middle and the end of a long file, so a number format seen only later still counts."""
    if end - offset <= 3 * SAMPLE_BYTES:
        return []
    cells: list[str] = []
    span = end - offset
    for start in (offset + span // 3, offset + 2 * span // 3, end - SAMPLE_BYTES):
        block = buf[start : start + SAMPLE_BYTES]
        first, last = block.find(b"\n"), block.rfind(b"\n")
        if first < 0 or last <= first:
            continue
        text = block[first + 1 : last].decode("utf-8", "replace")
        rows, _ = _parse_sample(text, delimiter, quotechar)
        cells.extend(cell for row in rows for cell in row)
    return cells


_GROUPED_DOT_DECIMAL = re.compile(r"\d{1,3}(?:,\d{3})+\.\d+")  # 1,234.5
_GROUPED_COMMA_DECIMAL = re.compile(r"\d{1,3}(?:\.\d{3})+,\d+")  # 1.234,5
_GROUPED_COMMAS = re.compile(r"\d{1,3}(?:,\d{3}){2,}")  # 1,234,567
_GROUPED_DOTS = re.compile(r"\d{1,3}(?:\.\d{3}){2,}")  # 1.234.567
_ONE_COMMA_GROUP = re.compile(r"\d{1,3},\d{3}")  # 1,234: thousands or decimal
_ONE_DOT_GROUP = re.compile(r"\d{1,3}\.\d{3}")  # 1.234: thousands or decimal
_COMMA_DECIMAL = re.compile(r"\d*,\d+")
_DOT_DECIMAL = re.compile(r"\d*\.\d+")


_SPACE_GROUP = re.compile(r"(?<=[0-9])[ \u00a0\u202f](?=[0-9]{3}(?![0-9]))")


def _detect_number_format(
    cells: list[str], delimiter: str, decimal: str | None, thousands: str | None
) -> tuple[str, str | None]:
    """(decimal mark, thousands separator or None) from how numbers are written in the sample.

    Only an unambiguous grouping ("1,234.5", "1.234.567") proves a thousands separator; a lone
    "1,500" counts as a decimal comma in a file that is not comma-separated ("1,5" is 1.5).
    """
    votes: Counter[str] = Counter()
    spaced = thousands if thousands and thousands not in ",." else None  # "1 234,5", "1'234.5"
    for cell in list(dict.fromkeys(cells))[:50_000]:  # distinct values: a repeated one is one piece of evidence
        if "," not in cell and "." not in cell:
            continue
        cell = cell.strip().lstrip("+-")
        if spaced:
            cell = cell.replace(spaced, "")
        elif " " in cell or "\u00a0" in cell or "\u202f" in cell:
            cell = _SPACE_GROUP.sub("", cell)  # "1 234,56": the decimal mark is what follows the groups
        if not cell or not (cell[0].isdigit() or cell[0] in ".,") or len(cell) > 40:
            continue
        if _GROUPED_DOT_DECIMAL.fullmatch(cell) or _GROUPED_COMMAS.fullmatch(cell):
            votes.update(("dot", "comma_groups"))
        elif _GROUPED_COMMA_DECIMAL.fullmatch(cell) or _GROUPED_DOTS.fullmatch(cell):
            votes.update(("comma", "dot_groups"))
        elif _ONE_COMMA_GROUP.fullmatch(cell):
            votes["one_comma_group"] += 1
        elif _ONE_DOT_GROUP.fullmatch(cell):
            votes["one_dot_group"] += 1
        elif _COMMA_DECIMAL.fullmatch(cell):
            votes["comma"] += 1
        elif _DOT_DECIMAL.fullmatch(cell):
            votes["dot"] += 1
    if decimal is None and thousands in (",", "."):  # the user named the separator: the decimal mark is the other one
        decimal = "," if thousands == "." else "."
    if decimal is None:
        if votes["comma"] != votes["dot"]:
            decimal = "," if votes["comma"] > votes["dot"] else "."
        elif votes["one_comma_group"] and delimiter != ",":
            decimal = ","  # "1,500" in a ;-separated file: the European decimal comma
        else:
            decimal = "."
    if thousands is None:
        if decimal == ".":
            grouped = votes["comma_groups"] or votes["one_comma_group"]
            thousands = "," if grouped else ""
        else:
            thousands = "." if votes["dot_groups"] or votes["one_dot_group"] else ""
    return decimal, thousands or None
