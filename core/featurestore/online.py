"""The online store: the latest value of each feature per entity, in the workspace's SQLite (migration
16, table ``feature_online``), for serving: one indexed read per feature and request.

- ``materialise`` computes a definition's values from its history (its source table plus the events
  recorded since, ``record_events``), writes them to the offline store (hash-verified Parquet,
  ``offline.py``) and replaces the online rows with each entity's newest value. Long on big sources:
  ``start_materialise_job`` runs it as a job with progress.
- ``online_features`` reads the values of a few entities (NaN where an entity has none);
  ``freshness`` says how old the newest value is.
- ``record_events`` keeps the online values in step with new events (the simulator's traffic): the
  events are kept, and the entities they touch get their value recomputed from their history.

An online value is the value right after the entity's newest event (``transforms.materialise``: the
window ``(t - w, t]``); the skew check (``skew.py``) compares it with the point-in-time value at that
moment. Read much later, a windowed value still counts events that have since left the window: the
``event_time`` beside it says when it was true, and ``freshness`` says how old it is.

Entity keys are stored in their canonical text form (``keys.canonical_key``): 1, 1.0 and "1" are one.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd

from core.featurestore import catalog, offline
from core.featurestore.keys import canonical_key, canonical_keys
from core.featurestore.transforms import as_time
from core.featurestore.transforms import materialise as compute_values
from core.i18n import _, ngettext
from core.workspace import jobs
from core.workspace.database import Workspace, now
from core.workspace.errors import NotFoundError
from core.workspace.progress import Progress, no_progress

JOB_KIND = "feature_materialise"
_SOURCES_KEPT = 8
_sources: OrderedDict[str, pd.DataFrame] = OrderedDict()  # source artifact's SHA-256 -> its table (read-only)
_sources_lock = threading.Lock()


# -- history: the source table and the events recorded since -------------------------------------------
def _to_seconds(times: pd.Series) -> np.ndarray:
    """Naive (UTC) datetimes as float seconds since the epoch; NaN where missing."""
    values = as_time(times, "time") if len(times) else pd.Series([], dtype="datetime64[ns]")
    nanos = values.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
    nanos[values.isna().to_numpy()] = np.nan
    return nanos / 1e9


def _from_seconds(seconds: float) -> pd.Timestamp:
    """Float seconds back to a time, exact to the microsecond (the float holds it: 1.7e15 µs < 2**53)."""
    return pd.Timestamp(int(round(float(seconds) * 1e6)), unit="us").as_unit("ns")


def _source_history(ws: Workspace, stored: dict[str, Any]) -> pd.DataFrame:
    """The definition's source columns, entity keys canonical and times parsed. The table read is kept
    by its content's SHA-256 (hash-verified when first read; every workspace's artifact of the same
    content is the same table)."""
    definition = stored["definition"]
    digest = str(ws.artifact_info(int(stored["source_artifact_id"]))["sha256"])  # the content names it
    with _sources_lock:
        kept = _sources.get(digest)
        if kept is not None:
            _sources.move_to_end(digest)
    if kept is None:
        kept = catalog.load_source(ws, stored)
        with _sources_lock:
            _sources[digest] = kept
            while len(_sources) > _SOURCES_KEPT:
                _sources.popitem(last=False)
    frame = kept[definition.columns()].copy()
    frame[definition.entity] = canonical_keys(frame[definition.entity])
    frame[definition.timestamp] = as_time(frame[definition.timestamp], definition.timestamp)
    return frame


def _stream_history(ws: Workspace, stored: dict[str, Any], entities: list[str] | None = None) -> pd.DataFrame:
    definition = stored["definition"]
    sql = "SELECT entity_key, event_time, row_json FROM feature_stream_events WHERE definition_id = ?"
    params: list[Any] = [stored["id"]]
    if entities is not None:
        sql += f" AND entity_key IN ({','.join('?' * len(entities))})"
        params += entities
    rows = ws.query(sql + " ORDER BY id", params)
    columns = definition.columns()
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    values = [json.loads(r["row_json"]) for r in rows]
    frame = pd.DataFrame(values).reindex(columns=columns)
    frame[definition.entity] = [r["entity_key"] for r in rows]
    frame[definition.timestamp] = [_from_seconds(r["event_time"]) for r in rows]
    return frame


def history(ws: Workspace, stored: dict[str, Any], entities: list[str] | None = None) -> pd.DataFrame:
    """Every event of a stored definition: its source table's and those recorded since, in one frame of
    the columns it reads (entity keys canonical). ``entities``: only these (canonical keys)."""
    definition = stored["definition"]
    source = _source_history(ws, stored)
    if entities is not None and not entities:
        return source.iloc[:0].reset_index(drop=True)
    if entities is not None:
        source = source[source[definition.entity].isin(entities)]
    stream = _stream_history(ws, stored, entities)
    if not len(stream):
        return source.reset_index(drop=True)
    stream[definition.timestamp] = stream[definition.timestamp].astype(source[definition.timestamp].dtype)
    return pd.concat([source, stream], ignore_index=True)


# -- materialise ---------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        return None if isinstance(value, float) and value != value else value
    return value if isinstance(value, int | float | str) else str(value)


def _latest_rows(definition, values: pd.DataFrame) -> list[tuple[str, Any, float]]:
    """(entity key, value, event time in seconds) of each entity's newest materialised row."""
    newest = values.drop_duplicates(definition.entity, keep="last")  # sorted by time: the last is the newest
    seconds = _to_seconds(newest[definition.timestamp])
    return [
        (str(key), _plain(value), float(moment))
        for key, value, moment in zip(newest[definition.entity], newest[definition.name], seconds)
        if key is not None
    ]


def _write_online(ws: Workspace, definition_id: int, rows: list[tuple[str, Any, float]], *, replace: bool) -> None:
    stamp = now()
    with ws.transaction() as conn:
        if replace:
            conn.execute("DELETE FROM feature_online WHERE definition_id = ?", (definition_id,))
        conn.executemany(
            """INSERT INTO feature_online (definition_id, entity_key, value, event_time, updated_at)
               VALUES (?, ?, ?, ?, ?) ON CONFLICT (definition_id, entity_key) DO UPDATE SET
               value = excluded.value, event_time = excluded.event_time, updated_at = excluded.updated_at""",
            [(definition_id, key, value, moment, stamp) for key, value, moment in rows],
        )


def materialise(ws: Workspace, name: str, version: int | None = None, progress: Progress | None = None) -> dict:
    """Compute feature ``name`` (``version``: default the newest) from its history, write the values to
    the offline store and each entity's newest value to the online store. Returns what was done:
    ``definition_id``, ``name``, ``version``, ``materialisation_id``, ``offline_rows``,
    ``online_entities``, ``newest_event`` (ISO text or None), ``seconds`` and a ``message``."""
    progress = progress or no_progress
    started = time.perf_counter()
    stored = catalog.get_definition(ws, name, version)
    definition = stored["definition"]
    progress(0.05, _("Reading the history of feature {name}…").format(name=name))
    events = history(ws, stored)
    progress(0.25, _("Computing the values of feature {name}…").format(name=name))
    values = compute_values(definition, events)
    progress(0.6, _("Writing the offline store…"))
    materialised = offline.materialise_to_store(ws, int(stored["id"]), rows=values)
    progress(0.8, _("Writing the online store…"))
    latest = _latest_rows(definition, values)
    _write_online(ws, int(stored["id"]), latest, replace=True)
    newest = max((moment for _key, _value, moment in latest), default=None)
    message = ngettext(
        "Feature {name} version {version}: {rows} offline rows, the latest value of {n} entity online.",
        "Feature {name} version {version}: {rows} offline rows, the latest values of {n} entities online.",
        len(latest),
    ).format(name=name, version=stored["version"], rows=len(values), n=len(latest))
    progress(1.0, message)
    return {
        "definition_id": int(stored["id"]),
        "name": name,
        "version": int(stored["version"]),
        "materialisation_id": int(materialised["id"]),
        "offline_rows": len(values),
        "online_entities": len(latest),
        "newest_event": None if newest is None else _from_seconds(newest).isoformat(),
        "seconds": round(time.perf_counter() - started, 3),
        "message": message,
    }


def start_materialise_job(ws: Workspace, name: str, version: int | None = None, project_id: int | None = None) -> int:
    """Run ``materialise`` as a job (its progress in the jobs table, like training); returns the job id.
    The definition is checked first, so a wrong name fails here rather than in the job."""
    catalog.get_definition(ws, name, version)
    return jobs.start_job(ws, project_id, JOB_KIND, lambda progress: materialise(ws, name, version, progress))


# -- reading -------------------------------------------------------------------------------------------
def online_definition(ws: Workspace, name: str, version: int | None = None) -> dict[str, Any]:
    """The stored definition the online store serves for ``name``: ``version`` when given, else the
    newest version that was materialised (else the newest)."""
    if version is None:
        row = ws.query_one(
            """SELECT d.id FROM feature_definitions d WHERE d.name = ? AND EXISTS
               (SELECT 1 FROM feature_materialisations m WHERE m.definition_id = d.id)
               ORDER BY d.version DESC LIMIT 1""",
            (name,),
        )
        if row is not None:
            return catalog.get_definition_by_id(ws, int(row["id"]))
    return catalog.get_definition(ws, name, version)


def _definition_ids(ws: Workspace, names: list[str]) -> list[int]:
    ids = []
    for name in names:
        row = ws.query_one(
            """SELECT d.id FROM feature_definitions d WHERE d.name = ? ORDER BY
               EXISTS (SELECT 1 FROM feature_materialisations m WHERE m.definition_id = d.id) DESC,
               d.version DESC LIMIT 1""",
            (name,),
        )
        if row is None:
            raise NotFoundError(
                _("Feature '{name}' does not exist in the feature catalog; define it first.").format(name=name)
            )
        ids.append(int(row["id"]))
    return ids


def online_values(ws: Workspace, definition_ids: list[int], keys: list[str | None]) -> dict[int, dict[str, Any]]:
    """{definition id: {entity key: value}} of the online rows of these canonical keys."""
    wanted = sorted({k for k in keys if k is not None})
    found: dict[int, dict[str, Any]] = {i: {} for i in definition_ids}
    if not wanted or not definition_ids:
        return found
    for start in range(0, len(wanted), 500):  # SQLite's parameter limit
        chunk = wanted[start : start + 500]
        rows = ws.query(
            f"""SELECT definition_id, entity_key, value FROM feature_online
                WHERE definition_id IN ({",".join("?" * len(definition_ids))})
                AND entity_key IN ({",".join("?" * len(chunk))})""",
            [*definition_ids, *chunk],
        )
        for row in rows:
            found[row["definition_id"]][row["entity_key"]] = row["value"]
    return found


def online_features(
    ws: Workspace, names: list[str], entities: list, *, versions: dict[str, int] | None = None
) -> pd.DataFrame:
    """One row per entity (in the order given, as given in column ``entity``) and one column per feature
    name, its latest online value; NaN where the entity has none. ``versions`` pins a name's version
    (default: the newest materialised one)."""
    versions = versions or {}
    ids = [
        int(online_definition(ws, n, versions[n])["id"]) if n in versions else i
        for n, i in zip(names, _definition_ids(ws, names))
    ]
    keys = [canonical_key(e) for e in entities]
    found = online_values(ws, ids, keys)
    data: dict[str, Any] = {"entity": list(entities)}
    for name, definition_id in zip(names, ids):
        values = found[definition_id]
        column = [values.get(k, np.nan) if k is not None else np.nan for k in keys]
        data[name] = [np.nan if v is None else v for v in column]
    return pd.DataFrame(data)


def freshness(ws: Workspace, name: str) -> dict[str, Any]:
    """How fresh feature ``name``'s online values are: ``version``, ``entities`` (how many have a value),
    ``newest_event``/``oldest_event`` (ISO text, None when empty), ``age_seconds`` (now minus the newest
    event time; None when empty), ``materialised_at`` (seconds since the epoch of the newest offline
    materialisation, None if never) and ``updated_at`` (the newest online write)."""
    stored = online_definition(ws, name)
    row = ws.query_one(
        """SELECT COUNT(*) AS n, MAX(event_time) AS newest, MIN(event_time) AS oldest, MAX(updated_at) AS updated
           FROM feature_online WHERE definition_id = ?""",
        (stored["id"],),
    )
    assert row is not None
    made = ws.query_one(
        "SELECT MAX(created_at) AS at FROM feature_materialisations WHERE definition_id = ?", (stored["id"],)
    )
    newest, oldest = row["newest"], row["oldest"]
    return {
        "name": name,
        "version": int(stored["version"]),
        "definition_id": int(stored["id"]),
        "entities": int(row["n"]),
        "newest_event": None if newest is None else _from_seconds(newest).isoformat(),
        "oldest_event": None if oldest is None else _from_seconds(oldest).isoformat(),
        "age_seconds": None if newest is None else max(0.0, now() - float(newest)),
        "materialised_at": made["at"] if made else None,
        "updated_at": row["updated"],
    }


# -- new events ----------------------------------------------------------------------------------------
def record_events(
    ws: Workspace, project_id: int, rows: pd.DataFrame | list[dict[str, Any]], moment: pd.Timestamp | None = None
) -> dict[str, int]:
    """New events (rows that hold a feature's entity and the columns its expression reads: the
    simulator's traffic) for every catalog feature the project uses: kept as events of ``moment``
    (default: now, to the microsecond), and the online value of each entity they touch recomputed from
    its whole history (source and recorded events). Returns {feature name: events recorded}; features
    whose columns the rows lack are left alone."""
    used = catalog.project_definitions(ws, project_id)
    if not used:
        return {}
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if not len(frame):
        return {}
    stamp = pd.Timestamp(moment if moment is not None else pd.Timestamp.now(tz="UTC").tz_localize(None)).floor("us")
    seconds = float(stamp.value) / 1e9
    recorded: dict[str, int] = {}
    for stored in used:
        definition = stored["definition"]
        needed = [c for c in definition.columns() if c != definition.timestamp]
        if any(c not in frame.columns for c in needed):
            continue
        keys = canonical_keys(frame[definition.entity])
        present = keys.notna().to_numpy()
        if not present.any():
            continue
        payload = frame.loc[present, [c for c in needed if c != definition.entity]]
        texts = [json.dumps({k: _plain(v) for k, v in row.items()}, default=str) for row in payload.to_dict("records")]
        with ws.transaction() as conn:
            conn.executemany(
                """INSERT INTO feature_stream_events (definition_id, entity_key, event_time, row_json, recorded_at)
                   VALUES (?, ?, ?, ?, ?)""",
                [(stored["id"], key, seconds, text, now()) for key, text in zip(keys[present], texts)],
            )
        touched = sorted(set(keys[present]))
        events = history(ws, stored, touched)
        values = compute_values(definition, events)
        _write_online(ws, int(stored["id"]), _latest_rows(definition, values), replace=False)
        recorded[definition.name] = int(present.sum())
    return recorded
