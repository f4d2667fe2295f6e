"""The audit log in words: one plain sentence per entry, for the stakeholder reading the Registry
page. The raw JSON stays in the log (and beside the sentence) for the engineer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.formatting import format_as, format_count, format_number
from core.i18n import N_, _, pgettext
from core.problem.definition import format_metric_value, get_metric_label, is_higher_better

ROLE_NAMES = {
    "data scientist": N_("data scientist"),
    "reviewer": N_("reviewer"),
    "command line": N_("command line"),
    "script": N_("script"),
    "visitor": N_("visitor"),
}


def role_label(role: str | None) -> str:
    """A stored actor role ("data scientist") in the session's language."""
    if role == "automatic":  # a process acting: masculine in Portuguese, unlike an automatic split
        return pgettext("actor role", "automatic")
    return _(ROLE_NAMES[role]) if role in ROLE_NAMES else str(role or "")


def describe_audit_entry(action: str, detail: dict[str, Any], versions: dict[int, int] | None = None) -> str:
    """One sentence for an audit entry, in the session's language (the stored row stays as it was:
    codes and English detail). ``versions`` maps model-version ids to version numbers, so an alias
    change reads "v3", not "version id 7". Unknown actions list their fields."""
    versions = versions or {}
    kind, _sep, what = action.partition(".")
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
        return _("not recorded")
    if row["actor_role"] == "automatic":
        if row["on_behalf_of"]:
            return _("{name} (started by {person})").format(name=name, person=row["on_behalf_of"])
        return str(name)
    return f"{name} ({role_label(row['actor_role'])})" if row["actor_role"] else str(name)


def _v(versions: dict[int, int], version_id: Any) -> str:
    return f"v{versions[version_id]}" if version_id in versions else _("version id {id}").format(id=version_id)


def _why(reason: Any) -> str:
    return f": {reason}" if reason else ""


def _project(d: dict, versions: dict, what: str) -> str:
    return _("Project '{name}' created.").format(name=d["name"])


def _renamed(d: dict, versions: dict, what: str) -> str:
    return _("Project renamed from '{old}' to '{new}'.").format(old=d["from"], new=d["to"])


def _deleted(d: dict, versions: dict, what: str) -> str:
    rows = sum(d.get("rows", {}).values())
    models = ", ".join(f"{m['model']} v{m['version']}" for m in d.get("model_versions", []))
    if models:
        return _(
            "Project '{name}' deleted with everything made in it: {rows} records and {files} files, including "
            "model versions {models} (their SHA-256 are kept in this entry)."
        ).format(name=d["name"], rows=format_count(rows), files=format_count(d["files"]), models=models)
    return _("Project '{name}' deleted with everything made in it: {rows} records and {files} files.").format(
        name=d["name"], rows=format_count(rows), files=format_count(d["files"])
    )


_DATA_KINDS = {"raw": N_("Raw"), "clean": N_("Clean"), "cleaned": N_("Cleaned")}


def _dataset(d: dict, versions: dict, kind: str) -> str:
    label = _(_DATA_KINDS[kind]) if kind in _DATA_KINDS else kind.capitalize()
    if d.get("parent_id"):
        return _("{kind} data saved as dataset {id} ('{name}', {rows} rows, made from dataset {parent}).").format(
            kind=label, id=d["dataset_id"], name=d["name"], rows=format_count(d["rows"]), parent=d["parent_id"]
        )
    return _("{kind} data saved as dataset {id} ('{name}', {rows} rows).").format(
        kind=label, id=d["dataset_id"], name=d["name"], rows=format_count(d["rows"])
    )


def _problem(d: dict, versions: dict, what: str) -> str:
    metric, bar = d["metric"], format_metric_value(d["metric"], d["threshold"])
    sentence = (
        _("Problem set: predict '{column}' ({task}); the gate needs {metric} of at least {bar}.")
        if is_higher_better(metric)
        else _("Problem set: predict '{column}' ({task}); the gate needs {metric} of at most {bar}.")
    )
    return sentence.format(column=d["target"], task=d["task"], metric=get_metric_label(metric), bar=bar)


def _feature_set(d: dict, versions: dict, what: str) -> str:
    return _("Feature set version {version} built from dataset {dataset}.").format(
        version=d["version"], dataset=d["dataset_id"]
    )


def _experiment(d: dict, versions: dict, what: str) -> str:
    gate = d.get("gate") or {}
    verdict = "GO" if gate.get("passed") else "NO-GO"
    score = (
        f" ({get_metric_label(gate['metric'])} {format_metric_value(gate['metric'], gate['value'])})"
        if gate.get("metric") and gate.get("value") is not None
        else ""
    )
    return _("Experiment {id} recorded ({kind}); the gate said {verdict}{score}.").format(
        id=d["experiment_id"], kind=d.get("kind") or "leaderboard", verdict=verdict, score=score
    )


def _registered(d: dict, versions: dict, what: str) -> str:
    threshold = (
        _(", answering yes from a score of {cut}").format(cut=format_number(d["decision_threshold"]))
        if d.get("decision_threshold") is not None
        else ""
    )
    note = _("; note: {note}").format(note=d["note"]) if d.get("note") else ""
    return _("{model} v{version} registered from run {run}{cut}{note}.").format(
        model=d["model"], version=d["version"], run=d["run_id"], cut=threshold, note=note
    )


ALIAS_NAMES = {"champion": N_("champion"), "challenger": N_("challenger")}


def _alias(d: dict, versions: dict, what: str) -> str:
    before = (
        _(" (was {version})").format(version=_v(versions, d["previous_version_id"]))
        if d.get("previous_version_id")
        else ""
    )
    alias = _(ALIAS_NAMES[d["alias"]]) if d["alias"] in ALIAS_NAMES else d["alias"]
    return _("The {alias} of {model} is now {version}{before}{why}.").format(
        alias=alias, model=d["model"], version=_v(versions, d["version_id"]), before=before, why=_why(d.get("reason"))
    )


def _promoted(d: dict, versions: dict, what: str) -> str:
    signed = (
        _(", carrying out request {request} approved by {who}").format(request=d["request_id"], who=d["approved_by"])
        if d.get("approved_by")
        else ""
    )
    return _("{model} {version} promoted to champion{signed}{why}.").format(
        model=d["model"], version=_v(versions, d["version_id"]), signed=signed, why=_why(d.get("reason"))
    )


_REVIEW_STEPS = {
    "approved": N_("Promotion request {request} for {subject} approved{asked}{why}."),
    "rejected": N_("Promotion request {request} for {subject} rejected{asked}{why}."),
    "withdrawn": N_("Promotion request {request} for {subject} withdrawn{asked}{why}."),
}


def _promotion(d: dict, versions: dict, what: str) -> str:
    """A promotion request's step: requested (with its reason), approved or rejected (with the comment)."""
    target = f"{d['model']} {_v(versions, d['version_id'])}"
    if what == "requested":
        return _("Promotion of {subject} to production requested (request {request}){why}.").format(
            subject=target, request=d["request_id"], why=_why(d.get("reason"))
        )
    asked = _(", requested by {who}").format(who=d["requested_by"]) if d.get("requested_by") else ""
    template = _(_REVIEW_STEPS[what]) if what in _REVIEW_STEPS else "Promotion request {request} for {subject} " + what
    return template.format(request=d["request_id"], subject=target, asked=asked, why=_why(d.get("reason")))


def _stage(d: dict, versions: dict, what: str) -> str:
    from core.registry.lifecycle import stage_label  # lifecycle imports this module

    return _("{model} {version} moved from {old} to {new}{why}.").format(
        model=d["model"],
        version=_v(versions, d["version_id"]),
        old=stage_label(d["from"]),
        new=stage_label(d["to"]),
        why=_why(d.get("reason")),
    )


def _policy(d: dict, versions: dict, what: str) -> str:
    from core.registry.approvals import RegistryPolicy  # approvals imports this module's neighbours

    policy = RegistryPolicy(bool(d["people_need_approval"]), bool(d["verdicts_promote"]))
    return _("Registry policy set: {policy}").format(policy=policy.describe())


def _rolled_back(d: dict, versions: dict, what: str) -> str:
    return _("{model} rolled back from {old} to {new}{why}.").format(
        model=d["model"],
        old=_v(versions, d["from_version_id"]),
        new=_v(versions, d["to_version_id"]),
        why=_why(d.get("reason")),
    )


def _deployment(d: dict, versions: dict, what: str) -> str:
    from core.deployment.routing import strategy_name  # the deployment package imports the registry

    strategy = (d.get("routing") or {}).get("strategy", "single")
    champion, why = _v(versions, d["champion_version_id"]), _why(d.get("reason"))
    if d.get("challenger_version_id"):
        return _(
            "Deployment {id} went live ({strategy}) with champion {champion} and challenger {challenger}{why}."
        ).format(
            id=d["deployment_id"],
            strategy=strategy_name(strategy),
            champion=champion,
            challenger=_v(versions, d["challenger_version_id"]),
            why=why,
        )
    return _("Deployment {id} went live ({strategy}) with champion {champion}{why}.").format(
        id=d["deployment_id"], strategy=strategy_name(strategy), champion=champion, why=why
    )


def _monitoring(d: dict, versions: dict, what: str) -> str:
    verdict = _("retraining recommended") if d.get("retrain_recommended") else _("no retraining needed")
    scenario = d.get("scenario", "none")
    if d.get("version_id"):
        return _("Monitoring report {id} watching {version} on '{scenario}' traffic: {verdict}.").format(
            id=d["report_id"], version=_v(versions, d["version_id"]), scenario=scenario, verdict=verdict
        )
    return _("Monitoring report {id} on '{scenario}' traffic: {verdict}.").format(
        id=d["report_id"], scenario=scenario, verdict=verdict
    )


def _retrained(d: dict, versions: dict, what: str) -> str:
    made = d.get("registered")
    result = (
        _("registered {model} v{version} as challenger").format(model=made["model"], version=made["version"])
        if made
        else _("the gate said no, so nothing was registered")
    )
    return _("Retrained after monitoring report {report} (experiment {experiment}): {result}.").format(
        report=d["report_id"], experiment=d["experiment_id"], result=result
    )


_ROLLOUT_KINDS = {
    "canary_step": N_("canary step"),
    "ab_readout": N_("A/B test readout"),
    "shadow_readout": N_("shadow readout"),
    "shadow_promoted": N_("shadow promoted"),
    "blue_green_switch": N_("blue green switch"),
    "blue_green_stream": N_("blue green stream"),
}


def _rollout(d: dict, versions: dict, what: str) -> str:
    """A rollout's decision (core.deployment.rollouts): its sentence when it has one, else its kind and
    decision; a canary step says its share. The stored sentence is English: shown as recorded."""
    kind = _(_ROLLOUT_KINDS[what]) if what in _ROLLOUT_KINDS else what.replace("_", " ")
    said = d.get("sentence") or d["decision"]
    if what == "canary_step" and d.get("share") is not None:
        text = _("Deployment {id}, {kind} at {share}%: {said}").format(
            id=d["deployment_id"], kind=kind, share=format_as(d["share"], "g"), said=said
        )
    else:
        text = _("Deployment {id}, {kind}: {said}").format(id=d["deployment_id"], kind=kind, said=said)
    return text.rstrip(".") + "."


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
