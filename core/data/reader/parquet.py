"""Parquet: read with Arrow, refused from its footer when it would not fit in memory, names cleaned."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from core.data.reader import limits
from core.data.reader.columns import _clean_names
from core.data.reader.limits import _check_table_shape
from core.data.reader.options import ColumnInfo, ReadInfo
from core.data.reader.wording import _name_list, _short, _size
from core.i18n import _
from core.workspace.errors import DataError


def _read_parquet(data: bytes) -> tuple[pd.DataFrame, ReadInfo]:
    try:
        df = _parquet_table(data).to_pandas()  # as pd.read_parquet converts it (index, str, categories)
    except DataError:
        raise
    except Exception as exc:  # pyarrow raises many types for damaged files
        raise DataError(
            _("The Parquet file cannot be read ({error}); it may be truncated or damaged — export it again.").format(
                error=_short(exc)
            )
        ) from None
    notes: list[str] = []
    df = df.reset_index(drop=True) if not isinstance(df.index, pd.RangeIndex) else df
    names, dropped = _clean_names([str(c) for c in df.columns], notes, [df[c].isna().all() for c in df.columns])
    df.columns = range(df.shape[1])
    df = df.drop(columns=dropped)
    df.columns = [n for i, n in enumerate(names) if i not in dropped]
    if len(df) == 0:
        raise DataError(
            _("The Parquet file has columns ({names}) but no rows; export it again with its data.").format(
                names=_name_list(df.columns)
            )
        )
    infos = []
    for name in df.columns:
        col = df[name]
        if not (
            pd.api.types.is_numeric_dtype(col)
            or pd.api.types.is_datetime64_any_dtype(col)
            or pd.api.types.is_bool_dtype(col)
        ) and _holds_only_strings(col):
            col = col.astype("str")
            df[name] = col
        infos.append(
            ColumnInfo(
                str(name),
                str(col.dtype),
                int(col.isna().sum()),
                _("stored as {dtype} in the Parquet file").format(dtype=col.dtype),
            )
        )
    info = ReadInfo(
        "parquet", None, None, None, 0, None, len(df), tuple(infos), tuple(notes), na_tokens=()
    )  # Parquet stores missing values itself; no token is applied
    return df, info


def _parquet_table(data: bytes) -> Any:
    """The Parquet file as an Arrow table, refused from its metadata when it would not fit in memory.

    Compression and dictionary encoding hide the real size: a constant column of 40 M rows takes a
    few kB on disk. The row count and the stored (uncompressed) page sizes come from the footer; text
    columns are read as dictionaries first, so their decoded size is known before it is allocated.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    footer = pq.ParquetFile(io.BytesIO(data))
    meta, schema = footer.metadata, footer.schema_arrow
    rows = meta.num_rows
    _check_table_shape(_("The Parquet file"), rows, len(schema))
    fixed = sum(
        rows * f.type.bit_width // 8
        for f in schema
        if pa.types.is_primitive(f.type) and not pa.types.is_boolean(f.type)
    )
    stored = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if max(fixed, stored) > limits.MAX_DECOMPRESSED_BYTES:
        raise _too_big_in_memory(max(fixed, stored), len(data))

    def is_text(t: Any) -> bool:
        return (
            pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t)
        )

    text = [f.name for f in schema if is_text(f.type) and "." not in f.name]
    # Category columns (stored as dictionaries) are turned into text later on: count them decoded too.
    categories = [f.name for f in schema if pa.types.is_dictionary(f.type) and is_text(f.type.value_type)]
    table = pq.read_table(io.BytesIO(data), read_dictionary=text or None, use_pandas_metadata=True)
    decoded = fixed
    for name in text + categories:
        for chunk in table.column(name).chunks:
            decoded += pc.sum(pc.take(pc.binary_length(chunk.dictionary), chunk.indices)).as_py() or 0
            decoded += 8 * len(chunk)  # offsets
        if decoded > limits.MAX_DECOMPRESSED_BYTES:
            raise _too_big_in_memory(decoded, len(data))
    for name in text:
        i = table.schema.get_field_index(name)
        table = table.set_column(i, schema.field(name), table.column(i).cast(schema.field(name).type))
    return table


def _too_big_in_memory(size: int, on_disk: int) -> DataError:
    return DataError(
        _(
            "The Parquet file ({on_disk} on disk) expands to about {size} once read, over the "
            "{limit} limit; save a sample or an extract of the rows and upload that."
        ).format(on_disk=_size(on_disk), size=_size(size), limit=_size(limits.MAX_DECOMPRESSED_BYTES))
    )


def _holds_only_strings(col: pd.Series) -> bool:
    values = col.dropna()
    return (
        bool(values.map(type).eq(str).all())
        if len(values) <= 100_000
        else bool(values.sample(100_000, random_state=0).map(type).eq(str).all())
    )
