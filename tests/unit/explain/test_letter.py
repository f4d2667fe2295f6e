"""The right-to-explanation letter (core.stages.letter, core.explain.letter): for a logged request,
the decision, the main reasons, what would change it and how to contest, as HTML and as a PDF that opens."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pandas as pd
import pytest

from core.deployment import serving
from core.deployment.logged_request import get_logged_request
from core.documents import document_text, render_html, render_pdf
from core.explain.letter import LetterFacts, build_letter
from core.stages.letter import get_letter_features, stage_letter
from core.workspace.database import Workspace
from core.workspace.errors import DataError, NotFoundError
from tests.unit.deployment.rollouts.trained import make_table

ROW = {"x1": 2.0, "x2": 1.0, "color": "red"}  # a strong 'yes' in the trained project (its positive class is 'no')
NEAR = {"x1": 0.0, "x2": 1.0, "color": "red"}  # 'yes', but x2 and color together can make it 'no'


@pytest.fixture
def ws(rollout_copy):
    return Workspace(rollout_copy)


def test_letter_for_a_logged_request(ws):
    deployment = serving.get_active_deployment(ws, 1)
    answer = serving.predict(ws, deployment, [ROW], request_ids=["req-42"], source="http")
    decision = str(answer["prediction"].iloc[0])
    assert decision == "yes"
    doc = stage_letter(
        ws, 1, "req-42", contact="Credit team <credit@example.com>", generated_at=datetime(2026, 12, 5, tzinfo=UTC)
    )
    text = document_text(doc)
    assert doc.verdict.startswith("Decision: 'yes' (estimated probability of 'no': ")
    assert "answered request req-42 with the decision 'yes'" in text
    assert "The main reasons:" in text and "x1 of 2 lowered the probability of 'no' by" in text
    assert "What would change it: Had " in text and "the model would have said 'no'" in text
    assert "Contact: Credit team <credit@example.com>." in text and "Quote the request id: req-42." in text
    assert "How to contest this decision" in [s.heading for s in doc.sections]
    html = render_html(doc)
    assert "Credit team &lt;credit@example.com&gt;" in html and "<credit@" not in html  # user text escaped
    pdf = render_pdf(doc)
    assert pdf.startswith(b"%PDF")
    pypdf = pytest.importorskip("pypdf")
    pages = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Decision: 'yes'" in pages and "req-42" in pages


def test_immutable_inputs_stay_and_the_change_is_real(ws):
    deployment = serving.get_active_deployment(ws, 1)
    serving.predict(ws, deployment, [NEAR], request_ids=["req-7"], source="http")
    assert get_letter_features(ws, 1, "req-7") == ["x1", "x2", "color"]
    doc = stage_letter(ws, 1, "req-7", immutable=["x1"])
    change = next(s for s in doc.sections if s.heading == "What would change the decision")
    assert "Only these pieces of information were allowed to change: x2, color." in change.paragraphs
    assert all(not b.startswith("Had x1") and " x1 been" not in b for b in change.bullets)


def test_a_request_from_a_large_batch_reads_its_stored_inputs(ws):
    deployment = serving.get_active_deployment(ws, 1)
    table = make_table(100, seed=5).drop(columns=["y"])
    ids = [f"batch-{i}" for i in range(len(table))]
    serving.predict(ws, deployment, table, request_ids=ids, source="http")  # 64 rows or more: stored once
    logged = get_logged_request(ws, 1, "batch-17")
    assert logged.inputs["x1"] == pytest.approx(table["x1"].iloc[17])
    assert logged.inputs["color"] == table["color"].iloc[17]
    assert "batch-17" in document_text(stage_letter(ws, 1, "batch-17"))


def test_unknown_or_unanswered_requests_get_a_clear_message(ws):
    with pytest.raises(NotFoundError, match="No prediction with request id 'nope' was logged for this project"):
        stage_letter(ws, 1, "nope")
    with pytest.raises(NotFoundError, match="Type the request id"):
        stage_letter(ws, 1, "  ")
    deployment = serving.get_active_deployment(ws, 1)
    serving.predict(ws, deployment, [{"x1": "not a number", "x2": 1.0, "color": "red"}], request_ids=["bad-1"])
    with pytest.raises(DataError, match="was not answered with a prediction"):
        stage_letter(ws, 1, "bad-1")


def test_letter_of_a_regression_and_of_a_flagged_answer():
    facts = LetterFacts(
        request_id="r-1",
        decided_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        model_label="price v2",
        task="regression",
        target_name="price",
        decision="251000",
        score=251000.0,
        positive_class="",
        status="flagged",
        inputs={"rooms": 3.0, "city": "Lisboa"},
        reasons=pd.Series({"rooms": -12000.0, "city": 40000.0}),
        base_value=223000.0,
        explained="predicted price",
        units="price",
        counterfactual=None,
    )
    doc = build_letter(facts)
    text = document_text(doc)
    assert doc.verdict == "Decision: a predicted price of 251,000"
    assert "decided 2026-12-01 09:30 UTC" in doc.subtitle
    assert "answered request r-1 with a predicted price of 251,000." in text
    assert "The answer was flagged" in text
    assert "city of 'Lisboa' raised the predicted price by 40,000" in text
    assert "rooms of 3 lowered the predicted price by 12,000" in text
    assert "contact the team that runs this model" in text  # the default contact
    assert "A predicted number has no single other decision" in text


def test_a_flagged_answer_with_a_long_value_says_both(ws):
    deployment = serving.get_active_deployment(ws, 1)
    serving.predict(ws, deployment, [{**ROW, "color": "ultraviolet " * 30}], request_ids=["long-1"], source="http")
    logged = get_logged_request(ws, 1, "long-1")
    assert logged.status == "flagged" and logged.truncated  # a category never seen; cut to the log's cap
    text = document_text(stage_letter(ws, 1, "long-1"))
    assert "The answer was flagged" in text and "Long values were cut when the request was logged." in text


def test_probabilities_near_the_threshold_do_not_contradict_the_decision():
    # The letter said "answers 'Yes' from an estimated probability of 15%" and "would have said 'No'
    # (15% probability of 'Yes')" for a 'Yes' at 15.2%: the digits must show the side.
    facts = LetterFacts(
        request_id="r-2",
        decided_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        model_label="churn v2",
        task="binary",
        target_name="churn",
        decision="Yes",
        score=0.152,
        positive_class="Yes",
        status="scored",
        inputs={"tenure": 3.0},
        reasons=pd.Series({"tenure": 0.05}),
        base_value=0.102,
        explained="probability of 'Yes'",
        units="probability",
        counterfactual=None,
        threshold=0.15,
    )
    text = document_text(build_letter(facts))
    assert "'Yes' (estimated probability of 'Yes': 15.2%)" in text
    assert "The model answers 'Yes' from an estimated probability of 15.0%." in text
    assert "for this request it estimates a 15.2% probability of 'Yes'" in text


def test_the_sensitive_column_is_kept_by_default(ws):
    # The letter said "Only these pieces of information were allowed to change: gender, senior_citizen...":
    # by default the problem's sensitive column (and age, gender... by name) stay as they are.
    from dataclasses import replace

    from core.problem.store import get_problem, set_problem
    from core.stages.letter import get_letter_fixed_by_default

    deployment = serving.get_active_deployment(ws, 1)
    serving.predict(ws, deployment, [NEAR], request_ids=["req-8"], source="http")
    assert get_letter_fixed_by_default(ws, 1, "req-8") == []
    set_problem(ws, 1, replace(get_problem(ws, 1), sensitive_column="color"))
    assert get_letter_fixed_by_default(ws, 1, "req-8") == ["color"]
    change = next(s for s in stage_letter(ws, 1, "req-8").sections if s.heading == "What would change the decision")
    assert not any("color" in p for p in change.paragraphs if p.startswith("Only these"))
    change = next(
        s for s in stage_letter(ws, 1, "req-8", immutable=[]).sections if s.heading == "What would change the decision"
    )
    assert any(p.startswith("Only these") and "color" in p for p in change.paragraphs)  # the user can still allow it
