"""The model card of a registered version: one page a manager reads in two minutes (the verdict and
a short summary), then the detail, generated from what the workspace already knows.

    doc = build_model_card(ws, version_id)        # a core.documents.Document
    render_html(doc) / render_pdf(doc)
"""

from __future__ import annotations

import time
from typing import Any

from core.documents import Document, render_html, render_pdf
from core.formatting import format_share
from core.i18n import _, ngettext
from core.problem.definition import format_metric_value
from core.registry.audit import ALIAS_NAMES
from core.reports import card_data, card_model
from core.reports.context import (
    CardContext,
    describe_gate_check,
    format_count,
    format_when,
    load_card_context,
    resolve_card_version,
)
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError

FORMATS = ("html", "pdf")


def card_verdict(ctx: CardContext) -> str:
    """The one-line decision: GO / NO-GO with the number behind it, and what was done despite it."""
    gate = ctx.gate
    if not gate:
        return _("NO VERDICT: no gate decision was recorded for this version.")
    checks = gate.get("checks", [])
    counted = [c for c in checks if not c.get("informational")]
    passed = sum(1 for c in counted if c.get("passed"))
    value = format_metric_value(gate.get("metric", ctx.problem.metric), gate.get("value"))
    bar = format_metric_value(gate.get("metric", ctx.problem.metric), gate.get("threshold"))
    numbers = _("{metric} {value} on unseen data, {bar_words} {bar} asked; {passed} of {total} checks passed").format(
        metric=ctx.metric_label, value=value, bar_words=ctx.bar_words, bar=bar, passed=passed, total=len(counted)
    )
    if not ctx.gate_checked_this_model:
        return _("NOT GATED: the gate judged another model of its experiment ({numbers} for that one).").format(
            numbers=numbers
        )
    if gate.get("passed"):
        return _("GO: {numbers}.").format(numbers=numbers)
    if ctx.lineage.get("override_reason"):
        return _("NO-GO, registered anyway: {numbers}.").format(numbers=numbers)
    return _("NO-GO: {numbers}.").format(numbers=numbers)


def _mid_sentence(name: str) -> str:
    """ "Random forest" → "random forest", but "XGBoost" stays."""
    return name[0].lower() + name[1:] if len(name) > 1 and name[1].islower() else name


def _status(ctx: CardContext) -> str:
    aliases = ctx.aliases
    live = ctx.ws.query_one(
        "SELECT id FROM deployments WHERE active = 1 AND (champion_version_id = ? OR challenger_version_id = ?)",
        (ctx.version["id"], ctx.version["id"]),
    )
    if "champion" in aliases:
        return (
            _("It is the champion, serving production now.")
            if live
            else _("It is the champion (not deployed at the moment).")
        )
    if "challenger" in aliases:
        return (
            _("It is the challenger: a candidate waiting to prove itself, receiving part of the traffic now.")
            if live
            else _("It is the challenger: a candidate waiting to prove itself.")
        )
    return (
        _("It holds no alias: it is kept for the record and still receives traffic.")
        if live
        else _("It holds no alias: it is kept for the record.")
    )


def card_summary(ctx: CardContext, drivers: list[dict[str, Any]] | None, warnings: list[str]) -> tuple[str, ...]:
    v, e = ctx.version, ctx.experiment
    rows = ctx.ws.query_one("SELECT rows FROM datasets WHERE id = ?", (e["dataset_id"],))
    source = ctx.project.get("source") or _("its uploaded table")
    learned = _("{rows} rows of {source}").format(rows=format_count(rows["rows"]), source=source) if rows else source
    out = [
        _(
            "{label} predicts {what} for the project '{project}'. It is a {family} model that learned from "
            "{learned}, registered on {when}."
        ).format(
            label=ctx.label,
            what=card_data.describe_prediction(ctx),
            project=ctx.project["name"],
            family=_mid_sentence(ctx.run["model_name"]),
            learned=learned,
            when=format_when(v["created_at"]),
        )
        + " "
        + _status(ctx)
    ]
    checks = ctx.gate.get("checks", [])
    if checks:
        out.append(_("At the gate:") + " " + " ".join(describe_gate_check(c) for c in checks))
    if drivers:
        top = ", ".join(f"{d['feature']} ({format_share(d['share'])})" for d in drivers[:3])
        out.append(_("Its answers depend most on {top}.").format(top=top))
    else:
        out.append(_("What drives its answers is not computed yet (open Explain)."))
    out.append(
        ngettext(
            "{n} warning was raised along the way: see Limitations and warnings.",
            "{n} warnings were raised along the way: see Limitations and warnings.",
            len(warnings),
        ).format(n=len(warnings))
        if warnings
        else _("No warning was raised along the way.")
    )
    return tuple(out)


def build_model_card(ws: Workspace, version_id: int, *, generated_at: float | None = None) -> Document:
    """The card of one registered version, from the stores (nothing is trained or explained here)."""
    ctx = load_card_context(ws, version_id)
    drivers = card_model.get_drivers(ctx)
    warnings = card_data.get_warnings(ctx)
    aliases = ctx.aliases
    subtitle = " · ".join(
        part
        for part in (
            _("project {name}").format(name=ctx.project["name"]),
            ctx.label
            + (f" ({', '.join(_(ALIAS_NAMES[a]) if a in ALIAS_NAMES else a for a in aliases)})" if aliases else ""),
            _("generated {when}").format(when=format_when(time.time() if generated_at is None else generated_at)),
        )
        if part
    )
    return Document(
        title=_("Model card: {label}").format(label=ctx.label),
        subtitle=subtitle,
        verdict=card_verdict(ctx),
        summary=card_summary(ctx, drivers, warnings),
        sections=(
            card_data.intended_use_section(ctx),
            card_model.gate_section(ctx),
            card_model.metrics_section(ctx),
            card_model.leaderboard_section(ctx),
            card_model.drivers_section(drivers),
            card_model.fairness_section(ctx),
            card_model.robustness_section(ctx),
            card_data.warnings_section(warnings),
            card_data.data_section(ctx),
            card_data.production_section(ctx),
            card_data.lineage_section(ctx),
            card_data.versions_section(ctx),
        ),
    )


def render_card(doc: Document, fmt: str) -> bytes:
    """The card as file bytes: ``fmt`` "html" (UTF-8) or "pdf"."""
    if fmt == "html":
        return render_html(doc).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(doc)
    raise ConfigError(
        _("The card's format must be one of {formats}; got '{fmt}' instead.").format(
            formats=", ".join(FORMATS), fmt=fmt
        )
    )


def card_file_name(doc_version: dict[str, Any], fmt: str) -> str:
    """ "model-card-churn-demo-v3.pdf": safe on any file system."""
    import re

    name = re.sub(r"[^A-Za-z0-9._-]+", "-", str(doc_version["model_name"])).strip("-") or "model"
    return f"model-card-{name}-v{doc_version['version']}.{fmt}"


__all__ = [
    "FORMATS",
    "build_model_card",
    "card_file_name",
    "card_summary",
    "card_verdict",
    "render_card",
    "resolve_card_version",
]
