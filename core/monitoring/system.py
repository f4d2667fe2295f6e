"""System health per window and per deployed version, from the prediction log: how many requests
and rows, latency p50/p95 per request, throughput, and the share of answers that were errors, that
the validation policy rejected, or that it flagged.

A request is one call, however many rows it carries: the log has a row per answer, and every row of
one call shares the call's timestamp and, per arm, one latency (the arm's time for the batch divided
by its rows), so a request is the group of log rows with the same deployment, timestamp, arm and
latency, and its latency is that latency times its rows (as in ``live.get_request_latency_df``).

Windows come from one of two places:
- the traffic simulator keys each row "w{window}-{i}" (``get_windows_from_keys``): its windows are
  the report's windows, and throughput is read over the time the window's requests kept the
  endpoint busy (from the first request's start to the last one's answer);
- real endpoint traffic has no windows: it is cut into clock-aligned time windows
  (``get_time_windows``): per minute, widened to 5 or 15 minutes, an hour, 6 hours, a day or a week
  so the span holds at most ``MAX_TIME_WINDOWS`` windows; throughput is read over the window's
  length (the newest window: up to now).

Pure functions over a DataFrame, and one query function (``get_system_log_df``).
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from core.i18n import N_, _
from core.workspace.database import Workspace

MAX_LOG_ROWS = 50_000  # the newest answers read for live traffic
MAX_TIME_WINDOWS = 30
TIME_WIDTHS = {  # seconds -> words, narrowest first
    60: N_("minute"),
    300: N_("5 minutes"),
    900: N_("15 minutes"),
    3600: N_("hour"),
    6 * 3600: N_("6 hours"),
    86400: N_("day"),
    7 * 86400: N_("week"),
}
# The table's columns: the first ten are the contract other code reads (alert rules); ``rows_per_s``
# is the throughput in rows, ``seconds`` the time the throughput is read over, ``start`` when the window
# began (epoch seconds).
SYSTEM_SCHEMA = {
    "window": "int64",
    "version": "str",
    "requests": "int64",
    "rows": "int64",
    "latency_p50_ms": "float64",
    "latency_p95_ms": "float64",
    "throughput_rps": "float64",  # requests per second
    "error_rate": "float64",  # share of answers with status 'error' (the model could not read the row)
    "rejection_rate": "float64",  # share refused by the validation policy (status 'rejected')
    "flagged_rate": "float64",  # share answered but flagged (or held for review) for breaking a rule
    "rows_per_s": "float64",
    "seconds": "float64",
    "start": "float64",
}
LOG_COLUMNS = [
    "id",
    "deployment_id",
    "ts",
    "arm",
    "version_id",
    "version",
    "latency_ms",
    "status",
    "request_key",
    "source",
    "prediction",
    "score",
    "label",
]
_WINDOW_KEY = re.compile(r"^w(\d+)-")


def empty_system_df() -> pd.DataFrame:
    return pd.DataFrame(columns=list(SYSTEM_SCHEMA)).astype(SYSTEM_SCHEMA)


def get_system_log_df(
    ws: Workspace,
    project_id: int,
    *,
    deployment_id: int | None = None,
    after_id: int = 0,
    sources: tuple[str, ...] | None = None,
    exclude_sources: tuple[str, ...] = (),
    limit: int = MAX_LOG_ROWS,
) -> pd.DataFrame:
    """The newest ``limit`` logged answers of the project (of one deployment; logged after the answer
    ``after_id``; from ``sources`` only; not from ``exclude_sources``), oldest first, LOG_COLUMNS.
    Rows logged before statuses existed count as scored, before sources as 'ui'."""
    where = ["d.project_id = ?", "p.id > ?"]
    params: list[Any] = [project_id, int(after_id)]
    if deployment_id is not None:
        where.append("p.deployment_id = ?")
        params.append(int(deployment_id))
    if sources is not None:
        where.append(f"COALESCE(p.source, 'ui') IN ({','.join('?' * len(sources))})")
        params.extend(sources)
    if exclude_sources:
        where.append(f"COALESCE(p.source, 'ui') NOT IN ({','.join('?' * len(exclude_sources))})")
        params.extend(exclude_sources)
    rows = ws.query(
        f"""SELECT p.id, p.deployment_id, p.ts, p.arm, p.version_id, v.model_name || ' v' || v.version AS version,
                   p.latency_ms, COALESCE(p.status, 'scored') AS status, p.request_key,
                   COALESCE(p.source, 'ui') AS source, p.prediction, p.score, p.label
            FROM predictions p JOIN deployments d ON d.id = p.deployment_id
            JOIN model_versions v ON v.id = p.version_id
            WHERE {" AND ".join(where)} ORDER BY p.id DESC LIMIT ?""",
        (*params, int(limit)),
    )
    if not rows:
        return pd.DataFrame(columns=LOG_COLUMNS)
    return pd.DataFrame(rows, columns=LOG_COLUMNS).iloc[::-1].reset_index(drop=True)


def newest_log_id(ws: Workspace) -> int:
    """The id of the newest logged answer (0 for none): what a caller reads after, to see only its own."""
    row = ws.query_one("SELECT COALESCE(MAX(id), 0) AS newest FROM predictions")
    return int(row["newest"]) if row else 0


def get_windows_from_keys(keys: pd.Series) -> pd.Series:
    """The simulator's window of each row from its key "w{window}-{i}" (<NA> for any other key)."""
    found = keys.astype("string").str.extract(_WINDOW_KEY, expand=False)
    return pd.to_numeric(found, errors="coerce").astype("Int64")


def choose_time_width(ts: np.ndarray, max_windows: int = MAX_TIME_WINDOWS) -> int:
    """The narrowest of TIME_WIDTHS whose clock-aligned windows over the timestamps ``ts`` number at
    most ``max_windows`` (the widest when none does)."""
    if len(ts) == 0:
        return next(iter(TIME_WIDTHS))
    first, last = float(np.min(ts)), float(np.max(ts))
    for width in TIME_WIDTHS:
        if math.floor(last / width) - math.floor(first / width) + 1 <= max_windows:
            return width
    return list(TIME_WIDTHS)[-1]


def get_time_windows(ts: np.ndarray, width: int, now: float | None = None) -> tuple[np.ndarray, dict[int, float]]:
    """(window number per row, {window: its start in epoch seconds}) for clock-aligned windows of
    ``width`` seconds: window 1 holds the oldest row, and a window with no traffic keeps its number
    (so window 5 is always 4 widths after window 1)."""
    buckets = np.floor(np.asarray(ts, dtype=float) / width).astype(np.int64)
    if len(buckets) == 0:
        return buckets, {}
    first = int(buckets.min())
    windows = buckets - first + 1
    return windows, {int(w): float((first + w - 1) * width) for w in np.unique(windows)}


def get_time_window_seconds(starts: dict[int, float], width: int, now: float) -> dict[int, float]:
    """How long each time window has lasted: its width, or for the one still open, the time since it began."""
    return {w: float(min(width, max(now - start, 1.0))) for w, start in starts.items()}


def _requests(log: pd.DataFrame) -> pd.DataFrame:
    """One row per request and arm: window, version, rows, latency_ms (the whole request), start and
    end (epoch seconds). Rows without a latency are left out."""
    timed = log[log["latency_ms"].notna()]
    keys = ["window", "version", "deployment_id", "ts", "arm", "latency_ms"]
    if timed.empty:
        return pd.DataFrame(columns=[*keys, "rows", "start"])
    requests = timed.groupby(keys, sort=False).size().rename("rows").reset_index()
    requests["latency_ms"] = requests["latency_ms"].astype(float) * requests["rows"]
    requests["start"] = requests["ts"].astype(float) - requests["latency_ms"] / 1000
    return requests


def get_system_df(log: pd.DataFrame, seconds: dict[int, float] | None = None) -> pd.DataFrame:
    """The system-health table (SYSTEM_SCHEMA): one row per window and version of ``log`` (LOG_COLUMNS
    plus a ``window`` number per row; rows without one are left out), ordered by window then version.

    ``seconds`` ({window: length}) is what throughput is read over (time windows); without it, the
    time the window's requests kept that version busy, from the first one's start to the last answer
    (the simulator sends a window's requests back to back)."""
    log = log[log["window"].notna()].astype({"window": "int64"})
    if log.empty:
        return empty_system_df()
    requests = _requests(log)
    out = []
    for (window, version), group in log.groupby(["window", "version"], sort=True):
        calls = requests[(requests["window"] == window) & (requests["version"] == version)]
        latency = calls["latency_ms"].astype(float)
        status = group["status"].astype(str)
        ts = group["ts"].astype(float)
        start = float(calls["start"].min()) if len(calls) else float(ts.min())
        span = seconds.get(int(window), float("nan")) if seconds is not None else float(ts.max()) - start
        n_calls = len(calls) if len(calls) else int(group.groupby(["deployment_id", "ts", "arm"]).ngroups)
        out.append(
            {
                "window": int(window),
                "version": str(version),
                "requests": n_calls,
                "rows": len(group),
                "latency_p50_ms": float(latency.quantile(0.5)) if len(latency) else np.nan,
                "latency_p95_ms": float(latency.quantile(0.95)) if len(latency) else np.nan,
                "throughput_rps": n_calls / span if span > 0 else np.nan,
                "error_rate": float((status == "error").mean()),
                "rejection_rate": float((status == "rejected").mean()),
                "flagged_rate": float(status.isin(["flagged", "review"]).mean()),
                "rows_per_s": len(group) / span if span > 0 else np.nan,
                "seconds": span,
                "start": start,
            }
        )
    return pd.DataFrame(out, columns=list(SYSTEM_SCHEMA)).astype(SYSTEM_SCHEMA)


def get_simulated_system_df(log: pd.DataFrame) -> pd.DataFrame:
    """The system-health table of one simulation's answers (keys "w{window}-{i}")."""
    if log.empty:
        return empty_system_df()
    return get_system_df(log.assign(window=get_windows_from_keys(log["request_key"])))


def get_live_system_df(log: pd.DataFrame, now: float, max_windows: int = MAX_TIME_WINDOWS) -> tuple[pd.DataFrame, int]:
    """(the system-health table of real traffic by clock-aligned time window, the window's width in
    seconds); ``now`` closes the newest window."""
    if log.empty:
        return empty_system_df(), next(iter(TIME_WIDTHS))
    ts = log["ts"].to_numpy(dtype=float)
    width = choose_time_width(ts, max_windows)
    windows, starts = get_time_windows(ts, width)
    table = get_system_df(log.assign(window=windows), get_time_window_seconds(starts, width, now))
    table["start"] = table["window"].map(starts).astype(float)  # the window's clock start, not its first request
    return table, width


def describe_width(width: int) -> str:
    """'minute', '5 minutes', … for a time window's width in seconds."""
    return _(TIME_WIDTHS[width]) if width in TIME_WIDTHS else _("{n} seconds").format(n=width)


def get_system_records(system_df: pd.DataFrame) -> list[dict[str, Any]]:
    """The CLI's ``monitoring.system``: per window and version ``{window, version, latency_p50_ms,
    latency_p95_ms, throughput_rps, error_rate, rejection_rate, flagged_rate, requests, rows,
    rows_per_s}`` (null where there is no value)."""
    keys = [
        "window",
        "version",
        "latency_p50_ms",
        "latency_p95_ms",
        "throughput_rps",
        "error_rate",
        "rejection_rate",
        "flagged_rate",
        "requests",
        "rows",
        "rows_per_s",
    ]
    records = []
    for row in system_df[keys].to_dict(orient="records"):
        records.append(
            {
                k: (int(v) if k in ("window", "requests", "rows") else str(v) if k == "version" else _or_none(v))
                for k, v in row.items()
            }
        )
    return records


def _or_none(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
