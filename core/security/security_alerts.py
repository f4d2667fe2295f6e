"""Security alerts for Monitor: per key, the patterns of someone attacking the endpoint.

- **Probing** (input manipulation): a key whose requests the endpoint refuses (422: a body it cannot
  read, a missing column, text in a number; recorded per key by ``core.security.keys``) far more than
  it usually does.
- **Out-of-range spikes**: a key whose answered rows break the training range (a number beyond the
  lowest or highest value training saw, a category never seen) far more often than usual.
- **Extraction**: the extraction monitor's verdict (``core.security.extraction``): a sweep of the input
  space, or an unusual volume.

Each is an ``Alert`` of ``core.monitoring.alerts`` (level, kind, one sentence, evidence), the type every
Monitor alert has. They are computed from the logs when Monitor asks, not stored: the alert outbox
(``core.monitoring.rule_store``) is keyed by monitoring report and window, which a key's alert has not;
delivering these by webhook needs that table's report to be optional (see the report of session 25).

Who asked: the API key (``core.security.keys``' per-key usage); the studio's own traffic, which never
passes the endpoint's gate, is named by its source (ui, simulator).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.formatting import format_count, format_percent
from core.i18n import _
from core.monitoring.alerts import Alert
from core.security.attacks_extraction import get_requests_df, key_labels
from core.security.extraction import KEY, TS, ExtractionConfig, get_extraction_report
from core.security.keys import key_usage
from core.workspace.database import Workspace
from core.workspace.errors import StudioError

OUT_OF_RANGE = ("below_min", "above_max", "unknown_category")
HISTORY_SECONDS = 7 * 24 * 3600.0


@dataclass(frozen=True)
class InputAlertConfig:
    window_seconds: float = 3600.0
    min_refusals: int = 20  # refused requests in the window before a key can be said to probe
    refusal_factor: float = 5.0  # times the key's usual refusals per window
    min_rows: int = 30  # answered rows in the window before a key's out-of-range share is judged
    min_share: float = 0.3  # share of the window's rows out of range
    share_factor: float = 3.0  # times the key's usual share


def get_refusal_alerts(
    refusals: pd.DataFrame, config: InputAlertConfig = InputAlertConfig(), *, now: float | None = None
) -> list[Alert]:
    """A warning per key whose refused requests (columns key, ts) in the latest window reach
    ``min_refusals`` and ``refusal_factor`` times its usual count per window before."""
    if refusals.empty:
        return []
    end = float(now if now is not None else refusals[TS].max())
    start = end - config.window_seconds
    alerts = []
    for key, group in refusals.groupby(KEY, sort=True):
        ts = group[TS].to_numpy(dtype=float)
        recent = int((ts > start).sum())
        usual = _usual_per_window(ts[ts <= start], end, config.window_seconds)
        if recent < max(config.min_refusals, config.refusal_factor * usual):
            continue
        message = _(
            "Key {key} sent {recent} requests the endpoint refused in the last window (usually {usual}): someone may be probing what the endpoint accepts."
        ).format(key=key, recent=format_count(recent), usual=format_count(usual))
        alerts.append(
            Alert(
                "warning",
                0,
                "probing",
                message,
                rule="security.probing",
                rule_name="Refused requests per key",
                evidence={"key": str(key), "value": recent, "usual": usual},
            )
        )
    return alerts


def get_out_of_range_alerts(
    requests: pd.DataFrame, config: InputAlertConfig = InputAlertConfig(), *, now: float | None = None
) -> list[Alert]:
    """A warning per key whose answered rows (columns key, ts, out_of_range: bool) in the latest window
    break the training range in at least ``min_share`` of rows and ``share_factor`` times its usual share."""
    if requests.empty or "out_of_range" not in requests.columns:
        return []
    end = float(now if now is not None else requests[TS].max())
    start = end - config.window_seconds
    alerts = []
    for key, group in requests.groupby(KEY, sort=True):
        recent = group[group[TS].to_numpy(dtype=float) > start]
        earlier = group[group[TS].to_numpy(dtype=float) <= start]
        if len(recent) < config.min_rows:
            continue
        share = float(recent["out_of_range"].mean())
        usual = float(earlier["out_of_range"].mean()) if len(earlier) else 0.0
        if share < max(config.min_share, config.share_factor * usual):
            continue
        message = _(
            "Key {key}: {share} of its {rows} rows in the last window lie outside what the model saw in training (usually {usual}): someone may be feeding it values it cannot judge."
        ).format(
            key=key, share=format_percent(share, 0), rows=format_count(len(recent)), usual=format_percent(usual, 0)
        )
        alerts.append(
            Alert(
                "warning",
                0,
                "out_of_range",
                message,
                rule="security.out_of_range",
                rule_name="Out-of-range inputs per key",
                evidence={"key": str(key), "value": share, "usual": usual, "rows": len(recent)},
            )
        )
    return alerts


def get_extraction_alerts(report: pd.DataFrame) -> list[Alert]:
    """An alert per key the extraction monitor flags (critical for a sweep, warning for volume)."""
    alerts = []
    for row in report[report["flagged"]].itertuples(index=False) if len(report) else ():
        alerts.append(
            Alert(
                str(row.severity),
                0,
                "extraction",
                str(row.sentence),
                rule="security.extraction",
                rule_name="Model extraction per key",
                evidence={
                    "key": str(row.key),
                    "value": int(row.recent),
                    "coverage": None if pd.isna(row.coverage) else float(row.coverage),
                    "rare_share": None if pd.isna(row.rare_share) else float(row.rare_share),
                },
            )
        )
    return alerts


def _usual_per_window(ts: np.ndarray, end: float, window: float) -> float:
    if not ts.size:
        return 0.0
    return float(np.median(np.unique(np.floor((end - ts) / window), return_counts=True)[1]))


def get_refusals_df(ws: Workspace, project_id: int, *, since: float) -> pd.DataFrame:
    """The requests the endpoint refused (422) per API key, as (key, ts)."""
    usage = key_usage(ws, project_id)
    usage = usage[(usage["status"] == 422) & (usage["ts"] >= since)]
    labels = key_labels(ws, project_id)
    return pd.DataFrame({KEY: [labels.get(int(k), str(k)) for k in usage["key_id"]], TS: usage["ts"].astype(float)})


def get_security_alerts(ws: Workspace, project_id: int, *, now: float | None = None) -> list[Alert]:
    """Every security alert of the project's last week of traffic, critical first."""
    from core.security.attacks import load_deployed
    from core.workspace.database import now as clock

    end = float(now if now is not None else clock())
    since = end - HISTORY_SECONDS
    config = InputAlertConfig()
    alerts = get_refusal_alerts(get_refusals_df(ws, project_id, since=since), config, now=end)
    requests = get_requests_df(ws, project_id, since=since)
    if not requests.empty:
        requests = requests.assign(
            out_of_range=[any(code in OUT_OF_RANGE for code in codes) for codes in requests["problem_codes"]]
        )
        alerts += get_out_of_range_alerts(requests, config, now=end)
        try:
            reference = load_deployed(ws, project_id).loaded.reference
        except StudioError:  # nothing deployed, or a regression model: no extraction check
            reference = None
        if reference is not None:
            inputs = requests.drop(columns=["status", "problem_codes", "out_of_range"], errors="ignore")
            report = get_extraction_report(inputs, reference, ExtractionConfig(), now=end)
            alerts += get_extraction_alerts(report)
    return sorted(alerts, key=lambda a: (a.level != "critical", a.kind))


def security_log_state(ws: Workspace, project_id: int) -> tuple[int | None, int | None]:
    """Where the project's logs stand (the newest answer and refusal): the alerts change only when this
    does, so a page may keep them until then."""
    row = ws.query_one(
        """SELECT (SELECT MAX(p.id) FROM predictions p JOIN deployments d ON d.id = p.deployment_id
                   WHERE d.project_id = ?) AS answers,
                  (SELECT MAX(id) FROM refused_requests WHERE project_id = ?) AS refusals""",
        (project_id, project_id),
    )
    return (row["answers"], row["refusals"]) if row else (None, None)


def get_security_alerts_df(alerts: list[Alert]) -> pd.DataFrame:
    """The alerts as Monitor lists them: severity, kind, key, sentence."""
    return pd.DataFrame(
        [[a.level, a.kind, a.evidence.get("key", ""), a.message] for a in alerts],
        columns=["severity", "kind", "key", "sentence"],
    )
