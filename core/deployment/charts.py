"""The Deploy stage's sentences: what a batch of answers says, and what the routing did so far.
The Deploy page draws no figures; its captions live here, apart from serving, so a translation
touches one place. Sentences come in the session's language (core.i18n).
"""

from __future__ import annotations

import pandas as pd

from core.deployment.served_model import ServedModel
from core.formatting import format_as, format_count, format_percent
from core.i18n import N_, _, ngettext

#: The arms a request log names by code, as a reader says them.
_ARM_NAMES = {"champion": N_("champion"), "challenger": N_("challenger"), "shadow": N_("shadow")}


def fixed(value: float, decimals: int = 2) -> str:
    """A measured number with a fixed count of decimals ("1.50"), for sentences that compare it with
    other values written the same way (latencies, thresholds)."""
    return format_as(float(value), f".{decimals}f")


def caption_answers(result: pd.DataFrame, served: ServedModel, *, answer_label: str) -> str:
    """Under the table of a batch's answers: what each column holds, the mean latency and, for a
    yes/no model, the decision threshold. ``answer_label`` is the positive class as the page shows
    it (escaped for Markdown)."""
    answers = (
        " "
        + _(
            "The model answers '{answer}' when the score is {threshold} or more (the decision threshold "
            "registered with it)."
        ).format(answer=answer_label, threshold=fixed(served.threshold))
        if served.task == "binary" and served.classes
        else ""
    )
    return (
        _(
            "Each row's answer (or why it got none), the arm and model version that gave it, and the time "
            "it took (on average {ms} ms per row)."
        ).format(ms=fixed(result["latency_ms"].mean()))
        + answers
    )


def caption_unanswered(result: pd.DataFrame) -> str:
    """'' when every row was answered; otherwise how many were not, and where to read why."""
    unanswered = int((result["error"] != "").sum())
    if not unanswered:
        return ""
    rejected = int((result["status"] == "rejected").sum()) if "status" in result else 0
    why = (
        _("the model cannot read a value in them")
        if not rejected
        else _("they break a rule learned from training and the deployment refuses such rows")
        if rejected == unanswered
        else _(
            "{rejected} break a rule learned from training (refused), the others hold a value the model cannot read"
        ).format(rejected=format_count(rejected))
    )
    return _(
        "{n} of {total} rows got no answer: {why}. "
        "The 'error' column says which value and what to send instead; the other rows were answered."
    ).format(n=format_count(unanswered), total=format_count(len(result)), why=why)


def caption_flagged(result: pd.DataFrame) -> str:
    """'' when no answered row broke a rule; otherwise how many did and what happened to them."""
    flagged = int(result["status"].isin(["flagged", "review"]).sum()) if "status" in result else 0
    if not flagged:
        return ""
    held = int((result["status"] == "review").sum())
    status = _("review: held in the review queue") if held else _("flagged")
    return _(
        "{n} of {total} answered rows break a rule learned from training (status {status}); the 'problems' "
        "say which value and why."
    ).format(n=format_count(flagged), total=format_count(len(result)), status=status)


def caption_review_queue(queue: pd.DataFrame) -> str:
    """The review queue in one sentence (``queue`` not empty)."""
    return _(
        "{n} answers broke a rule learned from training and wait for a person to check them, "
        "newest first: each was answered, and its problems say what looked unusual."
    ).format(n=format_count(len(queue)))


def caption_traffic_summary(summary: pd.DataFrame) -> str:
    """Requests logged so far and the arm that answered most, in one sentence (``summary`` not empty)."""
    top = summary.iloc[0]
    return _("{n} requests logged; {share} were answered by {version} ({arm}), in {ms} ms per row on average.").format(
        n=format_count(int(summary["requests"].sum())),
        share=format_percent(top["share"], 0),
        version=top["version"],
        arm=_(_ARM_NAMES[top["arm"]]) if top["arm"] in _ARM_NAMES else top["arm"],
        ms=fixed(top["mean_latency_ms"]),
    )


def caption_refused_requests(refused: pd.DataFrame) -> str:
    """The refused requests (refusals.get_refused_requests_df) in one sentence."""
    if refused.empty:
        return _("No request was refused.")
    latest = refused.iloc[0]
    return ngettext(
        "{n} request refused with 422 (newest first): it reached no model, so the prediction log does not "
        "have it. The latest, on {route}: {problems}",
        "{n} requests refused with 422 (newest first): they reached no model, so the prediction log does not "
        "have them. The latest, on {route}: {problems}",
        len(refused),
    ).format(n=format_count(len(refused)), route=latest["route"], problems=latest["problems"])
