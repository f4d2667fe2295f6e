"""Registry: numbered model versions with their metrics, lineage and file hash; the aliases
champion and challenger; promote and roll back; every change in the audit log."""

import streamlit as st

from core import pipeline, registry
from core.deployment import serving
from core.i18n import _
from core.problem.store import get_problem
from core.registry.charts import caption_versions, get_versions_table
from core.training import tracking
from ui.approval_panel import approval_panel
from ui.audit_panel import audit_panel
from ui.card_panel import model_card_section
from ui.frame import page_setup, require_project
from ui.gate_panel import register_form
from ui.language import choose_language
from ui.lifecycle_panel import lifecycle_panel
from ui.lineage_panel import lineage_panel
from ui.spec_panel import export_spec_button
from ui.text import escape_markdown
from ui.widgets import experiment_picker, flash, model_name_picker, show_flash, term_help, user_errors

choose_language()  # before the title is translated
ws, project = page_setup(
    _("Registry"), ":material/inventory_2:", _("Which model versions exist, which one serves, and who changed what.")
)
project = require_project(project)
pid = project["id"]
experiment = tracking.latest_experiment(ws, pid)

# -- Register ---------------------------------------------------------------------------------------
if experiment is not None:
    st.subheader(_("Register a model"))
    experiment = experiment_picker(ws, pid, key="registry_experiment")
    register_form(ws, pid, experiment, key="registry")

# -- Versions and aliases -----------------------------------------------------------------------------
model_name = model_name_picker(ws, pid, key="registry_model")
if model_name is None:
    st.info(_("No model registered yet."))
    st.stop()
versions = registry.get_versions_df(ws, pid, model_name)
st.subheader(_("Versions of '{name}'").format(name=escape_markdown(model_name)))
champion = registry.get_alias_version(ws, pid, model_name, "champion")
challenger = registry.get_alias_version(ws, pid, model_name, "challenger")
live = serving.get_active_deployment(ws, pid)
served = serving.get_serving_version(ws, live) if live else None
c1, c2, c3 = st.columns(3)
c1.metric(
    _("Champion (serves production)"), f"v{champion['version']}" if champion else _("none"), help=term_help("champion")
)
c2.metric(
    _("Challenger (candidate)"), f"v{challenger['version']}" if challenger else _("none"), help=term_help("challenger")
)
c3.metric(
    _("Served by the endpoint now"),
    _("nothing")
    if served is None
    else f"v{served['version']}"
    if served["model_name"] == model_name
    else f"{served['model_name']} v{served['version']}",
)
st.info(escape_markdown(serving.describe_live(ws, pid)), icon=":material/rocket_launch:")
behind = pipeline.describe_champion_not_served(ws, pid, model_name)
if behind:
    st.warning(escape_markdown(behind))
st.caption(
    _(
        "The champion answers production traffic; a challenger waits to prove itself (canary, shadow, A/B) "
        "before it is promoted. While this model is deployed, promoting or rolling back serves the new champion "
        "at once (same strategy, or single when no challenger is left)."
    )
)
problem = get_problem(ws, pid)
shown, column_order = get_versions_table(versions, problem and problem.metric)
st.dataframe(shown, hide_index=True, width="stretch", column_order=column_order)
st.caption(caption_versions(versions))

show_flash()
b1, b2 = st.columns(2)
with b1:
    if st.button(_("Promote challenger to champion"), key="promote", disabled=challenger is None):
        with user_errors():
            reason = "promoted from the Registry page"  # i18n: skip (the audit log stores English)
            done = pipeline.stage_promote(ws, pid, model_name, reason=reason)
            flash("success", done["message"])
            st.rerun()
with b2:
    if st.button(_("Roll back the champion"), key="rollback", disabled=champion is None):
        with user_errors():
            reason = "rolled back from the Registry page"  # i18n: skip (the audit log stores English)
            done = pipeline.stage_rollback(ws, pid, model_name, reason=reason)
            flash("success", done["message"])
            st.rerun()

model_card_section(ws, pid, model_name, key="registry")

approval_panel(ws, pid, model_name)
lifecycle_panel(ws, pid, model_name)

lineage_panel(ws, champion)
export_spec_button(ws, project, key="registry")
st.subheader(_("Audit log"))
audit_panel(ws, pid)
