"""The offline store: a definition's values materialised as Parquet, one file per definition version
and time range, written and read like every workspace artifact (atomically, SHA-256 verified before
every load; ``Workspace.save_frame``). The rows are ``transforms.materialise``'s: the value right after
each instant with events, named (<entity>, <timestamp>, <feature name>), so any Parquet reader (pandas,
DuckDB) can as-of join them.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from core.featurestore.catalog import get_definition_by_id, load_source
from core.featurestore.transforms import as_time, materialise
from core.i18n import _
from core.workspace.database import Workspace, inserted_id, now
from core.workspace.errors import ConfigError, NotFoundError

ARTIFACT_KIND = "features"


def _seconds(moment: pd.Timestamp | None) -> float | None:
    return None if moment is None else float(pd.Timestamp(moment).timestamp())


def materialise_to_store(
    ws: Workspace,
    definition_id: int,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    *,
    rows: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Compute the stored definition's values from its source and keep the rows in ``[start, end)``
    (either may be None: unbounded) as one Parquet artifact. Returns the materialisation's row.
    ``rows``: values already computed (``transforms.materialise`` of the source and the events recorded
    since, as ``core.featurestore.online`` does), kept instead of computing them again."""
    if start is not None and end is not None and pd.Timestamp(start) >= pd.Timestamp(end):
        raise ConfigError(
            _("The start of a materialised time range ({start}) must be before its end ({end}).").format(
                start=start, end=end
            )
        )
    stored = get_definition_by_id(ws, definition_id)
    definition = stored["definition"]
    if rows is None:
        rows = materialise(definition, load_source(ws, stored))
    times = as_time(rows[definition.timestamp], definition.timestamp) if len(rows) else rows[definition.timestamp]
    keep = pd.Series(True, index=rows.index)
    if start is not None:
        keep &= times >= pd.Timestamp(start)
    if end is not None:
        keep &= times < pd.Timestamp(end)
    rows = rows[keep].reset_index(drop=True)
    artifact_id = ws.save_frame(rows, kind=ARTIFACT_KIND)
    with ws.transaction() as conn:
        cur = conn.execute(
            """INSERT INTO feature_materialisations (definition_id, start_ts, end_ts, rows, artifact_id, created_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (definition_id, _seconds(start), _seconds(end), len(rows), artifact_id, now()),
        )
        materialisation_id = inserted_id(cur)
        ws.audit(
            conn,
            None,
            "feature.materialised",
            {"definition_id": definition_id, "materialisation_id": materialisation_id, "rows": len(rows)},
        )
    return get_materialisation(ws, materialisation_id)


def get_materialisation(ws: Workspace, materialisation_id: int) -> dict[str, Any]:
    return ws.get_row(
        "feature_materialisations",
        materialisation_id,
        _("Materialised feature values {id} do not exist; materialise the feature first.").format(
            id=materialisation_id
        ),
    )


def list_materialisations(ws: Workspace, definition_id: int) -> list[dict[str, Any]]:
    """A definition version's materialisations, newest first."""
    return ws.query("SELECT * FROM feature_materialisations WHERE definition_id = ? ORDER BY id DESC", (definition_id,))


def read_materialised(ws: Workspace, materialisation_id: int) -> pd.DataFrame:
    """The stored rows, refused (IntegrityError) if the file changed since it was written."""
    return ws.load_frame(int(get_materialisation(ws, materialisation_id)["artifact_id"]))


def latest_materialised(ws: Workspace, definition_id: int) -> pd.DataFrame:
    found = list_materialisations(ws, definition_id)
    if not found:
        raise NotFoundError(
            _("Feature definition {id} has no materialised values yet; materialise it first.").format(id=definition_id)
        )
    return read_materialised(ws, int(found[0]["id"]))
