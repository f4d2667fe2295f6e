"""The retraining loop that runs itself: a project's retraining policy, and the timeline of an autopilot
run (one event per step, also in the audit log). The loop itself is core/stages/autopilot.py."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from typing import Any

import pandas as pd

from core.formatting import format_count
from core.i18n import N_, _, ngettext
from core.monitoring.simulation import SCENARIOS
from core.workspace.database import Workspace, inserted_id, now
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.jsonable import dumps

TRIGGERS: dict[str, str] = {
    "alert": N_("retrain when monitoring recommends it (an alert: decay, drift the model relies on, new values)"),
    "schedule": N_("retrain every N windows of simulated traffic, whatever monitoring says"),
    "manual": N_("never retrain by itself: the autopilot only watches; retrain with the Retrain button"),
}
# The shadow first: it judges a retrained model on the project's metric over labelled requests. A canary's
# guardrails compare the challenger's scores with the champion's, and a model retrained after the concept
# changed is meant to score differently: it was rolled back every round (wine: macro F1 0.97 against 0.40).
RELEASES: dict[str, str] = {
    "shadow": N_(
        "it scores every request without answering, and is promoted only if it would have done better on "
        "the project's metric"
    ),
    "canary": N_(
        "a ramp of traffic shares, each step only if the guardrails hold, rolled back by itself if not; its "
        "score-distribution guardrail rolls back a model whose scores differ from the champion's, as a model "
        "retrained after a change of concept's do"
    ),
}
STEPS = ("start", "traffic", "report", "decision", "retrain", "gate", "release", "evidence", "verdict", "end")
RUN_STATES = ("running", "done", "stopped", "failed", "interrupted")
MAX_ROUNDS = 10


@dataclass(frozen=True)
class AutopilotPolicy:
    """When the autopilot retrains and how it releases what it retrained."""

    trigger: str = "alert"
    every_windows: int = 6  # trigger "schedule": retrain once this many windows have passed since the last
    release: str = "shadow"
    steps: tuple[float, ...] = (5.0, 25.0, 50.0, 100.0)  # the canary's ramp, in percent
    scenario: str = "concept"
    rounds: int = 2
    windows: int = 6
    rows_per_window: int = 500
    drift_start: int = 3
    seed: int = 0

    def validate(self) -> AutopilotPolicy:
        for name, allowed in (("trigger", TRIGGERS), ("release", RELEASES), ("scenario", SCENARIOS)):
            if getattr(self, name) not in allowed:
                raise ConfigError(
                    f"The '{name}' of AutopilotPolicy must be one of {', '.join(allowed)}; "
                    f"got {getattr(self, name)!r} instead."
                )
        for name, low, high in (
            ("every_windows", 1, 1000),
            ("rounds", 1, MAX_ROUNDS),
            ("windows", 2, 12),
            ("rows_per_window", 50, 5000),
            ("seed", 0, 2**31),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(
                    f"The '{name}' of AutopilotPolicy must be a whole number from {low} to {high}; "
                    f"got {value!r} instead."
                )
        if isinstance(self.drift_start, bool) or not isinstance(self.drift_start, int):
            raise ConfigError(f"The 'drift_start' of AutopilotPolicy must be a whole number; got {self.drift_start!r}.")
        if not 1 <= self.drift_start <= self.windows:
            raise ConfigError(
                f"The 'drift_start' of AutopilotPolicy must be a window from 1 to {self.windows}; "
                f"got {self.drift_start!r} instead."
            )
        if not self.steps or any(isinstance(s, bool) or not isinstance(s, (int, float)) for s in self.steps):
            raise ConfigError(f"The 'steps' of AutopilotPolicy must be percentages; got {self.steps!r} instead.")
        return self

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["steps"] = list(self.steps)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AutopilotPolicy:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if "steps" in values:
            values["steps"] = tuple(float(s) for s in values["steps"])
        return cls(**values).validate()

    def describe(self) -> str:
        """The policy in one sentence."""
        if self.trigger == "schedule":
            when = ngettext(
                "retrains every {n} window of traffic", "retrains every {n} windows of traffic", self.every_windows
            ).format(n=self.every_windows)
        else:
            when = _("retrains when monitoring recommends it")
        rounds = ngettext(
            "Up to {n} round of {windows} windows × {rows} rows of the '{scenario}' scenario",
            "Up to {n} rounds of {windows} windows × {rows} rows of the '{scenario}' scenario",
            self.rounds,
        ).format(n=self.rounds, windows=self.windows, rows=format_count(self.rows_per_window), scenario=self.scenario)
        if self.trigger == "manual":
            return _("{rounds}; the autopilot only watches: retraining and releasing are left to you.").format(
                rounds=rounds
            )
        ramp = "→".join(f"{s:g}" for s in self.steps)
        how = _("a canary ({ramp}%)").format(ramp=ramp) if self.release == "canary" else _("a shadow")
        return _("{rounds}; the autopilot {when} and releases the retrained challenger as {how}.").format(
            rounds=rounds, when=when, how=how
        )


# -- The stored policy ------------------------------------------------------------------------------
def get_policy(ws: Workspace, project_id: int) -> AutopilotPolicy:
    """The project's policy, or the default one when none was saved."""
    row = ws.query_one("SELECT policy_json FROM autopilot_policies WHERE project_id = ?", (project_id,))
    return AutopilotPolicy.from_dict(json.loads(row["policy_json"])) if row else AutopilotPolicy()


def save_policy(ws: Workspace, project_id: int, policy: AutopilotPolicy) -> AutopilotPolicy:
    policy.validate()
    with ws.transaction() as conn:
        conn.execute(
            """INSERT INTO autopilot_policies (project_id, policy_json, updated_at) VALUES (?, ?, ?)
               ON CONFLICT(project_id) DO UPDATE SET policy_json = excluded.policy_json,
               updated_at = excluded.updated_at""",
            (project_id, dumps(policy.to_dict()), now()),
        )
        ws.audit(conn, project_id, "autopilot.policy", policy.to_dict())
    return policy


# -- Runs and their timeline ------------------------------------------------------------------------
def create_run(ws: Workspace, project_id: int, policy: AutopilotPolicy, start_deployment_id: int | None) -> int:
    with ws.transaction() as conn:
        return inserted_id(
            conn.execute(
                """INSERT INTO autopilot_runs (project_id, policy_json, status, start_deployment_id, started_at)
                   VALUES (?, ?, 'running', ?, ?)""",
                (project_id, dumps(policy.to_dict()), start_deployment_id, now()),
            )
        )


def attach_job(ws: Workspace, run_id: int, job_id: int) -> None:
    with ws.transaction() as conn:
        conn.execute("UPDATE autopilot_runs SET job_id = ? WHERE id = ?", (job_id, run_id))


def add_event(
    ws: Workspace,
    run: dict[str, Any],
    round_number: int,
    step: str,
    status: str,
    sentence: str,
    links: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One step on the run's timeline, and the same in the audit log (action ``autopilot.<step>``)."""
    links = {k: v for k, v in (links or {}).items() if v is not None}
    event = {"run_id": run["id"], "round": round_number, "step": step, "status": status, "sentence": sentence,
             "links": links}  # fmt: skip
    with ws.transaction() as conn:
        conn.execute(
            """INSERT INTO autopilot_events (run_id, project_id, ts, round, step, status, sentence, links_json)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (run["id"], run["project_id"], now(), round_number, step, status, sentence, dumps(links)),
        )
        ws.audit(conn, run["project_id"], f"autopilot.{step}", event)
    return event


def end_run(ws: Workspace, run_id: int, status: str, verdict: str, sentence: str) -> None:
    with ws.transaction() as conn:
        conn.execute(
            "UPDATE autopilot_runs SET status = ?, verdict = ?, sentence = ?, ended_at = ? WHERE id = ?",
            (status, verdict, sentence, now(), run_id),
        )


def get_run(ws: Workspace, run_id: int) -> dict[str, Any]:
    row = ws.query_one("SELECT * FROM autopilot_runs WHERE id = ?", (run_id,))
    if row is None:
        raise NotFoundError(f"Autopilot run {run_id} does not exist.")
    row["policy"] = AutopilotPolicy.from_dict(json.loads(row["policy_json"]))
    return row


def latest_run(ws: Workspace, project_id: int) -> dict[str, Any] | None:
    row = ws.query_one("SELECT id FROM autopilot_runs WHERE project_id = ? ORDER BY id DESC LIMIT 1", (project_id,))
    return get_run(ws, row["id"]) if row else None


def get_events(ws: Workspace, run_id: int) -> list[dict[str, Any]]:
    """The run's timeline, oldest first: {ts, round, step, status, sentence, links}."""
    rows = ws.query(
        "SELECT ts, round, step, status, sentence, links_json FROM autopilot_events WHERE run_id = ? ORDER BY id",
        (run_id,),
    )
    return [
        {k: r[k] for k in ("ts", "round", "step", "status", "sentence")}
        | {"links": json.loads(r["links_json"] or "{}")}
        for r in rows
    ]


LINK_NAMES = {
    "report_id": "report",
    "experiment_id": "experiment",
    "version": "version",
    "deployment_id": "deployment",
}


def get_timeline_df(events: list[dict[str, Any]]) -> pd.DataFrame:
    """The timeline as a table for a page: time (UTC), round, step, status, what happened, links."""
    if not events:
        return pd.DataFrame(columns=["time", "round", "step", "status", "what happened", "links"])
    return pd.DataFrame(
        {
            "time": pd.to_datetime([e["ts"] for e in events], unit="s", utc=True).strftime("%H:%M:%S"),
            "round": [e["round"] for e in events],
            "step": [e["step"] for e in events],
            "status": [e["status"] for e in events],
            "what happened": [e["sentence"] for e in events],
            "links": [describe_links(e["links"]) for e in events],
        }
    )


def describe_links(links: dict[str, Any]) -> str:
    """'report 4 · experiment 7 · version churn v3 · deployment 12'."""
    parts = []
    for key, name in LINK_NAMES.items():
        if key in links:
            value = links[key]
            parts.append(f"{name} {value}" if key != "version" else f"version {links.get('model', '')} v{value}")
    return " · ".join(p.replace("  ", " ") for p in parts)
