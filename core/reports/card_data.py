"""The model card's sections about what the model is for and what it was made from: intended use,
data, lineage, library versions, and what production and the earlier stages warned about."""

from __future__ import annotations

import json
from importlib import metadata
from typing import Any

from core.data import datasets
from core.documents import Section, Table, make_table
from core.formatting import format_exact, format_param
from core.glossary import validation_label
from core.problem.definition import format_metric_value
from core.reports.context import TASK_WORDS, CardContext, format_count, format_when
from core.training import tracking

LIBRARIES = ("python", "scikit-learn", "pandas", "numpy", "shap", "optuna", "streamlit", "plotly", "fpdf2")
MAX_ALERTS = 8


def describe_prediction(ctx: CardContext) -> str:
    """What the version answers, in words: "'churn' as a yes/no answer ('Yes' is the positive class)"."""
    p = ctx.problem
    what = f"'{p.target}' as {TASK_WORDS.get(p.task, p.task)}"
    classes = ctx.lineage.get("classes") or []
    if p.task == "binary" and p.positive_class is not None:
        return f"{what} ('{p.positive_class}' is the positive class)"
    if p.task == "multiclass" and classes:
        shown = ", ".join(f"'{c}'" for c in classes[:6]) + (" …" if len(classes) > 6 else "")
        return f"{what}: {shown}"
    return what


def intended_use_section(ctx: CardContext) -> Section:
    p = ctx.problem
    bullets = [
        f"Predicts {describe_prediction(ctx)}.",
        f"Judged by {ctx.metric_label} on rows it never saw: the business asked for {ctx.bar_words} "
        f"{format_metric_value(p.metric, p.threshold)}.",
    ]
    if p.task == "binary" and "decision_threshold" in ctx.lineage:
        bullets.append(
            f"It answers '{p.positive_class}' when its score is {float(ctx.lineage['decision_threshold']):.2f} or more."
        )
    if p.cost_false_negative is not None and p.cost_false_positive is not None:
        bullets.append(
            f"Cost of mistakes (per row, in the units entered on the Problem page): a missed '{p.positive_class}' "
            f"costs {format_param(p.cost_false_negative)}, a false alarm {format_param(p.cost_false_positive)}."
        )
    if p.time_column:
        bullets.append(
            f"Rows are ordered in time by '{p.time_column}': it was tested on later rows than it learned from."
        )
    if p.group_column:
        bullets.append(f"Rows of one '{p.group_column}' were kept together: it was tested on unseen {p.group_column}s.")
    if p.sensitive_column:
        bullets.append(
            f"Its errors are compared across the groups of '{p.sensitive_column}': a gap of at most "
            f"{format_exact(p.max_fairness_gap)} is allowed."
        )
    bullets.append(f"It must answer one request within {format_exact(p.max_latency_ms)} ms.")
    return Section(
        heading="Intended use",
        paragraphs=(
            "Use it for rows like the ones it learned from (see Data): its answers outside that population or "
            "period are untested, and monitoring (see In production) says when new rows stop looking alike.",
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


def _period(trained: dict[str, Any], time_column: str | None) -> str | None:
    """The first and last date of the time column, from the rules learned on the cleaned table."""
    if not time_column or not trained.get("rules_json"):
        return None
    for rule in json.loads(trained["rules_json"]).get("columns", []):
        if rule.get("column") == time_column and rule.get("min") and rule.get("max"):
            return f"{str(rule['min'])[:10]} to {str(rule['max'])[:10]}"
    return None


def data_section(ctx: CardContext) -> Section:
    chain = _dataset_chain(ctx)
    paragraphs, bullets = [], []
    trained = chain[-1] if chain else None
    raw = next((d for d in chain if d["kind"] == "raw"), None)
    source = ctx.project.get("source") or (raw["name"] if raw else "an unknown file")
    if raw is not None:
        info = json.loads(raw.get("read_info_json") or "{}")
        how = ", ".join(
            part
            for part in (
                str(info.get("format") or "").upper(),
                f"encoding {info['encoding']}" if info.get("encoding") else "",
                f"delimiter '{info['delimiter']}'" if info.get("delimiter") else "",
                f"decimal mark '{info['decimal']}'" if info.get("decimal") else "",
            )
            if part
        )
        paragraphs.append(
            f"Source: {source}, {format_count(raw['rows'])} rows × {format_count(raw['cols'])} columns"
            + (f", read as {how}." if how else ".")
        )
    if trained is not None:
        period = _period(trained, ctx.problem.time_column)
        paragraphs.append(
            f"It learned from dataset version {trained['version']} ({trained['name']}, {trained['kind']}): "
            f"{format_count(trained['rows'])} rows × {format_count(trained['cols'])} columns"
            + (f", from {period} ('{ctx.problem.time_column}')." if period else ".")
        )
    recipe = datasets.get_recipe(ctx.ws, trained["recipe_id"]) if trained and trained.get("recipe_id") else None
    if recipe is not None:
        reports = datasets.get_step_reports(recipe)
        paragraphs.append(
            f"Cleaning recipe version {recipe['version']}, {len(reports)} step(s), in order:"
            if reports
            else f"Cleaning recipe version {recipe['version']} has no step: the table was used as it was read."
        )
        for report in reports:
            status = report.get("status", "applied")
            bullets.append(
                report.get("summary", report.get("op", "")) + ("" if status == "applied" else f" ({status})")
            )
    elif trained is not None:
        paragraphs.append("No cleaning recipe was recorded: it learned from the table as uploaded.")
    used = {d["id"] for d in chain}
    rows = [
        (
            f"v{d['version']}",
            d["kind"],
            d["name"],
            format_count(d["rows"]),
            format_count(d["cols"]),
            format_when(d["created_at"]),
            "yes" if d["id"] in used else "",
        )
        for d in datasets.list_datasets(ctx.ws, int(ctx.project["id"]))
    ]
    table = make_table(
        ["version", "kind", "name", "rows", "columns", "made", "behind this model"],
        rows,
        caption="Every dataset version of the project; the ones marked are the chain this model was trained from.",
    )
    return Section("Data", paragraphs=tuple(paragraphs), bullets=tuple(bullets), tables=(table,) if rows else ())


def lineage_section(ctx: CardContext) -> Section:
    rows: list[tuple[str, str, str]] = []
    recipes_shown: set[int] = set()
    for d in _dataset_chain(ctx):
        rows.append(
            (f"{d['kind']} dataset", f"#{d['id']} v{d['version']}", f"{d['name']}, {format_count(d['rows'])} rows")
        )
        if d.get("recipe_id") and d["recipe_id"] not in recipes_shown:
            recipes_shown.add(d["recipe_id"])
            recipe = datasets.get_recipe(ctx.ws, d["recipe_id"])
            if recipe is not None:
                steps = len(datasets.get_step_reports(recipe))
                rows.insert(-1, ("cleaning recipe", f"#{recipe['id']} v{recipe['version']}", f"{steps} step(s)"))
    fs_id = ctx.lineage.get("feature_set_id") or ctx.experiment.get("feature_set_id")
    if fs_id is not None:
        fs = ctx.ws.query_one("SELECT version FROM feature_sets WHERE id = ?", (fs_id,))
        rows.append(("feature set", f"#{fs_id}" + (f" v{fs['version']}" if fs else ""), "the preprocessing it carries"))
    e = ctx.experiment
    kind = tracking.EXPERIMENT_KINDS.get(e.get("kind") or "leaderboard", e.get("kind") or "")
    rows.append(
        (
            "experiment",
            f"#{e['id']}",
            f"{kind}, {validation_label(str(e['validation']))}, {format_when(e['created_at'])}",
        )
    )
    rows.append(("run", f"#{ctx.run['id']}", str(ctx.run["model_name"])))  # its readable name, not the key
    v = ctx.version
    rows.append(
        ("model version", ctx.label, f"registered {format_when(v['created_at'])}, file SHA-256 {v['sha256'][:16]}…")
    )
    for d in ctx.ws.query(
        """SELECT id, routing_json, active, created_at, champion_version_id FROM deployments
           WHERE champion_version_id = ? OR challenger_version_id = ? ORDER BY id""",
        (v["id"], v["id"]),
    ):
        strategy = json.loads(d["routing_json"] or "{}").get("strategy", "single").replace("_", "-")
        role = "champion" if d["champion_version_id"] == v["id"] else "challenger"
        state = "live" if d["active"] else "ended"
        rows.append(
            ("deployment", f"#{d['id']}", f"{strategy}, as {role}, {state}, from {format_when(d['created_at'])}")
        )
    return Section(
        "Lineage",
        tables=(
            make_table(
                ["step", "record", "what"],
                rows,
                caption="What this model was made from, oldest first, then where it went.",
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
        return "not installed"


def versions_section(ctx: CardContext) -> Section:
    trained = json.loads(ctx.experiment.get("environment_json") or "{}")
    rows = [(name, trained.get(name, "not recorded"), _installed(name)) for name in LIBRARIES]
    changed = [name for name, then, now in rows if then not in ("not recorded", now)]
    caption = "Library versions when the model was trained and where this card was made; " + (
        f"{', '.join(changed)} changed since training." if changed else "none of the recorded ones changed since."
    )
    return Section("Library versions", tables=(make_table(["library", "at training", "now"], rows, caption=caption),))


def _reports(ctx: CardContext) -> list[dict[str, Any]]:
    return ctx.ws.query(
        "SELECT id, summary, retrain_recommended, created_at FROM monitoring_reports WHERE version_id = ? ORDER BY id",
        (ctx.version["id"],),
    )


def get_warnings(ctx: CardContext) -> list[str]:
    """Every limitation and warning raised along the way, each a sentence."""
    out = [f"Training: {w}" for w in tracking.get_experiment_warnings(ctx.experiment)]
    gate = ctx.gate
    out += [f"Gate: {c['sentence']}" for c in gate.get("checks", []) if not c.get("passed", True)]
    if not ctx.gate_checked_this_model:
        out.append("Gate: the gate checked another model of its experiment, not this one.")
    if ctx.lineage.get("override_reason"):
        out.append(f"Registered despite the gate, with the reason: {ctx.lineage['override_reason']}")
    for report in _reports(ctx):
        if report["retrain_recommended"]:
            out.append(f"Monitoring report {report['id']}: {report['summary']}")
        alerts = ctx.ws.query(
            "SELECT severity, sentence FROM alert_outbox WHERE report_id = ? ORDER BY severity = 'critical' DESC, id",
            (report["id"],),
        )
        out += [f"Alert ({a['severity']}): {a['sentence']}" for a in alerts[:MAX_ALERTS]]
        if len(alerts) > MAX_ALERTS:
            out.append(f"… and {len(alerts) - MAX_ALERTS} more alerts of report {report['id']} (see Monitor).")
    return out


def warnings_section(warnings: list[str]) -> Section:
    if not warnings:
        return Section(
            "Limitations and warnings",
            paragraphs=(
                "No warning was raised along the way: validation, the gate and monitoring found nothing to flag.",
            ),
        )
    return Section(
        "Limitations and warnings",
        paragraphs=("What the earlier stages flagged about this model, as they said it:",),
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
            f"It answered {format_count(served['n'])} requests (rows), from {format_when(served['first'])} "
            f"to {format_when(served['last'])}."
        )
    else:
        paragraphs.append("It has not answered any request yet.")
    reports = _reports(ctx)
    rows = [
        (
            f"#{r['id']}",
            format_when(r["created_at"]),
            "retrain" if r["retrain_recommended"] else "keep",
            r["summary"] or "",
        )
        for r in reports
    ]
    tables: tuple[Table, ...] = ()
    if rows:
        tables = (
            make_table(
                ["report", "when", "decision", "what it found"],
                rows,
                caption="Each monitoring report of this model: whether new rows still look like its training data.",
            ),
        )
    else:
        paragraphs.append("No monitoring report watched it yet.")
    return Section("In production", paragraphs=tuple(paragraphs), tables=tables)
