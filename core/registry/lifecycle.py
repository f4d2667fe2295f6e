"""A version's lifecycle: development -> staging -> production -> archived, with who moved it and when.

One source of truth: the stage is read from what the registry already holds, never stored twice.
The champion alias IS production, the challenger alias IS staging, ``model_versions.archived_at`` marks
a version retired from use (kept for audit, never deployed again), and every other version is in
development. Who moved a version and when is the audit log (each alias change and archiving records
its actor). Production is reached only by a promotion (approvals.py decides whether it needs a
reviewer); it is left only when another version is promoted or the champion is rolled back.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from core.i18n import N_, _
from core.registry.audit import describe_actor
from core.registry.versions import (
    ARCHIVED,
    DEVELOPMENT,
    PRODUCTION,
    STAGING,
    get_version,
    served_in_production,
    set_alias_in,
    stage_of,
    version_label,
)
from core.workspace.database import Workspace, now
from core.workspace.errors import ConfigError

STAGES = (DEVELOPMENT, STAGING, PRODUCTION, ARCHIVED)
STAGE_OF_ALIAS = {"champion": PRODUCTION, "challenger": STAGING}
STAGE_LABELS = {
    DEVELOPMENT: N_("Development"),
    STAGING: N_("Staging (challenger)"),
    PRODUCTION: N_("Production (champion)"),
    ARCHIVED: N_("Archived (retired)"),
}
# A stage's name inside a sentence or a table cell (the stored code stays English).
STAGE_NAMES = {
    DEVELOPMENT: N_("development"),
    STAGING: N_("staging"),
    PRODUCTION: N_("production"),
    ARCHIVED: N_("archived"),
}


def stage_label(stage: str) -> str:
    """A stage code as a person reads it, in the session's language ("staging" -> "staging")."""
    return _(STAGE_NAMES[stage]) if stage in STAGE_NAMES else str(stage)


def stage_title(stage: str) -> str:
    """A stage code as an option label ("Staging (challenger)")."""
    return _(STAGE_LABELS[stage]) if stage in STAGE_LABELS else str(stage)


def get_stages(ws: Workspace, project_id: int, model_name: str | None = None) -> dict[int, str]:
    """Each version id of the project (of ``model_name`` when given) with its stage."""
    rows = ws.query(
        """SELECT v.id, v.archived_at, (SELECT group_concat(alias) FROM aliases a WHERE a.version_id = v.id) AS aliases
           FROM model_versions v WHERE v.project_id = ? AND (? IS NULL OR v.model_name = ?)""",
        (project_id, model_name, model_name),
    )
    return {r["id"]: stage_of(r["aliases"], r["archived_at"]) for r in rows}


def describe_stage(ws: Workspace, version_id: int) -> str:
    """The stage as a reviewer reads it: its label, and for a version in development that served in
    production before, that it is a former champion (a rollback can return to it)."""
    version = get_version(ws, version_id)
    stage = get_stage(ws, version_id)
    if stage == DEVELOPMENT and version_id in served_in_production(ws, version["project_id"]):
        return _("{stage}: a former champion (it served in production; a rollback can return to it)").format(
            stage=stage_title(stage)
        )
    return stage_title(stage)


def get_stage(ws: Workspace, version_id: int) -> str:
    version = get_version(ws, version_id)
    return get_stages(ws, version["project_id"], version["model_name"])[version_id]


def check_deployable(version: dict[str, Any]) -> None:
    """Refuse an archived version anywhere a version would serve (deployments, aliases)."""
    if version.get("archived_at") is not None:
        raise ConfigError(
            _(
                "{label} is archived (retired): it is kept for the audit trail and cannot be "
                "deployed or given an alias. Choose a version in development, staging or production."
            ).format(label=version_label(version))
        )


def move_to_stage(ws: Workspace, project_id: int, version_id: int, stage: str, reason: str = "") -> dict[str, Any]:
    """Move a version: development <-> staging, development or staging -> archived. Production is reached
    by a promotion (stage_promote) and left by promoting another version or rolling back; an archived
    version stays archived. Returns the version."""
    if stage not in STAGES:
        raise ConfigError(
            _("The stage must be one of {stages}; got '{stage}' instead.").format(stages=", ".join(STAGES), stage=stage)
        )
    version = get_version(ws, version_id)
    if version["project_id"] != project_id:
        raise ConfigError(_("Model version id {id} belongs to another project.").format(id=version_id))
    name, label = version["model_name"], version_label(version)
    with ws.transaction() as conn:
        aliases = conn.execute("SELECT group_concat(alias) FROM aliases WHERE version_id = ?", (version_id,)).fetchone()
        archived = conn.execute("SELECT archived_at FROM model_versions WHERE id = ?", (version_id,)).fetchone()[0]
        current = stage_of(aliases[0], archived)
        if current == stage:
            raise ConfigError(_("{label} is already in {stage}.").format(label=label, stage=stage_label(stage)))
        if current == ARCHIVED:
            raise ConfigError(
                _("{label} is archived (retired) and stays so for the audit trail; register a new run.").format(
                    label=label
                )
            )
        if stage == PRODUCTION:
            raise ConfigError(
                _(
                    "{label} reaches production by a promotion: request it (a reviewer approves) on the Registry page."
                ).format(label=label)
            )
        if current == PRODUCTION:
            raise ConfigError(
                _(
                    "{label} is in production (the champion): promote another version or roll back first, "
                    "so that something always serves."
                ).format(label=label)
            )
        if stage == STAGING:
            set_alias_in(ws, conn, project_id, name, "challenger", version_id, reason or "moved to staging")
        else:
            if current == STAGING:
                conn.execute(
                    "DELETE FROM aliases WHERE project_id = ? AND model_name = ? AND alias = 'challenger'",
                    (project_id, name),
                )
            if stage == ARCHIVED:
                conn.execute("UPDATE model_versions SET archived_at = ? WHERE id = ?", (now(), version_id))
                # A retired version's open promotion requests end with it (approvals.py).
                conn.execute(
                    """UPDATE promotion_requests SET status = 'withdrawn' WHERE version_id = ?
                       AND status IN ('pending', 'approved')""",
                    (version_id,),
                )
        ws.audit(
            conn,
            project_id,
            "model.stage",
            {"model": name, "version_id": version_id, "from": current, "to": stage, "reason": reason},
        )
    return get_version(ws, version_id)


# The audit actions that move a version between stages, and the stage each puts it in.
_MOVES = ("alias.set", "model.stage", "model.registered", "model.rolled_back")


def get_stage_history_df(ws: Workspace, project_id: int, version_id: int) -> pd.DataFrame:
    """When the version changed stage, from what to what, who did it and why; oldest first."""
    version = get_version(ws, version_id)
    rows = ws.query(
        f"""SELECT ts, action, detail_json, actor, actor_role, on_behalf_of FROM audit_log
            WHERE project_id = ? AND action IN ({", ".join("?" * len(_MOVES))}) ORDER BY id""",
        (project_id, *_MOVES),
    )
    numbers = {
        v["id"]: v["version"]
        for v in ws.query("SELECT id, version FROM model_versions WHERE project_id = ?", (project_id,))
    }
    records = []
    for r in rows:
        d = json.loads(r["detail_json"] or "{}")
        if d.get("model") != version["model_name"]:
            continue
        to = _move_of(r["action"], d, version)
        if to is None:
            continue
        why = d.get("reason") or ""
        left = d.get("alias") == "champion" and d.get("previous_version_id") == version["id"]
        if r["action"] == "alias.set" and left:
            # It left production: the reason is the new champion's, so say what happened instead.
            why = _("left production: v{number} became the champion").format(
                number=numbers.get(d.get("version_id"), "?")
            )
        records.append(
            {
                "when": pd.to_datetime(r["ts"], unit="s").strftime("%Y-%m-%d %H:%M:%S"),
                "stage": stage_label(to),
                "who": describe_actor(r),
                "why": why,
            }
        )
    return pd.DataFrame(records, columns=["when", "stage", "who", "why"])


def _move_of(action: str, d: dict, version: dict) -> str | None:
    vid = version["id"]
    if action == "model.registered" and d.get("version") == version["version"]:
        return DEVELOPMENT
    if action == "model.stage" and d.get("version_id") == vid:
        return d["to"]
    if action == "alias.set":
        if d.get("version_id") == vid:
            return STAGE_OF_ALIAS.get(d.get("alias", ""))
        if d.get("previous_version_id") == vid:
            return DEVELOPMENT  # replaced: back in development (a former champion stays a rollback target)
    return None
