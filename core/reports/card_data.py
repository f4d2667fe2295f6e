"""The model card's sections about what the model is for and what it was made from: intended use,
data, lineage, library versions, and what production and the earlier stages warned about."""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any

import pandas as pd

from core.data import datasets
from core.deployment.routing import strategy_name
from core.documents import Section, Table, make_table
from core.formatting import format_as, format_date, format_exact, format_param
from core.glossary import validation_label
from core.i18n import DEFAULT_LANGUAGE, _, current_language, ngettext
from core.problem.definition import format_metric_value
from core.reports.context import TASK_WORDS, CardContext, describe_gate_check, format_count, format_when
from core.training import tracking

LIBRARIES = ("python", "scikit-learn", "pandas", "numpy", "shap", "optuna", "streamlit", "plotly", "fpdf2")
MAX_ALERTS = 8


def describe_prediction(ctx: CardContext) -> str:
    """What the version answers, in words: "'churn' as a yes/no answer ('Yes' is the positive class)"."""
    p = ctx.problem
    task = _(TASK_WORDS[p.task]) if p.task in TASK_WORDS else p.task
    what = _("'{column}' as {task}").format(column=p.target, task=task)
    classes = ctx.lineage.get("classes") or []
    if p.task == "binary" and p.positive_class is not None:
        return _("{what} ('{label}' is the positive class)").format(what=what, label=p.positive_class)
    if p.task == "multiclass" and classes:
        shown = ", ".join(f"'{c}'" for c in classes[:6]) + (" …" if len(classes) > 6 else "")
        return f"{what}: {shown}"
    return what


def intended_use_section(ctx: CardContext) -> Section:
    p = ctx.problem
    bullets = [
        _("Predicts {what}.").format(what=describe_prediction(ctx)),
        _("Judged by {metric} on rows it never saw: the business asked for {bar_words} {bar}.").format(
            metric=ctx.metric_label, bar_words=ctx.bar_words, bar=format_metric_value(p.metric, p.threshold)
        ),
    ]
    if p.task == "binary" and "decision_threshold" in ctx.lineage:
        bullets.append(
            _("It answers '{label}' when its score is {cut} or more.").format(
                label=p.positive_class, cut=format_as(float(ctx.lineage["decision_threshold"]), ".2f")
            )
        )
    if p.cost_false_negative is not None and p.cost_false_positive is not None:
        bullets.append(
            _(
                "Cost of mistakes (per row, in the units entered on the Problem page): a missed '{label}' "
                "costs {missed}, a false alarm {alarm}."
            ).format(
                label=p.positive_class,
                missed=format_param(p.cost_false_negative),
                alarm=format_param(p.cost_false_positive),
            )
        )
    if p.time_column:
        bullets.append(
            _("Rows are ordered in time by '{column}': it was tested on later rows than it learned from.").format(
                column=p.time_column
            )
        )
    if p.group_column:
        bullets.append(
            _("Rows of one '{column}' were kept together: it was tested on unseen values of '{column}'.").format(
                column=p.group_column
            )
        )
    if p.sensitive_column:
        bullets.append(
            _("Its errors are compared across the groups of '{column}': a gap of at most {gap} is allowed.").format(
                column=p.sensitive_column, gap=format_exact(p.max_fairness_gap)
            )
        )
    bullets.append(_("It must answer one request within {ms} ms.").format(ms=format_exact(p.max_latency_ms)))
    return Section(
        heading=_("Intended use"),
        paragraphs=(
            _(
                "Use it for rows like the ones it learned from (see Data): its answers outside that population or "
                "period are untested, and monitoring (see In production) says when new rows stop looking alike."
            ),
        ),
        bullets=tuple(bullets),
    )


def _dataset_chain(ctx: CardContext) -> list[dict[str, Any]]:
    """The datasets this version was made from: the one it trained on and its ancestors, oldest first."""
    chain, seen = [], set()
    dataset_id = ctx.lineage.get("dataset_id") or ctx.experiment.get("dataset_id")
    while dataset_id is not None and dataset_id not in seen:
        seen.add(dataset_id)
        row = ctx.ws.query_one("SELECT * FROM datasets WHERE id = ?", (dataset_id,))
        if row is None:
            break
        chain.append(row)
        dataset_id = row["parent_id"]
    return chain[::-1]


def _day(value: Any) -> str:
    """A stored date (ISO text) as the reader writes dates; text that is no date is kept (its first 10 characters)."""
    try:
        return format_date(pd.Timestamp(str(value)).normalize())
    except (ValueError, TypeError):
        return str(value)[:10]


def _period(trained: dict[str, Any], time_column: str | None) -> str | None:
    """The first and last date of the time column, from the rules learned on the cleaned table."""
    if not time_column or not trained.get("rules_json"):
        return None
    for rule in json.loads(trained["rules_json"]).get("columns", []):
        if rule.get("column") == time_column and rule.get("min") and rule.get("max"):
            return _("{first} to {last}").format(first=_day(rule["min"]), last=_day(rule["max"]))
    return None


def data_section(ctx: CardContext) -> Section:
    chain = _dataset_chain(ctx)
    paragraphs, bullets = [], []
    trained = chain[-1] if chain else None
    raw = next((d for d in chain if d["kind"] == "raw"), None)
    source = ctx.project.get("source") or (raw["name"] if raw else _("an unknown file"))
    if raw is not None:
        info = json.loads(raw.get("read_info_json") or "{}")
        how = ", ".join(
            part
            for part in (
                str(info.get("format") or "").upper(),
                _("encoding {name}").format(name=info["encoding"]) if info.get("encoding") else "",
                _("delimiter '{mark}'").format(mark=info["delimiter"]) if info.get("delimiter") else "",
                _("decimal mark '{mark}'").format(mark=info["decimal"]) if info.get("decimal") else "",
            )
            if part
        )
        size = _("{rows} rows × {cols} columns").format(rows=format_count(raw["rows"]), cols=format_count(raw["cols"]))
        paragraphs.append(
            _("Source: {source}, {size}, read as {how}.").format(source=source, size=size, how=how)
            if how
            else _("Source: {source}, {size}.").format(source=source, size=size)
        )
    if trained is not None:
        period = _period(trained, ctx.problem.time_column)
        size = _("{rows} rows × {cols} columns").format(
            rows=format_count(trained["rows"]), cols=format_count(trained["cols"])
        )
        learned = _("It learned from dataset version {version} ({name}, {kind}): {size}").format(
            version=trained["version"], name=trained["name"], kind=trained["kind"], size=size
        )
        paragraphs.append(
            learned
            + (
                _(", from {period} ('{column}').").format(period=period, column=ctx.problem.time_column)
                if period
                else "."
            )
        )
    recipe = datasets.get_recipe(ctx.ws, trained["recipe_id"]) if trained and trained.get("recipe_id") else None
    if recipe is not None:
        reports = datasets.get_step_reports(recipe)
        paragraphs.append(
            ngettext(
                "Cleaning recipe version {version}, {n} step, in order:",
                "Cleaning recipe version {version}, {n} steps, in order:",
                len(reports),
            ).format(version=recipe["version"], n=len(reports))
            if reports
            else _("Cleaning recipe version {version} has no step: the table was used as it was read.").format(
                version=recipe["version"]
            )
        )
        for report in reports:
            status = report.get("status", "applied")
            bullets.append(
                report.get("summary", report.get("op", "")) + ("" if status == "applied" else f" ({status})")
            )
    elif trained is not None:
        paragraphs.append(_("No cleaning recipe was recorded: it learned from the table as uploaded."))
    used = {d["id"] for d in chain}
    rows = [
        (
            f"v{d['version']}",
            d["kind"],
            d["name"],
            format_count(d["rows"]),
            format_count(d["cols"]),
            format_when(d["created_at"]),
            _("yes") if d["id"] in used else "",
        )
        for d in datasets.list_datasets(ctx.ws, int(ctx.project["id"]))
    ]
    table = make_table(
        [_("version"), _("kind"), _("name"), _("rows"), _("columns"), _("made"), _("behind this model")],
        rows,
        caption=_("Every dataset version of the project; the ones marked are the chain this model was trained from."),
    )
    return Section(_("Data"), paragraphs=tuple(paragraphs), bullets=tuple(bullets), tables=(table,) if rows else ())


def lineage_section(ctx: CardContext) -> Section:
    rows: list[tuple[str, str, str]] = []
    recipes_shown: set[int] = set()
    for d in _dataset_chain(ctx):
        rows.append(
            (
                _("{kind} dataset").format(kind=d["kind"]),
                f"#{d['id']} v{d['version']}",
                _("{name}, {rows} rows").format(name=d["name"], rows=format_count(d["rows"])),
            )
        )
        if d.get("recipe_id") and d["recipe_id"] not in recipes_shown:
            recipes_shown.add(d["recipe_id"])
            recipe = datasets.get_recipe(ctx.ws, d["recipe_id"])
            if recipe is not None:
                steps = len(datasets.get_step_reports(recipe))
                rows.insert(
                    -1,
                    (
                        _("cleaning recipe"),
                        f"#{recipe['id']} v{recipe['version']}",
                        ngettext("{n} step", "{n} steps", steps).format(n=steps),
                    ),
                )
    fs_id = ctx.lineage.get("feature_set_id") or ctx.experiment.get("feature_set_id")
    if fs_id is not None:
        fs = ctx.ws.query_one("SELECT version FROM feature_sets WHERE id = ?", (fs_id,))
        rows.append(
            (_("feature set"), f"#{fs_id}" + (f" v{fs['version']}" if fs else ""), _("the preprocessing it carries"))
        )
    e = ctx.experiment
    kind = tracking.EXPERIMENT_KINDS.get(e.get("kind") or "leaderboard", e.get("kind") or "")
    rows.append(
        (
            _("experiment"),
            f"#{e['id']}",
            f"{kind}, {validation_label(str(e['validation']))}, {format_when(e['created_at'])}",
        )
    )
    rows.append((_("run"), f"#{ctx.run['id']}", str(ctx.run["model_name"])))  # its readable name, not the key
    v = ctx.version
    rows.append(
        (
            _("model version"),
            ctx.label,
            _("registered {when}, file SHA-256 {hash}…").format(
                when=format_when(v["created_at"]), hash=v["sha256"][:16]
            ),
        )
    )
    for d in ctx.ws.query(
        """SELECT id, routing_json, active, created_at, champion_version_id FROM deployments
           WHERE champion_version_id = ? OR challenger_version_id = ? ORDER BY id""",
        (v["id"], v["id"]),
    ):
        code = json.loads(d["routing_json"] or "{}").get("strategy", "single")
        strategy = code.replace("_", "-") if current_language() == DEFAULT_LANGUAGE else strategy_name(code)
        role = _("champion") if d["champion_version_id"] == v["id"] else _("challenger")
        state = _("live") if d["active"] else _("ended")
        rows.append(
            (
                _("deployment"),
                f"#{d['id']}",
                _("{strategy}, as {role}, {state}, from {when}").format(
                    strategy=strategy, role=role, state=state, when=format_when(d["created_at"])
                ),
            )
        )
    return Section(
        _("Lineage"),
        tables=(
            make_table(
                [_("step"), _("record"), _("what")],
                rows,
                caption=_("What this model was made from, oldest first, then where it went."),
            ),
        ),
    )


def _installed(name: str) -> str:
    if name == "python":
        import platform

        return platform.python_version()
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return _("not installed")


def versions_section(ctx: CardContext) -> Section:
    trained = json.loads(ctx.experiment.get("environment_json") or "{}")
    missing = _("not recorded")
    rows = [(name, trained.get(name, missing), _installed(name)) for name in LIBRARIES]
    changed = [name for name, then, now in rows if then not in (missing, now)]
    caption = (
        _(
            "Library versions when the model was trained and where this card was made; {names} changed since training."
        ).format(names=", ".join(changed))
        if changed
        else _(
            "Library versions when the model was trained and where this card was made; none of the recorded ones "
            "changed since."
        )
    )
    table = make_table([_("library"), _("at training"), _("now")], rows, caption=caption)
    return Section(_("Library versions"), tables=(table,))


def _reports(ctx: CardContext) -> list[dict[str, Any]]:
    return ctx.ws.query(
        "SELECT id, summary, retrain_recommended, created_at FROM monitoring_reports WHERE version_id = ? ORDER BY id",
        (ctx.version["id"],),
    )


def get_warnings(ctx: CardContext) -> list[str]:
    """Every limitation and warning raised along the way, each a sentence."""
    out = [_("Training: {warning}").format(warning=w) for w in tracking.get_experiment_warnings(ctx.experiment)]
    gate = ctx.gate
    out += [
        _("Gate: {sentence}").format(sentence=describe_gate_check(c))
        for c in gate.get("checks", [])
        if not c.get("passed", True)
    ]
    if not ctx.gate_checked_this_model:
        out.append(_("Gate: the gate checked another model of its experiment, not this one."))
    if ctx.lineage.get("override_reason"):
        out.append(
            _("Registered despite the gate, with the reason: {reason}").format(reason=ctx.lineage["override_reason"])
        )
    for report in _reports(ctx):
        if report["retrain_recommended"]:
            out.append(_("Monitoring report {id}: {summary}").format(id=report["id"], summary=report["summary"]))
        alerts = ctx.ws.query(
            "SELECT severity, sentence FROM alert_outbox WHERE report_id = ? ORDER BY severity = 'critical' DESC, id",
            (report["id"],),
        )
        out += [
            _("Alert ({severity}): {sentence}").format(severity=a["severity"], sentence=a["sentence"])
            for a in alerts[:MAX_ALERTS]
        ]
        if len(alerts) > MAX_ALERTS:
            out.append(
                _("… and {n} more alerts of report {id} (see Monitor).").format(
                    n=len(alerts) - MAX_ALERTS, id=report["id"]
                )
            )
    return out


def warnings_section(warnings: list[str]) -> Section:
    if not warnings:
        return Section(
            _("Limitations and warnings"),
            paragraphs=(
                _("No warning was raised along the way: validation, the gate and monitoring found nothing to flag."),
            ),
        )
    return Section(
        _("Limitations and warnings"),
        paragraphs=(_("What the earlier stages flagged about this model, as they said it:"),),
        bullets=tuple(warnings),
    )


def production_section(ctx: CardContext) -> Section:
    # Through the deployments that routed to it: predictions are indexed by deployment, not by version.
    served = ctx.ws.query_one(
        """SELECT COUNT(*) AS n, MIN(ts) AS first, MAX(ts) AS last FROM predictions
           WHERE deployment_id IN (SELECT id FROM deployments WHERE champion_version_id = ?1
                                   OR challenger_version_id = ?1) AND version_id = ?1""",
        (ctx.version["id"],),
    )
    paragraphs = []
    if served and served["n"]:
        paragraphs.append(
            _("It answered {n} requests (rows), from {first} to {last}.").format(
                n=format_count(served["n"]), first=format_when(served["first"]), last=format_when(served["last"])
            )
        )
    else:
        paragraphs.append(_("It has not answered any request yet."))
    reports = _reports(ctx)
    rows = [
        (
            f"#{r['id']}",
            format_when(r["created_at"]),
            _("retrain") if r["retrain_recommended"] else _("keep"),
            r["summary"] or "",
        )
        for r in reports
    ]
    tables: tuple[Table, ...] = ()
    if rows:
        tables = (
            make_table(
                [_("report"), _("when"), _("decision"), _("what it found")],
                rows,
                caption=_("Each monitoring report of this model: whether new rows still look like its training data."),
            ),
        )
    else:
        paragraphs.append(_("No monitoring report watched it yet."))
    return Section(_("In production"), paragraphs=tuple(paragraphs), tables=tables)
