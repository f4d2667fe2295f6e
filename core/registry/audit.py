"""The audit log in words: one plain sentence per entry, for the stakeholder reading the Registry
page. The raw JSON stays in the log (and beside the sentence) for the engineer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.problem.definition import format_metric_value, get_metric_label, is_higher_better


def describe_audit_entry(action: str, detail: dict[str, Any], versions: dict[int, int] | None = None) -> str:
    """One sentence for an audit entry. ``versions`` maps model-version ids to version numbers, so an
    alias change reads "v3", not "version id 7". Unknown actions list their fields."""
    versions = versions or {}
    kind, _, what = action.partition(".")
    describe = _SENTENCES.get(action) or (_dataset if kind == "dataset" else None)
    try:
        if describe is not None:
            return describe(detail, versions, what)
    except (KeyError, TypeError, ValueError):  # an entry written by an older version: fall back
        pass
    fields = "; ".join(f"{k}: {v}" for k, v in detail.items() if v not in (None, "", [], {}))
    return f"{action}: {fields}." if fields else f"{action}."


def describe_actor(row: Any) -> str:
    """Who an audit row names: "Ana (data scientist)", "autopilot (started by Ana)", or "not recorded"
    for entries written before actors were recorded."""
    name = row["actor"]
    if not name:
        return "not recorded"
    if row["actor_role"] == "automatic":
        return f"{name} (started by {row['on_behalf_of']})" if row["on_behalf_of"] else name
    return f"{name} ({row['actor_role']})" if row["actor_role"] else name


def _v(versions: dict[int, int], version_id: Any) -> str:
    return f"v{versions[version_id]}" if version_id in versions else f"version id {version_id}"


def _why(reason: Any) -> str:
    return f": {reason}" if reason else ""


def _project(d: dict, versions: dict, what: str) -> str:
    return f"Project '{d['name']}' created."


def _renamed(d: dict, versions: dict, what: str) -> str:
    return f"Project renamed from '{d['from']}' to '{d['to']}'."


def _deleted(d: dict, versions: dict, what: str) -> str:
    rows = sum(d.get("rows", {}).values())
    models = ", ".join(f"{m['model']} v{m['version']}" for m in d.get("model_versions", []))
    return (
        f"Project '{d['name']}' deleted with everything made in it: {rows:,} records and {d['files']:,} files"
        + (f", including model versions {models} (their SHA-256 are kept in this entry)" if models else "")
        + "."
    )


def _dataset(d: dict, versions: dict, kind: str) -> str:
    made_from = f", made from dataset {d['parent_id']}" if d.get("parent_id") else ""
    return (
        f"{kind.capitalize()} data saved as dataset {d['dataset_id']} ('{d['name']}', {d['rows']:,} rows{made_from})."
    )


def _problem(d: dict, versions: dict, what: str) -> str:
    metric, bar = d["metric"], format_metric_value(d["metric"], d["threshold"])
    compare = "at least" if is_higher_better(metric) else "at most"
    return (
        f"Problem set: predict '{d['target']}' ({d['task']}); the gate needs {get_metric_label(metric)} of "
        f"{compare} {bar}."
    )


def _feature_set(d: dict, versions: dict, what: str) -> str:
    return f"Feature set version {d['version']} built from dataset {d['dataset_id']}."


def _experiment(d: dict, versions: dict, what: str) -> str:
    gate = d.get("gate") or {}
    verdict = "GO" if gate.get("passed") else "NO-GO"
    score = (
        f" ({get_metric_label(gate['metric'])} {format_metric_value(gate['metric'], gate['value'])})"
        if gate.get("metric") and gate.get("value") is not None
        else ""
    )
    return (
        f"Experiment {d['experiment_id']} recorded ({d.get('kind') or 'leaderboard'}); the gate said {verdict}{score}."
    )


def _registered(d: dict, versions: dict, what: str) -> str:
    threshold = (
        f", answering yes from a score of {d['decision_threshold']:.2f}"
        if d.get("decision_threshold") is not None
        else ""
    )
    note = f"; note: {d['note']}" if d.get("note") else ""
    return f"{d['model']} v{d['version']} registered from run {d['run_id']}{threshold}{note}."


def _alias(d: dict, versions: dict, what: str) -> str:
    before = f" (was {_v(versions, d['previous_version_id'])})" if d.get("previous_version_id") else ""
    return f"The {d['alias']} of {d['model']} is now {_v(versions, d['version_id'])}{before}{_why(d.get('reason'))}."


def _promoted(d: dict, versions: dict, what: str) -> str:
    signed = f", carrying out request {d['request_id']} approved by {d['approved_by']}" if d.get("approved_by") else ""
    return f"{d['model']} {_v(versions, d['version_id'])} promoted to champion{signed}{_why(d.get('reason'))}."


def _promotion(d: dict, versions: dict, what: str) -> str:
    """A promotion request's step: requested (with its reason), approved or rejected (with the comment)."""
    target = f"{d['model']} {_v(versions, d['version_id'])}"
    if what == "requested":
        return f"Promotion of {target} to production requested (request {d['request_id']}){_why(d.get('reason'))}."
    asked = f", requested by {d['requested_by']}" if d.get("requested_by") else ""
    return f"Promotion request {d['request_id']} for {target} {what}{asked}{_why(d.get('reason'))}."


def _stage(d: dict, versions: dict, what: str) -> str:
    return f"{d['model']} {_v(versions, d['version_id'])} moved from {d['from']} to {d['to']}{_why(d.get('reason'))}."


def _policy(d: dict, versions: dict, what: str) -> str:
    return f"Registry policy set: {d['sentence']}"


def _rolled_back(d: dict, versions: dict, what: str) -> str:
    return (
        f"{d['model']} rolled back from {_v(versions, d['from_version_id'])} to "
        f"{_v(versions, d['to_version_id'])}{_why(d.get('reason'))}."
    )


def _deployment(d: dict, versions: dict, what: str) -> str:
    strategy = (d.get("routing") or {}).get("strategy", "single")
    challenger = f" and challenger {_v(versions, d['challenger_version_id'])}" if d.get("challenger_version_id") else ""
    return (
        f"Deployment {d['deployment_id']} went live ({strategy}) with champion "
        f"{_v(versions, d['champion_version_id'])}{challenger}{_why(d.get('reason'))}."
    )


def _monitoring(d: dict, versions: dict, what: str) -> str:
    verdict = "retraining recommended" if d.get("retrain_recommended") else "no retraining needed"
    watched = f" watching {_v(versions, d['version_id'])}" if d.get("version_id") else ""
    return f"Monitoring report {d['report_id']}{watched} on '{d.get('scenario', 'none')}' traffic: {verdict}."


def _retrained(d: dict, versions: dict, what: str) -> str:
    made = d.get("registered")
    result = (
        f"registered {made['model']} v{made['version']} as challenger"
        if made
        else "the gate said no, so nothing was registered"
    )
    return f"Retrained after monitoring report {d['report_id']} (experiment {d['experiment_id']}): {result}."


def _rollout(d: dict, versions: dict, what: str) -> str:
    """A rollout's decision (core.deployment.rollouts): its sentence when it has one, else its kind and
    decision; a canary step says its share."""
    share = f" at {d['share']:g}%" if what == "canary_step" and d.get("share") is not None else ""
    said = d.get("sentence") or d["decision"]
    return f"Deployment {d['deployment_id']}, {what.replace('_', ' ')}{share}: {said}".rstrip(".") + "."


_SENTENCES: dict[str, Callable[[dict, dict, str], str]] = {
    "project.created": _project,
    "project.renamed": _renamed,
    "project.deleted": _deleted,
    "problem.set": _problem,
    "feature_set.saved": _feature_set,
    "experiment.recorded": _experiment,
    "model.registered": _registered,
    "alias.set": _alias,
    "model.promoted": _promoted,
    "model.rolled_back": _rolled_back,
    "model.stage": _stage,
    "registry.policy": _policy,
    **{f"promotion.{step}": _promotion for step in ("requested", "approved", "rejected", "withdrawn")},
    "deployment.created": _deployment,
    "monitoring.report": _monitoring,
    "monitoring.retrained": _retrained,
    **{
        f"rollout.{kind}": _rollout
        for kind in (
            "canary_step",
            "ab_readout",
            "shadow_readout",
            "shadow_promoted",
            "blue_green_switch",
            "blue_green_stream",
        )
    },
}
