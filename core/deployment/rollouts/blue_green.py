"""Blue-green: both versions loaded and warm, all traffic on one colour; a switch moves every request
to the other colour in one step (one transaction changes the live deployment's routing), and
switching back is the same step the other way. Both are rollout events and audit entries. A stream
of requests answered across the switches shows there is no gap: every request got an answer, and the
version that gave it changes at the switch instant."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from core.deployment import serving
from core.deployment.rollouts.records import get_rollout, record_event
from core.deployment.rollouts.traffic import TrafficRun
from core.deployment.routing import COLORS, RoutingConfig, colour_name
from core.formatting import localize_number_text
from core.i18n import _, ngettext, use_language
from core.workspace.database import Workspace
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.progress import Progress


def switch(ws: Workspace, project_id: int, color: str, reason: str = "") -> dict[str, Any]:
    """Send every request of the live blue-green deployment to ``color`` at once. Returns the event
    evidence: from, to, and how long the switch took."""
    if color not in COLORS:
        raise ConfigError(
            _("The colour must be one of {colours}; got {colour} instead.").format(
                colours=", ".join(COLORS), colour=repr(color)
            )
        )
    live = serving.get_active_deployment(ws, project_id)
    if live is None or live["routing"].strategy != "blue_green":
        raise NotFoundError(
            _("The endpoint is not running a blue-green deployment; deploy one with strategy blue_green.")
        )
    before = live["routing"].active_color
    start = time.perf_counter()
    rollout = get_rollout(live) or {"strategy": "blue_green"}
    back = color == "blue"
    rollout["state"] = {"status": "switched back" if back else "switched", "active_color": color}
    evidence = {"from": before, "to": color, "answers_now": COLORS[color], "reason": reason}
    record_event(
        ws,
        live,
        "blue_green_switch",
        f"switch back to {color}" if back else f"switch to {color}",
        evidence,
        share=1.0 if color == "green" else 0.0,
        routing=RoutingConfig("blue_green", live["routing"].challenger_share, color),
        rollout=rollout,
    )
    evidence["switch_ms"] = (time.perf_counter() - start) * 1000
    return evidence


def warm_up(ws: Workspace, deployment: dict[str, Any], rows: pd.DataFrame) -> None:
    """Load both versions and answer a row with each (not logged), so neither is cold at the switch."""
    for version_id in (deployment["champion_version_id"], deployment["challenger_version_id"]):
        serving.load_served(ws, version_id).answer(rows.head(1))


def gap_evidence(answers: pd.DataFrame, switch_positions: list[int]) -> dict[str, Any]:
    """Around each switch: every request answered?, which version answered the requests just before
    and after, and the longest pause between two answers there, against the median and 95th percentile
    pause over the whole stream."""
    times = answers["answered_at"].to_numpy(dtype=float)
    gaps = np.diff(times) * 1000
    median = float(np.median(gaps)) if len(gaps) else 0.0
    around = []
    for position in switch_positions:
        lo, hi = max(0, position - 3), min(len(answers), position + 3)
        window = gaps[max(0, position - 2) : max(0, position + 1)]
        around.append(
            {
                "at_request": position,
                "versions_before": answers["version"].iloc[lo:position].tolist(),
                "versions_after": answers["version"].iloc[position:hi].tolist(),
                "longest_pause_ms": float(window.max()) if len(window) else 0.0,
            }
        )
    return {
        "requests": len(answers),
        "unanswered": int((answers["error"] != "").sum()),
        "median_pause_ms": median,
        "p95_pause_ms": float(np.percentile(gaps, 95)) if len(gaps) else 0.0,
        "switches": around,
    }


def run_blue_green(
    ws: Workspace,
    project_id: int,
    traffic: TrafficRun,
    champion_id: int,
    challenger_id: int,
    *,
    switch_back: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Deploy blue (the champion) with green (the challenger) warm, stream ``traffic`` one request at a
    time, switch to green a third of the way through and (``switch_back``) back to blue at two thirds.
    Returns the answers and the evidence that no request went unanswered."""
    deployment = serving.create_deployment(
        ws,
        project_id,
        RoutingConfig("blue_green", active_color="blue"),
        champion_id,
        challenger_id,
        reason="blue-green: blue live, green warm",
        rollout={"strategy": "blue_green", "state": {"status": "blue live", "active_color": "blue"}},
    )
    warm_up(ws, deployment, traffic.inputs)
    total = traffic.remaining
    marks = [total // 3] + ([2 * total // 3] if switch_back else [])
    live = lambda: serving.get_active_deployment(ws, project_id) or deployment  # noqa: E731 - read at every request
    parts, switches = [], []
    sent = 0
    on_batch = (lambda _b: progress(traffic.position / total, "Blue-green: streaming requests…")) if progress else None
    for mark, color in zip(marks, ["green", "blue"]):
        parts.append(traffic.send(live, mark - sent, on_batch=on_batch))
        sent = mark
        switches.append(switch(ws, project_id, color, reason="blue-green demo on simulated traffic"))
    parts.append(traffic.send(live, total - sent, on_batch=on_batch))
    answers = pd.concat(parts, ignore_index=True)
    evidence = gap_evidence(answers, marks)
    for info, sw in zip(evidence["switches"], switches):
        info["switch_ms"] = sw["switch_ms"]
        info["to"] = sw["to"]
    with use_language("en"):  # the audit log stores English; the page says it in the reader's language
        stored = _sentence(evidence)
    record_event(
        ws,
        {**deployment, "id": deployment["id"]},
        "blue_green_stream",
        "no gap" if not evidence["unanswered"] else "gap",
        {**evidence, "sentence": stored},
    )
    return {
        "answers": answers,
        "evidence": evidence,
        "deployment_id": deployment["id"],
        "sentence": _sentence(evidence),
    }


def _sentence(evidence: dict[str, Any]) -> str:
    """The stream's verdict in the current language, from its evidence."""
    answered = evidence["requests"] - evidence["unanswered"]
    if evidence["unanswered"]:
        return _("{unanswered} of {n} requests got no answer during the switches.").format(
            unanswered=_num(f"{evidence['unanswered']:,}"), n=_num(f"{evidence['requests']:,}")
        )
    around = "; ".join(
        _(
            "to {colour} at request {at} (the switch took {switch} ms, the longest pause between two answers "
            "around it {pause} ms)"
        ).format(
            colour=colour_name(s["to"]),
            at=s["at_request"],
            switch=_num(f"{s['switch_ms']:.0f}"),
            pause=_num(f"{s['longest_pause_ms']:.0f}"),
        )
        for s in evidence["switches"]
    )
    return ngettext(
        "All {n} requests got an answer across {switches} switch: {around}, against {median} ms between two "
        "answers typically and {p95} ms for the slowest 5%.",
        "All {n} requests got an answer across {switches} switches: {around}, against {median} ms between two "
        "answers typically and {p95} ms for the slowest 5%.",
        len(evidence["switches"]),
    ).format(
        n=_num(f"{answered:,}"),
        switches=len(evidence["switches"]),
        around=around,
        median=_num(f"{evidence['median_pause_ms']:.0f}"),
        p95=_num(f"{evidence['p95_pause_ms']:.0f}"),
    )


def _num(text: str) -> str:
    return localize_number_text(text)
