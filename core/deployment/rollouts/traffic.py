"""Simulated traffic through the live deployment, with true labels that arrive later.

A `TrafficRun` takes a table of simulated requests (the monitoring simulator's traffic: the model's
inputs, the target, a window column) and sends it, a batch at a time, through `serving.predict`
(source "simulator"), as the deployment stands at that moment: a canary's share may change between
two batches, a blue-green deployment may switch colours. Each batch is one tick of a clock; the true
label of an answer arrives ``label_delay`` ticks later, for a seeded ``label_share`` of the answers,
through `serving.record_feedback`, the same way a client's delayed label reaches the workspace.
Everything is seeded: the same table, seed and sizes give the same arms, answers and labels.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.deployment import serving
from core.i18n import _
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, DataError

WINDOW_COLUMN = "window"


@dataclass(frozen=True)
class LabelPlan:
    """When true labels arrive: ``delay`` batches after the answer, for a ``share`` of the answers."""

    delay: int = 2
    share: float = 0.6

    def validate(self) -> LabelPlan:
        if isinstance(self.delay, bool) or not isinstance(self.delay, int) or self.delay < 0:
            raise ConfigError(
                _("The label 'delay' must be a whole number of batches, 0 or more; got {delay} instead.").format(
                    delay=repr(self.delay)
                )
            )
        share = self.share
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
            raise ConfigError(
                _(
                    "The label 'share' must be between 0 and 1 (0.6: 60% of answers get their label); "
                    "got {share} instead."
                ).format(share=repr(share))
            )
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class TrafficRun:
    """Sends a simulated request table through a deployment in batches and delivers labels late.

    ``deployment`` is read afresh before every batch by ``current`` (a rollout changes it as it goes);
    ``users`` > 0 gives each request a user id drawn from that many users (the routing key of A/B)."""

    def __init__(
        self,
        ws: Workspace,
        project_id: int,
        frame: pd.DataFrame,
        target: str,
        *,
        labels: LabelPlan = LabelPlan(),
        batch_size: int = 100,
        users: int = 0,
        seed: int = 0,
    ):
        labels.validate()
        if target not in frame.columns:
            raise DataError(
                _("The simulated traffic has no column '{target}' to take true labels from.").format(target=target)
            )
        if len(frame) == 0:
            raise DataError(_("The simulated traffic is empty; simulate at least one request."))
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(
                _("The 'batch_size' must be a whole number of at least 1; got {value} instead.").format(
                    value=repr(batch_size)
                )
            )
        self.ws, self.project_id, self.target = ws, project_id, target
        self.labels, self.batch_size = labels, batch_size
        self.inputs = frame.drop(columns=[c for c in (target, WINDOW_COLUMN) if c in frame.columns]).reset_index(
            drop=True
        )
        self.truth = frame[target].reset_index(drop=True)
        rng = np.random.default_rng(seed)
        self.gets_label = rng.random(len(frame)) < labels.share
        self.users = (
            np.array([f"user-{u}" for u in rng.integers(0, users, len(frame))])
            if users
            else np.array([f"req-{i}" for i in range(len(frame))])
        )
        self.seed = seed
        self.prefix = uuid.uuid4().hex[:12]  # request ids unique across runs in one workspace
        self.position = 0
        self.tick = 0
        self.pending: list[tuple[int, str, Any]] = []  # (due tick, request id, label)
        self.labels_delivered = 0
        self._answers: list[pd.DataFrame] = []

    @property
    def remaining(self) -> int:
        return len(self.inputs) - self.position

    def send(
        self, current: Callable[[], dict[str, Any]], n: int, on_batch: Callable[[pd.DataFrame], None] | None = None
    ) -> pd.DataFrame:
        """Send the next ``n`` requests (fewer when the table runs out), a batch per tick, through the
        deployment ``current()`` returns at each tick; deliver the labels that fall due after each
        batch. Returns the answers with their tick and the true label (known to the simulator only)."""
        sent = []
        end = min(len(self.inputs), self.position + n)
        while self.position < end:
            stop = min(end, self.position + self.batch_size)
            sent.append(self._send_batch(current(), self.position, stop))
            if on_batch is not None:
                on_batch(sent[-1])
            self.position = stop
        return pd.concat(sent, ignore_index=True) if sent else pd.DataFrame()

    def _send_batch(self, deployment: dict[str, Any], start: int, stop: int) -> pd.DataFrame:
        rows = self.inputs.iloc[start:stop]
        ids = [f"sim-{self.prefix}-{i}" for i in range(start, stop)]
        out = serving.predict(
            self.ws,
            deployment,
            rows,
            keys=list(self.users[start:stop]),
            request_ids=ids,
            source="simulator",
            # A canary draws afresh each batch (seeded); A/B keeps the deployment's own salt, so a user
            # keeps their arm from batch to batch.
            seed=None if deployment["routing"].strategy == "ab" else self.seed * 1_000_003 + self.tick,
        )
        out["answered_at"] = time.time()
        out["tick"] = self.tick
        out["deployment_id"] = deployment["id"]
        out["truth"] = self.truth.iloc[start:stop].to_numpy()
        status = out["status"] if "status" in out else pd.Series("scored", index=out.index)
        answered = (out["error"] == "").to_numpy() & (status != "rejected").to_numpy()
        due = self.tick + self.labels.delay
        for i, request_id, label in zip(range(start, stop), ids, out["truth"]):
            if answered[i - start] and self.gets_label[i] and not pd.isna(label):
                self.pending.append((due, request_id, label))
        self._answers.append(out)
        self.tick += 1
        self.deliver_due()
        return out

    def deliver_due(self, *, all_pending: bool = False) -> int:
        """Send every label whose time has come (``all_pending``: every label still owed)."""
        due = [p for p in self.pending if all_pending or p[0] < self.tick]
        self.pending = [p for p in self.pending if not (all_pending or p[0] < self.tick)]
        for _tick, request_id, label in due:
            serving.record_feedback(self.ws, self.project_id, request_id, label)
        self.labels_delivered += len(due)
        return len(due)

    def answers(self) -> pd.DataFrame:
        """Every answer sent so far, in order."""
        return pd.concat(self._answers, ignore_index=True) if self._answers else pd.DataFrame()


def get_labelled_df(ws: Workspace, deployment_ids: list[int]) -> pd.DataFrame:
    """The labelled answers of these deployments, in the order their labels arrived: arm, prediction,
    score, shadow prediction and score, label, latency."""
    if not deployment_ids:
        return pd.DataFrame(columns=["arm", "prediction", "score", "shadow_prediction", "shadow_score", "label"])
    marks = ",".join("?" * len(deployment_ids))
    rows = ws.query(
        f"""SELECT id, deployment_id, request_id, request_key, arm, prediction, score, shadow_prediction,
                   shadow_score, label, labelled_at, latency_ms
            FROM predictions WHERE deployment_id IN ({marks}) AND label IS NOT NULL ORDER BY labelled_at, id""",
        tuple(deployment_ids),
    )
    return pd.DataFrame(
        rows,
        columns=[
            "id",
            "deployment_id",
            "request_id",
            "request_key",
            "arm",
            "prediction",
            "score",
            "shadow_prediction",
            "shadow_score",
            "label",
            "labelled_at",
            "latency_ms",
        ],
    )


def answer_values(predictions: pd.Series, labels: pd.Series, kind: str) -> np.ndarray:
    """Per labelled answer, the metric's value: 1.0/0.0 whether the answer was right ('proportion'), or
    its absolute error ('mean')."""
    if kind == "proportion":
        return (predictions.astype(str).to_numpy() == labels.astype(str).to_numpy()).astype(float)
    predicted = pd.to_numeric(predictions, errors="coerce").to_numpy(dtype=float)
    truth = pd.to_numeric(labels, errors="coerce").to_numpy(dtype=float)
    return np.abs(predicted - truth)
