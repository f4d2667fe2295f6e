"""The workspace: one SQLite database plus a folder of hash-verified artifacts.

Every write to the database is a ``BEGIN IMMEDIATE`` transaction (two sessions promoting a model at
the same moment must not both win). Every artifact is written atomically (temp file, fsync, rename)
and its SHA-256 is checked before every load, so a truncated or tampered file is refused instead of
being unpickled. Models are saved in skops' secure format, or with joblib and a signature keyed outside
the database (core.security.model_format): rewriting a model file and its recorded hash together is
refused too.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from core.i18n import _
from core.workspace import owner
from core.workspace.actor import current_actor
from core.workspace.errors import ConfigError, IntegrityError, NotFoundError, StudioError
from core.workspace.jsonable import dumps  # (tracking, lab and featurestore import it from here too)
from core.workspace.schema import MIGRATIONS

WORKSPACE_ENV = "MLOPS_STUDIO_WORKSPACE"


ACTORS_MIGRATION = 14  # the migration that records who did what (audit actors, sign-off, lifecycle)


def signatures_migration() -> int | None:
    """The number of the migration that adds ``artifacts.signature`` (model signing), or None."""
    return next(
        (i for i, m in enumerate(MIGRATIONS, start=1) if any("ADD COLUMN signature" in s for s in m)),
        None,
    )


def default_workspace_path() -> Path:
    return Path(os.environ.get(WORKSPACE_ENV) or "workspace")


def now() -> float:
    return time.time()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


MAX_ID = 2**63 - 1  # SQLite's INTEGER PRIMARY KEY is a signed 64-bit number


def parse_id(value: Any) -> int | None:
    """A row id from untrusted text (a query parameter, a session value), or None. Only plain ASCII
    digits within SQLite's range count: "²".isdigit() is True and int() also takes "٣", " 7", "1_0",
    while a 20-digit number overflows SQLite and a 5,000-digit one int() itself. Ids start at 1."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= len(str(MAX_ID))
        or not value.isascii()
        or not value.isdigit()
    ):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def inserted_id(cur: sqlite3.Cursor) -> int:
    """The row id of the INSERT ``cur`` just ran. sqlite3 types ``lastrowid`` as optional (it is None
    on a cursor that has inserted nothing); after an INSERT it is always the new row's id."""
    assert cur.lastrowid is not None
    return cur.lastrowid


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _enable_wal(conn: sqlite3.Connection, wait_s: float = 30.0) -> None:
    """Switch a new database to WAL. The switch needs the file to itself and SQLite answers "database
    is locked" at once, without the busy timeout, while another connection opens it: so many
    sessions opening a fresh workspace together (a class starting the app) retry here."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


# Writes another part keeps queued in memory for a database (the prediction log's background
# writer, core.deployment.log_writer): each transaction, and each query that reads one of the tables
# they go to, runs this first, so whatever reads the database sees what this process wrote before it.
# A query of other tables (the endpoint's lookup of the live deployment, once per request) does not
# wait for them. Not run inside a transaction of this thread.
_pending_writes: Callable[[Path | None], None] | None = None
_pending_tables: tuple[str, ...] = ()
_in_transaction = threading.local()


def set_pending_writes(flush: Callable[[Path | None], None], tables: tuple[str, ...]) -> None:
    """``flush(db_path)`` writes what waits for that database (``None``: for every database); the
    writes go to ``tables``."""
    global _pending_writes, _pending_tables
    _pending_writes, _pending_tables = flush, tables


def flush_pending_writes(db_path: Path | None = None, sql: str | None = None) -> None:
    """Write what waits for ``db_path`` (every database when None), unless ``sql`` is given and reads
    none of the tables the waiting writes go to."""
    if _pending_writes is None or getattr(_in_transaction, "depth", 0) > 0:
        return
    if sql is not None and not any(table in sql for table in _pending_tables):
        return
    _pending_writes(db_path)


# Each thread keeps one read connection, to the database it read last, for ``Workspace.query``: a page
# rerun makes dozens of queries (the sidebar alone about ten) and opening a connection (with its
# PRAGMAs) costs more than most of them. Safe with WAL and our writes: the connection is in autocommit
# mode and every query reads all its rows before returning, so no read transaction stays open between
# queries; each query starts its own and sees every transaction committed before it, like a new
# connection would (tests/unit/workspace/test_database.py). Writes never use it (``transaction``
# opens its own). A Streamlit rerun, a job, an HTTP request runs in its own thread: the connection
# closes when the thread ends. Reading another database closes the previous one, so a thread (a test
# run) never piles up open files; a database file replaced at the same path is noticed (its inode).
_read_connection = threading.local()


class Workspace:
    """A folder holding ``studio.db`` and ``artifacts/``. Cheap to construct; safe across threads:
    a write opens its own connection, a read uses its thread's own (``_read_connection``)."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_workspace_path()
        self.db_path = self.root / "studio.db"
        self.artifact_dir = self.root / "artifacts"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self.artifact_dir.mkdir(exist_ok=True)
        except OSError as exc:  # a file in the way, a read-only disk, no permission
            why = _("it is a file, not a folder") if self.root.is_file() else exc.strerror or str(exc)
            raise ConfigError(
                _(
                    "The workspace folder {folder} cannot be used ({why}); choose a "
                    "folder you can write to with --workspace or MLOPS_STUDIO_WORKSPACE."
                ).format(folder=self.root, why=why)
            ) from None
        self._migrate()
        self.settle_interrupted_work()

    # -- database ---------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("PRAGMA foreign_keys=ON")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":  # once per database file: it persists
            _enable_wal(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: takes the write lock up front (BEGIN IMMEDIATE)."""
        flush_pending_writes(self.db_path)
        conn = self._connect()
        _in_transaction.depth = getattr(_in_transaction, "depth", 0) + 1
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            _in_transaction.depth -= 1
            conn.close()

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection to this database (opened again if the file was replaced)."""
        try:
            stat = os.stat(self.db_path)
        except FileNotFoundError:  # deleted under us: a new connection makes an empty one, as before
            close_read_connection()
            self._connect().close()
            stat = os.stat(self.db_path)
        key = (str(self.db_path), stat.st_dev, stat.st_ino, os.getpid())  # a forked child opens its own
        held = getattr(_read_connection, "held", None)
        if held is not None and held[0] == key:
            return held[1]
        close_read_connection()
        conn = self._connect()
        _read_connection.held = (key, conn)
        return conn

    def query(self, sql: str, params: tuple | list = ()) -> list[dict[str, Any]]:
        flush_pending_writes(self.db_path, sql)
        conn = self._reader()
        try:
            return [dict(row) for row in conn.execute(sql, params).fetchall()]
        except BaseException:
            close_read_connection()  # never reuse a connection whose query failed midway
            raise

    def query_one(self, sql: str, params: tuple | list = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def get_row(self, table: str, row_id: int, missing: str) -> dict[str, Any]:
        """The row with this id, or NotFoundError with the caller's message (what to do about it)."""
        row = self.query_one(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
        if row is None:
            raise NotFoundError(missing)
        return row

    def next_version(self, conn: sqlite3.Connection, table: str, project_id: int, kind: str | None = None) -> int:
        """The next version number of a per-project (and per-kind, if given) versioned table, inside a
        write transaction."""
        sql = f"SELECT COALESCE(MAX(version), 0) + 1 FROM {table} WHERE project_id = ?"
        params: tuple = (project_id,)
        if kind is not None:
            sql, params = sql + " AND kind = ?", (project_id, kind)
        return int(conn.execute(sql, params).fetchone()[0])

    def _migrate(self) -> None:
        # The schema this code knows (the tests of a migration open a workspace with the ones before it).
        self.schema_version = len(MIGRATIONS)
        applied: list[int] = []
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at REAL)")
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for version, statements in enumerate(MIGRATIONS, start=1):
                if version in done:
                    continue
                for statement in statements:
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, now()))
                applied.append(version)
        signatures = signatures_migration()
        self._signatures = signatures is not None and signatures <= self.schema_version
        if signatures in applied and done:  # an older workspace upgraded: sign the models it has
            self._sign_legacy_models()

    def _sign_legacy_models(self) -> None:
        """Models saved before signatures existed are signed once, at the upgrade (their hash must match)."""
        from core.security import model_format

        try:
            signed = model_format.sign_legacy_models(self)
        except StudioError as exc:  # no key file can be made: they stay unsigned, refused with a message
            logging.getLogger("mlops_studio.security").warning("old models not signed: %s", exc)
            return
        if signed:
            logging.getLogger("mlops_studio.security").info("signed %d model(s) saved before signatures", signed)

    def settle_interrupted_work(self) -> int:
        """Mark the jobs, tuning studies and pipeline runs that a process left "running" and that
        process has since ended (a killed server, a CLI run stopped midway) as interrupted; work of a
        live process (this one, a CLI run beside the server) is left alone. Runs when the workspace is
        opened; readers of a single job or study check again. Returns how many rows were marked."""
        marked = 0
        with self.transaction() as conn:
            for table, column, running, ended in _INTERRUPTIBLE_WORK:
                if not {column, "owner"} <= {c[1] for c in conn.execute(f"PRAGMA table_info({table})")}:
                    continue  # a schema before owners were recorded
                rows = conn.execute(f"SELECT id, owner FROM {table} WHERE {column} = ?", (running,)).fetchall()
                gone = [
                    (ended, row["id"])
                    for row in rows
                    if not owner.is_this_process(row["owner"]) and not owner.is_alive(row["owner"])
                ]
                conn.executemany(f"UPDATE {table} SET {column} = ? WHERE id = ?", gone)
                marked += len(gone)
        return marked

    # -- artifacts --------------------------------------------------------------------------
    def write_artifact(self, kind: str, data: bytes, suffix: str, *, sign: bool = False) -> int:
        """Store bytes atomically under artifacts/<kind>/<sha>.<suffix>; return the artifact id.
        ``sign``: record the artifact's signature (core.security.model_format.sign) with it."""
        digest = sha256_bytes(data)
        rel = f"{kind}/{digest[:16]}{suffix}"
        _atomic_write(self.artifact_dir / rel, data)
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO artifacts (kind, path, sha256, size, created_at) VALUES (?, ?, ?, ?, ?)",
                (kind, rel, digest, len(data), now()),
            )
            artifact_id = inserted_id(cur)
            if sign:
                from core.security import model_format

                conn.execute(
                    "UPDATE artifacts SET signature = ? WHERE id = ?",
                    (model_format.sign(self.root, artifact_id, digest), artifact_id),
                )
            return artifact_id

    def artifact_info(self, artifact_id: int) -> dict[str, Any]:
        row = self.query_one("SELECT * FROM artifacts WHERE id = ?", (artifact_id,))
        if row is None:
            raise NotFoundError(
                _("Artifact {artifact} does not exist in workspace {folder}.").format(
                    artifact=artifact_id, folder=self.root
                )
            )
        return row

    def read_artifact(self, artifact_id: int) -> bytes:
        """The artifact's bytes, refused unless they hash to what was recorded at write time."""
        return self._verified_bytes(self.artifact_info(artifact_id))

    def _verified_bytes(self, info: dict[str, Any]) -> bytes:
        path = self.artifact_dir / info["path"]
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise IntegrityError(
                _(
                    "The {kind} file {path} is missing from the workspace; "
                    "re-create it (re-run the stage) or restore the workspace folder."
                ).format(kind=info["kind"], path=info["path"])
            ) from None
        if sha256_bytes(data) != info["sha256"]:
            raise IntegrityError(
                _(
                    "The {kind} file {path} was changed or corrupted after it was saved "
                    "(its SHA-256 no longer matches); it was not loaded. Re-run the stage that made it."
                ).format(kind=info["kind"], path=info["path"])
            )
        return data

    def save_frame(self, df: pd.DataFrame, kind: str = "dataset") -> int:
        buf = io.BytesIO()
        df.to_parquet(buf, index=False)
        return self.write_artifact(kind, buf.getvalue(), ".parquet")

    def load_frame(self, artifact_id: int) -> pd.DataFrame:
        return pd.read_parquet(io.BytesIO(self.read_artifact(artifact_id)))

    def save_json(self, obj: Any, kind: str = "report") -> int:
        data = dumps(obj, sort_keys=True).encode()
        return self.write_artifact(kind, data, ".json")

    def load_json(self, artifact_id: int) -> Any:
        return json.loads(self.read_artifact(artifact_id))

    def save_model(self, model: Any) -> int:
        """Save a fitted model: in skops' secure format when it holds only trusted types, else with
        joblib and an HMAC signature keyed outside the database (core.security.model_format)."""
        from core.security import model_format

        data, suffix = model_format.dump_model(model)
        sign = suffix == model_format.JOBLIB_SUFFIX and self._signatures
        return self.write_artifact("model", data, suffix, sign=sign)

    def load_model(self, artifact_id: int) -> Any:
        """A saved model, after its SHA-256 check and either skops' trusted-types check (nothing else
        is built) or, for a joblib file, its signature check: nothing unsigned is ever unpickled."""
        from core.security import model_format

        info = self.artifact_info(artifact_id)
        data = self._verified_bytes(info)
        if info["path"].endswith(model_format.SKOPS_SUFFIX):
            return model_format.load_skops(data, info["path"])
        model_format.check_signature(self.root, info, info["sha256"])
        import joblib

        return joblib.load(io.BytesIO(data))

    def audit(self, conn: sqlite3.Connection, project_id: int | None, action: str, detail: dict) -> None:
        """Append to the audit log inside the caller's transaction, with who does it (actor.current_actor)."""
        who = current_actor()
        if self.schema_version < ACTORS_MIGRATION:  # a schema from before actors were recorded
            conn.execute(
                "INSERT INTO audit_log (ts, project_id, action, detail_json) VALUES (?, ?, ?, ?)",
                (now(), project_id, action, dumps(detail)),
            )
            return
        conn.execute(
            "INSERT INTO audit_log (ts, project_id, action, detail_json, actor, actor_role, on_behalf_of) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (now(), project_id, action, dumps(detail), who.name, who.role, who.on_behalf_of),
        )


def close_read_connection() -> None:
    """Close this thread's read connection, if it has one (the next query opens a new one)."""
    held = getattr(_read_connection, "held", None)
    _read_connection.held = None
    if held is not None and held[0][-1] == os.getpid():  # never close a parent's connection in a fork
        held[1].close()


# Long work recorded as running, with its owner process: (table, state column, running, once its owner is gone).
_INTERRUPTIBLE_WORK = (
    ("jobs", "status", "running", "interrupted"),
    ("studies", "status", "running", "interrupted"),
    ("projects", "build_state", "building", "stopped"),
)
