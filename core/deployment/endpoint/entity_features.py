"""Serving by entity id: when the deployed model's project uses catalog features, a request row may carry
only the entity id (``customer_id``) and the request-time fields; each catalog feature the model takes
and the row lacks is fetched from the online store (the entity's latest value, ``featurestore.online``).

An entity the online store knows nothing about (no value of any of the features) cannot be scored
the way training saw it: its row gets a per-row problem (``unknown_entity``) and the status ``error``,
never a 500; the other rows are answered. An entity known for some features but not others gets 0 for
a missing count or sum (no event: none counted, as in training) and no value for the rest.

Messages are English: machines read the endpoint's answers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.featurestore import catalog
from core.featurestore.keys import canonical_key
from core.featurestore.online import online_definition, online_values
from core.workspace.database import Workspace

UNKNOWN_ENTITY = "unknown_entity"
_ZERO_WHEN_NO_EVENT = ("count", "sum")


def _unknown(row: int, column: str, value: Any, names: list[str]) -> dict[str, Any]:
    shown = str(value)[:80]
    return {
        "row": row,
        "column": column,
        "problem": UNKNOWN_ENTITY,
        "value": shown,
        "message": (
            f"{column} {shown!r} is unknown to the online feature store (no value of {', '.join(names)}); "
            "send an entity the store knows, or the feature values themselves, or materialise the features again."
        ),
    }


def _definitions(ws: Workspace, project_id: int, rows: list[Any], columns: list[str] | None) -> list[dict[str, Any]]:
    """The catalog definitions to fetch: those the project uses (among ``columns`` when given) and, for a
    model input no row carries that is a catalog feature the project no longer uses (removed after the
    model was trained on it), that feature's served version. No query when every row carries every input."""
    objects = [row for row in rows if isinstance(row, dict)]
    if columns is not None:
        missing = [c for c in columns if any(c not in row for row in objects)]
        if not missing:
            return []
    used = [s for s in catalog.project_definitions(ws, project_id) if columns is None or s["name"] in columns]
    if columns is None:
        return used
    have = {s["name"] for s in used}
    others = [c for c in missing if c not in have]
    if others:
        names = ws.query(
            f"SELECT DISTINCT name FROM feature_definitions WHERE name IN ({','.join('?' * len(others))})", others
        )
        used += [online_definition(ws, str(r["name"])) for r in names]
    return used


def fill_rows(
    ws: Workspace, project_id: int, rows: list[Any], columns: list[str] | None = None
) -> tuple[list[Any], dict[int, dict[str, Any]]]:
    """``rows`` (JSON objects) with the project's catalog features they lack filled in from the online
    store (only those in ``columns`` when given: the served model's inputs), and the problem of each
    row whose entity the store does not know ({row position: problem}). Rows that are not objects, or
    lack the entity column, are left as they are (the request's own checks name what is missing)."""
    if not isinstance(rows, list):
        return rows, {}
    used = _definitions(ws, project_id, rows, columns)
    if not used:
        return rows, {}
    wanted: dict[int, list[dict[str, Any]]] = {}  # row position -> the definitions it needs
    for position, row in enumerate(rows):
        if isinstance(row, dict):
            needs = [s for s in used if s["name"] not in row and s["definition"].entity in row]
            if needs:
                wanted[position] = needs
    if not wanted:
        return rows, {}
    ids = sorted({int(s["id"]) for needs in wanted.values() for s in needs})
    entity_keys = [canonical_key(rows[p].get(s["definition"].entity)) for p, needs in wanted.items() for s in needs]
    found = online_values(ws, ids, entity_keys)
    filled = list(rows)
    unknown: dict[int, dict[str, Any]] = {}
    for position, needs in wanted.items():
        row = dict(rows[position])
        known_any = False
        for stored in needs:
            definition = stored["definition"]
            key = canonical_key(row.get(definition.entity))
            values = found[int(stored["id"])]
            if key is not None and key in values:
                known_any = True
                row[stored["name"]] = values[key]
            else:
                row[stored["name"]] = 0.0 if definition.aggregate in _ZERO_WHEN_NO_EVENT else None
        if not known_any:
            entity = needs[0]["definition"].entity
            unknown[position] = _unknown(position, entity, rows[position].get(entity), [s["name"] for s in needs])
        filled[position] = row
    return filled, unknown


def fill_request(
    ws: Workspace, project_id: int, data: Any, columns: list[str] | None = None
) -> tuple[Any, dict[int, dict[str, Any]]]:
    """``fill_rows`` on a parsed ``/predict`` body (``{"rows": [...]}``); anything else is returned as it is."""
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        return data, {}
    rows, unknown = fill_rows(ws, project_id, data["rows"], columns)
    return ({**data, "rows": rows} if rows is not data["rows"] else data), unknown


def mark_unknown(out: dict[str, Any], unknown: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """``serving.predict``'s answer columns with each unknown entity's row turned into an error carrying
    its problem (no prediction, no score)."""
    if not unknown:
        return out
    n = len(out["request_id"])
    for key in ("prediction", "status", "error", "problems"):
        out[key] = np.asarray(out[key], dtype=object).copy() if len(out[key]) == n else out[key]
    out["score"] = np.asarray(out["score"], dtype=float).copy()
    for position, problem in unknown.items():
        out["prediction"][position] = ""
        out["score"][position] = np.nan
        out["status"][position] = "error"
        out["error"][position] = problem["message"]
        out["problems"][position] = [problem]
        if "score_of" in out:
            out["score_of"][position] = None
    return out


def score_by_entity(ws: Workspace, project_id: int, rows: list[dict[str, Any]], *, source: str = "ui") -> Any:
    """Score JSON rows that may carry only the entity id and the request-time fields through the project's
    live deployment, as the endpoint does (features fetched online, unknown entities as per-row
    problems). Returns ``serving.predict``'s table of answers. NotFoundError when nothing is deployed."""
    import pandas as pd

    from core.deployment import serving
    from core.i18n import _
    from core.workspace.errors import NotFoundError

    deployment = serving.get_active_deployment(ws, project_id)
    if deployment is None:
        raise NotFoundError(_("Nothing is deployed yet; deploy the champion on the Deploy page first."))
    model = serving.load_served(ws, serving.get_serving_version(ws, deployment)["id"])
    filled, unknown = fill_rows(ws, project_id, list(rows), list(model.required_columns))
    out = serving.predict(ws, deployment, filled, source=source, as_columns=True)
    return pd.DataFrame(mark_unknown(out, unknown))
