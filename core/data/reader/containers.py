"""Containers and identification: gzip and single-file zip (capped against zip bombs), and the
format told by magic bytes, never by file name, with a refusal that names what a non-table file is.
"""

from __future__ import annotations

import gzip
import io
import zipfile
import zlib
from pathlib import Path
from typing import Any

from core.data.reader import limits
from core.data.reader.limits import _too_big_when_inflated
from core.data.reader.mapped import FileBytes
from core.data.reader.wording import _name_list, _short
from core.i18n import N_, _
from core.workspace.errors import ConfigError, DataError

# Signatures that identify a non-table file before anything else is tried.
_BINARY_SIGNATURES = {
    b"%PDF-": N_("a PDF document"),
    b"\x89PNG": N_("a PNG image"),
    b"\xff\xd8\xff": N_("a JPEG image"),
    b"GIF87a": N_("a GIF image"),
    b"GIF89a": N_("a GIF image"),
    b"\x80\x02": N_("a Python pickle"),
    b"\x80\x03": N_("a Python pickle"),
    b"\x80\x04": N_("a Python pickle"),
    b"\x80\x05": N_("a Python pickle"),
    b"SQLite format 3\x00": N_("an SQLite database"),
    b"7z\xbc\xaf\x27\x1c": N_("a 7-Zip archive"),
    b"Rar!\x1a\x07": N_("a RAR archive"),
    b"\xfd7zXZ\x00": N_("an xz-compressed file"),
    b"\x28\xb5\x2f\xfd": N_("a Zstandard-compressed file"),
    b"\x7fELF": N_("a program (ELF executable)"),
}
_WEAK_SIGNATURES = {b"MZ": N_("a Windows program")}  # only when the content is binary too
_SUPPORTED = N_("CSV/TSV text, Excel .xlsx, Parquet, or one of these compressed with gzip or zip")
_ZIP_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")


def _as_bytes(data: Any) -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ConfigError(
            _("read_table expects the file's bytes; got {kind} instead.").format(kind=type(data).__name__)
        )
    return data if isinstance(data, bytes) else bytes(data)


def _is_zip(data: FileBytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def _unwrap(data: FileBytes) -> tuple[FileBytes, list[str]]:
    """Decompress one level of gzip or (non-Excel) zip, capped at limits.MAX_DECOMPRESSED_BYTES."""
    if data[:2] == b"\x1f\x8b":
        data = _gunzip(data)
        notes = [_("The file was gzip-compressed; it was decompressed before reading.")]
    elif _is_zip(data) and not _is_office_zip(data):
        data, member = _unzip_single(data)
        notes = [_("The file was a zip archive; its only file {member} was read.").format(member=repr(member))]
    else:
        return data, []
    if data[:2] == b"\x1f\x8b" or (_is_zip(data) and not _is_office_zip(data)):
        raise DataError(
            _(
                "The file is compressed twice (an archive inside an archive); "
                "decompress it once and upload the table file inside."
            )
        )
    return data, notes


def _gunzip(data: FileBytes) -> bytes:
    """Decompress gzip without ever holding more than limits.MAX_DECOMPRESSED_BYTES (zip-bomb guard)."""
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
            while chunk := gz.read(1024 * 1024):
                out.write(chunk)
                if out.tell() > limits.MAX_DECOMPRESSED_BYTES:
                    raise _too_big_when_inflated("gzip")
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(
            _("The gzip file is damaged or truncated ({error}); compress it again or upload it uncompressed.").format(
                error=_short(exc)
            )
        ) from None
    result = out.getvalue()
    if not result:
        raise DataError(_("The gzip file decompresses to an empty file; choose a file that holds a table."))
    return result


def _is_office_zip(data: FileBytes) -> bool:
    """An .xlsx/.docx/.ods is a zip too; those are identified by their parts, not unzipped."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return bool(names & {"xl/workbook.xml", "word/document.xml", "ppt/presentation.xml", "mimetype"})


def _unzip_single(data: FileBytes) -> tuple[bytes, str]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DataError(
            _("The file starts like a zip archive but is damaged; compress it again or upload the table uncompressed.")
        ) from None
    with zf:
        members = [
            m
            for m in zf.infolist()
            if not m.is_dir()
            and not any(j in m.filename for j in _ZIP_JUNK)
            and not Path(m.filename).name.startswith("._")
        ]
        if not members:
            raise DataError(_("The zip archive holds no files; put the table file in it, or upload the table itself."))
        if len(members) > 1:
            raise DataError(
                _(
                    "The zip archive holds {n} files ({names}); "
                    "a zip must hold exactly one table: unzip it and upload the file you want."
                ).format(n=len(members), names=_name_list(m.filename for m in members))
            )
        member = members[0]
        if member.flag_bits & 0x1:
            raise DataError(
                _(
                    "The file {name} in the zip archive is password-protected; "
                    "unzip it yourself and upload the table file."
                ).format(name=repr(member.filename))
            )
        if member.file_size > limits.MAX_DECOMPRESSED_BYTES:
            raise _too_big_when_inflated("zip")
        out = io.BytesIO()
        try:
            with zf.open(member) as fh:
                while chunk := fh.read(1024 * 1024):
                    out.write(chunk)
                    if out.tell() > limits.MAX_DECOMPRESSED_BYTES:  # the declared size can lie
                        raise _too_big_when_inflated("zip")
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
            raise DataError(
                _(
                    "The file {name} in the zip archive cannot be extracted ({error}); "
                    "unzip it yourself and upload the table file."
                ).format(name=repr(member.filename), error=_short(exc))
            ) from None
    result = out.getvalue()
    if not result:
        raise DataError(
            _("The file {name} in the zip archive is empty; choose a file that holds a table.").format(
                name=repr(member.filename)
            )
        )
    return result, member.filename


def _identify(data: FileBytes) -> str:
    """'parquet' | 'excel' | 'text', or a refusal naming what the file really is."""
    if data[:4] == b"PAR1":
        return "parquet"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DataError(
            _(
                "This is an old Excel 97-2003 workbook (.xls), which cannot be read here; "
                "open it in Excel and save it as .xlsx or CSV, then upload that."
            )
        )
    if _is_zip(data):
        return _identify_office(data)
    for signature, name in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise DataError(_not_a_table(name))
    if data[:3] == b"BZh" and data[4:10] == b"1AY&SY":
        raise DataError(
            _("This file is bzip2-compressed; decompress it (or compress it with gzip instead) and upload again.")
        )
    return "text"


def _identify_office(data: FileBytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:80] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        raise DataError(_("The file starts like a zip/Excel file but is damaged; save or export it again.")) from None
    if "xl/workbook.xml" in names:
        return "excel"
    if b"opendocument.spreadsheet" in mimetype:
        raise DataError(_("This is an OpenDocument spreadsheet (.ods); save it as .xlsx or CSV and upload that."))
    if "word/document.xml" in names or b"opendocument.text" in mimetype:
        raise DataError(
            _("This is a word-processor document, not a table; upload {supported}.").format(supported=_(_SUPPORTED))
        )
    if "ppt/presentation.xml" in names:
        raise DataError(
            _("This is a PowerPoint presentation, not a table; upload {supported}.").format(supported=_(_SUPPORTED))
        )
    raise DataError(
        _("This is a zip archive that holds no table this app can read; upload {supported}.").format(
            supported=_(_SUPPORTED)
        )
    )


def _binary_message(data: FileBytes) -> str:
    signatures = {**_BINARY_SIGNATURES, **_WEAK_SIGNATURES}
    kind = next((name for sig, name in signatures.items() if data.startswith(sig)), N_("a binary file"))
    return _not_a_table(kind)


def _not_a_table(kind: str) -> str:
    """'This file is a PDF document, not a table …' (`kind` one of the marked names above)."""
    return _("This file is {kind}, not a table this app can read; upload {supported}.").format(
        kind=_(kind), supported=_(_SUPPORTED)
    )
