"""Dates in a request as the project's file wrote them: a column the reader typed as dates at upload
in a format of its own (``03/05/2021``, day first, in a Portuguese file) takes that format at the
endpoint too, besides ISO (``2021-05-03``); anything else is still not a date.

The format is the one the reader detected for the column (``core.data.reader.date_types``), kept in
the raw dataset's reading report (``datasets.read_info_json``: each column's note says ``format
%d/%m/%Y`` when it is not ISO); a served model finds it through its training dataset's parents.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from core.data.datasets import get_dataset, load_read_info
from core.data.dates import parse_datetimes
from core.workspace.database import Workspace
from core.workspace.errors import NotFoundError

# How the reader's note names a format that is not ISO: "... (2021-05-03 to 2021-07-21, format %d/%m/%Y)",
# or, for a column that mixes it with ISO, "..., written two ways: ISO (yyyy-mm-dd) and %d/%m/%Y)". The
# note is written in the uploader's language ("formato %d/%m/%Y", "escrita de dois jeitos: ... e %d/%m/%Y"),
# so the format is found by its own shape, a strftime directive up to the closing parenthesis, not by the
# words before it (a share such as "(12%)" has no directive).
_FORMAT_IN_NOTE = re.compile(r"[ ,:](%[A-Za-z][^)]*)\)")
_MAX_PARENTS = 8


def reader_date_formats(ws: Workspace, dataset_id: int | None) -> dict[str, str]:
    """Column -> the date format (strftime) the reader detected at upload, for the columns it read
    as dates in a format other than ISO; the first reading report found up the dataset's parents."""
    seen = 0
    while dataset_id is not None and seen < _MAX_PARENTS:
        try:
            info = load_read_info(ws, dataset_id)
            parent = get_dataset(ws, dataset_id).get("parent_id")
        except NotFoundError:
            return {}
        if info:
            return date_formats_of(info)
        dataset_id, seen = parent, seen + 1
    return {}


def date_formats_of(read_info: dict[str, Any]) -> dict[str, str]:
    """Column -> non-ISO date format, from one reading report (``ReadInfo.to_dict()``)."""
    formats = {}
    for column in read_info.get("columns") or []:
        found = _FORMAT_IN_NOTE.search(str(column.get("note") or ""))
        if found and str(column.get("dtype", "")).startswith("datetime"):
            formats[str(column["name"])] = found.group(1)
    return formats


def parse_dates(values: pd.Series, fmt: str | None) -> pd.Series:
    """Dates from text (or datetime64): ISO as every stage reads it, else in ``fmt`` (the format the
    reader detected for the column); NaT for what is neither."""
    dates = parse_datetimes(values)
    if fmt is None or pd.api.types.is_datetime64_any_dtype(values):
        return dates
    missing = dates.isna().to_numpy() & values.notna().to_numpy()
    if missing.any():
        texts = values[missing]
        texts = texts.where(texts.map(lambda v: isinstance(v, str)))
        other = pd.to_datetime(texts, format=fmt, errors="coerce")
        dates = dates.astype("datetime64[us]")
        dates[missing] = other.astype("datetime64[us]").to_numpy()
    return dates


def date_example(fmt: str | None) -> str:
    """How a date reads in the column's format ('2024-01-31', or '31/01/2024 or 2024-01-31')."""
    if fmt is None:
        return "2024-01-31"
    return f"{pd.Timestamp('2024-01-31').strftime(fmt)} or 2024-01-31"


def reads_as_date(text: Any, fmt: str) -> bool:
    """Whether one text is a date in ``fmt``."""
    return bool(pd.notna(pd.to_datetime(pd.Series([text], dtype=object), format=fmt, errors="coerce").iloc[0]))
