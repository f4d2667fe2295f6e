"""Pipeline specs on Home and Registry: start a project from an uploaded spec, export a project's spec,
and run a spec to a monitored deployment as a job (the case study's "one-click deploy").

The spec is ``core.spec``'s: ``load_spec`` refuses a bad file with one ``SpecError`` line, which is
shown as it is (escaped: it quotes the file's values); ``create_project_from_spec`` makes the project;
``core.spec.templates.oneclick.run_in_project`` replays the whole pipeline in it, as a job. Everything a spec or an uploaded table says (names,
descriptions, column names) is user text: escaped or shown with ``st.text``, never as Markdown.
A spec uploaded to the server names its data as a bundled sample (``sample:<name>``) or not at all:
a path in it is never read on the server (it would read any file there); the person uploads the
table instead.
"""

from __future__ import annotations

import streamlit as st

from core.deployment.routing import strategy_name
from core.i18n import _, current_language, use_language
from core.spec import (
    PipelineSpec,
    SpecError,
    create_project_from_spec,
    dump_spec,
    export_spec,
    load_spec,
    spec_from_dict,
    spec_to_dict,
)
from core.spec.models import SAMPLE_PREFIX, source_label
from core.spec.replay import first_model_note
from core.spec.templates.oneclick import run_in_project
from core.workspace import jobs, projects
from core.workspace.database import Workspace
from core.workspace.errors import StudioError
from ui.state import link_params, select_project
from ui.text import escape_markdown
from ui.widgets import flash, job_panel, user_errors

#: The job kind of a spec (or template) run to a monitored deployment.
RUN_JOB = "spec_run"
DATA_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet", "gz", "zip"]
SPEC_TYPES = ["yaml", "yml", "json"]
#: Session key: (project id, uploaded file id) of the project this session made from the uploaded spec,
#: so that upload offers the run.
CREATED_KEY = "spec_created"


# -- What a spec says, for the panels ------------------------------------------------------------------
def needs_data_upload(spec: PipelineSpec) -> bool:
    """Whether the server needs the table uploaded: only a bundled sample is read on its own."""
    source = spec.data.source
    return not (isinstance(source, str) and source.startswith(SAMPLE_PREFIX))


def with_target(spec: PipelineSpec, target: str) -> PipelineSpec:
    """The spec with ``problem.target`` set (validated again, as if written in the file)."""
    data = spec_to_dict(spec)
    data["problem"] = {**data["problem"], "target": target}
    return spec_from_dict(data)


def spec_file_name(name: str) -> str:
    """``pipeline-<name>.yaml`` with only letters, digits, ``-`` and ``_`` of the project's name."""
    slug = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in name.strip().lower())
    slug = "-".join(part for part in slug.split("-") if part)[:60]
    return f"pipeline-{slug}.yaml" if slug else "pipeline.yaml"


def target_picker(upload, key: str) -> str | None:
    """The column to predict, among the uploaded table's columns (read as the Data page reads it; the
    options are the table's own names, which a select box shows as plain text)."""
    from core.data.reader import ReadOptions
    from ui.cache import read_upload

    try:
        df, _info = read_upload(upload.getvalue(), ReadOptions())
    except StudioError as exc:
        st.error(escape_markdown(exc))
        return None
    return st.selectbox(
        _("Column to predict (the target)"),
        [str(c) for c in df.columns],
        index=None,
        key=key,
        placeholder=_("Choose a column"),
    )


# -- Create, run -----------------------------------------------------------------------------------------
def create_from_spec(ws: Workspace, spec: PipelineSpec, *, upload=None, name: str | None = None) -> dict:
    """Create the project from ``spec`` (with the uploaded table, if any) and open it. StudioError on
    bad input, for the caller's ``user_errors``."""
    project_id = create_project_from_spec(
        ws,
        spec,
        name=name or None,
        data_bytes=None if upload is None else upload.getvalue(),
        data_name=None if upload is None else upload.name,
    )
    select_project(project_id)
    return projects.get_project(ws, project_id)


def start_spec_run(ws: Workspace, project: dict, spec: PipelineSpec) -> int:
    """Run ``spec`` on ``project`` to a monitored deployment as a job (a second click returns the running
    job); the session remembers it watched it, so it lands on Monitor when it ends."""

    def work(progress, spec=spec, project_id=project["id"]):
        summary = run_in_project(ws, spec, project_id, progress=progress)
        return {"project_id": project_id, "summary": summary}

    job_id = jobs.start_job(ws, project["id"], RUN_JOB, work)
    st.session_state[f"spec_run_watched_{job_id}"] = True
    return job_id


def spec_run_status(ws: Workspace, project: dict | None) -> None:
    """The open project's latest spec run: its progress, its error, or where it ended (Monitor)."""
    if project is None:
        return
    job = jobs.latest_job(ws, project["id"], RUN_JOB)
    if job is None:
        return

    def landed(done: dict) -> None:
        result = done.get("result") or {}
        project_id = result.get("project_id", project["id"])
        if (
            st.session_state.get(f"spec_run_watched_{done['id']}")
            and st.session_state.get("spec_run_landed") != done["id"]
        ):
            st.session_state["spec_run_landed"] = done["id"]
            st.switch_page("pages/8_Monitor.py", query_params=link_params(project_id))
        st.success(
            _("The pipeline of {name} ran to a monitored deployment; its story ends on the Monitor page.").format(
                name=escape_markdown(project["name"])
            )
        )
        st.page_link(
            "pages/8_Monitor.py",
            label=_("Open Monitor"),
            icon=":material/monitoring:",
            query_params=link_params(project_id),
        )

    with user_errors():
        job_panel(ws, job["id"], on_done=landed)


def run_button(ws: Workspace, project: dict, spec: PipelineSpec, *, key: str) -> None:
    """One click: run the spec on the project to a monitored deployment."""
    running = any(j["kind"] == RUN_JOB for j in jobs.list_running_jobs(ws, project["id"]))
    if st.button(
        _("Run it to a monitored deployment"),
        key=key,
        type="primary",
        icon=":material/rocket_launch:",
        disabled=running,
    ):
        with user_errors():
            start_spec_run(ws, project, spec)
            st.rerun()
    note = first_model_note(ws, spec, project["id"])
    if note:
        st.caption(note)


# -- Start from a spec ---------------------------------------------------------------------------------
def read_spec_upload(upload) -> PipelineSpec:
    """The uploaded spec, or SpecError in one line (a file that is not UTF-8 text says so)."""
    try:
        text = upload.getvalue().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpecError(
            _("The spec file {name} is not UTF-8 text; save it as UTF-8 YAML or JSON and upload it again.").format(
                name=upload.name
            )
        ) from exc
    return load_spec(text)


def spec_section(ws: Workspace, project: dict | None) -> None:
    """Home's spec row: start a project from a spec; export the open project's spec."""
    left, right = st.columns(2)
    with left:
        start_from_spec(ws, project)
    with right:
        st.subheader(_("Export a project's spec"))
        if project is None:
            st.caption(_("Open a project to export its choices as a pipeline spec."))
        else:
            export_spec_button(ws, project, key="home")


def start_from_spec(ws: Workspace, project: dict | None) -> None:
    """Upload a spec (YAML or JSON), see what it sets up, and create the project from it. A refused spec
    gets its one line and stays uploaded, to be fixed and uploaded again; nothing else is lost."""
    st.subheader(_("Start from a spec"))
    st.write(
        _(
            "A pipeline spec is a YAML file with every choice of a project — data, cleaning, problem, features, "
            "training, gate, deployment and monitoring. Upload one (exported from a project, or a template you "
            "edited) to make a new project with the same choices."
        )
    )
    upload = st.file_uploader(_("Pipeline spec (YAML or JSON)"), type=SPEC_TYPES, key="spec_upload")
    if upload is None:
        return
    try:
        spec = read_spec_upload(upload)
    except StudioError as exc:
        st.error(escape_markdown(exc), icon=":material/error:")
        st.caption(_("Fix that line in the file and upload it again; nothing was created."))
        return
    _describe(spec)
    if project is not None and st.session_state.get(CREATED_KEY) == (project["id"], upload.file_id):
        # This session made the open project from this very upload: the one click that runs it.
        with user_errors():
            run_button(ws, project, spec, key="spec_run")
        return
    data = None
    if needs_data_upload(spec):
        source = source_label(spec.data.source)
        if source:
            st.caption(
                _("The spec reads its data from {source}, which is not read on this server: upload that table.").format(
                    source=escape_markdown(source)
                )
            )
        data = st.file_uploader(
            _("The table to start from (CSV, TSV, TXT, Excel or Parquet)"), type=DATA_TYPES, key="spec_data_upload"
        )
    target = None
    if data is not None and not spec.problem.target:
        target = target_picker(data, key="spec_target")
    name = st.text_input(_("Project name"), value=spec.project.name or "", key="spec_project_name")
    ready = (data is not None or not needs_data_upload(spec)) and (bool(spec.problem.target) or target is not None)
    if st.button(_("Create project from this spec"), key="spec_create", disabled=not ready):
        with user_errors():
            if target is not None:
                spec = with_target(spec, target)
            project = create_from_spec(ws, spec, upload=data, name=name)
            st.session_state[CREATED_KEY] = (project["id"], upload.file_id)
            flash(
                "success",
                _("Created project {name} from the spec; run it from here or go on stage by stage.").format(
                    name=escape_markdown(project["name"])
                ),
            )
            st.rerun()


def _describe(spec: PipelineSpec) -> None:
    """What the spec sets up, as plain text (every value is the file's: never Markdown)."""
    problem, deployment = spec.problem, spec.deployment  # (values the pydantic model checked already)
    rows = [
        (_("Project"), spec.project.name or "—"),
        (_("Data"), source_label(spec.data.source) or _("(upload a table)")),
        (_("Target"), problem.target or _("(none: the spec cannot run without one)")),
        (_("Validation"), problem.time_column and _("time split on {column}").format(column=problem.time_column)),
        (_("Deployment"), strategy_name("single" if deployment.strategy == "direct" else deployment.strategy)),
        (_("Description"), spec.project.description),
    ]
    st.text("\n".join(f"{label}: {value}" for label, value in rows if value))


# -- Export ----------------------------------------------------------------------------------------------
def export_bytes(ws: Workspace, project_id: int) -> bytes:
    """The project's spec as YAML bytes."""
    return dump_spec(export_spec(ws, project_id)).encode("utf-8")


def export_spec_button(ws: Workspace, project: dict, *, key: str) -> None:
    """A download button for the project's spec (YAML), made when clicked, from the workspace as it is
    then (outside the script run: its own Workspace on the same folder and the session's language)."""
    root, language, project_id = ws.root, current_language(), int(project["id"])

    def build() -> bytes:
        with use_language(language):
            try:
                return export_bytes(Workspace(root), project_id)
            except StudioError as exc:  # the file then says why, in one comment line
                return f"# {exc}\n".encode()

    st.download_button(
        _("Export this project's spec (YAML)"),
        data=build,
        file_name=spec_file_name(project["name"]),
        mime="application/x-yaml",
        key=f"{key}_export_spec",
        icon=":material/download:",
        on_click="ignore",
    )
    st.caption(
        _(
            "Every choice of this project as a YAML pipeline spec: keep it beside your code, replay it with "
            "`mlops-studio run --spec`, or start a new project from it here."
        )
    )
