"""The right to erasure: `erase_entity(ws, project_id, column, value)` takes one person (the rows whose
``column`` holds ``value``, in clear or as its keyed hash) out of the workspace, and records that it
did so without recording who.

What it does, in order:

1. **Datasets** (raw and cleaned, every version): the person's rows are removed. A cleaned version that
   no longer has the column (the recipe dropped, masked or renamed it) is remade by replaying its saved
   recipe on the erased raw table, so the rows that came from the person go too. The rows removed
   (all their cells) are remembered to find the same rows elsewhere.
2. **Every other table artifact** (holdouts, feature-store sources and materialisations, traffic,
   violations, run predictions): rows holding the value or its hash, or equal on every column to a
   removed dataset row, are removed. JSON artifacts (reports, explanations) have the value replaced by
   "[erased]"; an uploaded file keeps its lines without the ones holding the value.
   An artifact is rewritten, not versioned: the same artifact row gets the new file's path, size and
   SHA-256 (so every reference stays valid and the hash is checked again on the next load) and the old
   file is deleted. Erasure does not make new versions on purpose: a new version would leave the old
   one, with the person in it, behind.
3. **The database**: a prediction log row whose inputs hold the person has its inputs replaced by
   ``{"_erased": true}`` (a large batch's stored frame has the row's cells blanked); any other text
   cell holding the value has it replaced by "[erased]". The database is then vacuumed (with
   ``secure_delete``) so no freed page keeps the old bytes.
4. **Models are not changed.** A model trained on a dataset that held the person is listed in the
   result and the audit entry: it has to be retrained (erasure does not retrain by itself); a model
   file that holds the value itself (a category of a one-hot encoder) is flagged as such.

The audit entry (action ``privacy.erasure``) keeps the column, a keyed hash of the value (`audit_hash`:
a second request for the same person can be matched, nobody can read who it was, and it differs from
the hash the data and the log use), the counts per place and
the model versions to retrain — never the value.

The whole workspace is searched, not only the project: a person asking to be erased is erased
everywhere the studio holds them; the audit entry is filed under the project it was asked in.
"""

from __future__ import annotations

import io
import json
import pickle
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.i18n import _
from core.security.masking import as_text, hash_text, pii_key, pii_key_scope
from core.workspace.database import Workspace, _atomic_write, sha256_bytes
from core.workspace.errors import ConfigError, NotFoundError

ERASED = "[erased]"
MIN_TEXT_CHARS = 4  # shorter values are erased from table cells, not searched for inside free text
ERASED_INPUTS = '{"_erased":true}'
_FRAME_SUFFIXES = (".parquet",)


@dataclass
class ErasureResult:
    column: str
    value_hash: str  # keyed hash of the value: what the audit entry keeps
    dataset_rows: int = 0  # rows removed from dataset versions
    datasets: list[int] = field(default_factory=list)  # dataset ids that held the person
    artifact_rows: int = 0  # rows removed from other table artifacts
    artifacts_rewritten: int = 0
    log_rows: int = 0  # prediction-log rows whose inputs were erased
    text_cells: int = 0  # other database cells where the value was replaced
    models_to_retrain: list[dict[str, Any]] = field(default_factory=list)  # {id, name, version, holds_value}

    @property
    def found(self) -> bool:
        return bool(self.dataset_rows or self.artifact_rows or self.log_rows or self.text_cells)

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "value_hash": self.value_hash,
            "dataset_rows": self.dataset_rows,
            "datasets": self.datasets,
            "artifact_rows": self.artifact_rows,
            "artifacts_rewritten": self.artifacts_rewritten,
            "log_rows": self.log_rows,
            "text_cells": self.text_cells,
            "models_to_retrain": self.models_to_retrain,
            "retrained": False,
        }


def audit_hash(value: str, key: bytes) -> str:
    """What the audit keeps of the value: a keyed hash under another label than the data's hash, so the
    entry matches a second request for the same person but joins to no pseudonymised row."""
    return hash_text("erasure:" + value, key)


class _Matcher:
    """Which cells, rows and texts hold the person: the value as text or its keyed hash."""

    def __init__(self, column: str, value: str, key: bytes):
        self.column = column
        self.value = value
        self.tokens = {value, hash_text(value, key)}
        # In free text the value counts only as a whole token (not inside a longer word or number),
        # and a value shorter than MIN_TEXT_CHARS ("7") is matched in table cells only: replacing it
        # inside every text of the database would wreck numbers and JSON that merely contain it.
        searched = [t for t in self.tokens if len(t) >= MIN_TEXT_CHARS]
        self._pattern = (
            re.compile("|".join(rf"(?<![0-9A-Za-z]){re.escape(t)}(?![0-9A-Za-z])" for t in searched))
            if searched
            else None
        )
        alternatives = "|".join(re.escape(t) for t in self.tokens)
        self._fields = re.compile(rf"""(?:^|[,;\t|"'])\s*(?:{alternatives})\s*(?=$|[,;\t|"'\r\n])""")

    def rows(self, frame: pd.DataFrame) -> pd.Series:
        """Rows whose ``column`` holds the value or its hash; in a table without the column, rows with
        a text cell equal to them (a value of at least MIN_TEXT_CHARS: "7" is everywhere)."""
        own = self.column in frame.columns
        columns = [self.column] if own else list(frame.columns)
        tokens = self.tokens if own else {t for t in self.tokens if len(t) >= MIN_TEXT_CHARS}
        hit = pd.Series(False, index=frame.index)
        for name in columns if tokens else ():
            s = frame[name]
            if not own and not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
                continue
            hit |= s.map(lambda v: v is not None and not _missing(v) and as_text(v) in tokens).astype(bool)
        return hit

    def in_line(self, line: str) -> bool:
        """Whether a line of a delimited file has the value as one of its fields (any length)."""
        return self._fields.search(line) is not None

    def in_text(self, text: str) -> bool:
        return text in self.tokens or (self._pattern is not None and self._pattern.search(text) is not None)

    def scrub(self, text: str) -> str:
        if text in self.tokens:
            return ERASED
        return self._pattern.sub(ERASED, text) if self._pattern is not None else text


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _row_keys(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Each row's cells on ``columns`` as one text (to find the same row in another table)."""
    return frame[columns].astype("str").agg("\x1f".join, axis=1) if len(frame) else pd.Series([], dtype=object)


def erase_entity(ws: Workspace, project_id: int, column: str, value: str) -> ErasureResult:
    """Erase the person whose ``column`` is ``value`` from the workspace; see the module's docstring."""
    column, value = str(column).strip(), str(value).strip()
    if not column or not value:
        raise ConfigError(
            _("Erasure needs a column and the value that names the person in it (an id, an email…); got an empty one.")
        )
    if ws.query_one("SELECT id FROM projects WHERE id = ?", (project_id,)) is None:
        raise NotFoundError(_("Project {id} does not exist.").format(id=project_id))
    key = pii_key(ws.root)
    match = _Matcher(column, value, key)
    result = ErasureResult(column, audit_hash(value, key))
    removed_rows: dict[tuple[str, ...], set[str]] = {}
    done: set[int] = set()
    with pii_key_scope(ws.root):
        _erase_datasets(ws, match, result, removed_rows, done)
    _erase_artifacts(ws, match, result, removed_rows, done)
    _erase_database(ws, match, result)
    result.models_to_retrain = _models_trained_on(ws, result.datasets, match)
    with ws.transaction() as conn:
        ws.audit(conn, project_id, "privacy.erasure", result.to_dict())
    _vacuum(ws)
    return result


# -- 1 · datasets ------------------------------------------------------------------------------------------


def _erase_datasets(ws: Workspace, match: _Matcher, result: ErasureResult, removed_rows: dict, done: set) -> None:
    rows = ws.query("SELECT id, kind, artifact_id, parent_id, recipe_id, upload_artifact_id FROM datasets ORDER BY id")
    erased_raw: dict[int, pd.DataFrame] = {}
    for row in rows:
        frame = ws.load_frame(row["artifact_id"])
        hit = match.rows(frame)
        new = frame[~hit].reset_index(drop=True)
        if not hit.any() and match.column not in frame.columns and row["parent_id"] in erased_raw and row["recipe_id"]:
            new = _replay(ws, erased_raw[row["parent_id"]], row["recipe_id"], frame)
        removed = len(frame) - len(new)
        if row["kind"] == "raw" and removed:
            erased_raw[row["id"]] = new
        if removed:
            result.dataset_rows += removed
            result.datasets.append(row["id"])
            columns = [str(c) for c in frame.columns]
            gone = set(_row_keys(frame.astype(object), columns)) - set(_row_keys(new.astype(object), columns))
            removed_rows.setdefault(tuple(columns), set()).update(gone)
            _rewrite(ws, row["artifact_id"], _parquet(new))
            with ws.transaction() as conn:
                conn.execute("UPDATE datasets SET rows = ? WHERE id = ?", (len(new), row["id"]))
        done.add(row["artifact_id"])
        if row["upload_artifact_id"]:
            _erase_upload(ws, row["upload_artifact_id"], match, result)
            done.add(row["upload_artifact_id"])


def _replay(ws: Workspace, raw: pd.DataFrame, recipe_id: int, old: pd.DataFrame) -> pd.DataFrame:
    """A cleaned version remade from the erased raw table by its saved recipe (its columns as before)."""
    from core.data import datasets
    from core.data.cleaning import apply_recipe

    cleaned, _reports = apply_recipe(raw, datasets.load_recipe(ws, recipe_id), training=True)
    if list(cleaned.columns) != list(old.columns):
        return old  # the recipe no longer gives the same table: leave it (reported as not found there)
    return cleaned


def _erase_upload(ws: Workspace, artifact_id: int, match: _Matcher, result: ErasureResult) -> None:
    """An uploaded file: its lines holding the value go (CSV and text); other files are left as they are."""
    data = ws.read_artifact(artifact_id)
    for encoding in ("utf-8", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        lines = text.splitlines(keepends=True)
        kept = [line for line in lines if not match.in_line(line)]
        if len(kept) == len(lines):
            return
        _rewrite(ws, artifact_id, "".join(kept).encode(encoding))
        result.artifact_rows += len(lines) - len(kept)
        return


# -- 2 · other artifacts -----------------------------------------------------------------------------------


def _erase_artifacts(ws: Workspace, match: _Matcher, result: ErasureResult, removed_rows: dict, done: set) -> None:
    for art in ws.query("SELECT id, kind, path FROM artifacts ORDER BY id"):
        if art["id"] in done or not (ws.artifact_dir / art["path"]).exists():
            continue
        path = str(art["path"])
        if path.endswith(_FRAME_SUFFIXES):
            frame = ws.load_frame(art["id"])
            keep = ~match.rows(frame)
            for columns, gone in removed_rows.items():
                if set(columns) <= set(map(str, frame.columns)) and len(frame):
                    keep &= ~_row_keys(
                        frame.astype(object).set_axis(list(map(str, frame.columns)), axis=1), list(columns)
                    ).isin(gone)
            if not keep.all():
                result.artifact_rows += int((~keep).sum())
                _rewrite(ws, art["id"], _parquet(frame[keep].reset_index(drop=True)))
        elif path.endswith(".json"):
            text = ws.read_artifact(art["id"]).decode("utf-8")
            if any(token in text for token in match.tokens):
                data = json.loads(text)
                scrubbed = _scrub_json(data, match)
                if scrubbed != data:
                    _rewrite(ws, art["id"], json.dumps(scrubbed, sort_keys=True).encode())


def _scrub_json(obj: Any, match: _Matcher) -> Any:
    if isinstance(obj, str):
        return match.scrub(obj)
    if isinstance(obj, list):
        return [_scrub_json(v, match) for v in obj]
    if isinstance(obj, dict):
        return {match.scrub(str(k)): _scrub_json(v, match) for k, v in obj.items()}
    return obj


def _parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _rewrite(ws: Workspace, artifact_id: int, data: bytes) -> None:
    """The artifact's file replaced by ``data`` under its new hash; the old file deleted when unused."""
    info = ws.artifact_info(artifact_id)
    digest = sha256_bytes(data)
    suffix = "." + str(info["path"]).rsplit(".", 1)[-1] if "." in str(info["path"]) else ""
    rel = f"{info['kind']}/{digest[:16]}{suffix}"
    _atomic_write(ws.artifact_dir / rel, data)
    with ws.transaction() as conn:
        conn.execute(
            "UPDATE artifacts SET path = ?, sha256 = ?, size = ? WHERE id = ?", (rel, digest, len(data), artifact_id)
        )
        still_used = conn.execute("SELECT 1 FROM artifacts WHERE path = ?", (info["path"],)).fetchone()
    if not still_used and info["path"] != rel:
        (ws.artifact_dir / info["path"]).unlink(missing_ok=True)


# -- 3 · the database --------------------------------------------------------------------------------------


def _erase_database(ws: Workspace, match: _Matcher, result: ErasureResult) -> None:
    _erase_stored_batches(ws, match, result)
    with ws.transaction() as conn:
        for row in conn.execute("SELECT id, input_json FROM predictions WHERE input_json IS NOT NULL").fetchall():
            text = row[1]
            if match.in_text(text) and _row_holds(text, match):
                conn.execute("UPDATE predictions SET input_json = ? WHERE id = ?", (ERASED_INPUTS, row[0]))
                result.log_rows += 1
        result.text_cells += _erase_online_features(conn, match)
        for table, column in _text_columns(conn):
            keys = _row_key(conn, table)
            selected = ", ".join(f'"{k}"' if k != "rowid" else k for k in keys)
            sql = f'SELECT {selected}, "{column}" FROM "{table}" WHERE ' + " OR ".join(
                f'instr("{column}", ?) > 0' for _t in match.tokens
            )
            where = " AND ".join(f'"{k}" = ?' if k != "rowid" else "rowid = ?" for k in keys)
            for *key, text in conn.execute(sql, tuple(match.tokens)).fetchall():
                if not isinstance(text, str) or not match.in_text(text):
                    continue
                conn.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE {where}', (match.scrub(text), *key))
                result.text_cells += 1


def _erase_online_features(conn: sqlite3.Connection, match: _Matcher) -> int:
    """The feature store's online values and recorded events of the entity, deleted by its canonical
    key (1, 1.0 and "1" are one entity there): a key is part of the online table's primary key, so it is
    removed, not rewritten."""
    from core.featurestore.keys import canonical_key

    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    keys = sorted({k for k in (canonical_key(t) for t in match.tokens) if k is not None})
    removed = 0
    for table in ("feature_online", "feature_stream_events"):
        if table in tables and keys:
            marks = ", ".join("?" for _k in keys)
            removed += conn.execute(f"DELETE FROM {table} WHERE entity_key IN ({marks})", keys).rowcount  # noqa: S608
    return removed


def _row_key(conn: sqlite3.Connection, table: str) -> list[str]:
    """How to name one row of ``table`` again: its rowid, or its primary key in a WITHOUT ROWID table."""
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    if sql and "WITHOUT ROWID" in str(sql[0]).upper():
        info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        return [str(col[1]) for col in sorted(info, key=lambda c: c[5]) if col[5]]
    return ["rowid"]


def _row_holds(text: str, match: _Matcher) -> bool:
    try:
        row = json.loads(text)
    except json.JSONDecodeError:
        return True
    if not isinstance(row, dict):
        return True
    if match.column in row:
        return as_text(row[match.column]) in match.tokens
    return any(isinstance(v, str) and v in match.tokens for v in row.values())


def _erase_stored_batches(ws: Workspace, match: _Matcher, result: ErasureResult) -> None:
    """A large batch's stored frame: the person's rows blanked (the frame keeps its row count: rows are
    found by their offset), and their log rows marked erased."""
    import pyarrow as pa

    from core.deployment.stored_inputs import decode_inputs

    spans = ws.query("SELECT id, rows, first_prediction_id, data FROM prediction_inputs")
    for span in spans:
        frame = decode_inputs(span["data"], range(span["rows"]))  # type: ignore[arg-type]
        hit = match.rows(frame)
        if not hit.any():
            continue
        blanked = frame.astype(object)
        blanked.loc[hit.to_numpy(), :] = None
        sink = pa.BufferOutputStream()
        table = pa.Table.from_pandas(blanked, preserve_index=False)
        with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as writer:
            writer.write_table(table)
        ids = [int(span["first_prediction_id"]) + int(i) for i in hit.to_numpy().nonzero()[0]]
        with ws.transaction() as conn:
            conn.execute(
                "UPDATE prediction_inputs SET data = ? WHERE id = ?", (sink.getvalue().to_pybytes(), span["id"])
            )
            conn.executemany("UPDATE predictions SET input_json = ? WHERE id = ?", [(ERASED_INPUTS, i) for i in ids])
        result.log_rows += len(ids)


def _text_columns(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every text column of every table but the ones erasure writes itself (artifacts' paths and hashes)."""
    out = []
    tables = [
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    ]
    for table in tables:
        if table in ("artifacts", "schema_migrations"):
            continue
        for info in conn.execute(f'PRAGMA table_info("{table}")').fetchall():
            if "TEXT" in str(info[2]).upper() or not info[2]:
                out.append((table, str(info[1])))
    return out


def _vacuum(ws: Workspace) -> None:
    """Freed pages and the write-ahead log keep old bytes: overwrite them."""
    conn = sqlite3.connect(ws.db_path, timeout=30, isolation_level=None)
    try:
        conn.execute("PRAGMA secure_delete = ON")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.OperationalError:  # another process holds the database: its next checkpoint does it
        pass
    finally:
        conn.close()


# -- 4 · models --------------------------------------------------------------------------------------------


def _models_trained_on(ws: Workspace, dataset_ids: list[int], match: _Matcher) -> list[dict[str, Any]]:
    """The model versions trained on a dataset that held the person (by lineage), and whether the model
    file itself holds the value."""
    if not dataset_ids:
        return []
    affected = set(dataset_ids)
    out = []
    for version in ws.query(
        "SELECT id, model_name, version, artifact_id, lineage_json FROM model_versions ORDER BY id"
    ):
        lineage = json.loads(version["lineage_json"] or "{}")
        if not {lineage.get("dataset_id"), lineage.get("raw_dataset_id")} & affected:
            continue
        out.append(
            {
                "id": version["id"],
                "name": version["model_name"],
                "version": version["version"],
                "holds_value": _model_holds(ws, version["artifact_id"], match),
            }
        )
    return out


def _model_holds(ws: Workspace, artifact_id: int, match: _Matcher) -> bool:
    try:
        model = ws.load_model(artifact_id)
        data = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - a model that cannot be read is not searched; it is listed anyway
        return False
    return any(token.encode() in data for token in match.tokens)
