"""The simulator's traffic sent to the endpoint as requests of a few rows each, so each request's
latency is logged with its window, and the system-health table of those answers read back from the
prediction log (real traffic's is in ``live_health``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from core.deployment import serving
from core.monitoring.system import get_simulated_system_df, get_system_log_df, newest_log_id
from core.workspace.database import Workspace

MAX_REQUESTS_PER_WINDOW = 25  # a bigger window sends bigger requests, so a simulation stays a few seconds


def send_simulated_traffic(
    ws: Workspace,
    deployment: dict[str, Any],
    inputs: pd.DataFrame,
    windows: np.ndarray,
    *,
    rows_per_request: int,
    seed: int,
) -> pd.DataFrame:
    """Send each window's rows to the endpoint as requests of ``rows_per_request`` rows (more when a
    window would otherwise take over ``MAX_REQUESTS_PER_WINDOW`` requests: the simulation's time grows
    with the requests, about a millisecond or more each), in window order, as a client sends them (JSON
    rows), each row keyed "w{window}-{i}" (i: its row in ``inputs``). Returns the system-health table of
    exactly these answers."""
    after = newest_log_id(ws)
    windows = np.asarray(windows)
    rows = _json_rows(inputs)
    rng = np.random.default_rng(seed)
    for window in np.unique(windows):
        positions = np.flatnonzero(windows == window).tolist()
        size = max(rows_per_request, math.ceil(len(positions) / MAX_REQUESTS_PER_WINDOW))
        for chunk in range(0, len(positions), size):
            take = positions[chunk : chunk + size]
            serving.predict(
                ws,
                deployment,
                [rows[i] for i in take],
                keys=[f"w{window}-{i}" for i in take],
                seed=int(rng.integers(2**31)),  # a canary's draws differ from request to request
                source="simulator",
                as_columns=True,
            )
    return get_simulated_system_df(
        get_system_log_df(ws, deployment["project_id"], deployment_id=deployment["id"], after_id=after)
    )


def _json_rows(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as a JSON client sends them: plain values, null for a missing one."""
    records = rows.astype(object).where(rows.notna(), None).to_dict(orient="records")
    return [{str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()} for row in records]
