"""Sign-off on the Registry page: the registry's policy in a sentence, a promotion request (a data
scientist, with a reason), its review (a reviewer, another person, reading the model card, with a
comment) and carrying out an approved request. Core: core.registry.approvals."""

from __future__ import annotations

import streamlit as st

from core import pipeline, registry
from core.i18n import _
from core.registry import approvals, lifecycle
from core.registry.audit import role_label
from core.workspace.actor import DATA_SCIENTIST, REVIEWER, current_actor
from ui.card_panel import show_model_card
from ui.text import escape_markdown
from ui.widgets import flash, option_labels, user_errors


def approval_panel(ws, project_id: int, model_name: str) -> None:
    st.subheader(_("Sign-off: promotion to production"))
    policy = approvals.get_policy(ws, project_id)
    st.info(policy.describe(), icon=":material/verified_user:")
    who = current_actor()
    if not who.is_person or who.role not in (DATA_SCIENTIST, REVIEWER):
        st.caption(_("Sign in (in the sidebar) to request, approve or carry out a promotion."))
    _policy_editor(ws, project_id, policy, who.role == REVIEWER)
    requests = approvals.get_requests(ws, project_id, model_name)
    for request in [r for r in requests if r["status"] == approvals.PENDING]:
        _review_box(ws, project_id, request, who)
    for request in [r for r in requests if r["status"] == approvals.APPROVED]:
        _carry_out_box(ws, project_id, request, who)
    _request_form(ws, project_id, model_name, who)
    if requests:
        table = approvals.get_requests_df(ws, project_id, model_name)
        st.dataframe(table.rename(columns=approvals.request_headers()), hide_index=True, width="stretch")
        st.caption(
            _(
                "Every promotion request, newest first: who asked and why, who reviewed it and what they said, "
                "and who carried it out. The audit log below has the same steps with their times."
            )
        )


def _policy_editor(ws, project_id: int, policy: approvals.RegistryPolicy, is_reviewer: bool) -> None:
    with st.expander(_("Change the policy (reviewers)")):
        people = st.toggle(
            _("Promotions by people need a reviewer's approval"),
            value=policy.people_need_approval,
            key="policy_people",
            disabled=not is_reviewer,
        )
        verdicts = st.toggle(
            _("A rollout's verdict (a completed canary, the autopilot) promotes by itself"),
            value=policy.verdicts_promote,
            key="policy_verdicts",
            disabled=not is_reviewer,
        )
        changed = approvals.RegistryPolicy(people, verdicts)
        if st.button(_("Save the policy"), key="policy_save", disabled=not is_reviewer or changed == policy):
            with user_errors():
                approvals.set_policy(ws, project_id, changed)
                flash("success", escape_markdown(_("Policy saved: {policy}").format(policy=changed.describe())))
                st.rerun()


def _request_form(ws, project_id: int, model_name: str, who) -> None:
    versions = registry.get_versions_df(ws, project_id, model_name)
    open_ids = {r["version_id"] for r in approvals.get_requests(ws, project_id, model_name)
                if r["status"] in (approvals.PENDING, approvals.APPROVED)}  # fmt: skip
    candidates = versions[~versions["stage"].isin(["production", "archived"]) & ~versions["id"].isin(open_ids)]
    if candidates.empty:
        return
    with st.form("promotion_request", clear_on_submit=True, border=True):
        st.markdown(_("**Request a promotion to production**"))
        labels = {
            int(r["id"]): f"v{r['version']} ({lifecycle.stage_label(r['stage'])}, {r['family']})"
            for _i, r in candidates.iterrows()
        }
        version_id = st.selectbox(_("Version"), list(labels), format_func=option_labels(labels), key="request_version")
        reason = st.text_area(
            _("Why should it serve production?"), key="request_reason", max_chars=approvals.MAX_TEXT,
            placeholder=_("e.g. better recall on the last month's data; the gate's checks all hold"),
        )  # fmt: skip
        if st.form_submit_button(
            _("Request promotion"), key="request_submit", disabled=who.role not in (DATA_SCIENTIST, REVIEWER)
        ):
            with user_errors():
                request = approvals.request_promotion(ws, project_id, int(version_id), reason)
                flash(
                    "success",
                    _("Promotion request {id} filed: a reviewer approves or rejects it here.").format(id=request["id"]),
                )
                st.rerun()


def _review_box(ws, project_id: int, request: dict, who) -> None:
    label = f"{request['model_name']} v{request['version']}"
    with st.container(border=True, key=f"review_{request['id']}"):
        st.markdown(
            escape_markdown(
                _("Request {id}: promote {label} to production, asked by {who} ({role}): “{reason}”").format(
                    id=request["id"],
                    label=label,
                    who=request["requested_by"],
                    role=role_label(request["requested_role"]),
                    reason=request["reason"],
                )
            )
        )
        st.caption(_("The model card of this version: what the reviewer signs off."))
        show_model_card(ws, project_id, request["version_id"], key=f"card_{request['id']}")
        if who.role != REVIEWER:
            st.caption(_("A reviewer (another person than the one who asked) approves or rejects it."))
            return
        if who.name.casefold() == request["requested_by"].casefold():
            st.caption(_("You asked for this promotion: another reviewer signs it off."))
        comment = st.text_area(_("Your comment (required)"), key=f"review_comment_{request['id']}", max_chars=2000)
        approve, reject = st.columns(2)
        decision = None
        if approve.button(_("Approve"), key=f"approve_{request['id']}", type="primary", icon=":material/check:"):
            decision = True
        if reject.button(_("Reject"), key=f"reject_{request['id']}", icon=":material/close:"):
            decision = False
        if decision is not None:
            with user_errors():
                done = approvals.review_request(ws, project_id, request["id"], decision, comment)
                message = (
                    _("Request {id} approved by {who}.")
                    if done["status"] == approvals.APPROVED
                    else _("Request {id} rejected by {who}.")
                )
                flash("success", escape_markdown(message.format(id=done["id"], who=done["reviewed_by"])))
                st.rerun()


def _carry_out_box(ws, project_id: int, request: dict, who) -> None:
    label = f"{request['model_name']} v{request['version']}"
    st.success(
        escape_markdown(
            _("Request {id} approved by {who}: “{comment}”. {label} can now go to production.").format(
                id=request["id"], who=request["reviewed_by"], comment=request["review_comment"], label=label
            )
        ),
        icon=":material/task_alt:",
    )
    if st.button(
        _("Promote {label} to production").format(label=label),
        key=f"carry_out_{request['id']}",
        type="primary",
        disabled=who.role not in (DATA_SCIENTIST, REVIEWER),
    ):
        with user_errors():
            done = pipeline.stage_carry_out_request(ws, project_id, request["id"])
            flash("success", escape_markdown(done["message"]))
            st.rerun()
