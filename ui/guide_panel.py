"""The guided demo's narration panel, drawn at the top of every page while a guide is open: the step's
narration (what happens, why it matters, what to look at), Back / Next and a stage picker.

The step lives in the URL (``?guide=3``, 1-based) and in the session, so a refresh or a page switch
keeps it. Next runs the step as a job (never in the script thread) and switches to its page when it
finishes. The guide only runs in a project made for it (the demo sample); a deleted project closes it.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core import pipeline
from core.guide import steps
from core.i18n import _, current_language
from core.workspace import jobs, projects
from ui.state import link_params
from ui.text import escape_markdown
from ui.widgets import job_panel, option_labels

GUIDE_KEY = "guide"  # session: {"project": id, "step": 0-based index}
JOB_KIND = "guide"


def guide_params(project_id: int, index: int) -> dict[str, str]:
    return link_params(project_id) | {"guide": str(index + 1), "lang": current_language()}


def open_guide(project_id: int, index: int) -> None:
    """Go to step ``index``'s page with the guide open (ends the script run)."""
    st.session_state[GUIDE_KEY] = {"project": project_id, "step": index}
    st.switch_page(steps.STEPS[index].page, query_params=guide_params(project_id, index))


def start_steps(ws, project_id: int, upto: int) -> int:
    """Run the steps up to ``upto`` not done yet, as the guide's job; this session follows it."""

    def work(progress, project_id=project_id, upto=upto):
        return steps.run_guide_steps(ws, project_id, upto, progress=progress)

    job_id = jobs.start_job(ws, project_id, JOB_KIND, work)
    st.session_state[f"guide_watched_{job_id}"] = True
    st.session_state[GUIDE_KEY] = {"project": project_id, "step": upto}
    st.query_params["guide"] = str(upto + 1)  # the narration of the step being run, kept on a refresh
    return job_id


def close_guide() -> None:
    st.session_state.pop(GUIDE_KEY, None)
    if "guide" in st.query_params:
        del st.query_params["guide"]


def _current_step(project: dict) -> int | None:
    from_url = steps.step_index(st.query_params.get("guide"))
    if from_url is None and "guide" in st.query_params:
        del st.query_params["guide"]  # ?guide=abc or 99 is ignored: gone from the URL, so no link carries it
    if from_url is not None:
        st.session_state[GUIDE_KEY] = {"project": project["id"], "step": from_url}
        return from_url
    kept = st.session_state.get(GUIDE_KEY)
    if not kept or kept.get("project") != project["id"]:
        return None
    st.query_params["guide"] = str(kept["step"] + 1)  # a refresh keeps it
    return int(kept["step"])


def guide_panel(ws, project: dict | None) -> None:
    """Call once per page (ui.frame.page_setup does)."""
    if project is None:
        if st.session_state.pop(GUIDE_KEY, None) is not None and "guide" in st.query_params:
            del st.query_params["guide"]  # its project was deleted: the guide ends quietly
        return
    index = _current_step(project)
    if index is None:
        return
    with st.container(border=True, key="guide_panel"):
        _panel(ws, project, index)


def _panel(ws, project: dict, index: int) -> None:
    pid, total = project["id"], len(steps.STEPS)
    step = steps.STEPS[index]
    text = step.texts()
    head, picker, leave = st.columns([3, 2, 1], vertical_alignment="center")
    head.markdown(
        "**"
        + _("Guided demo · step {n} of {total}").format(n=index + 1, total=total)
        + "** — "
        + escape_markdown(text["title"])
    )
    chosen = picker.selectbox(
        _("Go to stage"),
        range(total),
        index=index,
        format_func=option_labels({i: f"{i + 1}. {s.texts()['title']}" for i, s in enumerate(steps.STEPS)}),
        key=f"guide_picker_{index}",
        label_visibility="collapsed",
    )
    if leave.button(_("Close the guide"), key="guide_close", icon=":material/close:"):
        close_guide()
        st.rerun()
    if chosen != index:
        open_guide(pid, chosen)
    if project.get("source") != pipeline.DEFAULT_SAMPLE:
        st.info(_("The guided demo runs in a project of its own; start it with “Run the demo step by step” on Home."))
        return
    st.markdown("**" + _("What happens.") + "** " + text["what"])
    st.markdown("**" + _("Why it matters.") + "** " + text["why"])
    st.markdown("**" + _("What to look at.") + "** " + text["look"])

    job = jobs.latest_job(ws, pid, JOB_KIND)
    if job is not None and job["status"] == "running":
        st.session_state[f"guide_watched_{job['id']}"] = True
        job_panel(ws, job["id"])
        return
    if job is not None and st.session_state.get(f"guide_watched_{job['id']}"):
        if job["status"] == "succeeded" and st.session_state.get("guide_landed") != job["id"]:
            st.session_state["guide_landed"] = job["id"]
            open_guide(pid, int(job["result"]["step"]))
        if job["status"] in ("failed", "interrupted"):
            st.error(escape_markdown(job["error"] or _("The step did not finish.")))

    done = pipeline.get_demo_progress(ws, pid)
    elsewhere = None if _on_page(step.page) else _page_name(step.page)
    if elsewhere is not None:  # a link (?guide=10) or a page switch shows the step away from its page
        st.page_link(
            step.page,
            label=_("This step's result is on the {page} page: go there").format(page=elsewhere),
            icon=":material/arrow_forward:",
            query_params=guide_params(pid, index),
        )
    back, run, forward = st.columns([1, 2, 1])
    if index > 0 and back.button(_("Back"), key="guide_back", icon=":material/arrow_back:", width="stretch"):
        open_guide(pid, index - 1)
    if done[step.key]:
        if elsewhere is None:
            run.success(_("This step is done: its result is on this page."), icon=":material/check_circle:")
    else:
        earlier_missing = any(not done[s.key] for s in steps.STEPS[:index])
        label = _("Run the steps up to here") if earlier_missing else _("Run this step")
        if run.button(label, key="guide_run", type="primary", icon=":material/play_arrow:", width="stretch"):
            start_steps(ws, pid, index)
            st.rerun()
    if index + 1 < total:
        if forward.button(
            _("Next"), key="guide_next", type="primary", icon=":material/arrow_forward:", width="stretch"
        ):
            if done[steps.STEPS[index + 1].key]:
                open_guide(pid, index + 1)
            start_steps(ws, pid, index + 1)
            st.rerun()
    else:
        forward.caption(_("The loop is closed: this is the last step."))
    if projects.get_stage_status(ws, pid).get("monitor") and not done[step.key] and step.key == "retrain":
        st.caption(_("Retraining runs only when monitoring recommends it."))


def _on_page(script: str) -> bool:
    """Whether this run draws ``script`` (a page file such as "pages/1_Data.py"); True when it cannot tell."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx

        ctx = get_script_run_ctx()
        info = ctx.pages_manager.get_pages().get(ctx.page_script_hash) if ctx is not None else None
        current = info.get("script_path") if info else None
    except Exception:  # an older or newer Streamlit without these internals: keep the panel as it was
        return True
    return current is None or Path(str(current)).name == Path(script).name


def _page_name(script: str) -> str:
    from ui.frame import PAGES  # here, not at the top: ui.frame imports this module

    return next((_(label) for path, label, *_rest in PAGES if path == script), script)
