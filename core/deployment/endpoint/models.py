"""The endpoint's fixed shapes (answers, the feedback body), for the OpenAPI page and for reading
``/feedback``; the ``/predict`` body's shape depends on the model and is built in ``schema``."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainValidator, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from core.deployment.endpoint.body import NonFinite, problem, rejected
from core.deployment.endpoint.schema import RequestId
from core.deployment.request import type_words


class PredictResult(BaseModel):
    request_id: str = Field(description="Names this answer: send it to /feedback with the true label.")
    prediction: str | None = Field(description="The answer; null when the row could not be scored.")
    score: float | None = Field(description="P(positive) for yes/no, the top class's probability, or the value.")
    version: str | None = Field(description="The model version that answered.")
    arm: str = Field(description="champion or challenger.")
    status: str = Field(description="scored, flagged, rejected, review or error: the deployment's policy for this row.")
    problems: list[dict[str, Any]] = Field(description="What in the row breaks a rule or cannot be read, per column.")
    score_of: str | None = Field(
        description="The class the score is the probability of: the positive class for yes/no, the predicted "
        "class for more classes; null for a regression or an unscored row."
    )


class PredictAnswer(BaseModel):
    results: list[PredictResult]
    ignored_columns: list[str] = Field(description="Columns sent that the model does not take.")
    deployment_id: int


class HealthAnswer(BaseModel):
    status: str
    project: str
    project_id: int
    deployment_id: int
    strategy: str
    versions: list[str] = Field(description="The versions whose answers a client can get.")
    live: str = Field(description="The deployment in one sentence.")
    columns: list[str] = Field(description="The columns each row must have.")
    pid: int
    positive_class: str | None = Field(description="The class a yes/no model's score is the probability of.")
    scores: list[dict[str, Any]] = Field(description="Per answering version: its task and what its score is.")


def _label(value: Any) -> Any:
    if isinstance(value, NonFinite):
        raise PydanticCustomError("not_finite", "The label must be a value; NaN and Infinity are not JSON.")
    if value is None or isinstance(value, (list, dict)):
        raise PydanticCustomError("label_type", "The label must be one value (text, a number or true/false).")
    if isinstance(value, float) and value != value:
        raise PydanticCustomError("not_finite", "The label must be a finite value.")
    if str(value).strip() == "":
        raise PydanticCustomError("empty_label", "The label is empty; send the true outcome of that request.")
    return value


class FeedbackRequest(BaseModel):
    request_id: RequestId = Field(description="The request_id /predict answered with.")
    label: Annotated[
        Any,
        PlainValidator(_label),
        WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}], "title": "Label"}),
    ] = Field(description="The true outcome of that request.")


def read_feedback(data: Any) -> tuple[str, Any]:
    """(request_id, label) of a /feedback body; 422 naming the bad field."""
    if not isinstance(data, dict):
        raise rejected(
            problem(
                ("body",),
                f'The body must be a JSON object such as {{"request_id": "…", "label": "yes"}}; got {type_words(data)} instead.',
                "model_attributes_type",
            )
        )
    try:
        parsed = FeedbackRequest.model_validate(data)
    except ValidationError as exc:
        raise rejected(
            *[problem(("body", *e["loc"]), e["msg"], e["type"], e.get("input")) for e in exc.errors(include_url=False)]
        ) from None
    return parsed.request_id, parsed.label
