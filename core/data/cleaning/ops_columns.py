"""Ops on columns and their types: drop_columns, rename_columns, to_numeric, to_datetime, to_boolean,
each with its apply, validate and describe side by side (`COLUMN_OPS`), and the parsers they use
(`parse_numbers`, `parse_booleans`), which suggestions and the recipe editor use too."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from core.data.cleaning.ops_common import (
    FALSE_SPELLINGS,
    TRUE_SPELLINGS,
    OpResult,
    OpSpec,
    absent_note,
    as_sentence,
    bad_param,
    check_choice,
    check_columns,
    check_mapping,
    examples_text,
    name_list,
    validate_columns,
    with_column,
)
from core.formatting import format_count
from core.i18n import _, ngettext

DECIMAL_MARKS = (".", ",")
THOUSANDS_SEPARATORS = (None, ",", ".", " ", "'")


def _validate_rename(params: dict, op: str) -> None:
    mapping = check_mapping(params, op, "old: new")
    if len(set(mapping.values())) < len(mapping):
        raise bad_param("mapping", op, "an object whose new names are all different", mapping)


def _validate_to_numeric(params: dict, op: str) -> None:
    check_columns(params, op)
    decimal = check_choice(params, "decimal", DECIMAL_MARKS, op, ".")
    thousands = check_choice(params, "thousands", THOUSANDS_SEPARATORS, op, None)
    if thousands == decimal:
        raise bad_param("thousands", op, f"different from the decimal mark {decimal!r}", thousands)


def _validate_to_datetime(params: dict, op: str) -> None:
    check_columns(params, op)
    fmt = params.get("format")
    if fmt is not None and (not isinstance(fmt, str) or "%" not in fmt and fmt not in ("ISO8601", "mixed")):
        raise bad_param("format", op, "null (detect) or a strftime format such as '%d/%m/%Y'", fmt)


def _validate_to_boolean(params: dict, op: str) -> None:
    check_columns(params, op)
    if not isinstance(params.get("missing_as_false", False), bool):
        raise bad_param("missing_as_false", op, "true or false", params.get("missing_as_false"))


def _drop_columns(df: pd.DataFrame, params: dict) -> OpResult:
    columns = check_columns(params, "drop_columns")
    present = [c for c in columns if c in df.columns]
    absent = [c for c in columns if c not in df.columns]
    if not present:
        return OpResult(df, _("No column dropped.") + absent_note(absent), skipped=True)
    return OpResult(
        df.drop(columns=present),
        ngettext("Dropped {n} column: {columns}.", "Dropped {n} columns: {columns}.", len(present)).format(
            n=format_count(len(present)), columns=name_list(present)
        )
        + absent_note(absent),
        len(present) * len(df),
    )


def _rename_columns(df: pd.DataFrame, params: dict) -> OpResult:
    mapping = params["mapping"]
    absent = [old for old in mapping if old not in df.columns]
    moving = {old: new for old, new in mapping.items() if old in df.columns and old != new}
    staying = set(df.columns) - set(moving)
    clashes = {old: new for old, new in moving.items() if new in staying}
    moving = {old: new for old, new in moving.items() if old not in clashes}
    notes = absent_note(absent) + "".join(
        " " + _("Did not rename {old} to {new}: {new} already exists.").format(old=old, new=new)
        for old, new in clashes.items()
    )
    if not moving:
        return OpResult(df, _("No column renamed.") + notes, skipped=bool(absent or clashes))
    pairs = ", ".join(f"{old} -> {new}" for old, new in moving.items())
    renamed = ngettext("Renamed {n} column: {pairs}.", "Renamed {n} columns: {pairs}.", len(moving)).format(
        n=format_count(len(moving)), pairs=pairs
    )
    return OpResult(df.rename(columns=moving), renamed + notes)


def _to_numeric(df: pd.DataFrame, params: dict) -> OpResult:
    columns = check_columns(params, "to_numeric")
    decimal = params.get("decimal", ".")
    # Recipes saved before 'thousands' existed: a decimal comma implied '.' as thousands separator.
    thousands = params["thousands"] if "thousands" in params else ("." if decimal == "," else None)
    parts, changed, out = [], 0, df
    absent = [c for c in columns if c not in df.columns]
    for col in (c for c in columns if c in df.columns):
        s = df[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            parts.append(_("kept {column}: it is already numeric").format(column=col))
            continue
        numbers = parse_numbers(s, decimal, thousands)
        unreadable = numbers.isna() & s.notna()
        lost = int(unreadable.sum())
        changed += int(s.notna().sum())
        out = with_column(out, col, numbers)
        parts.append(
            _("converted {column} to numbers").format(column=col)
            + (
                " "
                + ngettext(
                    "({n} blank or unreadable value now missing, e.g. {examples})",
                    "({n} blank or unreadable values now missing, e.g. {examples})",
                    lost,
                ).format(n=format_count(lost), examples=examples_text(s[unreadable]))
                if lost
                else ""
            )
        )
    summary = as_sentence("; ".join(parts)) if parts else _("No column converted.")
    return OpResult(out, summary + absent_note(absent), changed, skipped=not parts)


def parse_numbers(s: pd.Series, decimal: str = ".", thousands: str | None = None) -> pd.Series:
    """Text to float64: "1.234,5" (decimal ',', thousands '.'), "12 500" (thousands ' '), "3'400".

    A thousands separator only counts in groups of three ("1,5" with thousands ',' is unreadable,
    not 15); unreadable values become missing.
    """
    text = s.astype("str").where(s.notna()).str.strip()
    if thousands is not None:
        # Literal characters and [0-9], not \s / \d / \u escapes: those send pandas to Python's slow re.
        sep = "[ \u00a0\u202f\t]" if thousands == " " else re.escape(thousands)
        grouped = rf"[+-]?[0-9]{{1,3}}(?:{sep}[0-9]{{3}})+(?:{re.escape(decimal)}[0-9]*)?"
        has_sep = text.str.contains(sep, regex=True).fillna(False).astype(bool)
        if has_sep.any():
            ok = text.str.fullmatch(grouped).fillna(False).astype(bool)
            text = text.where(~has_sep | ok).str.replace(sep, "", regex=True)
    if decimal == ",":
        text = text.where(~text.str.contains(".", regex=False).fillna(False).astype(bool))  # "1.5" is ambiguous here
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")


def _to_datetime(df: pd.DataFrame, params: dict) -> OpResult:
    columns = check_columns(params, "to_datetime")
    fmt = params.get("format")
    parts, changed, out = [], 0, df
    absent = [c for c in columns if c not in df.columns]
    for col in (c for c in columns if c in df.columns):
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            parts.append(_("kept {column}: it already holds dates").format(column=col))
            continue
        dates = _parse_dates(s, fmt)
        unreadable = dates.isna() & s.notna()
        lost = int(unreadable.sum())
        changed += int(s.notna().sum())
        out = with_column(out, col, dates)
        parts.append(
            _("converted {column} to dates").format(column=col)
            + (f" ({fmt})" if fmt else "")
            + (
                " "
                + ngettext(
                    "({n} unreadable value now missing, e.g. {examples})",
                    "({n} unreadable values now missing, e.g. {examples})",
                    lost,
                ).format(n=format_count(lost), examples=examples_text(s[unreadable]))
                if lost
                else ""
            )
        )
    summary = as_sentence("; ".join(parts)) if parts else _("No column converted.")
    return OpResult(out, summary + absent_note(absent), changed, skipped=not parts)


def _parse_dates(s: pd.Series, fmt: str | None) -> pd.Series:
    text = s.astype("str").where(s.notna()).str.strip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for attempt in [fmt] if fmt else ["ISO8601", "mixed"]:
            for utc in (False, True):
                try:
                    parsed = pd.to_datetime(text, format=attempt, errors="coerce", utc=utc)
                except (ValueError, TypeError):
                    continue
                if fmt or parsed.notna().sum() == text.notna().sum() or attempt == "mixed":
                    return parsed
                break
    return pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")


def _to_boolean(df: pd.DataFrame, params: dict) -> OpResult:
    columns = check_columns(params, "to_boolean")
    missing_as_false = bool(params.get("missing_as_false", False))
    parts, changed, out = [], 0, df
    absent = [c for c in columns if c not in df.columns]
    for col in (c for c in columns if c in df.columns):
        s = df[col]
        if pd.api.types.is_bool_dtype(s) and not missing_as_false:
            parts.append(_("kept {column}: it already holds true/false").format(column=col))
            continue
        flags, unknown = parse_booleans(s, missing_as_false)
        n_unknown = int(unknown.sum())
        changed += int(s.notna().sum())
        out = with_column(out, col, flags)
        n_true, n_false = int(flags.sum()), int((~flags).sum())
        missing = int(flags.isna().sum())
        counts = {"column": col, "true": format_count(n_true), "false": format_count(n_false)}
        words = (
            _("converted {column} to true/false ({true} true, {false} false, {missing} missing)").format(
                **counts, missing=format_count(missing)
            )
            if missing
            else _("converted {column} to true/false ({true} true, {false} false)").format(**counts)
        )
        if n_unknown:
            words += "; " + ngettext(
                "{n} value in unknown spellings (e.g. {examples}) are now missing",
                "{n} values in unknown spellings (e.g. {examples}) are now missing",
                n_unknown,
            ).format(n=format_count(n_unknown), examples=examples_text(s[unknown]))
        parts.append(words)
    summary = as_sentence("; ".join(parts)) if parts else _("No column converted.")
    return OpResult(out, summary + absent_note(absent), changed, skipped=not parts)


def parse_booleans(s: pd.Series, missing_as_false: bool = False) -> tuple[pd.Series, pd.Series]:
    """(pandas 'boolean' series, mask of values in an unknown spelling).

    yes/no, y/n, true/false, t/f, 1/0, si/no, ja/nein, oui/non, on/off and x/"" in any case
    and spacing. `missing_as_false` also reads empty cells as false (a column of "x" marks).
    """
    if pd.api.types.is_bool_dtype(s):
        flags = s.astype("boolean")
        return (flags.fillna(False) if missing_as_false else flags), pd.Series(False, index=s.index)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    keys = [str(u).strip().casefold() for u in uniques]
    lookup = np.array(
        [1 if k in TRUE_SPELLINGS else 0 if k in FALSE_SPELLINGS else -1 for k in keys] + [-2], dtype=np.int8
    )  # -1 unknown spelling, -2 (last slot, code -1) missing
    state = lookup[codes]
    if missing_as_false:
        state = np.where(state == -2, 0, state)
    flags = pd.arrays.BooleanArray(state == 1, state < 0)
    return pd.Series(flags, index=s.index, name=s.name), pd.Series(state == -1, index=s.index)


def _describe_to_numeric(p: dict) -> str:
    decimal = p.get("decimal", ".")
    marks = [_("decimal comma") if decimal == "," else _("decimal point")]
    if p.get("thousands") is not None:
        marks.append(_("thousands separator {mark}").format(mark=repr(p["thousands"])))
    return _("Convert {columns} to numbers ({marks})").format(
        columns=name_list(check_columns(p, "to_numeric")), marks=", ".join(marks)
    )


COLUMN_OPS: dict[str, OpSpec] = {
    "drop_columns": OpSpec(
        _drop_columns,
        validate_columns,
        lambda p: _("Drop {columns}").format(columns=name_list(check_columns(p, "drop_columns"))),
    ),
    "rename_columns": OpSpec(
        _rename_columns,
        _validate_rename,
        lambda p: _("Rename {renames}").format(
            renames=", ".join(_("{old} to {new}").format(old=o, new=n) for o, n in p["mapping"].items())
        ),
    ),
    "to_numeric": OpSpec(_to_numeric, _validate_to_numeric, _describe_to_numeric),
    "to_datetime": OpSpec(
        _to_datetime,
        _validate_to_datetime,
        lambda p: (
            _("Convert {columns} to dates (format {format})").format(
                columns=name_list(check_columns(p, "to_datetime")), format=p["format"]
            )
            if p.get("format")
            else _("Convert {columns} to dates (format detected)").format(
                columns=name_list(check_columns(p, "to_datetime"))
            )
        ),
    ),
    "to_boolean": OpSpec(
        _to_boolean,
        _validate_to_boolean,
        lambda p: (
            _("Convert {columns} to true/false (empty means false)")
            if p.get("missing_as_false")
            else _("Convert {columns} to true/false")
        ).format(columns=name_list(check_columns(p, "to_boolean"))),
    ),
}
