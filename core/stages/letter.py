"""The right-to-explanation letter for a served prediction: found in the prediction log by its request
id, explained with the answering version's own model on the request as it was read, and written by
``core.explain.letter`` as a document (HTML and PDF through ``core.documents``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from core.data import datasets
from core.deployment.logged_request import get_logged_request
from core.deployment.served_model import load_served
from core.documents import Document
from core.explain.counterfactual import DecisionModel, find_counterfactuals
from core.explain.immutable import default_immutable
from core.explain.letter import DEFAULT_CONTACT, LetterFacts, build_letter
from core.explain.local_surrogate import get_used_features
from core.i18n import _
from core.problem.store import get_problem
from core.registry.versions import get_version_problem, version_label
from core.stages.local_explain import explain_locally, sample_reference
from core.workspace.database import Workspace
from core.workspace.errors import DataError, NotFoundError

ANSWERED = ("scored", "flagged", "review")


def stage_letter(
    ws: Workspace,
    project_id: int,
    request_id: str,
    *,
    contact: str = DEFAULT_CONTACT,
    immutable: Sequence[str] | None = None,
    target_value: float | None = None,
    generated_at: datetime | None = None,
) -> Document:
    """The letter for the answer logged under ``request_id``. ``immutable`` names the inputs the
    person cannot change (e.g. age): the counterfactual keeps them; None keeps those of
    ``get_letter_fixed_by_default`` (sensitive column, age, gender..., dates). A regression gets a
    counterfactual only with a ``target_value`` to reach. Raises NotFoundError for an unknown id and
    DataError for a request that got no prediction."""
    logged = get_logged_request(ws, project_id, request_id)
    if logged.status not in ANSWERED:
        raise DataError(
            _(
                "Request '{request_id}' was not answered with a prediction (its status is {status}), so there is no decision to explain; the endpoint's answer said why."
            ).format(request_id=logged.request_id, status=logged.status)
        )
    served = load_served(ws, logged.version_id)
    lineage = json.loads(served.version["lineage_json"] or "{}")
    X, problems = served.read([logged.inputs])
    if problems:
        raise DataError(
            _("The logged inputs of request '{request_id}' can no longer be read by the model: {message}").format(
                request_id=logged.request_id, message=problems[0].message
            )
        )
    columns = served.input_columns or list(X.columns)
    row = X[columns]
    if lineage.get("dataset_id") is None:
        raise NotFoundError(
            _(
                "{version_label} has no training data recorded, which the explanation compares the request with; register the model again from its run."
            ).format(version_label=version_label(served.version))
        )
    data = datasets.load_dataset(ws, lineage["dataset_id"])
    reference = sample_reference(data, columns)
    target = str(lineage.get("target") or "")
    model = DecisionModel.from_pipeline(
        served.pipeline,
        served.task,
        class_names=served.classes if served.task == "binary" else None,
        threshold=served.threshold,
        target_name=target,
    )
    local = explain_locally(served.pipeline, model, row, reference)
    used = get_used_features(served.pipeline, columns)
    if immutable is None:
        immutable = default_immutable(used, _sensitive_columns(ws, project_id, served.version), X)
    changeable = [f for f in used if f not in set(immutable)]
    counterfactual = None
    if served.task != "regression" or target_value is not None:
        counterfactual = find_counterfactuals(model, row, reference, actionable=changeable, target_value=target_value)
    facts = LetterFacts(
        request_id=logged.request_id,
        decided_at=datetime.fromtimestamp(logged.ts, UTC),
        model_label=version_label(served.version),
        task=served.task,
        target_name=target,
        decision=logged.prediction or "",
        score=logged.score,
        positive_class=model.class_names[1] if served.task == "binary" else "",
        status=logged.status,
        inputs={c: row[c].iloc[0] for c in columns},
        reasons=local.shap,
        base_value=local.base_value,
        explained=local.explained,
        units=local.units,
        counterfactual=counterfactual,
        contact=contact,
        truncated=logged.truncated,
        threshold=served.threshold if served.task == "binary" else None,
        generated_at=generated_at,
    )
    return build_letter(facts)


def get_letter_features(ws: Workspace, project_id: int, request_id: str) -> list[str]:
    """The inputs the version that answered ``request_id`` uses: what a letter's reader may mark as
    impossible to change. Raises NotFoundError for an unknown id."""
    logged = get_logged_request(ws, project_id, request_id)
    served = load_served(ws, logged.version_id)
    return get_used_features(served.pipeline, served.input_columns) if served.input_columns else []


def get_letter_fixed_by_default(ws: Workspace, project_id: int, request_id: str) -> list[str]:
    """The inputs a letter keeps as they are unless its reader says otherwise: the problem's sensitive
    column, personal characteristics by name (age, gender, nationality...) and dates. Raises
    NotFoundError for an unknown id."""
    logged = get_logged_request(ws, project_id, request_id)
    served = load_served(ws, logged.version_id)
    features = get_used_features(served.pipeline, served.input_columns) if served.input_columns else []
    X, _labels = served.read([logged.inputs])
    return default_immutable(features, _sensitive_columns(ws, project_id, served.version), X)


def _sensitive_columns(ws: Workspace, project_id: int, version: dict) -> list[str | None]:
    """The sensitive column the version was registered with and the project's current one."""
    try:
        registered = get_version_problem(ws, version).sensitive_column
    except NotFoundError:
        registered = None
    current = get_problem(ws, project_id)
    return [registered, current.sensitive_column if current is not None else None]
