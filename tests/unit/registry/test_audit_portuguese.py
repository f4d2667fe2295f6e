"""Audit sentences are rendered in the reader's language from what is stored (codes and English
detail); storing never writes Portuguese, even when the person acting reads Portuguese."""

import json

from core.i18n import use_language
from core.registry import approvals
from core.registry.audit import describe_actor, describe_audit_entry
from core.workspace.database import Workspace


def test_sentences_follow_the_language():
    detail = {"model": "churn", "version_id": 7, "from": "development", "to": "staging", "reason": "ok"}
    assert describe_audit_entry("model.stage", detail, {7: 3}) == "churn v3 moved from development to staging: ok."
    with use_language("pt"):
        assert describe_audit_entry("model.stage", detail, {7: 3}) == (
            "churn v3 passou de desenvolvimento para homologação: ok."
        )
        row = {"actor": "Ana", "actor_role": "data scientist", "on_behalf_of": None}
        assert describe_actor(row) == "Ana (cientista de dados)"
        deployed = {"deployment_id": 4, "routing": {"strategy": "canary"}, "champion_version_id": 7,
                    "challenger_version_id": 8}  # fmt: skip
        assert "implantação canário" in describe_audit_entry("deployment.created", deployed, {7: 1, 8: 2})


def test_policy_is_stored_in_english_and_read_in_portuguese(tmp_path):
    ws = Workspace(tmp_path)
    from core.workspace import projects

    project = projects.create_project(ws, "p")
    with use_language("pt"):
        approvals.set_policy(ws, project["id"], approvals.RegistryPolicy(people_need_approval=False))
    stored = ws.query_one("SELECT action, detail_json FROM audit_log WHERE action = 'registry.policy'")
    detail = json.loads(stored["detail_json"])
    assert detail["sentence"].startswith("People may promote to production")
    with use_language("pt"):
        assert describe_audit_entry(stored["action"], detail).startswith(
            "Política do registro definida: Pessoas podem promover"
        )
