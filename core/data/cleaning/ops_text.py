"""Ops on text and categories: trim_whitespace, unify_categories and group_rare, each with its apply,
validate and describe side by side (`TEXT_OPS`)."""

from __future__ import annotations

import pandas as pd

from core.data.cleaning.ops_common import (
    OpResult,
    OpSpec,
    absent_note,
    as_plain_text,
    as_sentence,
    bad_param,
    check_column,
    check_columns,
    examples_text,
    map_text_values,
    name_list,
    skip_absent,
    validate_columns,
    with_column,
)
from core.data.columns import is_text, normalize_spelling
from core.formatting import format_count, format_percent
from core.i18n import _, ngettext

RARE_MIN_SHARE = 0.01  # a category under 1 % of values is rare (group_rare's default min_share)
SPACE_RUN = "[ \u00a0\t]{2,}"  # literal characters: pandas runs this in pyarrow, not Python's re


def _validate_unify(params: dict, op: str) -> None:
    check_column(params, op)
    mapping = params.get("mapping")
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise bad_param("mapping", op, "an object {variant: canonical}", mapping)


def validate_group_rare(params: dict, op: str) -> None:
    check_column(params, op)
    share = params.get("min_share", RARE_MIN_SHARE)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 < share < 1:
        raise bad_param("min_share", op, "a share between 0 and 1 (e.g. 0.01 for 1 %)", share)
    label = params.get("other_label", "Other")
    if not isinstance(label, str) or not label:
        raise bad_param("other_label", op, "a non-empty label", label)
    keep = params.get("keep")
    if keep is not None and (not isinstance(keep, list) or not all(isinstance(k, str) for k in keep)):
        raise bad_param("keep", op, "null or a list of the categories to keep", keep)


def _trim_whitespace(df: pd.DataFrame, params: dict) -> OpResult:
    columns = check_columns(params, "trim_whitespace")
    parts, notes, changed, out = [], [], 0, df
    absent = [c for c in columns if c not in df.columns]
    for col in (c for c in columns if c in df.columns):
        s = df[col]
        if not is_text(s):
            notes.append(col)
            continue
        trimmed = map_text_values(s, _trim_text)
        edited = s.notna() & (trimmed.isna() | (trimmed != s))
        n, blank = int(edited.sum()), int((trimmed.isna() & s.notna()).sum())
        if n:
            changed += n
            out = with_column(out, col, trimmed)
            parts.append(
                ngettext(
                    "trimmed stray spaces in {n} {column} value", "trimmed stray spaces in {n} {column} values", n
                ).format(n=format_count(n), column=col)
                + (
                    " "
                    + ngettext("({n} blank cell now missing)", "({n} blank cells now missing)", blank).format(
                        n=format_count(blank)
                    )
                    if blank
                    else ""
                )
            )
    summary = (
        as_sentence("; ".join(parts))
        if parts
        else _("No stray spaces found in {columns}.").format(
            columns=name_list([c for c in columns if c in df.columns and c not in notes]) or _("the columns")
        )
    )
    summary += "".join(" " + _("Skipped {column}: not text.").format(column=c) for c in notes) + absent_note(absent)
    return OpResult(out, summary, changed, skipped=not parts and bool(notes or absent))


def _trim_text(u: pd.Series) -> pd.Series:
    """Leading/trailing spaces off, inner runs of spaces to one; blank text becomes missing."""
    t = u.str.strip().str.replace(SPACE_RUN, " ", regex=True)
    return t.where(t != "")


def _unify_categories(df: pd.DataFrame, params: dict) -> OpResult:
    column = params["column"]
    mapping = params.get("mapping") or {}
    if column not in df.columns:
        return skip_absent(df, column)
    s = df[column]
    if not is_text(s):
        return OpResult(df, _("Skipped: {column} does not hold text.").format(column=column), skipped=True)
    # Variants seen in training map exactly; new variants of the same categories (e.g. "MONTH TO MONTH"
    # in a production batch) meet their canonical spelling through the normalised key.
    canonical_by_key = {normalize_spelling(c): str(c) for c in mapping.values()}
    full = {}
    for value in s.dropna().unique():
        value = str(value)
        target = mapping.get(value) or canonical_by_key.get(normalize_spelling(value))
        if target is not None and target != value:
            full[value] = target
    if not full:
        return OpResult(df, _("No spelling variants found in {column}.").format(column=column))
    unified = as_plain_text(s).replace(full)
    changed = int((s.notna() & (as_plain_text(s) != unified)).sum())
    n_targets = len(set(full.values()))
    examples = ", ".join(f"{k!r} -> {v!r}" for k, v in list(full.items())[:3])
    summary = (
        ngettext(
            "Unified {n} {column} value written in {variants} variant spelling(s)",
            "Unified {n} {column} values written in {variants} variant spelling(s)",
            changed,
        ).format(n=format_count(changed), column=column, variants=len(full))
        + " "
        + ngettext("into {n} category (e.g. {examples}).", "into {n} categories (e.g. {examples}).", n_targets).format(
            n=n_targets, examples=examples
        )
    )
    return OpResult(with_column(df, column, unified), summary, changed)


def _group_rare(df: pd.DataFrame, params: dict) -> OpResult:
    column = params["column"]
    min_share = float(params.get("min_share", RARE_MIN_SHARE))
    label = params.get("other_label", "Other")
    if column not in df.columns:
        return skip_absent(df, column)
    s = df[column]
    if not is_text(s):
        return OpResult(df, _("Skipped: {column} does not hold text.").format(column=column), skipped=True)
    keep = params.get("keep")
    if keep is None:  # not resolved by make_group_rare_step: learn it from this table
        keep = get_common_categories(s, min_share)
    text = as_plain_text(s)
    rare = text.notna() & ~text.isin(keep) & (text != label)
    n = int(rare.sum())
    if not n:
        return OpResult(
            df,
            ngettext(
                "No rare {column} categories to group (kept {n} category).",
                "No rare {column} categories to group (kept {n} categories).",
                len(keep),
            ).format(column=column, n=format_count(len(keep))),
        )
    levels = int(text[rare].nunique())
    grouped = text.where(~rare, label)
    return OpResult(
        with_column(df, column, grouped),
        ngettext("Grouped {n} {column} value", "Grouped {n} {column} values", n).format(
            n=format_count(n), column=column
        )
        + " "
        + ngettext(
            "in {n} rare category (e.g. {examples}) into {label};",
            "in {n} rare categories (e.g. {examples}) into {label};",
            levels,
        ).format(n=format_count(levels), examples=examples_text(text[rare]), label=repr(label))
        + " "
        + ngettext("kept {n} common category.", "kept {n} common categories.", len(keep)).format(
            n=format_count(len(keep))
        ),
        n,
    )


def get_common_categories(s: pd.Series, min_share: float = RARE_MIN_SHARE) -> list[str]:
    """Categories holding at least `min_share` of the non-missing values, most frequent first."""
    counts = as_plain_text(s).value_counts()
    if counts.empty:
        return []
    counts = counts[counts / counts.sum() >= min_share]
    order = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return [str(k) for k, _ in order]


def _describe_group_rare(p: dict) -> str:
    label = p.get("other_label", "Other")
    if p.get("keep") is None:
        return _("Group {column} categories under {share} of values into {label}").format(
            column=p["column"], share=format_percent(p.get("min_share", RARE_MIN_SHARE), 2), label=repr(label)
        )
    return _("Group {column} categories other than the {n} common ones into {label}").format(
        column=p["column"], n=len(p["keep"]), label=repr(label)
    )


def _describe_unify(p: dict) -> str:
    mapping = p.get("mapping") or {}
    example = next(iter(mapping.items()), None)
    unify = ngettext("Unify {n} spelling in {column}", "Unify {n} spellings in {column}", len(mapping)).format(
        n=format_count(len(mapping)), column=p["column"]
    )
    if example:
        return unify + " " + _("(e.g. {old} -> {new})").format(old=repr(example[0]), new=repr(example[1]))
    return unify


TEXT_OPS: dict[str, OpSpec] = {
    "trim_whitespace": OpSpec(
        _trim_whitespace,
        validate_columns,
        lambda p: _("Trim stray spaces in {columns}").format(columns=name_list(check_columns(p, "trim_whitespace"))),
    ),
    "unify_categories": OpSpec(_unify_categories, _validate_unify, _describe_unify),
    "group_rare": OpSpec(_group_rare, validate_group_rare, _describe_group_rare),
}
