"""The figures and plain-sentence captions of the checks beyond the scores: the paired comparison
of two models and the runs' scores (``comparison``), fairness across groups and the segments where a
model errs (``fairness``), and robustness to noise and missing inputs (``robustness``). Pure
functions from their tables to plotly figures and sentences, apart from the computation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.evaluation.charts import titled_layout
from core.evaluation.fairness import GROUP_METRICS, MIN_GROUP_ROWS, task_of_group_table
from core.formatting import format_as
from core.i18n import _, ngettext
from core.problem.definition import (
    format_metric_value,
    get_metric_label,
    is_higher_better,
)
from core.style import (
    BAD,
    GOOD,
    HEIGHT,
    HEIGHT_MEDIUM,
    HEIGHT_SMALL,
    MUTED,
    TEMPLATE,
    plot_text,
    plot_texts,
)


def _signed(value: float, higher_is_better: bool) -> str:
    """Scores with three decimals, error sizes in the target's units; a real minus sign."""
    shown = format_as(abs(value), ".3f") if higher_is_better else format_metric_value("rmse", abs(value))
    return ("−" if value < 0 and shown.strip("0.,") else "") + shown


def _mid_sentence(name: str) -> str:
    """ "Random forest" → "random forest", but "XGBoost" stays."""
    return name[0].lower() + name[1:] if len(name) > 1 and name[1].islower() else name


def caption_comparison(name_a: str, name_b: str, cv: dict | None, boot: dict, metric: str) -> str:
    """E.g. "Logistic regression beats random forest on 4 of 5 folds, by 0.006 ROC-AUC on average;
    on the holdout it is ahead by 0.005 (95% interval −0.004 to 0.014), so the two are practically tied."

    All numbers are A's advantage (positive = A better, whatever the metric's direction).
    """
    label = get_metric_label(metric)
    higher = bool(boot.get("higher_is_better", True))
    sign = 1 if higher else -1
    other = _mid_sentence(name_b)
    parts = []
    if cv and cv.get("folds", 0) > 0:
        k, wins = cv["folds"], cv["wins_a"]
        advantage = sign * cv["mean_difference"]
        if advantage > 0:
            parts.append(
                _("{name_a} beats {other} on {wins} of {k} folds, by {signed} {label} on average").format(
                    name_a=name_a, other=other, wins=wins, k=k, signed=_signed(advantage, higher), label=label
                )
            )
        elif advantage < 0:
            parts.append(
                _(
                    "{name_a} trails {other} by {signed} {label} on average over {k} folds, winning {wins} of them"
                ).format(name_a=name_a, other=other, signed=_signed(-advantage, higher), label=label, k=k, wins=wins)
            )
        else:
            parts.append(
                _("{name_a} and {other} score the same {label} on average over {k} folds").format(
                    name_a=name_a, other=other, label=label, k=k
                )
            )
    if math.isnan(boot.get("ci_low", float("nan"))):
        holdout = _("the holdout cannot tell them apart ({label} is undefined on it)").format(label=label)
        return "; ".join(parts + [holdout]) + "."
    advantage = sign * boot["difference"]
    low, high = sorted((sign * boot["ci_low"], sign * boot["ci_high"]))
    if parts:
        template = (
            _("on the holdout it is ahead by {gap} (95% interval {low} to {high})")
            if advantage >= 0
            else _("on the holdout it is behind by {gap} (95% interval {low} to {high})")
        )
    else:
        template = (
            _("on the holdout {name} is ahead by {gap} {label} (95% interval {low} to {high})")
            if advantage >= 0
            else _("on the holdout {name} is behind by {gap} {label} (95% interval {low} to {high})")
        )
    holdout = template.format(
        name=name_a,
        label=label,
        gap=_signed(abs(advantage), higher),
        low=_signed(low, higher),
        high=_signed(high, higher),
    )
    if low > 0:
        verdict = (
            _("so {name} is really better").format(name=_mid_sentence(name_a)) if parts else _("so it is really better")
        )
    elif high < 0:
        verdict = _("so {other} is really better on unseen data").format(other=other)
    else:
        verdict = _("so the two are practically tied: the simpler or faster one is a fine choice")
    sentence = "; ".join(parts + [holdout]) + f", {verdict}."
    return sentence[0].upper() + sentence[1:]


RUN_SCORE_METRICS = ("cv_score", "roc_auc", "pr_auc", "f1_macro", "accuracy", "balanced_accuracy", "r2")


def plot_run_scores(runs_df: pd.DataFrame, metric: str) -> go.Figure:
    """Grouped bars: each chosen run's scores (``runs_df`` from ``tracking.get_runs_df``, indexed by run)."""
    metrics = [m for m in RUN_SCORE_METRICS if m in runs_df.columns and runs_df[m].notna().any()]
    names = [
        _("CV {metric}").format(metric=get_metric_label(metric)) if m == "cv_score" else get_metric_label(m)
        for m in metrics
    ]
    fig = go.Figure()
    for run_id, row in runs_df.iterrows():
        fig.add_bar(
            name=_("run {run_id}: {model}").format(run_id=run_id, model=row["model"]),
            x=names,
            y=[row[m] for m in metrics],
        )
    fig.update_layout(
        template=TEMPLATE,
        height=HEIGHT_MEDIUM,
        barmode="group",
        title=_("Scores of the chosen runs"),
        yaxis_title=_("score (higher is better)"),
    )
    return fig


def caption_run_scores(runs_df: pd.DataFrame, metric: str) -> str:
    values = runs_df[metric].astype(float)
    if values.isna().all():
        return _("None of these runs has a holdout {metric}.").format(metric=get_metric_label(metric))
    best = values.idxmax() if is_higher_better(metric) else values.idxmin()
    return _(
        "Run {best} ({value}) has the best holdout {metric} of these runs ({metric_value}); bars of equal height mean the runs are practically interchangeable."
    ).format(
        best=best,
        value=runs_df.loc[best, "model"],
        metric=get_metric_label(metric),
        metric_value=format_metric_value(metric, values[best]),
    )


def plot_run_folds(runs_df: pd.DataFrame, metric: str) -> go.Figure:
    """One line per run: its score on each cross-validation fold."""
    fig = go.Figure()
    for run_id, row in runs_df.iterrows():
        fig.add_scatter(
            x=list(range(1, len(row["cv_folds"]) + 1)),
            y=row["cv_folds"],
            mode="lines+markers",
            name=_("run {run_id}: {model}").format(run_id=run_id, model=row["model"]),
        )
    fig.update_layout(
        template=TEMPLATE,
        height=HEIGHT_SMALL,
        title=_("Score on each cross-validation fold"),
        xaxis_title="fold",
        yaxis_title=_("CV {metric}").format(metric=get_metric_label(metric)),
    )
    fig.update_xaxes(dtick=1)
    return fig


def caption_run_folds(runs_df: pd.DataFrame) -> str:
    spreads = [max(f) - min(f) for f in runs_df["cv_folds"] if len(f)]
    if not spreads:
        return _("These runs have no fold scores.")
    return _(
        "Each line is one run over its folds; the scores move by up to {max} from fold to fold, so smaller differences between runs can be luck."
    ).format(max=format_as(max(spreads), ".3f"))


def _heading(label: str) -> str:
    """First letter up, the rest as it is ("ROC-AUC" stays, not "Roc-auc")."""
    return label[:1].upper() + label[1:]


def plot_group_metrics(group_df: pd.DataFrame) -> go.Figure:
    """Bars per metric, one colour per group; groups too small to trust are faded and say so."""
    task = task_of_group_table(group_df)
    metrics = [m for m in GROUP_METRICS[task] if m in group_df.columns and m != "mean_error"]
    names = [_heading(_(m).split(" (")[0]) for m in (GROUP_METRICS[task][k] for k in metrics)]
    fig = go.Figure()
    for row in group_df.itertuples(index=False):
        suffix = "" if row.reliable else _(" (only {rows} rows: unreliable)").format(rows=row.rows)
        values = [getattr(row, m) for m in metrics]
        shown = [format_metric_value("mae", v) if task == "regression" else format_as(v, ".0%") for v in values]
        fig.add_trace(
            go.Bar(
                x=names,
                y=values,
                name=plot_text(f"{row.group}{suffix}"),
                opacity=1.0 if row.reliable else 0.4,
                text=shown,
                textposition="outside",
                customdata=[[row.rows, plot_text(row.group)]] * len(values),
                # The group's name goes in as data, not into the template, where "%{…}" would be read.
                hovertemplate="%{customdata[1]}: %{text} (%{customdata[0]:,} rows)<extra></extra>",
            )
        )
    title = (
        _("Typical error per group (test set)") if task == "regression" else _("Model behaviour per group (test set)")
    )
    titled_layout(fig, title, barmode="group", legend_title_text=_("Group"))
    if task != "regression":
        fig.update_yaxes(range=[0, 1.1], tickformat=".0%")
    return fig


def caption_fairness(group_df: pd.DataFrame, gaps: dict[str, dict[str, Any]], column: str | None = None) -> str:
    """E.g. "'F' and 'M' are flagged at similar rates (24% vs 27%); the largest gap is in recall
    (share of real positives caught): 0.61 for 'F' vs 0.70 for 'M'." """
    task = task_of_group_table(group_df)
    of = f" of {column}" if column else ""
    if len(group_df) < 2:
        only = f"'{group_df['group'].iloc[0]}'" if len(group_df) else "none"
        return _("The test rows hold a single group{of} ({only}), so there is nothing to compare.").format(
            of=of, only=only
        )
    if task == "binary":
        sentence = _flag_rate_clause(group_df, gaps, of)
        others = {m: g for m, g in gaps.items() if m in ("tpr", "fpr", "accuracy", "roc_auc")}
        if others:
            metric, gap = max(others.items(), key=lambda item: item[1]["gap"])
            sentence += _(
                "; the largest gap is in {value}: {low} for '{low_group}' vs {high} for '{high_group}'"
            ).format(
                value=_(GROUP_METRICS["binary"][metric]),
                low=format_as(gap["low"], ".2f"),
                low_group=gap["low_group"],
                high=format_as(gap["high"], ".2f"),
                high_group=gap["high_group"],
            )
    elif task == "multiclass" and "accuracy" in gaps:
        gap = gaps["accuracy"]
        sentence = _(
            "Accuracy ranges from {low} for '{low_group}' to {high} for '{high_group}' across the groups{of}"
        ).format(
            low=format_as(gap["low"], ".0%"),
            low_group=gap["low_group"],
            high=format_as(gap["high"], ".0%"),
            high_group=gap["high_group"],
            of=of,
        )
    elif task == "regression" and "mae" in gaps:
        gap = gaps["mae"]
        sentence = _(
            "The typical error is largest for '{high_group}' ({metric_value}) and smallest for '{low_group}' ({metric_value2}) across the groups{of}"
        ).format(
            high_group=gap["high_group"],
            metric_value=format_metric_value("mae", gap["high"]),
            low_group=gap["low_group"],
            metric_value2=format_metric_value("mae", gap["low"]),
            of=of,
        )
    else:
        sentence = _("The groups{of} cannot be compared: the metric is undefined in all but one of them").format(of=of)
    small = group_df.loc[~group_df["reliable"], "group"].tolist()
    if small:
        shown = ", ".join(f"'{g}'" for g in small[:3]) + (" …" if len(small) > 3 else "")
        sentence += ngettext(
            "; {shown} has too few rows to judge", "; {shown} have too few rows to judge", len(small)
        ).format(shown=shown)
    return sentence + "."


def _flag_rate_clause(group_df: pd.DataFrame, gaps: dict[str, dict[str, Any]], of: str) -> str:
    gap = gaps.get("positive_rate")
    if gap is None:
        return _("The groups{of} cannot be compared").format(of=of)
    note = ""
    if gap["gap"] < 0.05:
        how = "similar"
    elif not math.isnan(gap["ratio"]) and gap["ratio"] < 0.8:
        how, note = _("very different"), _(", below the four-fifths rule of thumb")
    else:
        how = _("somewhat different")
    pool = group_df[group_df["reliable"]] if gap["reliable"] else group_df
    if len(pool) == 2:
        first, second = pool["group"].tolist()
        rate = dict(zip(pool["group"], pool["positive_rate"]))
        return _("'{first}' and '{second}' are flagged at {how} rates ({value} vs {value2}{note})").format(
            first=first,
            second=second,
            how=how,
            value=format_as(rate[first], ".0%"),
            value2=format_as(rate[second], ".0%"),
            note=note,
        )
    return _(
        "Across the {n} groups{of}, rows are flagged at {how} rates, from {low} for '{low_group}' to {high} for '{high_group}'{note}"
    ).format(
        n=len(pool),
        of=of,
        how=how,
        low=format_as(gap["low"], ".0%"),
        low_group=gap["low_group"],
        high=format_as(gap["high"], ".0%"),
        high_group=gap["high_group"],
        note=note,
    )


def _error_text(value: float, task: str) -> str:
    return format_metric_value("mae", value) if task == "regression" else format_as(value, ".0%")


def plot_error_segments(segments_df: pd.DataFrame, task: str) -> go.Figure:
    """Horizontal bars of the error per segment, worst on top, with the overall error as a line."""
    what = _("Typical error (MAE)") if task == "regression" else _("Share of wrong predictions")
    fig = go.Figure(
        go.Bar(
            x=segments_df["error"],
            y=plot_texts(segments_df["label"]),
            orientation="h",
            marker_color=BAD,
            text=[_error_text(v, task) for v in segments_df["error"]],
            textposition="inside",
            customdata=segments_df[["rows", "lift"]].to_numpy(),
            hovertemplate="%{y}: %{text} (%{customdata[0]:,} rows, %{customdata[1]:.1f}× overall)<extra></extra>",
        )
    )
    if len(segments_df):
        fig.add_vline(
            x=float(segments_df["overall_error"].iloc[0]),
            line=dict(color=MUTED, dash="dash"),
            annotation_text="overall",
            annotation_position="top",
        )
    titled_layout(fig, _("Where the model makes the most mistakes (test set)"), showlegend=False)
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title=what, rangemode="tozero", tickformat=None if task == "regression" else ".0%")
    return fig


def caption_error_segments(segments_df: pd.DataFrame, task: str, min_rows: int = MIN_GROUP_ROWS) -> str:
    """E.g. "The model errs most for contract = Month-to-month (412 rows): 31% wrong vs 19% overall,
    1.6 times the average." """
    if segments_df.empty:
        return _(
            "No segment of at least {min_rows} test rows stands out: the model makes no mistakes or too few rows to split."
        ).format(min_rows=min_rows)
    worst = segments_df.iloc[0]
    error, overall = _error_text(worst["error"], task), _error_text(worst["overall_error"], task)
    if task == "regression":
        detail = _("a typical miss of {error} vs {overall} overall").format(error=error, overall=overall)
    else:
        detail = _("{error} wrong vs {overall} overall").format(error=error, overall=overall)
    if worst["lift"] < 1.1:
        return _("No segment is much worse than the rest: the worst, {label} ({rows} rows), has {detail}.").format(
            label=worst["label"], rows=format_as(worst["rows"], ","), detail=detail
        )
    return _("The model errs most for {label} ({rows} rows): {detail}, {lift} times the average.").format(
        label=worst["label"], rows=format_as(worst["rows"], ","), detail=detail, lift=format_as(worst["lift"], ".1f")
    )


def _change_text(metric: str, value: float) -> str:
    """A change in the metric's units with its sign: −0.08, +0.004, +1,200."""
    if metric in ("rmse", "mae"):
        shown = format_metric_value(metric, abs(value))
    else:
        shown = format_as(abs(value), ".2f") if abs(value) >= 0.01 else format_as(abs(value), ".3f")
    return ("−" if value < 0 else "+") + shown


def plot_robustness(robustness_df: pd.DataFrame, metric: str) -> go.Figure:
    """Bars of the change per scenario: red when the score gets worse."""
    clean = float(robustness_df["value"].iloc[0])
    shown = robustness_df[robustness_df["kind"] != "clean"]
    label = get_metric_label(metric)
    fig = go.Figure(
        go.Bar(
            x=shown["change"],
            y=plot_texts(shown["scenario"]),
            orientation="h",
            marker_color=[BAD if h > 0 else GOOD if h < 0 else MUTED for h in shown["harm"]],
            text=[_change_text(metric, c) for c in shown["change"]],
            textposition="outside",
            customdata=shown["value"],
            hovertemplate=f"%{{y}}: {label} %{{customdata:.4~g}}<extra></extra>",
        )
    )
    fig.add_vline(x=0, line=dict(color=MUTED))
    fig.update_layout(
        template=TEMPLATE,
        height=HEIGHT,
        margin=dict(l=60, r=20, t=60, b=50),
        showlegend=False,
        title=_("Change in {label} under noise and missing inputs (clean: {metric_value})").format(
            label=label, metric_value=format_metric_value(metric, clean)
        ),
    )
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(title=_("Change in {label} (red = worse)").format(label=label))
    return fig


def caption_robustness(robustness_df: pd.DataFrame, metric: str, noise_level: float = 0.1) -> str:
    """E.g. "Adding 10% noise to the numbers lowers ROC-AUC by 0.01; losing 'tenure_months' costs
    the most: −0.08." """
    label = get_metric_label(metric)
    parts = []
    noise = robustness_df[robustness_df["kind"] == "noise"]
    if not noise.empty:
        row = noise.iloc[int(np.argmin(np.abs(noise["noise_level"].to_numpy() - noise_level)))]
        size = _change_text(metric, row["change"])[1:]
        if size.strip("0.,") == "":
            effect = _("barely changes {label}").format(label=label)
        elif row["change"] < 0:
            effect = _("lowers {label} by {size}").format(label=label, size=size)
        else:
            effect = _("raises {label} by {size}").format(label=label, size=size)
        parts.append(
            _("Adding {noise_level} noise to the numbers {effect}").format(
                noise_level=format_as(row["noise_level"], ".0%"), effect=effect
            )
        )
    missing = robustness_df[robustness_df["kind"] == "missing"]
    if not missing.empty:
        worst = missing.iloc[0]
        if worst["harm"] > 0:
            parts.append(
                _("losing '{column}' costs the most: {change_text}").format(
                    column=worst["column"], change_text=_change_text(metric, worst["change"])
                )
            )
        else:
            parts.append(
                _("losing any single one of the {n} columns tested does not hurt {label}").format(
                    n=len(missing), label=label
                )
            )
    if not parts:
        return _("There was nothing to perturb: the model reads no numeric column and no column was tested.")
    sentence = "; ".join(parts) + "."
    return sentence[0].upper() + sentence[1:]
