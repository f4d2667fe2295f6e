"""What a model card is made from, read once from the workspace's stores: the version, its frozen
problem, the run and experiment that made it, the project. Nothing is trained or recomputed here."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core import formatting, registry
from core.evaluation.gate import describe_check
from core.formatting import format_date
from core.i18n import N_, _
from core.problem.definition import ProblemConfig, get_metric_label, is_higher_better
from core.training import tracking
from core.workspace.database import Workspace
from core.workspace.errors import NotFoundError
from core.workspace.projects import get_project

TASK_WORDS = {"binary": N_("a yes/no answer"), "multiclass": N_("one of several classes"), "regression": N_("a number")}


# The gate wrote "the current champion" when it ran; a card is read later, when that model may be
# retired or be this very version (v2's card called v1, replaced by v2, "the current champion").
_CURRENT_CHAMPION = re.compile(r"\b([Tt])he current champion\b")
# The same words as the catalog translates the gate's sentences ("o campeão atual"): a check is
# re-rendered in the reader's language (core.evaluation.gate.describe_check) before this rewrite.
_CURRENT_CHAMPION_PT = re.compile(r"\b([Oo]) campeão atual\b")


def as_of_gate(sentence: str) -> str:
    """A gate sentence as a card states it: "the champion at the time of the gate (v1)"."""
    sentence = _CURRENT_CHAMPION.sub(lambda m: f"{m.group(1)}he champion at the time of the gate", sentence)
    return _CURRENT_CHAMPION_PT.sub(lambda m: f"{m.group(1)} campeão na época do portão", sentence)


def describe_gate_check(check: dict[str, Any]) -> str:
    """A gate check's sentence in the reader's language, as of the gate (see ``as_of_gate``)."""
    return as_of_gate(describe_check(check))


@dataclass(frozen=True)
class CardContext:
    ws: Workspace
    project: dict[str, Any]
    version: dict[str, Any]
    lineage: dict[str, Any]
    problem: ProblemConfig
    run: dict[str, Any]
    experiment: dict[str, Any]

    @property
    def label(self) -> str:
        return registry.version_label(self.version)

    @property
    def metric_label(self) -> str:
        return get_metric_label(self.problem.metric)

    @property
    def bar_words(self) -> str:
        return _("at least") if is_higher_better(self.problem.metric) else _("at most")

    @property
    def gate(self) -> dict[str, Any]:
        """The gate's verdict frozen at registration (older versions: their experiment's), its
        sentences read in the past: see ``as_of_gate``."""
        gate = self.lineage.get("gate")
        if gate is None:
            gate = json.loads(self.experiment.get("gate_json") or "{}")
        if not gate:
            return {}
        checks = [{**c, "sentence": as_of_gate(str(c.get("sentence", "")))} for c in gate.get("checks", [])]
        return {**gate, "checks": checks}

    @property
    def gate_checked_this_model(self) -> bool:
        return self.experiment.get("best_run_id") == self.run["id"]

    @property
    def aliases(self) -> list[str]:
        rows = self.ws.query("SELECT alias FROM aliases WHERE version_id = ? ORDER BY alias", (self.version["id"],))
        return [r["alias"] for r in rows]


def load_card_context(ws: Workspace, version_id: int) -> CardContext:
    version = registry.get_version(ws, version_id)
    lineage = json.loads(version.get("lineage_json") or "{}")
    run = tracking.get_run(ws, version["run_id"])
    experiment = tracking.get_experiment(ws, run["experiment_id"])
    return CardContext(
        ws=ws,
        project=get_project(ws, int(version["project_id"])),
        version=version,
        lineage=lineage,
        problem=registry.get_version_problem(ws, version),
        run=run,
        experiment=experiment,
    )


def resolve_card_version(
    ws: Workspace, project_id: int, version: int | None = None, model_name: str | None = None
) -> dict[str, Any]:
    """The version a card is about: version number ``version`` of the model (by default the project's
    model, as the pages show it first), else its champion, else its newest version."""
    names = registry.get_model_names(ws, project_id)
    if not names:
        raise NotFoundError("This project has no registered model yet; register one on the Registry page first.")
    if model_name is not None and model_name not in names:
        raise NotFoundError(f"Model '{model_name}' does not exist in this project; its models are {', '.join(names)}.")
    name = model_name or registry.get_model_name(ws, project_id) or names[0]
    if version is not None:
        row = ws.query_one(
            "SELECT id FROM model_versions WHERE project_id = ? AND model_name = ? AND version = ?",
            (project_id, name, version),
        )
        if row is None:
            known = ws.query(
                "SELECT version FROM model_versions WHERE project_id = ? AND model_name = ? ORDER BY version",
                (project_id, name),
            )
            listed = ", ".join(str(r["version"]) for r in known)
            raise NotFoundError(f"Model '{name}' version {version} does not exist; its versions are {listed}.")
        return registry.get_version(ws, row["id"])
    champion = registry.get_alias_version(ws, project_id, name, "champion")
    if champion is not None:
        return champion
    row = ws.query_one(
        "SELECT id FROM model_versions WHERE project_id = ? AND model_name = ? ORDER BY version DESC LIMIT 1",
        (project_id, name),
    )
    assert row is not None  # get_model_name returned a name with versions
    return registry.get_version(ws, row["id"])


def format_when(ts: float | None) -> str:
    """A stored timestamp (seconds) as people read it: "2026-12-05 01:10 UTC" ("05/12/2026 01:10 UTC" in
    Portuguese)."""
    if ts is None:
        return _("unknown")
    moment = pd.to_datetime(float(ts), unit="s")
    return f"{format_date(moment.normalize())} {moment:%H:%M} UTC"


def format_count(n: Any) -> str:
    return formatting.format_count(int(n))
