"""What a monitoring report led to: the retraining it triggered, and the story Monitor tells about both.

The decision of a report ("retrain recommended") is only half of the story once someone acted on it:
after a retraining the page must say what was retrained, how it scored against the champion on fresh
rows, what was registered, and what to do next; after a promotion, that the report watched a model
that no longer serves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from core.formatting import format_as, format_count
from core.i18n import _
from core.problem.definition import format_metric_value, get_metric_label, is_higher_better
from core.workspace.database import Workspace, now
from core.workspace.jsonable import dumps


def record_retraining(ws: Workspace, project_id: int, report_id: int, outcome: dict[str, Any]) -> None:
    """Keep a retraining's outcome with the report that led to it (and say so in the audit log)."""
    with ws.transaction() as conn:
        conn.execute(
            "INSERT INTO retrainings (project_id, report_id, experiment_id, outcome_json, created_at) "
            "VALUES (?,?,?,?,?)",
            (project_id, report_id, outcome["experiment_id"], dumps(outcome), now()),
        )
        ws.audit(
            conn,
            project_id,
            "monitoring.retrained",
            {
                "report_id": report_id,
                "experiment_id": outcome["experiment_id"],
                "registered": outcome.get("registered"),
            },
        )


def get_retraining(ws: Workspace, report_id: int) -> dict[str, Any] | None:
    """The latest retraining a monitoring report led to (its outcome), or None."""
    row = ws.query_one(
        "SELECT outcome_json FROM retrainings WHERE report_id = ? ORDER BY id DESC LIMIT 1", (report_id,)
    )
    return json.loads(row["outcome_json"]) if row else None


@dataclass(frozen=True)
class MonitoringVerdict:
    level: str  # success | info | warning: how the page shows it
    headline: str  # the decision, in a few words
    text: str  # the evidence and what to do next, in plain sentences


def describe_monitoring_outcome(
    recommended: bool,
    reason: str,
    metric: str,
    retraining: dict[str, Any] | None,
    monitored_version: int | None,
    live_version: int | None,
    registered_is_challenger: bool = True,
) -> MonitoringVerdict:
    """The headline of a monitoring report, given what happened after it.

    ``monitored_version`` is the champion version the report watched, ``live_version`` the one the
    endpoint serves now (None when nothing is deployed); ``registered_is_challenger`` whether the
    version the retraining registered still holds the challenger alias."""
    if monitored_version is not None and live_version is not None and live_version != monitored_version:
        return MonitoringVerdict(
            "success",
            _("v{live} now serves.").format(live=live_version),
            _(
                "This report watched v{watched}; v{live} replaced it afterwards. {reason} Simulate traffic again "
                "to watch v{live}."
            ).format(watched=monitored_version, live=live_version, reason=reason),
        )
    if retraining is None:
        if recommended:
            return MonitoringVerdict(
                "warning", _("Retrain recommended."), _("{reason} Retrain on fresh data below.").format(reason=reason)
            )
        return MonitoringVerdict("success", _("Keep monitoring."), reason)
    label = get_metric_label(metric)
    new, old = retraining.get("retrained_metric_on_fresh"), retraining.get("champion_metric_on_fresh")
    shown_new, shown_old = _distinct_values(metric, new, old)
    compared = _(
        "On {n} fresh production rows that neither model trained on, the retrained model scores {metric} {new} "
        "against the champion's {old}"
    ).format(n=format_count(retraining.get("fresh_rows_eval", 0)), metric=label, new=shown_new, old=shown_old)
    better = new is not None and old is not None and (new > old) == is_higher_better(metric) and new != old
    registered = retraining.get("registered")
    if registered and not registered_is_challenger:
        # Promoted and rolled back, or replaced by a newer challenger: there is nothing left to promote here.
        serving = (
            _("v{live} serves").format(live=live_version) if live_version is not None else _("nothing is deployed")
        )
        return MonitoringVerdict(
            "info",
            _("Retrained: v{version} was registered, but it is no longer the challenger.").format(
                version=registered["version"]
            ),
            _(
                "{reason} {compared} ({better}); it passed the gate and was registered as challenger v{version}, "
                "which has since lost that alias (promoted and rolled back, or replaced by a newer challenger): "
                "{serving}. Next: the Registry page's audit log says what happened; simulate traffic again to watch "
                "what serves now."
            ).format(
                reason=reason,
                compared=compared,
                better=_("better") if better else _("not better"),
                version=registered["version"],
                serving=serving,
            ),
        )
    if registered:
        return MonitoringVerdict(
            "info",
            _("Retrained: challenger v{version} is ready.").format(version=registered["version"]),
            _(
                "{reason} {compared} ({better}); it passed the gate and was registered as challenger v{version}. "
                "Next: promote it below, or try it beside the champion on the Deploy page (canary or shadow) first."
            ).format(
                reason=reason,
                compared=compared,
                better=_("better") if better else _("not better"),
                version=registered["version"],
            ),
        )
    return MonitoringVerdict(
        "warning",
        _("Retrained, but the new model did not pass the gate."),
        _(
            "{reason} {compared}; nothing was registered and the champion keeps serving. Next: look at what drifted "
            "and at the data, or retrain when more labelled production rows have arrived."
        ).format(reason=reason, compared=compared),
    )


def _distinct_values(metric: str, new: float | None, old: float | None) -> tuple[str, str]:
    """Both scores as the pages show them, with a third decimal when two would make them look equal."""
    shown = format_metric_value(metric, new), format_metric_value(metric, old)
    if shown[0] == shown[1] and new != old and new is not None and old is not None and abs(new) < 100:
        return format_as(new, ".3f"), format_as(old, ".3f")
    return shown
