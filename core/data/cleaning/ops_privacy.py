"""Ops on personal data: mask_values (keep the last few characters) and hash_values (a keyed hash,
the key outside the database), each with its apply, validate and describe side by side
(`PRIVACY_OPS`). Dropping a personal column is the `drop_columns` op. The Data page's privacy panel
offers them for the columns `core.security.pii` finds; see core/security/masking.py for the key.
"""

from __future__ import annotations

import pandas as pd

from core.data.cleaning.ops_common import (
    OpResult,
    OpSpec,
    absent_note,
    bad_param,
    check_columns,
    name_list,
    validate_columns,
    with_column,
)
from core.formatting import format_count
from core.i18n import _, ngettext
from core.security.masking import hash_series, mask_series, pii_key

MASK_KEEP = (2, 3, 4)  # characters a mask keeps at the end


def _validate_mask(params: dict, op: str) -> None:
    check_columns(params, op)
    keep = params.get("keep", 4)
    if isinstance(keep, bool) or keep not in MASK_KEEP:
        raise bad_param("keep", op, _("2, 3 or 4 (characters kept at the end)"), keep)


def _changed(before: pd.Series, after: pd.Series) -> int:
    return int((before.notna() & (before.astype("str") != after.astype("str"))).sum())


def _mask_values(df: pd.DataFrame, params: dict) -> OpResult:
    columns = check_columns(params, "mask_values")
    keep = int(params.get("keep", 4))
    out, changed = df, 0
    present = [c for c in columns if c in df.columns]
    for column in present:
        masked = mask_series(df[column], keep)
        changed += _changed(df[column], masked)
        out = with_column(out, column, masked)
    summary = ngettext(
        "Masked {n} value in {columns}, keeping the last {keep} characters.",
        "Masked {n} values in {columns}, keeping the last {keep} characters.",
        changed,
    ).format(n=format_count(changed), columns=name_list(present), keep=keep)
    absent = [c for c in columns if c not in df.columns]
    return OpResult(out, summary + absent_note(absent), changed, skipped=not present)


def _hash_values(df: pd.DataFrame, params: dict) -> OpResult:
    columns = check_columns(params, "hash_values")
    present = [c for c in columns if c in df.columns]
    out, changed = df, 0
    if present:
        key = pii_key()
        for column in present:
            hashed = hash_series(df[column], key)
            changed += _changed(df[column], hashed)
            out = with_column(out, column, hashed)
    summary = ngettext(
        "Replaced {n} value in {columns} by a keyed hash (the same value gives the same hash).",
        "Replaced {n} values in {columns} by a keyed hash (the same value gives the same hash).",
        changed,
    ).format(n=format_count(changed), columns=name_list(present))
    absent = [c for c in columns if c not in df.columns]
    return OpResult(out, summary + absent_note(absent), changed, skipped=not present)


PRIVACY_OPS: dict[str, OpSpec] = {
    "mask_values": OpSpec(
        _mask_values,
        _validate_mask,
        lambda p: _("Mask {columns} (keep the last {keep} characters)").format(
            columns=name_list(check_columns(p, "mask_values")), keep=p.get("keep", 4)
        ),
    ),
    "hash_values": OpSpec(
        _hash_values,
        validate_columns,
        lambda p: _("Hash {columns} with the workspace's secret key").format(
            columns=name_list(check_columns(p, "hash_values"))
        ),
    ),
}
