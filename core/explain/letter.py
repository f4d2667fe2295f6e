"""The right-to-explanation letter for one served prediction, as a ``core.documents.Document``: the
decision, the main reasons (SHAP of the answering version's model on that request, in probability for
a classification), what would change it (a counterfactual checked against the model) and how to
contest it (who to contact, the request id, the date). Plain language; every text is plain text and
the renderers escape it. The facts are gathered by ``core.stages.letter``; this module only writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from core.documents import Document, Section, make_table
from core.explain.charts_local import describe_counterfactual, format_effect, format_value
from core.explain.counterfactual import CounterfactualResult
from core.formatting import format_probability, format_share, format_threshold
from core.i18n import N_

TOP_REASONS = 3
REASONS_TABLE_ROWS = 6
DEFAULT_CONTACT = N_("the team that runs this model")


@dataclass(frozen=True)
class LetterFacts:
    request_id: str
    decided_at: datetime  # UTC
    model_label: str  # "churn v3"
    task: str  # binary | multiclass | regression
    target_name: str
    decision: str  # the logged answer
    score: float | None  # the logged score: P(positive) for binary, the decided class's for multiclass
    positive_class: str  # binary: the class whose probability is quoted
    status: str  # scored | flagged | review
    inputs: dict[str, Any]  # the request's values as the model read them
    reasons: pd.Series  # SHAP per input column, in ``units``
    base_value: float  # the average case's output in the same units
    explained: str  # what the reasons are effects on: "probability of 'Yes'", "predicted price"
    units: str  # "probability" or the target's name
    counterfactual: CounterfactualResult | None  # None: not asked (a regression without a target)
    contact: str = DEFAULT_CONTACT
    truncated: bool = False  # the log had cut the request's inputs
    threshold: float | None = None  # binary: the probability from which the model answers the positive class
    generated_at: datetime | None = None


def build_letter(facts: LetterFacts) -> Document:
    """The letter as a document: the two-minute summary first, then the detail."""
    generated = facts.generated_at or datetime.now(UTC)
    when = _when(facts.decided_at)
    contact = facts.contact.strip() or DEFAULT_CONTACT
    ranked = facts.reasons.astype(float).abs().sort_values(ascending=False, kind="stable").index.tolist()
    top = [f for f in ranked if abs(float(facts.reasons[f])) > 0][:TOP_REASONS]
    summary = [
        f"On {when}, the automated model {facts.model_label} answered request {facts.request_id} with "
        f"{'' if facts.task == 'regression' else 'the decision '}{_decision_words(facts)}.{_status_words(facts.status)}",
        _main_reasons_sentence(facts, top),
        _change_sentence(facts),
        f"You can contest this decision: contact {contact} and quote the request id {facts.request_id}.",
    ]
    sections = (
        _reasons_section(facts, ranked),
        _change_section(facts),
        _contest_section(facts, contact, when),
        _inputs_section(facts),
        _about_section(facts, generated),
    )
    return Document(
        title="Explanation of an automated decision",
        subtitle=f"{facts.model_label} · request {facts.request_id} · decided {when}",
        verdict=f"Decision: {_decision_words(facts)}",
        summary=tuple(s for s in summary if s),
        sections=sections,
    )


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _decision_words(facts: LetterFacts) -> str:
    if facts.task == "regression":
        name = facts.target_name or "value"
        return f"a predicted {name} of {format_value(facts.score if facts.score is not None else facts.decision)}"
    if facts.score is None:
        return f"'{facts.decision}'"
    if facts.task == "binary":
        probability = format_probability(facts.score, facts.threshold)
        return f"'{facts.decision}' (estimated probability of '{facts.positive_class}': {probability})"
    return f"'{facts.decision}' (estimated probability {format_share(facts.score)})"


def _status_words(status: str) -> str:
    if status == "flagged":
        return " The answer was flagged: a value of the request was unlike anything in the model's training data."
    if status == "review":
        return " The answer was held for a person to review before it takes effect."
    return ""


def _reason_words(facts: LetterFacts, feature: str) -> str:
    """ "support_calls of 8 raised the probability of 'Yes' by 38 points"."""
    effect = float(facts.reasons[feature])
    verb = "raised" if effect > 0 else "lowered"
    size = format_effect(abs(effect), facts.units).lstrip("+")
    value = format_value(facts.inputs.get(feature))
    return f"{feature} of {value} {verb} the {facts.explained} by {size}"


def _main_reasons_sentence(facts: LetterFacts, top: list[str]) -> str:
    if not top:
        return "No single piece of information moved the model's answer away from its average case."
    reasons = [_reason_words(facts, f) for f in top]
    listed = reasons[0] if len(reasons) == 1 else "; ".join(reasons[:-1]) + "; and " + reasons[-1]
    return f"The main reasons: {listed}."


def _change_sentence(facts: LetterFacts) -> str:
    result = facts.counterfactual
    if result is None:
        return ""
    if result.counterfactuals:
        return f"What would change it: {describe_counterfactual(result.counterfactuals[0], result)}"
    return f"What would change it: {result.message}"


def _reasons_section(facts: LetterFacts, ranked: list[str]) -> Section:
    shown = ranked[:REASONS_TABLE_ROWS]
    output = facts.base_value + float(facts.reasons.sum())
    start = _output_words(facts, facts.base_value)
    end = _output_words(facts, output)
    table = make_table(
        ("information", "value in this request", f"effect on the {facts.explained}"),
        [(f, format_value(facts.inputs.get(f)), format_effect(float(facts.reasons[f]), facts.units)) for f in shown],
        caption=f"The {len(shown)} pieces of information that weighed most, strongest first; the effects of all of "
        f"them add up from the average case ({start}) to this request ({end}).",
    )
    return Section(
        heading="The main reasons",
        paragraphs=(
            f"For an average case the model estimates {start}; for this request it estimates {end}. Each piece "
            "of information in the request moved the estimate up or down, by the amounts below (SHAP values "
            f"of {facts.model_label}, the version that answered).{_threshold_words(facts)}",
        ),
        bullets=tuple(_reason_words(facts, f) + "." for f in ranked[:TOP_REASONS] if float(facts.reasons[f]) != 0),
        tables=(table,),
    )


def _threshold_words(facts: LetterFacts) -> str:
    if facts.task != "binary" or facts.threshold is None:
        return ""
    return f" The model answers '{facts.positive_class}' from an estimated probability of {format_threshold(facts.threshold)}."


def _output_words(facts: LetterFacts, value: float) -> str:
    if facts.units == "probability":
        share = min(max(value, 0.0), 1.0)
        shown = format_probability(share, facts.threshold) if facts.task == "binary" else format_share(share)
        return f"a {shown} {facts.explained}"
    return f"a {facts.explained} of {format_value(value)}"


def _change_section(facts: LetterFacts) -> Section:
    result = facts.counterfactual
    if result is None:
        return Section(
            heading="What would change the decision",
            paragraphs=(
                "A predicted number has no single other decision; ask for the value you expected to see "
                "which changes would reach it.",
            ),
        )
    if not result.counterfactuals:
        return Section(heading="What would change the decision", paragraphs=(result.message,))
    allowed = ", ".join(result.actionable)
    return Section(
        heading="What would change the decision",
        paragraphs=(
            f"The smallest changes found that would have made the model answer {result.goal} instead. Each was "
            "checked by asking the same model again with the changed request.",
            f"Only these pieces of information were allowed to change: {allowed}.",
        ),
        bullets=tuple(describe_counterfactual(cf, result) for cf in result.counterfactuals),
    )


def _contest_section(facts: LetterFacts, contact: str, when: str) -> Section:
    return Section(
        heading="How to contest this decision",
        paragraphs=(
            "You have the right to ask for a person to review this decision, to give your point of view and to "
            "contest it. A person will look at the request again; the model's answer is not final.",
        ),
        bullets=(
            f"Contact: {contact}.",
            f"Quote the request id: {facts.request_id}.",
            f"Date of the decision: {when}.",
            "Say which information above is wrong or incomplete, and what you would like reviewed.",
        ),
    )


def _inputs_section(facts: LetterFacts) -> Section:
    rows = [(str(k), format_value(v)) for k, v in facts.inputs.items()]
    note = " Long values were cut when the request was logged." if facts.truncated else ""
    return Section(
        heading="The information the decision was based on",
        tables=(
            make_table(
                ("information", "value"),
                rows,
                caption=f"The request as the model read it; check that each value is right.{note}",
            ),
        ),
    )


def _about_section(facts: LetterFacts, generated: datetime) -> Section:
    return Section(
        heading="About this letter",
        paragraphs=(
            f"Generated on {_when(generated)} from the prediction log of {facts.model_label}. The reasons are "
            "SHAP values: the share of the answer each piece of information accounts for, measured against "
            "typical cases from the model's training data. The alternatives come from a search over values seen "
            "in the training data, and each was confirmed with the model itself.",
        ),
    )
