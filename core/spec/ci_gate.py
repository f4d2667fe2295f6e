"""The CI gate (``mlops-studio gate``): train on new data with a spec's choices, up to the gate, and decide
GO or NO-GO by the spec's checks — in a temporary workspace that is deleted afterwards, so a CI job that
gates every night leaves no project behind.

- ``against``: the project whose model is in production (its champion). The candidate must not lose to
  it on the new data's held-out rows — the rule of the Train page's challenger check: a paired bootstrap
  of (candidate − production) on the same rows, NO-GO only when the 95% interval says production is
  really better (a tie passes: retraining on fresh data is the point, and a difference the interval
  cannot tell from zero is noise). Metrics without a bootstrap are compared value to value.
- The latency check is measured again, robustly: warm-up calls, then the median of several batches of
  one-row requests, in CPU time — on a loaded CI machine the time spent waiting for a core is the
  neighbours', not the model's, and a single slow call must not fail the build by chance.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from joblib import parallel_config

from core.evaluation.gate import GateResult, check_gate
from core.i18n import _
from core.pipeline import PipelineRun
from core.spec import convert
from core.spec.apply import project_name, read_spec_data, require_target
from core.spec.models import PipelineSpec
from core.spec.replay import decide_gate, pipeline_config, spec_steps
from core.stages.lab import score_champion
from core.training import tracking
from core.workspace import projects
from core.workspace.database import Workspace, close_read_connection
from core.workspace.errors import NotFoundError

#: The steps a CI gate runs: up to the gate's decision (nothing is registered or deployed).
GATE_STEPS = ("data", "clean", "problem", "features", "train", "tune")
#: How the gate times one request: warm-up calls (caches, lazy imports), then the median of batches.
LATENCY_WARMUP_CALLS = 5
LATENCY_BATCHES = 7
LATENCY_BATCH_CALLS = 10


@dataclass(frozen=True)
class GateOutcome:
    """What a CI gate decided: GO or NO-GO, from which checks, for which model."""

    project: str
    passed: bool
    metric: str
    value: float | None
    threshold: float
    model: str
    checks: tuple[dict[str, Any], ...]
    leaderboard: list[dict[str, Any]]
    validation: str
    rows: int
    against: str | None = None  # the production project compared with, when given
    data_note: str | None = None  # e.g. the data is not the uploaded file the spec was made from

    @property
    def decision(self) -> str:
        return "GO" if self.passed else "NO-GO"

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "decision": self.decision,
            "passed": self.passed,
            "metric": self.metric,
            "value": self.value,
            "threshold": self.threshold,
            "model": self.model,
            "validation": self.validation,
            "rows": self.rows,
            "against": self.against,
            "data_note": self.data_note,
            "checks": [{k: check.get(k) for k in ("name", "passed", "decides", "sentence")} for check in self.checks],
            "leaderboard": self.leaderboard,
        }


def measure_latency_ms(pipeline: Any, row: pd.DataFrame, task: str) -> float:
    """Milliseconds of CPU to answer one one-row request, as the endpoint does (probabilities for a
    classifier, the prediction for a regressor): after LATENCY_WARMUP_CALLS calls, the median of
    LATENCY_BATCHES batches of LATENCY_BATCH_CALLS calls each."""
    answer = pipeline.predict if task == "regression" else pipeline.predict_proba
    batches = []
    with parallel_config(backend="sequential"):
        for _call in range(LATENCY_WARMUP_CALLS):
            answer(row)
        for _batch in range(LATENCY_BATCHES):
            started = time.process_time()
            for _call in range(LATENCY_BATCH_CALLS):
                answer(row)
            batches.append(1000 * (time.process_time() - started) / LATENCY_BATCH_CALLS)
    return float(statistics.median(batches))


def latency_method() -> str:
    return _(
        "(measured as the CI gate does: {warmup} warm-up calls, then the median of {batches} batches of {calls} "
        "one-row requests, in CPU time, so a busy machine's waiting does not count)"
    ).format(warmup=LATENCY_WARMUP_CALLS, batches=LATENCY_BATCHES, calls=LATENCY_BATCH_CALLS)


def _robust_latency_check(trained: dict[str, Any], holdout: pd.DataFrame) -> dict[str, Any] | None:
    result = trained["result"]
    best = result.best
    if not best.ok or best.is_baseline or not len(holdout):
        return None
    row = holdout.drop(columns=[result.problem.target], errors="ignore").head(1)
    took = measure_latency_ms(best.pipeline, row, result.problem.task)
    check = next(c for c in check_gate(result.problem, best, None, latency_ms=took).checks if c["name"] == "latency")
    return {**check, "sentence": f"{check['sentence']} {latency_method()}", "latency_ms": took}


def _production_check(
    production: Workspace, project: dict[str, Any], trained: dict[str, Any], holdout: pd.DataFrame
) -> dict[str, Any]:
    """The candidate against ``project``'s champion on the candidate's held-out rows of the new data."""
    result = trained["result"]
    champion = score_champion(
        production, int(project["id"]), result.problem, holdout, result.y_test, "provided-test-set", result.best
    )
    if champion is None:
        return {
            "name": "beats_champion",
            "passed": True,
            "informational": True,
            "sentence": _(
                "Project {project} has no model in production that answers this question, so there is "
                "nothing to compare with: the candidate is judged by the other checks."
            ).format(project=project["name"]),
        }
    check = next(
        c
        for c in check_gate(result.problem, result.best, None, champion=champion).checks
        if c["name"] == "beats_champion"
    )
    rule = _(
        "(rule: not worse than production on the new data's held-out rows — NO-GO only when the 95% "
        "interval of a paired bootstrap says production is really better; a tie passes)"
    )
    return {
        **check,
        "sentence": _("Production, project {project}: {sentence} {rule}").format(
            project=project["name"], sentence=check["sentence"], rule=rule
        ),
    }


def gate_spec(
    ws: Workspace | None,
    spec: PipelineSpec,
    *,
    data_path: str | Path | None = None,
    name: str | None = None,
    against: str | None = None,
) -> GateOutcome:
    """Train on ``data_path`` (else the spec's source) with the spec's choices, tune if it says so, and
    decide the gate by its checks: the CI gate. The training runs in a temporary workspace, deleted at
    the end: nothing is registered, deployed or left in ``ws``. ``against``: a project of ``ws`` whose
    production model the candidate must not lose to (its check then decides too)."""
    convert.check_spec(spec)
    production = None
    if against is not None:
        if ws is None:
            raise NotFoundError(
                _("--against needs the workspace that holds project {project}.").format(project=against)
            )
        production = projects.resolve_project(ws, against)  # before training: a wrong name fails in a second
    data = read_spec_data(spec, data_path)
    target = require_target(spec, data.df)
    convert.check_against(spec, data.df, target)
    config = pipeline_config(spec, target, project_name(spec, data, name))
    with tempfile.TemporaryDirectory(prefix="mlops-gate-") as folder:
        scratch = Workspace(folder)
        try:
            return _gate_in(scratch, spec, data, target, config, ws, production)
        finally:
            close_read_connection()  # the thread's reader points into the folder about to go


def _gate_in(scratch, spec, data, target, config, ws, production) -> GateOutcome:
    project = projects.create_unique_project(scratch, config.project_name, source=data.source_name)
    pid = int(project["id"])
    run = PipelineRun(
        scratch,
        pid,
        config,
        data.df,
        data.info,
        data.source_name,
        convert.cleaning_recipe(spec),
        train_config=convert.train_config(spec),
    )
    projects.start_build(scratch, pid)
    for step in spec_steps(spec, target, data.upload):
        if step.key not in GATE_STEPS or not step.applies(run):
            continue
        with projects.build_step(scratch, pid, step.key):
            step.work(run)
    projects.finish_build(scratch, pid)
    assert run.trained is not None
    holdout = tracking.load_holdout(scratch, run.trained["experiment"])
    gate: GateResult = run.trained["gate"]
    checks = [check for check in gate.checks if check["name"] not in ("latency", "beats_champion")]
    latency = _robust_latency_check(run.trained, holdout)
    if latency is not None:
        checks.append(latency)
    deciding = list(spec.gate.checks)
    if production is not None and ws is not None:
        checks.append(_production_check(ws, production, run.trained, holdout))
        deciding.append("beats_champion")
    gate = decide_gate(GateResult(**{**gate.__dict__, "checks": tuple(checks)}), deciding)
    value = gate.value if gate.value == gate.value else None  # NaN: the metric could not be computed
    return GateOutcome(
        project=str(project["name"]),
        passed=gate.passed,
        metric=gate.metric,
        value=value,
        threshold=gate.threshold,
        model=gate.model,
        checks=gate.checks,
        leaderboard=run.trained["result"].to_summary(),
        validation=run.trained["result"].validation,
        rows=int(len(data.df)),
        against=None if production is None else str(production["name"]),
        data_note=data.note,
    )
