"""Model registry in the MLflow style: numbered versions per model name, and the aliases
``champion`` (serves production) and ``challenger`` (the candidate) instead of free-text stages.

Each operation is one BEGIN IMMEDIATE transaction and writes the audit log in the same transaction,
so two people promoting at once cannot both win and no change goes unrecorded.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from core.problem.definition import ProblemConfig, to_label
from core.problem.store import get_problem
from core.registry.audit import describe_actor, describe_audit_entry
from core.workspace.actor import current_actor
from core.workspace.database import ACTORS_MIGRATION, Workspace, dumps, inserted_id, now
from core.workspace.errors import ConfigError, NotFoundError

ALIASES = ("champion", "challenger")
DEVELOPMENT, STAGING, PRODUCTION, ARCHIVED = "development", "staging", "production", "archived"


def stage_of(aliases: str | None, archived_at: float | None) -> str:
    """A version's lifecycle stage from its aliases and archiving (lifecycle.py says why)."""
    names = (aliases or "").split(",")
    if "champion" in names:
        return PRODUCTION
    if "challenger" in names:
        return STAGING
    return ARCHIVED if archived_at is not None else DEVELOPMENT


# How the versions table shows a version in development that served in production before: it went back
# to development when another version was promoted, and stays a rollback target (lifecycle.py).
FORMER_CHAMPION = "development (former champion)"


def served_in_production(ws: Workspace, project_id: int) -> set[int]:
    """The ids of the project's versions that ever held the champion alias (served in production)."""
    rows = ws.query("SELECT detail_json FROM audit_log WHERE project_id = ? AND action = 'alias.set'", (project_id,))
    details = [json.loads(r["detail_json"] or "{}") for r in rows]
    return {d["version_id"] for d in details if d.get("alias") == "champion" and d.get("version_id") is not None}


def register_model(
    ws: Workspace,
    project_id: int,
    run_id: int,
    *,
    model_name: str,
    alias: str | None = None,
    note: str = "",
    extra_lineage: dict | None = None,
) -> dict[str, Any]:
    """Register a run's fitted pipeline as the next version of ``model_name``."""
    if alias is not None and alias not in ALIASES:
        raise ConfigError(f"The alias must be one of {', '.join(ALIASES)}; got '{alias}' instead.")
    run = ws.query_one(
        """SELECT r.*, e.dataset_id, e.feature_set_id, e.gate_json, e.validation FROM runs r
           JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ? AND r.project_id = ?""",
        (run_id, project_id),
    )
    if run is None:
        raise NotFoundError(f"Run {run_id} does not exist in this project.")
    if run["model_artifact_id"] is None:
        raise ConfigError(f"Run {run_id} ({run['model_name']}) failed to train; register another run.")
    sha = ws.artifact_info(run["model_artifact_id"])["sha256"]
    lineage = {
        "run_id": run_id,
        "experiment_id": run["experiment_id"],
        "dataset_id": run["dataset_id"],
        "feature_set_id": run["feature_set_id"],
        "model_key": run["model_key"],
        "validation": run["validation"],
        **(extra_lineage or {}),
    }
    metrics = {"cv_score": run["cv_score"], **json.loads(run["test_metrics_json"] or "{}")}
    with ws.transaction() as conn:
        # Checked inside the write transaction: two sessions registering the same run at once are
        # serialised here, and the second sees the first's version (the unique index of migration 5
        # refuses a duplicate from any writer that skips this check).
        existing = conn.execute("SELECT model_name, version FROM model_versions WHERE run_id = ?", (run_id,)).fetchone()
        if existing is not None:
            raise ConfigError(
                f"Run {run_id} ({run['model_name']}) is already registered as {existing['model_name']} "
                f"v{existing['version']}; give that version an alias on the Registry page instead."
            )
        version = conn.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE project_id = ? AND model_name = ?",
            (project_id, model_name),
        ).fetchone()[0]
        cur = conn.execute(
            """INSERT INTO model_versions (project_id, model_name, version, run_id, artifact_id, sha256,
               metrics_json, lineage_json, note, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)""",
            (
                project_id,
                model_name,
                version,
                run_id,
                run["model_artifact_id"],
                sha,
                dumps(metrics),
                dumps(lineage),
                note,
                now(),
            ),
        )
        version_id = inserted_id(cur)
        ws.audit(
            conn,
            project_id,
            "model.registered",
            {
                "model": model_name,
                "version": version,
                "run_id": run_id,
                "sha256": sha,
                "note": note,
                **{k: lineage[k] for k in ("decision_threshold",) if k in lineage},
            },
        )
        if alias:
            set_alias_in(ws, conn, project_id, model_name, alias, version_id, reason="set at registration")
    return get_version(ws, version_id)


def set_alias_in(ws, conn, project_id, model_name, alias, version_id, reason) -> None:
    """Point ``alias`` at a version inside the caller's transaction, with its audit entry. An archived
    version is refused: it is retired, kept for the audit trail only (lifecycle.py)."""
    archived = (
        conn.execute("SELECT archived_at FROM model_versions WHERE id = ?", (version_id,)).fetchone()
        if ws.schema_version >= ACTORS_MIGRATION
        else None
    )
    if archived is not None and archived[0] is not None:
        number = conn.execute("SELECT version FROM model_versions WHERE id = ?", (version_id,)).fetchone()[0]
        raise ConfigError(
            f"{model_name} v{number} is archived (retired): it is kept for the audit trail and cannot be "
            f"{alias} again. Choose a version in development or staging."
        )
    old = conn.execute(
        "SELECT version_id FROM aliases WHERE project_id = ? AND model_name = ? AND alias = ?",
        (project_id, model_name, alias),
    ).fetchone()
    conn.execute(
        """INSERT INTO aliases (project_id, model_name, alias, version_id, updated_at) VALUES (?,?,?,?,?)
           ON CONFLICT(project_id, model_name, alias) DO UPDATE SET version_id = excluded.version_id,
           updated_at = excluded.updated_at""",
        (project_id, model_name, alias, version_id, now()),
    )
    ws.audit(
        conn,
        project_id,
        "alias.set",
        {
            "model": model_name,
            "alias": alias,
            "version_id": version_id,
            "previous_version_id": old[0] if old else None,
            "reason": reason,
        },
    )


def set_alias(ws: Workspace, project_id: int, model_name: str, alias: str, version_id: int, reason: str = "") -> None:
    if alias not in ALIASES:
        raise ConfigError(f"The alias must be one of {', '.join(ALIASES)}; got '{alias}' instead.")
    version = get_version(ws, version_id)
    if version["project_id"] != project_id or version["model_name"] != model_name:
        raise ConfigError(
            f"Model version id {version_id} belongs to model '{version['model_name']}' of another "
            f"project or name; an alias of '{model_name}' can only point at its own versions."
        )
    with ws.transaction() as conn:
        set_alias_in(ws, conn, project_id, model_name, alias, version_id, reason)


def promote_challenger(ws: Workspace, project_id: int, model_name: str, reason: str = "") -> dict[str, Any]:
    """The challenger becomes champion; the challenger alias is cleared. Returns the new champion."""
    return promote_version(ws, project_id, model_name, None, reason)


def promote_version(
    ws: Workspace,
    project_id: int,
    model_name: str,
    version_id: int | None,
    reason: str = "",
    request_id: int | None = None,
) -> dict[str, Any]:
    """``version_id`` (None: the challenger) becomes champion, i.e. goes to production; a challenger alias
    on it is cleared. ``request_id`` is the approved promotion request this carries out: it is checked
    and marked carried out in the same transaction, so an approval is used once (approvals.py)."""
    with ws.transaction() as conn:
        if version_id is None:
            row = conn.execute(
                "SELECT version_id FROM aliases WHERE project_id = ? AND model_name = ? AND alias = 'challenger'",
                (project_id, model_name),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"Model '{model_name}' has no challenger to promote; register one first.")
            version_id = int(row[0])
        found = conn.execute(
            "SELECT version FROM model_versions WHERE id = ? AND project_id = ? AND model_name = ?",
            (version_id, project_id, model_name),
        ).fetchone()
        if found is None:
            raise NotFoundError(f"Model '{model_name}' has no version with id {version_id} in this project.")
        champion = conn.execute(
            "SELECT version_id FROM aliases WHERE project_id = ? AND model_name = ? AND alias = 'champion'",
            (project_id, model_name),
        ).fetchone()
        if champion is not None and champion[0] == version_id:
            raise ConfigError(f"{model_name} v{found[0]} is already the champion (in production).")
        approved_by = None
        if request_id is not None:
            done = conn.execute(
                """UPDATE promotion_requests SET status = 'carried_out', carried_out_by = ?, carried_out_at = ?
                   WHERE id = ? AND version_id = ? AND status = 'approved'""",
                (current_actor().name, now(), request_id, version_id),
            )
            if done.rowcount != 1:
                raise ConfigError(
                    f"Promotion request {request_id} is not an approved request for {model_name} v{found[0]}; "
                    "ask a reviewer to approve it first."
                )
            approved_by = conn.execute(
                "SELECT reviewed_by FROM promotion_requests WHERE id = ?", (request_id,)
            ).fetchone()[0]
        set_alias_in(ws, conn, project_id, model_name, "champion", version_id, reason or "promoted")
        conn.execute(
            "DELETE FROM aliases WHERE project_id = ? AND model_name = ? AND alias = 'challenger' AND version_id = ?",
            (project_id, model_name, version_id),
        )
        ws.audit(
            conn,
            project_id,
            "model.promoted",
            {
                "model": model_name,
                "version_id": version_id,
                "reason": reason,
                "request_id": request_id,
                "approved_by": approved_by,
            },
        )
    return get_version(ws, version_id)


def rollback_champion(ws: Workspace, project_id: int, model_name: str, reason: str = "") -> dict[str, Any]:
    """Give the champion alias back to the version that held it before the current one came in.
    Rolling back again goes further back (v3 → v2 → v1), never forward to the version just left."""
    with ws.transaction() as conn:
        history = conn.execute(
            """SELECT action, detail_json FROM audit_log WHERE project_id = ?
               AND action IN ('alias.set', 'model.rolled_back') ORDER BY id""",
            (project_id,),
        ).fetchall()
        current = conn.execute(
            "SELECT version_id FROM aliases WHERE project_id = ? AND model_name = ? AND alias = 'champion'",
            (project_id, model_name),
        ).fetchone()
        if current is None:
            raise NotFoundError(f"Model '{model_name}' has no champion to roll back.")
        champions = _champion_stack(history, model_name)
        # Only versions that served in production before (approved then) and are not archived since.
        retired = {r[0] for r in conn.execute("SELECT id FROM model_versions WHERE archived_at IS NOT NULL").fetchall()}
        earlier = (
            [v for v in champions[:-1] if v not in retired and v != current[0]]
            if champions and champions[-1] == current[0]
            else []
        )
        previous = earlier[-1] if earlier else None
        if previous is None:
            raise NotFoundError(
                f"Model '{model_name}' has no earlier champion to roll back to (a rollback returns only to a "
                "version that served in production before and is not archived)."
            )
        set_alias_in(ws, conn, project_id, model_name, "champion", previous, reason or "rollback")
        ws.audit(
            conn,
            project_id,
            "model.rolled_back",
            {"model": model_name, "from_version_id": current[0], "to_version_id": previous, "reason": reason},
        )
    return get_version(ws, previous)


def _champion_stack(history: list, model_name: str) -> list[int]:
    """The champions of ``model_name`` still to roll back to, oldest first, replayed from the audit log:
    each new champion is pushed; a rollback (its alias change, then its 'model.rolled_back' entry)
    removes the version it left, so a second rollback goes to the one before."""
    stack: list[int] = []
    for action, detail_json in history:
        d = json.loads(detail_json)
        if d.get("model") != model_name:
            continue
        if action == "alias.set" and d.get("alias") == "champion":
            if not stack or stack[-1] != d["version_id"]:
                stack.append(d["version_id"])
        elif action == "model.rolled_back":
            if stack and stack[-1] == d["to_version_id"]:
                stack.pop()
            if stack and stack[-1] == d["from_version_id"]:
                stack.pop()
            if not stack or stack[-1] != d["to_version_id"]:
                stack.append(d["to_version_id"])
    return stack


def get_version(ws: Workspace, version_id: int) -> dict[str, Any]:
    return ws.get_row("model_versions", version_id, f"Model version id {version_id} does not exist.")


def version_label(version: dict[str, Any]) -> str:
    """A version as people name it: "churn v3"."""
    return f"{version['model_name']} v{version['version']}"


def get_decision_threshold(version: dict[str, Any]) -> float:
    """The score from which a registered yes/no version answers 'yes' (set at registration; 0.5
    for versions registered before the setting existed)."""
    lineage = json.loads(version.get("lineage_json") or "{}")
    return float(lineage.get("decision_threshold", 0.5))


def get_version_problem(ws: Workspace, version: dict[str, Any]) -> ProblemConfig:
    """The problem a version was registered for: what it predicts (target, task, positive class), how
    it is judged (metric, threshold, costs) and its time/group/sensitive columns, frozen in its lineage
    at registration, so a later change on the Problem page never changes what the version means.
    Versions registered before the problem was frozen fall back to their experiment's problem."""
    lineage = json.loads(version.get("lineage_json") or "{}")
    stored = lineage.get("problem")
    if stored is None and lineage.get("experiment_id") is not None:
        row = ws.query_one("SELECT problem_json FROM experiments WHERE id = ?", (lineage["experiment_id"],))
        stored = json.loads(row["problem_json"] or "{}") if row else None
    if not stored or not stored.get("target") or not stored.get("task"):
        raise NotFoundError(
            f"Model '{version['model_name']}' version {version['version']} has no recorded problem "
            "(what it predicts); register its run again from its experiment."
        )
    return ProblemConfig.from_dict(stored)


def predicts_same(a: ProblemConfig, b: ProblemConfig) -> bool:
    """Whether two problems ask for the same prediction: the same target, task and positive class.
    A new metric or gate bar judges the same model differently; it does not make another model."""

    def positive(p: ProblemConfig):
        return None if p.positive_class is None else to_label(p.positive_class)

    return (a.target, a.task, positive(a)) == (b.target, b.task, positive(b))


def get_model_names(ws: Workspace, project_id: int) -> list[str]:
    """The project's model names, the one with the newest version first."""
    rows = ws.query(
        """SELECT model_name FROM model_versions WHERE project_id = ? GROUP BY model_name
                       ORDER BY MAX(id) DESC""",
        (project_id,),
    )
    return [r["model_name"] for r in rows]


def get_model_problem(ws: Workspace, project_id: int, model_name: str) -> ProblemConfig | None:
    """What a model name predicts: its champion's problem, else its newest version's (None when unknown)."""
    version = get_alias_version(ws, project_id, model_name, "champion")
    if version is None:
        row = ws.query_one(
            "SELECT id FROM model_versions WHERE project_id = ? AND model_name = ? ORDER BY id DESC LIMIT 1",
            (project_id, model_name),
        )
        version = get_version(ws, row["id"]) if row else None
    if version is None:
        return None
    try:
        return get_version_problem(ws, version)
    except NotFoundError:
        return None


def find_model_name(ws: Workspace, project_id: int, problem: ProblemConfig) -> str | None:
    """The model name whose versions predict what ``problem`` asks for, or None."""
    for name in get_model_names(ws, project_id):
        known = get_model_problem(ws, project_id, name)
        if known is not None and predicts_same(known, problem):
            return name
    return None


def get_version_of_run(ws: Workspace, project_id: int, run_id: int) -> dict[str, Any] | None:
    """The version a run was registered as (a run is registered at most once), or None."""
    row = ws.query_one(
        "SELECT id FROM model_versions WHERE project_id = ? AND run_id = ? ORDER BY id LIMIT 1", (project_id, run_id)
    )
    return get_version(ws, row["id"]) if row else None


def get_alias_version(ws: Workspace, project_id: int, model_name: str, alias: str) -> dict[str, Any] | None:
    row = ws.query_one(
        "SELECT version_id FROM aliases WHERE project_id = ? AND model_name = ? AND alias = ?",
        (project_id, model_name, alias),
    )
    return get_version(ws, row["version_id"]) if row else None


def load_version_model(ws: Workspace, version_id: int):
    version = get_version(ws, version_id)
    info = ws.artifact_info(version["artifact_id"])
    if info["sha256"] != version["sha256"]:
        raise ConfigError(
            f"Model '{version['model_name']}' version {version['version']} points at a different "
            "file than was registered; re-register it."
        )
    return ws.load_model(version["artifact_id"])


def get_model_name(ws: Workspace, project_id: int) -> str | None:
    """The model name the pages show first: the one that predicts what the project's problem asks for
    now, else the one with the newest version (the project's problem changed and no model of the new
    problem is registered yet). None when nothing is registered."""
    problem = get_problem(ws, project_id)
    current = find_model_name(ws, project_id, problem) if problem is not None else None
    names = get_model_names(ws, project_id)
    return current or (names[0] if names else None)


def get_versions_df(ws: Workspace, project_id: int, model_name: str | None = None) -> pd.DataFrame:
    """Every version (of ``model_name`` when given), newest first, with what it predicts."""
    rows = ws.query(
        """SELECT v.id, v.model_name, v.version, v.run_id, r.model_name AS family, v.metrics_json, v.sha256,
                  v.created_at, v.note, v.lineage_json, v.duplicate_of, v.archived_at,
                  (SELECT group_concat(alias, ', ') FROM aliases a WHERE a.version_id = v.id) AS aliases
           FROM model_versions v JOIN runs r ON r.id = v.run_id WHERE v.project_id = ?
           AND (? IS NULL OR v.model_name = ?) ORDER BY v.id DESC""",
        (project_id, model_name, model_name),
    )
    records, served = [], served_in_production(ws, project_id)
    for r in rows:
        lineage = json.loads(r["lineage_json"] or "{}")
        stage = stage_of((r["aliases"] or "").replace(" ", ""), r["archived_at"])
        predicts = (lineage.get("problem") or {}).get("target", lineage.get("target"))
        rec = {
            "id": r["id"],
            "model": r["model_name"],
            "version": r["version"],
            "predicts": predicts,
            "family": r["family"],
            "aliases": r["aliases"] or "",
            "stage": FORMER_CHAMPION if stage == DEVELOPMENT and r["id"] in served else stage,
            "run": r["run_id"],
            "sha256": r["sha256"][:12],
            "note": r["note"]
            if r["duplicate_of"] is None
            else f"duplicate registration of run {r['run_id']}" + (f"; {r['note']}" if r["note"] else ""),
            "registered": pd.to_datetime(r["created_at"], unit="s").strftime("%Y-%m-%d %H:%M:%S"),
        }
        if lineage.get("task") == "binary":
            rec["decision threshold"] = get_decision_threshold(r)
        rec.update(
            {k: round(v, 4) if isinstance(v, float) else v for k, v in json.loads(r["metrics_json"] or "{}").items()}
        )
        records.append(rec)
    return pd.DataFrame(records)


def get_audit_df(ws: Workspace, project_id: int, limit: int = 200) -> pd.DataFrame:
    """Newest first: when, who did it (a person and their role, or an automatic actor), action, the entry
    in one sentence (``what``), and the raw JSON (``detail``)."""
    rows = ws.query(
        "SELECT ts, action, detail_json, actor, actor_role, on_behalf_of FROM audit_log WHERE project_id = ? ORDER BY id DESC LIMIT ?",
        (project_id, limit),
    )
    versions = {
        r["id"]: r["version"]
        for r in ws.query("SELECT id, version FROM model_versions WHERE project_id = ?", (project_id,))
    }
    return pd.DataFrame(
        [
            {
                "when": pd.to_datetime(r["ts"], unit="s").strftime("%Y-%m-%d %H:%M:%S"),
                "who": describe_actor(r),
                "action": r["action"],
                "what": describe_audit_entry(r["action"], json.loads(r["detail_json"] or "{}"), versions),
                "detail": r["detail_json"],
            }
            for r in rows
        ],
        columns=["when", "who", "action", "what", "detail"],
    )
