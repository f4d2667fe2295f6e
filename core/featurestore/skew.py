"""The training/serving skew check: for a sample of entities, the value the online store serves equals
the value a training set gets point-in-time (``transforms.values_at``, the offline computation) at the
same moment: right after the entity's newest event, the moment the online value is the value at.

A mismatch means serving feeds the model something training never showed it: a bug in one of the two
computations, an online store written from another history (events lost or recorded twice), or a
value edited by hand. Numbers match within a relative 1e-9 (sums of floats in another order); text
exactly; two missing values match.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from core.featurestore.online import _from_seconds, history, online_definition
from core.featurestore.transforms import values_at
from core.workspace.database import Workspace

RELATIVE_TOLERANCE = 1e-9
_STEP = pd.Timedelta(microseconds=1)  # "right after": the online value counts its own instant's events


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def same_value(online: Any, offline: Any) -> bool:
    """Whether an online and an offline value agree (both missing; equal numbers within the tolerance;
    equal text)."""
    if _missing(online) or _missing(offline):
        return _missing(online) and _missing(offline)
    if isinstance(online, int | float | np.number) and isinstance(offline, int | float | np.number):
        return math.isclose(float(online), float(offline), rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
    return str(online) == str(offline)


def skew_check(ws: Workspace, name: str, sample: int = 50, seed: int = 0) -> dict[str, Any]:
    """Compare the online values of up to ``sample`` entities (drawn with ``seed``) with their offline
    point-in-time values at the same moment. Returns ``name``, ``version``, ``entities`` (how many have
    an online value), ``checked``, ``matching``, ``consistent`` (no mismatch) and ``mismatches``: a list
    of ``{entity, moment, online, offline}``."""
    stored = online_definition(ws, name)
    rows = ws.query(
        "SELECT entity_key, value, event_time FROM feature_online WHERE definition_id = ? ORDER BY entity_key",
        (stored["id"],),
    )
    rng = np.random.default_rng(seed)
    picked = sorted(rng.choice(len(rows), size=min(max(int(sample), 0), len(rows)), replace=False).tolist())
    chosen = [rows[i] for i in picked]
    mismatches: list[dict[str, Any]] = []
    if chosen:
        keys = [r["entity_key"] for r in chosen]
        moments = pd.Series([_from_seconds(r["event_time"]) + _STEP for r in chosen])
        offline = values_at(stored["definition"], history(ws, stored, keys), pd.Series(keys, dtype=object), moments)
        for row, moment, value in zip(chosen, moments, offline.tolist()):
            if not same_value(row["value"], value):
                mismatches.append(
                    {
                        "entity": row["entity_key"],
                        "moment": (moment - _STEP).isoformat(),
                        "online": row["value"],
                        "offline": None if _missing(value) else value,
                    }
                )
    return {
        "name": name,
        "version": int(stored["version"]),
        "entities": len(rows),
        "checked": len(chosen),
        "matching": len(chosen) - len(mismatches),
        "consistent": not mismatches,
        "mismatches": mismatches,
    }
