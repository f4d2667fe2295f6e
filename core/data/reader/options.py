"""What a read is asked to do (`ReadOptions`) and what it reports (`ReadInfo`, `ColumnInfo`).

Plain frozen dataclasses that round-trip through JSON: dataset versions store them to replay a read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from core.i18n import _
from core.workspace.errors import ConfigError

THOUSANDS_CHOICES = ("", ",", ".", " ", "'", "\u00a0", "\u202f")  # "" = no thousands separator


@dataclass(frozen=True)
class ReadOptions:
    """How to read a file; every None means "detect it"."""

    delimiter: str | None = None
    encoding: str | None = None
    decimal: str | None = None
    sheet: str | None = None
    header_row: int | None = None  # 0-based line (CSV) or row (Excel) holding the column names
    na_tokens: tuple[str, ...] = ("",)  # cells (after strip) read as missing; "NA" stays text
    thousands: str | None = None  # None = detect; "" = the file has no thousands separator
    quotechar: str | None = None  # None = detect ('"' unless the file quotes with "'")
    # 'N/D', '?', '-', 'NA'... (NUMERIC_MISSING_TOKENS) read as missing where the rest of a column is
    # numbers or dates; False keeps them as text (e.g. a file where '-' means zero).
    numeric_missing_tokens: bool = True

    def __post_init__(self) -> None:
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ConfigError(
                _("The 'delimiter' of ReadOptions must be one character; got {value} instead.").format(
                    value=repr(self.delimiter)
                )
            )
        if self.decimal not in (None, ".", ","):
            raise ConfigError(
                _("The 'decimal' of ReadOptions must be '.' or ','; got {value} instead.").format(
                    value=repr(self.decimal)
                )
            )
        if self.header_row is not None and (not isinstance(self.header_row, int) or self.header_row < 0):
            raise ConfigError(
                _("The 'header_row' of ReadOptions must be an integer >= 0; got {value} instead.").format(
                    value=repr(self.header_row)
                )
            )
        if self.thousands is not None and self.thousands not in THOUSANDS_CHOICES:
            raise ConfigError(
                _("The 'thousands' of ReadOptions must be one of {choices}; got {value} instead.").format(
                    choices=", ".join(map(repr, THOUSANDS_CHOICES)), value=repr(self.thousands)
                )
            )
        if self.thousands and self.thousands == self.decimal:
            raise ConfigError(
                _("The 'thousands' of ReadOptions must differ from the decimal mark; both are {value}.").format(
                    value=repr(self.decimal)
                )
            )
        if not isinstance(self.numeric_missing_tokens, bool):
            raise ConfigError(
                _("The 'numeric_missing_tokens' of ReadOptions must be True or False; got {value} instead.").format(
                    value=repr(self.numeric_missing_tokens)
                )
            )
        if self.quotechar is not None and (
            len(self.quotechar) != 1 or self.quotechar.isalnum() or self.quotechar == self.delimiter
        ):
            raise ConfigError(
                _(
                    "The 'quotechar' of ReadOptions must be one punctuation character other than the "
                    "delimiter; got {value} instead."
                ).format(value=repr(self.quotechar))
            )
        object.__setattr__(self, "na_tokens", tuple(str(t).strip() for t in self.na_tokens))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["na_tokens"] = list(self.na_tokens)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReadOptions:
        d = dict(d)
        if "na_tokens" in d:
            d["na_tokens"] = tuple(d["na_tokens"])
        return cls(**d)


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    dtype: str
    missing: int
    note: str  # why this type was inferred, in plain words
    examples_not_fitting: tuple[str, ...] = ()  # up to 5 raw values that kept it from a richer type


@dataclass(frozen=True)
class ReadInfo:
    format: str  # "csv" | "excel" | "parquet"
    encoding: str | None
    delimiter: str | None
    decimal: str | None
    header_row: int
    sheet: str | None
    rows: int
    columns: tuple[ColumnInfo, ...]
    warnings: tuple[str, ...] = field(default=())
    thousands: str | None = None  # the thousands separator used (None: none)
    quotechar: str | None = None
    sheets: tuple[str, ...] = ()  # Excel: every sheet of the workbook; `sheet` is the one read
    na_tokens: tuple[str, ...] = ("",)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "decimal": self.decimal,
            "thousands": self.thousands,
            "quotechar": self.quotechar,
            "header_row": self.header_row,
            "sheet": self.sheet,
            "sheets": list(self.sheets),
            "na_tokens": list(self.na_tokens),
            "rows": self.rows,
            "columns": [{**asdict(c), "examples_not_fitting": list(c.examples_not_fitting)} for c in self.columns],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReadInfo:
        d = dict(d)
        d["columns"] = tuple(
            ColumnInfo(**{**c, "examples_not_fitting": tuple(c.get("examples_not_fitting", ()))}) for c in d["columns"]
        )
        for key in ("warnings", "sheets", "na_tokens"):
            if key in d:
                d[key] = tuple(d[key])
        return cls(**d)


def _with(info: ReadInfo, **changes: Any) -> ReadInfo:
    return ReadInfo(**{**{f: getattr(info, f) for f in ReadInfo.__dataclass_fields__}, **changes})
