"""Sign-off: promotion to production needs a reviewer's approval, by a visible policy per project.

The rule (RegistryPolicy, shown on the Registry page and in the README):
- ``people_need_approval`` (on by default): a person (signed in on the studio, or on the command line)
  promotes a version only by carrying out an approved request. A data scientist requests it with a
  reason; a reviewer, another person, approves or rejects it with a comment; an approval is used once.
- ``verdicts_promote`` (on by default): a rollout's verdict (a canary that completes its ramp, the
  autopilot's rollout) promotes by itself and the audit log names it ("canary rollout",
  "autopilot"). Off: the verdict files a request a reviewer approves instead.
- The studio pipeline (``demo``, ``run``, the one-click demo) names the first champion of a new model
  itself, and code that sets no actor (a Python script) is not held by the policy (actor.py).

Every request, approval, rejection and promotion is an audit entry with who, when and why.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from core.formatting import format_count
from core.i18n import _, pgettext, use_language
from core.registry.audit import role_label
from core.registry.lifecycle import check_deployable
from core.registry.versions import get_alias_version, get_version, version_label
from core.workspace.actor import REVIEWER, current_actor, same_person
from core.workspace.database import Workspace, dumps, inserted_id, now
from core.workspace.errors import ConfigError, NotFoundError, StudioError

PENDING, APPROVED, REJECTED, CARRIED_OUT, WITHDRAWN = "pending", "approved", "rejected", "carried_out", "withdrawn"
MAX_TEXT = 2000


def status_label(status: str) -> str:
    """A request's stored status as a word in the session's language. The context tells these apart
    from the same English words said of other things ("rejected" requests of traffic are feminine in
    Portuguese; a rejected promotion request is masculine)."""
    names = {
        PENDING: pgettext("promotion request", "pending"),
        APPROVED: pgettext("promotion request", "approved"),
        REJECTED: pgettext("promotion request", "rejected"),
        CARRIED_OUT: pgettext("promotion request", "carried out"),
        WITHDRAWN: pgettext("promotion request", "withdrawn"),
    }
    return names.get(status, status.replace("_", " "))


class ApprovalRequiredError(StudioError):
    """A promotion the policy holds until a reviewer approves it. ``request_id`` is the request the
    promotion waits for, when one was filed (an automatic verdict files one itself)."""

    def __init__(self, message: str, request_id: int | None = None):
        self.request_id = request_id
        super().__init__(message)


@dataclass(frozen=True)
class RegistryPolicy:
    people_need_approval: bool = True
    verdicts_promote: bool = True

    def describe(self) -> str:
        people = (
            _(
                "Promotions to production by people need a reviewer's approval: a data scientist requests one, "
                "another person, a reviewer, approves it after reading the model card."
            )
            if self.people_need_approval
            else _("People may promote to production without a reviewer's approval (the audit log still names them).")
        )
        verdicts = (
            _("A rollout's verdict (a completed canary, the autopilot) promotes by itself and is named as the actor.")
            if self.verdicts_promote
            else _("A rollout's verdict (a completed canary, the autopilot) files a request a reviewer approves.")
        )
        return f"{people} {verdicts}"


def get_policy(ws: Workspace, project_id: int) -> RegistryPolicy:
    row = ws.query_one("SELECT registry_policy_json FROM projects WHERE id = ?", (project_id,))
    stored = json.loads(row["registry_policy_json"]) if row and row["registry_policy_json"] else {}
    known = {k: bool(v) for k, v in stored.items() if k in RegistryPolicy.__dataclass_fields__}
    return RegistryPolicy(**known)


def set_policy(ws: Workspace, project_id: int, policy: RegistryPolicy) -> RegistryPolicy:
    with ws.transaction() as conn:
        conn.execute("UPDATE projects SET registry_policy_json = ? WHERE id = ?", (dumps(asdict(policy)), project_id))
        with use_language("en"):  # the audit log stores English; the page renders it in the reader's language
            sentence = policy.describe()
        ws.audit(conn, project_id, "registry.policy", {**asdict(policy), "sentence": sentence})
    return policy


def _text(value: str, what: str) -> str:
    clean = " ".join(str(value or "").split())
    if not clean:
        raise ConfigError(_("The {what} must not be empty; say why in a sentence for the audit log.").format(what=what))
    if len(clean) > MAX_TEXT:
        raise ConfigError(
            _("The {what} must be at most {limit} characters; got {n} instead.").format(
                what=what, limit=format_count(MAX_TEXT), n=format_count(len(clean))
            )
        )
    return clean


def request_promotion(ws: Workspace, project_id: int, version_id: int, reason: str) -> dict[str, Any]:
    """File a request that ``version_id`` go to production, by the current actor, with a reason."""
    reason = _text(reason, _("reason for the promotion"))
    version = get_version(ws, version_id)
    if version["project_id"] != project_id:
        raise NotFoundError(_("Model version id {id} does not exist in this project.").format(id=version_id))
    check_deployable(version)
    label, who = version_label(version), current_actor()
    champion = get_alias_version(ws, project_id, version["model_name"], "champion")
    if champion is not None and champion["id"] == version_id:
        raise ConfigError(
            _("{label} is already the champion (in production); there is nothing to request.").format(label=label)
        )
    with ws.transaction() as conn:
        open_request = conn.execute(
            "SELECT id, status FROM promotion_requests WHERE version_id = ? AND status IN (?, ?)",
            (version_id, PENDING, APPROVED),
        ).fetchone()
        if open_request is not None:
            raise ConfigError(
                _(
                    "{label} already has an open promotion request ({id}, {status}); review or carry out that one."
                ).format(label=label, id=open_request["id"], status=status_label(open_request["status"]))
            )
        request_id = inserted_id(
            conn.execute(
                """INSERT INTO promotion_requests (project_id, version_id, model_name, status, reason,
                   requested_by, requested_role, requested_at) VALUES (?,?,?,?,?,?,?,?)""",
                (project_id, version_id, version["model_name"], PENDING, reason, who.name, who.role, now()),
            )
        )
        ws.audit(
            conn,
            project_id,
            "promotion.requested",
            {"model": version["model_name"], "version_id": version_id, "request_id": request_id, "reason": reason},
        )
    return get_request(ws, project_id, request_id)


def review_request(ws: Workspace, project_id: int, request_id: int, approve: bool, comment: str) -> dict[str, Any]:
    """A reviewer approves or rejects a pending request, with a comment. Refused: a person who is not a
    reviewer, the person who requested it (no self-approval), a request already reviewed."""
    comment = _text(comment, _("review comment"))
    who = current_actor()
    if who.role != REVIEWER:
        raise ConfigError(
            _(
                "Only a reviewer approves or rejects a promotion; you are signed in as {who}. "
                "Ask a reviewer, or sign in as one."
            ).format(who=who.label())
        )
    with ws.transaction() as conn:
        row = _open_request(conn, project_id, request_id)
        if row["status"] != PENDING:
            raise ConfigError(
                _("Promotion request {id} is already {status}.").format(
                    id=request_id, status=status_label(row["status"])
                )
            )
        if same_person(row["requested_by"], who.name):
            raise ConfigError(
                _(
                    "You ({name}) requested this promotion, so you cannot approve or reject it yourself: "
                    "another reviewer must sign it off."
                ).format(name=who.name)
            )
        status = APPROVED if approve else REJECTED
        conn.execute(
            """UPDATE promotion_requests SET status = ?, reviewed_by = ?, reviewed_role = ?, review_comment = ?,
               reviewed_at = ? WHERE id = ?""",
            (status, who.name, who.role, comment, now(), request_id),
        )
        ws.audit(
            conn,
            project_id,
            f"promotion.{status}",
            {
                "model": row["model_name"],
                "version_id": row["version_id"],
                "request_id": request_id,
                "requested_by": row["requested_by"],
                "reason": comment,
            },
        )
    return get_request(ws, project_id, request_id)


def _open_request(conn, project_id: int, request_id: int):
    """The request's row inside a write transaction, or NotFoundError naming it."""
    row = conn.execute(
        "SELECT * FROM promotion_requests WHERE id = ? AND project_id = ?", (request_id, project_id)
    ).fetchone()
    if row is None:
        raise NotFoundError(_("Promotion request {id} does not exist in this project.").format(id=request_id))
    return row


def withdraw_request(ws: Workspace, project_id: int, request_id: int) -> dict[str, Any]:
    """The person who filed a pending or approved request withdraws it."""
    who = current_actor()
    with ws.transaction() as conn:
        row = _open_request(conn, project_id, request_id)
        if row["status"] not in (PENDING, APPROVED):
            raise ConfigError(
                _("Promotion request {id} is already {status}.").format(
                    id=request_id, status=status_label(row["status"])
                )
            )
        if not same_person(row["requested_by"], who.name):
            raise ConfigError(
                _("Only {name}, who filed request {id}, can withdraw it.").format(
                    name=row["requested_by"], id=request_id
                )
            )
        conn.execute("UPDATE promotion_requests SET status = ? WHERE id = ?", (WITHDRAWN, request_id))
        ws.audit(
            conn,
            project_id,
            "promotion.withdrawn",
            {"model": row["model_name"], "version_id": row["version_id"], "request_id": request_id, "reason": ""},
        )
    return get_request(ws, project_id, request_id)


def get_request(ws: Workspace, project_id: int, request_id: int) -> dict[str, Any]:
    row = ws.query_one("SELECT * FROM promotion_requests WHERE id = ? AND project_id = ?", (request_id, project_id))
    if row is None:
        raise NotFoundError(_("Promotion request {id} does not exist in this project.").format(id=request_id))
    return dict(row)


def get_requests(ws: Workspace, project_id: int, model_name: str | None = None) -> list[dict[str, Any]]:
    """The project's promotion requests, newest first, each with its version number."""
    rows = ws.query(
        """SELECT p.*, v.version FROM promotion_requests p JOIN model_versions v ON v.id = p.version_id
           WHERE p.project_id = ? AND (? IS NULL OR p.model_name = ?) ORDER BY p.id DESC""",
        (project_id, model_name, model_name),
    )
    return [dict(r) for r in rows]


def get_requests_df(ws: Workspace, project_id: int, model_name: str | None = None) -> pd.DataFrame:
    """The requests as a table people read: which version, status, who asked and why, who reviewed."""

    def when(ts: float | None) -> str:
        return "" if ts is None else pd.to_datetime(ts, unit="s").strftime("%Y-%m-%d %H:%M:%S")

    return pd.DataFrame(
        [
            {
                "request": r["id"],
                "version": f"v{r['version']}",
                "status": status_label(r["status"]),
                "requested by": f"{r['requested_by']} ({role_label(r['requested_role'])})",
                "requested": when(r["requested_at"]),
                "reason": r["reason"],
                "reviewed by": f"{r['reviewed_by']} ({role_label(r['reviewed_role'])})" if r["reviewed_by"] else "",
                "comment": r["review_comment"] or "",
                "reviewed": when(r["reviewed_at"]),
                "carried out by": r["carried_out_by"] or "",
            }
            for r in get_requests(ws, project_id, model_name)
        ],
        columns=[
            "request", "version", "status", "requested by", "requested", "reason",
            "reviewed by", "comment", "reviewed", "carried out by",
        ],
    )  # fmt: skip


def request_headers() -> dict[str, str]:
    """The requests table's headers in the session's language (``get_requests_df`` keeps English keys)."""
    return {
        "request": _("request"),
        "version": _("version"),
        "status": _("status"),
        "requested by": _("requested by"),
        "requested": _("requested"),
        "reason": _("reason"),
        "reviewed by": _("reviewed by"),
        "comment": _("comment"),
        "reviewed": _("reviewed"),
        "carried out by": _("carried out by"),
    }


def approved_request(ws: Workspace, project_id: int, version_id: int) -> dict[str, Any] | None:
    row = ws.query_one(
        "SELECT * FROM promotion_requests WHERE project_id = ? AND version_id = ? AND status = ? ORDER BY id DESC",
        (project_id, version_id, APPROVED),
    )
    return dict(row) if row else None


def authorize_promotion(ws: Workspace, project_id: int, version_id: int, reason: str) -> int | None:
    """Whether the current actor may promote ``version_id`` now, by the project's policy. Returns the id
    of the approved request the promotion carries out (None when the policy asks for none); raises
    ApprovalRequiredError otherwise. An automatic verdict the policy holds files its own request."""
    version = get_version(ws, version_id)
    check_deployable(version)
    who, policy, label = current_actor(), get_policy(ws, project_id), version_label(version)
    approved = approved_request(ws, project_id, version_id)
    if who.is_automatic:
        if policy.verdicts_promote or approved is not None:
            return approved["id"] if approved else None
        request: dict[str, Any] | None
        try:
            request = request_promotion(ws, project_id, version_id, reason or f"{who.name} verdict")
        except ConfigError:  # already requested: wait for that one
            request = ws.query_one(
                "SELECT id FROM promotion_requests WHERE version_id = ? AND status = ?", (version_id, PENDING)
            )
        request_id = request["id"] if request else None
        raise ApprovalRequiredError(
            _(
                "{name} recommends promoting {label}; by this project's policy a reviewer approves it first "
                "(request {id} on the Registry page)."
            ).format(name=who.name, label=label, id=request_id),
            request_id,
        )
    if approved is not None:
        return int(approved["id"])
    if who.is_person and policy.people_need_approval:
        raise ApprovalRequiredError(
            _(
                "Promoting {label} needs a reviewer's approval by this project's policy: request the promotion "
                "on the Registry page (a data scientist, with a reason), and promote it once a reviewer approves it."
            ).format(label=label)
        )
    return None
