"""The simulated endpoint: the champion (and optionally a challenger) behind a routing strategy.

A request is a table of raw rows, exactly as a client would send them (a DataFrame, or JSON rows:
a list of {column: value} objects). The endpoint replays the cleaning recipe's value fixes (never
its row filters), runs the registered pipeline, and logs every prediction with the version that
answered and the latency.

What a client can get wrong is answered, never raised as a traceback:
- a bad *request* (not a table, a column named twice, no rows, a column the model needs is absent)
  raises `RequestError`, a `DataError` whose `problems` name each one;
- a bad *row* (a value the model cannot read as its input's type: a list, text where a number
  belongs, infinity, a number too large to compute with, text that is not a date, nothing at all)
  gets its own `error` and structured `problems` in the answer, and the other rows are scored;
- a value the model can read but that breaks a rule learned from training (out of range, a new
  category, missing where training had none) gets what the deployment's validation policy says:
  "reject" (no answer, status rejected), "flag" (scored, status flagged) or "review" (scored, status
  review, and held in the review queue); its problems name the rule either way.

Each answer has a ``status``: scored | flagged | rejected | review | error.

The parts: ``request`` reads a request and names its problems, ``served_model`` holds one version
ready to answer, ``routing`` decides which version answers which request, ``prediction_log`` writes
and reads the log, and this module keeps the deployments and routes a batch. The names of the parts
are handed on here.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any, Literal, overload

import numpy as np
import pandas as pd

from core.deployment.prediction_log import (
    get_prediction_log_df,
    get_review_queue_df,
    get_traffic_summary_df,
    log_answers,
    record_feedback,
)
from core.deployment.request import REQUEST_PROBLEMS, ROW_PROBLEMS, InputProblem, read_request
from core.deployment.routing import RoutingConfig, route_requests, strategy_name
from core.deployment.served_model import LARGEST_FEATURE, ServedModel, load_served
from core.formatting import format_percent
from core.i18n import DEFAULT_LANGUAGE, N_, _, current_language, pgettext
from core.registry.lifecycle import check_deployable
from core.registry.versions import get_version
from core.workspace.database import Workspace, dumps, inserted_id, now
from core.workspace.errors import ConfigError, DataError, NotFoundError, RequestError

__all__ = [
    "ANSWER_COLUMNS",
    "LARGEST_FEATURE",
    "STATUSES",
    "VALIDATION_POLICIES",
    "policy_name",
    "REQUEST_PROBLEMS",
    "ROW_PROBLEMS",
    "InputProblem",
    "RequestError",
    "ServedModel",
    "create_deployment",
    "describe_deployment",
    "describe_live",
    "describe_policy",
    "get_active_deployment",
    "get_answers_df",
    "get_deployment",
    "get_prediction_log_df",
    "get_review_queue_df",
    "get_serving_version",
    "get_traffic_summary_df",
    "load_served",
    "predict",
    "read_request",
    "record_feedback",
]

ANSWER_COLUMNS = [
    "request_id",
    "key",
    "arm",
    "prediction",
    "score",
    "version",
    "latency_ms",
    "shadow_prediction",
    "error",
    "problems",
    "status",
    "shadow_score",
    "score_of",
]
STATUSES = ("scored", "flagged", "rejected", "review", "error")
# What a row that breaks a rule learned from training gets (a row the model cannot read at all is
# an error whatever the policy).
VALIDATION_POLICIES: dict[str, str] = {
    "reject": N_("Refuse the row: no prediction, only what is wrong with it."),
    "flag": N_("Answer it, and mark the answer as flagged with what is wrong."),
    "review": N_("Answer it, and hold it in a review queue for a person to check."),
}


def policy_name(policy: str) -> str:
    """A validation policy's code as a word in the session's language (the stored code stays English)."""
    names = {
        "reject": pgettext("policy", "reject"),
        "flag": pgettext("policy", "flag"),
        "review": pgettext("policy", "review"),
    }
    return names.get(policy, policy)


def check_validation_policy(policy: Any) -> str:
    if policy not in VALIDATION_POLICIES:
        raise ConfigError(
            _("The 'validation_policy' of a deployment must be one of {choices}; got {value} instead.").format(
                choices=", ".join(VALIDATION_POLICIES), value=repr(policy)
            )
        )
    return str(policy)


def create_deployment(
    ws: Workspace,
    project_id: int,
    routing: RoutingConfig,
    champion_version_id: int,
    challenger_version_id: int | None = None,
    reason: str = "",
    validation_policy: str | None = None,
    rollout: dict | None = None,
) -> dict[str, Any]:
    """Make a new deployment the project's one live endpoint (the previous one stops serving).
    ``reason`` says why in the audit log (e.g. "rollback of churn"); ``validation_policy`` what a
    row that breaks a rule learned from training gets (VALIDATION_POLICIES; by default the live
    deployment's, so a rollback, a switch or a rollout step never loosens it, else "flag");
    ``rollout`` is the plan and state of a rollout strategy (core.deployment.rollouts), kept in
    deployments.rollout_json."""
    routing = routing.validate()  # before anything is written: a bad share must not become the live endpoint
    if validation_policy is None:
        live = get_active_deployment(ws, project_id)
        validation_policy = (live or {}).get("validation_policy") or "flag"
    validation_policy = check_validation_policy(validation_policy)
    if routing.strategy != "single" and challenger_version_id is None:
        raise ConfigError(f"The '{routing.strategy}' strategy needs a challenger; register one or choose 'single'.")
    check_deployable(get_version(ws, champion_version_id))
    if challenger_version_id is not None:
        check_deployable(get_version(ws, challenger_version_id))
    with ws.transaction() as conn:
        conn.execute("UPDATE deployments SET active = 0 WHERE project_id = ?", (project_id,))
        dep_id = inserted_id(
            conn.execute(
                """INSERT INTO deployments (project_id, routing_json, champion_version_id, challenger_version_id,
               active, created_at, validation_policy, rollout_json) VALUES (?,?,?,?,1,?,?,?)""",
                (
                    project_id,
                    dumps(routing.to_dict()),
                    champion_version_id,
                    challenger_version_id,
                    now(),
                    validation_policy,
                    dumps(rollout) if rollout is not None else None,
                ),
            )
        )
        ws.audit(
            conn,
            project_id,
            "deployment.created",
            {
                "deployment_id": dep_id,
                "routing": routing.to_dict(),
                "champion_version_id": champion_version_id,
                "challenger_version_id": challenger_version_id,
                "validation_policy": validation_policy,
                **({"reason": reason} if reason else {}),
            },
        )
    return get_deployment(ws, dep_id)


# A deployment with the artifact hashes of its versions: the served models are found in memory
# without another query.
_DEPLOYMENT_SQL = """SELECT d.*, c.sha256 AS champion_sha256, h.sha256 AS challenger_sha256
    FROM deployments d JOIN model_versions c ON c.id = d.champion_version_id
    LEFT JOIN model_versions h ON h.id = d.challenger_version_id"""


def get_deployment(ws: Workspace, deployment_id: int) -> dict[str, Any]:
    row = ws.query_one(f"{_DEPLOYMENT_SQL} WHERE d.id = ?", (deployment_id,))
    if row is None:
        raise NotFoundError(f"Deployment {deployment_id} does not exist; deploy a model on the Deploy page.")
    return _with_routing(row)


def get_active_deployment(ws: Workspace, project_id: int) -> dict[str, Any] | None:
    """The project's live deployment (one query: cheap enough to ask on every request, so a
    redeployment is served from the next request on)."""
    row = ws.query_one(
        f"{_DEPLOYMENT_SQL} WHERE d.project_id = ? AND d.active = 1 ORDER BY d.id DESC LIMIT 1", (project_id,)
    )
    return _with_routing(row) if row else None


def _with_routing(row: dict[str, Any]) -> dict[str, Any]:
    row["routing"] = RoutingConfig.from_dict(json.loads(row["routing_json"]))
    return row


def get_serving_version(ws: Workspace, deployment: dict[str, Any]) -> dict[str, Any]:
    """The version that answers the deployment's requests: the champion, except in blue-green with
    green live, where the challenger answers every request."""
    routing: RoutingConfig = deployment["routing"]
    if routing.strategy == "blue_green" and routing.active_color == "green" and deployment["challenger_version_id"]:
        return get_version(ws, deployment["challenger_version_id"])
    return get_version(ws, deployment["champion_version_id"])


def describe_deployment(ws: Workspace, deployment: dict[str, Any]) -> str:
    """Which versions a deployment serves, in words: "deployment 4 (single): churn v1 answers every
    request". The Registry, Deploy and Monitor pages all say what is live with this one sentence."""
    routing: RoutingConfig = deployment["routing"]
    champion = get_version(ws, deployment["champion_version_id"])
    challenger = get_version(ws, deployment["challenger_version_id"]) if deployment["challenger_version_id"] else None
    name = f"{champion['model_name']} v{champion['version']}"
    other = f"{challenger['model_name']} v{challenger['version']}" if challenger else ""
    head = _("deployment {id} ({strategy})").format(id=deployment["id"], strategy=_strategy_word(routing.strategy))
    share = format_percent(routing.challenger_share, 0)
    if challenger is None:
        return _("{head}: {name} answers every request").format(head=head, name=name)
    if routing.strategy == "canary":
        return _("{head}: {name} answers, {other} gets {share} of the requests").format(
            head=head, name=name, other=other, share=share
        )
    if routing.strategy == "ab":
        return _("{head}: {name} answers, {other} gets {share} of the users").format(
            head=head, name=name, other=other, share=share
        )
    if routing.strategy == "shadow":
        return _("{head}: {name} answers every request, {other} scores them silently").format(
            head=head, name=name, other=other
        )
    answering, standby = (other, name) if routing.active_color == "green" else (name, other)
    return _("{head}: {answering} answers every request, {standby} stands by").format(
        head=head, answering=answering, standby=standby
    )


def _strategy_word(strategy: str) -> str:
    """The strategy inside "deployment 4 (single)": its code in English ("blue-green"), the teacher's
    word in Portuguese."""
    if current_language() == DEFAULT_LANGUAGE:
        return strategy.replace("_", "-")
    return strategy_name(strategy)


def describe_live(ws: Workspace, project_id: int) -> str:
    """What the project's endpoint serves right now, in one sentence."""
    live = get_active_deployment(ws, project_id)
    if live is None:
        return _("Nothing is deployed: the endpoint serves no model yet.")
    return _("Live now: {deployment}; {policy}.").format(
        deployment=describe_deployment(ws, live), policy=describe_policy(live.get("validation_policy") or "flag")
    )


def describe_policy(policy: str) -> str:
    """What the validation policy does to a row that breaks a rule learned from training, in words."""
    sentences = {
        "reject": N_("a row that breaks a rule learned from training is refused"),
        "flag": N_("a row that breaks a rule learned from training is answered and flagged"),
        "review": N_("a row that breaks a rule learned from training is answered and held for review"),
    }
    return _(sentences[check_validation_policy(policy)])


def _answer_columns(
    ws: Workspace,
    deployment: dict[str, Any],
    rows: pd.DataFrame | list[dict[str, Any]],
    *,
    keys: list[str] | None = None,
    request_ids: list[str] | None = None,
    source: str = "ui",
    seed: int | None = None,
    log: bool = True,
) -> dict[str, Any]:
    """``predict``'s answers as columns (ANSWER_COLUMNS -> a list or array each), without making a
    table of them: what the HTTP endpoint reads."""
    if not _plain_list(rows):  # plain JSON rows stay a list: the served model may read them fast
        rows = read_request(rows).reset_index(drop=True)
    n = len(rows)
    keys = [str(k) for k in keys] if keys is not None else [str(i) for i in range(n)]
    if len(keys) != n:
        raise DataError(f"The request has {n} rows but {len(keys)} keys; give one key per row.")
    request_ids = [str(r) for r in request_ids] if request_ids is not None else new_request_ids(n)
    if len(request_ids) != n:
        raise DataError(f"The request has {n} rows but {len(request_ids)} request ids; give one per row.")
    if len(set(request_ids)) != n:  # a label sent later would mark several answers
        repeated = pd.Series(request_ids)[pd.Series(request_ids).duplicated()].iloc[0]
        raise DataError(f"Request id {repeated!r} is given to more than one row; give each row its own.")
    routing: RoutingConfig = deployment["routing"]
    policy = check_validation_policy(deployment.get("validation_policy") or "flag")
    if seed is None:
        seed = deployment["id"] if routing.strategy == "ab" else int(np.random.default_rng().integers(2**31))
    decisions = route_requests(keys, routing, seed=seed)
    arms = {"champion": load_served(ws, deployment["champion_version_id"], deployment.get("champion_sha256"))}
    if deployment["challenger_version_id"]:
        arms["challenger"] = load_served(ws, deployment["challenger_version_id"], deployment.get("challenger_sha256"))
    serve = np.array([d["serve"] for d in decisions], dtype=object)
    shadow = np.array([d["shadow"] or "" for d in decisions], dtype=object)
    prediction = np.full(n, "", dtype=object)
    score = np.full(n, np.nan)
    version = np.full(n, "", dtype=object)
    latency = np.full(n, np.nan)
    error = np.full(n, "", dtype=object)
    status = np.full(n, "scored", dtype=object)
    problems = np.empty(n, dtype=object)
    shadow_prediction = np.full(n, None, dtype=object)
    shadow_score = np.full(n, np.nan)
    score_of = np.full(n, None, dtype=object)  # which class the score is the probability of
    for arm, model in arms.items():
        mask = serve == arm
        if mask.any():
            start = time.perf_counter()
            answered, _ = model.answer_columns(_take(rows, mask) if not mask.all() else rows)
            latency[mask] = (time.perf_counter() - start) * 1000 / mask.sum()
            prediction[mask] = answered["prediction"]
            score[mask] = answered["score"]
            error[mask] = answered["error"]
            status[mask] = answered["status"]
            problems[mask] = answered["problems"]
            version[mask] = model.label
            score_of[mask] = score_class(model, prediction[mask])
        shadow_mask = shadow == arm
        if shadow_mask.any():
            shadow_prediction[shadow_mask], shadow_score[shadow_mask] = _shadow_answers(model, _take(rows, shadow_mask))
    _apply_policy(policy, status, prediction, score, error, problems)
    score_of[np.isnan(score)] = None
    out = {
        "request_id": request_ids,
        "key": keys,
        "arm": serve,
        "prediction": prediction,
        "score": score,
        "version": version,
        "latency_ms": latency,
        "shadow_prediction": shadow_prediction,
        "error": error,
        "problems": problems,
        "status": status,
        "shadow_score": shadow_score,
        "score_of": score_of,
    }
    if log:
        log_answers(ws, deployment["id"], rows, out, {arm: m.version["id"] for arm, m in arms.items()}, source)
    return out


@overload
def predict(
    ws: Workspace,
    deployment: dict[str, Any],
    rows: pd.DataFrame | list[dict[str, Any]],
    *,
    keys: list[str] | None = ...,
    request_ids: list[str] | None = ...,
    source: str = ...,
    seed: int | None = ...,
    log: bool = ...,
    as_columns: Literal[False] = ...,
) -> pd.DataFrame: ...


@overload
def predict(
    ws: Workspace,
    deployment: dict[str, Any],
    rows: pd.DataFrame | list[dict[str, Any]],
    *,
    keys: list[str] | None = ...,
    request_ids: list[str] | None = ...,
    source: str = ...,
    seed: int | None = ...,
    log: bool = ...,
    as_columns: Literal[True],
) -> dict[str, Any]: ...


def predict(
    ws: Workspace,
    deployment: dict[str, Any],
    rows: pd.DataFrame | list[dict[str, Any]],
    *,
    keys: list[str] | None = None,
    request_ids: list[str] | None = None,
    source: str = "ui",
    seed: int | None = None,
    log: bool = True,
    as_columns: bool = False,
) -> pd.DataFrame | dict[str, Any]:
    """Answer a batch of requests through the deployment's routing and log every answer (scored,
    flagged, rejected, for review, or an error). ``keys`` are the routing keys (an A/B test's user
    ids); ``request_ids`` name each answer so a client can send its true label later
    (`record_feedback`); without them each row gets a fresh one. ``source`` says who asked (ui |
    http | simulator | cli). ``seed`` fixes the canary's random draws (simulations pass one); live
    calls draw afresh, except A/B, whose assignment is salted with the deployment so a user keeps
    their arm across calls. The deployment's ``validation_policy`` says what a row that breaks a
    rule learned from training gets. One row per answer, ANSWER_COLUMNS; ``as_columns`` gives them
    as columns (a list or array each) without making a table: what the HTTP endpoint reads."""
    answers = _answer_columns(
        ws, deployment, rows, keys=keys, request_ids=request_ids, source=source, seed=seed, log=log
    )
    if source == "simulator":  # the simulated traffic's events keep the online feature values in step
        from core.monitoring.simulation import keep_online_values_in_step

        keep_online_values_in_step(ws, deployment["project_id"], rows)
    return answers if as_columns else pd.DataFrame(answers)


def _plain_list(rows: Any) -> bool:
    """JSON rows as a client sends them: a non-empty list of dicts with text keys."""
    return (
        isinstance(rows, list)
        and bool(rows)
        and all(type(row) is dict and all(type(k) is str for k in row) for row in rows)
    )


def _take(rows: pd.DataFrame | list[dict[str, Any]], mask: np.ndarray) -> Any:
    """The rows where ``mask`` is True, in order."""
    if isinstance(rows, list):
        return [rows[i] for i in np.flatnonzero(mask).tolist()]
    return rows.loc[mask]


def get_answers_df(answers: pd.DataFrame) -> pd.DataFrame:
    """Answers (predict's table) to show people: each row's problems in words, not structures."""
    words = [" ".join(p["message"] for p in found) for found in answers["problems"]]
    return answers.assign(problems=words)


def _apply_policy(
    policy: str, status: np.ndarray, prediction: np.ndarray, score: np.ndarray, error: np.ndarray, problems: np.ndarray
) -> None:
    """Rows that broke a rule ("flagged" by the model) get what the policy says, in place."""
    flagged = status == "flagged"
    if not flagged.any() or policy == "flag":
        return
    if policy == "review":
        status[flagged] = "review"
        return
    status[flagged] = "rejected"
    prediction[flagged] = ""
    score[flagged] = np.nan
    error[flagged] = [" ".join(p["message"] for p in found) for found in problems[flagged]]


def positive_class(model: ServedModel) -> str | None:
    """The class a yes/no model's score is the probability of (the one it answers at or above its
    threshold); None for other tasks."""
    if model.task != "binary":
        return None
    return model.classes[1] if len(model.classes) > 1 else "1"


def score_class(model: ServedModel, predictions: np.ndarray) -> np.ndarray:
    """Per answer, the class its score is the probability of: the positive class for a yes/no model,
    the predicted class for a multi-class one (its score is the top class's probability), None for a
    regression (its score is the value)."""
    if model.task == "binary":
        return np.full(len(predictions), positive_class(model), dtype=object)
    if model.task == "regression":
        return np.full(len(predictions), None, dtype=object)
    return np.asarray(predictions, dtype=object)


def new_request_ids(n: int) -> list[str]:
    """Fresh request ids, 32 hex digits like a uuid4's: a random prefix per batch and the row's
    number, so they are unique, cheap to make and sort by batch (the log's index on them stays
    compact)."""
    prefix = f"{time.time_ns() // 1000 & (2**52 - 1):013x}{os.urandom(6).hex()}"
    return [f"{prefix}{i:07x}" for i in range(n)]


def _shadow_answers(model: ServedModel, rows: Any) -> tuple[np.ndarray, np.ndarray]:
    """The silent arm's predictions and scores; where it cannot answer (a row it cannot take, a
    column only it needs) it has none, and the answer the client gets is not affected."""
    try:
        answered, _ = model.answer_columns(rows, validate=False)
    except RequestError:
        return np.full(len(rows), None, dtype=object), np.full(len(rows), np.nan)
    ok = answered["error"] == ""
    predictions = answered["prediction"].astype(object)
    predictions[~ok] = None
    return predictions, np.where(ok, answered["score"], np.nan)
