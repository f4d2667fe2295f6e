"""The point-in-time lesson: the same model trained on features joined point-in-time and naively,
judged in validation and on the later months. It trains two models, so it runs as a job; its last
result is kept (the job's result in the database) and shown again without training anything.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.featurestore import charts
from core.featurestore.lesson import SHOWN_FEATURE, explain, run_point_in_time_lesson
from core.formatting import format_count
from core.i18n import _
from core.problem.definition import format_metric_value, get_metric_heading
from core.workspace import jobs
from ui.text import escape_markdown
from ui.widgets import chart, job_panel, readable_table

JOB_KIND = "fs_lesson"  # a workspace job (no project): the lesson's result is the same for everyone


def lesson_work(ws):
    """The job's work: run the lesson; keep what the page shows as JSON (the timeline as records)."""

    def work(progress) -> dict[str, Any]:
        progress(0.1, _("Training the same model on both joins…"))
        result = run_point_in_time_lesson(ws)
        timeline = result.timeline.assign(timestamp=result.timeline["timestamp"].astype(str))
        return {
            "scores": result.scores,
            "metric": result.metric,
            "customer": result.customer,
            "timeline": timeline.to_dict(orient="records"),
            "rows": result.rows,
            "message": _("Lesson ready."),
        }

    return work


def lesson_panel(ws) -> None:
    st.markdown(
        _(
            "A model is trained on what was known **before** each moment. Join a feature naively (each "
            "customer's newest value) and every past transaction also sees what happened **after** it. "
            "This lesson trains the same fraud model both ways on the card-fraud sample and scores each twice: "
            "in validation, and on the two later months, as it would be used."
        )
    )
    job = jobs.latest_job(ws, None, JOB_KIND)
    running = job is not None and job["status"] == "running"
    done = job is not None and job["status"] == "succeeded"
    label = _("Run the lesson again") if done else _("Run the lesson")
    if st.button(label, key="fs_lesson_run", type="secondary" if done else "primary", disabled=running):
        jobs.start_job(ws, None, JOB_KIND, lesson_work(ws))
        st.rerun()
    if job is None:
        st.caption(_("It trains two models: about half a minute. The result is kept for the next visit."))
        return
    job_panel(ws, job["id"], on_done=lambda finished: show_lesson(finished["result"]))


def show_lesson(result: dict[str, Any] | None) -> None:
    if not result:
        return
    scores, metric = result["scores"], result["metric"]
    heading = get_metric_heading(metric)
    timeline = pd.DataFrame(result["timeline"])
    timeline["timestamp"] = pd.to_datetime(timeline["timestamp"])
    columns = st.columns(2)
    for column, join in zip(columns, ("point_in_time", "naive")):
        with column.container(border=True):
            st.markdown(f"**{_(charts.JOIN_LABELS[join])}**")  # i18n: skip
            a, b = st.columns(2)
            a.metric(
                _("{metric} in validation").format(metric=heading),
                format_metric_value(metric, scores[join]["validation"]),
            )
            b.metric(
                _("{metric} on the later months").format(metric=heading),
                format_metric_value(metric, scores[join]["later"]),
                delta=format_metric_value(metric, scores[join]["later"] - scores[join]["validation"]),
            )
            st.caption(escape_markdown(charts.describe_score_gap(scores, join, metric)))
    rows = result.get("rows") or {}
    if rows:
        st.caption(
            _(
                "Trained on {train} transactions of the earlier months, validated on {validation} others of "
                "the same months, then used on {later} transactions of the later months."
            ).format(
                train=format_count(rows.get("train", 0)),
                validation=format_count(rows.get("validation", 0)),
                later=format_count(rows.get("later", 0)),
            )
        )
    chart(
        charts.plot_lesson_scores(scores, metric), charts.caption_lesson_scores(scores, metric), key="fs_lesson_scores"
    )
    customer = str(result["customer"])
    feature = SHOWN_FEATURE
    chart(
        charts.plot_customer_timeline(timeline, feature),
        charts.caption_customer_timeline(timeline, customer, feature),
        key="fs_lesson_timeline",
    )
    with st.expander(_("Customer {customer}'s transactions as a table").format(customer=escape_markdown(customer))):
        readable_table(
            timeline.rename(columns={"point_in_time": _("point-in-time value"), "naive": _("naive value")}),
            keep=("transaction_id", "timestamp", "amount", "is_fraud"),  # the sample's own column names
        )
        st.caption(
            _("Each transaction with the {feature} each join gave it: the naive one knows the future.").format(
                feature=feature
            )
        )
    st.info(escape_markdown(explain(scores, customer, timeline)), icon=":material/lightbulb:")
