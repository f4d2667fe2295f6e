"""The prediction log's background writer: an answer returns before its log rows reach SQLite.

`submit` queues a batch (the number of its rows and a function that makes their insert records, run
in the writer's thread, so that encoding the inputs as JSON is not paid before the answer either)
and returns; one writer thread per workspace database wakes every `FLUSH_EVERY_S` (at once when `FLUSH_ROWS` rows wait) and writes
everything queued in one transaction: the small batches' records together, in statements of many
rows; a large batch's (a `ColumnBatch`: its records column by column) in statements of its own that
bind a value the same in every row once (the deployment, the time, an arm, an empty shadow...), not
once a row: binding the parameters is most of what an insert costs, so this halves the log's
CPU on a 10,000-row batch, the rows written being the same. A ColumnBatch that stores something once
(its inputs, a compressed frame) is followed by that one row, with the id range of its rows. What
was queued is never lost or reordered:

- **Read your writes.** `flush` writes what is queued in the caller's thread (after any write in
  flight). Every reader of the log flushes first: the workspace flushes before each transaction and
  each query that reads the predictions table (``core.workspace.database.set_pending_writes``; the
  endpoint's per-request deployment lookup reads other tables and does not wait), so a page, the review
  queue, feedback for a request id just answered, the rollouts and Monitor's live traffic see every
  row answered before them in this process.
- **Exit.** Queued rows are written at interpreter exit (``atexit``), when the endpoint stops, and
  before ``mlops-studio`` leaves; a forked child forgets its parent's queue (the parent writes it).
- **Backpressure.** At most `MAX_QUEUED_ROWS` rows wait: a `submit` beyond that waits for the
  writer, so memory stays bounded.
- **Failures.** A write is tried `ATTEMPTS` times (each waits up to `BUSY_TIMEOUT_MS` for a lock).
  When all fail (the database locked for long, a full disk) the rows stay queued, in order, the
  writer retries every `RETRY_EVERY_S`, and the next `submit` (the next ``predict``) writes them
  in its own thread: if that fails too, it raises `LogUnavailable`, so the caller is told and its
  own answer (never given) is not logged.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.workspace.database import set_pending_writes
from core.workspace.errors import StudioError

FLUSH_EVERY_S = 0.004
FLUSH_ROWS = 5_000
MAX_QUEUED_ROWS = 100_000
ATTEMPTS = 3
BUSY_TIMEOUT_MS = 3_000
RETRY_PAUSE_S = 0.05
RETRY_EVERY_S = 1.0
CHUNK_ROWS = 500  # rows per INSERT statement (many VALUES rows): fewer statement runs, one GIL release each
IDLE_S = 2.0  # a writer thread with nothing to do this long ends (a new one starts on the next submit)


class LogUnavailable(StudioError):
    """The prediction log cannot be written (its rows wait in memory; nothing was dropped)."""


class Same:
    """A column of a `ColumnBatch` whose every row holds ``value``: bound once per statement."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return f"Same({self.value!r})"


class ColumnBatch:
    """A batch's insert records column by column, in the insert's column order: each column a list of
    its rows' values, or `Same` when one value fills it. A large batch is written this way: a value
    that is the same in every row (the deployment, the time, the arm, an empty shadow...) is bound
    once per statement instead of once per row, which is most of what an insert of many rows costs.
    ``params``: the writer's ``once_sql`` parameters for what the batch stores once, to which it adds
    the first and last id its rows were given (None: nothing stored once)."""

    def __init__(self, columns: list[Any], rows: int, params: tuple[Any, ...] | None = None):
        self.columns = columns
        self.rows = rows
        self.params = params

    def __len__(self) -> int:
        return self.rows

    def records(self) -> list[tuple[Any, ...]]:
        """The batch as one tuple a row."""
        return list(zip(*(itertools.repeat(c.value, self.rows) if isinstance(c, Same) else c for c in self.columns)))


def column_of(values: list[Any]) -> Any:
    """``values`` (a non-empty list) as a ColumnBatch column: `Same` when every value is the first's
    equal and of its type (1, 1.0 and True are equal, yet SQLite keeps '1' and '1.0' apart)."""
    first = values[0]
    if values.count(first) == len(values) and set(map(type, values)) == {type(first)}:
        return Same(first)
    return values


Records = list[tuple[Any, ...]] | ColumnBatch  # a batch's insert records: one tuple a row, or its columns


class LogWriter:
    """The queue and writer thread of one workspace database's prediction log."""

    def __init__(self, db_path: Path, insert_sql: str, once_sql: str = ""):
        self.db_path = db_path
        self.insert_sql = insert_sql
        self.once_sql = once_sql  # the insert of what a ColumnBatch stores once
        head, _, values = insert_sql.rpartition("VALUES")
        self._chunk_sql = f"{head}VALUES {','.join([values.strip()] * CHUNK_ROWS)}" if head else ""
        self._chunk_params = values.count("?") * CHUNK_ROWS
        self._head = head
        self._conn: sqlite3.Connection | None = None
        self._write_lock = threading.Lock()  # one write at a time, taken in queue order
        self._cond = threading.Condition()  # guards everything below
        self._queue: list[tuple[int, Callable[[], Records]]] = []
        self._queued = 0  # rows queued or being written
        self.failure: BaseException | None = None
        self._thread: threading.Thread | None = None

    # -- callers -------------------------------------------------------------------------------
    def submit(self, rows: int, records: Callable[[], Records]) -> None:
        """Queue one batch of ``rows`` rows, whose insert records ``records()`` makes; returns at once
        unless the queue is full (then waits) or the writer has failed (then writes in this thread,
        raising LogUnavailable if it cannot)."""
        if rows <= 0:
            return
        if self.failure is not None:
            self.flush()  # raises LogUnavailable while the database refuses: this batch is not queued
        with self._cond:
            while self._queued >= MAX_QUEUED_ROWS and self.failure is None:
                self._cond.notify_all()
                self._cond.wait(0.05)
            self._queue.append((rows, records))
            self._queued += rows
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="prediction-log-writer", daemon=True)
                self._thread.start()
            elif len(self._queue) == 1 or self._queued >= FLUSH_ROWS:
                self._cond.notify_all()

    @property
    def pending(self) -> int:
        """Rows queued or being written."""
        return self._queued

    def flush(self) -> None:
        """Write everything queued so far, in this thread (after a write in flight). Raises
        LogUnavailable when the database refuses; the rows then stay queued."""
        if self._queued:
            self._drain(ATTEMPTS)

    # -- the writer ----------------------------------------------------------------------------
    def _run(self) -> None:
        while self._wait_for_rows():
            try:
                self._drain(ATTEMPTS)
            except LogUnavailable:
                pass  # kept queued: retried here, and by the next submit
        with self._write_lock:
            self._close()

    def _wait_for_rows(self) -> bool:
        """Until rows wait (and a few milliseconds more, so that more requests join the write):
        True; False when idle for IDLE_S (the thread then ends)."""
        with self._cond:
            idle_since = time.monotonic()
            while not self._queue:
                if time.monotonic() - idle_since >= IDLE_S:
                    self._thread = None
                    return False
                self._cond.wait(IDLE_S)
            if self.failure is not None:
                self._cond.wait(RETRY_EVERY_S)
            elif self._queued < FLUSH_ROWS:
                self._cond.wait(FLUSH_EVERY_S)
            return True

    def _drain(self, attempts: int) -> None:
        with self._write_lock:
            with self._cond:
                batches, self._queue = self._queue, []
            if not batches:
                return
            try:
                self._write([make() for _, make in batches], attempts)
            except Exception as exc:  # the database refused (or a batch's records could not be made)
                with self._cond:
                    self._queue[:0] = batches  # back at the head, in order
                    self.failure = exc
                    self._cond.notify_all()
                raise LogUnavailable(
                    f"The prediction log cannot be written ({exc}); {self._queued:,} logged answer(s) wait in memory "
                    f"and are written as soon as {self.db_path} accepts writes again. Check the disk and "
                    "whether another program holds the workspace database."
                ) from exc
            with self._cond:
                self._queued -= sum(rows for rows, _ in batches)
                self.failure = None
                self._cond.notify_all()

    def _write(self, made: list[Records], attempts: int) -> None:
        for attempt in range(attempts):
            try:
                conn = self._connection()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    self._insert(conn, made)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                return
            except (sqlite3.OperationalError, OSError):
                self._close()
                if attempt == attempts - 1:
                    raise
                time.sleep(RETRY_PAUSE_S * (attempt + 1))

    def _insert(self, conn: sqlite3.Connection, made: list[Records]) -> None:
        """Every batch's records in order: plain ones together; a ColumnBatch alone, then what
        it stores once, with the ids its rows got (consecutive: one writer, one transaction)."""
        plain: list[tuple[Any, ...]] = []
        for records in made:
            if not isinstance(records, ColumnBatch):
                plain.extend(records)
                continue
            if plain:
                self._insert_records(conn, plain)
                plain = []
            self._insert_columns(conn, records)
            if records.params is None:
                continue
            last = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
            conn.execute(self.once_sql, (*records.params, last - len(records) + 1, last))
        if plain:
            self._insert_records(conn, plain)

    def _insert_records(self, conn: sqlite3.Connection, records: list[tuple[Any, ...]]) -> None:
        """``executemany`` of the records, CHUNK_ROWS rows a statement while that many remain."""
        whole = len(records) // CHUNK_ROWS * CHUNK_ROWS if self._chunk_sql else 0
        if whole and conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) < self._chunk_params:
            whole = 0  # an SQLite built with a lower limit on a statement's parameters
        for start in range(0, whole, CHUNK_ROWS):
            conn.execute(self._chunk_sql, list(itertools.chain.from_iterable(records[start : start + CHUNK_ROWS])))
        if whole < len(records):
            conn.executemany(self.insert_sql, records[whole:] if whole else records)

    def _insert_columns(self, conn: sqlite3.Connection, batch: ColumnBatch) -> None:
        """A ColumnBatch in statements of many rows, each `Same` value bound once a statement: the
        rows are the same as ``_insert_records(batch.records())`` writes."""
        if not self._head or not batch.rows:
            self._insert_records(conn, batch.records())
            return
        same = [c.value for c in batch.columns if isinstance(c, Same)]
        varying = tuple(i for i, c in enumerate(batch.columns) if not isinstance(c, Same))
        width = len(varying)
        flat = list(itertools.chain.from_iterable(zip(*(batch.columns[i] for i in varying)))) if width else []
        room = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - len(same)
        step = max(1, min(CHUNK_ROWS, room // width if width else CHUNK_ROWS))
        for start in range(0, batch.rows, step):
            rows = min(step, batch.rows - start)
            sql = _sparse_sql(self._head, len(batch.columns), varying, rows)
            conn.execute(sql, same + flat[start * width : (start + rows) * width])

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                self.db_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous=NORMAL")  # in WAL mode a commit survives the process ending
            conn.execute("PRAGMA foreign_keys=ON")
            # Fold the WAL into the database every ~32 MB rather than 4 MB: fewer disk flushes when
            # large batches are logged back to back.
            conn.execute("PRAGMA wal_autocheckpoint=8192")
            conn.execute("PRAGMA cache_size=-65536")  # 64 MB: the log's indexes stay in memory
            self._conn = conn
        return self._conn

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                pass


@functools.lru_cache(maxsize=64)
def _sparse_sql(head: str, columns: int, varying: tuple[int, ...], rows: int) -> str:
    """``head`` (``INSERT INTO t (...)``) VALUES ``rows`` rows of ``columns`` numbered parameters: the
    columns not in ``varying`` are ?1, ?2... shared by every row, the varying ones follow row by row."""
    shared = {i: n for n, i in enumerate((i for i in range(columns) if i not in varying), start=1)}
    first = len(shared) + 1
    at = {i: j for j, i in enumerate(varying)}
    values = []
    for r in range(rows):
        base = first + r * len(varying)
        values.append(
            "(" + ",".join(f"?{shared[i]}" if i in shared else f"?{base + at[i]}" for i in range(columns)) + ")"
        )
    return f"{head}VALUES {','.join(values)}"


_writers: dict[str, LogWriter] = {}  # by the database file's real path
_writers_lock = threading.Lock()
_real_paths: dict[str, str] = {}  # a path as spelled -> the real path


def _key(db_path: Path) -> str:
    spelled = str(db_path)
    real = _real_paths.get(spelled)
    if real is None:
        real = _real_paths[spelled] = os.path.realpath(spelled)
    return real


def writer_for(db_path: Path, insert_sql: str, once_sql: str = "") -> LogWriter:
    """The writer of this database's log (one per process and database file)."""
    key = _key(db_path)
    writer = _writers.get(key)
    if writer is None:
        with _writers_lock:
            writer = _writers.setdefault(key, LogWriter(db_path, insert_sql, once_sql))
    return writer


def _flush_before_reading(db_path: Path | None) -> None:
    """The workspace's hook before each query and transaction (and before ``mlops-studio`` exits:
    ``db_path`` None). A database that refuses the log's rows does not stop the reader: the rows
    stay queued and the next ``predict`` says what is wrong."""
    writers = [_writers.get(_key(db_path))] if db_path is not None else list(_writers.values())
    for writer in writers:
        if writer is not None and writer.pending:
            try:
                writer.flush()
            except LogUnavailable as exc:
                if db_path is None:  # leaving: nothing else can be done, say so
                    print(f"error: {exc}", file=sys.stderr, flush=True)


def _forget_in_child() -> None:
    """A forked child starts with no writers: the parent writes what it had queued."""
    global _writers, _writers_lock
    _writers, _writers_lock = {}, threading.Lock()


set_pending_writes(_flush_before_reading, tables=("predictions", "prediction_inputs"))
atexit.register(_flush_before_reading, None)
os.register_at_fork(after_in_child=_forget_in_child)
