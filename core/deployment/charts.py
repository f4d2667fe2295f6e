"""The Deploy stage's sentences: what a batch of answers says, and what the routing did so far.
The Deploy page draws no figures; its captions live here, apart from serving, so a translation
touches one place.
"""

from __future__ import annotations

import pandas as pd

from core.deployment.served_model import ServedModel


def caption_answers(result: pd.DataFrame, served: ServedModel, *, answer_label: str) -> str:
    """Under the table of a batch's answers: what each column holds, the mean latency and, for a
    yes/no model, the decision threshold. ``answer_label`` is the positive class as the page shows
    it (escaped for Markdown)."""
    answers = (
        f" The model answers '{answer_label}' when the score is "
        f"{served.threshold:.2f} or more (the decision threshold registered with it)."
        if served.task == "binary" and served.classes
        else ""
    )
    return (
        f"Each row's answer (or why it got none), the arm and model version that gave it, and the time "
        f"it took (on average {result['latency_ms'].mean():.2f} ms per row).{answers}"
    )


def caption_unanswered(result: pd.DataFrame) -> str:
    """'' when every row was answered; otherwise how many were not, and where to read why."""
    unanswered = int((result["error"] != "").sum())
    if not unanswered:
        return ""
    rejected = int((result["status"] == "rejected").sum()) if "status" in result else 0
    why = (
        "the model cannot read a value in them"
        if not rejected
        else "they break a rule learned from training and the deployment refuses such rows"
        if rejected == unanswered
        else f"{rejected} break a rule learned from training (refused), the others hold a value the model cannot read"
    )
    return (
        f"{unanswered} of {len(result)} rows got no answer: {why}. "
        "The 'error' column says which value and what to send instead; the other rows were answered."
    )


def caption_flagged(result: pd.DataFrame) -> str:
    """'' when no answered row broke a rule; otherwise how many did and what happened to them."""
    flagged = int(result["status"].isin(["flagged", "review"]).sum()) if "status" in result else 0
    if not flagged:
        return ""
    held = int((result["status"] == "review").sum())
    return (
        f"{flagged} of {len(result)} answered rows break a rule learned from training (status "
        f"{'review: held in the review queue' if held else 'flagged'}); the 'problems' say which value and why."
    )


def caption_review_queue(queue: pd.DataFrame) -> str:
    """The review queue in one sentence (``queue`` not empty)."""
    return (
        f"{len(queue):,} answers broke a rule learned from training and wait for a person to check them, "
        "newest first: each was answered, and its problems say what looked unusual."
    )


def caption_traffic_summary(summary: pd.DataFrame) -> str:
    """Requests logged so far and the arm that answered most, in one sentence (``summary`` not empty)."""
    top = summary.iloc[0]
    return (
        f"{int(summary['requests'].sum()):,} requests logged; {top['share']:.0%} were answered by "
        f"{top['version']} ({top['arm']}), in {top['mean_latency_ms']:.2f} ms per row on average."
    )


def caption_refused_requests(refused: pd.DataFrame) -> str:
    """The refused requests (refusals.get_refused_requests_df) in one sentence."""
    if refused.empty:
        return "No request was refused."
    latest = refused.iloc[0]
    return (
        f"{len(refused):,} request{'s' if len(refused) != 1 else ''} refused with 422 (newest first): they reached "
        f"no model, so the prediction log does not have them. The latest, on {latest['route']}: {latest['problems']}"
    )
