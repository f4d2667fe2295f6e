"""CSV/TSV reading: the dialect sniffed on a sample, the rows parsed by Arrow in blocks with exactly
that dialect, and a parse failure turned into a message naming the bad line.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pandas as pd

from core.data.reader.columns import _finish_columns
from core.data.reader.encoding import _prepare_text
from core.data.reader.mapped import FileBytes
from core.data.reader.options import ReadInfo, ReadOptions
from core.data.reader.sniffing import (
    CANDIDATE_DELIMITERS,
    HEADER_SEARCH_ROWS,
    SAMPLE_BYTES,
    _delimiter_name,
    _detect_delimiter,
    _detect_header_position,
    _detect_number_format,
    _detect_quotechar,
    _end_without_blank_lines,
    _extra_sample_cells,
    _head_text,
    _line_offset,
    _parse_sample,
    _skip_lines,
)
from core.data.reader.streamed_numbers import WORKERS, StreamedNumbers, memory_pool, typed_int_block
from core.data.reader.wording import _name_list, _short
from core.formatting import format_count
from core.i18n import _, ngettext
from core.workspace.errors import DataError
from core.workspace.progress import Progress

BLOCK_BYTES = 4 * 1024 * 1024  # CSV parse block: progress granularity and peak working memory


def _read_csv(owned: list[FileBytes], options: ReadOptions, report: Progress) -> tuple[pd.DataFrame, ReadInfo]:
    """The CSV whose bytes are in `owned` (taken out of it: once parsed, they are released)."""
    notes: list[str] = []
    report(0.01, _("Checking the text encoding"))
    text = _prepare_text(owned.pop(), options.encoding, notes)
    head = _head_text(text, text.start)
    if "\r" in head and "\n" not in head:  # classic Mac line endings
        text.buf = text.buf.replace(b"\r", b"\n")
        head = head.replace("\r", "\n")
    if not head.strip() and not text.buf[text.start :].strip():
        raise DataError(_("The file holds only blank lines or spaces; choose a file with a header row and data rows."))

    delimiter = options.delimiter
    first_line = head.split("\n", 1)[0]
    skip_lines = 0
    sep_match = re.fullmatch(r'\s*"?sep=(.)"?[,;\t|]*\s*', first_line)
    if sep_match:
        skip_lines = 1
        if delimiter is None:
            delimiter = sep_match.group(1)
            notes.append(
                _("The first line 'sep={delimiter}' (written by Excel) set the delimiter to {name}.").format(
                    delimiter=delimiter, name=_delimiter_name(delimiter)
                )
            )

    sample = _skip_lines(head, skip_lines)
    quotechar = options.quotechar or _detect_quotechar(sample)
    if quotechar == delimiter:
        quotechar = '"' if delimiter != '"' else "'"
    if delimiter is None:
        delimiter = _detect_delimiter(sample, quotechar)
    elif options.delimiter is not None:
        _refuse_single_column(sample, options.delimiter, quotechar)
    if quotechar != '"':
        notes.append(_("Values are quoted with {quote} instead of '\"'.").format(quote=repr(quotechar)))
    rows, line_starts = _parse_sample(sample, delimiter, quotechar)
    if not rows:
        raise DataError(_("The file holds only blank lines or spaces; choose a file with a header row and data rows."))

    if options.header_row is not None:
        header_line = max(options.header_row, skip_lines)
        header_pos = next((i for i, s in enumerate(line_starts) if skip_lines + s >= header_line), len(rows))
    else:
        counts = [len(r) for r in rows[: HEADER_SEARCH_ROWS + 1]]
        nonblank = [sum(1 for f in r if f.strip()) for r in rows[: HEADER_SEARCH_ROWS + 1]]
        header_pos = _detect_header_position(counts, nonblank=nonblank)
        header_line = skip_lines + line_starts[header_pos]
        if header_pos > 0:
            notes.append(
                ngettext(
                    "Skipped {n} line(s) above the header; line {line} holds the column names.",
                    "Skipped {n} line(s) above the header; line {line} holds the column names.",
                    header_pos,
                ).format(n=header_pos, line=header_line + 1)
            )

    offset = _line_offset(text.buf, text.start, header_line)
    end = _end_without_blank_lines(text.buf, offset or 0)
    if offset is None or not text.buf[offset : min(end, offset + SAMPLE_BYTES)].strip():
        raise DataError(
            _("The file has no line {line} to use as the header row; choose a smaller header row.").format(
                line=header_line + 1
            )
        )
    header_fields = next(
        csv.reader(io.StringIO(_head_text(text, offset, end), newline=""), delimiter=delimiter, quotechar=quotechar), []
    )
    ncols = len(header_fields)
    if ncols == 1:
        others = [d for d in CANDIDATE_DELIMITERS if d != delimiter and d in header_fields[0]]
        if others:
            found = ", ".join(f"{_delimiter_name(d)} ({d!r})" for d in others)
            raise DataError(
                _(
                    "The file reads as a single column {first} with {name} as delimiter, but its header line "
                    "contains {found}; choose that delimiter (or let it be detected) and read again."
                ).format(first=repr(header_fields[0][:60]), name=_delimiter_name(delimiter), found=found)
            )

    sample_cells = [cell for row in rows[header_pos + 1 :] for cell in row]
    sample_cells += _extra_sample_cells(text.buf, offset, end, delimiter, quotechar)
    decimal, thousands = _detect_number_format(sample_cells, delimiter, options.decimal, options.thousands)

    encoding = text.encoding
    names, columns = _parse_rows(
        text.buf,
        offset,
        end,
        delimiter,
        quotechar,
        ncols,
        header_line,
        lambda f, m: report(0.02 + 0.6 * f, m),
        numbers_from=options.na_tokens,
        checked_utf8=text.checked_utf8,
        decimal=decimal,
    )
    del text  # the bytes (or their UTF-8 copy) are no longer needed: released before typing
    if not columns or len(columns[0]) == 0:
        raise DataError(
            _(
                "The file has a header row ({names}) but no data rows; "
                "upload a file that contains data below the header."
            ).format(names=_name_list(header_fields))
        )
    df, infos = _finish_columns(
        columns,
        names,
        options,
        decimal=decimal,
        thousands=thousands,
        notes=notes,
        what=_("The file"),
        report=lambda f, m: report(0.62 + 0.38 * f, m),
    )
    info = ReadInfo(
        "csv",
        encoding,
        delimiter,
        decimal,
        header_line,
        None,
        len(df),
        infos,
        tuple(notes),
        thousands=thousands,
        quotechar=quotechar,
        na_tokens=options.na_tokens,
    )
    return df, info


def _refuse_single_column(sample: str, chosen: str, quotechar: str) -> None:
    """A DataError naming the delimiter the sniffer would pick, when the one the person chose splits the
    header line (or most lines) into a single column and the sniffer's splits them into several."""
    rows, _starts = _parse_sample(sample, chosen, quotechar)
    counts = [len(r) for r in rows if any(f.strip() for f in r)]
    if not counts or (counts[0] > 1 and Counter(counts).most_common(1)[0][0] > 1):
        return
    detected = _detect_delimiter(sample, quotechar)
    if detected == chosen:
        return
    detected_rows, _starts = _parse_sample(sample, detected, quotechar)
    widths = Counter(len(r) for r in detected_rows if any(f.strip() for f in r))
    columns = widths.most_common(1)[0][0] if widths else 1
    if columns < 2:
        return
    first = next(r for r in rows if any(f.strip() for f in r))[0]
    raise DataError(
        _(
            "The file reads as a single column {first} with {chosen_name} ({chosen}) as delimiter, but "
            "{detected_name} ({detected}) splits it into {columns} columns; choose {detected_name} as the "
            "delimiter (or let it be detected) and read again."
        ).format(
            first=repr(first[:60]),
            chosen_name=_delimiter_name(chosen),
            chosen=repr(chosen),
            detected_name=_delimiter_name(detected),
            detected=repr(detected),
            columns=columns,
        )
    )


def _parse_rows(
    buf: FileBytes,
    offset: int,
    end: int,
    delimiter: str,
    quotechar: str,
    ncols: int,
    header_line: int,
    report: Progress,
    numbers_from: tuple[str, ...] | None = None,
    checked_utf8: bool = False,
    decimal: str = ".",
) -> tuple[list[str], list]:
    """Header names and the body columns: Arrow text columns of every cell exactly as written, or (with
    `numbers_from`, the missing tokens) `StreamedNumbers` for the columns that are plain numbers.

    pyarrow reads the UTF-8 bytes in blocks (fast, strict about row lengths, no decoded copy); a
    block's number columns are typed at once and their text released (`decimal`: the file's decimal mark). `checked_utf8`: the bytes are
    known to be valid UTF-8 (so is every cell: delimiters, quotes and newlines are ASCII), not checked again.
    A file without quotes is cut into blocks at line ends and the blocks are parsed on both cores; one
    with quotes (a quoted value may hold a line end) is parsed as one stream while its blocks are typed.
    """
    import pyarrow as pa

    total = max(end - offset, 1)
    numbers = [StreamedNumbers(numbers_from, decimal) for _ in range(ncols)] if numbers_from is not None else None
    text: list[list] = [[] for _ in range(ncols)]
    blocks = 0

    def typed(cells: list, starts: list, first: bool) -> list:
        """Each column of a block as (numbers or None, kind), from the kinds in `starts`; changes nothing."""
        if numbers is None:
            return [(None, "")] * len(cells)
        return [
            (None, "") if kind is None else numbers[i].typed(cells[i], kind, first) for i, kind in enumerate(starts)
        ]

    def kinds() -> list[str | None]:
        """Each column's kind so far: "int", "float", or None once it is not plain numbers."""
        return [n.kind for n in numbers] if numbers is not None else [None] * ncols

    def parsed_and_typed(parse: Callable[[], tuple[list, float]], starts: list) -> tuple[list, list, float]:
        cells, done = parse()
        return cells, typed(cells, starts, False), done

    def take(cells: list, types: list, done: float) -> None:
        """The block's columns kept in order, typed or as text."""
        nonlocal blocks
        for i, column in enumerate(cells):
            if (numbers is None or not numbers[i].take(*types[i])) and not pa.types.is_int64(column.type):
                text[i].append(column)  # (integers not taken: the column's text is read again below)
        blocks += 1
        report(
            done,
            _("Parsing rows: {done} of {total} MB").format(
                done=format_count(done * total / 1024**2), total=format_count(total / 1024**2)
            ),
        )

    def result(future: Future) -> Any:
        try:
            return future.result()
        except (pa.ArrowInvalid, pa.ArrowException) as exc:
            message = _parse_error_message(buf, offset, end, delimiter, quotechar, ncols, header_line, exc)
            raise DataError(message) from None

    # The first block is typed alone: it says which columns may be numbers (and ints or decimals). The
    # others are parsed and typed on the pool from what it said, a few blocks ahead, and taken in order.
    # Integer columns (by the first block) are parsed typed in the blocks after it, checked by length.
    int_columns: list[frozenset[int]] = [frozenset()]
    parts = _blocks(buf, offset, end, delimiter, quotechar, ncols, header_line, range(ncols), checked_utf8, int_columns)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        first = next(parts, None)
        if first is None:
            return [], []
        cells, done = result(pool.submit(first))
        header = [str(c[0].as_py() or "") for c in cells]
        cells = [c.slice(1) for c in cells]
        take(cells, typed(cells, kinds(), True), done)
        after_first = kinds()
        if numbers is not None and numbers_from == ("",):  # (other missing tokens: their lengths are unknown)
            int_columns[0] = frozenset(i for i, kind in enumerate(after_first) if kind == "int")
        if numbers is not None and cells:  # room for the rows to come, estimated from the first block's
            expected = int(len(cells[0]) / max(done, 1e-9) * 1.05) + 1024
            for column in numbers:
                column.reserve(expected)
        ahead: deque[Future] = deque()
        for parse in parts:
            ahead.append(pool.submit(parsed_and_typed, parse, after_first))
            if len(ahead) > WORKERS:
                take(*result(ahead.popleft()))
        while ahead:
            take(*result(ahead.popleft()))
    # A column found not to be plain numbers after its first block: its earlier text is read again.
    again = [i for i in range(ncols) if numbers is not None and not numbers[i].finished() and len(text[i]) != blocks]
    if again:
        for i in again:
            text[i] = []
        for k, parse in enumerate(
            _blocks(buf, offset, end, delimiter, quotechar, ncols, header_line, again, checked_utf8)
        ):
            for i, column in zip(again, parse()[0]):
                text[i].append(column.slice(1) if k == 0 else column)
    return header, [
        numbers[i] if numbers is not None and numbers[i].finished() else pa.chunked_array(text[i], pa.large_string())
        for i in range(ncols)
    ]


def _blocks(
    buf: FileBytes,
    offset: int,
    end: int,
    delimiter: str,
    quotechar: str,
    ncols: int,
    header_line: int,
    columns: Any,
    checked_utf8: bool = False,
    int_columns: list[frozenset[int]] | None = None,
) -> Iterator[Callable[[], tuple[list, float]]]:
    """The file's blocks as calls that give the text cells of `columns` (indexes), the header row
    first, and how far into the file the block ends (0..1). Without quotes in the file, each call parses
    its own block (on any thread); with quotes, the blocks come from one stream and the calls only hand them over.

    `int_columns[0]` (set while the blocks are read): columns that blocks after the first give as int64
    when that is exact (`typed_int_block`), else as text like the others."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"f{i}" for i in range(ncols)]
    total = max(end - offset, 1)
    convert = pacsv.ConvertOptions(
        column_types={names[i]: pa.large_string() for i in columns},
        include_columns=[names[i] for i in columns],
        null_values=[],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        check_utf8=not checked_utf8,
    )
    if buf.find(quotechar.encode(), offset, end) >= 0:
        for k, batch in enumerate(
            _batches(buf, offset, end, delimiter, quotechar, ncols, header_line, columns, checked_utf8)
        ):
            yield functools.partial(_handed, batch.columns, min((k + 1) * BLOCK_BYTES / total, 1.0))
        return
    whole = pa.py_buffer(buf)
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False, ignore_empty_lines=True)

    def block(start: int, stop: int) -> tuple[list, float]:
        table = pacsv.read_csv(
            pa.BufferReader(whole.slice(start, stop - start)),
            read_options=pacsv.ReadOptions(column_names=names, block_size=stop - start + 1, use_threads=False),
            parse_options=parse,
            convert_options=convert,
            memory_pool=memory_pool(),
        )
        cells = [
            c.chunks[0] if c.num_chunks == 1 else pa.concat_arrays(c.chunks or [pa.array([], pa.large_string())])
            for c in table.columns
        ]
        return cells, (stop - offset) / total

    def typed_block(start: int, stop: int) -> tuple[list, float]:
        ints = int_columns[0] if int_columns is not None and start > offset else frozenset()
        if ints:
            cells = typed_int_block(whole, start, stop, names, ints, columns, checked_utf8, parse)
            if cells is not None:
                return cells, (stop - offset) / total
        return block(start, stop)

    start = offset
    while start < end:
        cut = buf.find(b"\n", start + BLOCK_BYTES, end)
        stop = end if cut < 0 or cut + 1 >= end else cut + 1
        yield functools.partial(typed_block, start, stop)
        start = stop


def _handed(cells: list, done: float) -> tuple[list, float]:
    return cells, done


def _batches(
    buf: FileBytes,
    offset: int,
    end: int,
    delimiter: str,
    quotechar: str,
    ncols: int,
    header_line: int,
    columns: Any,
    checked_utf8: bool = False,
) -> Iterator[Any]:
    """Record batches of the text cells of `columns` (indexes), the header row first, a block at a time."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"f{i}" for i in range(ncols)]
    source = pa.BufferReader(pa.py_buffer(buf).slice(offset, end - offset))
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=names, block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char=quotechar, newlines_in_values=True, ignore_empty_lines=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={names[i]: pa.large_string() for i in columns},
                include_columns=[names[i] for i in columns],
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=not checked_utf8,
            ),
        )
        yield from reader
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        raise DataError(_parse_error_message(buf, offset, end, delimiter, quotechar, ncols, header_line, exc)) from None


def _parse_error_message(
    buf: FileBytes, offset: int, end: int, delimiter: str, quotechar: str, ncols: int, header_line: int, exc: Exception
) -> str:
    """Find the first bad line with the csv module (error path only) and say how to fix it."""
    stream = io.TextIOWrapper(io.BytesIO(buf[offset:end]), encoding="utf-8", errors="replace", newline="")
    reader = csv.reader(stream, delimiter=delimiter, quotechar=quotechar)
    previous = 0
    first_bad: tuple[int, int] | None = None
    lengths: Counter[int] = Counter()
    try:
        next(reader, None)  # the header
        previous = reader.line_num
        for row in reader:
            if row:
                lengths[len(row)] += 1
                if len(row) != ncols and first_bad is None:
                    first_bad = (header_line + previous + 1, len(row))
                if first_bad and sum(lengths.values()) >= 200:
                    break
            previous = reader.line_num
    except csv.Error as err:
        if first_bad is None:
            return _(
                "The file cannot be read as CSV near line {line}: {error}; check the quotes ({quote}) on that line."
            ).format(line=header_line + reader.line_num, error=err, quote=repr(quotechar))
    if first_bad is None:
        return _("The file cannot be read as CSV ({error}); check its quotes and delimiters.").format(error=_short(exc))
    line, n = first_bad
    what = ngettext(
        "Line {line} has {n} field but the header (line {header}) has {ncols} ({name}-separated)",
        "Line {line} has {n} fields but the header (line {header}) has {ncols} ({name}-separated)",
        n,
    ).format(line=line, n=n, header=header_line + 1, ncols=ncols, name=_delimiter_name(delimiter))
    usual, seen = lengths.most_common(1)[0]
    if usual > ncols and seen == sum(lengths.values()):
        return _(
            "{what}, and so do all the data rows read: the header is shorter than the rows; add the missing "
            "column name(s) to the header line (or check the delimiter) and upload again."
        ).format(what=what)
    return _(
        "{what}; fix that line (a missing or extra {delimiter}, or a value containing {delimiter} that "
        "needs quotes) and upload again."
    ).format(what=what, delimiter=repr(delimiter))
