"""Deploy: the champion (and optionally a challenger) behind a simulated endpoint with a routing
strategy; send rows, see predictions, the version that answered and the latency."""

import streamlit as st

from core import pipeline, registry
from core.data.validation import caption_violations, get_violations_df
from core.deployment import serving
from core.deployment.charts import (
    caption_answers,
    caption_flagged,
    caption_review_queue,
    caption_traffic_summary,
    caption_unanswered,
)
from core.deployment.routing import STRATEGIES, RoutingConfig, colour_name, strategy_caption, strategy_name
from core.glossary import readable_columns
from core.i18n import _
from ui.arms_panel import champion_challenger_panel
from ui.endpoint_panel import endpoint_panel
from ui.frame import page_setup, require_project
from ui.keys_panel import keys_panel
from ui.language import choose_language
from ui.rollout_panel import rollout_panel
from ui.security_panel import security_panel
from ui.text import escape_markdown
from ui.widgets import flash, model_name_picker, readable_table, show_flash, user_errors

choose_language()  # before the title is translated
ws, project = page_setup(
    _("Deploy"), ":material/rocket_launch:", _("Serve the champion behind an endpoint, alone or beside a challenger.")
)
project = require_project(project)
pid = project["id"]
show_flash()
model_name = model_name_picker(ws, pid, key="deploy_model")
champion = registry.get_alias_version(ws, pid, model_name, "champion") if model_name else None
if champion is None:
    if serving.get_active_deployment(ws, pid) is not None:
        st.info(escape_markdown(serving.describe_live(ws, pid)), icon=":material/rocket_launch:")
    st.info(
        _("Register a model as champion on the Registry page first.")
        if model_name is None
        else _("{name} has no champion: give one of its versions the champion alias on the Registry page.").format(
            name=escape_markdown(model_name)
        )
    )
    st.page_link(
        "pages/6_Registry.py", label=_("Go to Registry"), icon=":material/inventory_2:", query_params={"project": pid}
    )
    st.stop()
challenger = registry.get_alias_version(ws, pid, model_name, "challenger")

st.subheader(_("Strategy"))
strategies = list(STRATEGIES) if challenger else ["single"]
active = serving.get_active_deployment(ws, pid)
current = active["routing"] if active else RoutingConfig()
strategy = st.radio(
    _("How traffic reaches the models"),
    strategies,
    horizontal=True,
    key="strategy",
    format_func=strategy_name,
    index=strategies.index(current.strategy) if current.strategy in strategies else 0,
    captions=[strategy_caption(s) for s in strategies],
)
if not challenger:
    st.caption(_("Only 'single' is possible: register a challenger to try canary, shadow, blue-green or A/B."))
share, color = current.challenger_share, current.active_color
if strategy in ("canary", "ab"):
    share = st.slider(_("Share of traffic for the challenger"), 0.0, 1.0, float(share), 0.05, key="share")
if strategy == "blue_green":
    color = st.radio(
        _("Live colour"),
        ["blue", "green"],
        horizontal=True,
        key="color",
        format_func=colour_name,
        captions=[
            _("blue = champion v{number}").format(number=champion["version"]),
            _("green = challenger v{number}").format(number=challenger["version"]) if challenger else "",
        ],
    )
switch = pipeline.describe_model_switch(ws, pid, model_name)
if switch:
    st.warning(escape_markdown(switch))
policies = list(serving.VALIDATION_POLICIES)
policy_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
policy = policy_column.radio(
    _("A row that breaks a rule learned from training (out of range, a new category, missing)"),
    policies,
    horizontal=True,
    key="validation_policy",
    index=policies.index(active["validation_policy"]) if active and active["validation_policy"] in policies else 1,
    format_func=serving.policy_name,
    captions=[_(serving.VALIDATION_POLICIES[p]) for p in policies],
)
if button_column.button(_("Deploy"), key="deploy", type="primary"):
    with user_errors():
        dep = pipeline.stage_deploy(
            ws, pid, RoutingConfig(strategy, share, color), model_name=model_name, validation_policy=policy
        )
        flash("success", _("Deployed: {deployment}.").format(deployment=serving.describe_deployment(ws, dep)))
        st.rerun()

# -- Strategies that decide: each runs on simulated traffic to a verdict with its evidence ---------------
rollout_panel(ws, pid, model_name, has_challenger=challenger is not None)
active = serving.get_active_deployment(ws, pid)  # a rollout may have changed what is live

if active is None:
    st.stop()
st.info(escape_markdown(serving.describe_live(ws, pid)), icon=":material/rocket_launch:")
behind = pipeline.describe_champion_not_served(ws, pid, model_name)
if behind:
    st.warning(escape_markdown(behind))
endpoint_panel(ws, pid, active)
keys_panel(ws, pid)  # the endpoint's API keys: create (shown once), list, revoke
champion_challenger_panel(ws, pid, active)

# -- Send requests -------------------------------------------------------------------------------------
st.subheader(_("Send requests"))
with user_errors():
    # The version that answers (in blue-green with green live, the challenger): its examples, its threshold.
    served = serving.load_served(ws, serving.get_serving_version(ws, active)["id"])
    inputs = pipeline.get_request_examples(ws, served)
    n = st.slider(
        _("Rows to send (drawn from data the model never trained on); edit any cell first"), 1, 50, 5, key="n_rows"
    )
    rows = st.data_editor(inputs.head(n), key=f"rows_{n}", width="stretch", num_rows="fixed")
    if st.button(_("Send rows to the endpoint"), key="send_rows", type="primary"):
        result = serving.predict(ws, active, rows, keys=[f"ui-{i}" for i in rows.index])
        readable_table(
            serving.get_answers_df(result).round({"score": 4, "shadow_score": 4, "latency_ms": 2}), width="stretch"
        )
        unanswered = caption_unanswered(result)
        if unanswered:
            st.warning(unanswered)
        flagged = caption_flagged(result)
        if flagged:
            st.info(flagged)
        st.caption(
            caption_answers(
                result,
                served,
                answer_label=escape_markdown(served.classes[1]) if served.task == "binary" and served.classes else "",
            )
        )
        violations = served.validate(rows)
        (st.warning if violations else st.success)(
            escape_markdown(caption_violations(violations, rows=len(rows), rules=served.rules))
            if served.rules
            else _("No validation rules were learned for this model's data.")
        )
        if violations:
            st.dataframe(readable_columns(get_violations_df(violations)), hide_index=True, width="stretch")

summary = serving.get_traffic_summary_df(ws, active["id"])
if not summary.empty:
    st.subheader(_("Traffic so far"))
    readable_table(summary, width="stretch")
    st.caption(caption_traffic_summary(summary))
    readable_table(
        serving.get_prediction_log_df(ws, active["id"], limit=50).round({"score": 4, "latency_ms": 2}), width="stretch"
    )
    st.caption(_("The prediction log, newest first: every answer is recorded with the version that gave it."))
queue = serving.get_review_queue_df(ws, active["id"], limit=50)
if not queue.empty:
    st.subheader(_("Review queue"))
    readable_table(queue.round({"score": 4}), width="stretch")
    st.caption(caption_review_queue(queue))
security_panel(ws, pid)  # attacks shown and defended: evasion, adversarial training, extraction
