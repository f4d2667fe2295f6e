"""Projects: a name, a problem definition, and everything made from them."""

from __future__ import annotations

import sqlite3
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from core.i18n import N_, _
from core.workspace import jobs, owner
from core.workspace.database import Workspace, now, parse_id
from core.workspace.errors import ConfigError, NotFoundError

if TYPE_CHECKING:  # pandas is imported where a frame is made, not when projects are listed
    import pandas as pd

MAX_NAME = 60

STAGES = ("problem", "data", "features", "train", "explain", "registry", "deploy", "monitor")

# Invisible format characters a name may keep: the joiners inside emoji and some scripts, and the
# tag characters of regional flags. Other format characters (bidi overrides, zero-width spaces)
# would let two different names look the same.
_ALLOWED_FORMAT = {"\u200c", "\u200d"} | {chr(c) for c in range(0xE0020, 0xE0080)}


def _refused_character(name: str) -> str | None:
    """The first character a project name may not hold: control, invisible and unassigned ones."""
    for ch in name:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs", "Cn", "Zl", "Zp") or (category == "Cf" and ch not in _ALLOWED_FORMAT):
            return ch
    return None


def validate_project_name(name: str | None) -> str:
    """The name as stored: any printable text (accents, dashes, emoji, any script), NFC-normalised so
    names that look alike are alike, without surrounding spaces. Blank, over-long names and names with
    control or invisible characters are refused with what to change."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if not name:
        raise ConfigError(_("The project name must not be blank; type a name such as 'Churn – Alice'."))
    if len(name) > MAX_NAME:
        raise ConfigError(
            _("The project name must be at most {limit} characters; got {length} instead. Shorten it.").format(
                limit=MAX_NAME, length=len(name)
            )
        )
    bad = _refused_character(name)
    if bad is not None:
        raise ConfigError(
            _(
                "The project name must not contain control or invisible characters; got {code} ({character}) "
                "at position {position} instead. Remove it."
            ).format(
                code=f"U+{ord(bad):04X}",
                character=unicodedata.name(bad, "").lower() or _("a control character"),
                position=name.index(bad) + 1,
            )
        )
    return name


def create_project(ws: Workspace, name: str, source: str = "") -> dict[str, Any]:
    name = validate_project_name(name)
    try:
        return _insert_project(ws, name, source)
    except sqlite3.IntegrityError:
        raise ConfigError(
            _("A project named '{name}' already exists; open it or choose another name.").format(name=name)
        ) from None


def _insert_project(ws: Workspace, name: str, source: str) -> dict[str, Any]:
    with ws.transaction() as conn:
        project_id = _get_unused_project_id(conn)
        conn.execute(
            "INSERT INTO projects (id, name, created_at, source) VALUES (?, ?, ?, ?)", (project_id, name, now(), source)
        )
        ws.audit(conn, project_id, "project.created", {"name": name})
    return get_project(ws, name)


def _get_unused_project_id(conn: sqlite3.Connection) -> int:
    """An id no project ever had. SQLite hands the id of a deleted newest project to the next one, which
    would then inherit the deleted project's audit log (kept on purpose) and every old link to it
    (``?project=3``); the audit log remembers every id ever used."""
    return conn.execute(
        "SELECT 1 + MAX(COALESCE((SELECT MAX(id) FROM projects), 0), "
        "COALESCE((SELECT MAX(project_id) FROM audit_log), 0))"
    ).fetchone()[0]


def project_name_from(text: str) -> str:
    """A valid project name made from free text (a file name, say): characters a name may not hold
    become spaces, the result is cut to fit."""
    text = unicodedata.normalize("NFC", text or "")
    cleaned = " ".join("".join(" " if _refused_character(ch) else ch for ch in text).split())[:MAX_NAME]
    return cleaned.strip() or "project"


def _name_candidates(base: str):
    """``base``, ``base (2)``, ``base (3)``…, each cut to stay a valid name."""
    base = project_name_from(base)
    yield base
    n = 2
    while True:
        suffix = f" ({n})"
        yield base[: MAX_NAME - len(suffix)].rstrip() + suffix
        n += 1


def create_unique_project(ws: Workspace, base: str, source: str = "") -> dict[str, Any]:
    """Create a project named ``base`` or the first free ``base (n)``. Claiming the name is the
    insert itself, so two runs started at once (two CLI calls, two students) never collide."""
    taken = {p["name"] for p in list_projects(ws)}
    for name in _name_candidates(base):
        if name in taken:
            continue
        try:
            return _insert_project(ws, name, source)
        except sqlite3.IntegrityError:  # taken between the listing and the insert: try the next one
            taken.add(name)
    raise AssertionError("unreachable: the candidates never run out")


def list_projects(ws: Workspace) -> list[dict[str, Any]]:
    return ws.query("SELECT * FROM projects ORDER BY created_at DESC, id DESC")


def get_projects_df(ws: Workspace) -> pd.DataFrame:
    """Every project, newest first: name, when it was made, from what, and its state (a project a
    pipeline run did not finish says how far it got)."""
    import pandas as pd

    rows = list_projects(ws)
    return pd.DataFrame(
        [
            {
                "project": p["name"],
                "created": _created_text(pd.to_datetime(p["created_at"], unit="s")),
                "made from": p["source"] or "",
                "state": get_build_note(p) or (_("complete") if p["build_state"] else _("made in the app")),
            }
            for p in rows
        ],
        columns=["project", "created", "made from", "state"],
    )


def _created_text(when: Any) -> str:
    """When a project was made, to the minute: 2026-12-05 14:30 (05/12/2026 14:30 in Portuguese)."""
    from core.formatting import uses_decimal_comma

    return when.strftime("%d/%m/%Y %H:%M" if uses_decimal_comma() else "%Y-%m-%d %H:%M")


def get_project_label(project: dict[str, Any]) -> str:
    """The project's name for a picker, with how far its pipeline run got when it did not finish."""
    note = get_build_note(project)
    return f"{project['name']} — {note}" if note else project["name"]


def get_project(ws: Workspace, key: int | str) -> dict[str, Any]:
    """By id (an int) or by name (a str: "2024" is a name, not an id)."""
    if isinstance(key, int):
        row = ws.query_one("SELECT * FROM projects WHERE id = ?", (key,)) if parse_id(key) else None
    else:
        row = ws.query_one("SELECT * FROM projects WHERE name = ?", (unicodedata.normalize("NFC", key).strip(),))
    if row is None:
        raise NotFoundError(
            _("Project '{name}' does not exist; create it on the Home page or pick another.").format(name=key)
        )
    return row


def resolve_project(ws: Workspace, key: str) -> dict[str, Any]:
    """A project by its name, else by its id when ``key`` is plain digits (as `run` prints it): what
    every command's ``--project`` accepts."""
    try:
        return get_project(ws, key)
    except NotFoundError:
        number = parse_id(str(key).strip())
        if number is not None:
            try:
                return get_project(ws, number)
            except NotFoundError:
                pass
    raise NotFoundError(
        _(
            "Project '{name}' does not exist (as a name or an id) in the workspace {folder}; check --project "
            "and --workspace (`mlops-studio run` prints the project's name)."
        ).format(name=key, folder=ws.root)
    )


# Stage key -> the EXISTS test of its status (one query for all of them: the sidebar asks on every rerun).
_STAGE_TESTS = {
    "data": "EXISTS (SELECT 1 FROM datasets WHERE project_id = p.id AND kind = 'cleaned')",
    "problem": "p.problem_json IS NOT NULL",
    "features": "EXISTS (SELECT 1 FROM feature_sets WHERE project_id = p.id)",
    "train": "EXISTS (SELECT 1 FROM experiments WHERE project_id = p.id)",
    "explain": "EXISTS (SELECT 1 FROM explanations e JOIN runs r ON r.id = e.run_id WHERE r.project_id = p.id)",
    "registry": "EXISTS (SELECT 1 FROM model_versions WHERE project_id = p.id)",
    "deploy": "EXISTS (SELECT 1 FROM deployments WHERE project_id = p.id)",
    "monitor": "EXISTS (SELECT 1 FROM monitoring_reports WHERE project_id = p.id)",
}
_STAGE_STATUS_SQL = (
    "SELECT "
    + ", ".join(f"{test} AS {stage}" for stage, test in _STAGE_TESTS.items())
    + " FROM projects p WHERE p.id = ?"
)


def get_stage_status(ws: Workspace, project_id: int) -> dict[str, bool]:
    """Which stages have produced something for this project (for the pipeline diagram), in one query."""
    row = ws.query_one(_STAGE_STATUS_SQL, (project_id,)) if parse_id(project_id) else None
    if row is None:
        get_project(ws, project_id)  # raises its NotFoundError
    assert row is not None
    return {stage: bool(row[stage]) for stage in _STAGE_TESTS}


# -- Renaming and deleting -------------------------------------------------------------------------
def rename_project(ws: Workspace, project_id: int, new_name: str) -> dict[str, Any]:
    """Give the project another name (its id, and so its links, stay); recorded in the audit log."""
    project = get_project(ws, project_id)
    name = validate_project_name(new_name)
    if name == project["name"]:
        return project
    try:
        with ws.transaction() as conn:
            conn.execute("UPDATE projects SET name = ? WHERE id = ?", (name, project_id))
            ws.audit(conn, project_id, "project.renamed", {"from": project["name"], "to": name})
    except sqlite3.IntegrityError:
        raise ConfigError(
            _("A project named '{name}' already exists; choose another name.").format(name=name)
        ) from None
    return get_project(ws, project_id)


def delete_project(ws: Workspace, project_id: int) -> dict[str, Any]:
    """Delete the project and everything made in it: its rows in every table and the artifact files
    (uploads, cleaned tables, models, reports) no other project shares. Returns what was removed.

    Deleting removes the data rather than hiding the project: it is what a person asking for deletion
    expects of uploaded data (a student's table, a customer export), and a class server would otherwise
    keep every upload forever. What happened stays accountable: the audit log is never deleted from, and
    gains a last entry naming the project, what was removed and the SHA-256 of every model version.
    Refused while a job runs in the project or a pipeline run is still building it."""
    project = get_project(ws, project_id)
    if jobs.list_running_jobs(ws, project_id) or get_build_note(project, live_only=True):
        raise ConfigError(
            _(
                "Project '{name}' has work running (a job or a pipeline run); wait for it "
                "to finish or stop it, then delete the project."
            ).format(name=project["name"])
        )
    if _has_running_endpoint(ws, project_id):
        raise ConfigError(
            _(
                "Project '{name}' has its HTTP endpoint running; stop it on the Deploy page, then delete the project."
            ).format(name=project["name"])
        )
    with ws.transaction() as conn:
        conn.execute("PRAGMA defer_foreign_keys = ON")  # rows reference each other; checked at commit
        tables = _project_rows(conn, project_id)
        artifact_ids = {
            value
            for table, ids in tables.items()
            for column in _artifact_columns(conn, table)
            for value in _column_values(conn, table, column, ids)
        }
        models = [
            {"model": r[0], "version": r[1], "sha256": r[2]}
            for r in conn.execute(
                "SELECT model_name, version, sha256 FROM model_versions WHERE project_id = ? ORDER BY id", (project_id,)
            )
        ]
        counts = {}
        for table, ids in tables.items():
            conn.executemany(f"DELETE FROM {table} WHERE id = ?", [(i,) for i in ids])
            counts[table] = len(ids)
        for table in _keyed_by_project(conn):  # aliases, recipe drafts: no id column of their own
            counts[table] = conn.execute(f"DELETE FROM {table} WHERE project_id = ?", (project_id,)).rowcount
        conn.execute("DELETE FROM projects WHERE id = ?", (project_id,))
        orphans = [a for a in sorted(artifact_ids) if not _artifact_in_use(conn, a)]
        paths = {r[0] for a in orphans for r in conn.execute("SELECT path FROM artifacts WHERE id = ?", (a,))}
        conn.executemany("DELETE FROM artifacts WHERE id = ?", [(a,) for a in orphans])
        # Artifact files are named by content: another project's identical upload shares the file.
        files = sorted(
            p for p in paths if conn.execute("SELECT 1 FROM artifacts WHERE path = ?", (p,)).fetchone() is None
        )
        removed = {
            "name": project["name"],
            "rows": {t: n for t, n in counts.items() if n},
            "artifacts": len(orphans),
            "files": len(files),
            "model_versions": models,
        }
        ws.audit(conn, project_id, "project.deleted", removed)
    for path in files:  # after the commit: a failed transaction leaves every file in place
        (ws.artifact_dir / path).unlink(missing_ok=True)
    return removed


def _has_running_endpoint(ws: Workspace, project_id: int) -> bool:
    """An endpoint recorded as running whose starter still runs (the endpoint exits with its starter)."""
    rows = ws.query(
        "SELECT owner FROM endpoints WHERE project_id = ? AND status IN ('starting', 'running')", (project_id,)
    )
    return any(owner.is_alive(row["owner"]) for row in rows)


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]


# Never deleted from: the audit log keeps what happened, the project row goes last.
_KEPT = ("audit_log", "projects")


def _keyed_by_project(conn: sqlite3.Connection) -> list[str]:
    return [
        t for t in _tables(conn) if t not in _KEPT and "project_id" in (cols := _columns(conn, t)) and "id" not in cols
    ]


def _project_rows(conn: sqlite3.Connection, project_id: int) -> dict[str, list[int]]:
    """Ids of every row made in the project: rows of tables with a project_id column (found, not listed,
    so tables added later are included) and rows of tables that reference those rows (a deployment's
    predictions, a run's explanations, a study's trials)."""
    rows = {
        t: [r[0] for r in conn.execute(f"SELECT id FROM {t} WHERE project_id = ?", (project_id,))]
        for t in _tables(conn)
        if t not in _KEPT and {"id", "project_id"} <= set(_columns(conn, t))
    }
    for table in _tables(conn):
        if table in rows or table in _KEPT or "id" not in _columns(conn, table):
            continue
        found: set[int] = set()
        for fk in conn.execute(f"PRAGMA foreign_key_list({table})").fetchall():
            parent, column = fk[2], fk[3]
            for i in range(0, len(rows.get(parent, [])), 500):
                chunk = rows[parent][i : i + 500]
                found |= {
                    r[0]
                    for r in conn.execute(
                        f"SELECT id FROM {table} WHERE {column} IN ({','.join('?' * len(chunk))})", chunk
                    )
                }
        if found:
            rows[table] = sorted(found)
    return rows


def _artifact_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [c for c in _columns(conn, table) if c.endswith("artifact_id")]


def _column_values(conn: sqlite3.Connection, table: str, column: str, ids: list[int]) -> set[int]:
    values: set[int] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        values |= {
            r[0]
            for r in conn.execute(
                f"SELECT {column} FROM {table} WHERE id IN ({','.join('?' * len(chunk))}) AND {column} IS NOT NULL",
                chunk,
            )
        }
    return values


def _artifact_in_use(conn: sqlite3.Connection, artifact_id: int) -> bool:
    """Whether a row left in any table still points at the artifact."""
    return any(
        conn.execute(f"SELECT 1 FROM {t} WHERE {c} = ? LIMIT 1", (artifact_id,)).fetchone()
        for t in _tables(conn)
        for c in _artifact_columns(conn, t)
    )


# -- Projects made by a pipeline run (the CLI, the demo) -----------------------------------------------
# run_pipeline's stage names, as words: "incomplete: stopped after training".
BUILD_STAGE_WORDS = {
    "data": N_("saving the data"),
    "clean": N_("cleaning"),
    "problem": N_("defining the problem"),
    "features": N_("building the features"),
    "train": N_("training"),
    "tune": N_("tuning"),
    "explain": N_("explaining"),
    "register": N_("registering"),
    "deploy": N_("deploying"),
    "monitor": N_("monitoring"),
    "retrain": N_("retraining"),
}


def start_build(ws: Workspace, project_id: int) -> None:
    """A pipeline run (the CLI, the demo) starts filling this project, in this process: until
    finish_build, the project counts as being built, and as incomplete once this process is gone."""
    _set_build(ws, project_id, build_state="building", build_stage=None, build_error=None, owner=owner.this_process())


@contextmanager
def build_step(ws: Workspace, project_id: int, stage: str) -> Iterator[None]:
    """One stage of a pipeline run that builds this project: recorded as the last one finished when
    it ends, or the run marked failed at it (with why) when it raises, stopped on Ctrl-C."""
    try:
        yield
    except KeyboardInterrupt:
        _set_build(ws, project_id, build_state="stopped")
        raise
    except BaseException as exc:
        _set_build(
            ws,
            project_id,
            build_state="failed",
            build_stage=stage,
            build_error=str(exc).split("\n")[0][:300] or type(exc).__name__,
        )
        raise
    _set_build(ws, project_id, build_stage=stage)


def finish_build(ws: Workspace, project_id: int) -> None:
    """The pipeline run made every stage: the project is complete."""
    _set_build(ws, project_id, build_state="complete")


def _set_build(ws: Workspace, project_id: int, **fields: Any) -> None:
    cols = ", ".join(f"{k} = ?" for k in fields)
    with ws.transaction() as conn:
        conn.execute(f"UPDATE projects SET {cols} WHERE id = ?", (*fields.values(), project_id))


def get_build_note(project: dict[str, Any], live_only: bool = False) -> str | None:
    """How far the pipeline run that made this project got, when it has not finished: "being built
    (last finished: training)" while the run's process lives, "incomplete: stopped after training"
    once it is gone, "incomplete: failed during tuning" when a stage failed. None for a complete
    project and for one made by hand in the app (its stages show on the Home page).
    ``live_only``: only the note of a run still going."""
    state, stage = project.get("build_state"), project.get("build_stage")
    if state in (None, "complete"):
        return None
    words = (_(BUILD_STAGE_WORDS[stage]) if stage in BUILD_STAGE_WORDS else stage) if stage is not None else None
    recorded = project.get("owner")
    running = state == "building" and (owner.is_this_process(recorded) or owner.is_alive(recorded))
    if running:
        if stage:
            return _("being built by a pipeline run (last finished: {stage})").format(stage=words)
        return _("being built by a pipeline run")
    if live_only:
        return None
    if state == "failed":
        return _("incomplete: failed during {stage}").format(stage=words)
    if stage:
        return _("incomplete: stopped after {stage}").format(stage=words)
    return _("incomplete: stopped before its first stage finished")
