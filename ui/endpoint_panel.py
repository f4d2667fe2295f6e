"""Deploy's HTTP endpoint panel: start or stop the project's endpoint (its own process), its URL and
health, a copyable curl call built from a real row, and its API docs."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core import pipeline
from core.deployment import serving
from core.deployment.charts import caption_refused_requests
from core.deployment.endpoint import process
from core.deployment.endpoint.examples import curl_example, feedback_example
from core.deployment.refusals import get_refused_requests_df
from core.formatting import format_count
from core.i18n import _
from ui.text import escape_markdown
from ui.widgets import flash, user_errors


def endpoint_panel(ws, project_id: int, deployment: dict[str, Any]) -> None:
    st.subheader(_("HTTP endpoint"))
    row = process.get_endpoint(ws, project_id)
    if row is None or row["status"] not in process.LIVE:
        st.caption(
            _(
                "Start a real HTTP service (FastAPI) in a process of its own: it answers POST /predict with the "
                "deployment above, whatever strategy it runs, and stops when this app stops."
            )
        )
        if row is not None and row["status"] == "failed":
            st.error(escape_markdown(_("The last start failed: {error}").format(error=row["error"])))
        elif row is not None and row["status"] == "exited":
            st.warning(_("The endpoint that ran at {url} has exited.").format(url=row["url"]))
        if st.button(_("Start endpoint"), key="start_endpoint", type="primary"):
            with user_errors(), st.spinner(_("Starting the endpoint and waiting for it to answer…")):
                started = process.start_endpoint(ws, project_id)
                flash("success", _("The endpoint answers at {url}.").format(url=started["url"]))
                st.rerun()
        refused_requests(ws, project_id)
        return
    health = process.get_health(row)
    if health["http_status"] == 200:
        st.success(
            _("Running at {url} (process {pid}): /health answers ready, serving {versions}.").format(
                url=row["url"], pid=row["pid"], versions=escape_markdown(", ".join(health.get("versions", [])))
            ),
            icon=":material/lan:",
        )
    else:
        st.warning(
            _("Running at {url} (process {pid}) but not ready: {detail}").format(
                url=row["url"], pid=row["pid"], detail=escape_markdown(health.get("detail") or _("no answer"))
            )
        )
    c1, c2, c3 = st.columns(3)
    c1.link_button(_("API docs (/docs)"), f"{row['url']}/docs", icon=":material/description:")
    c2.link_button(_("OpenAPI schema (JSON)"), f"{row['url']}/openapi.json", icon=":material/data_object:")
    if c3.button(_("Stop endpoint"), key="stop_endpoint"):
        with user_errors():
            process.stop_endpoint(ws, project_id)
            flash("info", _("The endpoint is stopped."))
            st.rerun()
    with user_errors():
        served = serving.load_served(ws, serving.get_serving_version(ws, deployment)["id"])
        example = pipeline.get_request_examples(ws, served).head(1)
        st.code(curl_example(row["url"], example), language="bash", wrap_lines=True)
        st.caption(
            _(
                "Scores one row the model never trained on. Each answer carries a request_id; when the true "
                "outcome is known, send it back so monitoring can measure the live model:"
            )
        )
        st.code(feedback_example(row["url"]), language="bash")
    st.caption(
        _(
            "The API docs page lists the routes and the input schema: each column's type and the range or "
            "categories learned from training (it needs no internet; Swagger UI, which does, is at /swagger)."
        )
    )
    refused_requests(ws, project_id)


def refused_requests(ws, project_id: int) -> None:
    """The requests the endpoint refused with 422, newest first (only when there are some)."""
    refused = get_refused_requests_df(ws, project_id, limit=50)
    if refused.empty:
        return
    with st.expander(
        _("Refused requests ({n} shown, newest first)").format(n=format_count(len(refused))), icon=":material/block:"
    ):
        st.dataframe(refused, hide_index=True, width="stretch", key="refused_requests")
    st.caption(escape_markdown(caption_refused_requests(refused)))
