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
from core.explain.probability import output_words
from core.formatting import format_probability, format_share, format_threshold
from core.i18n import N_, _

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
    contact = facts.contact.strip() or _(DEFAULT_CONTACT)
    ranked = facts.reasons.astype(float).abs().sort_values(ascending=False, kind="stable").index.tolist()
    top = [f for f in ranked if abs(float(facts.reasons[f])) > 0][:TOP_REASONS]
    summary = [
        (
            _("On {when}, the automated model {model} answered request {request_id} with {decision}.{status}")
            if facts.task == "regression"
            else _(
                "On {when}, the automated model {model} answered request {request_id} with the decision {decision}.{status}"
            )
        ).format(
            when=when,
            model=facts.model_label,
            request_id=facts.request_id,
            decision=_decision_words(facts),
            status=_status_words(facts.status),
        ),
        _main_reasons_sentence(facts, top),
        _change_sentence(facts),
        _("You can contest this decision: contact {contact} and quote the request id {request_id}.").format(
            contact=contact, request_id=facts.request_id
        ),
    ]
    sections = (
        _reasons_section(facts, ranked),
        _change_section(facts),
        _contest_section(facts, contact, when),
        _inputs_section(facts),
        _about_section(facts, generated),
    )
    return Document(
        title=_("Explanation of an automated decision"),
        subtitle=_("{model_label} · request {request_id} · decided {when}").format(
            model_label=facts.model_label, request_id=facts.request_id, when=when
        ),
        verdict=_("Decision: {decision_words}").format(decision_words=_decision_words(facts)),
        summary=tuple(s for s in summary if s),
        sections=sections,
    )


def _when(moment: datetime) -> str:
    return _("{astimezone} UTC").format(astimezone=f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}")


def _decision_words(facts: LetterFacts) -> str:
    if facts.task == "regression":
        name = facts.target_name or "value"
        return _("a predicted {name} of {value}").format(
            name=name, value=format_value(facts.score if facts.score is not None else facts.decision)
        )
    if facts.score is None:
        return f"'{facts.decision}'"
    if facts.task == "binary":
        probability = format_probability(facts.score, facts.threshold)
        return _("'{decision}' (estimated probability of '{positive_class}': {probability})").format(
            decision=facts.decision, positive_class=facts.positive_class, probability=probability
        )
    return _("'{decision}' (estimated probability {share})").format(
        decision=facts.decision, share=format_share(facts.score)
    )


def _status_words(status: str) -> str:
    if status == "flagged":
        return _(" The answer was flagged: a value of the request was unlike anything in the model's training data.")
    if status == "review":
        return _(" The answer was held for a person to review before it takes effect.")
    return ""


def _reason_words(facts: LetterFacts, feature: str) -> str:
    """ "support_calls of 8 raised the probability of 'Yes' by 38 points"."""
    effect = float(facts.reasons[feature])
    size = format_effect(abs(effect), facts.units).lstrip("+")
    value = format_value(facts.inputs.get(feature))
    template = (
        _("{feature} of {value} raised the {explained} by {size}")
        if effect > 0
        else _("{feature} of {value} lowered the {explained} by {size}")
    )
    return template.format(feature=feature, value=value, explained=output_words(facts.explained), size=size)


def _main_reasons_sentence(facts: LetterFacts, top: list[str]) -> str:
    if not top:
        return _("No single piece of information moved the model's answer away from its average case.")
    reasons = [_reason_words(facts, f) for f in top]
    listed = reasons[0] if len(reasons) == 1 else "; ".join(reasons[:-1]) + _("; and ") + reasons[-1]
    return _("The main reasons: {listed}.").format(listed=listed)


def _change_sentence(facts: LetterFacts) -> str:
    result = facts.counterfactual
    if result is None:
        return ""
    if result.counterfactuals:
        return _("What would change it: {change}").format(
            change=describe_counterfactual(result.counterfactuals[0], result)
        )
    return _("What would change it: {message}").format(message=result.message)


def _reasons_section(facts: LetterFacts, ranked: list[str]) -> Section:
    shown = ranked[:REASONS_TABLE_ROWS]
    output = facts.base_value + float(facts.reasons.sum())
    start = _output_words(facts, facts.base_value)
    end = _output_words(facts, output)
    table = make_table(
        (
            "information",
            _("value in this request"),
            _("effect on the {explained}").format(explained=output_words(facts.explained)),
        ),
        [(f, format_value(facts.inputs.get(f)), format_effect(float(facts.reasons[f]), facts.units)) for f in shown],
        caption=_(
            "The {n} pieces of information that weighed most, strongest first; the effects of all of them add up from the average case ({start}) to this request ({end})."
        ).format(n=len(shown), start=start, end=end),
    )
    return Section(
        heading=_("The main reasons"),
        paragraphs=(
            _(
                "For an average case the model estimates {start}; for this request it estimates {end}. Each piece of information in the request moved the estimate up or down, by the amounts below (SHAP values of {model_label}, the version that answered).{threshold_words}"
            ).format(start=start, end=end, model_label=facts.model_label, threshold_words=_threshold_words(facts)),
        ),
        bullets=tuple(_reason_words(facts, f) + "." for f in ranked[:TOP_REASONS] if float(facts.reasons[f]) != 0),
        tables=(table,),
    )


def _threshold_words(facts: LetterFacts) -> str:
    if facts.task != "binary" or facts.threshold is None:
        return ""
    return _(" The model answers '{positive_class}' from an estimated probability of {cutoff}.").format(
        positive_class=facts.positive_class, cutoff=format_threshold(facts.threshold)
    )


def _output_words(facts: LetterFacts, value: float) -> str:
    if facts.units == "probability":
        share = min(max(value, 0.0), 1.0)
        shown = format_probability(share, facts.threshold) if facts.task == "binary" else format_share(share)
        return _("a {share} {explained}").format(share=shown, explained=output_words(facts.explained))
    return _("a {explained} of {value}").format(explained=output_words(facts.explained), value=format_value(value))


def _change_section(facts: LetterFacts) -> Section:
    result = facts.counterfactual
    if result is None:
        return Section(
            heading=_("What would change the decision"),
            paragraphs=(
                _(
                    "A predicted number has no single other decision; ask for the value you expected to see which changes would reach it."
                ),
            ),
        )
    if not result.counterfactuals:
        return Section(heading=_("What would change the decision"), paragraphs=(result.message,))
    allowed = ", ".join(result.actionable)
    return Section(
        heading=_("What would change the decision"),
        paragraphs=(
            _(
                "The smallest changes found that would have made the model answer {goal} instead. Each was checked by asking the same model again with the changed request."
            ).format(goal=result.goal),
            _("Only these pieces of information were allowed to change: {allowed}.").format(allowed=allowed),
        ),
        bullets=tuple(describe_counterfactual(cf, result) for cf in result.counterfactuals),
    )


def _contest_section(facts: LetterFacts, contact: str, when: str) -> Section:
    return Section(
        heading=_("How to contest this decision"),
        paragraphs=(
            _(
                "You have the right to ask for a person to review this decision, to give your point of view and to contest it. A person will look at the request again; the model's answer is not final."
            ),
        ),
        bullets=(
            _("Contact: {contact}.").format(contact=contact),
            _("Quote the request id: {request_id}.").format(request_id=facts.request_id),
            _("Date of the decision: {when}.").format(when=when),
            _("Say which information above is wrong or incomplete, and what you would like reviewed."),
        ),
    )


def _inputs_section(facts: LetterFacts) -> Section:
    rows = [(str(k), format_value(v)) for k, v in facts.inputs.items()]
    note = _(" Long values were cut when the request was logged.") if facts.truncated else ""
    return Section(
        heading=_("The information the decision was based on"),
        tables=(
            make_table(
                ("information", "value"),
                rows,
                caption=_("The request as the model read it; check that each value is right.{note}").format(note=note),
            ),
        ),
    )


def _about_section(facts: LetterFacts, generated: datetime) -> Section:
    return Section(
        heading=_("About this letter"),
        paragraphs=(
            _(
                "Generated on {when} from the prediction log of {model_label}. The reasons are SHAP values: the share of the answer each piece of information accounts for, measured against typical cases from the model's training data. The alternatives come from a search over values seen in the training data, and each was confirmed with the model itself."
            ).format(when=_when(generated), model_label=facts.model_label),
        ),
    )
