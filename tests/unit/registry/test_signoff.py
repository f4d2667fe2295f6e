"""Sign-off and lifecycle: who did it, promotion requests approved by another person who is a reviewer,
stages derived from the aliases, archived versions never served, rollback to approved versions only."""

import pytest

from core import registry
from core.deployment import serving
from core.deployment.routing import RoutingConfig
from core.registry import approvals, lifecycle
from core.stages.release import stage_carry_out_request, stage_promote, stage_promote_verdict, stage_rollback
from core.workspace.actor import COMMAND_LINE, DATA_SCIENTIST, REVIEWER, Actor, acting_as, automatic, person
from core.workspace.errors import ConfigError, NotFoundError
from core.workspace.projects import create_project
from tests.unit.registry.test_registry import MODEL, _make_run

ANA = Actor("Ana", DATA_SCIENTIST)
BO = Actor("Bo", REVIEWER)
CARLA = Actor("Carla", REVIEWER)


@pytest.fixture
def project(ws):
    return create_project(ws, "sign-off test")["id"]


def _register(ws, pid, alias=None, slope=1.0):
    return registry.register_model(ws, pid, _make_run(ws, pid, slope), model_name=MODEL, alias=alias)


@pytest.fixture
def two(ws, project):
    """v1 champion (production), v2 challenger (staging)."""
    return _register(ws, project, "champion"), _register(ws, project, "challenger", slope=2.0)


def _audit(ws, pid):
    return registry.get_audit_df(ws, pid)


def _request(ws, pid, version_id, who=ANA, reason="better recall on fresh data"):
    with acting_as(who):
        return approvals.request_promotion(ws, pid, version_id, reason)


def _review(ws, pid, request_id, who=BO, approve=True, comment="card read; the gate's checks hold"):
    with acting_as(who):
        return approvals.review_request(ws, pid, request_id, approve, comment)


def test_request_approve_carry_out_with_who_when_why_in_the_audit_log(ws, project, two):
    _, v2 = two
    request = _request(ws, project, v2["id"])
    assert request["status"] == "pending" and request["requested_by"] == "Ana"
    approved = _review(ws, project, request["id"])
    assert approved["status"] == "approved" and approved["reviewed_by"] == "Bo"
    with acting_as(ANA):
        done = stage_carry_out_request(ws, project, request["id"])
    assert done["version"]["id"] == v2["id"]
    assert registry.get_alias_version(ws, project, MODEL, "champion")["id"] == v2["id"]
    assert approvals.get_request(ws, project, request["id"])["status"] == "carried_out"
    audit = _audit(ws, project).set_index("action")
    assert audit.loc["promotion.requested", "who"] == "Ana (data scientist)"
    assert "better recall on fresh data" in audit.loc["promotion.requested", "what"]
    assert audit.loc["promotion.approved", "who"] == "Bo (reviewer)"
    assert "the gate's checks hold" in audit.loc["promotion.approved", "what"]
    assert "requested by Ana" in audit.loc["promotion.approved", "what"]
    assert audit.loc["model.promoted", "who"] == "Ana (data scientist)"
    assert "approved by Bo" in audit.loc["model.promoted", "what"]
    rows = ws.query("SELECT ts, actor, actor_role FROM audit_log WHERE action LIKE 'promotion.%' ORDER BY id")
    assert [(r["actor"], r["actor_role"]) for r in rows] == [("Ana", DATA_SCIENTIST), ("Bo", REVIEWER)]
    assert all(r["ts"] > 0 for r in rows)


def test_self_approval_is_refused_even_as_a_reviewer(ws, project, two):
    request = _request(ws, project, two[1]["id"], who=BO)
    with pytest.raises(ConfigError, match="cannot approve or reject it yourself"):
        _review(ws, project, request["id"], who=Actor("bo", REVIEWER))  # the same name, another case
    assert approvals.get_request(ws, project, request["id"])["status"] == "pending"
    _review(ws, project, request["id"], who=CARLA)
    assert approvals.get_request(ws, project, request["id"])["status"] == "approved"


def test_only_a_reviewer_reviews_and_only_with_a_comment(ws, project, two):
    request = _request(ws, project, two[1]["id"])
    with pytest.raises(ConfigError, match="Only a reviewer"):
        _review(ws, project, request["id"], who=Actor("Dan", DATA_SCIENTIST))
    with pytest.raises(ConfigError, match="must not be empty"):
        _review(ws, project, request["id"], comment="   ")
    with pytest.raises(ConfigError, match="must not be empty"):
        _request(ws, project, two[0]["id"], reason="")


def test_a_rejected_request_cannot_be_carried_out_and_says_why(ws, project, two):
    request = _request(ws, project, two[1]["id"])
    rejected = _review(ws, project, request["id"], approve=False, comment="fairness gap on the small group")
    assert rejected["status"] == "rejected"
    with acting_as(ANA), pytest.raises(ConfigError, match="only an approved request"):
        stage_carry_out_request(ws, project, request["id"])
    with acting_as(ANA), pytest.raises(approvals.ApprovalRequiredError, match="needs a reviewer's approval"):
        stage_promote(ws, project, MODEL)
    assert registry.get_alias_version(ws, project, MODEL, "champion")["id"] == two[0]["id"]
    audit = _audit(ws, project).set_index("action")
    assert "fairness gap" in audit.loc["promotion.rejected", "what"]


def test_an_approval_is_used_once_and_a_second_open_request_is_refused(ws, project, two):
    request = _request(ws, project, two[1]["id"])
    with pytest.raises(ConfigError, match="already has an open promotion request"):
        _request(ws, project, two[1]["id"], who=Actor("Eve", DATA_SCIENTIST))
    _review(ws, project, request["id"])
    with acting_as(ANA):
        stage_promote(ws, project, MODEL)  # carries out the approved request of the challenger
    with acting_as(BO), pytest.raises(ConfigError, match="already carried out"):
        approvals.review_request(ws, project, request["id"], True, "again")
    with pytest.raises(ConfigError, match="not an approved request"):
        registry.promote_version(ws, project, MODEL, two[0]["id"], request_id=request["id"])


def test_the_policy_holds_people_not_rollout_verdicts_and_can_be_switched(ws, project, two):
    assert approvals.get_policy(ws, project) == approvals.RegistryPolicy(True, True)
    with acting_as(Actor("Ana", COMMAND_LINE)), pytest.raises(approvals.ApprovalRequiredError):
        stage_promote(ws, project, MODEL)
    with acting_as(ANA):  # a canary that completes its ramp promotes by itself, and is named
        done = stage_promote_verdict(ws, project, MODEL, "canary completed", "canary rollout")
    assert done["version"]["id"] == two[1]["id"]
    who = _audit(ws, project).set_index("action").loc["model.promoted", "who"]
    assert who == "canary rollout (started by Ana)"
    approvals.set_policy(ws, project, approvals.RegistryPolicy(people_need_approval=False))
    with acting_as(ANA):
        assert stage_rollback(ws, project, MODEL)["version"]["id"] == two[0]["id"]
    assert "without a reviewer's approval" in _audit(ws, project).set_index("action").loc["registry.policy", "what"]


def test_a_held_verdict_files_a_request_a_reviewer_approves(ws, project, two):
    approvals.set_policy(ws, project, approvals.RegistryPolicy(verdicts_promote=False))
    with acting_as(automatic("autopilot")):
        held = stage_promote_verdict(ws, project, MODEL, "canary completed: all guardrails held", "canary rollout")
    assert held["version"] is None and "a reviewer approves it first" in held["message"]
    assert registry.get_alias_version(ws, project, MODEL, "champion")["id"] == two[0]["id"]
    request = approvals.get_request(ws, project, held["request_id"])
    assert request["requested_by"] == "autopilot" and request["status"] == "pending"
    _review(ws, project, request["id"])
    with acting_as(automatic("autopilot")):
        done = stage_promote_verdict(ws, project, MODEL, "canary completed", "canary rollout")
    assert done["version"]["id"] == two[1]["id"]


@pytest.mark.parametrize("near_copy", ["Bo\u200b", "\u200dBo", "ＢＯ", " bo  ", "B\u00adO", "\u202eBo"])
def test_a_near_copy_of_the_requesters_name_is_the_requester(ws, project, two, near_copy):
    """Invisible characters, full-width letters or case do not make another person (NFKC + casefold)."""
    request = _request(ws, project, two[1]["id"], who=BO)
    with pytest.raises(ConfigError, match="cannot approve or reject it yourself"):
        _review(ws, project, request["id"], who=Actor(near_copy, REVIEWER))  # as if stored before the check
    assert approvals.get_request(ws, project, request["id"])["status"] == "pending"
    with acting_as(Actor("bo\u200b", DATA_SCIENTIST)):
        assert approvals.withdraw_request(ws, project, request["id"])["status"] == "withdrawn"


def test_lifecycle_stages_follow_the_aliases(ws, project, two):
    v1, v2 = two
    v3 = _register(ws, project, slope=3.0)
    assert lifecycle.get_stages(ws, project, MODEL) == {
        v1["id"]: "production",
        v2["id"]: "staging",
        v3["id"]: "development",
    }
    with acting_as(ANA):
        lifecycle.move_to_stage(ws, project, v3["id"], "staging", "try the newer one")
    stages = lifecycle.get_stages(ws, project, MODEL)
    assert stages[v3["id"]] == "staging" and stages[v2["id"]] == "development"  # one challenger at a time
    with acting_as(ANA):
        lifecycle.move_to_stage(ws, project, v2["id"], "archived", "superseded")
    assert lifecycle.get_stage(ws, v2["id"]) == "archived"
    history = lifecycle.get_stage_history_df(ws, project, v2["id"])
    assert history["stage"].tolist() == ["development", "staging", "development", "archived"]
    assert history["who"].iloc[-1] == "Ana (data scientist)" and history["why"].iloc[-1] == "superseded"


def test_a_former_champion_shows_that_it_served_in_production(ws, project, two):
    """After v2 is promoted, v1 is back in development (a rollback target) and says it served."""
    v1, v2 = two
    v3 = _register(ws, project, slope=3.0)  # never in production: plain development
    request = _request(ws, project, v2["id"])
    _review(ws, project, request["id"])
    with acting_as(ANA):
        stage_carry_out_request(ws, project, request["id"])
    assert lifecycle.get_stage(ws, v1["id"]) == "development"  # the stage itself keeps its meaning
    stages = registry.get_versions_df(ws, project, MODEL).set_index("id")["stage"]
    assert stages[v1["id"]] == "development (former champion)" and stages[v3["id"]] == "development"
    assert stages[v2["id"]] == "production"
    assert "former champion" in lifecycle.describe_stage(ws, v1["id"])
    assert lifecycle.describe_stage(ws, v3["id"]) == "Development"
    history = lifecycle.get_stage_history_df(ws, project, v1["id"])
    assert history["stage"].tolist() == ["development", "production", "development"]
    assert history["why"].iloc[-1] == "left production: v2 became the champion"


@pytest.mark.parametrize(
    "which, stage, message",
    [
        (0, "archived", "in production"),
        (0, "development", "in production"),
        (1, "production", "by a promotion"),
        (1, "staging", "already in staging"),
        (2, "staging", "archived"),
        (1, "retired", "must be one of"),
    ],
)
def test_refused_lifecycle_moves(ws, project, two, which, stage, message):
    v3 = _register(ws, project, slope=3.0)
    lifecycle.move_to_stage(ws, project, v3["id"], "archived")
    version = (*two, v3)[which]
    with pytest.raises(ConfigError, match=message):
        lifecycle.move_to_stage(ws, project, version["id"], stage)


def test_an_archived_version_is_never_deployed_aliased_or_promoted(ws, project, two):
    v3 = _register(ws, project, slope=3.0)
    request = _request(ws, project, v3["id"])
    _review(ws, project, request["id"])  # approved, then the data scientist changes her mind
    lifecycle.move_to_stage(ws, project, v3["id"], "archived", "retired")
    assert approvals.get_request(ws, project, request["id"])["status"] == "withdrawn"
    with acting_as(ANA), pytest.raises(ConfigError, match="withdrawn"):
        stage_carry_out_request(ws, project, request["id"])
    with pytest.raises(ConfigError, match="archived"):
        serving.create_deployment(ws, project, RoutingConfig("single"), v3["id"])
    with pytest.raises(ConfigError, match="archived"):
        serving.create_deployment(ws, project, RoutingConfig("canary", 0.1), two[0]["id"], v3["id"])
    with pytest.raises(ConfigError, match="archived"):
        registry.set_alias(ws, project, MODEL, "challenger", v3["id"])
    with pytest.raises(ConfigError, match="archived"):
        _request(ws, project, v3["id"])
    assert len(registry.get_versions_df(ws, project, MODEL)) == 3  # kept for the audit trail


def test_rollback_goes_only_to_approved_versions_not_archived_ones(ws, project, two):
    v1, v2 = two
    v3 = _register(ws, project, slope=3.0)
    for version in (v2, v3):
        request = _request(ws, project, version["id"])
        _review(ws, project, request["id"])
        with acting_as(ANA):
            stage_carry_out_request(ws, project, request["id"])
    # v2 served in production before v3; archiving it leaves v1 as the only version to return to
    lifecycle.move_to_stage(ws, project, v2["id"], "archived", "a data bug found later")
    with acting_as(BO):
        back = stage_rollback(ws, project, MODEL, reason="complaints")
    assert back["version"]["id"] == v1["id"]
    v4 = _register(ws, project, slope=4.0)  # never approved, never in production: not a rollback target
    assert v4["id"] not in registry.get_versions_df(ws, project, MODEL).query("aliases != ''")["id"].tolist()
    with pytest.raises(NotFoundError, match="served in production before"):
        stage_rollback(ws, project, MODEL)


def test_the_pipeline_and_scripts_are_named_too(ws, project):
    with acting_as(ANA), acting_as(automatic("studio pipeline")):
        _register(ws, project, "champion")
    rows = ws.query(
        "SELECT actor, actor_role, on_behalf_of FROM audit_log WHERE project_id = ? AND action != 'project.created'",
        (project,),
    )
    assert {(r["actor"], r["actor_role"], r["on_behalf_of"]) for r in rows} == {("studio pipeline", "automatic", "Ana")}
    _register(ws, project, slope=2.0)  # no actor set: the OS user, as a script
    assert _audit(ws, project)["who"].iloc[0].endswith("(script)")


@pytest.mark.parametrize(
    "name",
    ["", "  ", "Autopilot", "x" * 61, "\x00", "\u200b", "Ana\u200b", "\u202eanA", "A\u2028na", "Ana\ufe0f", "\u3164"],
)
def test_a_person_needs_a_real_name(name):
    with pytest.raises(ConfigError):
        person(name, DATA_SCIENTIST)


def test_a_person_needs_a_known_role():
    with pytest.raises(ConfigError, match="role"):
        person("Ana", "admin")
    assert person("  Ana   Lima ", REVIEWER) == Actor("Ana Lima", REVIEWER)
