"""The two entry points, `read_path` and `read_table`: unwrap a container, identify the format by
content and hand the bytes to the CSV, Excel or Parquet reader.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.data.reader.containers import _as_bytes, _identify, _unwrap
from core.data.reader.delimited import _read_csv
from core.data.reader.excel import _read_excel
from core.data.reader.limits import _check_size
from core.data.reader.mapped import FileBytes, file_bytes
from core.data.reader.options import ReadInfo, ReadOptions, _with
from core.data.reader.parquet import _read_parquet
from core.formatting import format_count
from core.i18n import _
from core.workspace.errors import DataError
from core.workspace.progress import Progress


def read_path(
    path: str | Path, options: ReadOptions = ReadOptions(), progress: Progress | None = None
) -> tuple[pd.DataFrame, ReadInfo]:
    """Read a table from disk (same rules as `read_table`)."""
    p = Path(path)
    if not p.exists():
        where = "" if p.is_absolute() else f" (relative paths start in {Path.cwd()})"
        raise DataError(f"File not found: {p}. Check the path{where} and try again.")
    if not p.is_file():
        raise DataError(f"{p} is a folder, not a file; give the path of a CSV, Excel or Parquet file.")
    _check_size(p.stat().st_size, str(p))
    try:
        owned = [file_bytes(p)]  # handed over: the reader lets go of the bytes once they are parsed
    except OSError as exc:
        raise DataError(f"Cannot read {p}: {exc.strerror or exc}. Check the file permissions and try again.") from None
    return _read_owned(owned, options, progress)


def read_table(
    data: bytes, options: ReadOptions = ReadOptions(), progress: Progress | None = None
) -> tuple[pd.DataFrame, ReadInfo]:
    """Read CSV/TSV, Excel (.xlsx) or Parquet bytes (optionally gzip- or zip-compressed) into a typed DataFrame.

    `progress(fraction, message)` is called while a large file is parsed and typed.
    """
    return _read_owned([_as_bytes(data)], options, progress)


def _read_owned(
    owned: list[FileBytes], options: ReadOptions, progress: Progress | None
) -> tuple[pd.DataFrame, ReadInfo]:
    """`read_table` on the bytes in `owned`, taken out of it so that no frame here keeps them alive
    while the columns are typed (a CSV's bytes are as large as the table: 170 MB for 1 M x 30)."""
    data = owned.pop()
    report = progress or (lambda fraction, message: None)
    if len(data) == 0:
        raise DataError(
            _("The file is empty (0 bytes); choose a file that holds a header row and at least one data row.")
        )
    _check_size(len(data), "The file")
    report(0.0, "Identifying the file format")
    data, notes = _unwrap(data)
    kind = _identify(data)
    if kind == "parquet":
        df, info = _read_parquet(bytes(data))  # (bytes already: never a mapped file)
    elif kind == "excel":
        df, info = _read_excel(bytes(data), options, report)
    else:
        owned.append(data)
        del data
        df, info = _read_csv(owned, options, report)
    if notes:
        info = _with(info, warnings=tuple(notes) + info.warnings)
    report(
        1.0,
        _("Read {rows} rows × {columns} columns").format(rows=format_count(info.rows), columns=len(info.columns)),
    )
    return df, info
