"""Rollouts on the live deployment's own traffic (HTTP clients, the Deploy page, any source): the
same decisions as on the simulator, read from the prediction log and the labels clients sent back.

- a canary deployed with a plan (rollout_json) advances one step when the challenger has answered
  enough requests since the last step and every guardrail holds, and rolls back by itself otherwise;
- an A/B test or a shadow deployment is read out from its logged, labelled answers.
The log keeps answered requests only, so the canary's error-rate guardrail counts answers logged with
status 'error'; its score distribution compares the challenger's logged scores with the champion's
scores of the same logged inputs (scored again, silently).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from core.deployment import serving
from core.deployment.prediction_log import fill_input_json
from core.deployment.rollouts import ab, canary, shadow
from core.deployment.rollouts.class_scores import challenger_scores_of_champion_class
from core.deployment.rollouts.records import get_rollout, record_event
from core.deployment.rollouts.traffic import answer_values, get_labelled_df
from core.deployment.routing import RoutingConfig
from core.formatting import localize_number_text
from core.i18n import _, use_language
from core.workspace.database import Workspace
from core.workspace.errors import NotFoundError

LOG_COLUMNS = ["id", "arm", "prediction", "score", "shadow_prediction", "shadow_score", "latency_ms", "status",
               "input_json"]  # fmt: skip


def get_logged_df(ws: Workspace, deployment_id: int, after_id: int = 0) -> pd.DataFrame:
    """The deployment's logged answers after prediction ``after_id``, oldest first."""
    rows = ws.query(
        f"SELECT {', '.join(LOG_COLUMNS)} FROM predictions WHERE deployment_id = ? AND id > ? ORDER BY id",
        (deployment_id, after_id),
    )
    return fill_input_json(ws, pd.DataFrame(rows, columns=LOG_COLUMNS))


def _live(ws: Workspace, project_id: int, strategies: tuple[str, ...]) -> dict[str, Any]:
    live = serving.get_active_deployment(ws, project_id)
    if live is None or live["routing"].strategy not in strategies:
        raise NotFoundError(
            _("The endpoint is not running a {strategy} deployment; deploy one first.").format(
                strategy=" or ".join(s.replace("_", "-") for s in strategies)
            )
        )
    return live


def _pct(share: float) -> str:
    return localize_number_text(f"{share:g}")


def _passed(index: int, steps: tuple[float, ...], requests: int) -> str:
    """A live canary step that passed, in the current language."""
    if index >= len(steps) - 1:
        text = _("Step {step} ({share}%) passed every guardrail on {n} live requests: the ramp is complete.")
    else:
        text = _(
            "Step {step} ({share}%) passed every guardrail on {n} live requests: the challenger now gets "
            "{next}% of the traffic."
        )
    return text.format(
        step=index + 1,
        share=_pct(steps[min(index, len(steps) - 1)]),
        n=localize_number_text(f"{requests:,}"),
        next=_pct(steps[index + 1]) if index < len(steps) - 1 else "",
    )


def check_live_canary(ws: Workspace, project_id: int, *, kind: str, higher_is_better: bool) -> dict[str, Any]:
    """Judge the live canary's current step on the traffic it logged since the previous step: wait,
    advance, complete, or roll back. Returns {"decision", "sentence", "deployment_id", "step" (its evidence)}."""
    live = _live(ws, project_id, ("canary",))
    rollout = get_rollout(live) or {}
    plan = canary.CanaryPlan.from_dict(rollout.get("plan", {}))
    state = rollout.get("state", {})
    index = int(state.get("step", 0))
    share = plan.steps[min(index, len(plan.steps) - 1)]
    logged = get_logged_df(ws, live["id"])
    step_rows = logged[logged["id"] > int(state.get("last_prediction_id", 0))]
    served = int((step_rows["arm"] == "challenger").sum())
    if served < plan.min_challenger_requests:
        return {
            "decision": "waiting",
            "deployment_id": live["id"],
            "sentence": _(
                "Step {step} ({share}%): the challenger has answered {served} of the {needed} requests this "
                "step needs before the guardrails can judge it."
            ).format(step=index + 1, share=_pct(share), served=served, needed=plan.min_challenger_requests),
            "step": None,
        }
    answers = logged.assign(error=np.where(logged["status"] == "error", "error", ""))
    labelled = get_labelled_df(ws, [live["id"]])
    challenger_rows = answers[(answers["arm"] == "challenger") & (answers["error"] == "")]
    champion = serving.load_served(ws, live["champion_version_id"])
    inputs = logged_inputs(challenger_rows)
    labels, scores = champion.score(inputs)  # the champion's answers to the same requests
    challenger_scores = challenger_scores_of_champion_class(
        champion,
        serving.load_served(ws, live["challenger_version_id"]),
        inputs,
        labels,
        challenger_rows["score"].to_numpy(dtype=float),
    )
    checks = canary.check_step(
        answers,
        scores,
        labelled,
        (
            step_rows.loc[step_rows["arm"] == "champion", "latency_ms"].to_numpy(dtype=float),
            step_rows.loc[step_rows["arm"] == "challenger", "latency_ms"].to_numpy(dtype=float),
        ),
        kind=kind,
        higher_is_better=higher_is_better,
        guardrails=plan.guardrails,
        challenger_scores=challenger_scores,
    )
    evidence = {
        "step": index + 1,
        "share": share,
        "requests": len(step_rows),
        "challenger_requests": served,
        "labelled": len(labelled),
        "checks": checks,
        "source": "live traffic",
    }
    failed = [c for c in checks if not c["holds"]]
    if failed:
        result = canary.roll_back(ws, project_id, live, rollout, evidence, failed, live["champion_version_id"], [])
        return {
            "decision": "rolled back",
            "deployment_id": live["id"],
            "sentence": result["sentence"],
            "step": evidence,
        }
    last = index >= len(plan.steps) - 1
    rollout["state"] = {
        "step": index + 1,
        "status": "completed" if last else "running",
        "last_prediction_id": int(logged["id"].max()),
    }
    record_event(
        ws,
        live,
        "canary_step",
        "complete" if last else "advance",
        evidence,
        share=share,
        routing=None if last else RoutingConfig("canary", plan.steps[index + 1] / 100),
        rollout=rollout,
    )
    sentence = _passed(index, plan.steps, len(step_rows))
    with use_language("en"):  # for the audit log (the promotion's reason)
        sentence_en = _passed(index, plan.steps, len(step_rows))
    return {"decision": "complete" if last else "advance", "deployment_id": live["id"], "sentence": sentence,
            "sentence_en": sentence_en, "step": evidence}  # fmt: skip


def read_live_ab(ws: Workspace, project_id: int, design: ab.ABDesign) -> tuple[dict[str, Any], ab.ABReadout]:
    """The live A/B test's readout from the labels its clients sent back; recorded as an event."""
    live = _live(ws, project_id, ("ab",))
    labelled = get_labelled_df(ws, [live["id"]])
    labelled = labelled.assign(value=answer_values(labelled["prediction"], labelled["label"], design.kind))
    metric = "accuracy" if design.kind == "proportion" else "mean absolute error"
    readout = ab.ab_readout(labelled, design, metric)
    routed = pd.DataFrame(
        ws.query("SELECT request_key, arm FROM predictions WHERE deployment_id = ?", (live["id"],)),
        columns=["request_key", "arm"],
    )
    arms_per_user = routed.groupby("request_key")["arm"].nunique()
    sticky = {"users": int(len(arms_per_user)), "users_in_both_arms": int((arms_per_user > 1).sum())}
    evidence = {**readout.to_dict(), "sticky": sticky, "requests": len(routed), "source": "live traffic"}
    stored = {**evidence, "sentence": ab.english_sentence(labelled, design, metric)}  # the audit log keeps English
    record_event(ws, live, "ab_readout", readout.verdict, stored, share=live["routing"].challenger_share)
    return {**evidence, "deployment_id": live["id"]}, readout


def read_live_shadow(
    ws: Workspace, project_id: int, *, kind: str, higher_is_better: bool, metric: str | None = None
) -> dict[str, Any]:
    """The live shadow comparison from the log: agreement, score differences, segments (from the logged
    inputs), and the labelled metric of each; recorded as an event."""
    live = _live(ws, project_id, ("shadow",))
    logged = get_logged_df(ws, live["id"])
    logged = logged[logged["shadow_prediction"].notna()].reset_index(drop=True)
    if logged.empty:
        raise NotFoundError(_("The live shadow deployment has logged no answers yet; send it some requests first."))
    inputs = logged_inputs(logged)
    shadow_scores = logged["shadow_score"].to_numpy(dtype=float)
    challenger = serving.load_served(ws, live["challenger_version_id"])
    if not np.isfinite(shadow_scores).any():  # logged before the shadow's score was kept: score the inputs again
        shadow_scores = challenger.score(inputs)[1]
    # multi-class: the shadow's probability of the class the champion answered, not of its own top class
    champion = serving.load_served(ws, live["champion_version_id"])
    shadow_scores = challenger_scores_of_champion_class(
        champion, challenger, inputs, logged["prediction"], shadow_scores
    )
    answers = logged.assign(error="")
    readout = shadow.shadow_readout(
        answers,
        inputs,
        shadow_scores,
        get_labelled_df(ws, [live["id"]]),
        kind=kind,
        higher_is_better=higher_is_better,
        metric=metric,
        positive_class=serving.positive_class(champion),
    )
    evidence = shadow.stored_evidence(readout) | {"source": "live traffic"}
    record_event(ws, live, "shadow_readout", readout["verdict"], evidence)
    return {**readout, "source": "live traffic", "deployment_id": live["id"]}


def logged_inputs(logged: pd.DataFrame) -> pd.DataFrame:
    """The request rows behind logged answers, from their input_json (numbers as numbers again)."""
    inputs = pd.DataFrame([json.loads(text or "{}") for text in logged["input_json"]])
    return inputs.apply(_numbers_if_numeric) if len(inputs.columns) else inputs


def _numbers_if_numeric(column: pd.Series) -> pd.Series:
    """Logged inputs are text; a column whose every value reads as a number is numbers again."""
    numbers = pd.to_numeric(column, errors="coerce")
    return numbers if numbers.notna().sum() == column.notna().sum() else column
