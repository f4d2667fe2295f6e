"""Text encoding of a CSV: detected (BOM, UTF-16, UTF-8, else cp1252/latin-1) or as requested; the
result is always UTF-8 bytes, and a UTF-8 file is used as it is (no decoded copy).
"""

from __future__ import annotations

import codecs
import io
from dataclasses import dataclass

import numpy as np

from core.data.reader.containers import _binary_message
from core.data.reader.mapped import FileBytes
from core.formatting import format_count
from core.i18n import _
from core.workspace.errors import ConfigError, DataError


@dataclass
class _Text:
    """UTF-8 bytes of the file and where its text starts (after a BOM)."""

    buf: FileBytes
    start: int
    encoding: str
    checked_utf8: bool = False  # bytes validated as UTF-8 here: the parser need not check each cell again


def _prepare_text(data: FileBytes, requested: str | None, notes: list[str]) -> _Text:
    """Decide the encoding; UTF-8 files are used as they are, others are transcoded to UTF-8 once."""
    if requested:
        try:
            name = codecs.lookup(requested).name
        except LookupError:
            raise ConfigError(
                _("The 'encoding' of ReadOptions must be a known text encoding; got {value} instead.").format(
                    value=repr(requested)
                )
            ) from None
        try:
            if name in ("utf-8", "utf-8-sig"):
                _validate(data, "utf-8")
                buf = data
            else:
                buf = _transcode(data, requested)
        except UnicodeDecodeError as exc:
            raise DataError(
                _(
                    "The file is not valid {encoding} (byte {byte} at position {position}); "
                    "choose another encoding (e.g. utf-8, cp1252, latin-1) or let it be detected."
                ).format(
                    encoding=requested, byte=repr(data[exc.start : exc.start + 1]), position=format_count(exc.start)
                )
            ) from None
        return _Text(buf, 3 if buf.startswith(codecs.BOM_UTF8) else 0, requested, name in ("utf-8", "utf-8-sig"))
    if data.startswith(codecs.BOM_UTF8):
        _decode_or_refuse(data, "utf-8")
        return _Text(data, 3, "utf-8-sig", True)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _Text(_decode_or_refuse(data, "utf-16"), 0, "utf-16")
    head = data[:4096]
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.3 * len(odd) and even.count(0) == 0:
            return _Text(_decode_or_refuse(data, "utf-16-le"), 0, "utf-16-le")
        if even.count(0) > 0.3 * len(even) and odd.count(0) == 0:
            return _Text(_decode_or_refuse(data, "utf-16-be"), 0, "utf-16-be")
        if head.count(0) > 0.01 * len(head):
            raise DataError(_binary_message(data))
        data = data.replace(b"\x00", b"")  # a few stray NUL bytes from a broken export
        notes.append("The file contained stray NUL (zero) bytes; they were removed.")
    # Control characters are a binary file's mark; check before decoding 400 MB of it.
    controls = sum(1 for b in head.replace(b"\x00", b"") if b < 32 and b not in b"\t\r\n\f")
    if controls > 0.01 * min(len(head), 4096):
        raise DataError(_binary_message(data))
    try:
        _validate(data, "utf-8")
        return _Text(data, 0, "utf-8", True)
    except UnicodeDecodeError:
        pass
    try:
        buf, encoding = _transcode(data, "cp1252"), "cp1252"
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined (0x81, 0x8D...): Latin-1 takes any byte
        buf, encoding = _transcode(data, "latin-1"), "latin-1"
    notes.append(
        _(
            "The file is not UTF-8; it was read as {encoding} (Windows/Western European). "
            "If accented letters look wrong, choose the right encoding."
        ).format(encoding=encoding)
    )
    return _Text(buf, 0, encoding)


def _validate(data: FileBytes, encoding: str) -> None:
    """Raise UnicodeDecodeError (absolute position) if `data` is not valid `encoding`; decodes in blocks."""
    if encoding == "utf-8" and _is_utf8(data):
        return  # Arrow checks UTF-8 ~10x faster than decoding; Python only runs to find a bad byte
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    for pos in range(0, len(data), 16 << 20):
        try:
            decoder.decode(view[pos : pos + (16 << 20)], final=pos + (16 << 20) >= len(data))
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError(exc.encoding, data, pos + exc.start, pos + exc.end, exc.reason) from None
    if not len(data):
        decoder.decode(b"", final=True)


def _is_utf8(data: FileBytes) -> bool:
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]).cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _transcode(data: FileBytes, encoding: str) -> bytes:
    """`data` decoded from `encoding` and encoded as UTF-8, block by block (no full decoded copy)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    out = io.BytesIO()
    view = memoryview(data)
    step = 16 << 20
    for pos in range(0, max(len(data), 1), step):
        try:
            out.write(
                decoder.decode(view[pos : pos + step], final=pos + step >= len(data)).encode("utf-8", "surrogatepass")
            )
        except UnicodeDecodeError as exc:
            raise UnicodeDecodeError(exc.encoding, data, pos + exc.start, pos + exc.end, exc.reason) from None
    return out.getvalue()


def _decode_or_refuse(data: FileBytes, encoding: str) -> FileBytes:
    """UTF-8 bytes of `data` (itself when it already is UTF-8), or a refusal naming the bad byte."""
    try:
        if encoding == "utf-8":
            _validate(data, "utf-8")
            return data
        return _transcode(data, encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            _(
                "The file looks like {encoding} text but byte {position} is invalid; "
                "save it again as UTF-8 CSV and upload that."
            ).format(encoding=encoding, position=format_count(exc.start))
        ) from None
