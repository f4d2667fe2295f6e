"""Number columns typed block by block while a CSV is parsed: the fast path of column typing.

Most columns of a large CSV are plain numbers ("809", "101.26"). Arrow casts a block of such text
to int64/float64 at once, and the text is released before the next block is parsed, so a file of
numbers never holds all its cells as text. The full inference (`column_types`) decides the same
columns by their distinct values; this path only takes a column when every cell passes checks that
make the result identical to what that inference gives:

- integers: every cell is exactly the canonical decimal of its value (no sign '+', no leading zero,
  no '-0', no spaces) and under 10^15 (longer integers are codes kept as text);
- decimals: Arrow's cast accepts every cell and gives finite numbers under 10^15 ('nan', 'inf'
  and '1e400' are decided by the full inference), with no '+' sign and no integer with leading
  zeros ('007' is a code).

Any other column, or one whose later block fails a check, is handed back to be read as text and
typed by the full inference. Integer columns skip the text in the blocks after the first: Arrow parses
them as int64 and the block's length proves each cell was the canonical decimal (`typed_int_block`).

A file whose decimal mark is ',' takes the same path where a column is plainly decimal-comma: a block
holding any '.' ('1.234' with thousands dots, or '1.5', which is not a number there) goes to the full
inference; in the others each ',' is written '.' before the same checks and casts, which is what the
full inference does with the cells it accepts ('1,5' -> '1.5').
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

_NUMBER_BYTES = np.zeros(256, bool)  # the bytes of a number Arrow's cast may accept
_NUMBER_BYTES[np.frombuffer(b"0123456789.-+eE", np.uint8)] = True
_INTEGER_BYTES = np.zeros(256, bool)
_INTEGER_BYTES[np.frombuffer(b"0123456789-", np.uint8)] = True
_LIMIT = 10**15  # integers with more than 15 digits are kept as text (float64 keeps 15 digits)
WORKERS = 2  # threads that parse and type a table's columns: the machines this runs on have 2 cores or more


_DECAY_MS = 10_000  # how long jemalloc keeps freed pages for reuse before giving them back


def memory_pool() -> Any:
    """The Arrow memory pool for what the reader's threads allocate: jemalloc where the wheel has it,
    else the system's. Measured on the 1,000,000 x 30 CSV parsed on two threads, Arrow's default pool
    (mimalloc) spent about 1.5 s in the kernel against 0.6 s for jemalloc, for the same user time.

    Arrow sets jemalloc to give freed pages back to the system at once; a block's buffers are freed
    and the next block's allocated every few milliseconds, so each block faulted (and the kernel
    zeroed) fresh pages again. With a decay of some seconds, for the arenas created from now on (the
    reader's threads'), the pages are reused: measured A B A B beside pandas on the loaded 2-core
    machine (load 8-13), 5-10% less CPU for the whole read (1.88x -> 1.71x pandas' CPU time; the
    wall-time ratio moved within its noise), for ~15 MB more peak memory and ~35 MB kept after the
    read (reused by the next read, given back in time)."""
    import pyarrow as pa

    global _DECAY_SET
    try:
        pool = pa.jemalloc_memory_pool()
    except NotImplementedError:
        return pa.system_memory_pool()
    if not _DECAY_SET:
        pa.jemalloc_set_decay_ms(_DECAY_MS)
        _DECAY_SET = True
    return pool


_DECAY_SET = False


class StreamedNumbers:
    """One column's numbers as they are parsed; `kind` None once the column must be read as text."""

    def __init__(self, na_tokens: tuple[str, ...], decimal: str = ".") -> None:
        import pyarrow as pa

        self.decimal_comma = decimal == ","
        self.tokens = pa.array(list(na_tokens), pa.large_string()) if na_tokens else None
        self.only_blank = tuple(na_tokens) == ("",)  # the default: a missing cell is an empty one
        self.tokens_fit_number_bytes = all(_NUMBER_BYTES[np.frombuffer(t.encode(), np.uint8)].all() for t in na_tokens)
        self.kind: str | None = "int"  # "int" until a block holds decimals, then "float"
        # The column's values so far, written in place block by block: int64 while every cell is an
        # integer and none is missing, else float64 (missing cells NaN). Longer than `rows` (room for
        # the blocks to come, pages not touched until written).
        self.values = np.empty(0, np.int64)
        self.rows = 0
        self.missing = 0

    def __len__(self) -> int:
        return self.rows

    def add(self, text: Any) -> bool:
        """Type one block of raw cells; False (and `kind` None) when the column is not plain numbers."""
        if self.kind is None:
            return False
        return self.take(*self.typed(text, self.kind, first=not self.rows))

    def reserve(self, rows: int) -> None:
        """Room for about `rows` values (an estimate: more are still taken)."""
        if self.kind is not None and rows > len(self.values):
            self._grow(rows)

    def _grow(self, size: int, dtype: Any = None) -> None:
        values = np.empty(size, dtype or self.values.dtype)
        values[: self.rows] = self.values[: self.rows]
        self.values = values

    def take(self, typed: Any, kind: str) -> bool:
        """Keep the next block as `typed` (of `kind`) by `typed()`; None: the column is not plain numbers."""
        if self.kind is None:
            return False
        if typed is None:
            self.kind, self.values = None, np.empty(0, np.int64)
            return False
        if kind == "float":
            self.kind = "float"
        n, start = len(typed), self.rows
        exact = self.kind == "int" and not typed.null_count and self.values.dtype == np.int64
        if not exact and self.values.dtype == np.int64:  # a decimal or a missing cell: float64 from now on
            self._grow(len(self.values), np.float64)  # (integers under 10^15 are exact in float64)
        if start + n > len(self.values):
            self._grow(max(start + n, len(self.values) * 3 // 2))
        # The block is copied into place at once and its Arrow buffers released.
        part = self.values[start : start + n]
        part[:] = np.frombuffer(typed.buffers()[1], typed.type.to_pandas_dtype())[typed.offset : typed.offset + n]
        if typed.null_count:
            valid = np.unpackbits(np.frombuffer(typed.buffers()[0], np.uint8), bitorder="little")
            part[valid[typed.offset : typed.offset + n] == 0] = np.nan
        self.rows += n
        self.missing += typed.null_count
        return True

    def typed(self, text: Any, kind: str, first: bool = False) -> tuple[Any, str]:
        """The block as int64/float64 (or None) and the kind it showed, starting from `kind` ("int" or
        "float", the column's so far); changes nothing, so blocks may be typed on several threads and
        taken in order.
        `first`: the column's first block, whose bytes are looked at before any cast.

        The cells are looked at through numpy views of Arrow's buffers (first bytes and lengths), not
        one by one: that is what keeps this path fast."""
        import pyarrow as pa
        import pyarrow.compute as pc

        if pa.types.is_int64(text.type):  # parsed as integers already (exactly so: `typed_int_block`)
            if text.null_count == len(text):
                return text, kind
            low, high = pc.min_max(text).values()
            return (text if -_LIMIT < low.as_py() and high.as_py() < _LIMIT else None), kind
        n = len(text)
        offsets = np.frombuffer(text.buffers()[1], np.int64)[text.offset : text.offset + n + 1]
        lengths = np.diff(offsets)
        if self.tokens is None:
            missing = np.zeros(n, bool)
        elif self.only_blank:
            missing = lengths == 0
        else:
            missing = pc.is_in(text, value_set=self.tokens).to_numpy(zero_copy_only=False)
        whole = np.frombuffer(text.buffers()[2], np.uint8) if text.buffers()[2] is not None else np.zeros(0, np.uint8)
        data = whole[offsets[0] : offsets[-1]]
        data_buffer = text.buffers()[2]
        if self.decimal_comma and len(data):
            if (data == ord(".")).any():  # thousands dots or a '.' decimal: the full inference decides
                return None, kind
            comma = data == ord(",")
            if comma.any():  # '1,5' -> '1.5' (a copy of the block's bytes: the text stays as written)
                data = np.where(comma, np.uint8(ord(".")), data)
                whole, offsets = data, offsets - offsets[0]
                data_buffer = pa.py_buffer(data)
        if len(data) == 0:
            return (None if not missing.all() else pa.nulls(n, pa.int64() if kind == "int" else pa.float64())), kind
        # A first block holding letters, spaces or commas is text: said at once, as a failed cast is slow
        # (~15 ms). Later blocks are only cast: a column fails there once at most.
        if first and self.tokens_fit_number_bytes:  # (a token 'NA' would fail this check)
            if not _NUMBER_BYTES[data].all():
                return None, kind
            if kind == "int" and not _INTEGER_BYTES[data].all():
                kind = "float"
        # Only cells starting with '+', '0' or '-' are looked at further (few in most columns). The first
        # bytes are read where the offsets point (an empty cell's, clipped at the end, is not looked at).
        # (Compared, not looked up in a table of bytes: numpy's fancy indexing costs ~10x more per cell.)
        first_bytes = whole.take(offsets[:-1], mode="clip")
        suspects = np.flatnonzero((first_bytes == ord("+")) | (first_bytes == ord("0")) | (first_bytes == ord("-")))
        if len(suspects):
            starts, lengths_s = offsets[:-1][suspects] - offsets[0], lengths[suspects]
            last = len(data) - 1
            head = data[np.minimum(starts, last)]
            second = data[np.minimum(starts + 1, last)]
            third = data[np.minimum(starts + 2, last)]
            present = ~missing[suspects] & (lengths_s > 0)
            plus = head == ord("+")
            # '007', '0x1F' (Arrow reads hex), '-07', '-0': codes or signs the full inference must judge.
            zero_led = (head == ord("0")) & (lengths_s > 1) & (second != ord("."))
            minus_zero = (
                (head == ord("-")) & (lengths_s > 1) & (second == ord("0")) & ((lengths_s == 2) | (third != ord(".")))
            )
            if (present & (plus | zero_led | minus_zero)).any():
                return None, kind
        gaps = int(missing.sum())
        validity = pa.py_buffer(np.packbits(~missing, bitorder="little")) if gaps else None
        cells = pa.Array.from_buffers(
            pa.large_string(), n, [validity, pa.py_buffer(offsets), data_buffer], null_count=gaps
        )
        # The range checks read every slot: a missing cell's slot holds 0 after Arrow's cast (and any other
        # value there could only send the column to the full inference, which decides it the same).
        if kind == "int":
            try:
                ints = pc.cast(cells, pa.int64(), memory_pool=memory_pool())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                kind = "float"
            else:
                values = np.frombuffer(ints.buffers()[1], np.int64)[ints.offset : ints.offset + n]
                return (ints if -_LIMIT < values.min() and values.max() < _LIMIT else None), kind
        try:
            floats = pc.cast(cells, pa.float64(), memory_pool=memory_pool())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None, kind
        decimals = np.frombuffer(floats.buffers()[1], np.float64)[floats.offset : floats.offset + n]
        # 'nan' and 'inf' (Arrow reads them) are not numbers to the full inference; '1e20' may be a long code.
        # (A NaN makes min and max NaN, and every comparison with NaN is False.)
        return (floats if -_LIMIT < decimals.min() and decimals.max() < _LIMIT else None), kind

    def finished(self) -> bool:
        """Whether the whole column is numbers (a column of missing cells only is typed as text)."""
        return self.kind is not None and self.missing < self.rows

    def series(self) -> pd.Series:
        """int64 when every cell is an integer and none is missing, else float64 (as the full inference)."""
        values, self.values = self.values[: self.rows], np.empty(0, np.int64)
        return pd.Series(values, copy=False)  # the array is ours: no copy


_POWERS_OF_TEN = 10 ** np.arange(1, 19, dtype=np.uint64)  # 10..10^18: an integer's digits, by search


def typed_int_block(
    whole: Any,
    start: int,
    stop: int,
    names: list[str],
    ints: frozenset[int],
    columns: Any,
    checked_utf8: bool,
    parse: Any,
) -> list | None:
    """The block's cells with the columns `ints` parsed as int64 (missing: blank cells only), or None
    when that may differ from casting their text (the caller then parses the block as text).

    Arrow's integer parse also accepts '007', '-0', ' 5' and '0x1F', which the text path sends to the
    full inference; each such cell is longer than its value written canonically (and '+5', '1.5' fail).
    So the block is taken only when its length is exactly that of every text cell as parsed, every
    integer written canonically, the delimiters and the line ends: then no integer cell holds more."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    kept = list(columns)
    convert = pacsv.ConvertOptions(
        column_types={names[i]: (pa.int64() if i in ints else pa.large_string()) for i in kept},
        include_columns=[names[i] for i in kept],
        null_values=[""],
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
        check_utf8=not checked_utf8,
    )
    if len(kept) != len(names):
        return None  # (the length check needs every column)
    try:
        table = pacsv.read_csv(
            pa.BufferReader(whole.slice(start, stop - start)),
            read_options=pacsv.ReadOptions(column_names=names, block_size=stop - start + 1, use_threads=False),
            parse_options=parse,
            convert_options=convert,
            memory_pool=memory_pool(),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None  # a decimal, a '+', a bad row...: the text path decides (and words any error)
    cells = [
        c.chunks[0] if c.num_chunks == 1 else pa.concat_arrays(c.chunks or [pa.array([], c.type)])
        for c in table.columns
    ]
    rows = table.num_rows
    written = rows * len(names)  # the delimiters and one line end per row
    for i, cell in zip(kept, cells):
        if i in ints:
            values = np.frombuffer(cell.buffers()[1], np.int64)[cell.offset : cell.offset + rows]
            if cell.null_count:  # a blank cell is 0 bytes: only the others are counted
                values = values[cell.is_valid().to_numpy(zero_copy_only=False)]
            magnitude = np.abs(values).view(np.uint64)  # (-2^63 reads 2^63)
            # Canonical length: one digit, one more for each power of ten reached, and '-' for negatives.
            written += len(values) + int(np.count_nonzero(values < 0))
            top = int(magnitude.max()) if len(values) else 0
            for power in _POWERS_OF_TEN[: len(str(top)) - 1]:
                written += int(np.count_nonzero(magnitude >= power))
        else:
            offsets = np.frombuffer(cell.buffers()[1], np.int64)[cell.offset : cell.offset + rows + 1]
            written += int(offsets[-1] - offsets[0])
    raw = np.frombuffer(whole, np.uint8)[start:stop]
    size = stop - start + (0 if len(raw) and raw[-1] == ord("\n") else 1)  # the last line may have no end
    if size != written:
        # Windows line ends: a '\r\n' is one line end to the parser (a lone '\r' is one too, counted above)
        size -= int(np.count_nonzero((raw[:-1] == ord("\r")) & (raw[1:] == ord("\n"))))
    return cells if size == written else None
