"""The rollout strategies' figures and the one plain sentence under each: the canary's ramp and its
guardrails, the A/B arms with their intervals, the shadow's score differences and segments, the
blue-green stream across the switches, and champion against challenger on labelled answers. Pure
functions from a rollout's evidence (the JSON `stage_rollout` returns) to plotly figures and text.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.deployment.rollouts.guardrails import describe_check, guardrail_name
from core.deployment.rollouts.traffic import answer_values
from core.deployment.routing import colour_name
from core.formatting import format_as, format_count, format_p_value, format_percent
from core.i18n import N_, _
from core.problem.definition import get_metric_label
from core.style import ACCENT, BAD, GOOD, HEIGHT_MEDIUM, HEIGHT_SMALL, MUTED, WARN, plot_text, plot_texts, style_figure

ARM_COLORS = {"champion": ACCENT, "challenger": WARN, "shadow": WARN}
# A rollout's verdict (a stored code, English) as a person reads it.
VERDICT_NAMES = {
    "promote": N_("promote"),
    "rolled back": N_("rolled back"),
    "advance": N_("advance"),
    "keep running": N_("keep running"),
    "ship B": N_("ship B"),
    "keep A": N_("keep A"),
    "promote the shadow": N_("promote the shadow"),
    "keep the champion": N_("keep the champion"),
    "keep watching": N_("keep watching"),
    "no gap": N_("no gap"),
    "gap": N_("gap"),
    "serving": N_("serving"),
}


_ARM_NAMES = {"champion": N_("champion"), "challenger": N_("challenger"), "shadow": N_("shadow")}


def arm_name(arm: str) -> str:
    """An arm's code ("champion") as a word in the session's language."""
    return _(_ARM_NAMES[arm]) if arm in _ARM_NAMES else arm


def table_headers() -> dict[str, str]:
    """The guardrail and A/B tables' headers in the session's language (the tables keep English keys)."""
    return {
        "step": _("step"),
        "share %": _("share %"),
        "guardrail": _("guardrail"),
        "holds": _("holds"),
        "why": _("why"),
        "arm": _("arm"),
        "value": _("value"),
        "low": _("low"),
        "high": _("high"),
    }


def verdict_name(verdict: str) -> str:
    """A rollout verdict in the session's language (unknown ones as they are)."""
    return _(VERDICT_NAMES[verdict]) if verdict in VERDICT_NAMES else str(verdict)


# -- canary ------------------------------------------------------------------------------------------------
def get_guardrail_table(steps: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per step and guardrail: the share, whether it held, and why."""
    rows = [
        {
            "step": s["step"],
            "share %": s["share"],
            "guardrail": guardrail_name(c["guardrail"]),
            "holds": c["holds"],
            "why": describe_check(c),
        }
        for s in steps
        for c in s["checks"]
    ]
    return pd.DataFrame(rows, columns=["step", "share %", "guardrail", "holds", "why"])


def plot_canary_ramp(steps: list[dict[str, Any]], planned: list[float]) -> go.Figure:
    """The planned ramp as bars: green for a step that passed, red where it rolled back, grey for steps
    never reached."""
    reached = {s["share"]: all(c["holds"] for c in s["checks"]) for s in steps}
    colors = [GOOD if reached.get(p) else BAD if p in reached else MUTED for p in planned]
    labels = [
        _("passed") if reached.get(p) else _("rolled back") if p in reached else _("not reached") for p in planned
    ]
    steps_x = [_("step {n} ({share}%)").format(n=i + 1, share=format_as(p, "g")) for i, p in enumerate(planned)]
    fig = go.Figure(go.Bar(x=steps_x, y=planned, marker_color=colors, text=labels))
    return style_figure(fig, title=_("Canary ramp: challenger's share of traffic"), height=HEIGHT_SMALL,
                        yaxis_title=_("share of requests (%)"), yaxis_range=[0, 105])  # fmt: skip


def caption_canary_ramp(summary: dict[str, Any]) -> str:
    steps = summary["evidence"]["steps"]
    if summary["verdict"] == "promote":
        return _("The challenger passed all {n} steps of the ramp, so it was promoted to champion.").format(
            n=len(steps)
        )
    if not steps:
        return _("No step has been judged yet: the challenger has not answered enough requests.")
    last = steps[-1]
    if summary["verdict"] != "rolled back":
        return _("Step {step} ({share}% of traffic) passed every guardrail; the ramp goes on.").format(
            step=last["step"], share=format_as(last["share"], "g")
        )
    return _(
        "The ramp stopped at step {step} ({share}% of traffic): {failed} failed, so the champion took all traffic back."
    ).format(step=last["step"], share=format_as(last["share"], "g"), failed=", ".join(summary["evidence"]["failed"]))


# -- A/B ---------------------------------------------------------------------------------------------------
def plot_ab_arms(evidence: dict[str, Any]) -> go.Figure:
    """Each arm's metric with its 95% interval, as a point with error bars."""
    arms = evidence["arms"]
    names = list(arms)
    values = [arms[n]["value"] for n in names]
    fig = go.Figure(
        go.Scatter(  # points, not bars: the axis does not start at 0, and a bar's length would mislead
            x=names,
            y=values,
            mode="markers",
            marker={"color": [ACCENT, WARN], "size": 14},
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [arms[n]["high"] - arms[n]["value"] for n in names],
                "arrayminus": [arms[n]["value"] - arms[n]["low"] for n in names],
                "thickness": 2,
                "width": 12,
            },
        )
    )
    fig.update_xaxes(ticktext=[f"{n}<br>{arms[n]['value']:.3f}, n = {arms[n]['n']:,}" for n in names], tickvals=names)
    lows = [arms[n]["low"] for n in names if not math.isnan(arms[n]["low"])]
    highs = [arms[n]["high"] for n in names if not math.isnan(arms[n]["high"])]
    bottom = max(0.0, min(lows) - 0.05) if lows else 0.0
    top = max(highs) + 0.05 if highs else 1.0
    title = _("A/B: {metric} per arm, with 95% intervals").format(metric=evidence["metric"])
    return style_figure(fig, title=title, height=HEIGHT_SMALL,
                        yaxis_title=get_metric_label(evidence["metric"]), yaxis_range=[bottom, top])  # fmt: skip


def caption_ab_arms(evidence: dict[str, Any]) -> str:
    test = evidence["test"]
    return _(
        "B minus A is {difference} (95% interval {low} to {high}); the {test} gives {p}, and the always-valid "
        "p-value, safe to read at each of the {looks} looks, gives {sequential}. At this sample the test can "
        "detect a difference of {mde} (power 0.8, alpha 0.05)."
    ).format(
        difference=f"{test['difference']:+.3f}",
        low=f"{test['low']:+.3f}",
        high=f"{test['high']:+.3f}",
        test=test["test"],
        p=format_p_value(test["p_value"]),
        looks=evidence["looks"],
        sequential=format_p_value(evidence["sequential_p_value"]),
        mde=format_as(evidence["mde_now"], ".3f"),
    )


def get_ab_table(evidence: dict[str, Any]) -> pd.DataFrame:
    rows = [{"arm": arm, **values} for arm, values in evidence["arms"].items()]
    return pd.DataFrame(rows, columns=["arm", "n", "value", "low", "high"])


# -- shadow ------------------------------------------------------------------------------------------------
def plot_score_differences(differences: list[float]) -> go.Figure:
    fig = go.Figure(go.Histogram(x=differences, nbinsx=40, marker_color=ACCENT))
    fig.add_vline(x=0, line_dash="dot", line_color=MUTED)
    return style_figure(fig, title=_("Shadow minus champion: score per request"), height=HEIGHT_SMALL,
                        xaxis_title=_("shadow score − champion score"), yaxis_title=_("requests"))  # fmt: skip


def caption_score_differences(evidence: dict[str, Any]) -> str:
    d = evidence["score_difference"]
    return _(
        "On the same requests the shadow's score is on average {mean} away from the champion's; "
        "90% of the differences lie between {low} and {high}."
    ).format(mean=f"{d['mean']:+.3f}", low=f"{d['q05']:+.3f}", high=f"{d['q95']:+.3f}")


def plot_segments(segments: list[dict[str, Any]]) -> go.Figure:
    frame = pd.DataFrame(segments, columns=["column", "segment", "disagreement", "requests"])
    labels = plot_texts([f"{c} = {s}" for c, s in zip(frame["column"], frame["segment"])])
    fig = go.Figure(go.Bar(x=frame["disagreement"], y=labels, orientation="h", marker_color=WARN,
                           text=[_("{n} requests").format(n=format_count(r)) for r in frame["requests"]]))  # fmt: skip
    return style_figure(fig, title=_("Where the shadow disagrees most"), height=HEIGHT_MEDIUM,
                        xaxis_title=_("share of requests answered differently"), xaxis_tickformat=".0%",
                        yaxis_autorange="reversed")  # fmt: skip


def caption_segments(evidence: dict[str, Any]) -> str:
    segments = evidence["segments"]
    if not segments:
        return _("No segment had enough requests to compare.")
    top = segments[0]
    return _(
        "They disagree most where {column} is {segment}: {share} of those {n} requests get another answer, "
        "against {overall} overall."
    ).format(
        column=top["column"],
        segment=top["segment"],
        share=format_percent(top["disagreement"], 0),
        n=format_count(top["requests"]),
        overall=format_percent(1 - evidence["agreement"], 0),
    )


# -- blue-green --------------------------------------------------------------------------------------------
def plot_blue_green_stream(evidence: dict[str, Any]) -> go.Figure:
    """Each request of the stream as a dot at the version that answered it; the switches as lines."""
    stream = pd.DataFrame(evidence["stream"])
    fig = go.Figure()
    for i, (version, rows) in enumerate(stream.groupby("version", sort=False)):
        fig.add_trace(go.Scatter(x=rows.index, y=[plot_text(version)] * len(rows), mode="markers",
                                 name=plot_text(version), marker_color=[ACCENT, GOOD][i % 2]))  # fmt: skip
    for sw in evidence["switches"]:
        fig.add_vline(x=sw["at_request"] - 0.5, line_dash="dash", line_color=BAD,
                      annotation_text=_("switch to {colour}").format(colour=colour_name(sw["to"])),
                      annotation_position="bottom right")  # fmt: skip
    return style_figure(fig, title=_("Blue-green: which version answered each request"), height=HEIGHT_SMALL,
                        xaxis_title=_("request, in order sent"), showlegend=False)  # fmt: skip


def caption_blue_green_stream(evidence: dict[str, Any]) -> str:
    versions = (
        _(", then ").join(
            [evidence["switches"][0]["versions_before"][-1]] + [s["versions_after"][0] for s in evidence["switches"]]
        )
        if evidence["switches"] and evidence["switches"][0]["versions_before"]
        else ""
    )
    return (
        _(
            "Each dot is one request, at the version that answered it; each dashed line is a switch. The answers "
            "go {versions} with no request left unanswered in between."
        ).format(versions=versions)
        if versions
        else _("Each dot is one request, at the version that answered it; each dashed line is a switch.")
    )


# -- champion against challenger -----------------------------------------------------------------------------
def get_arm_metric_over_time(labelled: pd.DataFrame, kind: str, *, shadow: bool = False) -> pd.DataFrame:
    """The metric of each arm on the labelled answers so far, after each label (in arrival order). With
    ``shadow``, the champion's answers against the shadow's answers to the same requests."""
    if labelled.empty:
        return pd.DataFrame(columns=["arm", "labelled", "value"])
    frames = []
    arms = (
        [("champion", labelled["prediction"]), ("shadow", labelled["shadow_prediction"])]
        if shadow
        else [(arm, labelled.loc[labelled["arm"] == arm, "prediction"]) for arm in ("champion", "challenger")]
    )
    for arm, predictions in arms:
        rows = predictions.dropna()
        if rows.empty:
            continue
        values = answer_values(rows, labelled.loc[rows.index, "label"], kind)
        n = np.arange(1, len(values) + 1)
        frames.append(pd.DataFrame({"arm": arm, "labelled": n, "value": np.cumsum(values) / n}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["arm", "labelled", "value"])


def plot_champion_vs_challenger(over_time: pd.DataFrame, metric: str) -> go.Figure:
    metric = get_metric_label(metric)
    fig = go.Figure()
    for arm, rows in over_time.groupby("arm", sort=False):
        fig.add_trace(go.Scatter(x=rows["labelled"], y=rows["value"], mode="lines", name=arm_name(str(arm)),
                                 line_color=ARM_COLORS.get(str(arm), MUTED)))  # fmt: skip
    title = _("Champion vs challenger: {metric} as labels arrive").format(metric=metric)
    return style_figure(fig, title=title, height=HEIGHT_SMALL,
                        xaxis_title=_("labelled answers of that arm"), yaxis_title=metric)  # fmt: skip


def caption_champion_vs_challenger(over_time: pd.DataFrame, metric: str) -> str:
    if over_time.empty:
        return _("No labels have arrived yet: the lines appear as true outcomes come back.")
    metric = get_metric_label(metric)
    last = over_time.groupby("arm", sort=False).last()
    parts = [
        _("{arm} {value} on {n} labelled answers").format(
            arm=arm_name(str(arm)), value=format_as(row["value"], ".3f"), n=format_count(int(row["labelled"]))
        )
        for arm, row in last.iterrows()
    ]
    return (
        _("Each line is an arm's {metric} on the answers labelled so far; it settles as labels arrive: {parts}.")
    ).format(metric=metric, parts="; ".join(parts))
