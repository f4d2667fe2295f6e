"""The model card's sections about how good the model is, from what the lab saved: the leaderboard of
its experiment, the gate's checks, metrics with their spread, fairness by group, robustness and the
main drivers. Saved results are shown as they are; what was never computed says so (a card never
trains, tunes or runs SHAP)."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from core.documents import Section, make_table
from core.evaluation.charts_checks import caption_comparison, caption_fairness, caption_robustness
from core.evaluation.fairness import GROUP_METRICS, get_fairness_gaps, get_group_metrics_df
from core.evaluation.gate import CHECK_TITLES
from core.explain.importance import get_importance_df
from core.explain.result import Explanation
from core.formatting import format_as, format_share
from core.glossary import validation_label
from core.i18n import _
from core.problem.definition import encode_target, format_metric_value, get_metric_label
from core.reports.context import CardContext, as_of_gate, describe_gate_check, format_count
from core.stages.evaluate import get_saved_comparison, get_saved_robustness, get_top_two_runs
from core.training import tracking
from core.workspace.errors import StudioError

MAX_DRIVERS = 10
MAX_ROBUSTNESS_ROWS = 12


def _metric(metric: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return format_metric_value(metric, float(value))


def leaderboard_section(ctx: CardContext) -> Section:
    runs = tracking.get_runs_df(ctx.ws, int(ctx.project["id"]), int(ctx.experiment["id"]))
    metric = ctx.problem.metric
    shown = [m for m in ("roc_auc", "f1_macro", "accuracy", "r2", "rmse", "mae") if m in runs.columns]
    shown = [metric, *[m for m in shown if m != metric]][:3] if metric in runs.columns else shown[:3]
    columns = [
        _("rank"),
        _("model"),
        _("cross-validated {metric}").format(metric=ctx.metric_label),
        *[_("{metric} unseen").format(metric=get_metric_label(m)) for m in shown],
    ]
    rows = []
    for rank, (_i, r) in enumerate(runs.iterrows(), start=1):
        name = str(r["model"]) + (" ← " + _("this model") if int(r["run"]) == int(ctx.run["id"]) else "")
        if isinstance(r["error"], str) and r["error"]:
            rows.append((str(rank), name, _("failed to train"), *[""] * len(shown)))
            continue
        rows.append((str(rank), name, _metric(metric, r["cv_score"]), *[_metric(m, r.get(m)) for m in shown]))
    caption = _(
        "Every model of experiment {id}, best first by cross-validated {metric}; 'unseen' is the holdout none of "
        "them learned from. The baseline ignores the features: a model must beat it."
    ).format(id=ctx.experiment["id"], metric=ctx.metric_label)
    return Section(_("Leaderboard"), tables=(make_table(columns, rows, caption=caption),) if rows else ())


def gate_section(ctx: CardContext) -> Section:
    gate = ctx.gate
    checks = gate.get("checks", [])
    if not checks:
        return Section(_("The gate: good enough?"), paragraphs=(_("No gate verdict was recorded for this version."),))
    rows = [
        (
            as_of_gate(
                _(CHECK_TITLES[c["name"]])
                if c.get("name") in CHECK_TITLES
                else str(c.get("name", "")).replace("_", " ")
            ),
            _("for information") if c.get("informational") else (_("passed") if c.get("passed") else _("FAILED")),
            describe_gate_check(c),
        )
        for c in checks
    ]
    paragraphs = [
        _(
            "Verdict: {verdict}. Every check must pass for GO; it was judged on the experiment's holdout ({validation})."
        ).format(
            verdict="GO" if gate.get("passed") else "NO-GO",
            validation=validation_label(str(ctx.experiment["validation"])),
        )
    ]
    if not ctx.gate_checked_this_model:
        paragraphs.append(_("The gate checked the experiment's best model; this version is another of its models."))
    if ctx.lineage.get("override_reason"):
        paragraphs.append(
            _("Registered anyway, with the written reason: {reason}").format(reason=ctx.lineage["override_reason"])
        )
    table = make_table(
        [_("check"), _("result"), _("what it found")], rows, caption=_("Each check of the go/no-go gate in a sentence.")
    )
    return Section(_("The gate: good enough?"), paragraphs=tuple(paragraphs), tables=(table,))


def metrics_section(ctx: CardContext) -> Section:
    metrics = json.loads(ctx.version.get("metrics_json") or "{}")
    folds = [float(f) for f in json.loads(ctx.run.get("cv_scores_json") or "[]") if f is not None]
    folds = [f for f in folds if math.isfinite(f)]
    rows = []
    for name, value in metrics.items():
        if name == "cv_score":
            continue
        spread = ""
        if name == ctx.problem.metric and folds:
            spread = _("{mean} (folds from {low} to {high})").format(
                mean=_metric(name, float(np.mean(folds))), low=_metric(name, min(folds)), high=_metric(name, max(folds))
            )
        rows.append((get_metric_label(name), _metric(name, value), spread))
    paragraphs = []
    comparison = _saved_comparison(ctx)
    if comparison is not None:
        paragraphs.append(
            _("Against the runner-up:")
            + " "
            + caption_comparison(
                comparison["name_a"],
                comparison["name_b"],
                comparison.get("cv"),
                comparison["bootstrap"],
                comparison["metric"],
            )
        )
    else:
        paragraphs.append(
            _(
                "The paired comparison with the runner-up (a 95% bootstrap interval) was not computed yet: "
                "open Evaluate to compute it."
            )
        )
    caption = _(
        "'Unseen' is the holdout the model never learned from; cross-validation repeats the training on "
        "{n} splits, and the range of its folds shows how much the score moves with the data."
    ).format(n=len(folds) or _("several"))
    table = make_table(
        [_("metric"), _("on unseen data"), _("cross-validation (range over folds)")], rows, caption=caption
    )
    return Section(_("Metrics and how sure they are"), paragraphs=tuple(paragraphs), tables=(table,) if rows else ())


def _saved_comparison(ctx: CardContext) -> dict[str, Any] | None:
    pair = get_top_two_runs(ctx.ws, int(ctx.project["id"]), int(ctx.experiment["id"]))
    if pair is None or int(ctx.run["id"]) not in pair:
        return None
    return get_saved_comparison(ctx.ws, *pair)


def _group_value(metric: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return _("n/a")
    if metric in ("positive_rate", "tpr", "fpr", "accuracy", "actual_rate"):
        return format_share(float(value))
    if metric in ("mae", "mean_error", "mean_actual", "mean_predicted"):
        return format_metric_value("mae", float(value))
    return format_as(float(value), ".2f")


def fairness_section(ctx: CardContext) -> Section:
    title = _("Fairness by group")
    column = ctx.problem.sensitive_column
    fairness = [c for c in ctx.gate.get("checks", []) if c.get("name") == "fairness"]
    if column is None:
        return Section(
            title,
            paragraphs=(
                _(
                    "No sensitive column (such as gender, age band or region) was set on the Problem page, so the "
                    "model's errors were not compared across groups."
                ),
            ),
        )
    paragraphs = [f["sentence"] for f in fairness]
    try:
        table = _group_table(ctx, column)
    except (StudioError, KeyError, ValueError) as exc:
        paragraphs.append(
            _("The groups of '{column}' could not be compared on the saved holdout: {error}").format(
                column=column, error=exc
            )
        )
        return Section(title, paragraphs=tuple(paragraphs))
    return Section(title, paragraphs=tuple(paragraphs), tables=(table,))


def _group_table(ctx: CardContext, column: str):
    problem = ctx.problem
    holdout = tracking.load_holdout(ctx.ws, ctx.experiment)
    if column not in holdout.columns:
        raise KeyError(_("the holdout has no column '{column}'").format(column=column))
    outputs = tracking.load_run_outputs(ctx.ws, int(ctx.run["id"]), problem)
    y = encode_target(holdout[problem.target], problem)
    pred, score = outputs.test_pred, None
    if problem.task == "binary":
        threshold = float(ctx.lineage.get("decision_threshold", 0.5))
        score = outputs.test_scores
        pred = (np.asarray(score) >= threshold).astype(int)
    elif problem.task == "multiclass":
        y, pred = np.asarray(y).astype(str), np.asarray(pred).astype(str)
    groups_df = get_group_metrics_df(y, pred, holdout[column].reset_index(drop=True), problem.task, score=score)
    labels = GROUP_METRICS[problem.task]
    metrics = [m for m in labels if m in groups_df.columns]
    rows = [
        (str(g["group"]), format_count(g["rows"]), *[_group_value(m, g[m]) for m in metrics])
        for _i, g in groups_df.iterrows()
    ]
    caption = caption_fairness(groups_df, get_fairness_gaps(groups_df), column)
    return make_table([_("group"), _("rows"), *[_(labels[m]) for m in metrics]], rows, caption=caption)


def robustness_section(ctx: CardContext) -> Section:
    title = _("Robustness")
    table = get_saved_robustness(ctx.ws, int(ctx.run["id"]))
    if table is None:
        return Section(
            title,
            paragraphs=(
                _(
                    "Not computed yet: the robustness check (noise on the numbers, each input missing in turn) is "
                    "run from the Evaluate page."
                ),
            ),
        )
    metric = ctx.problem.metric
    rows = [
        (
            str(r["scenario"]),
            _metric(metric, r["value"]),
            "" if r["kind"] == "clean" else format_as(float(r["change"]), "+.3f"),
        )
        for _, r in table.head(MAX_ROBUSTNESS_ROWS).iterrows()
    ]
    caption = caption_robustness(table, metric)
    return Section(title, tables=(make_table([_("scenario"), ctx.metric_label, _("change")], rows, caption=caption),))


def get_drivers(ctx: CardContext) -> list[dict[str, Any]] | None:
    """The saved explanation's importance (feature, share, direction), most important first; None when
    the model was never explained."""
    row = ctx.ws.query_one(
        "SELECT artifact_id FROM explanations WHERE run_id = ? ORDER BY id DESC LIMIT 1", (ctx.run["id"],)
    )
    if row is None:
        return None
    df = get_importance_df(Explanation.from_dict(ctx.ws.load_json(row["artifact_id"])))
    return [
        {"feature": str(r["feature"]), "share": float(r["share"]), "direction": str(r["direction"])}
        for _, r in df.iterrows()
    ]


def drivers_section(drivers: list[dict[str, Any]] | None) -> Section:
    title = _("Main drivers")
    if drivers is None:
        return Section(
            title, paragraphs=(_("Not computed yet: open Explain to compute what drives this model's answers (SHAP)."),)
        )
    rows = [(d["feature"], format_share(d["share"]), d["direction"]) for d in drivers[:MAX_DRIVERS]]
    caption = _(
        "Each input's share of the model's answers (mean absolute SHAP value on unseen rows), largest first, "
        "and which way it pushes them."
    )
    return Section(title, tables=(make_table([_("input"), _("share"), _("effect")], rows, caption=caption),))
